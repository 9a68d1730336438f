#include "case_file.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dbvault::test {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

GrammarCase header(const std::string& file, int line, const std::string& text) {
  GrammarCase c;
  c.file = file;
  c.line = line;
  std::istringstream in(text.substr(3));
  std::string kind;
  in >> kind;
  if (kind == "ok") {
    c.expect_ok = true;
  } else if (kind == "error") {
    std::string at;
    in >> c.sqlstate >> at;
    if (at.empty() || at[0] != '@') throw std::runtime_error(file + ":" + std::to_string(line) + ": bad header");
    c.position = std::stoi(at.substr(1));
  } else {
    throw std::runtime_error(file + ":" + std::to_string(line) + ": unknown case kind " + kind);
  }
  std::getline(in, c.expected);
  c.expected = trim(c.expected);
  return c;
}

}  // namespace

std::vector<GrammarCase> read_cases(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<GrammarCase> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("##", 0) == 0) {
      out.push_back(header(path, n, line));
    } else if (!out.empty() && !(line.rfind('#', 0) == 0)) {
      out.back().sql += line + "\n";
    }
  }
  for (auto& c : out) {
    // Keep leading spaces (they count in positions) but drop the trailing newline.
    while (!c.sql.empty() && (c.sql.back() == '\n' || c.sql.back() == '\r')) c.sql.pop_back();
    for (auto at = c.sql.find("<0xff>"); at != std::string::npos; at = c.sql.find("<0xff>")) {
      c.sql.replace(at, 6, "\xff");
    }
  }
  return out;
}

}  // namespace dbvault::test
