// Internal to the session layer: the state of the extended query protocol — named and unnamed
// prepared statements and portals (query_loop.h, extended.cpp).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/session/query_loop.h"

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
};

struct QueryLoop::Portal {
  QueryLoop::Prepared* prepared = nullptr;
  std::unique_ptr<storage::Statement> own;  // when `prepared->stmt` was busy
  storage::Statement* stmt = nullptr;
  std::vector<wire::Format> result_formats;
  std::vector<wire::FieldDescription> fields;
  bool described = false;
  bool started = false;
  bool done = false;
  std::optional<Row> peeked;  // a row stepped to (Describe) and not yet sent
  std::int64_t rows = 0;
  // Text-run portals: the captured RowDescription, the rest (DataRows + CommandComplete).
  std::string captured_description;
  std::string captured_rest;
  bool uses_prepared_stmt = false;

  ~Portal();
};

}  // namespace dbvault::server::session
