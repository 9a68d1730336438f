// QueryLoop: an authenticated session, from its ParameterStatus messages to Terminate — the
// simple and extended query protocols, COPY, transaction status, timeouts and cancellation.
//
// Every statement is routed (grammar::classify): vault statements are parsed and executed by
// the vault and return their rows; engine statements go through pgcompat::translate and then
// storage::Connection, which checks each access set with the vault before anything runs.
// After an error inside a transaction block every statement but ROLLBACK (or COMMIT, which
// then rolls back) fails with 25P02, as in PostgreSQL; a simple Query of several statements
// runs as one implicit transaction (simple_query); after an error in the extended protocol
// messages are discarded until Sync.
//
// Thread-safety: one thread (the connection's). interrupt() may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "server/pgcompat/pgcompat.h"
#include "server/session/connection_io.h"
#include "server/session/context.h"
#include "server/session/rows.h"
#include "storage/engine.h"
#include "vault/session.h"

namespace dbvault::server::session {

class VaultViews;
class RealmAccessAudit;

class QueryLoop {
 public:
  QueryLoop(ServerContext& ctx, ConnectionIo& io, vault::Session session, std::uint64_t session_id);
  ~QueryLoop();

  // Registers the session, opens its engine connection, applies the startup parameters and
  // sends AuthenticationOk, ParameterStatus, BackendKeyData and ReadyForQuery. On error the
  // caller sends it as FATAL.
  Status start(const wire::Startup& startup);
  // Serves messages until Terminate, a closed connection, a fatal error or shutdown.
  void run();

 private:
  // Rows are sent once this much output is buffered.
  static constexpr std::size_t kFlushThreshold = 256 * 1024;
  friend class ExtendedProtocol;
  friend class CopyRunner;
  struct Prepared;
  struct Portal;

  // One statement of a simple Query message (or of an Execute): writes its results.
  Status run_statement(std::string_view text);
  Status run_vault_statement(std::string_view text);
  Status run_engine_statement(std::string_view text);
  Status run_engine_sql(const std::string& sql, const std::string& tag_override);
  // The statement for a simple query's `sql` (engine_sql.cpp): with `use_cache`, from the
  // connection's statement cache when its literals can be bound (pgcompat::auto_parameterize;
  // engine.simple_query_cache), else prepared into `owned`.
  Result<storage::Statement*> prepare_simple(const std::string& sql, bool use_cache,
                                             std::unique_ptr<storage::Statement>& owned);
  // conn_->prepare() of an engine statement. Its reads count as EXPORT (PrepareOptions) for
  // COPY ... TO (`copy_to`) and for every statement of a program on the export list.
  Result<std::unique_ptr<storage::Statement>> prepare_engine(std::string_view sql,
                                                             bool copy_to = false);
  // The audit records due before an execution of `stmt` runs, once the vault allowed it (the
  // engine connection's ExecutionHook): realm_access, and data_export for a program on the
  // export list. 58000 (nothing runs) when they cannot be written.
  Status audit_execution(const storage::Statement& stmt);
  // Runs an engine statement of the server's own (savepoints around COPY) without output.
  Status run_quietly(const std::string& sql);
  Status send_result_set(const pgcompat::ResultSet& rs);
  Status send_vault_rows(const std::vector<std::string>& columns,
                         const std::vector<std::vector<std::string>>& rows);

  // A simple Query message (implicit_block.cpp). Several statements in it run as one implicit
  // transaction block, as in PostgreSQL ("Multiple Statements in a Simple Query"): outside a
  // block one is opened before a statement (again after a COMMIT or ROLLBACK in the string),
  // committed after the last statement, and rolled back at the first error, after which the
  // rest is skipped and ReadyForQuery says 'I'. BEGIN in the string makes it an ordinary block.
  void simple_query(const std::string& sql);
  // Inside a block: a client's (the engine's transaction is open) or the implicit one.
  bool in_block() const;
  // The implicit block's engine transaction begins at its first statement that needs the
  // engine: the session's own statements before it (UNLOCK REALM) take effect outside a
  // transaction, so the tablespaces an unlock opened are attached for the statements after
  // it (nothing is attached inside a transaction). No-op outside an implicit block.
  Status join_implicit_block();
  // Ends the implicit block: COMMIT (on error nothing of it is committed; the caller rolls
  // back), or ROLLBACK. Both end the settings' transaction too.
  Status commit_implicit_block();
  void rollback_implicit_block();
  bool handle(wire::FrontendMessage& m);  // false: end the session
  char transaction_status() const;
  void ready_for_query();
  void send_changed_parameters();
  // After an error: inside a transaction block the block is failed until it ends; the
  // implicit block of a multi-statement query is rolled back.
  void note_error();
  bool aborted_block_allows(std::string_view text) const;
  static bool rolls_back_to_savepoint(std::string_view text);
  std::optional<std::chrono::milliseconds> read_timeout() const;
  // Arms the statement timeout (SET statement_timeout, else statement_timeout_ms) for the
  // statement about to run; disarm_timeout() after it. A 57014 error then says why.
  void arm_timeout();
  void disarm_timeout();
  Error explain_cancel(Error e) const;

  // Extended protocol.
  void on_parse(wire::Parse& m);
  void on_bind(wire::Bind& m);
  void on_describe(const wire::Describe& m);
  void on_execute(const wire::Execute& m);
  void on_close(const wire::Close& m);
  void on_sync();
  void extended_error(const Error& e);

  // COPY (copy.cpp).
  Status run_copy(const pgcompat::CopySpec& spec);
  Status copy_out(const pgcompat::CopySpec& spec);
  Status copy_in(const pgcompat::CopySpec& spec);

  ServerContext& ctx_;
  ConnectionIo& io_;
  vault::Session vsession_;
  std::uint64_t session_id_;
  std::optional<SessionRegistry::Ticket> ticket_;
  std::unique_ptr<pgcompat::Settings> settings_;
  std::unique_ptr<storage::Connection> conn_;
  std::unique_ptr<pgcompat::CatalogSource> catalog_;
  std::unique_ptr<VaultViews> views_;
  // While a Bind runs a statement as text: the result formats it asked for.
  std::vector<wire::Format> answer_formats_;
  std::unique_ptr<RealmAccessAudit> realm_audit_;
  std::mutex conn_mu_;  // guards conn_ for interrupt() from other threads
  std::atomic<bool> timed_out_{false};
  // A CancelRequest or the statement timeout came for the running statement (cleared as each
  // starts, arm_timeout). The COPY data wait polls it: no engine statement runs there to be
  // interrupted.
  std::atomic<bool> cancel_pending_{false};
  bool block_failed_ = false;
  std::uint64_t handled_ = 0;  // messages handled so far (handle())
  bool skip_until_sync_ = false;
  bool terminate_ = false;
  bool copy_out_running_ = false;  // copy_out() is running its statement
  std::map<std::string, std::unique_ptr<Prepared>, std::less<>> prepared_;
  std::map<std::string, std::unique_ptr<Portal>, std::less<>> portals_;
};

}  // namespace dbvault::server::session
