// RelationAccess: what the PostgreSQL edge (executor_hook.cpp) tells the core about one
// range-table entry of a query — the relation's schema and name and, per command, the
// columns the entry reads or writes — without any PostgreSQL type, so the core can be built
// and tested apart from the server. to_vault_accesses() turns the entries into the vault's
// access set (vault/decision.h) against a snapshot.
//
// Names: PostgreSQL's `public` schema is the vault's default schema (`main`), so that
// `ALTER REALM r ADD TABLE users` protects public.users as it protects main.users in the
// embedded engine; every other schema keeps its name. Names compare ASCII case-insensitively
// in the vault: "Users" and users are one object (protecting more, never less).
// Thread-safety: values.
#pragma once

#include <string>
#include <vector>

#include "grammar/ast.h"
#include "vault/decision.h"
#include "vault/policy_snapshot.h"

namespace dbvault::pgext {

struct RelationAccess {
  std::string schema;  // PostgreSQL namespace name
  std::string table;
  ast::Command command = ast::Command::kSelect;
  std::vector<std::string> columns;  // the columns `command` touches (may be empty)
};

// The vault's schema for a PostgreSQL schema: "" (the default, main) for `public`.
std::string vault_schema(const std::string& pg_schema);

// One Access per table and per column; objects the snapshot does not know are kNoId (in no
// realm: only command rules ON ANY and the host's privileges then apply).
std::vector<vault::Access> to_vault_accesses(const vault::PolicySnapshot& snap,
                                             const std::vector<RelationAccess>& relations);

// "public.users" style names of the relations, for the audit record's `query` detail.
std::string describe(const std::vector<RelationAccess>& relations);

}  // namespace dbvault::pgext
