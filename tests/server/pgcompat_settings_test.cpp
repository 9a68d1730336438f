// Settings: SET / RESET / SHOW, ParameterStatus changes, and PostgreSQL's transactional SET.
#include <boost/test/unit_test.hpp>
#include <map>

#include "server/pgcompat/pgcompat.h"

using namespace dbvault;
using namespace dbvault::server::pgcompat;

namespace {

Settings make_settings() { return Settings(SessionIdentity{"alice", "dbvault", 4242, false}); }

std::string code_of(const Status& s) { return s.ok() ? "ok" : std::string(s.error().code.code()); }

}  // namespace

BOOST_AUTO_TEST_CASE(startup_parameter_status_set_is_complete) {
  Settings s = make_settings();
  std::map<std::string, std::string> got;
  for (const auto& [k, v] : s.reported()) got[k] = v;
  BOOST_TEST(got["server_version"] == "15.0 (dbvault 0.1)");
  BOOST_TEST(got["server_encoding"] == "UTF8");
  BOOST_TEST(got["client_encoding"] == "UTF8");
  BOOST_TEST(got["DateStyle"] == "ISO, MDY");
  BOOST_TEST(got["TimeZone"] == "UTC");
  BOOST_TEST(got["integer_datetimes"] == "on");
  BOOST_TEST(got["standard_conforming_strings"] == "on");
  BOOST_TEST(got["application_name"] == "");
  BOOST_TEST(got["is_superuser"] == "off");
  BOOST_TEST(got["session_authorization"] == "alice");
  BOOST_TEST(s.take_changed().empty());
}

BOOST_AUTO_TEST_CASE(set_normalises_and_reports_changes) {
  Settings s = make_settings();
  BOOST_TEST(code_of(s.set("datestyle", "iso, dmy")) == "ok");
  BOOST_TEST(*s.show("DateStyle") == "ISO, DMY");
  BOOST_TEST(code_of(s.set("extra_float_digits", "3")) == "ok");
  BOOST_TEST(code_of(s.set("application_name", "PostgreSQL JDBC Driver")) == "ok");
  BOOST_TEST(code_of(s.set("statement_timeout", "5000")) == "ok");
  BOOST_TEST(*s.show("statement_timeout") == "5s");
  BOOST_TEST(s.statement_timeout_ms() == 5000);
  const auto changed = s.take_changed();
  BOOST_TEST(changed.size() == 2u);  // DateStyle, application_name; the others are not reported
  BOOST_TEST(s.take_changed().empty());
  BOOST_TEST(s.extra_float_digits() == 3);
}

// PostgreSQL reads an encoding name on its letters and digits only: asyncpg's startup packet
// sends client_encoding='utf-8' with the quotes.
BOOST_AUTO_TEST_CASE(client_encoding_names_as_postgresql_reads_them) {
  for (const char* name : {"UTF8", "utf-8", "'utf-8'", "Unicode", "utf_8"}) {
    Settings s = make_settings();
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(code_of(s.set("client_encoding", name)) == "ok");
      BOOST_TEST(*s.show("client_encoding") == "UTF8");
    }
  }
  Settings s = make_settings();
  BOOST_TEST(code_of(s.set("client_encoding", "'latin-1'")) == "0A000");
  BOOST_TEST(code_of(s.set("client_encoding", "utf-16")) == "0A000");
}

BOOST_AUTO_TEST_CASE(set_refuses_what_it_cannot_honour) {
  Settings s = make_settings();
  BOOST_TEST(code_of(s.set("no_such_thing", "1")) == "42704");
  BOOST_TEST(code_of(s.set("server_version", "16")) == "55P02");
  BOOST_TEST(code_of(s.set("is_superuser", "on")) == "55P02");
  BOOST_TEST(code_of(s.set("client_encoding", "LATIN1")) == "0A000");
  BOOST_TEST(code_of(s.set("standard_conforming_strings", "off")) == "0A000");
  BOOST_TEST(code_of(s.set("DateStyle", "SQL, DMY")) == "0A000");
  BOOST_TEST(code_of(s.set("extra_float_digits", "9")) == "22023");
  BOOST_TEST(code_of(s.set("vault.enabled", "off")) == "42501");
  BOOST_TEST(code_of(s.set("myapp.tenant", "7")) == "ok");
  BOOST_TEST(*s.show("MYAPP.TENANT") == "7");
  BOOST_TEST(!s.show("nope").ok());
  BOOST_TEST(*s.show("DateStyle") == "ISO, MDY");  // nothing changed on error
}

BOOST_AUTO_TEST_CASE(rollback_undoes_set_and_set_local_ends_with_the_transaction) {
  Settings s = make_settings();
  s.on_transaction_begin();
  BOOST_TEST(code_of(s.set("application_name", "in_tx")) == "ok");
  BOOST_TEST(code_of(s.set("TimeZone", "Europe/Paris", true)) == "ok");
  BOOST_TEST(*s.show("timezone") == "Europe/Paris");
  s.on_transaction_end(false);
  BOOST_TEST(*s.show("application_name") == "");
  BOOST_TEST(*s.show("TimeZone") == "UTC");

  s.on_transaction_begin();
  BOOST_TEST(code_of(s.set("application_name", "kept")) == "ok");
  BOOST_TEST(code_of(s.set("TimeZone", "Europe/Paris", true)) == "ok");
  s.on_transaction_end(true);
  BOOST_TEST(*s.show("application_name") == "kept");
  BOOST_TEST(*s.show("TimeZone") == "UTC");

  BOOST_TEST(code_of(s.set("TimeZone", "Asia/Tokyo", true)) == "ok");  // no transaction: no-op
  BOOST_TEST(*s.show("TimeZone") == "UTC");
  BOOST_TEST(code_of(s.reset("application_name")) == "ok");
  BOOST_TEST(*s.show("application_name") == "");
}
