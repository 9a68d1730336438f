// PostgreSQL's own parser (libpg_query) as pgcompat uses it: a statement's parse tree as JSON,
// its fingerprint (the tree's shape without constants, so that psql's queries are recognised
// whatever table name or oid they carry), and small helpers to read the tree.
// Thread-safe (libpg_query keeps its memory context per thread). Internal to pgcompat.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace dbvault::server::pgcompat::detail {

using Json = nlohmann::json;

// The first statement's node ({"SelectStmt": {...}}), or 42601 with PostgreSQL's message and
// position when PostgreSQL would not parse it either.
Result<Json> pg_parse(std::string_view sql);

// libpg_query's fingerprint, or nullopt when the statement does not parse.
std::optional<std::uint64_t> pg_fingerprint(std::string_view sql);

// Calls `visit(type, body)` for every node of the tree ({"A_Expr": body} gives "A_Expr"), in
// document order; a visitor returning false stops the walk. Returns false if stopped.
bool walk(const Json& tree,
          const std::function<bool(const std::string& type, const Json& body)>& visit);

// The string value of an A_Const (through CollateClause and TypeCast), if it is one.
std::optional<std::string> const_string(const Json& node);

// The last name of a ColumnRef ("c.relname" -> "relname"), if it is one.
std::optional<std::string> column_name(const Json& node);

// The last element of a name list ([{"String": {"sval": "pg_catalog"}}, {"String": {"sval":
// "~"}}]).
std::string last_name(const Json& names);

}  // namespace dbvault::server::pgcompat::detail
