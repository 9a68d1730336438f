// Hostile input: whatever a client sends, pgcompat answers (a translation or an error) and
// never crashes, hangs or reads out of bounds. Deterministic (fixed seed); the asan preset
// runs it with AddressSanitizer and UBSan.
#include <boost/test/unit_test.hpp>
#include <random>

#include "tests/server/pgcompat_fixture.h"

using namespace dbvault;
using namespace dbvault::server::pgcompat;
using test::PgSession;

namespace {

// Fragments that steer random statements into every translator.
constexpr const char* kFragments[] = {
    "SELECT",
    "FROM",
    "WHERE",
    "ORDER",
    "BY",
    "DESC",
    "NULLS",
    "::",
    "int",
    "text",
    "varchar",
    "(",
    ")",
    ",",
    "'",
    "\"",
    "$1",
    "$",
    "$$",
    "E'",
    "[",
    "]",
    "/*",
    "*/",
    "--",
    "\n",
    "CASE",
    "END",
    "current_user",
    "pg_catalog",
    ".",
    "pg_class",
    "SET",
    "SHOW",
    "RESET",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "TO",
    "SAVEPOINT",
    "COPY",
    "STDIN",
    "WITH",
    "TRUNCATE",
    "DROP",
    "TABLE",
    "ALTER",
    "ADD",
    "PRIMARY",
    "KEY",
    "CREATE",
    "serial",
    "DEFAULT",
    "ILIKE",
    "ESCAPE",
    "=",
    "~",
    "t",
    "x",
    "1",
    "-",
    "DISCARD",
    "ALL",
    "VACUUM",
    "DEALLOCATE",
    "LIMIT",
    "double",
    "precision",
};

std::string random_statement(std::mt19937& rng) {
  std::uniform_int_distribution<int> len(0, 24);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kFragments) - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string out;
  for (int n = len(rng); n > 0; --n) {
    if (rng() % 8 == 0) {
      out += static_cast<char>(byte(rng));
    } else {
      out += kFragments[pick(rng)];
    }
    out += rng() % 3 == 0 ? "" : " ";
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_statements_get_an_answer) {
  PgSession s;
  s.exec("CREATE TABLE t (x int PRIMARY KEY, y text)");
  std::mt19937 rng(20261201);
  int translated = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string sql = random_statement(rng);
    auto t = s.translate(sql);
    if (t) ++translated;
    (void)infer_parameter_types(sql, 3, s.catalog());
    (void)explain_engine_error(sql, "near \"x\": syntax error");
    if (s.settings().in_transaction() && rng() % 4 == 0) s.settings().on_transaction_end(false);
  }
  BOOST_TEST(translated > 1000);  // the generator reaches the translators, not only errors
}
