#include "pgext/statements.h"

namespace dbvault::pgext {
namespace {

void append_quoted(std::string& out, std::string_view text, char quote) {
  out += quote;
  for (char c : text) {
    out += c;
    if (c == quote) out += quote;
  }
  out += quote;
}

}  // namespace

std::string quote_identifier(std::string_view name) {
  std::string s;
  append_quoted(s, name, '"');
  return s;
}

SecretString unlock_statement(std::string_view realm, std::string_view secret, bool by_token) {
  std::string s = "UNLOCK REALM " + quote_identifier(realm) + (by_token ? " TOKEN " : " PASSWORD ");
  append_quoted(s, secret, '\'');
  SecretString out{s};
  wipe_string(s);
  return out;
}

std::string lock_statement(std::string_view realm) {
  return "LOCK REALM " + quote_identifier(realm);
}

}  // namespace dbvault::pgext
