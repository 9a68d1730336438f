#include "grammar/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

namespace dbvault::grammar {
namespace {

// Parses an address into `out`; sets v6. IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4.
bool parse_address(std::string_view text, std::array<std::uint8_t, 16>& out, bool& v6) {
  const std::string s(text);
  out.fill(0);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out.data()) != 1) return false;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out.data(), kMapped, 12) == 0) {
    std::memmove(out.data(), out.data() + 12, 4);
    std::fill(out.begin() + 4, out.end(), 0);
    v6 = false;
    return true;
  }
  v6 = true;
  return true;
}

}  // namespace

Result<Cidr> parse_cidr(std::string_view text) {
  const auto bad = [&] {
    return make_error(sqlstate::kInvalidParameterValue,
                      "invalid CIDR block '" + std::string(text) +
                          "' (expected e.g. '10.0.0.0/8' or 'fd00::/8')");
  };
  Cidr c;
  const std::size_t slash = text.find('/');
  if (!parse_address(text.substr(0, slash), c.address, c.v6)) return bad();
  const int max = c.v6 ? 128 : 32;
  c.prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), c.prefix);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || c.prefix < 0 ||
        c.prefix > max) {
      return bad();
    }
  }
  return c;
}

bool Cidr::contains(std::string_view ip) const {
  std::array<std::uint8_t, 16> a{};
  bool is_v6 = false;
  if (!parse_address(ip, a, is_v6) || is_v6 != v6) return false;
  const int full = prefix / 8;
  if (std::memcmp(a.data(), address.data(), static_cast<std::size_t>(full)) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[static_cast<std::size_t>(full)] & mask) == (address[static_cast<std::size_t>(full)] & mask);
}

}  // namespace dbvault::grammar
