#include "storage/engine.h"

#include <fcntl.h>
#include <unistd.h>

#include <system_error>

#include "common/paths.h"
#include "common/sqlstate.h"
#include "storage/busy_wait.h"
#include "storage/engine_internal.h"
#include "storage/vfs/encrypted_db.h"

namespace dbvault::storage {
namespace {

namespace fs = std::filesystem;

Error open_error(const fs::path& path, sqlite3* db, int rc) {
  return make_error(sqlstate::kIoError, "cannot open the engine database " + path.string() + ": " +
                                            (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

// The settings of every engine connection (docs/engine.md, "Connection settings").
Status configure(sqlite3* db, const EngineOptions& o) {
  int ignored = 0;
  const std::pair<int, int> settings[] = {{SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0},
                                          {SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0},
                                          {SQLITE_DBCONFIG_DEFENSIVE, 1},
                                          {SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0},
                                          {SQLITE_DBCONFIG_WRITABLE_SCHEMA, 0},
                                          {SQLITE_DBCONFIG_DQS_DML, 0},
                                          {SQLITE_DBCONFIG_DQS_DDL, 0},
                                          {SQLITE_DBCONFIG_ENABLE_TRIGGER, 1},
                                          {SQLITE_DBCONFIG_ENABLE_VIEW, 1},
                                          // One plan whatever the bound values: the plan the
                                          // index-read check reads is the one that runs.
                                          {SQLITE_DBCONFIG_ENABLE_QPSG, 1}};
  for (const auto& [op, value] : settings) {
    if (sqlite3_db_config(db, op, value, &ignored) != SQLITE_OK) {
      return make_error(sqlstate::kIoError, "engine: cannot configure the connection");
    }
  }
  install_busy_wait(db, o.busy_timeout_ms);
  char* err = nullptr;
  const char* pragmas =
      "PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 0;"
      "PRAGMA foreign_keys = OFF; PRAGMA cell_size_check = ON;";
  if (sqlite3_exec(db, pragmas, nullptr, nullptr, &err) != SQLITE_OK) {
    Error e = make_error(sqlstate::kIoError, "engine: " + std::string(err ? err : "pragma failed"));
    sqlite3_free(err);
    return e;
  }
  if (o.on_open) return o.on_open(db);
  return ok_status();
}

// Creates the file mode 0600 if missing, so that SQLite never creates it world-readable.
Status create_private(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(sqlstate::kIoError,
                      "cannot create the engine database " + path.string() + ": " +
                          std::error_code(errno, std::generic_category()).message());
  }
  ::close(fd);
  return ok_status();
}

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, CloseDb>;

// A new read-write connection to the engine database, through the options' VFS if any (which
// creates the file 0600, sets WAL and proves the key), else plain (`create`: the file is made
// 0600 first, so that SQLite never creates it world-readable).
Result<DbPtr> open_db(const EngineOptions& o, bool create) {
  if (o.vfs) {
    vfs::EncryptedOpenOptions eo;
    eo.create = create;
    eo.busy_timeout_ms = o.busy_timeout_ms;
    // URIs for the engine's own ATTACH of a tablespace ('file:...?vfs=...'); a user's ATTACH
    // is refused by the authorizer, and VACUUM INTO refuses 'file:' targets.
    eo.flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    auto db = vfs::open_encrypted(o.database, *o.vfs, eo);
    if (!db) return std::move(db).error();
    return DbPtr(db->release());
  }
  if (create) DBV_RETURN_IF_ERROR(create_private(o.database));
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(o.database.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return open_error(o.database, raw, rc);
  sqlite3_busy_timeout(raw, o.busy_timeout_ms);
  return db;
}

}  // namespace

Result<EngineDbPtr> open_bookkeeping(const EngineOptions& options) {
  auto db = open_db(options, false);
  if (!db) return std::move(db).error();
  return EngineDbPtr(db->release());
}

bool EngineShared::file_allowed(std::string_view name) const {
  if (name.empty() || name == ":memory:") return true;  // plain VACUUM's temporary copy
  if (name.starts_with("file:")) return false;          // no URI options
  const fs::path p = canonical_as_far_as_exists(fs::path(std::string(name)));
  for (const auto& f : forbidden) {
    if (path_within(p, f)) return false;
  }
  return true;
}

Engine::Engine(std::unique_ptr<EngineShared> shared) : shared_(std::move(shared)) {}
Engine::~Engine() { (void)stop(); }

Result<std::unique_ptr<Engine>> Engine::open(EngineOptions options, vault::Vault& vault) {
  if (options.database.empty()) {
    return make_error(sqlstate::kInvalidParameterValue, "engine: no database path");
  }
  auto owned = open_db(options, true);
  if (!owned) return std::move(owned).error();
  sqlite3* db = owned->get();
  char* err = nullptr;
  if (sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, &err) != SQLITE_OK) {
    Error e =
        make_error(sqlstate::kIoError, "engine: cannot use WAL: " + std::string(err ? err : ""));
    sqlite3_free(err);
    return e;
  }
  DBV_RETURN_IF_ERROR(ensure_creators_table(db));
  std::unique_ptr<EngineShared> shared(
      new EngineShared{std::move(options), vault, {}, {}, {}, {}, {}, {}, {}, {}});
  shared->tablespace_dir = shared->options.database.parent_path();
  DBV_RETURN_IF_ERROR(shared->tablespaces.load(db, shared->tablespace_dir));
  DBV_RETURN_IF_ERROR(shared->columns.load(db));
  shared->scopes = std::make_unique<columns::EngineScopes>(shared->tablespaces, shared->columns);
  for (const auto& p : shared->options.protected_paths) {
    shared->forbidden.push_back(canonical_as_far_as_exists(p));
  }
  shared->forbidden.push_back(canonical_as_far_as_exists(shared->options.database).parent_path());
  shared->checkpoints =
      std::make_unique<EngineCheckpoints>(shared->options, shared->options.checkpoints);
  return std::unique_ptr<Engine>(new Engine(std::move(shared)));
}

Status Engine::stop() { return shared_->checkpoints->stop(); }

Status Engine::health() const { return shared_->checkpoints->status(); }

Result<std::unique_ptr<Connection>> Engine::connect(vault::Session& session,
                                                    const std::function<Status(sqlite3*)>& setup,
                                                    ExecutionHook on_execution) {
  auto owned = open_db(shared_->options, false);
  if (!owned) return std::move(owned).error();
  sqlite3* db = owned.value().release();
  auto state = std::make_unique<ConnectionState>(*shared_, session, db);  // owns db now
  DBV_RETURN_IF_ERROR(configure(db, shared_->options));
  state->busy.timeout_ms = shared_->options.busy_timeout_ms;
  install_busy_wait(db, state->busy);  // a cancel stops a lock wait too (busy_wait.h)
  if (setup) DBV_RETURN_IF_ERROR(setup(db));
  DBV_RETURN_IF_ERROR(register_mask_function(db, shared_->options.masking_key));
  state->columns = std::make_unique<columns::ColumnSession>(shared_->columns);
  DBV_RETURN_IF_ERROR(state->columns->register_function(db));
  state->auth = std::make_unique<Authorizer>(db, shared_->options.allowed_functions);
  state->on_execution = std::move(on_execution);
  state->tablespaces =
      std::make_unique<TablespaceAttachments>(shared_->tablespaces, shared_->tablespace_dir);
  ConnectionState* cs = state.get();
  state->checkpoint_hook.checkpoints = shared_->checkpoints.get();
  state->checkpoint_hook.tablespaces = [cs](std::string_view schema) {
    return cs->tablespaces->real_attachment(schema);
  };
  EngineCheckpoints::install(db, state->checkpoint_hook);  // no checkpoint on this thread
  EngineShared* shared = shared_.get();
  state->auth->set_file_policy([shared](std::string_view f) { return shared->file_allowed(f); });
  return std::unique_ptr<Connection>(new Connection(std::move(state)));
}

ConnectionState::ConnectionState(EngineShared& e, vault::Session& s, sqlite3* d)
    : engine(e), session(s), db(d) {}

ConnectionState::~ConnectionState() {
  statements.clear();  // its statements are finalized while the connection is whole
  read_pin.reset();
  auth.reset();        // before the handle goes
  sqlite3_close_v2(db);
  notify_write_ended();  // closing rolled back any write transaction it had
}

EnforcementContext ConnectionState::enforcement() {
  return EnforcementContext{engine.vault, session,
                            [this](std::string_view body) { return creators_of(body); }};
}

Result<std::optional<std::vector<BodyCreator>>> ConnectionState::creators_of(
    std::string_view body) {
  auto scope = auth->internal();
  auto query = [&](const std::string& sql, auto&& row) -> Status {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      return make_error(sqlstate::kIoError, std::string("engine: ") + sqlite3_errmsg(db));
    }
    StmtPtr st(raw);
    sqlite3_bind_text(raw, 1, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) row(raw);
    if (rc != SQLITE_DONE) return engine_error(db, rc);
    return ok_status();
  };
  bool in_main = false, in_temp = false;
  DBV_RETURN_IF_ERROR(query(
      "SELECT 0 FROM main.sqlite_schema WHERE type IN ('trigger', 'view') AND name = ?1 "
      "COLLATE NOCASE UNION ALL SELECT 1 FROM temp.sqlite_schema WHERE type IN "
      "('trigger', 'view') AND name = ?1 COLLATE NOCASE",
      [&](sqlite3_stmt* st) { (sqlite3_column_int(st, 0) == 0 ? in_main : in_temp) = true; }));
  // A tablespace's own trigger (made as engine SQL in its schema, or brought in its file) is
  // never recorded either: taken for a CTE, its body would run with the rights of whoever
  // fires it — a DBA's trigger on an open table writing realm data at an authorized insert.
  bool in_attached = false;
  auto attached = query_column(db, *auth, "PRAGMA database_list", 1);
  if (!attached) return std::move(attached).error();
  for (const auto& schema : *attached) {
    if (schema == "main" || schema == "temp" || in_attached) continue;
    DBV_RETURN_IF_ERROR(query("SELECT 1 FROM " + quote_ident(schema) +
                                  ".sqlite_schema WHERE type IN ('trigger', 'view') AND name = "
                                  "?1 COLLATE NOCASE",
                              [&](sqlite3_stmt*) { in_attached = true; }));
  }
  if (!in_main && !in_temp && !in_attached) return std::optional<std::vector<BodyCreator>>();
  std::vector<BodyCreator> out;
  // SQLite names the body without its schema: while a TEMP body or a tablespace's (never
  // recorded) shares the name, the access may be that one's, so it counts as made by an
  // unrecorded body.
  if (in_temp || in_attached) return std::optional<std::vector<BodyCreator>>(std::move(out));
  DBV_RETURN_IF_ERROR(query("SELECT creator_id, creator FROM main." + std::string(kCreatorsTable) +
                                " WHERE name = ?1 COLLATE NOCASE",
                            [&](sqlite3_stmt* st) {
                              const auto* name = sqlite3_column_text(st, 1);
                              out.push_back(
                                  {static_cast<std::uint32_t>(sqlite3_column_int64(st, 0)),
                                   name != nullptr ? reinterpret_cast<const char*>(name) : ""});
                            }));
  return std::optional<std::vector<BodyCreator>>(std::move(out));
}

Connection::Connection(std::unique_ptr<ConnectionState> state) : state_(std::move(state)) {}
Connection::~Connection() = default;

Result<std::unique_ptr<Statement>> Connection::prepare(std::string_view sql,
                                                       PrepareOptions options) {
  return prepare_as(sql, options.source, options);
}

Result<Statement*> Connection::prepare_cached(std::string_view sql, std::string_view source,
                                              PrepareOptions options) {
  DBV_RETURN_IF_ERROR(state_->engine.checkpoints->status());
  const std::uint64_t version = state_->engine.vault.snapshot()->version();
  if (Statement* hit = state_->statements.find(sql, options.exported, version)) {
    // What prepare() does first, for this execution too: the keys released or locked since.
    DBV_RETURN_IF_ERROR(state_->tablespaces->sync(state_->db, *state_->auth));
    hit->reset();
    hit->state_->source = std::string(source);
    return hit;
  }
  auto st = prepare_as(sql, source, options);
  if (!st) return std::move(st).error();
  return state_->statements.insert(std::string(sql), options.exported, version, std::move(*st));
}

Result<std::unique_ptr<Statement>> Connection::prepare_as(std::string_view sql,
                                                          std::string_view source,
                                                          PrepareOptions options) {
  DBV_RETURN_IF_ERROR(state_->engine.checkpoints->status());  // fail closed (checkpointer.h)
  DBV_RETURN_IF_ERROR(state_->tablespaces->sync(state_->db, *state_->auth));
  auto masks = vault::masks_for(*state_->engine.vault.snapshot(), state_->session.user_id());
  DBV_RETURN_IF_ERROR(state_->masks.sync(state_->db, *state_->auth, masks));
  if (columns::names_seal_function(sql)) {
    return make_error(sqlstate::kInsufficientPrivilege,
                      "names beginning with dbvault_seal are reserved to the engine's encrypted "
                      "columns");
  }
  const std::uint64_t columns_epoch = state_->engine.columns.epoch();
  auto c = compile(state_->db, *state_->auth, sql, Completion::kMayDefer);
  bool sealed = false;
  std::string checked;
  if (c) {
    if (Status s = rewrite_encrypted_columns(*state_, sql, *c, sealed, checked); !s) {
      c = std::move(s).error();
    }
  }
  if (!c) {
    const auto& refusal = state_->engine.options.on_refusal;
    if (c.error().code == sqlstate::kInsufficientPrivilege && refusal) {
      DBV_RETURN_IF_ERROR(refusal(state_->session, c.error(), source.empty() ? sql : source));
    }
    return std::move(c).error();
  }
  DBV_RETURN_IF_ERROR(check_tablespace_names(*state_, c->facts, sql));
  auto st = std::make_unique<StatementState>(*state_, std::string(sql));
  st->source = std::string(source);
  st->compiled = std::move(c).value();
  st->sealed = sealed;
  st->rules_text = std::move(checked);
  st->plan = state_->columns->plan(st->compiled.stmt.get());
  st->exported = options.exported;
  st->masks = std::move(masks);
  record_encrypted_shape(*st, columns_epoch);
  if (st->compiled.pending) {  // checked at its first execution, once complete
    return std::unique_ptr<Statement>(new Statement(std::move(st)));
  }
  if (options.exported) add_export_accesses(st->compiled.facts);
  const auto snap = state_->engine.vault.snapshot();
  st->resolved = resolve(*snap, st->compiled.facts);
  st->resolved_version = snap->version();
  DBV_RETURN_IF_ERROR(check_statement(*st, *snap));
  // Encrypted columns' operator rules, after the vault (a refused session learns nothing of
  // them); a deferred statement is checked at its first execution, in the same order.
  DBV_RETURN_IF_ERROR(recheck_operator_rules(*st));
  if (!state_->creating_in_tablespace) {  // see Statement::recheck
    DBV_RETURN_IF_ERROR(state_->tablespaces->check_runnable(st->resolved.names));
  }
  return std::unique_ptr<Statement>(new Statement(std::move(st)));
}

Result<vault::StatementAccesses> Connection::accesses(std::string_view sql) {
  auto c = compile(state_->db, *state_->auth, sql);
  if (!c) return std::move(c).error();
  return resolve(*state_->engine.vault.snapshot(), c->facts);
}

void Connection::interrupt() {
  state_->busy.cancelled.store(true, std::memory_order_release);
  sqlite3_interrupt(state_->db);
}

bool Connection::in_transaction() const { return sqlite3_get_autocommit(state_->db) == 0; }

vault::Session& Connection::session() { return state_->session; }

void Connection::set_tablespace_keys(std::shared_ptr<TablespaceKeys> keys) {
  state_->tablespaces->set_keys(std::move(keys));
}

void Connection::set_column_keys(std::shared_ptr<columns::ColumnKeys> keys) {
  state_->columns->set_keys(std::move(keys));
}

void Connection::release_locked_tablespaces() {
  (void)state_->tablespaces->detach_locked(state_->db, *state_->auth);
}

}  // namespace dbvault::storage
