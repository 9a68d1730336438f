#include "crypto/kmip/messages.h"

namespace dbvault::crypto::kmip {
namespace {

constexpr std::int32_t kMaxResponseBytes = 64 * 1024;

Error bad_response(Operation op, const std::string& what) {
  return make_error(sqlstate::kSystemError,
                    "KMIP " + std::string(operation_name(op)) + " response: " + what);
}

Item attribute(std::string_view name, Item value) {
  return Item::structure(tag::kAttribute,
                         {Item::text(tag::kAttributeName, name), std::move(value)});
}

Item name_value(std::string_view name) {
  return Item::structure(tag::kAttributeValue, {Item::text(tag::kNameValue, name),
                                                Item::enumeration(tag::kNameType, kNameTypeText)});
}

Item gcm_parameters() {
  return Item::structure(tag::kCryptographicParameters,
                         {Item::enumeration(tag::kBlockCipherMode, kBlockCipherModeGcm),
                          Item::enumeration(tag::kCryptographicAlgorithm, kAlgorithmAes),
                          Item::integer(tag::kTagLength, 16)});
}

Item gcm_payload(std::string_view unique_id, const GcmInput& in, bool with_tag) {
  std::vector<Item> fields{Item::text(tag::kUniqueIdentifier, unique_id), gcm_parameters(),
                           Item::bytes(tag::kData, in.data),
                           Item::bytes(tag::kIvCounterNonce, in.iv),
                           Item::bytes(tag::kAuthenticatedEncryptionAdditionalData, in.aad)};
  if (with_tag) fields.push_back(Item::bytes(tag::kAuthenticatedEncryptionTag, in.tag));
  return Item::structure(tag::kRequestPayload, std::move(fields));
}

const Item* typed_child(const Item& parent, std::uint32_t t, ItemType type) {
  const Item* c = parent.find(t);
  return c != nullptr && c->type() == type ? c : nullptr;
}

Result<std::span<const std::uint8_t>> bytes_field(const Item& payload, std::uint32_t t,
                                                  Operation op, const char* what) {
  const Item* c = typed_child(payload, t, ItemType::kByteString);
  if (c == nullptr) return bad_response(op, std::string("no ") + what);
  return c->octets();
}

// Text from the server as it may appear in a message or log line: at most `max` bytes,
// anything but printable ASCII replaced, so a hostile server cannot forge log lines.
std::string printable(std::string_view text, std::size_t max) {
  std::string out(text.substr(0, max));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7E) c = '?';
  }
  return out;
}

// A Unique Identifier we will log and send back: 1..128 printable ASCII characters.
bool valid_unique_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && printable(id, id.size()) == id;
}

// Reason and message of a failed batch item, e.g. "Permission Denied: The key ...".
std::string failure_text(const Item& batch) {
  std::string text = "operation failed";
  if (const Item* r = typed_child(batch, tag::kResultReason, ItemType::kEnumeration))
    text = result_reason_name(static_cast<std::uint32_t>(r->number()));
  if (const Item* m = typed_child(batch, tag::kResultMessage, ItemType::kTextString)) {
    // The server's own words, bounded so a hostile server cannot flood the log.
    text += ": " + printable(m->text_value(), 256);
  }
  return text;
}

}  // namespace

std::string_view operation_name(Operation op) {
  switch (op) {
    case Operation::kCreate:
      return "Create";
    case Operation::kLocate:
      return "Locate";
    case Operation::kGetAttributes:
      return "Get Attributes";
    case Operation::kActivate:
      return "Activate";
    case Operation::kRevoke:
      return "Revoke";
    case Operation::kDestroy:
      return "Destroy";
    case Operation::kEncrypt:
      return "Encrypt";
    case Operation::kDecrypt:
      return "Decrypt";
  }
  return "operation";
}

std::string result_reason_name(std::uint32_t reason) {
  switch (reason) {
    case 0x01:
      return "Item Not Found";
    case 0x02:
      return "Response Too Large";
    case 0x03:
      return "Authentication Not Successful";
    case 0x04:
      return "Invalid Message";
    case 0x05:
      return "Operation Not Supported";
    case 0x06:
      return "Missing Data";
    case 0x07:
      return "Invalid Field";
    case 0x08:
      return "Feature Not Supported";
    case 0x0A:
      return "Cryptographic Failure";
    case 0x0B:
      return "Illegal Operation";
    case 0x0C:
      return "Permission Denied";
    case 0x0D:
      return "Object Archived";
    case 0x100:
      return "General Failure";
    default:
      break;
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "reason 0x";
  for (int shift = 12; shift >= 0; shift -= 4) s += kDigits[(reason >> shift) & 0xF];
  return s;
}

Item request_message(Operation op, Item payload) {
  Item version = Item::structure(tag::kProtocolVersion,
                                 {Item::integer(tag::kProtocolVersionMajor, kProtocolMajor),
                                  Item::integer(tag::kProtocolVersionMinor, kProtocolMinor)});
  Item header = Item::structure(
      tag::kRequestHeader,
      {std::move(version), Item::integer(tag::kMaximumResponseSize, kMaxResponseBytes),
       Item::integer(tag::kBatchCount, 1)});
  Item batch = Item::structure(
      tag::kBatchItem,
      {Item::enumeration(tag::kOperation, static_cast<std::uint32_t>(op)), std::move(payload)});
  return Item::structure(tag::kRequestMessage, {std::move(header), std::move(batch)});
}

Result<Item> response_payload(const Item& message, Operation op) {
  if (message.tag() != tag::kResponseMessage || message.type() != ItemType::kStructure)
    return bad_response(op, "not a Response Message");
  auto batches = message.find_all(tag::kBatchItem);
  if (batches.size() != 1 || batches[0]->type() != ItemType::kStructure)
    return bad_response(op, "expected exactly one batch item");
  const Item& batch = *batches[0];
  const Item* status = typed_child(batch, tag::kResultStatus, ItemType::kEnumeration);
  if (status == nullptr) return bad_response(op, "no Result Status");
  const Item* echoed = typed_child(batch, tag::kOperation, ItemType::kEnumeration);
  if (echoed != nullptr && echoed->number() != static_cast<std::int64_t>(op))
    return bad_response(op, "answers another operation");
  if (status->number() != kResultSuccess) {
    return make_error(sqlstate::kSystemError,
                      std::string(operation_name(op)) + " failed: " + failure_text(batch));
  }
  if (const Item* p = typed_child(batch, tag::kResponsePayload, ItemType::kStructure)) return *p;
  return Item::structure(tag::kResponsePayload);
}

Item create_aes256_payload(std::string_view name) {
  Item attrs = Item::structure(
      tag::kTemplateAttribute,
      {attribute("Cryptographic Algorithm", Item::enumeration(tag::kAttributeValue, kAlgorithmAes)),
       attribute("Cryptographic Length", Item::integer(tag::kAttributeValue, 256)),
       attribute("Cryptographic Usage Mask",
                 Item::integer(tag::kAttributeValue, kUsageEncrypt | kUsageDecrypt)),
       attribute("Name", name_value(name))});
  return Item::structure(
      tag::kRequestPayload,
      {Item::enumeration(tag::kObjectType, kObjectTypeSymmetricKey), std::move(attrs)});
}

Item locate_by_name_payload(std::string_view name) {
  return Item::structure(
      tag::kRequestPayload,
      {attribute("Object Type", Item::enumeration(tag::kAttributeValue, kObjectTypeSymmetricKey)),
       attribute("Name", name_value(name))});
}

Item unique_id_payload(std::string_view unique_id) {
  return Item::structure(tag::kRequestPayload, {Item::text(tag::kUniqueIdentifier, unique_id)});
}

Item get_attributes_payload(std::string_view unique_id, std::span<const std::string_view> names) {
  Item p = unique_id_payload(unique_id);
  for (std::string_view n : names) p.children().push_back(Item::text(tag::kAttributeName, n));
  return p;
}

Item revoke_payload(std::string_view unique_id, std::uint32_t reason) {
  Item p = unique_id_payload(unique_id);
  p.children().push_back(Item::structure(tag::kRevocationReason,
                                         {Item::enumeration(tag::kRevocationReasonCode, reason)}));
  return p;
}

Item encrypt_gcm_payload(std::string_view unique_id, const GcmInput& in) {
  return gcm_payload(unique_id, in, false);
}

Item decrypt_gcm_payload(std::string_view unique_id, const GcmInput& in) {
  return gcm_payload(unique_id, in, true);
}

Result<std::string> unique_id_of(const Item& payload, Operation op) {
  const Item* c = typed_child(payload, tag::kUniqueIdentifier, ItemType::kTextString);
  if (c == nullptr) return bad_response(op, "no Unique Identifier");
  if (!valid_unique_id(c->text_value()))
    return bad_response(op, "Unique Identifier is not 1..128 printable characters");
  return std::string(c->text_value());
}

Result<std::vector<std::string>> unique_ids_of(const Item& payload) {
  std::vector<std::string> ids;
  for (const Item* c : payload.find_all(tag::kUniqueIdentifier)) {
    if (c->type() != ItemType::kTextString || !valid_unique_id(c->text_value()))
      return bad_response(Operation::kLocate,
                          "Unique Identifier is not 1..128 printable characters");
    ids.emplace_back(c->text_value());
  }
  return ids;
}

const Item* attribute_value(const Item& payload, std::string_view name) {
  for (const Item* a : payload.find_all(tag::kAttribute)) {
    const Item* n = typed_child(*a, tag::kAttributeName, ItemType::kTextString);
    if (n != nullptr && n->text_value() == name) return a->find(tag::kAttributeValue);
  }
  return nullptr;
}

Result<std::span<const std::uint8_t>> data_of(const Item& payload, Operation op) {
  return bytes_field(payload, tag::kData, op, "Data");
}

Result<std::span<const std::uint8_t>> auth_tag_of(const Item& payload) {
  return bytes_field(payload, tag::kAuthenticatedEncryptionTag, Operation::kEncrypt,
                     "Authenticated Encryption Tag");
}

}  // namespace dbvault::crypto::kmip
