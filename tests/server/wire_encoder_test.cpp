// The backend half of the codec: every message against bytes written by hand from the
// protocol documentation's "Message Formats".
#include <boost/test/unit_test.hpp>

#include "server/wire/encoder.h"
#include "tests/server/wire_test_util.h"

using namespace dbvault;
using namespace dbvault::server::wire;
using dbvault::server::wire::test::from_hex;
using dbvault::server::wire::test::to_hex;

namespace {
template <typename F>
std::string encoded(F&& f) {
  std::string out = "prefix";  // appending must keep what is already there
  f(out);
  BOOST_REQUIRE(out.starts_with("prefix"));
  return out.substr(6);
}
#define CHECK_BYTES(call, hex) \
  BOOST_TEST(to_hex(encoded([&](std::string& out) { call; })) == to_hex(from_hex(hex)))
}  // namespace

BOOST_AUTO_TEST_SUITE(wire_encoder)

BOOST_AUTO_TEST_CASE(authentication_messages) {
  CHECK_BYTES(append_authentication_ok(out), "52 00000008 00000000");
  CHECK_BYTES(append_authentication_cleartext_password(out), "52 00000008 00000003");
  const std::vector<std::string> mechs{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"};
  CHECK_BYTES(append_authentication_sasl(out, mechs),
              "52 0000002a 0000000a 534352414d2d5348412d3235362d504c555300"
              "534352414d2d5348412d32353600 00");
  CHECK_BYTES(append_authentication_sasl_continue(out, "r=abc"), "52 0000000d 0000000b 723d616263");
  CHECK_BYTES(append_authentication_sasl_final(out, "v=x"), "52 0000000b 0000000c 763d78");
  CHECK_BYTES(append_ssl_answer(out, true), "53");
  CHECK_BYTES(append_ssl_answer(out, false), "4e");
  CHECK_BYTES(append_gssenc_answer(out), "4e");
}

BOOST_AUTO_TEST_CASE(session_start_messages) {
  CHECK_BYTES(append_parameter_status(out, "client_encoding", "UTF8"),
              "53 00000019 636c69656e745f656e636f64696e6700 5554463800");
  CHECK_BYTES(append_backend_key_data(out, 42, -1), "4b 0000000c 0000002a ffffffff");
  const std::vector<std::string> options{"_pq_.x"};
  CHECK_BYTES(append_negotiate_protocol_version(out, 0, options),
              "76 00000013 00030000 00000001 5f70715f2e7800");
  CHECK_BYTES(append_ready_for_query(out, 'I'), "5a 00000005 49");
  CHECK_BYTES(append_ready_for_query(out, 'T'), "5a 00000005 54");
  CHECK_BYTES(append_ready_for_query(out, 'E'), "5a 00000005 45");
}

BOOST_AUTO_TEST_CASE(result_messages) {
  const FieldDescription id{"id", 16384, 1, 23, 4, -1, Format::kText};
  CHECK_BYTES((void)append_row_description(out, std::span(&id, 1)),
              "54 0000001b 0001 696400 00004000 0001 00000017 0004 ffffffff 0000");
  const std::vector<std::optional<std::string>> row{"1", std::nullopt, ""};
  CHECK_BYTES((void)append_data_row(out, row), "44 00000013 0003 00000001 31 ffffffff 00000000");
  CHECK_BYTES(append_command_complete(out, "SELECT 1"), "43 0000000d 53454c454354203100");
  CHECK_BYTES(append_empty_query_response(out), "49 00000004");
  CHECK_BYTES(append_no_data(out), "6e 00000004");
  CHECK_BYTES(append_portal_suspended(out), "73 00000004");
}

BOOST_AUTO_TEST_CASE(extended_query_acknowledgements) {
  CHECK_BYTES(append_parse_complete(out), "31 00000004");
  CHECK_BYTES(append_bind_complete(out), "32 00000004");
  CHECK_BYTES(append_close_complete(out), "33 00000004");
  const std::vector<Oid> oids{23, 25};
  CHECK_BYTES((void)append_parameter_description(out, oids), "74 0000000e 0002 00000017 00000019");
  CHECK_BYTES((void)append_parameter_description(out, {}), "74 00000006 0000");
}

BOOST_AUTO_TEST_CASE(copy_messages) {
  const std::vector<Format> text2{Format::kText, Format::kText};
  const std::vector<Format> binary1{Format::kBinary};
  CHECK_BYTES((void)append_copy_in_response(out, Format::kText, text2),
              "47 0000000b 00 0002 0000 0000");
  CHECK_BYTES((void)append_copy_out_response(out, Format::kBinary, binary1),
              "48 00000009 01 0001 0001");
  CHECK_BYTES((void)append_copy_data(out, std::string("a\0b", 3)), "64 00000007 610062");
  CHECK_BYTES(append_copy_done(out), "63 00000004");
}

BOOST_AUTO_TEST_CASE(error_and_notice_responses) {
  Error e = make_error(sqlstate::kInsufficientPrivilege, "realm r is locked");
  e.position = 15;
  const std::string fields =
      "53 4552524f5200 56 4552524f5200 43 3432353031 00 4d7265616c6d207220697320"
      "6c6f636b656400 50313500 00";
  CHECK_BYTES(append_error_response(out, error_fields(e)), "45 00000031" + fields);
  CHECK_BYTES(append_notice_response(out, error_fields(e)), "4e 00000031" + fields);
  ErrorFields all;
  all.severity = "FATAL";
  all.code = "08P01";
  all.message = "m";
  all.detail = "d";
  all.hint = "h";
  all.internal_position = 2;
  all.internal_query = "q";
  all.where = "w";
  all.schema_name = "s";
  all.table_name = "t";
  all.column_name = "c";
  all.data_type_name = "dt";
  all.constraint_name = "n";
  CHECK_BYTES(append_error_response(out, all),
              "45 0000003c 53464154414c00 56464154414c00 43 3038503031 00"
              "4d6d00 446400 486800 703200 717100 577700 737300 747400 636300 64647400 6e6e00 00");
}

BOOST_AUTO_TEST_CASE(strings_with_an_embedded_nul_are_truncated_not_malformed) {
  CHECK_BYTES(append_command_complete(out, std::string("SEL\0ECT 1", 9)), "43 00000008 53454c00");
  CHECK_BYTES(append_parameter_status(out, std::string("a\0b", 3), std::string("c\0d", 3)),
              "53 00000008 6100 6300");
  const FieldDescription f{std::string("x\0y", 3), 0, 0, 25, -1, -1, Format::kBinary};
  CHECK_BYTES((void)append_row_description(out, std::span(&f, 1)),
              "54 0000001a 0001 7800 00000000 0000 00000019 ffff ffffffff 0001");
}

BOOST_AUTO_TEST_CASE(counts_beyond_int16_are_refused_and_append_nothing) {
  std::string out = "kept";
  const std::vector<std::optional<std::string>> wide(32768, std::string("v"));
  auto s = append_data_row(out, wide);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == sqlstate::kProgramLimitExceeded);
  BOOST_TEST(out == "kept");
  const std::vector<Oid> oids(40000, 23);
  BOOST_TEST(!append_parameter_description(out, oids).ok());
  const std::vector<FieldDescription> fields(32768);
  BOOST_TEST(!append_row_description(out, fields).ok());
  const std::vector<Format> formats(32768);
  BOOST_TEST(!append_copy_in_response(out, Format::kText, formats).ok());
  BOOST_TEST(out == "kept");
  BOOST_TEST(append_data_row(out, std::span(wide).first(32767)).ok());
}

BOOST_AUTO_TEST_SUITE_END()
