#include "pgext/body_owners.h"

#include "pgext/foreign_calls.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/syscache.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

needs_fmgr_hook_type g_prev_needs = nullptr;
fmgr_hook_type g_prev_fmgr = nullptr;

// Running calls per owner. Distinct owners are few (nesting repeats them); past kMaxOwners a
// call is refused rather than run unchecked.
constexpr int kMaxOwners = 64;
struct Running {
  Oid owner;
  int calls;
};
Running g_running[kMaxOwners];
int g_nrunning = 0;

// The function's owner when it is tracked (made after initdb, owned by a non-superuser);
// InvalidOid otherwise.
Oid tracked_owner(Oid fn) {
  if (fn < FirstNormalObjectId) return InvalidOid;
  HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
  if (!HeapTupleIsValid(tuple)) return InvalidOid;
  const Oid owner = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tuple))->proowner;
  ReleaseSysCache(tuple);
  return superuser_arg(owner) ? InvalidOid : owner;
}

bool needs(Oid fn) {
  if (g_prev_needs != nullptr && g_prev_needs(fn)) return true;
  return OidIsValid(tracked_owner(fn));
}

void start(Oid owner) {
  for (int i = 0; i < g_nrunning; ++i) {
    if (g_running[i].owner == owner) {
      ++g_running[i].calls;
      return;
    }
  }
  if (g_nrunning == kMaxOwners) {
    ereport(ERROR,
            (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
             errmsg("dbvault: functions of more than %d owners are running at once", kMaxOwners)));
  }
  g_running[g_nrunning++] = Running{owner, 1};
}

void finish(Oid owner) {
  for (int i = 0; i < g_nrunning; ++i) {
    if (g_running[i].owner != owner) continue;
    if (--g_running[i].calls == 0) g_running[i] = g_running[--g_nrunning];
    return;
  }
}

// The owner is looked up at START and kept in the call site's datum `priv` for END and ABORT
// (no catalog access while a call fails). When another module's fmgr_hook runs before this
// one, the datum is that module's: the owner is then looked up again.
void on_call(FmgrHookEventType event, FmgrInfo* flinfo, Datum* priv) {
  if (g_prev_fmgr != nullptr) g_prev_fmgr(event, flinfo, priv);
  Oid owner = InvalidOid;
  if (event == FHET_START || g_prev_fmgr != nullptr) {
    owner = tracked_owner(flinfo->fn_oid);
    if (g_prev_fmgr == nullptr) *priv = ObjectIdGetDatum(owner);
  } else {
    owner = DatumGetObjectId(*priv);
  }
  if (!OidIsValid(owner)) return;
  if (event == FHET_START) {
    // Before the count: a refusal here gets no FHET_ABORT.
    if (!own_code(owner)) check_call_of(owner);
    start(owner);
  } else {
    finish(owner);
  }
}

}  // namespace

bool own_code(unsigned int role) { return role == GetAuthenticatedUserId() || superuser_arg(role); }

int running_function_owners(unsigned int* out, int max) {
  int n = 0;
  for (int i = 0; i < g_nrunning && n < max; ++i) out[n++] = g_running[i].owner;
  return n;
}

void install_body_owner_hooks() {
  g_prev_needs = needs_fmgr_hook;
  needs_fmgr_hook = needs;
  g_prev_fmgr = fmgr_hook;
  fmgr_hook = on_call;
}

}  // namespace dbvault::pgext
