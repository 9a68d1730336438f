#include "tests/storage/resolver_fixture.h"

#include <sqlite3.h>

#include <boost/test/unit_test.hpp>

#include "rules/command_rule.h"

namespace dbvault::storage::test {

ResolverFixture::ResolverFixture(const char* schema) {
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open(engine_db.c_str(), &db) == SQLITE_OK);
  BOOST_TEST_REQUIRE(sqlite3_exec(db, schema, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto r = SqliteAccessResolver::open(engine_db);
  BOOST_TEST_REQUIRE(r.ok());
  resolver = std::move(r).value();
  access_resolver = resolver.get();
  reopen();
  cast();
}

Result<std::vector<std::string>> ResolverFixture::accesses(std::string_view sql) {
  auto acc = resolver->accesses(*vault->snapshot(), sql);
  if (!acc) return std::move(acc).error();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < acc->accesses.size(); ++i) {
    out.push_back(std::string(rules::command_name(acc->accesses[i].command)) + " " + acc->names[i]);
  }
  return out;
}

Status ResolverFixture::check(vault::Session& s, std::string_view sql) {
  auto acc = resolver->accesses(*vault->snapshot(), sql);
  BOOST_TEST_REQUIRE(acc.ok(), sql << ": " << (acc.ok() ? "" : acc.error().message));
  return vault->check(s, acc->accesses, sql);
}

}  // namespace dbvault::storage::test
