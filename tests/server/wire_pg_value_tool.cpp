// Test helper for wire_pg_compare.py: prints what server/wire makes of values, one line each.
//   input  "V <oid> <text>"      output "<encode_text>|<hex of encode_binary>" of
//                                decode_param(oid, text format, text), or "ERR <sqlstate>"
//   input  "D <16 hex digits>"   output format_float8 of the double with those bits
//   input  "F <8 hex digits>"    output format_float4 of the float with those bits
#include <bit>
#include <cstdint>
#include <iostream>
#include <string>

#include "server/wire/pg_float.h"
#include "server/wire/pg_types.h"

using namespace dbvault::server::wire;

namespace {

std::string hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string value_line(const std::string& rest) {
  const auto space = rest.find(' ');
  const Oid type = static_cast<Oid>(std::stoul(rest.substr(0, space)));
  auto v = decode_param(type, Format::kText, rest.substr(space + 1));
  if (!v.ok()) return "ERR " + std::string(v.error().code.code());
  auto text = encode_text(type, *v);
  auto binary = encode_binary(type, *v);
  if (!text.ok() || !binary.ok()) return "ERR encode";
  return **text + "|" + hex(**binary);
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.size() < 3) continue;
    const std::string rest = line.substr(2);
    if (line[0] == 'V') {
      std::cout << value_line(rest) << '\n';
    } else if (line[0] == 'D') {
      std::cout << internal::format_float8(std::bit_cast<double>(std::stoull(rest, nullptr, 16)))
                << '\n';
    } else if (line[0] == 'F') {
      const auto bits = static_cast<std::uint32_t>(std::stoul(rest, nullptr, 16));
      std::cout << internal::format_float4(std::bit_cast<float>(bits)) << '\n';
    }
  }
  return 0;
}
