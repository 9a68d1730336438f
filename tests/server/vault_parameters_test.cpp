// $n parameters of vault statements (server/session/vault_parameters.h): a parameter becomes
// one string literal and nothing else, whatever it holds.
#include "server/session/vault_parameters.h"

#include <boost/test/unit_test.hpp>

#include "grammar/parser.h"

using namespace dbvault::server::session;

namespace {

using Values = std::vector<std::optional<std::string>>;

std::string bind(std::string_view text, const Values& values) {
  const auto markers = find_vault_placeholders(text);
  return substitute_vault_parameters(text, markers, values);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(vault_parameters)

BOOST_AUTO_TEST_CASE(markers_outside_strings_comments_and_names) {
  const auto m =
      find_vault_placeholders("UNLOCK REALM r$1 PASSWORD $2 -- $3\n/* $4 */ '$5' \"$6\" $10");
  BOOST_TEST_REQUIRE(m.size() == 2u);
  BOOST_TEST(m[0].index == 1);
  BOOST_TEST(m[0].length == 2u);
  BOOST_TEST(m[1].index == 9);
  BOOST_TEST(vault_parameter_count(m) == 10);
  BOOST_TEST(find_vault_placeholders("SELECT $0, $1x, $").empty());
}

BOOST_AUTO_TEST_CASE(a_parameter_is_one_literal) {
  BOOST_TEST(bind("UNLOCK REALM r PASSWORD $1", {"pw"}) == "UNLOCK REALM r PASSWORD 'pw'");
  BOOST_TEST(bind("UNLOCK REALM r PASSWORD $1", {"x'; DROP REALM r; --"}) ==
             "UNLOCK REALM r PASSWORD 'x''; DROP REALM r; --'");
  BOOST_TEST(bind("UNLOCK REALM r PASSWORD $1", {std::nullopt}) == "UNLOCK REALM r PASSWORD NULL");
  BOOST_TEST(bind("X $2 $1 $2", {"a", "b"}) == "X 'b' 'a' 'b'");
}

BOOST_AUTO_TEST_CASE(injected_text_stays_inside_the_password) {
  const auto text = bind("UNLOCK REALM r PASSWORD $1", {"it''s'; UNLOCK REALM other TOKEN 'x"});
  auto parsed = dbvault::grammar::parse(text);
  BOOST_TEST_REQUIRE(parsed.ok());  // one statement: the whole value is its password
  BOOST_TEST(dbvault::grammar::parse(bind("UNLOCK REALM $1 PASSWORD 'p'", {"r"})).ok() == false);
}

BOOST_AUTO_TEST_SUITE_END()
