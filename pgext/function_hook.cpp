#include "pgext/function_hook.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/transam.h"
#include "catalog/pg_namespace.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "utils/lsyscache.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

post_parse_analyze_hook_type g_prev_post_parse = nullptr;

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

bool find_refused(Node* node, void* context);
// PostgreSQL 15 declares its walkers' callback as an old-style `bool (*)()`.
const auto kWalker = reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(&find_refused));

bool find_refused(Node* node, void* context) {
  if (node == nullptr) return false;
  if (IsA(node, FuncExpr) && refused_builtin(reinterpret_cast<FuncExpr*>(node)->funcid)) {
    ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                    errmsg("dbvault: %s is refused",
                           get_func_name(reinterpret_cast<FuncExpr*>(node)->funcid)),
                    errhint("The module refuses functions that read the cluster's files, for every "
                            "role, superusers included.")));
  }
  if (IsA(node, Query)) {
    return query_tree_walker(reinterpret_cast<Query*>(node), kWalker, context, 0);
  }
  return expression_tree_walker(node, kWalker, context);
}

// Every query PostgreSQL analyses passes here: top-level statements, and the bodies of SQL and
// PL/pgSQL functions (inlined or run through SPI), views and rules when they are created.
void post_parse_analyze(ParseState* pstate, Query* query, JumbleState* jstate) {
  if (g_prev_post_parse != nullptr) g_prev_post_parse(pstate, query, jstate);
  (void)find_refused(reinterpret_cast<Node*>(query), nullptr);
}

}  // namespace

void install_function_hook() {
  g_prev_post_parse = post_parse_analyze_hook;
  post_parse_analyze_hook = post_parse_analyze;
}

}  // namespace dbvault::pgext
