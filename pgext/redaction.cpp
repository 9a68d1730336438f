#include "pgext/redaction.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "audit/query_normalizer.h"

namespace dbvault::pgext {

namespace {

// `lower` (lower case) occurs in `sql`, ASCII case-insensitively.
bool contains(std::string_view sql, std::string_view lower) {
  const auto it =
      std::search(sql.begin(), sql.end(), lower.begin(), lower.end(),
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  return it != sql.end();
}

}  // namespace

bool mentions_vault(std::string_view sql) { return contains(sql, "dbvault"); }

bool may_pass_secrets(std::string_view sql) {
  return contains(sql, "dbvault") || contains(sql, "execute");
}

std::string redact(std::string_view text) { return audit::strip_literals(text); }

namespace {

// The contents of the '...' literals of `sql` ('' read as one quote), in order.
std::vector<std::string> string_literals(std::string_view sql) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '\'') continue;
    std::string value;
    for (++i; i < sql.size(); ++i) {
      if (sql[i] != '\'') {
        value += sql[i];
      } else if (i + 1 < sql.size() && sql[i + 1] == '\'') {
        value += '\'';
        ++i;
      } else {
        break;
      }
    }
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace

std::string without_literals_of(std::string_view message, std::string_view statement) {
  constexpr std::size_t kShortest = 8;
  std::string out(message);
  for (const std::string& literal : string_literals(statement)) {
    if (literal.size() < kShortest) continue;
    for (auto at = out.find(literal); at != std::string::npos; at = out.find(literal, at + 1)) {
      out.replace(at, literal.size(), "?");
    }
  }
  return out;
}

namespace {

std::string redact_context_line(std::string_view line) {
  std::string out(line);
  // The statement a line quotes ("SQL statement "..."") is SQL: its literals go.
  const auto open = out.find('"'), close = out.rfind('"');
  if (open != std::string::npos && close > open) {
    out = out.substr(0, open + 1) +
          redact(std::string_view(out).substr(open + 1, close - open - 1)) + out.substr(close);
  }
  // Whatever still looks quoted (an escape strip_literals did not read as one) goes whole.
  const auto first = out.find('\''), last = out.rfind('\'');
  if (first != std::string::npos) {
    out = out.substr(0, first) + "?" + (last > first ? out.substr(last + 1) : std::string());
  }
  return out;
}

}  // namespace

std::string redact_context(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find('\n', start);
    const std::string_view line =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    out += redact_context_line(line);
    if (end == std::string_view::npos) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

}  // namespace dbvault::pgext
