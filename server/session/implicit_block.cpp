// A simple Query message, and the implicit transaction block of one that holds several
// statements (PostgreSQL's protocol, "Multiple Statements in a Simple Query";
// docs/sql-reference.md §1.4).
#include <spdlog/spdlog.h>

#include "grammar/splitter.h"
#include "server/session/extended.h"
#include "server/session/query_loop.h"

namespace dbvault::server::session {
namespace {

constexpr SqlState kActiveTransaction{"25001"};

Error shifted(Error e, std::size_t offset) {
  if (e.position > 0) e.position += static_cast<int>(offset);
  return e;
}

}  // namespace

void QueryLoop::simple_query(const std::string& sql) {
  // A simple Query ends any extended-protocol error state.
  skip_until_sync_ = false;
  const auto statements = grammar::split_statements(sql);
  if (statements.empty()) {
    wire::append_empty_query_response(io_.out());
    ready_for_query();
    return;
  }
  const bool several = statements.size() > 1;
  bool failed = false;
  for (const auto& st : statements) {
    // Again after a COMMIT or ROLLBACK in the string: what follows it is a block of its own.
    if (several && !in_block()) settings_->on_transaction_begin(/*implicit=*/true);
    arm_timeout();
    auto s = run_statement(st.text);
    disarm_timeout();
    if (!s) {
      Error e = shifted(explain_cancel(std::move(s).error()), st.offset);
      if (settings_->in_implicit_block() && e.code == kActiveTransaction && e.hint.empty()) {
        if (e.detail.empty())
          e.detail = "A query string of several statements runs as one transaction.";
        e.hint = "Send it as a query of its own.";
      }
      io_.error(e);
      note_error();
      failed = true;
      break;
    }
    send_changed_parameters();
    if (io_.out().size() > kFlushThreshold) io_.flush();
  }
  if (!failed && settings_->in_implicit_block()) {
    if (auto s = commit_implicit_block(); !s) {
      io_.error(s.error());
      rollback_implicit_block();
    }
  }
  send_changed_parameters();  // a rolled-back SET is reported back to its old value
  // A COMMIT or ROLLBACK here ended the block: its portals go with it, as in PostgreSQL (and
  // with them their statements' read snapshots, which would keep a tablespace whose key was
  // locked attached, refusing every statement on it, until each portal was closed).
  if (!(conn_ && conn_->in_transaction())) portals_.clear();
  ready_for_query();
}

bool QueryLoop::in_block() const {
  return settings_->in_implicit_block() || (conn_ && conn_->in_transaction());
}

Status QueryLoop::join_implicit_block() {
  if (!settings_->in_implicit_block() || conn_->in_transaction()) return ok_status();
  return run_quietly("BEGIN");
}

Status QueryLoop::commit_implicit_block() {
  if (conn_->in_transaction()) DBV_RETURN_IF_ERROR(run_quietly("COMMIT"));
  settings_->on_transaction_end(/*committed=*/true);
  return ok_status();
}

void QueryLoop::rollback_implicit_block() {
  if (conn_->in_transaction()) {
    if (auto s = run_quietly("ROLLBACK"); !s) {
      spdlog::warn("session {}: ROLLBACK of a multi-statement query failed: {}", session_id_,
                   s.error().message);
    }
  }
  settings_->on_transaction_end(/*committed=*/false);
}

}  // namespace dbvault::server::session
