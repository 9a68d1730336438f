#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <functional>

#include "common/sqlstate.h"
#include "storage/busy_wait.h"
#include "storage/engine.h"
#include "storage/engine_internal.h"
#include "storage/index_reads.h"

namespace dbvault::storage {

Statement::Statement(std::unique_ptr<StatementState> state) : state_(std::move(state)) {}

Statement::~Statement() {
  if (state_->in_savepoint) abort_ddl(*state_);
}

int Statement::parameter_count() const {
  return sqlite3_bind_parameter_count(state_->compiled.stmt.get());
}

std::string Statement::parameter_name(int index) const {
  const char* n = sqlite3_bind_parameter_name(state_->compiled.stmt.get(), index);
  return n != nullptr ? n : "";
}

Status Statement::bind(int index, const Value& value) {
  sqlite3_stmt* s = state_->compiled.stmt.get();
  if (index < 1 || index > sqlite3_bind_parameter_count(s)) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "no parameter " + std::to_string(index) + " in the statement");
  }
  const int rc = std::visit(
      [&](const auto& v) -> int {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return sqlite3_bind_null(s, index);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return sqlite3_bind_int64(s, index, v);
        } else if constexpr (std::is_same_v<T, double>) {
          return sqlite3_bind_double(s, index, v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return sqlite3_bind_text64(s, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        } else {
          return sqlite3_bind_blob64(s, index, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT);
        }
      },
      value);
  if (rc != SQLITE_OK) return engine_error(state_->conn.db, rc);
  return ok_status();
}

void Statement::clear_bindings() { sqlite3_clear_bindings(state_->compiled.stmt.get()); }

int Statement::column_count() const { return sqlite3_column_count(state_->compiled.stmt.get()); }

namespace {
std::string text_or_empty(const char* s) { return s != nullptr ? s : ""; }
}  // namespace

std::string Statement::column_name(int i) const {
  return text_or_empty(sqlite3_column_name(state_->compiled.stmt.get(), i));
}
std::string Statement::column_decltype(int i) const {
  return text_or_empty(sqlite3_column_decltype(state_->compiled.stmt.get(), i));
}
std::string Statement::column_table(int i) const {
  return text_or_empty(sqlite3_column_table_name(state_->compiled.stmt.get(), i));
}
std::string Statement::column_origin(int i) const {
  return text_or_empty(sqlite3_column_origin_name(state_->compiled.stmt.get(), i));
}

Status check_statement(StatementState& st, const vault::PolicySnapshot& snap) {
  const EnforcementContext ctx = st.conn.enforcement();
  DBV_RETURN_IF_ERROR(check_masks({snap, st.conn.session.user_id(), ctx.creators, st.masks,
                                   st.conn.db, st.conn.auth.get(), st.compiled.stmt.get()},
                                  st.compiled.facts));
  const auto unmasked = without_mask_views(st.compiled.facts, st.conn.masks);
  const StatementFacts& facts = unmasked ? *unmasked : st.compiled.facts;
  // An index scan reads the index's columns: their order reaches the session (index_reads.h).
  auto indexed = with_index_reads(st.conn.db, *st.conn.auth, snap, st.compiled.stmt.get(), facts,
                                  &st.index_plan);
  if (!indexed) return std::move(indexed).error();
  if (*indexed) {
    if (st.indexed_facts != *indexed || st.indexed_version != snap.version()) {
      st.indexed_resolved = resolve(snap, **indexed);
      st.indexed_facts = *indexed;
      st.indexed_version = snap.version();
    }
    return enforce(ctx, snap, **indexed, st.indexed_resolved, st.shown());
  }
  if (!unmasked) return enforce(ctx, snap, st.compiled.facts, st.resolved, st.shown());
  return enforce(ctx, snap, *unmasked, resolve(snap, *unmasked), st.shown());
}

// The check of this execution: against the snapshot and session of this moment (names are
// resolved again when the policy changed since prepare).
static Status check_execution(StatementState& st) {
  // The checks below read the schema (indexes, masks, placement): a write in an explicit
  // transaction takes the write lock first, while SQLite still waits for it — a read
  // transaction opened by those reads would get SQLITE_BUSY at once on its upgrade.
  if (needs_write_lock_first(st.conn.db, st.compiled.stmt.get())) {
    DBV_RETURN_IF_ERROR(take_write_lock(st.conn.db, *st.conn.auth));
  }
  bool fresh = false;
  if (st.compiled.pending) {  // Completion::kMayDefer: the facts are completed first
    DBV_RETURN_IF_ERROR(complete_deferred(st.conn.db, *st.conn.auth, st.sql, st.compiled));
    if (st.exported) add_export_accesses(st.compiled.facts);
    st.index_plan = IndexPlanMemo{};  // made for the facts before
    fresh = true;
  } else {
    if (Status s =
            check_placement(st.conn.db, *st.conn.auth, st.compiled.stmt.get(), st.compiled.facts);
        !s) {
      st.stale = true;
      return s;
    }
  }
  DBV_RETURN_IF_ERROR(check_encrypted_shape(st));
  const auto snap = st.conn.engine.vault.snapshot();
  if (fresh || snap->version() != st.resolved_version) {
    st.resolved = resolve(*snap, st.compiled.facts);
    st.resolved_version = snap->version();
  }
  DBV_RETURN_IF_ERROR(check_statement(st, *snap));
  DBV_RETURN_IF_ERROR(recheck_operator_rules(st));
  // After the vault allowed it: a tablespace whose key this session does not hold (a
  // stand-in, or a key locked since) is never read or written (docs/encryption.md §9).
  // (CREATE TABLE ... TABLESPACE writes a stand-in's definitions only, and reads nothing: its
  // definition reaches the file through place_in_tablespace.)
  if (st.conn.creating_in_tablespace) return ok_status();
  return st.conn.tablespaces->check_runnable(st.resolved.names);
}

// Runs `checks`; a write in a transaction that has done nothing yet takes the write lock before
// its checks (check_execution): if they refuse it, the lock goes back (SavepointNames).
static Status admitted(StatementState& st, const std::function<Status()>& checks) {
  const bool lock_first = needs_write_lock_first(st.conn.db, st.compiled.stmt.get());
  Status verdict = checks();
  if (!verdict && lock_first && sqlite3_txn_state(st.conn.db, nullptr) == SQLITE_TXN_WRITE) {
    if (Status s = st.conn.savepoints.restart_transaction(st.conn.db, *st.conn.auth); !s) {
      spdlog::warn("the write lock of a refused statement was not given back: {}",
                   s.error().message);
    }
  }
  return verdict;
}

Status Statement::admit() {
  StatementState& st = *state_;
  if (st.started && !st.finished) return ok_status();
  return admitted(st, [&] { return check_execution(st); });
}

Result<bool> Statement::step() {
  StatementState& st = *state_;
  if (st.finished) reset();  // SQLite would restart it on its own: make it a new execution
  ReadPin pin;               // until the first step below (read_pin.h)
  if (!st.started) {
    // A cancel of an earlier execution does not stop this one's lock waits (as
    // sqlite3_interrupt, which is forgotten once no statement runs).
    st.conn.busy.cancelled.store(false, std::memory_order_release);
    (void)take_cancelled_wait();
    if (!st.compiled.pending &&
        ReadPin::applies(st.conn.db, st.compiled.stmt.get(), st.compiled.facts)) {
      pin.hold(st.conn.db, *st.conn.auth, st.conn.read_pin);
    }
    Status verdict = admitted(st, [&]() -> Status {
      DBV_RETURN_IF_ERROR(check_execution(st));
      if (st.conn.on_execution) DBV_RETURN_IF_ERROR(st.conn.on_execution(*this));
      st.drops_encrypted = dropped_encrypted_tables(st.conn, st.compiled.facts);
      return check_encrypted_drop(st.conn, st.drops_encrypted);
    });
    if (!verdict) return std::move(verdict).error();
    if (!st.compiled.facts.created.empty()) DBV_RETURN_IF_ERROR(begin_ddl(st));
    st.started = true;
  }
  int rc = SQLITE_OK;
  const bool was_writing = sqlite3_txn_state(st.conn.db, nullptr) == SQLITE_TXN_WRITE;
  {
    auto scope = st.conn.auth->verify(st.compiled.facts);
    st.conn.auth->set_sealing(st.sealed);  // a re-prepare compiles the engine's rewrite again
    (void)st.conn.columns->take_error();
    rc = sqlite3_step(st.compiled.stmt.get());
    st.conn.auth->set_sealing(false);
  }
  pin.release();
  if (rc == SQLITE_ROW) {
    if (st.plan.empty()) return true;
    auto opened = st.conn.columns->decrypt_row(st.compiled.stmt.get(), st.plan);
    if (!opened) return std::move(opened).error();  // no row of this execution is shown
    st.decrypted = std::move(*opened);
    return true;
  }
  st.finished = true;
  // Plans derived from the schema before it (IndexPlanMemo) are not used after it.
  if (st.compiled.facts.ddl) st.conn.auth->schema_cache().changed();
  // A write transaction ended (COMMIT, ROLLBACK — "read-only" statements to SQLite — or an
  // autocommit write): sessions waiting for the write lock retry now.
  if (sqlite3_txn_state(st.conn.db, nullptr) != SQLITE_TXN_WRITE &&
      (was_writing || sqlite3_stmt_readonly(st.compiled.stmt.get()) == 0)) {
    notify_write_ended();
  }
  st.conn.savepoints.after(st.compiled.facts, rc == SQLITE_DONE, st.conn.db);
  if (rc == SQLITE_DONE) {
    st.changes = sqlite3_changes64(st.conn.db);
    if (st.in_savepoint) DBV_RETURN_IF_ERROR(finish_ddl(st));
    DBV_RETURN_IF_ERROR(finish_encrypted_drop(st.conn, std::exchange(st.drops_encrypted, {})));
    return false;
  }
  auto sealing = st.conn.columns->take_error();  // dbvault_seal's own SQLSTATE
  if (st.conn.auth->verify_refused()) st.stale = true;
  Error e = st.conn.auth->verify_refused() ? *st.conn.auth->verify_refused()
            : sealing                      ? std::move(*sealing)
                                           : engine_error(st.conn.db, rc);
  if (st.in_savepoint) abort_ddl(st);
  return e;
}

Status Statement::recheck() {
  StatementState& st = *state_;
  if (!st.started || st.finished) return ok_status();
  return check_execution(st);
}

Value Statement::column(int i) const {
  const auto& decrypted = state_->decrypted;
  if (!state_->plan.empty() && static_cast<std::size_t>(i) < decrypted.size() &&
      decrypted[static_cast<std::size_t>(i)]) {
    return *decrypted[static_cast<std::size_t>(i)];
  }
  sqlite3_stmt* s = state_->compiled.stmt.get();
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER:
      return std::int64_t{sqlite3_column_int64(s, i)};
    case SQLITE_FLOAT:
      return sqlite3_column_double(s, i);
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
      return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, i));
      return Blob{std::vector<std::uint8_t>(p, p + sqlite3_column_bytes(s, i))};
    }
    default:
      return std::monostate{};
  }
}

void Statement::reset() {
  StatementState& st = *state_;
  sqlite3_reset(st.compiled.stmt.get());
  if (st.in_savepoint) abort_ddl(st);  // an unfinished creation does not stay half-registered
  st.started = false;
  st.finished = false;
}

std::int64_t Statement::changes() const { return state_->changes; }

bool Statement::read_only() const {
  return sqlite3_stmt_readonly(state_->compiled.stmt.get()) != 0;
}

bool Statement::needs_prepare() const { return state_->stale; }

const std::string& Statement::sql() const { return state_->shown(); }

const vault::StatementAccesses& Statement::accesses() const { return state_->resolved; }

}  // namespace dbvault::storage
