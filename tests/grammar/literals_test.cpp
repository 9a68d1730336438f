// Interval, timestamp and CIDR literals, identifier quoting, and secrets.
#include <boost/test/unit_test.hpp>
#include <type_traits>

#include "grammar/cidr.h"
#include "grammar/grammar.h"

using namespace dbvault;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(intervals_parse_and_format_round_trip) {
  BOOST_TEST((*grammar::parse_interval("2 HOURS") == 7200s));
  BOOST_TEST((*grammar::parse_interval("90 minutes") == 5400s));
  BOOST_TEST((*grammar::parse_interval("1 hour 30 minutes") == 5400s));
  BOOST_TEST((*grammar::parse_interval(" 30 SECONDS ") == 30s));
  BOOST_TEST((*grammar::parse_interval("7 days") == 604800s));
  BOOST_TEST((*grammar::parse_interval("1 week 1 d 1 h 1 min 1 s") == 694861s));
  BOOST_TEST(grammar::format_interval(5400s) == "1 hour 30 minutes");
  BOOST_TEST(grammar::format_interval(86401s) == "1 day 1 second");
  for (auto s : {1s, 59s, 61s, 3600s, 90061s, 604800s}) {
    BOOST_TEST((*grammar::parse_interval(grammar::format_interval(s)) == s));
  }
  for (const char* bad : {"", "2", "hours", "2 parsecs", "0 s", "-1 hour", "1.5 hours", "2 hours 3"}) {
    auto r = grammar::parse_interval(bad);
    BOOST_TEST(!r.ok(), bad);
    if (!r.ok()) BOOST_TEST((r.error().code == sqlstate::kInvalidParameterValue));
  }
}

BOOST_AUTO_TEST_CASE(timestamps_accept_dates_times_and_offsets) {
  auto t = grammar::parse_timestamp("2025-10-11T04:30:00Z");
  BOOST_REQUIRE(t.ok());
  BOOST_TEST(grammar::format_timestamp(*t) == "2025-10-11T04:30:00Z");
  BOOST_TEST(grammar::format_timestamp(*grammar::parse_timestamp("2024-02-29 23:59")) ==
             "2024-02-29T23:59:00Z");
  BOOST_TEST(grammar::format_timestamp(*grammar::parse_timestamp("2025-01-01T00:30:00-01:00")) ==
             "2025-01-01T01:30:00Z");
  for (const char* bad : {"2025-02-29", "2025-13-01", "2025-1-1", "2025-01-01T25:00", "2025-01-01X",
                          "2025-01-01T10:00:00+2", "yesterday", ""}) {
    auto r = grammar::parse_timestamp(bad);
    BOOST_TEST(!r.ok(), bad);
    if (!r.ok()) BOOST_TEST((r.error().code == sqlstate::kInvalidDatetimeFormat));
  }
}

BOOST_AUTO_TEST_CASE(cidr_blocks_contain_the_right_addresses) {
  auto ten = grammar::parse_cidr("10.0.0.0/8");
  BOOST_REQUIRE(ten.ok());
  BOOST_TEST(ten->contains("10.255.1.2"));
  BOOST_TEST(!ten->contains("11.0.0.1"));
  BOOST_TEST(ten->contains("::ffff:10.1.2.3"));  // IPv4-mapped
  BOOST_TEST(!ten->contains("not an address"));
  auto odd = grammar::parse_cidr("192.168.1.128/25");
  BOOST_TEST(odd->contains("192.168.1.200"));
  BOOST_TEST(!odd->contains("192.168.1.127"));
  auto v6 = grammar::parse_cidr("fd00::/8");
  BOOST_TEST(v6->contains("fd12::1"));
  BOOST_TEST(!v6->contains("fe80::1"));
  BOOST_TEST(!v6->contains("10.0.0.1"));
  BOOST_TEST(grammar::parse_cidr("127.0.0.1")->contains("127.0.0.1"));
  BOOST_TEST(grammar::parse_cidr("0.0.0.0/0")->contains("8.8.8.8"));
  for (const char* bad : {"10.0.0.0/33", "10.0.0/8", "::/129", "10.0.0.0/", "10.0.0.0/x", "host"}) {
    BOOST_TEST(!grammar::parse_cidr(bad).ok(), bad);
  }
}

BOOST_AUTO_TEST_CASE(identifiers_are_quoted_only_when_needed) {
  BOOST_TEST(grammar::quote_identifier("users") == "users");
  BOOST_TEST(grammar::quote_identifier("Users") == "\"Users\"");
  BOOST_TEST(grammar::quote_identifier("a b") == "\"a b\"");
  BOOST_TEST(grammar::quote_identifier("a\"b") == "\"a\"\"b\"");
  BOOST_TEST(grammar::quote_identifier("realm") == "\"realm\"");
  BOOST_TEST(grammar::quote_identifier("null") == "\"null\"");
  BOOST_TEST(grammar::quote_identifier("1abc") == "\"1abc\"");
  BOOST_TEST(grammar::is_keyword("key_id"));
  BOOST_TEST(grammar::is_keyword("NULL"));
  BOOST_TEST(!grammar::is_keyword("users"));
  BOOST_TEST(grammar::quote_literal("it's") == "'it''s'");
}

BOOST_AUTO_TEST_CASE(secrets_are_redacted_and_never_echoed_in_errors) {
  const std::string secret = "Sup3r-S3cret-Vault-Pw";
  for (const std::string& sql : {"UNLOCK REALM r PASSWORD '" + secret + "'",
                                "UNLOCK REALM r TOKEN '" + secret + "'",
                                "CREATE USER u PASSWORD '" + secret + "'",
                                "ALTER USER u WITH PASSWORD '" + secret + "'",
                                "ALTER REALM r SET VAULT PASSWORD '" + secret + "'",
                                "CREATE REALM r REQUIRE VAULT PASSWORD '" + secret + "'",
                                "RESTORE DATABASE FROM 'f' DECRYPT WITH KEY 'k' VAULT PASSWORD '" +
                                    secret + "'",
                                "EXPLAIN VAULT UNLOCK REALM r PASSWORD '" + secret + "'"}) {
    auto r = grammar::parse(sql);
    BOOST_REQUIRE_MESSAGE(r.ok(), sql);
    BOOST_TEST(ast::carries_secret(*r), sql);
    BOOST_TEST(grammar::to_sql(*r).find(secret) == std::string::npos, sql);
    BOOST_TEST(grammar::to_sql(*r, grammar::Secrets::kReveal).find(secret) != std::string::npos);
  }
  BOOST_TEST(!ast::carries_secret(*grammar::parse("CREATE REALM r")));
  // Misplaced secrets in malformed statements are not repeated in the error.
  for (const std::string& sql : {"UNLOCK REALM r '" + secret + "'",
                                "UNLOCK REALM r PASSWORD '" + secret + "' '" + secret + "'",
                                "CREATE USER u '" + secret + "'",
                                "UNLOCK REALM r PASSWORD '" + secret,
                                "CREATE USER u PASSWORD " + secret,
                                "UNLOCK REALM r TOKEN " + secret}) {
    auto r = grammar::parse(sql);
    BOOST_REQUIRE_MESSAGE(!r.ok(), sql);
    BOOST_TEST(r.error().message.find("Sup3r") == std::string::npos, r.error().message);
  }
}

BOOST_AUTO_TEST_CASE(secret_string_wipes_on_destruction_contract) {
  // A statement that holds a secret moves but does not copy (SecretString has no copy
  // constructor); moving keeps the value. A second parse is the way to a second copy.
  static_assert(!std::is_copy_constructible_v<ast::Statement>);
  auto r = grammar::parse("UNLOCK REALM r PASSWORD 'pw'");
  auto again = grammar::parse("UNLOCK REALM r PASSWORD 'pw'");
  auto moved = std::move(*r);
  BOOST_TEST((moved == *again));
}
