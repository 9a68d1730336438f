// The SQL functions of the dbvault schema (dbvault--0.1.sql): each runs one vault statement
// for the backend's session and returns its rows as (tag text, result jsonb).
#include <string>

#include "pgext/log_hook.h"
#include "pgext/module.h"
#include "pgext/pg_access.h"
#include "pgext/redaction.h"
#include "pgext/result_json.h"
#include "pgext/statements.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"
#include "tcop/tcopprot.h"
#include "nodes/plannodes.h"

PG_FUNCTION_INFO_V1(dbvault_execute);
PG_FUNCTION_INFO_V1(dbvault_unlock);
PG_FUNCTION_INFO_V1(dbvault_lock);
PG_FUNCTION_INFO_V1(dbvault_audit_log);
PG_FUNCTION_INFO_V1(dbvault_explain);
PG_FUNCTION_INFO_V1(dbvault_view);
}
// clang-format on

namespace dbvault::pgext {
namespace {

// The statement text an entry point builds, kept in backend storage so that the frame that
// may ereport holds no C++ object. Wiped after each call.
SecretString& statement_text() {
  static SecretString text;
  return text;
}

// The statements an entry point runs.
enum Kind { kExecute, kUnlockPassword, kUnlockToken, kLock, kAuditLog, kView };

bool run_statement(int kind) {
  BackendState& st = backend_state();
  return run_guarded(st.error, [&]() -> Status {
    st.wipe_rows();
    if (kind == kAuditLog) {
      auto lines = st.vault->audit_records();
      if (!lines) return std::move(lines).error();
      st.tag = "SELECT";
      st.rows = std::move(*lines);
      return ok_status();
    }
    auto r = kind == kView ? st.vault->query_view(statement_text().reveal())
                           : st.vault->execute(statement_text().reveal(), &st.policy_move);
    if (!r) {
      Error e = std::move(r).error();
      for (std::string* text : {&e.message, &e.detail, &e.hint}) {
        *text = without_literals_of(*text, statement_text().reveal());
      }
      statement_text() = SecretString();
      return e;
    }
    statement_text() = SecretString();
    st.tag = r->tag;
    st.rows = rows_as_json(*r);
    for (auto& row : r->rows) {
      for (auto& v : row) wipe_string(v);  // the token / password of UNLOCK, GRANT
    }
    return ok_status();
  });
}

bool set_statement(const char* a, const char* b, int kind) {
  BackendState& st = backend_state();
  return run_guarded(st.error, [&]() -> Status {
    switch (kind) {
      case kExecute:
      case kView:
        statement_text() = SecretString(a);
        break;
      case kUnlockPassword:
        statement_text() = unlock_statement(a, b, false);
        break;
      case kUnlockToken:
        statement_text() = unlock_statement(a, b, true);
        break;
      case kLock:
        statement_text() = SecretString(lock_statement(a));
        break;
      default:
        break;
    }
    return ok_status();
  });
}

Datum return_rows(FunctionCallInfo fcinfo);

// The planned statements of `sql` (exactly one statement, not a utility one): their range
// tables' accesses. ereports otherwise.
PgAccessList planned_accesses(const char* sql) {
  List* raw = pg_parse_query(sql);
  if (list_length(raw) != 1) {
    ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR), errmsg("dbvault.explain takes one statement")));
  }
  List* queries =
      pg_analyze_and_rewrite_fixedparams(linitial_node(RawStmt, raw), sql, nullptr, 0, nullptr);
  List* planned = pg_plan_queries(queries, sql, 0, nullptr);
  List* rtable = NIL;
  ListCell* lc;
  foreach (lc, planned) {
    PlannedStmt* p = lfirst_node(PlannedStmt, lc);
    if (p->commandType == CMD_UTILITY) {
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("dbvault.explain explains queries and DML, not utility statements")));
    }
    rtable = list_concat(rtable, p->rtable);
  }
  return range_table_accesses(rtable);
}

bool explain_into_rows(const PgAccess* accesses, int n) {
  BackendState& st = backend_state();
  return run_guarded(st.error, [&]() -> Status {
    st.wipe_rows();
    std::vector<RelationAccess> relations;
    for (int i = 0; i < n; ++i) {
      RelationAccess r{accesses[i].schema, accesses[i].table, accesses[i].command, {}};
      for (int c = 0; c < accesses[i].ncolumns; ++c) r.columns.emplace_back(accesses[i].columns[c]);
      relations.push_back(std::move(r));
    }
    const vault::StatementResult result = st.vault->explain(relations);
    st.tag = result.tag;
    st.rows = rows_as_json(result);
    return ok_status();
  });
}

// Runs the statement and materialises its rows; a statement without rows gives one row
// (tag, NULL). ereports on error.
Datum run_and_return(FunctionCallInfo fcinfo, const char* a, const char* b, int kind) {
  mark_secret_statement();
  BackendState& st = backend_state();
  st.policy_move = {};
  const bool ran =
      set_statement(a, b, kind) && ensure_open() && sync_policy() && run_statement(kind);
  // Only a policy change moves the shared version: an UNLOCK of every pooled connection must
  // not make every other backend rebuild its snapshot.
  if (st.policy_move.moved) bump_policy_version(st.policy_move.own_current);
  if (!ran) {
    st.wipe_rows();
    statement_text() = SecretString();
    raise(st.error);
  }
  return return_rows(fcinfo);
}

Datum return_rows(FunctionCallInfo fcinfo) {
  InitMaterializedSRF(fcinfo, 0);
  auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  BackendState& st = backend_state();
  Datum values[2];
  bool nulls[2] = {false, false};
  values[0] = CStringGetTextDatum(st.tag.c_str());
  if (st.rows.empty()) {
    nulls[1] = true;
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
  }
  for (std::size_t i = 0; i < st.rows.size(); ++i) {
    values[1] = DirectFunctionCall1(jsonb_in, CStringGetDatum(st.rows[i].c_str()));
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
  }
  st.wipe_rows();
  return static_cast<Datum>(0);
}

}  // namespace
}  // namespace dbvault::pgext

using dbvault::pgext::run_and_return;
using namespace dbvault::pgext;

// dbvault.execute(statement text): any vault statement.
extern "C" Datum dbvault_execute(PG_FUNCTION_ARGS) {
  return run_and_return(fcinfo, text_to_cstring(PG_GETARG_TEXT_PP(0)), nullptr, kExecute);
}

// dbvault._unlock(realm text, secret text, by_token bool): UNLOCK REALM, quoted safely.
extern "C" Datum dbvault_unlock(PG_FUNCTION_ARGS) {
  return run_and_return(fcinfo, text_to_cstring(PG_GETARG_TEXT_PP(0)),
                        text_to_cstring(PG_GETARG_TEXT_PP(1)),
                        PG_GETARG_BOOL(2) ? kUnlockToken : kUnlockPassword);
}

// dbvault._lock(realm text): LOCK REALM.
extern "C" Datum dbvault_lock(PG_FUNCTION_ARGS) {
  return run_and_return(fcinfo, text_to_cstring(PG_GETARG_TEXT_PP(0)), nullptr, kLock);
}

// dbvault.explain(sql text): EXPLAIN VAULT of a query, planned by PostgreSQL, not run.
extern "C" Datum dbvault_explain(PG_FUNCTION_ARGS) {
  const PgAccessList accesses = planned_accesses(text_to_cstring(PG_GETARG_TEXT_PP(0)));
  if (!ensure_open() || !sync_policy() || !explain_into_rows(accesses.items, accesses.n)) {
    raise(backend_state().error);
  }
  return return_rows(fcinfo);
}

// dbvault._view(name text): one of the vault's views (vault.realms, ...), read-only.
extern "C" Datum dbvault_view(PG_FUNCTION_ARGS) {
  return run_and_return(fcinfo, text_to_cstring(PG_GETARG_TEXT_PP(0)), nullptr, kView);
}

// dbvault._audit_log(): every durable audit record (AUDIT_VIEWER).
extern "C" Datum dbvault_audit_log(PG_FUNCTION_ARGS) {
  return run_and_return(fcinfo, nullptr, nullptr, kAuditLog);
}
