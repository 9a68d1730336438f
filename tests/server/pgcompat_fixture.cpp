#include "tests/server/pgcompat_fixture.h"

#include <boost/test/unit_test.hpp>

namespace dbvault::test {
namespace {

sqlite3* open_memory() {
  sqlite3* db = nullptr;
  sqlite3_open(":memory:", &db);
  return db;
}

}  // namespace

using namespace server::pgcompat;

PgSession::PgSession()
    : db_(open_memory()),
      settings_(SessionIdentity{"alice", "dbvault", 4242, false}),
      catalog_(db_.get(), "alice") {
  BOOST_REQUIRE(prepare_connection(db_.get(), settings_).ok());
}

void PgSession::exec(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &err);
  BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, sql << ": " << (err ? err : "?"));
}

Result<Translation> PgSession::translate(std::string_view sql) {
  return server::pgcompat::translate(sql, settings_, catalog_);
}

std::string PgSession::rewritten(std::string_view sql) {
  auto t = translate(sql);
  if (!t) return "ERROR " + std::string(t.error().code.code());
  if (!std::holds_alternative<Rewritten>(*t)) return "(not rewritten)";
  std::string out;
  for (const auto& s : std::get<Rewritten>(*t).statements) {
    if (!out.empty()) out += "; ";
    out += s;
  }
  return out;
}

std::string PgSession::error_code(std::string_view sql) {
  auto t = translate(sql);
  return t ? "ok" : std::string(t.error().code.code());
}

std::string PgSession::run(std::string_view sql) {
  auto t = translate(sql);
  if (!t) return "ERROR " + std::string(t.error().code.code());
  if (auto* r = std::get_if<ResultSet>(&*t)) {
    if (r->rows.empty() || r->rows[0].empty()) return r->tag;
    return r->rows[0][0].value_or("NULL");
  }
  BOOST_REQUIRE(std::holds_alternative<Rewritten>(*t));
  std::string first = "(no rows)";
  const Status st = run_as_one(std::get<Rewritten>(*t), [&](std::string_view statement) -> Status {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), statement.data(), static_cast<int>(statement.size()), &raw,
                           nullptr) != SQLITE_OK) {
      return explain_engine_error(sql, sqlite3_errmsg(db_.get()));
    }
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
    for (int rc = sqlite3_step(raw);; rc = sqlite3_step(raw)) {
      if (rc == SQLITE_DONE) return ok_status();
      if (rc != SQLITE_ROW) return explain_engine_error(sql, sqlite3_errmsg(db_.get()));
      if (first == "(no rows)") {
        const unsigned char* v = sqlite3_column_text(raw, 0);
        first = v ? reinterpret_cast<const char*>(v) : "NULL";
      }
    }
  });
  if (!st.ok()) return "ERROR " + std::string(st.error().code.code());
  return first;
}

}  // namespace dbvault::test
