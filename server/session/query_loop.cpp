#include "server/session/query_loop.h"

#include <spdlog/spdlog.h>

#include "grammar/classifier.h"
#include "grammar/parser.h"
#include "server/session/catalog.h"
#include "server/session/data_export.h"
#include "server/session/extended.h"
#include "server/session/realm_access.h"
#include "server/session/statement_words.h"
#include "server/session/vault_views.h"
#include "storage/columns/gate_column_keys.h"
#include "storage/tablespace_keys.h"

namespace dbvault::server::session {
namespace {

// The vault statements a transaction block may hold — a client's (BEGIN) or the implicit one of
// a multi-statement query: those of the session alone (its unlocks) and those that only read.
// Every other one changes the policy, the keys or the files at once, beyond the reach of the
// block's ROLLBACK (docs/sql-reference.md §1.9). CREATE TABLE ... TABLESPACE / ENCRYPTED is
// refused by the storage inside a block (its key and catalog record would outlive a ROLLBACK).
bool runs_in_a_block(const ast::Statement& st) {
  return std::holds_alternative<ast::UnlockRealm>(st.node) ||
         std::holds_alternative<ast::LockRealm>(st.node) ||
         std::holds_alternative<ast::ExplainVault>(st.node) ||
         std::holds_alternative<ast::VerifyAuditLog>(st.node);
}

}  // namespace

QueryLoop::QueryLoop(ServerContext& ctx, ConnectionIo& io, vault::Session session,
                     std::uint64_t session_id)
    : ctx_(ctx),
      io_(io),
      vsession_(std::move(session)),
      session_id_(session_id),
      realm_audit_(std::make_unique<RealmAccessAudit>(ctx_, vsession_)) {}

QueryLoop::~QueryLoop() {
  if (ticket_) ctx_.watchdog.disarm(ticket_->pid);
  portals_.clear();
  prepared_.clear();
  {
    std::lock_guard lock(conn_mu_);
    conn_.reset();
  }
  // Logout: the session's tablespace keys are no longer answered for.
  if (ctx_.services.vault_key_authorizer) ctx_.services.vault_key_authorizer->detach(session_id_);
  ctx_.services.gate->end_session(session_id_);
  if (ticket_) ctx_.registry.leave(ticket_->pid);
  (void)realm_audit_->flush();  // logged if it fails
  audit::Event e;
  e.type = audit::EventType::kLogout;
  e.user = vsession_.user_name();
  e.ip_address = vsession_.info().client_ip;
  e.session_id = vsession_.info().session_id;
  (void)ctx_.services.audit->append(std::move(e));
}

Status QueryLoop::start(const wire::Startup& startup) {
  SessionSummary summary;
  summary.session_id = vsession_.info().session_id;
  summary.user = vsession_.user_name();
  summary.client_ip = vsession_.info().client_ip;
  summary.program_name = vsession_.info().program_name;
  summary.started_at = audit::format_time(
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
  summary.tls = vsession_.info().tls;
  ticket_ = ctx_.registry.enter(
      std::move(summary),
      [this] {
        cancel_pending_ = true;
        std::lock_guard lock(conn_mu_);
        if (conn_) conn_->interrupt();
      },
      [this] { io_.stream().shutdown(); });
  if (!ticket_) {
    return make_error(SqlState{"53300"}, "sorry, too many clients already");
  }
  pgcompat::SessionIdentity identity;
  identity.user = vsession_.user_name();
  identity.database = std::string(startup.parameter("database").value_or(identity.user));
  identity.backend_pid = ticket_->pid;
  settings_ = std::make_unique<pgcompat::Settings>(identity);
  for (const auto& [key, value] : startup.parameters) {
    if (key == "user" || key == "database" || key == "options" || key.starts_with("_pq_."))
      continue;
    if (key == "replication") {
      return make_error(sqlstate::kFeatureNotSupported,
                        "replication connections are not supported");
    }
    if (auto s = settings_->apply_startup(key, value); !s) return s;
  }
  auto conn = ctx_.engine.connect(
      vsession_, [this](sqlite3* db) { return pgcompat::prepare_connection(db, *settings_); },
      [this](const storage::Statement& stmt) { return audit_execution(stmt); });
  if (!conn) return std::move(conn).error();
  if (ctx_.services.vault_key_authorizer) {
    // Tablespace keys reach this connection only through the gate, for this session
    // (docs/encryption.md §9).
    ctx_.services.vault_key_authorizer->attach(session_id_, vsession_);
    (*conn)->set_tablespace_keys(std::make_shared<storage::GateTablespaceKeys>(
        *ctx_.services.gate, *ctx_.services.key_authorizer,
        crypto::SessionRef{session_id_, vsession_.user_name()}));
    // So do the keys of encrypted columns (docs/encryption.md §13.6).
    (*conn)->set_column_keys(std::make_shared<storage::columns::GateColumnKeys>(
        *ctx_.services.gate, *ctx_.services.keys,
        crypto::SessionRef{session_id_, vsession_.user_name()}));
  }
  {
    std::lock_guard lock(conn_mu_);
    conn_ = std::move(*conn);
  }
  catalog_ = make_catalog(ctx_, vsession_);
  wire::append_authentication_ok(io_.out());
  for (const auto& [name, value] : settings_->reported()) {
    wire::append_parameter_status(io_.out(), name, value);
  }
  (void)settings_->take_changed();
  wire::append_backend_key_data(io_.out(), ticket_->pid, ticket_->secret);
  ready_for_query();
  return ok_status();
}

char QueryLoop::transaction_status() const {
  if (block_failed_) return 'E';
  return conn_ && conn_->in_transaction() ? 'T' : 'I';
}

void QueryLoop::ready_for_query() {
  wire::append_ready_for_query(io_.out(), transaction_status());
  io_.flush();
}

void QueryLoop::send_changed_parameters() {
  for (const auto& [name, value] : settings_->take_changed()) {
    wire::append_parameter_status(io_.out(), name, value);
  }
}

std::optional<std::chrono::milliseconds> QueryLoop::read_timeout() const {
  const bool in_tx = conn_ && conn_->in_transaction();
  std::int64_t ms = in_tx ? settings_->idle_in_transaction_timeout_ms() : 0;
  if (ms == 0) {
    const auto s = in_tx ? ctx_.config().idle_in_transaction_timeout : ctx_.config().idle_timeout;
    ms = std::chrono::duration_cast<std::chrono::milliseconds>(s).count();
  }
  if (ms <= 0) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

void QueryLoop::run() {
  while (!terminate_) {
    // An idle session still writes its pending realm_access repeats once their window ends.
    const auto idle = read_timeout();
    const auto repeats_due = realm_audit_->flush_due_in();
    const bool wake_for_repeats = repeats_due && (!idle || *repeats_due < *idle);
    auto next = io_.next(wake_for_repeats ? repeats_due : idle);
    switch (next.event) {
      case ConnectionIo::Event::kMessage:
        if (!handle(*next.message)) return;
        if (io_.out().size() > kFlushThreshold) io_.flush();
        break;
      case ConnectionIo::Event::kTimeout: {
        if (wake_for_repeats) {
          (void)realm_audit_->flush_due();  // logged if it fails; the next statement fails too
          break;
        }
        const bool in_tx = conn_ && conn_->in_transaction();
        io_.error(make_error(SqlState{in_tx ? "25P03" : "57P05"},
                             in_tx ? "terminating connection due to idle-in-transaction timeout"
                                   : "terminating connection due to idle-session timeout"),
                  "FATAL");
        return;
      }
      case ConnectionIo::Event::kError:
        io_.error(*next.error, "FATAL");
        return;
      case ConnectionIo::Event::kClosed:
        if (ctx_.registry.shutting_down()) {
          io_.error(
              make_error(SqlState{"57P01"}, "terminating connection due to administrator command"),
              "FATAL");
        }
        return;
    }
  }
}

bool QueryLoop::handle(wire::FrontendMessage& m) {
  ++handled_;
  if (auto* q = std::get_if<wire::Query>(&m)) {
    simple_query(q->sql);
  } else if (auto* p = std::get_if<wire::Parse>(&m)) {
    on_parse(*p);
  } else if (auto* b = std::get_if<wire::Bind>(&m)) {
    on_bind(*b);
  } else if (auto* d = std::get_if<wire::Describe>(&m)) {
    on_describe(*d);
  } else if (auto* e = std::get_if<wire::Execute>(&m)) {
    on_execute(*e);
  } else if (auto* c = std::get_if<wire::Close>(&m)) {
    on_close(*c);
  } else if (std::holds_alternative<wire::Sync>(m)) {
    on_sync();
  } else if (std::holds_alternative<wire::Flush>(m)) {
    io_.flush();
  } else if (std::holds_alternative<wire::Terminate>(m)) {
    return false;
  } else if (std::holds_alternative<wire::CopyData>(m) ||
             std::holds_alternative<wire::CopyDone>(m) ||
             std::holds_alternative<wire::CopyFail>(m)) {
    // COPY messages outside COPY: PostgreSQL ignores them too (the copy already ended).
  } else if (std::holds_alternative<wire::FunctionCall>(m)) {
    extended_error(make_error(sqlstate::kFeatureNotSupported,
                              "the fast-path function call interface is not supported"));
    if (!skip_until_sync_) ready_for_query();
  } else {
    io_.error(make_error(sqlstate::kProtocolViolation,
                         "unexpected " + std::string(wire::message_name(m)) + " message"),
              "FATAL");
    return false;
  }
  return true;
}

void QueryLoop::note_error() {
  if (settings_->in_implicit_block()) {
    rollback_implicit_block();  // nothing of the string is left; ReadyForQuery says 'I'
    return;
  }
  if (conn_ && conn_->in_transaction()) block_failed_ = true;
}

bool QueryLoop::rolls_back_to_savepoint(std::string_view text) {
  const auto words = leading_words(text, 3);
  if (words.size() < 2 || words[0] != "ROLLBACK") return false;
  if (words[1] == "TO") return true;
  return words.size() == 3 && (words[1] == "WORK" || words[1] == "TRANSACTION") && words[2] == "TO";
}

bool QueryLoop::aborted_block_allows(std::string_view text) const {
  const auto words = leading_words(text, 2);
  if (words.empty()) return false;
  if (words[0] == "ROLLBACK" || words[0] == "ABORT") return true;
  return words[0] == "COMMIT" || words[0] == "END";
}

void QueryLoop::arm_timeout() {
  timed_out_ = false;
  cancel_pending_ = false;
  std::int64_t ms = settings_->statement_timeout_ms();
  if (ms <= 0) ms = ctx_.config().statement_timeout.count();
  if (ms <= 0) return;
  ctx_.watchdog.arm(ticket_->pid, Watchdog::Clock::now() + std::chrono::milliseconds(ms), [this] {
    timed_out_ = true;
    cancel_pending_ = true;
    std::lock_guard lock(conn_mu_);
    if (conn_) conn_->interrupt();
  });
}

void QueryLoop::disarm_timeout() { ctx_.watchdog.disarm(ticket_->pid); }

Error QueryLoop::explain_cancel(Error e) const {
  if (e.code == SqlState{"57014"}) {
    e.message = timed_out_ ? "canceling statement due to statement timeout"
                           : "canceling statement due to user request";
  }
  return e;
}

Status QueryLoop::run_statement(std::string_view text) {
  if (block_failed_) {
    if (!aborted_block_allows(text)) {
      return make_error(SqlState{"25P02"},
                        "current transaction is aborted, commands ignored until end of "
                        "transaction block");
    }
    // ROLLBACK TO SAVEPOINT recovers the block, as in PostgreSQL (before, it rolled back the
    // whole block, and what followed ran outside any block).
    if (rolls_back_to_savepoint(text)) {
      auto s = run_engine_statement(text);
      if (s) block_failed_ = false;
      return s;
    }
    // COMMIT of a failed block rolls back, as in PostgreSQL.
    auto s = run_engine_sql("ROLLBACK", "ROLLBACK");
    block_failed_ = false;
    settings_->on_transaction_end(false);
    return s;
  }
  if (grammar::classify(text) == grammar::StatementClass::kExtension) {
    return run_vault_statement(text);
  }
  return run_engine_statement(text);
}

Status QueryLoop::run_vault_statement(std::string_view text) {
  auto parsed = grammar::parse(text);
  if (!parsed) return std::move(parsed).error();
  // CREATE TABLE ... TABLESPACE / ... ENCRYPTED: the engine makes the table (the vault checks
  // it as any CREATE TABLE), then its catalog and keys.
  const auto* ct = std::get_if<ast::CreateTable>(&parsed->node);
  if (ct != nullptr && (ct->tablespace || !ct->encrypted_columns.empty())) {
    std::string notice;  // IF NOT EXISTS over an existing table: nothing was done
    // In a multi-statement string the engine's block is open first, so that the storage
    // refuses it (25001) as inside BEGIN: its key and catalog record outlive a ROLLBACK.
    DBV_RETURN_IF_ERROR(join_implicit_block());
    DBV_RETURN_IF_ERROR(conn_->create_table_in(*ct, &notice));
    if (!notice.empty()) {
      wire::ErrorFields fields;
      fields.severity = "NOTICE";
      fields.code = "42P07";
      fields.message = std::move(notice);
      wire::append_notice_response(io_.out(), fields);
    }
    wire::append_command_complete(io_.out(), "CREATE TABLE");
    return ok_status();
  }
  if (in_block() && !runs_in_a_block(*parsed)) {
    return make_error(SqlState{"25001"},
                      std::string(ast::statement_kind(*parsed)) +
                          " cannot run inside a transaction block (a vault statement takes "
                          "effect at once, and ROLLBACK could not undo it)");
  }
  auto result = ctx_.services.vault->execute(vsession_, *parsed);
  // LOCK REALM, a revocation...: keys the vault withdrew leave this connection now.
  conn_->release_locked_tablespaces();
  if (!result) return std::move(result).error();
  if (!result->columns.empty()) {
    DBV_RETURN_IF_ERROR(send_vault_rows(result->columns, result->rows));
  }
  wire::append_command_complete(io_.out(), result->tag);
  return ok_status();
}

Status QueryLoop::send_vault_rows(const std::vector<std::string>& columns,
                                  const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::optional<std::string>>> values;
  for (const auto& row : rows) values.emplace_back(row.begin(), row.end());
  return append_text_rows(io_.out(), text_fields(columns), values, answer_formats_);
}

Status QueryLoop::send_result_set(const pgcompat::ResultSet& rs) {
  if (!rs.columns.empty()) {
    DBV_RETURN_IF_ERROR(
        append_text_rows(io_.out(), answer_fields(rs.columns), rs.rows, answer_formats_));
  }
  wire::append_command_complete(io_.out(), rs.tag);
  return ok_status();
}

Status QueryLoop::run_engine_statement(std::string_view text) {
  if (names_vault_view(text)) {
    DBV_RETURN_IF_ERROR(realm_audit_->flush());  // this session's own accesses show too
    if (!views_) views_ = std::make_unique<VaultViews>(ctx_, vsession_);
    auto rs = views_->query(text);
    if (!rs) return std::move(rs).error();
    return send_result_set(*rs);
  }
  DBV_RETURN_IF_ERROR(join_implicit_block());
  auto translated = pgcompat::translate(text, *settings_, *catalog_);
  if (!translated) return std::move(translated).error();
  if (auto* rs = std::get_if<pgcompat::ResultSet>(&*translated)) return send_result_set(*rs);
  if (auto* copy = std::get_if<pgcompat::CopySpec>(&*translated)) return run_copy(*copy);
  const auto& rw = std::get<pgcompat::Rewritten>(*translated);
  if (rw.statements.size() == 1) return run_engine_sql(rw.statements[0], rw.tag);
  // The parts' own results are replaced by the rewrite's one tag.
  auto s =
      pgcompat::run_as_one(rw, [&](std::string_view sql) { return run_quietly(std::string(sql)); });
  if (!s) return s;
  wire::append_command_complete(io_.out(), rw.tag.empty() ? "OK" : rw.tag);
  return ok_status();
}

Status QueryLoop::run_quietly(const std::string& sql) {
  std::string saved = std::move(io_.out());
  io_.out().clear();
  auto s = run_engine_sql(sql, "-");
  io_.out() = std::move(saved);
  return s;
}

Result<std::unique_ptr<storage::Statement>> QueryLoop::prepare_engine(std::string_view sql,
                                                                      bool copy_to) {
  return conn_->prepare(sql,
                        {.exported = copy_to || is_export_program(ctx_, vsession_), .source = {}});
}

Status QueryLoop::audit_execution(const storage::Statement& stmt) {
  DBV_RETURN_IF_ERROR(realm_audit_->before_execution(stmt));
  if (copy_out_running_) return audit_data_export(ctx_, vsession_, stmt, "COPY TO STDOUT");
  if (!is_export_program(ctx_, vsession_)) return ok_status();
  return audit_data_export(ctx_, vsession_, stmt, "export program");
}

}  // namespace dbvault::server::session
