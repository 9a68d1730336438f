// CIDR blocks for IN_CIDR(client_ip, '10.0.0.0/8'): IPv4 and IPv6, with or without a prefix
// length (a bare address is a /32 or /128).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace dbvault::grammar {

struct Cidr {
  bool v6 = false;
  std::array<std::uint8_t, 16> address{};  // IPv4 uses the first 4 bytes
  int prefix = 0;

  // True if `ip` (an address, no prefix) lies in this block; false for a malformed address
  // or a different family (an IPv4-mapped IPv6 address counts as IPv4).
  bool contains(std::string_view ip) const;
};

// Errors: 22023 with the offending text named.
Result<Cidr> parse_cidr(std::string_view text);

}  // namespace dbvault::grammar
