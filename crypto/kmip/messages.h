// The KMIP message layer: request messages with one batch item, response parsing, and the
// request payloads and response fields of the operations dbvault uses. Pure functions over
// crypto/kmip/ttlv.h items; no I/O.
//
// Requests declare protocol version 1.4, the first version whose Encrypt/Decrypt carry the
// AES-GCM additional data and tag (PyKMIP 0.10 reads those fields only from 1.4 on).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/kmip/tags.h"
#include "crypto/kmip/ttlv.h"

namespace dbvault::crypto::kmip {

inline constexpr int kProtocolMajor = 1;
inline constexpr int kProtocolMinor = 4;

// "Create", "Decrypt", ...: for log lines and messages.
std::string_view operation_name(Operation op);
// The specification's name of a Result Reason ("Permission Denied"), or "reason 0x<hex>".
std::string result_reason_name(std::uint32_t reason);

// A Request Message carrying `payload` for `op` as its single batch item.
Item request_message(Operation op, Item payload);

// The Response Payload of a response to a request for `op`. 58000 when the message is not a
// Response Message with exactly one batch item for `op`, or when its Result Status is not
// Success; the error then names the operation, the Result Reason and the server's Result
// Message (e.g. "Decrypt failed: Permission Denied: The decryption key must be in the Active
// state..."). An absent payload is returned as an empty structure.
Result<Item> response_payload(const Item& message, Operation op);

// ---- request payloads ----
// Create: an AES-256 symmetric key usable for Encrypt and Decrypt, named `name`.
Item create_aes256_payload(std::string_view name);
// Locate: symmetric keys whose Name is `name`.
Item locate_by_name_payload(std::string_view name);
// Activate, Destroy: just the Unique Identifier.
Item unique_id_payload(std::string_view unique_id);
// Get Attributes: `names` of the object (KMIP 1.x attribute names, e.g. "State").
Item get_attributes_payload(std::string_view unique_id, std::span<const std::string_view> names);
// Revoke with Revocation Reason Code `reason` (e.g. kRevocationCessationOfOperation).
Item revoke_payload(std::string_view unique_id, std::uint32_t reason);

struct GcmInput {
  std::span<const std::uint8_t> data;  // plaintext (Encrypt) or ciphertext (Decrypt)
  std::span<const std::uint8_t> iv;    // 12 bytes
  std::span<const std::uint8_t> aad;
  std::span<const std::uint8_t> tag;  // Decrypt only: 16 bytes
};
// Encrypt / Decrypt with AES-GCM, a 16-byte tag, the caller's IV and additional data.
Item encrypt_gcm_payload(std::string_view unique_id, const GcmInput& in);
Item decrypt_gcm_payload(std::string_view unique_id, const GcmInput& in);

// ---- response fields (58000 "KMIP <op> response: ..." when missing or of the wrong type) ----
// Unique Identifiers must be 1..128 printable ASCII characters (they are logged and sent
// back); the server's Result Message is cut at 256 bytes with non-printable bytes replaced.
Result<std::string> unique_id_of(const Item& payload, Operation op);
// Locate: every Unique Identifier found (possibly none).
Result<std::vector<std::string>> unique_ids_of(const Item& payload);
// Get Attributes: the value item of the attribute named `name`, or nullptr if absent.
const Item* attribute_value(const Item& payload, std::string_view name);
// The Data field (Encrypt: ciphertext; Decrypt: plaintext).
Result<std::span<const std::uint8_t>> data_of(const Item& payload, Operation op);
// Encrypt: the Authenticated Encryption Tag.
Result<std::span<const std::uint8_t>> auth_tag_of(const Item& payload);

}  // namespace dbvault::crypto::kmip
