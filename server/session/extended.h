// Internal to the session layer: the state of the extended query protocol — named and unnamed
// prepared statements and portals (query_loop.h, extended.cpp).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/session/query_loop.h"
#include "server/session/vault_parameters.h"

namespace dbvault::server::session {

// A Parse'd statement. Engine statements that translate to one engine statement are prepared
// on the engine at Parse (so the vault checks them then, and again at every execution);
// anything else (vault statements, pgcompat answers, rewrites into several statements) is kept
// as text and run whole when bound.
struct QueryLoop::Prepared {
  std::string text;
  std::string tag_override;
  std::unique_ptr<storage::Statement> stmt;  // null: run `text` as a simple statement
  std::vector<wire::Oid> param_types;        // one per $n
  std::vector<int> engine_index;             // $n (0-based) -> SQLite parameter index
  int open_portals = 0;                      // portals currently using `stmt`
  // `stmt` was prepared as an export (PrepareOptions::exported). The export list can change
  // by SIGHUP after Parse: Bind re-prepares `stmt` when this no longer matches the session.
  bool exported = false;
  // Describe of the statement told the client its column types (an expression column, not
  // yet run, is text): its portals keep those types instead of the first row's, since the
  // client decodes their rows by that description (asyncpg, pgx, pgjdbc).
  bool described = false;
  std::vector<wire::Oid> expression_types;  // pgcompat::infer_result_types of `text`
  // Run as text: the columns its rows will have, when known at Parse (a vault statement's
  // result columns, a pgcompat answer's), for Describe of the statement; else NoData.
  std::vector<wire::FieldDescription> answer_fields;
  // $n of a statement run as text (a vault statement, a catalog answer): bound as literals.
  std::vector<VaultPlaceholder> text_markers;
};

struct QueryLoop::Portal {
  QueryLoop::Prepared* prepared = nullptr;
  std::unique_ptr<storage::Statement> own;  // when `prepared->stmt` was busy
  storage::Statement* stmt = nullptr;
  std::vector<wire::Format> result_formats;
  std::vector<wire::FieldDescription> fields;
  bool described = false;
  std::vector<wire::Oid> expression_types;  // pgcompat::infer_result_types of `text`
  bool started = false;
  bool done = false;
  std::optional<Row> peeked;  // a row stepped to (Describe) and not yet sent
  // The Describe that stepped it: its message number (QueryLoop::handled_), and whether the
  // whole next message, an Execute, was already waiting when it began (a pipelined Execute;
  // a partly sent one could be held back by the client for as long as it likes).
  std::uint64_t stepped_by_message = 0;
  bool execute_already_here = false;
  std::int64_t rows = 0;
  // Text-run portals: the captured RowDescription, the rest (DataRows + CommandComplete).
  std::string captured_description;
  std::string captured_rest;
  std::string run_at_execute;  // a COPY: run by the Execute (on_bind)
  bool uses_prepared_stmt = false;

  ~Portal();
};

}  // namespace dbvault::server::session
