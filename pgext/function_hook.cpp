#include "pgext/function_hook.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

post_parse_analyze_hook_type g_prev_post_parse = nullptr;
object_access_hook_type g_prev_object_access = nullptr;

constexpr const char* kRefused[] = {"pg_read_file", "pg_read_binary_file", "pg_stat_file",
                                    "pg_ls_dir",    "lo_import",           "lo_export"};

// The built-in functions' verdicts, looked up once per OID (built-ins have OIDs below
// FirstGenbkiObjectId and never change while the server runs).
bool g_known[FirstGenbkiObjectId];
bool g_refused[FirstGenbkiObjectId];

bool refused_builtin(Oid fn) {
  if (fn >= FirstGenbkiObjectId) return false;
  if (!g_known[fn]) {
    const char* name = get_func_name(fn);
    bool refused = false;
    if (name != nullptr && get_func_namespace(fn) == PG_CATALOG_NAMESPACE) {
      for (const char* r : kRefused) refused = refused || strcmp(name, r) == 0;
    }
    g_refused[fn] = refused;
    g_known[fn] = true;
  }
  return g_refused[fn];
}

// A function made later (CREATE FUNCTION ... LANGUAGE internal AS 'pg_read_file_all', which
// a superuser may do) runs the same C code as the built-in whose symbol it names.
bool refused_function(Oid fn) {
  if (fn < FirstGenbkiObjectId) return refused_builtin(fn);
  HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
  if (!HeapTupleIsValid(tuple)) return false;
  bool refused = false;
  if (reinterpret_cast<Form_pg_proc>(GETSTRUCT(tuple))->prolang == INTERNALlanguageId) {
    bool isnull = false;
    const Datum src = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc, &isnull);
    if (!isnull) refused = refused_builtin(fmgr_internal_function(TextDatumGetCString(src)));
  }
  ReleaseSysCache(tuple);
  return refused;
}

[[noreturn]] void refuse_function(Oid fn) {
  ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                  errmsg("dbvault: %s is refused", get_func_name(fn)),
                  errhint("The module refuses functions that read the cluster's files, for every "
                          "role, superusers included.")));
  pg_unreachable();
}

bool find_refused(Node* node, void* context);
// PostgreSQL 15 declares its walkers' callback as an old-style `bool (*)()`.
const auto kWalker = reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(&find_refused));

bool find_refused(Node* node, void* context) {
  if (node == nullptr) return false;
  if (IsA(node, FuncExpr) && refused_function(reinterpret_cast<FuncExpr*>(node)->funcid)) {
    refuse_function(reinterpret_cast<FuncExpr*>(node)->funcid);
  }
  if (IsA(node, Query)) {
    return query_tree_walker(reinterpret_cast<Query*>(node), kWalker, context, 0);
  }
  return expression_tree_walker(node, kWalker, context);
}

// Whether the text being analysed may call a function by name: every call written in SQL
// has a parenthesis. Without one (`SELECT abalance FROM t WHERE aid = 5`, most of an OLTP
// workload) the tree walk is skipped: a function such a statement still reaches (an implicit
// cast, an operator) is refused by object_access when it runs, as operators always are.
bool may_name_a_function(const ParseState* pstate) {
  return pstate == nullptr || pstate->p_sourcetext == nullptr ||
         strchr(pstate->p_sourcetext, '(') != nullptr;
}

// An early refusal, with the query's own text as context: the function calls a statement
// names (and a view's or an SQL function's body when it is created). The guard itself is
// object_access below.
void post_parse_analyze(ParseState* pstate, Query* query, JumbleState* jstate) {
  if (g_prev_post_parse != nullptr) g_prev_post_parse(pstate, query, jstate);
  if (may_name_a_function(pstate)) (void)find_refused(reinterpret_cast<Node*>(query), nullptr);
}

// OAT_FUNCTION_EXECUTE: PostgreSQL asks before it runs a function through the executor's
// expression machinery — a call, the function of an operator, an aggregate's state and final
// functions, a column DEFAULT, a CHECK or domain constraint, a policy, a rule's action, the
// arguments of EXECUTE and CALL, the planner's constant folding — whoever wrote the
// expression and whenever.
void object_access(ObjectAccessType access, Oid class_id, Oid object_id, int sub_id, void* arg) {
  if (g_prev_object_access != nullptr) {
    g_prev_object_access(access, class_id, object_id, sub_id, arg);
  }
  if (access == OAT_FUNCTION_EXECUTE && class_id == ProcedureRelationId &&
      refused_function(object_id)) {
    refuse_function(object_id);
  }
}

}  // namespace

void install_function_hook() {
  g_prev_post_parse = post_parse_analyze_hook;
  post_parse_analyze_hook = post_parse_analyze;
  g_prev_object_access = object_access_hook;
  object_access_hook = object_access;
}

}  // namespace dbvault::pgext
