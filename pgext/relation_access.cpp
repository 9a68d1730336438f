#include "pgext/relation_access.h"

namespace dbvault::pgext {

std::string vault_schema(const std::string& pg_schema) {
  return pg_schema == "public" ? std::string() : pg_schema;
}

std::vector<vault::Access> to_vault_accesses(const vault::PolicySnapshot& snap,
                                             const std::vector<RelationAccess>& relations) {
  std::vector<vault::Access> out;
  for (const RelationAccess& r : relations) {
    ast::ObjectRef ref{{vault_schema(r.schema), r.table}, ""};
    out.push_back({r.command, snap.resolve_access_object(ref).value_or(rules::kNoId)});
    for (const std::string& c : r.columns) {
      ref.column = c;
      out.push_back({r.command, snap.resolve_access_object(ref).value_or(rules::kNoId)});
    }
  }
  return out;
}

std::string describe(const std::vector<RelationAccess>& relations) {
  std::string s;
  for (const RelationAccess& r : relations) {
    if (!s.empty()) s += ", ";
    s += std::string(rules::command_name(r.command)) + " " + r.schema + "." + r.table;
  }
  return s;
}

}  // namespace dbvault::pgext
