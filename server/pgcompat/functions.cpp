// prepare_connection(): PostgreSQL's session functions, pg_cast() and PostgreSQL's LIKE on a
// session's engine connection.
#include <chrono>
#include <ctime>
#include <string>

#include "server/pgcompat/pg_cast.h"
#include "server/pgcompat/pgcompat.h"

namespace dbvault::server::pgcompat {
namespace {

const Settings& settings_of(sqlite3_context* ctx) {
  return *static_cast<const Settings*>(sqlite3_user_data(ctx));
}

void result_text(sqlite3_context* ctx, const std::string& s) {
  sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

std::string_view arg_text(sqlite3_value* v) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v)))
           : std::string_view();
}

void version(sqlite3_context* ctx, int, sqlite3_value**) {
  result_text(ctx, "PostgreSQL 15.0 (dbvault 0.1) on the embedded SQLite " +
                       std::string(sqlite3_libversion()) + " engine");
}

void current_setting(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  auto v = settings_of(ctx).show(arg_text(argv[0]));
  if (v) return result_text(ctx, *v);
  if (argc == 2 && sqlite3_value_int(argv[1]) != 0) return sqlite3_result_null(ctx);  // missing_ok
  sqlite3_result_error(ctx, v.error().message.c_str(), -1);
}

void current_user(sqlite3_context* ctx, int, sqlite3_value**) {
  result_text(ctx, settings_of(ctx).identity().user);
}
void current_database(sqlite3_context* ctx, int, sqlite3_value**) {
  result_text(ctx, settings_of(ctx).identity().database);
}
void current_schema(sqlite3_context* ctx, int, sqlite3_value**) { result_text(ctx, "public"); }
void backend_pid(sqlite3_context* ctx, int, sqlite3_value**) {
  sqlite3_result_int(ctx, settings_of(ctx).identity().backend_pid);
}

// The engine has no advisory locks, so a session holds none to release; asyncpg's pool sends
// this when it takes a connection back. PostgreSQL's result is void (NULL here).
void advisory_unlock_all(sqlite3_context* ctx, int, sqlite3_value**) { sqlite3_result_null(ctx); }

// timestamptz text in UTC with microseconds, as PostgreSQL prints it with TimeZone UTC.
void now(sqlite3_context* ctx, int, sqlite3_value**) {
  const auto t = std::chrono::system_clock::now();
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%06lld+00", buf, static_cast<long long>(us % 1000000));
  result_text(ctx, out);
}

void cast(sqlite3_context* ctx, int, sqlite3_value** argv) {
  detail::pg_cast(ctx, argv[0], arg_text(argv[1]));
}

// like(pattern, text [, escape]) is what SQLite calls for "text LIKE pattern [ESCAPE e]";
// match(pattern, text) is what it calls for "text MATCH pattern", which ILIKE is rewritten to.
void like_impl(sqlite3_context* ctx, int argc, sqlite3_value** argv, bool fold) {
  for (int i = 0; i < argc; ++i)
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  int escape = '\\';
  if (argc == 3) {
    const std::string_view e = arg_text(argv[2]);
    if (e.size() > 1) return sqlite3_result_error(ctx, "invalid escape string", -1);
    escape = e.empty() ? -1 : static_cast<unsigned char>(e[0]);
  }
  const int r = detail::like_match(arg_text(argv[0]), arg_text(argv[1]), escape, fold);
  if (r < 0)
    return sqlite3_result_error(ctx, "LIKE pattern must not end with escape character", -1);
  sqlite3_result_int(ctx, r);
}
void like(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  like_impl(ctx, argc, argv, false);
}
void ilike(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  like_impl(ctx, argc, argv, true);
}

struct Function {
  const char* name;
  int args;
  bool deterministic;
  void (*fn)(sqlite3_context*, int, sqlite3_value**);
};

constexpr Function kFunctions[] = {
    {"version", 0, true, version},
    {"current_setting", 1, false, current_setting},
    {"current_setting", 2, false, current_setting},
    {"current_user", 0, false, current_user},
    {"session_user", 0, false, current_user},
    {"current_role", 0, false, current_user},
    {"current_database", 0, false, current_database},
    {"current_catalog", 0, false, current_database},
    {"current_schema", 0, true, current_schema},
    {"pg_backend_pid", 0, false, backend_pid},
    {"pg_advisory_unlock_all", 0, false, advisory_unlock_all},
    {"now", 0, false, now},
    {"transaction_timestamp", 0, false, now},
    {"statement_timestamp", 0, false, now},
    {"clock_timestamp", 0, false, now},
    {"pg_cast", 2, true, cast},
    {"like", 2, true, like},
    {"like", 3, true, like},
    {"match", 2, true, ilike},
};

}  // namespace

std::vector<std::string> function_names() {
  std::vector<std::string> names;
  for (const auto& f : kFunctions) names.emplace_back(f.name);
  return names;
}

Status prepare_connection(sqlite3* db, const Settings& settings) {
  // "x" is an identifier in PostgreSQL; SQLite would fall back to a string if no column x exists.
  if (sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, nullptr) != SQLITE_OK ||
      sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr) != SQLITE_OK) {
    return make_error(sqlstate::kSystemError,
                      "engine connection: cannot turn off double-quoted strings");
  }
  for (const auto& f : kFunctions) {
    const int flags = SQLITE_UTF8 | (f.deterministic ? SQLITE_DETERMINISTIC : 0);
    if (sqlite3_create_function_v2(db, f.name, f.args, flags, const_cast<Settings*>(&settings),
                                   f.fn, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return make_error(sqlstate::kSystemError, std::string("engine connection: cannot register ") +
                                                    f.name + "(): " + sqlite3_errmsg(db));
    }
  }
  return ok_status();
}

}  // namespace dbvault::server::pgcompat
