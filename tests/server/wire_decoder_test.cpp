// The frontend half of the codec: hand-written byte vectors (from the protocol documentation's
// "Message Formats") decoded into typed messages, fed whole, split at every byte boundary and
// several at once; every kind of malformed input; the limits.
#include <boost/test/unit_test.hpp>

#include "server/wire/decoder.h"
#include "tests/server/wire_test_util.h"

using namespace dbvault;
using namespace dbvault::server::wire;
using dbvault::server::wire::test::from_hex;

namespace {

struct Vector {
  std::string bytes;
  FrontendMessage message;
};

// A session as a client would send it: a StartupMessage, then one of each normal message.
std::vector<Vector> session_vectors() {
  Startup startup;
  startup.parameters = {{"user", "alice"}, {"database", "db"}};
  Bind bind;
  bind.statement = "s1";
  bind.param_formats = {Format::kBinary};
  bind.params = {std::string("\0\0\0\x2a", 4), std::nullopt};
  bind.result_formats = {Format::kBinary};
  return {
      {from_hex("00000020 00030000 7573657200 616c69636500 646174616261736500 646200 00"), startup},
      {from_hex("51 0000000d 53454c454354203100"), Query{"SELECT 1"}},
      {from_hex("50 00000017 733100 53454c45435420243100 0001 00000017"),
       Parse{"s1", "SELECT $1", {23}}},
      {from_hex("42 0000001e 00 733100 0001 0001 0002 00000004 0000002a ffffffff 0001 0001"), bind},
      {from_hex("44 00000008 53 733100"), Describe{'S', "s1"}},
      {from_hex("45 00000009 00 0000000a"), Execute{"", 10}},
      {from_hex("48 00000004"), Flush{}},
      {from_hex("53 00000004"), Sync{}},
      {from_hex("43 00000006 50 00"), Close{'P', ""}},
      {from_hex("64 00000008 6109620a"), CopyData{"a\tb\n"}},
      {from_hex("63 00000004"), CopyDone{}},
      {from_hex("66 00000009 6f6f707300"), CopyFail{"oops"}},
      {from_hex("70 00000019 534352414d2d5348412d32353600 00000003 6e2c2c"),
       PasswordPacket{SecretString(from_hex("534352414d2d5348412d32353600 00000003 6e2c2c"))}},
      {from_hex("46 00000013 0000063e 0000 0001 00000001 78 0000"), FunctionCall{1598}},
      {from_hex("58 00000004"), Terminate{}},
  };
}

std::string concat(const std::vector<Vector>& vs) {
  std::string all;
  for (const auto& v : vs) all += v.bytes;
  return all;
}

// Every message the decoder has ready; fails the test on a decoding error.
void drain(Decoder& d, std::vector<FrontendMessage>& out) {
  for (;;) {
    auto m = d.next();
    BOOST_REQUIRE_MESSAGE(m.ok(), (m.ok() ? std::string() : m.error().message));
    if (!m->has_value()) return;
    out.push_back(std::move(**m));
  }
}

// The error of decoding `bytes` in `phase` (fed whole).
Error decode_error(std::string_view bytes, Phase phase = Phase::kNormal,
                   DecoderOptions options = {}) {
  options.phase = phase;
  Decoder d(options);
  d.feed(bytes);
  for (;;) {
    auto m = d.next();
    if (!m.ok()) {
      BOOST_TEST(d.failed());
      return m.error();
    }
    if (!m->has_value()) {
      BOOST_FAIL("no error for " + test::to_hex(bytes));
      return {};
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_decoder)

BOOST_AUTO_TEST_CASE(each_message_decodes_from_its_documented_bytes) {
  for (const auto& v : session_vectors()) {
    Decoder d;
    if (!std::holds_alternative<Startup>(v.message)) d.set_phase(Phase::kNormal);
    d.feed(v.bytes);
    auto m = d.next();
    BOOST_REQUIRE_MESSAGE(m.ok(), (m.ok() ? std::string() : m.error().message));
    BOOST_REQUIRE(m->has_value());
    BOOST_TEST_INFO(message_name(v.message));
    BOOST_TEST((**m == v.message));
    BOOST_TEST(d.buffered() == 0u);
    auto again = d.next();
    BOOST_TEST((again.ok() && !again->has_value()));
  }
}

BOOST_AUTO_TEST_CASE(a_stream_split_at_every_byte_boundary_gives_the_same_messages) {
  const auto vs = session_vectors();
  const std::string all = concat(vs);
  for (std::size_t cut = 0; cut <= all.size(); ++cut) {
    Decoder d;
    std::vector<FrontendMessage> got;
    d.feed(std::string_view(all).substr(0, cut));
    drain(d, got);
    d.feed(std::string_view(all).substr(cut));
    drain(d, got);
    BOOST_TEST_INFO("cut at " << cut);
    BOOST_REQUIRE(got.size() == vs.size());
    for (std::size_t i = 0; i < vs.size(); ++i) BOOST_TEST((got[i] == vs[i].message));
  }
}

BOOST_AUTO_TEST_CASE(a_stream_fed_one_byte_at_a_time_or_all_at_once) {
  const auto vs = session_vectors();
  const std::string all = concat(vs);
  Decoder bytewise;
  std::vector<FrontendMessage> got;
  for (char c : all) {
    bytewise.feed(std::string_view(&c, 1));
    drain(bytewise, got);
  }
  BOOST_TEST(got.size() == vs.size());
  Decoder whole;
  std::vector<FrontendMessage> at_once;
  whole.feed(all);
  drain(whole, at_once);
  BOOST_TEST(at_once.size() == vs.size());
  BOOST_TEST((got == at_once));
}

BOOST_AUTO_TEST_CASE(startup_phase_requests) {
  Decoder d;
  d.feed(from_hex("00000008 04d2162f"));
  auto m = d.next();
  BOOST_REQUIRE(m.ok());
  BOOST_TEST(std::holds_alternative<SslRequest>(**m));
  BOOST_TEST((d.phase() == Phase::kStartup));  // the StartupMessage follows the answer
  d.feed(from_hex("00000008 04d21630"));
  BOOST_TEST(std::holds_alternative<GssEncRequest>(**d.next()));
  d.feed(from_hex("00000010 04d2162e 00003039 fffffffe"));
  BOOST_TEST((**d.next() == FrontendMessage(CancelRequest{12345, -2})));
}

BOOST_AUTO_TEST_CASE(startup_with_a_newer_minor_version_and_protocol_options) {
  Decoder d;
  d.feed(from_hex("0000001b 00030001 7573657200 6100 5f70715f2e666f6f00 3100 00"));
  auto m = d.next();
  BOOST_REQUIRE((m.ok() && m->has_value()));
  const auto& s = std::get<Startup>(**m);
  BOOST_TEST(s.minor_version() == 1);
  BOOST_TEST(*s.parameter("user") == "a");
  BOOST_TEST(!s.parameter("database").has_value());
  BOOST_TEST(s.protocol_options() == std::vector<std::string>{"_pq_.foo"});
  BOOST_TEST((d.phase() == Phase::kNormal));
}

BOOST_AUTO_TEST_CASE(unencrypted_bytes_after_an_ssl_request_are_refused) {
  // CVE-2021-23214: bytes sent behind SSLRequest must not be read as if they came over TLS.
  const Error e = decode_error(from_hex("00000008 04d2162f 51"), Phase::kStartup);
  BOOST_TEST(e.code == sqlstate::kProtocolViolation);
  BOOST_TEST(e.message == "received unencrypted data after SSL request");
  BOOST_TEST(decode_error(from_hex("00000008 04d21630 00"), Phase::kStartup).code ==
             sqlstate::kProtocolViolation);
}

BOOST_AUTO_TEST_CASE(unsupported_protocol_versions_are_0A000) {
  const Error v2 = decode_error(from_hex("00000009 00020000 00"), Phase::kStartup);
  BOOST_TEST(v2.code == sqlstate::kFeatureNotSupported);
  BOOST_TEST(v2.message == "unsupported frontend protocol 2.0: server supports 3.0 to 3.0");
  BOOST_TEST(decode_error(from_hex("00000009 00040000 00"), Phase::kStartup).code ==
             sqlstate::kFeatureNotSupported);
  BOOST_TEST(decode_error(from_hex("00000009 04d2162d 00"), Phase::kStartup).code ==
             sqlstate::kFeatureNotSupported);
}

struct Malformed {
  Phase phase;
  std::string_view hex;
  std::string_view message;
};

BOOST_AUTO_TEST_CASE(malformed_messages_are_08P01_with_a_precise_message) {
  const Phase S = Phase::kStartup, N = Phase::kNormal;
  const Malformed cases[] = {
      // lengths
      {S, "00000007 00030000", "invalid length of startup packet"},
      {S, "ffffffff", "invalid length of startup packet"},
      {S, "00002711", "invalid length of startup packet"},  // 10001 > 10000
      {N, "51 00000003", "invalid message length"},
      {N, "51 80000000", "invalid message length"},
      // unknown type byte, rejected before any length is read
      {N, "5a", "invalid frontend message type 90"},
      {N, "16", "invalid frontend message type 22"},  // a TLS record in a plaintext stream
      // fields that overrun the message or lack their NUL
      {N, "51 00000008 53454c45", "invalid Query message: missing string terminator"},
      {N, "50 00000009 00 7800 0001", "invalid Parse message: message too short"},
      {N, "44 00000004", "invalid Describe message: message too short"},
      {N, "42 0000000f 00 00 0000 0001 00000005 78",
       "invalid Bind message: value overruns the message"},
      {N, "45 00000007 00 0000", "invalid Execute message: message too short"},
      {N, "66 00000005 78", "invalid CopyFail message: missing string terminator"},
      // negative counts and lengths
      {N, "50 00000009 00 7800 ffff", "invalid Parse message: negative count"},
      {N, "42 00000008 00 00 ffff", "invalid Bind message: negative count"},
      {N, "42 00000010 00 00 0000 0001 fffffffe 0000",
       "invalid Bind message: negative value length"},
      // inconsistent counts and bad codes
      {N, "42 00000014 00 00 0002 0000 0000 0001 ffffffff 0000",
       "invalid Bind message: 2 parameter formats for 1 parameters"},
      {N, "42 0000000e 00 00 0001 0002 0000 0000",
       "invalid Bind message: unsupported format code 2"},
      {N, "44 00000006 58 00", "invalid Describe message: kind must be 'S' or 'P'"},
      {N, "43 00000006 00 00", "invalid Close message: kind must be 'S' or 'P'"},
      // trailing garbage inside a message
      {N, "53 00000005 00", "invalid Sync message: unexpected bytes at the end"},
      {N, "51 00000007 7800 79", "invalid Query message: unexpected bytes at the end"},
      {N, "45 0000000a 00 00000000 00", "invalid Execute message: unexpected bytes at the end"},
      {S, "00000010 04d2162f 00000000 00000000",
       "invalid startup message: unexpected bytes at the end"},
      {S, "0000000c 04d2162e 00000001", "invalid startup message: message too short"},
      {S, "0000000d 00030000 7500 7600 78", "invalid startup message: missing string terminator"},
      {S, "0000000e 00030000 7500 7600 00 78",
       "invalid startup message: unexpected bytes at the end"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_INFO(c.hex);
    const Error e = decode_error(from_hex(c.hex), c.phase);
    BOOST_TEST(e.code == sqlstate::kProtocolViolation);
    BOOST_TEST(e.message == c.message);
  }
}

BOOST_AUTO_TEST_CASE(an_oversized_length_prefix_is_refused_before_buffering_its_body) {
  // 1 GiB announced, a little sent: refused as soon as the length word is complete.
  const std::string head = from_hex("51 40000000");
  Decoder d({.phase = Phase::kNormal});
  d.feed(head.substr(0, 3));
  BOOST_TEST((d.next().ok() && !d.next()->has_value()));  // not enough for the length yet
  d.feed(head.substr(3));
  auto m = d.next();
  BOOST_REQUIRE(!m.ok());
  BOOST_TEST(m.error().code == sqlstate::kProtocolViolation);
  BOOST_TEST(m.error().message ==
             "message of 1073741824 bytes exceeds the limit of 67108864 bytes");
  BOOST_TEST(d.buffered() == 0u);
  d.feed(std::string(1 << 16, 'x'));  // the rest the client keeps sending is dropped
  BOOST_TEST(d.buffered() == 0u);
  // The same in the startup phase.
  BOOST_TEST(decode_error(from_hex("40000000 00030000"), Phase::kStartup).message ==
             "invalid length of startup packet");
}

BOOST_AUTO_TEST_CASE(a_message_under_the_limit_is_buffered_only_as_its_bytes_arrive) {
  Decoder d({.max_message_size = 1 << 20, .phase = Phase::kNormal});
  d.feed(from_hex("64 00100000"));  // CopyData of exactly the limit
  d.feed(std::string(100, 'a'));
  BOOST_TEST((d.next().ok() && !d.next()->has_value()));
  BOOST_TEST(d.buffered() == 105u);
  d.feed(std::string((1 << 20) - 4 - 100, 'a'));
  auto m = d.next();
  BOOST_REQUIRE(m.ok());
  BOOST_TEST(std::get<CopyData>(**m).bytes.size() == std::size_t{(1 << 20) - 4});
  BOOST_TEST(d.buffered() == 0u);
  // One byte over the limit is refused.
  BOOST_TEST(
      decode_error(from_hex("64 00100001"), Phase::kNormal, {.max_message_size = 1 << 20}).code ==
      sqlstate::kProtocolViolation);
}

// The Execute recheck skip (server/session/extended.cpp) relies on this: an Execute counts as
// waiting only once every byte of it is here (attack 15: a client that sent one byte of it
// could hold the rest back while its access ended).
BOOST_AUTO_TEST_CASE(next_is_complete_only_when_all_of_the_message_is_fed) {
  const std::string execute = from_hex("45 00000009 00 0000000a");
  for (std::size_t n = 0; n < execute.size(); ++n) {
    Decoder d({.phase = Phase::kNormal});
    d.feed(execute.substr(0, n));
    BOOST_TEST(!d.next_is_complete('E'), "after " << n << " bytes");
  }
  Decoder d({.phase = Phase::kNormal});
  d.feed(execute);
  BOOST_TEST(d.next_is_complete('E'));
  BOOST_TEST(!d.next_is_complete('S'));  // another type
  d.feed(from_hex("53 00000004"));
  BOOST_REQUIRE(d.next().ok());  // the Execute
  BOOST_TEST(d.next_is_complete('S'));
  Decoder startup;  // kStartup: no type byte to look at
  startup.feed(execute);
  BOOST_TEST(!startup.next_is_complete('E'));
}

BOOST_AUTO_TEST_CASE(messages_that_carry_only_a_name_have_a_small_limit) {
  for (char type : {'D', 'E', 'C', 'S', 'H', 'X', 'c'}) {
    BOOST_TEST_INFO(type);
    std::string head(1, type);
    head += from_hex("00002711");  // 10,001
    BOOST_TEST(decode_error(head).message ==
               "message of 10001 bytes exceeds the limit of 10000 bytes");
  }
  for (char type : {'Q', 'P', 'B', 'F', 'd', 'f', 'p'}) {
    BOOST_TEST_INFO(type);
    std::string head(1, type);
    head += from_hex("00002711");
    Decoder d({.phase = Phase::kNormal});
    d.feed(head);
    BOOST_TEST((d.next().ok() && !d.failed()));  // waits for the body
  }
}

BOOST_AUTO_TEST_CASE(the_limit_can_be_lowered_until_authentication) {
  Decoder d({.phase = Phase::kNormal});
  d.set_max_message_size(kMaxAuthMessageSize);
  d.feed(from_hex("70 0000ffff"));  // 65,535 bytes of body: the most PostgreSQL reads
  BOOST_TEST((d.next().ok() && !d.next()->has_value()));
  d.feed(std::string(65'531, 'x'));
  BOOST_TEST(std::holds_alternative<PasswordPacket>(**d.next()));
  d.feed(from_hex("70 00010004"));  // one byte more
  BOOST_TEST(d.next().error().message == "message of 65540 bytes exceeds the limit of 65539 bytes");
}

BOOST_AUTO_TEST_CASE(after_an_error_the_decoder_stays_failed) {
  Decoder d({.phase = Phase::kNormal});
  d.feed(from_hex("5a 00000004"));
  auto first = d.next();
  BOOST_REQUIRE(!first.ok());
  d.feed(from_hex("53 00000004"));  // a valid Sync afterwards changes nothing
  auto second = d.next();
  BOOST_REQUIRE(!second.ok());
  BOOST_TEST((second.error() == first.error()));
  BOOST_TEST(d.failed());
  BOOST_TEST(d.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(password_packet_payload_parsers) {
  auto initial = parse_sasl_initial(from_hex("534352414d2d5348412d32353600 00000003 6e2c2c"));
  BOOST_REQUIRE(initial.ok());
  BOOST_TEST(initial->mechanism == "SCRAM-SHA-256");
  BOOST_TEST(*initial->client_data == "n,,");
  auto no_data = parse_sasl_initial(from_hex("4d00 ffffffff"));
  BOOST_REQUIRE(no_data.ok());
  BOOST_TEST(!no_data->client_data.has_value());
  for (std::string_view bad :
       {"4d", "4d00 0000", "4d00 fffffffe", "4d00 00000004 6e2c2c", "4d00 00000001 6e2c"}) {
    BOOST_TEST_INFO(bad);
    auto r = parse_sasl_initial(from_hex(bad));
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == sqlstate::kProtocolViolation);
  }
  BOOST_TEST(*parse_sasl_response("c=biws,r=x,p=y") == "c=biws,r=x,p=y");
  auto pw = parse_password(test::cstr("secret"));
  BOOST_REQUIRE(pw.ok());
  BOOST_TEST(pw->reveal() == "secret");
  BOOST_TEST(parse_password("secret").error().code == sqlstate::kProtocolViolation);
  BOOST_TEST(parse_password(from_hex("7800 79")).error().code == sqlstate::kProtocolViolation);
}

BOOST_AUTO_TEST_CASE(bind_param_format_rule) {
  Bind b;
  b.params = {std::string("1"), std::string("2")};
  BOOST_TEST((b.param_format(1) == Format::kText));
  b.param_formats = {Format::kBinary};
  BOOST_TEST((b.param_format(1) == Format::kBinary));
  b.param_formats = {Format::kText, Format::kBinary};
  BOOST_TEST((b.param_format(0) == Format::kText));
  BOOST_TEST((b.param_format(1) == Format::kBinary));
}

BOOST_AUTO_TEST_SUITE_END()
