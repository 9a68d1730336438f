// The emulated pg_catalog: the queries psql 15 and pgbench send, recognised by their
// libpg_query fingerprint (or, for psql's relation lists, by their shape), answered from a
// CatalogSource. Internal to pgcompat; docs/dialect.md §Catalog lists what is recognised.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/pgcompat/pg_parse.h"
#include "server/pgcompat/statement.h"

namespace dbvault::server::pgcompat::detail {

struct CatalogContext {
  const Json& tree;  // the statement's parse tree
  const Settings& settings;
  const CatalogSource& catalog;
};

using CatalogHandler = Result<ResultSet> (*)(const CatalogContext&);

// A row of text values; "t"/"f" for booleans as PostgreSQL prints them.
using Row = std::vector<std::optional<std::string>>;
inline std::optional<std::string> pg_bool(bool b) { return std::string(b ? "t" : "f"); }

// The constant a column is compared with by `op` ("=" or "~") somewhere in the tree.
std::optional<std::string> compared_constant(const Json& tree, std::string_view column,
                                             std::string_view op);

// Does `name` match psql's pattern regex (PostgreSQL's ~ as psql writes it)? An absent
// pattern matches everything. 2201B for a pattern that is not a valid expression.
Result<bool> pattern_matches(const std::optional<std::string>& pattern, const std::string& name);

// The relation with this oid (given as text), or nullopt.
Result<std::optional<RelationInfo>> relation_by_oid(const CatalogSource& catalog,
                                                    const std::optional<std::string>& oid);

// The names of a SELECT's result columns (its AS names; "" where there is none).
std::vector<std::string> target_names(const Json& select);

ResultSet rows_result(std::vector<Column> columns, std::vector<Row> rows);

// psql's \d <name>: the look-up by name, then the queries for one relation.
Result<ResultSet> describe_lookup(const CatalogContext& c);
Result<ResultSet> describe_relation(const CatalogContext& c);
Result<ResultSet> describe_columns(const CatalogContext& c);
Result<ResultSet> describe_columns_verbose(const CatalogContext& c);  // \d+ NAME
Result<ResultSet> describe_indexes(const CatalogContext& c);

// psql's relation lists (\d, \dt, \di, \dv, \ds, \dm, with or without a pattern).
std::optional<Result<ResultSet>> relation_list(const CatalogContext& c);

// One type of pg_type by OID or name: psycopg's TypeInfo.fetch, asyncpg's TYPE_BY_OID
// (pg_type_query.cpp).
Result<ResultSet> type_info(const CatalogContext& c);
Result<ResultSet> type_by_oid(const CatalogContext& c);

// pgjdbc's DatabaseMetaData.getTables (jdbc_metadata.cpp).
std::optional<Result<ResultSet>> jdbc_tables(const CatalogContext& c);

}  // namespace dbvault::server::pgcompat::detail
