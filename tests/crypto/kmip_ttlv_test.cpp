// The KMIP TTLV codec against the encoding examples of the KMIP 1.x specification (§9.1.2;
// the same byte strings recur in the OASIS "KMIP Test Cases" documents), written out here by
// hand, plus malformed input, which must give a clear 08P01 error and never a crash.
#include <boost/test/unit_test.hpp>

#include "crypto/kmip/messages.h"
#include "crypto/kmip/tags.h"
#include "crypto/kmip/ttlv.h"
#include "tests/crypto/test_util.h"

using namespace dbvault;
using namespace dbvault::crypto::kmip;
using dbvault::crypto::test::from_hex;
using dbvault::crypto::test::to_hex;

namespace {

constexpr std::uint32_t kTag = 0x420020;  // Application Specific Information, as in the spec

void expect_round_trip(const Item& item, const std::string& hex) {
  BOOST_TEST(to_hex(encode(item)) == hex);
  BOOST_TEST(encoded_size(item) == hex.size() / 2);
  auto back = decode(from_hex(hex));
  BOOST_REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().message));
  BOOST_TEST((*back == item));
}

void expect_malformed(const std::string& hex, const std::string& part) {
  auto r = decode(from_hex(hex));
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == sqlstate::kProtocolViolation.code());
  BOOST_TEST_MESSAGE(r.error().message);
  BOOST_TEST(r.error().message.find(part) != std::string::npos, r.error().message);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kmip_ttlv)

BOOST_AUTO_TEST_CASE(spec_examples_encode_and_decode_byte_exactly) {
  expect_round_trip(Item::integer(kTag, 8), "42002002000000040000000800000000");
  expect_round_trip(Item::long_integer(kTag, 123456789000000000),
                    "420020030000000801b69b4ba5749200");
  expect_round_trip(Item::big_integer(kTag, from_hex("0000000003fd35eb6bc2df4618080000")),
                    "42002004000000100000000003fd35eb6bc2df4618080000");
  expect_round_trip(Item::enumeration(kTag, 255), "4200200500000004000000ff00000000");
  expect_round_trip(Item::boolean(kTag, true), "42002006000000080000000000000001");
  expect_round_trip(Item::text(kTag, "Hello World"),
                    "420020070000000b48656c6c6f20576f726c640000000000");
  expect_round_trip(Item::bytes(kTag, from_hex("010203")), "42002008000000030102030000000000");
  // Friday, March 14, 2008, 11:56:40 GMT
  expect_round_trip(Item::date_time(kTag, 1205495800), "42002009000000080000000047da67f8");
  // 10 days
  expect_round_trip(Item::interval(kTag, 864000), "4200200a00000004000d2f0000000000");
  // A structure holding an Enumeration 254 (tag 420004) and an Integer 255 (tag 420005).
  expect_round_trip(
      Item::structure(kTag, {Item::enumeration(0x420004, 254), Item::integer(0x420005, 255)}),
      "42002001000000204200040500000004000000fe000000004200050200000004000000ff00000000");
}

BOOST_AUTO_TEST_CASE(edge_values_round_trip) {
  expect_round_trip(Item::integer(kTag, -1), "4200200200000004ffffffff00000000");
  expect_round_trip(Item::long_integer(kTag, INT64_MIN), "42002003000000088000000000000000");
  expect_round_trip(Item::boolean(kTag, false), "42002006000000080000000000000000");
  expect_round_trip(Item::text(kTag, ""), "4200200700000000");
  expect_round_trip(Item::bytes(kTag, from_hex("0102030405060708")),
                    "42002008000000080102030405060708");
  expect_round_trip(Item::structure(kTag), "4200200100000000");
  expect_round_trip(Item::enumeration(0x540001, 1), "54000105000000040000000100000000");
}

BOOST_AUTO_TEST_CASE(a_request_message_has_the_layout_of_the_specification) {
  // Activate "1" with protocol 1.4: header (version, maximum response size, batch count) and
  // one batch item (operation, payload).
  const Item msg = request_message(Operation::kActivate, unique_id_payload("1"));
  auto back = decode(encode(msg));
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(back->tag() == tag::kRequestMessage);
  const Item* header = back->find(tag::kRequestHeader);
  BOOST_REQUIRE(header != nullptr);
  const Item* version = header->find(tag::kProtocolVersion);
  BOOST_REQUIRE(version != nullptr);
  BOOST_TEST(version->find(tag::kProtocolVersionMajor)->number() == 1);
  BOOST_TEST(version->find(tag::kProtocolVersionMinor)->number() == 4);
  BOOST_TEST(header->find(tag::kBatchCount)->number() == 1);
  const Item* batch = back->find(tag::kBatchItem);
  BOOST_REQUIRE(batch != nullptr);
  BOOST_TEST(batch->find(tag::kOperation)->number() == 0x12);
  BOOST_TEST(batch->find(tag::kRequestPayload)->find(tag::kUniqueIdentifier)->text_value() == "1");
}

BOOST_AUTO_TEST_CASE(a_failed_response_reports_reason_and_message) {
  const Item failed = Item::structure(
      tag::kResponseMessage,
      {Item::structure(tag::kResponseHeader, {Item::integer(tag::kBatchCount, 1)}),
       Item::structure(
           tag::kBatchItem,
           {Item::enumeration(tag::kOperation, 0x20), Item::enumeration(tag::kResultStatus, 1),
            Item::enumeration(tag::kResultReason, 0x0C),
            Item::text(tag::kResultMessage, "The key must be Active.")})});
  auto r = response_payload(failed, Operation::kDecrypt);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code.code() == sqlstate::kSystemError.code());
  BOOST_TEST(r.error().message == "Decrypt failed: Permission Denied: The key must be Active.");
  // Server text cannot forge log lines.
  Item forged = failed;
  forged.children()[1].children()[3] = Item::text(tag::kResultMessage, "ok\n[info] forged");
  auto f = response_payload(forged, Operation::kDecrypt);
  BOOST_REQUIRE(!f.ok());
  BOOST_TEST(f.error().message == "Decrypt failed: Permission Denied: ok?[info] forged");
  const Item bad_id =
      Item::structure(tag::kResponsePayload, {Item::text(tag::kUniqueIdentifier, "1\n2")});
  BOOST_TEST(!unique_id_of(bad_id, Operation::kCreate).ok());
  BOOST_TEST(!unique_ids_of(bad_id).ok());
  // An answer to another operation is refused.
  BOOST_TEST(!response_payload(failed, Operation::kEncrypt).ok());
  BOOST_TEST(!response_payload(Item::structure(tag::kRequestMessage), Operation::kDecrypt).ok());
}

BOOST_AUTO_TEST_CASE(a_locate_response_recorded_from_pykmip_parses) {
  // PyKMIP 0.10's answer to a Locate that found object "1" (protocol 1.2, with a Time Stamp).
  const std::string hex =
      "42007b010000009042007a0100000048420069010000002042006a02000000040000000100000000"
      "42006b020000000400000002000000004200920900000008000000006b0eba8b42000d0200000004"
      "000000010000000042000f010000003842005c0500000004000000080000000042007f0500000004"
      "0000000000000000"
      "42007c010000001042009407000000013100000000000000";
  auto message = decode(from_hex(hex));
  BOOST_REQUIRE_MESSAGE(message.ok(), (message.ok() ? "" : message.error().message));
  BOOST_TEST(to_hex(encode(*message)) == hex);
  auto payload = response_payload(*message, Operation::kLocate);
  BOOST_REQUIRE(payload.ok());
  auto ids = unique_ids_of(*payload);
  BOOST_REQUIRE(ids.ok());
  BOOST_TEST(ids->size() == 1u);
  BOOST_TEST(ids->at(0) == "1");
}

BOOST_AUTO_TEST_CASE(malformed_input_gives_a_clear_error) {
  expect_malformed("", "truncated item header");
  expect_malformed("42002002000000", "truncated item header");
  expect_malformed("43002002000000040000000800000000", "neither 0x42 nor 0x54");
  expect_malformed("4200200b000000040000000800000000", "unknown item type");
  expect_malformed("42002002000000050000000800000000", "wrong length");
  expect_malformed("42002006000000080000000000000002", "neither 0 nor 1");
  expect_malformed("42002008000000030102030000000001", "non-zero padding");
  expect_malformed("42002008000000090102030000000000", "runs past the end");
  expect_malformed("420020040000000c000000000000000000000000", "big integer length");
  expect_malformed("4200200100000009", "structure length");
  expect_malformed("42002002000000040000000800000000ff", "trailing bytes");
  // A child claiming more than its parent holds, though the buffer has the bytes.
  expect_malformed("4200200100000008420020070000000848656c6c6f20576f", "runs past the end");
  // Lengths near 2^32 must not wrap around.
  expect_malformed("42002008fffffff801020300000000", "runs past the end");
}

BOOST_AUTO_TEST_CASE(nesting_and_item_count_are_bounded) {
  Item deep = Item::integer(kTag, 1);
  for (std::size_t i = 0; i <= kMaxDepth; ++i) deep = Item::structure(kTag, {deep});
  expect_malformed(to_hex(encode(deep)), "nesting deeper");
  std::vector<Item> many(kMaxItems, Item::boolean(kTag, true));
  expect_malformed(to_hex(encode(Item::structure(kTag, many))), "more than");
}

BOOST_AUTO_TEST_CASE(message_size_reads_the_outer_header) {
  auto ok = message_size(from_hex("4200780100000120"));
  BOOST_REQUIRE(ok.ok());
  BOOST_TEST(*ok == 0x128u);
  BOOST_TEST(!message_size(from_hex("4200780200000004")).ok());  // not a structure
  BOOST_TEST(!message_size(from_hex("4200780100000121")).ok());  // not a multiple of 8
  BOOST_TEST(!message_size(from_hex("42007801ffffff00")).ok());  // larger than 1 MiB
  BOOST_TEST(!message_size(from_hex("1600780100000010")).ok());  // not a KMIP tag
}

BOOST_AUTO_TEST_SUITE_END()
