// psql 15's "\d name": the queries it sends, answered from the CatalogSource. The column
// lists and types are PostgreSQL 15's for the same queries (psql reads them by position).
#include <algorithm>

#include "server/pgcompat/catalog_query.h"
#include "server/pgcompat/type_names.h"

namespace dbvault::server::pgcompat::detail {
namespace {

constexpr char kSchema[] = "public";

std::string index_definition(const std::string& table, const IndexInfo& index) {
  return std::string("CREATE ") + (index.unique ? "UNIQUE " : "") + "INDEX " + index.name + " ON " +
         kSchema + "." + table + " USING btree (" + join(index.columns, ", ") + ")";
}

}  // namespace

Result<ResultSet> describe_lookup(const CatalogContext& c) {
  auto relations = c.catalog.relations();
  if (!relations) return std::move(relations).error();
  const auto name_pattern = compared_constant(c.tree, "relname", "~");
  const auto schema_pattern = compared_constant(c.tree, "nspname", "~");
  auto schema_ok = pattern_matches(schema_pattern, kSchema);
  if (!schema_ok) return std::move(schema_ok).error();
  std::vector<Row> rows;
  std::sort(relations->begin(), relations->end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& r : *relations) {
    auto ok = pattern_matches(name_pattern, r.name);
    if (!ok) return std::move(ok).error();
    if (*ok && *schema_ok) rows.push_back({std::to_string(r.oid), kSchema, r.name});
  }
  return rows_result(
      {{"oid", type_oid::kOid}, {"nspname", type_oid::kName}, {"relname", type_oid::kName}},
      std::move(rows));
}

Result<ResultSet> describe_relation(const CatalogContext& c) {
  auto rel = relation_by_oid(c.catalog, compared_constant(c.tree, "oid", "="));
  if (!rel) return std::move(rel).error();
  std::vector<Row> rows;
  if (*rel) {
    bool has_index = false;
    if ((*rel)->kind == 'r') {
      auto indexes = c.catalog.indexes((*rel)->name);
      if (!indexes) return std::move(indexes).error();
      has_index = !indexes->empty();
    }
    const bool table = (*rel)->kind == 'r';
    rows.push_back({"0", std::string(1, (*rel)->kind), pg_bool(has_index), pg_bool(false),
                    pg_bool(false), pg_bool(false), pg_bool(false), pg_bool(false), pg_bool(false),
                    "", "0", "", "p", "d",
                    table ? std::optional<std::string>("heap") : std::nullopt});
  }
  return rows_result({{"relchecks", type_oid::kInt2},
                      {"relkind", type_oid::kChar},
                      {"relhasindex", type_oid::kBool},
                      {"relhasrules", type_oid::kBool},
                      {"relhastriggers", type_oid::kBool},
                      {"relrowsecurity", type_oid::kBool},
                      {"relforcerowsecurity", type_oid::kBool},
                      {"relhasoids", type_oid::kBool},
                      {"relispartition", type_oid::kBool},
                      {"?column?", type_oid::kText},
                      {"reltablespace", type_oid::kOid},
                      {"reloftype", type_oid::kText},
                      {"relpersistence", type_oid::kChar},
                      {"relreplident", type_oid::kChar},
                      {"amname", type_oid::kName}},
                     std::move(rows));
}

namespace {

// pg_type.typstorage of the type a column reports: 'p' (plain) for fixed-length types, 'x'
// (extended) for the variable-length ones.
std::string storage_of(const std::string& declared_type) {
  switch (type_oid_for_declared(declared_type)) {
    case type_oid::kText:
    case type_oid::kVarchar:
    case type_oid::kBpchar:
    case type_oid::kBytea:
    case type_oid::kNumeric:
    case type_oid::kJson:
    case type_oid::kJsonb:
      return "x";
    default:
      return "p";
  }
}

// \d NAME's column query; `verbose` (\d+) adds storage, compression, statistics target and
// description (the engine has none of the last three: '', NULL, NULL).
Result<ResultSet> columns_of(const CatalogContext& c, bool verbose) {
  auto rel = relation_by_oid(c.catalog, compared_constant(c.tree, "attrelid", "="));
  if (!rel) return std::move(rel).error();
  std::vector<Row> rows;
  if (*rel) {
    auto cols = c.catalog.columns((*rel)->name);
    if (!cols) return std::move(cols).error();
    for (const auto& col : *cols) {
      Row row{col.name,
              format_type(col.declared_type),
              col.default_expr,
              pg_bool(col.not_null || col.primary_key_position > 0),
              std::nullopt,
              "",
              ""};
      if (verbose) {
        row.insert(row.end(), {storage_of(col.declared_type), "", std::nullopt, std::nullopt});
      }
      rows.push_back(std::move(row));
    }
  }
  std::vector<Column> columns{{"attname", type_oid::kName},      {"format_type", type_oid::kText},
                              {"pg_get_expr", type_oid::kText},  {"attnotnull", type_oid::kBool},
                              {"attcollation", type_oid::kName}, {"attidentity", type_oid::kChar},
                              {"attgenerated", type_oid::kChar}};
  if (verbose) {
    columns.insert(columns.end(), {{"attstorage", type_oid::kChar},
                                   {"attcompression", type_oid::kChar},
                                   {"attstattarget", type_oid::kInt2},
                                   {"col_description", type_oid::kText}});
  }
  return rows_result(std::move(columns), std::move(rows));
}

}  // namespace

Result<ResultSet> describe_columns(const CatalogContext& c) { return columns_of(c, false); }
Result<ResultSet> describe_columns_verbose(const CatalogContext& c) { return columns_of(c, true); }

Result<ResultSet> describe_indexes(const CatalogContext& c) {
  auto rel = relation_by_oid(c.catalog, compared_constant(c.tree, "oid", "="));
  if (!rel) return std::move(rel).error();
  std::vector<Row> rows;
  if (*rel && (*rel)->kind == 'r') {
    auto indexes = c.catalog.indexes((*rel)->name);
    if (!indexes) return std::move(indexes).error();
    // ORDER BY i.indisprimary DESC, c2.relname
    std::sort(indexes->begin(), indexes->end(), [](const IndexInfo& a, const IndexInfo& b) {
      return a.primary != b.primary ? a.primary : a.name < b.name;
    });
    for (const auto& ix : *indexes) {
      std::optional<std::string> constraint, contype;
      if (ix.primary) {
        constraint = "PRIMARY KEY (" + join(ix.columns, ", ") + ")";
        contype = "p";
      }
      rows.push_back({ix.name, pg_bool(ix.primary), pg_bool(ix.unique || ix.primary),
                      pg_bool(false), pg_bool(true), index_definition((*rel)->name, ix), constraint,
                      contype, ix.primary ? pg_bool(false) : std::nullopt,
                      ix.primary ? pg_bool(false) : std::nullopt, pg_bool(false), "0"});
    }
  }
  return rows_result({{"relname", type_oid::kName},
                      {"indisprimary", type_oid::kBool},
                      {"indisunique", type_oid::kBool},
                      {"indisclustered", type_oid::kBool},
                      {"indisvalid", type_oid::kBool},
                      {"pg_get_indexdef", type_oid::kText},
                      {"pg_get_constraintdef", type_oid::kText},
                      {"contype", type_oid::kChar},
                      {"condeferrable", type_oid::kBool},
                      {"condeferred", type_oid::kBool},
                      {"indisreplident", type_oid::kBool},
                      {"reltablespace", type_oid::kOid}},
                     std::move(rows));
}

}  // namespace dbvault::server::pgcompat::detail
