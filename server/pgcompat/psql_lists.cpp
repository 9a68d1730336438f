// psql 15's relation lists: \d, \dt, \di, \dv, \ds, \dm, and their + forms. Their text
// varies with the command (the relkind list, the joins, a name or schema pattern), so they
// are recognised by shape rather than fingerprint: a SELECT from pg_catalog.pg_class whose
// columns are psql's "Schema", "Name", "Type", "Owner" [, "Table"] [, "Persistence",
// "Access method", "Size", "Description"]. The engine keeps no per-relation size, so Size is
// NULL; every relation is permanent and tables and indexes use PostgreSQL's "heap"/"btree"
// names for what the engine stores as b-trees.
#include <algorithm>

#include "server/pgcompat/catalog_query.h"

namespace dbvault::server::pgcompat::detail {
namespace {

bool from_pg_class(const Json& select) {
  bool found = false;
  walk(select.value("fromClause", Json::array()), [&](const std::string& type, const Json& body) {
    if (type == "RangeVar" && body.value("relname", "") == "pg_class" &&
        body.value("schemaname", "") == "pg_catalog") {
      found = true;
    }
    return !found;
  });
  return found;
}

// The relkinds of "c.relkind IN ('r','p','')".
std::string relkinds(const Json& select) {
  std::string kinds;
  walk(select.value("whereClause", Json::object()), [&](const std::string& type, const Json& body) {
    if (type != "A_Expr" || body.value("kind", "") != "AEXPR_IN" ||
        column_name(body["lexpr"]) != "relkind")
      return true;
    for (const auto& item : body["rexpr"]["List"]["items"]) {
      if (auto k = const_string(item); k && !k->empty()) kinds += *k;
    }
    return false;
  });
  return kinds;
}

const char* type_name(char kind) {
  switch (kind) {
    case 'r':
      return "table";
    case 'v':
      return "view";
    case 'i':
      return "index";
    default:
      return "table";
  }
}

struct Listed {
  std::string name;
  char kind;
  std::string owner;
  std::string table;  // for an index
};

Result<std::vector<Listed>> everything(const CatalogSource& catalog) {
  auto relations = catalog.relations();
  if (!relations) return std::move(relations).error();
  std::vector<Listed> out;
  for (const auto& r : *relations) {
    out.push_back({r.name, r.kind, r.owner, {}});
    if (r.kind != 'r') continue;
    auto indexes = catalog.indexes(r.name);
    if (!indexes) return std::move(indexes).error();
    for (const auto& ix : *indexes) out.push_back({ix.name, 'i', r.owner, r.name});
  }
  return out;
}

}  // namespace

std::optional<Result<ResultSet>> relation_list(const CatalogContext& c) {
  if (!c.tree.contains("SelectStmt")) return std::nullopt;
  const Json& select = c.tree["SelectStmt"];
  const auto names = target_names(select);
  const std::vector<std::string> verbose_columns{"Persistence", "Access method", "Size",
                                                 "Description"};
  auto base = names;
  const bool verbose = base.size() > verbose_columns.size() &&
                       std::equal(verbose_columns.begin(), verbose_columns.end(),
                                  base.end() - static_cast<std::ptrdiff_t>(verbose_columns.size()));
  if (verbose) base.resize(base.size() - verbose_columns.size());
  const std::vector<std::string> four{"Schema", "Name", "Type", "Owner"};
  const std::vector<std::string> five{"Schema", "Name", "Type", "Owner", "Table"};
  if ((base != four && base != five) || !from_pg_class(select)) return std::nullopt;
  const std::string kinds = relkinds(select);
  const auto name_pattern = compared_constant(select, "relname", "~");
  auto schema_ok = pattern_matches(compared_constant(select, "nspname", "~"), "public");
  if (!schema_ok) return Result<ResultSet>(std::move(schema_ok).error());
  auto all = everything(c.catalog);
  if (!all) return Result<ResultSet>(std::move(all).error());
  std::sort(all->begin(), all->end(),
            [](const Listed& a, const Listed& b) { return a.name < b.name; });
  std::vector<Row> rows;
  for (const auto& l : *all) {
    if (kinds.find(l.kind) == std::string::npos || !*schema_ok) continue;
    auto ok = pattern_matches(name_pattern, l.name);
    if (!ok) return Result<ResultSet>(std::move(ok).error());
    if (!*ok) continue;
    Row row{"public", l.name, type_name(l.kind), l.owner};
    if (base.size() == 5) row.push_back(l.table);
    if (verbose) {
      row.push_back("permanent");
      row.push_back(l.kind == 'r'   ? std::optional<std::string>("heap")
                    : l.kind == 'i' ? std::optional<std::string>("btree")
                                    : std::nullopt);
      row.push_back(std::nullopt);  // Size
      row.push_back(std::nullopt);  // Description
    }
    rows.push_back(std::move(row));
  }
  std::vector<Column> columns{{"Schema", type_oid::kName},
                              {"Name", type_oid::kName},
                              {"Type", type_oid::kText},
                              {"Owner", type_oid::kName}};
  if (base.size() == 5) columns.push_back({"Table", type_oid::kName});
  if (verbose) {
    columns.push_back({"Persistence", type_oid::kText});
    columns.push_back({"Access method", type_oid::kName});
    columns.push_back({"Size", type_oid::kText});
    columns.push_back({"Description", type_oid::kText});
  }
  return Result<ResultSet>(rows_result(std::move(columns), std::move(rows)));
}

}  // namespace dbvault::server::pgcompat::detail
