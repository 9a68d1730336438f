#include "server/parse_command.h"

#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "grammar/grammar.h"

namespace dbvault::server {
namespace {

void print_error(const Error& e, std::ostream& out) {
  out << "ERROR " << e.code.code() << ": " << e.message;
  if (e.position > 0) out << " (position " << e.position << ")";
  out << "\n";
}

// Parses and prints every statement of `script`; returns false on the first error.
bool explain_script(std::string_view script, std::ostream& out, int& counter) {
  for (const auto& piece : grammar::split_statements(script)) {
    auto r = grammar::parse_at(script, piece);
    if (!r) {
      print_error(r.error(), out);
      return false;
    }
    const bool engine = std::holds_alternative<ast::EngineSql>(r->node);
    out << std::setw(3) << ++counter << "  " << std::left << std::setw(26)
        << ast::statement_kind(*r) << std::setw(10) << (engine ? "engine" : "vault") << std::right
        << grammar::to_sql(*r) << "\n";
  }
  return true;
}

int interactive(std::istream& in, std::ostream& out) {
  out << "dbvault parse: type SQL statements ending with ';' (Ctrl-D to quit)\n";
  std::string buffer, line;
  int counter = 0;
  bool all_ok = true;
  out << "dbvault> " << std::flush;
  while (std::getline(in, line)) {
    buffer += line + "\n";
    const auto end = line.find_last_not_of(" \t\r");
    if (end != std::string::npos && line[end] == ';') {
      all_ok = explain_script(buffer, out, counter) && all_ok;
      buffer.clear();
    }
    out << (buffer.empty() ? "dbvault> " : "    ...> ") << std::flush;
  }
  if (!buffer.empty()) all_ok = explain_script(buffer, out, counter) && all_ok;
  out << "\n";
  return all_ok ? 0 : 1;
}

}  // namespace

int run_parse_command(const ParseCommandOptions& options, std::istream& in, std::ostream& out) {
  int counter = 0;
  if (!options.sql.empty()) return explain_script(options.sql, out, counter) ? 0 : 1;
  if (!options.file.empty()) {
    std::ifstream file(options.file);
    if (!file) {
      out << "ERROR 58030: cannot open " << options.file << "\n";
      return 1;
    }
    std::stringstream text;
    text << file.rdbuf();
    return explain_script(text.str(), out, counter) ? 0 : 1;
  }
  if (options.interactive) return interactive(in, out);
  std::stringstream text;
  text << in.rdbuf();
  return explain_script(text.str(), out, counter) ? 0 : 1;
}

}  // namespace dbvault::server
