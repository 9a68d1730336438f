// libFuzzer target for the KMIP TTLV codec and message layer (crypto/kmip/), i.e. everything a
// hostile or broken key manager's bytes reach before they are trusted. Besides "no crash, no
// sanitizer report", it checks the codec's contracts:
//   - message_size() on the first 8 bytes never claims fewer than 8 or more than 1 MiB;
//   - whatever decode() accepts re-encodes to exactly the input bytes (TTLV has one encoding
//     per value), and encoded_size() agrees;
//   - the response parsers (response_payload for every operation, the field readers) accept or
//     refuse it without crashing, and refusals are 58000.
// Run: docs/keys.md "KMIP" (fuzzing).
#include <cstdint>
#include <cstdlib>
#include <span>

#include "crypto/kmip/messages.h"
#include "crypto/kmip/ttlv.h"

namespace {

using namespace dbvault;
using namespace dbvault::crypto::kmip;

constexpr Operation kOperations[] = {
    Operation::kCreate, Operation::kLocate,  Operation::kGetAttributes, Operation::kActivate,
    Operation::kRevoke, Operation::kDestroy, Operation::kEncrypt,       Operation::kDecrypt};

void check(bool ok) {
  if (!ok) std::abort();
}

void parse_as_response(const Item& message) {
  for (Operation op : kOperations) {
    auto payload = response_payload(message, op);
    if (!payload) {
      check(payload.error().code == sqlstate::kSystemError);
      continue;
    }
    (void)unique_id_of(*payload, op);
    (void)unique_ids_of(*payload);
    (void)data_of(*payload, op);
    (void)auth_tag_of(*payload);
    for (const char* name : {"State", "Name", "Cryptographic Length"}) {
      if (const Item* v = attribute_value(*payload, name)) (void)v->find(tag::kNameValue);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  if (size >= 8) {
    auto n = message_size(in.first(8));
    if (n) check(*n >= 8 && *n <= kMaxMessageBytes);
  }
  auto item = decode(in);
  if (!item) {
    check(item.error().code == sqlstate::kProtocolViolation);
    return 0;
  }
  const auto again = encode(*item);
  check(again.size() == size && std::equal(again.begin(), again.end(), in.begin()));
  check(encoded_size(*item) == size);
  parse_as_response(*item);
  return 0;
}
