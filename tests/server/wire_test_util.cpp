#include "tests/server/wire_test_util.h"

#include <cstdlib>

namespace dbvault::server::wire::test {

namespace {
int digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  std::abort();
}
}  // namespace

std::string from_hex(std::string_view hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '|') continue;
    if (high < 0) {
      high = digit(c);
    } else {
      out.push_back(static_cast<char>(high * 16 + digit(c)));
      high = -1;
    }
  }
  if (high >= 0) std::abort();
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string cstr(std::string_view text) {
  std::string s(text);
  s.push_back('\0');
  return s;
}

}  // namespace dbvault::server::wire::test
