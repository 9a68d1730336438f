// What follows CREATE TABLE / VIEW / TRIGGER: registration with the vault, the record of who
// created a body, and the creation-time check of that body (docs/vault.md, "Trigger and view
// bodies"). All of it inside a savepoint, so that a creation that fails any of it is undone.
#include "common/sqlstate.h"
#include "storage/engine_internal.h"
#include "storage/sql_words.h"

namespace dbvault::storage {
namespace {

constexpr const char* kSavepoint = "dbvault_ddl_savepoint";

const char* kind_name(CreatedObject::Kind k) {
  switch (k) {
    case CreatedObject::Kind::kTable:
      return "table";
    case CreatedObject::Kind::kView:
      return "view";
    case CreatedObject::Kind::kTrigger:
      return "trigger";
  }
  return "?";
}

Result<bool> exists(ConnectionState& c, const CreatedObject& o) {
  auto scope = c.auth->internal();
  sqlite3_stmt* raw = nullptr;
  const std::string sql = "SELECT 1 FROM " + quote_ident(o.schema) +
                          ".sqlite_schema WHERE type = ?1 AND name = ?2 COLLATE NOCASE";
  if (sqlite3_prepare_v2(c.db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return make_error(sqlstate::kIoError, std::string("engine: ") + sqlite3_errmsg(c.db));
  }
  StmtPtr st(raw);
  sqlite3_bind_text(raw, 1, kind_name(o.kind), -1, SQLITE_STATIC);
  sqlite3_bind_text(raw, 2, o.name.c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return engine_error(c.db, rc);
  return rc == SQLITE_ROW;
}

// TEMP bodies are not recorded: they live on one connection, and a record in the shared table
// under their name would be taken for the creator of a main body of the same name. Unrecorded,
// they may touch no realm object.
Status record_creator(ConnectionState& c, const CreatedObject& o) {
  if (o.schema == "temp") return ok_status();
  auto scope = c.auth->internal();
  sqlite3_stmt* raw = nullptr;
  const std::string sql =
      "INSERT OR REPLACE INTO main." + std::string(kCreatorsTable) +
      " (schema_name, name, kind, creator_id, creator) VALUES (?1, ?2, ?3, ?4, ?5)";
  if (sqlite3_prepare_v2(c.db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return make_error(sqlstate::kIoError, std::string("engine: ") + sqlite3_errmsg(c.db));
  }
  StmtPtr st(raw);
  sqlite3_bind_text(raw, 1, o.schema.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 2, o.name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 3, kind_name(o.kind), -1, SQLITE_STATIC);
  sqlite3_bind_int64(raw, 4, c.session.user_id());
  sqlite3_bind_text(raw, 5, c.session.user_name().c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(raw) != SQLITE_DONE) return engine_error(c.db, sqlite3_errcode(c.db));
  return ok_status();
}

// Statements that would run the new body: compiled (never run) so that the authorizer
// reports what the body touches.
Result<std::vector<std::string>> probes(ConnectionState& c, const CreatedObject& o) {
  if (o.kind == CreatedObject::Kind::kView) {
    return std::vector<std::string>{"SELECT * FROM " + quote_ident(o.schema) + "." +
                                    quote_ident(o.name)};
  }
  const std::string target =
      quote_ident(o.schema == "temp" ? "main" : o.schema) + "." + quote_ident(o.table);
  auto cols = table_columns(c.db, *c.auth, o.schema == "temp" ? "main" : o.schema, o.table, false);
  if (!cols) return std::move(cols).error();
  std::string set;
  for (const auto& col : *cols) {
    set += (set.empty() ? "" : ", ") + quote_ident(col) + " = " + quote_ident(col);
  }
  std::vector<std::string> out{"INSERT INTO " + target + " DEFAULT VALUES",
                               "DELETE FROM " + target};
  if (!set.empty()) out.push_back("UPDATE " + target + " SET " + set);
  return out;
}

Status check_new_body(StatementState& st, const CreatedObject& o) {
  ConnectionState& c = st.conn;
  DBV_RETURN_IF_ERROR(record_creator(c, o));
  auto sqls = probes(c, o);
  if (!sqls) return std::move(sqls).error();
  const auto snap = c.engine.vault.snapshot();
  for (const auto& sql : *sqls) {
    auto compiled = compile(c.db, *c.auth, sql);
    if (!compiled) continue;  // e.g. a view without INSTEAD OF trigger; checked when it runs
    const auto resolved = resolve(*snap, compiled->facts);
    DBV_RETURN_IF_ERROR(
        enforce_body(c.enforcement(), *snap, compiled->facts, resolved, o.name, st.sql));
  }
  return ok_status();
}

Status register_object(StatementState& st, const CreatedObject& o) {
  ConnectionState& c = st.conn;
  if (o.schema == "temp") return ok_status();  // TEMP objects live and die with the connection
  auto cols = table_columns(c.db, *c.auth, o.schema, o.name, true);
  if (!cols) return std::move(cols).error();
  return c.engine.vault.register_table({o.schema == "main" ? "" : o.schema, o.name}, *cols,
                                       c.session.user_name());
}

}  // namespace

Status ensure_creators_table(sqlite3* db) {
  const std::string sql = "CREATE TABLE IF NOT EXISTS main." + std::string(kCreatorsTable) +
                          " (schema_name TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE,"
                          " kind TEXT NOT NULL, creator_id INTEGER NOT NULL, creator TEXT NOT NULL,"
                          " PRIMARY KEY (schema_name, name, kind))";
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Error e = make_error(sqlstate::kIoError, "engine: " + std::string(err ? err : "setup failed"));
    sqlite3_free(err);
    return e;
  }
  return ok_status();
}

Status begin_ddl(StatementState& st) {
  DBV_RETURN_IF_ERROR(
      exec_internal(st.conn.db, *st.conn.auth, std::string("SAVEPOINT ") + kSavepoint));
  st.in_savepoint = true;
  st.preexisting.clear();
  for (const auto& o : st.compiled.facts.created) {
    auto e = exists(st.conn, o);
    if (!e) {
      abort_ddl(st);
      return std::move(e).error();
    }
    st.preexisting.push_back(*e);
  }
  return ok_status();
}

Status finish_ddl(StatementState& st) {
  const auto& created = st.compiled.facts.created;
  Status s = ok_status();
  for (std::size_t i = 0; i < created.size() && s.ok(); ++i) {
    if (st.preexisting[i] || created[i].kind == CreatedObject::Kind::kTable) continue;
    s = check_new_body(st, created[i]);
  }
  // CREATE TABLE ... TABLESPACE: the table is in the tablespace's catalog (and file) before
  // its registration withdraws the keys (tablespace_ddl.cpp).
  const CreatedObject* placed = nullptr;
  bool wrote_file = false;
  for (std::size_t i = 0; i < created.size() && s.ok() && st.conn.creating_in_tablespace; ++i) {
    if (st.preexisting[i] || created[i].kind != CreatedObject::Kind::kTable) continue;
    if (!st.conn.engine.tablespaces.find(fold_ascii(created[i].schema))) continue;
    auto wrote = place_in_tablespace(st.conn, fold_ascii(created[i].schema), created[i].name);
    if (!wrote) {
      s = std::move(wrote).error();
    } else {
      placed = &created[i];
      wrote_file = *wrote;
    }
  }
  for (std::size_t i = 0; i < created.size() && s.ok(); ++i) {  // last: it cannot be undone
    if (st.preexisting[i] || created[i].kind == CreatedObject::Kind::kTrigger) continue;
    s = register_object(st, created[i]);
  }
  if (s.ok()) {
    s = exec_internal(st.conn.db, *st.conn.auth, std::string("RELEASE ") + kSavepoint);
    if (s.ok()) st.in_savepoint = false;
  }
  if (!s.ok()) {
    abort_ddl(st);
    if (placed != nullptr) {
      unplace_from_tablespace(st.conn, fold_ascii(placed->schema), placed->name, wrote_file);
    }
  }
  return s;
}

void abort_ddl(StatementState& st) {
  sqlite3_reset(st.compiled.stmt.get());
  (void)exec_internal(st.conn.db, *st.conn.auth,
                      std::string("ROLLBACK TO ") + kSavepoint + "; RELEASE " + kSavepoint);
  st.in_savepoint = false;
}

}  // namespace dbvault::storage
