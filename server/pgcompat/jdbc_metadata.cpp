// pgjdbc's DatabaseMetaData.getTables(catalog, schemaPattern, tableNamePattern, types): a
// SELECT from pg_catalog.pg_class and pg_namespace whose columns are JDBC's TABLE_CAT,
// TABLE_SCHEM, TABLE_NAME, TABLE_TYPE, REMARKS, .... Its text varies with the types asked
// for (one `c.relkind = 'r'` / IN (...) condition per type) and the patterns, so it is
// recognised by shape, like psql's relation lists.
#include <algorithm>
#include <tuple>

#include "server/pgcompat/catalog_query.h"

namespace dbvault::server::pgcompat::detail {
namespace {

// SQL LIKE with PostgreSQL's default escape (backslash): % any run, _ one byte (names here
// are identifiers). The pattern is the client's: matched iteratively, backtracking only to
// the last %, so that no pattern costs more than length(pattern) x length(text) steps.
bool like(std::string_view pattern, std::string_view text) {
  constexpr std::size_t kNone = std::string_view::npos;
  std::size_t p = 0, t = 0, star = kNone, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '%') {
      star = ++p;
      mark = t;
      continue;
    }
    if (p < pattern.size()) {
      const bool escaped = pattern[p] == '\\' && p + 1 < pattern.size();
      const char want = escaped ? pattern[p + 1] : pattern[p];
      if ((!escaped && want == '_') || text[t] == want) {
        p += escaped ? 2 : 1;
        ++t;
        continue;
      }
    }
    if (star == kNone) return false;
    p = star;
    t = ++mark;
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

// The constant `relname` is compared with by LIKE (AEXPR_LIKE), if any.
std::optional<std::string> like_constant(const Json& tree, std::string_view column) {
  std::optional<std::string> found;
  walk(tree, [&](const std::string& type, const Json& body) {
    if (type == "A_Expr" && body.value("kind", "") == "AEXPR_LIKE" && body.contains("lexpr") &&
        column_name(body["lexpr"]) == column && body.contains("rexpr")) {
      found = const_string(body["rexpr"]);
    }
    return !found;
  });
  return found;
}

// The relkinds the query asks for: `c.relkind = 'x'` and `c.relkind IN ('x', ...)`.
std::string relkinds(const Json& where) {
  std::string kinds;
  walk(where, [&](const std::string& type, const Json& body) {
    if (type != "A_Expr" || !body.contains("lexpr") || column_name(body["lexpr"]) != "relkind")
      return true;
    if (body.value("kind", "") == "AEXPR_OP" && last_name(body["name"]) == "=") {
      if (auto k = const_string(body["rexpr"])) kinds += *k;
    } else if (body.value("kind", "") == "AEXPR_IN") {
      for (const auto& item : body["rexpr"]["List"]["items"])
        if (auto k = const_string(item)) kinds += *k;
    }
    return true;
  });
  return kinds;
}

const char* jdbc_type(char kind) { return kind == 'v' ? "VIEW" : kind == 'i' ? "INDEX" : "TABLE"; }

}  // namespace

std::optional<Result<ResultSet>> jdbc_tables(const CatalogContext& c) {
  if (!c.tree.contains("SelectStmt")) return std::nullopt;
  const Json& select = c.tree["SelectStmt"];
  const std::vector<std::string> jdbc{"table_cat",     "table_schem", "table_name",
                                      "table_type",    "remarks",     "type_cat",
                                      "type_schem",    "type_name",   "self_referencing_col_name",
                                      "ref_generation"};
  if (target_names(select) != jdbc) return std::nullopt;
  const Json where = select.value("whereClause", Json::object());
  const std::string kinds = relkinds(where);
  const auto name_pattern = like_constant(where, "relname");
  const auto schema_pattern = like_constant(where, "nspname");
  auto relations = c.catalog.relations();
  if (!relations) return Result<ResultSet>(std::move(relations).error());
  std::vector<Row> rows;
  for (const auto& r : *relations) {
    if (kinds.find(r.kind) == std::string::npos) continue;
    if (name_pattern && !like(*name_pattern, r.name)) continue;
    if (schema_pattern && !like(*schema_pattern, "public")) continue;
    rows.push_back(
        {std::nullopt, "public", r.name, jdbc_type(r.kind), std::nullopt, "", "", "", "", ""});
  }
  // ORDER BY TABLE_TYPE, TABLE_SCHEM, TABLE_NAME
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(*a[3], *a[2]) < std::tie(*b[3], *b[2]);
  });
  std::vector<Column> columns;
  for (const auto& name : jdbc) {
    const bool named = name == "table_schem" || name == "table_name";
    columns.push_back({name, named ? type_oid::kName : type_oid::kText});
  }
  return Result<ResultSet>(rows_result(std::move(columns), std::move(rows)));
}

}  // namespace dbvault::server::pgcompat::detail
