#include "pgext/utility_hook.h"

#include "pgext/ddl_reach.h"
#include "pgext/function_changes.h"
#include "pgext/module.h"
#include "pgext/module_files.h"
#include "pgext/pg_access.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "access/sysattr.h"
#include "access/transam.h"
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "commands/defrem.h"
#include "nodes/bitmapset.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

ProcessUtility_hook_type g_prev_utility = nullptr;

[[noreturn]] void refuse(const char* what) {
  ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("dbvault: %s is refused", what),
                  errhint("The module refuses it for every role, superusers included.")));
  pg_unreachable();
}

bool protected_setting(const char* name) {
  return name == nullptr || pg_strncasecmp(name, "dbvault.", 8) == 0 ||
         pg_strcasecmp(name, "shared_preload_libraries") == 0 ||
         pg_strcasecmp(name, "session_preload_libraries") == 0 ||
         pg_strcasecmp(name, "local_preload_libraries") == 0 ||
         pg_strcasecmp(name, "dynamic_library_path") == 0;
}

// The columns of `attlist` (a COPY column list), or all of them when it is empty.
Bitmapset* named_columns(Oid relid, List* attlist) {
  if (attlist == NIL) return whole_row();
  Bitmapset* cols = nullptr;
  ListCell* lc;
  foreach (lc, attlist) {
    const AttrNumber att = get_attnum(relid, strVal(lfirst(lc)));
    if (att != InvalidAttrNumber) {
      cols = bms_add_member(cols, att - FirstLowInvalidHeapAttributeNumber);
    }
  }
  return cols;
}

Oid user_relation(RangeVar* rv) {
  if (rv == nullptr) return InvalidOid;
  const Oid relid = RangeVarGetRelid(rv, NoLock, true);
  return relid >= FirstNormalObjectId ? relid : InvalidOid;
}

// Checks (command, relation) for the session and ereports on refusal.
void check_one(Oid relid, ast::Command command, Bitmapset* cols, const char* query,
               AccessCheck how) {
  if (relid == InvalidOid) return;
  PgAccessList accesses;
  // A rename moves only the named relation out of its name; any other statement on it
  // reaches the rows of the tables it belongs to (data_owners.h).
  add_access(&accesses, relid, command, cols, how != AccessCheck::kNotInRealm);
  if (!vault_check(accesses.items, accesses.n, query, how)) raise(backend_state().error);
}

void check_copy(CopyStmt* stmt, const char* query) {
  if (stmt->is_program) refuse("COPY ... PROGRAM");
  if (stmt->filename != nullptr && !server_file_allowed(stmt->filename)) {
    raise(backend_state().error);
  }
  if (stmt->is_from) return;  // the executor hook checks COPY FROM's INSERT
  if (stmt->relation != nullptr) {
    const Oid relid = user_relation(stmt->relation);
    check_one(relid, ast::Command::kExport, named_columns(relid, stmt->attlist), query,
              AccessCheck::kExport);
    return;
  }
  PgAccess access{"", "(query)", ast::Command::kExport, 0, nullptr, 0};
  if (!vault_check(&access, 1, query, AccessCheck::kExport)) {
    raise(backend_state().error);
  }
}

void check_names(List* objects, ast::Command command, const char* query) {
  ListCell* lc;
  foreach (lc, objects) {
    RangeVar* rv = makeRangeVarFromNameList(static_cast<List*>(lfirst(lc)));
    check_one(user_relation(rv), command, nullptr, query, AccessCheck::kDecide);
  }
}

void check_range_vars(List* relations, ast::Command command, const char* query) {
  ListCell* lc;
  foreach (lc, relations) {
    check_one(user_relation(static_cast<RangeVar*>(lfirst(lc))), command, nullptr, query,
              AccessCheck::kDecide);
  }
}

// TRUNCATE t without ONLY empties every table below t (partitions, inheritance children),
// none of which the statement names.
void check_truncate(List* relations, const char* query) {
  ListCell* lc;
  foreach (lc, relations) {
    auto* rv = static_cast<RangeVar*>(lfirst(lc));
    const Oid relid = user_relation(rv);
    if (relid == InvalidOid) continue;
    List* tables = rv->inh ? find_all_inheritors(relid, NoLock, nullptr) : list_make1_oid(relid);
    ListCell* t;
    foreach (t, tables) {
      check_one(lfirst_oid(t), ast::Command::kTruncate, nullptr, query, AccessCheck::kDecide);
    }
  }
}

// file_fdw (and any wrapper with the same options) reads `filename` or runs `program` as COPY
// does: the same refusals.
void check_fdw_options(List* options) {
  ListCell* lc;
  foreach (lc, options) {
    auto* def = static_cast<DefElem*>(lfirst(lc));
    if (def->defaction == DEFELEM_DROP || def->defname == nullptr) continue;
    if (strcmp(def->defname, "program") == 0) refuse("a foreign table's program option");
    if (strcmp(def->defname, "filename") == 0 && !server_file_allowed(defGetString(def))) {
      raise(backend_state().error);
    }
  }
}

void check_alter_table(AlterTableStmt* stmt, const char* query) {
  ListCell* lc;
  foreach (lc, stmt->cmds) {
    auto* cmd = static_cast<AlterTableCmd*>(lfirst(lc));
    if (cmd->subtype == AT_GenericOptions) check_fdw_options(reinterpret_cast<List*>(cmd->def));
    // ATTACH / DETACH PARTITION changes the partition as much as the parent.
    if (cmd->subtype == AT_AttachPartition || cmd->subtype == AT_DetachPartition) {
      check_one(user_relation(reinterpret_cast<PartitionCmd*>(cmd->def)->name),
                ast::Command::kAlter, nullptr, query, AccessCheck::kDecide);
    }
  }
  check_one(user_relation(stmt->relation), ast::Command::kAlter, nullptr, query,
            AccessCheck::kDecide);
}

// A publication streams a table's rows to whoever subscribes (or decodes the WAL): it is an
// export of each table it names, checked when the table is added (CREATE PUBLICATION ... FOR
// TABLE, ALTER PUBLICATION ... ADD / SET TABLE).
void check_publication(List* objects, const char* query) {
  ListCell* lc;
  foreach (lc, objects) {
    auto* spec = static_cast<PublicationObjSpec*>(lfirst(lc));
    if (spec->pubobjtype != PUBLICATIONOBJ_TABLE || spec->pubtable == nullptr) continue;
    check_one(user_relation(spec->pubtable->relation), ast::Command::kExport, whole_row(), query,
              AccessCheck::kDecide);
  }
}

// ALTER ROLE / DATABASE ... SET of a setting ALTER SYSTEM may not change: the same setting
// loads libraries at the next login (session_preload_libraries) just as well.
// RESET only takes a stored value away.
void check_stored_setting(VariableSetStmt* set) {
  if (set == nullptr || set->name == nullptr) return;
  if (set->kind == VAR_RESET || set->kind == VAR_RESET_ALL) return;
  if (protected_setting(set->name)) refuse("ALTER ROLE / DATABASE ... SET of this setting");
}

bool is_relation_kind(ObjectType t) {
  return t == OBJECT_TABLE || t == OBJECT_VIEW || t == OBJECT_MATVIEW ||
         t == OBJECT_FOREIGN_TABLE || t == OBJECT_SEQUENCE || t == OBJECT_INDEX;
}

// Runs `check` (BackendVault& -> Status) on the backend's vault; ereports its refusal.
// `check` must be a lambda capturing by reference (trivially destructible: raise() longjmps
// over it).
template <typename F>
void check_or_raise(const F& check) {
  if (!ensure_open() || !sync_policy()) raise(backend_state().error);
  BackendState& st = backend_state();
  if (!run_guarded(st.error, [&]() -> Status { return check(*st.vault); })) raise(st.error);
}

// ALTER SCHEMA ... RENAME / DROP SCHEMA of a schema holding realm objects: refused.
void check_schema(const char* schema) {
  check_or_raise([&](BackendVault& v) { return v.refuse_schema_with_realm_objects(schema); });
}

void check_owned(const char* tag) {
  check_or_raise([&](BackendVault& v) { return v.refuse_while_realms_protect(tag); });
}

void check_rename(RenameStmt* stmt, const char* query) {
  if (stmt->renameType == OBJECT_SCHEMA) return check_schema(stmt->subname);
  const Oid relid = user_relation(stmt->relation);
  if (relid == InvalidOid) return;
  Bitmapset* cols = whole_row();  // a table's rename moves its columns too
  if (stmt->renameType == OBJECT_COLUMN && stmt->subname != nullptr) {
    const AttrNumber att = get_attnum(relid, stmt->subname);
    cols = bms_make_singleton(att - FirstLowInvalidHeapAttributeNumber);
  }
  check_one(relid, ast::Command::kAlter, cols, query, AccessCheck::kNotInRealm);
}

// The statements that make or change objects, privileges or roles: an account manager's or
// a DBA's work, never a vault administrator's or an auditor's (separation of duties).
bool account_side_statement(Node* node) {
  switch (nodeTag(node)) {
    case T_CreateStmt:
    case T_CreateTableAsStmt:
    case T_ViewStmt:
    case T_IndexStmt:
    case T_AlterTableStmt:
    case T_DropStmt:
    case T_TruncateStmt:
    case T_GrantStmt:
    case T_GrantRoleStmt:
    case T_CreateRoleStmt:
    case T_AlterRoleStmt:
    case T_DropRoleStmt:
    case T_CreateFunctionStmt:
    case T_CreateSchemaStmt:
    case T_RenameStmt:
    case T_CreateTrigStmt:
    case T_RuleStmt:
    case T_AlterOwnerStmt:
    case T_AlterObjectSchemaStmt:
    case T_CreatePolicyStmt:
    case T_CreateSeqStmt:
    case T_CreateExtensionStmt:
      return true;
    default:
      return false;
  }
}

void check_duties(Node* node) {
  if (!account_side_statement(node)) return;
  const char* tag = GetCommandTagName(CreateCommandTag(node));
  check_or_raise([&](BackendVault& v) { return v.check_duties(tag); });
}

void check_utility(Node* node, const char* query) {
  check_duties(node);
  check_ddl_reach(node, query);
  check_function_change(node, query);
  switch (nodeTag(node)) {
    case T_LoadStmt:
      refuse("LOAD");
    case T_AlterSystemStmt:
      if (protected_setting(reinterpret_cast<AlterSystemStmt*>(node)->setstmt->name)) {
        refuse("ALTER SYSTEM of this setting");
      }
      return;
    case T_AlterRoleSetStmt:
      return check_stored_setting(reinterpret_cast<AlterRoleSetStmt*>(node)->setstmt);
    case T_AlterDatabaseSetStmt:
      return check_stored_setting(reinterpret_cast<AlterDatabaseSetStmt*>(node)->setstmt);
    case T_CreatePublicationStmt:
      return check_publication(reinterpret_cast<CreatePublicationStmt*>(node)->pubobjects, query);
    case T_AlterPublicationStmt: {
      auto* s = reinterpret_cast<AlterPublicationStmt*>(node);
      if (s->action != AP_DropObjects) check_publication(s->pubobjects, query);
      return;
    }
    case T_CopyStmt:
      return check_copy(reinterpret_cast<CopyStmt*>(node), query);
    case T_RenameStmt:
      return check_rename(reinterpret_cast<RenameStmt*>(node), query);
    case T_AlterObjectSchemaStmt: {
      auto* s = reinterpret_cast<AlterObjectSchemaStmt*>(node);
      return check_one(user_relation(s->relation), ast::Command::kAlter, whole_row(), query,
                       AccessCheck::kNotInRealm);
    }
    case T_AlterTableStmt:
      return check_alter_table(reinterpret_cast<AlterTableStmt*>(node), query);
    case T_CreateForeignTableStmt:
      return check_fdw_options(reinterpret_cast<CreateForeignTableStmt*>(node)->options);
    case T_CreateTrigStmt:
      return check_one(user_relation(reinterpret_cast<CreateTrigStmt*>(node)->relation),
                       ast::Command::kAlter, nullptr, query, AccessCheck::kDecide);
    case T_RuleStmt:
      return check_one(user_relation(reinterpret_cast<RuleStmt*>(node)->relation),
                       ast::Command::kAlter, nullptr, query, AccessCheck::kDecide);
    case T_CreatePolicyStmt:
      return check_one(user_relation(reinterpret_cast<CreatePolicyStmt*>(node)->table),
                       ast::Command::kAlter, nullptr, query, AccessCheck::kDecide);
    case T_IndexStmt:
      return check_one(user_relation(reinterpret_cast<IndexStmt*>(node)->relation),
                       ast::Command::kAlter, nullptr, query, AccessCheck::kDecide);
    case T_DropStmt: {
      auto* s = reinterpret_cast<DropStmt*>(node);
      if (is_relation_kind(s->removeType)) check_names(s->objects, ast::Command::kDrop, query);
      if (s->removeType == OBJECT_SCHEMA) {
        ListCell* lc;
        foreach (lc, s->objects) check_schema(strVal(lfirst(lc)));
      }
      return;
    }
    case T_DropOwnedStmt:
      return check_owned("DROP OWNED");
    case T_ReassignOwnedStmt:
      return check_owned("REASSIGN OWNED");
    case T_TruncateStmt:
      return check_truncate(reinterpret_cast<TruncateStmt*>(node)->relations, query);
    case T_GrantStmt: {
      auto* s = reinterpret_cast<GrantStmt*>(node);
      if (s->targtype == ACL_TARGET_OBJECT && is_relation_kind(s->objtype)) {
        check_range_vars(s->objects, ast::Command::kGrant, query);
      }
      return;
    }
    default:
      return;
  }
}

void run_utility(PlannedStmt* pstmt, const char* query, bool read_only_tree,
                 ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* env,
                 DestReceiver* dest, QueryCompletion* qc) {
  if (g_prev_utility != nullptr) {
    g_prev_utility(pstmt, query, read_only_tree, context, params, env, dest, qc);
  } else {
    standard_ProcessUtility(pstmt, query, read_only_tree, context, params, env, dest, qc);
  }
}

bool is_copy_query_to(const Node* node) {
  if (!IsA(node, CopyStmt)) return false;
  const auto* s = reinterpret_cast<const CopyStmt*>(node);
  return s->query != nullptr && !s->is_from;
}

void utility(PlannedStmt* pstmt, const char* query, bool read_only_tree,
             ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* env,
             DestReceiver* dest, QueryCompletion* qc) {
  check_utility(pstmt->utilityStmt, query);
  if (!is_copy_query_to(pstmt->utilityStmt) || copy_to_query_running()) {
    run_utility(pstmt, query, read_only_tree, context, params, env, dest, qc);
    return;
  }
  // The reads of COPY (query) TO are exports (pg_access.h); this frame holds no C++ object,
  // so PostgreSQL's own unwinding may pass through it.
  copy_to_query_running() = true;
  PG_TRY();
  { run_utility(pstmt, query, read_only_tree, context, params, env, dest, qc); }
  PG_FINALLY();
  { copy_to_query_running() = false; }
  PG_END_TRY();
}

}  // namespace

void install_utility_hook() {
  g_prev_utility = ProcessUtility_hook;
  ProcessUtility_hook = utility;
}

}  // namespace dbvault::pgext
