// Internal to crypto/: the MEK held in process memory, shared by the env and file providers.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "crypto/master_key_provider.h"

namespace dbvault::crypto::internal {

// Decodes exactly `2 * bytes` hex digits into a SecretBytes. Errors (58000) name `source` and
// the problem (length, position of a bad character, all-zero key), never the digits.
Result<SecretBytes> decode_hex_key(std::string_view hex, std::size_t bytes,
                                   std::string_view source);

// A provider whose MEK is `mek` (32 bytes). REQUIRES: validate_key_id(id).ok().
std::unique_ptr<MasterKeyProvider> make_software_provider(std::string kind, std::string id,
                                                          SecretBytes mek);

}  // namespace dbvault::crypto::internal
