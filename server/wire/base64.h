// Internal to server/wire: base64 (RFC 4648 §4, with padding) for SCRAM attributes and
// verifiers. Decoding is strict: no whitespace, no missing padding, no stray bits.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dbvault::server::wire::internal {

std::string base64_encode(std::span<const std::uint8_t> bytes);
// nullopt unless `text` is canonical base64 (what base64_encode would produce).
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace dbvault::server::wire::internal
