// infer_parameter_types(): the type of each $n from PostgreSQL's parse tree of the statement:
// an explicit $n::type, the column it is compared with (or added to, or LIKE-matched...), the
// column it is assigned to (UPDATE ... SET c = $n) or inserted into (INSERT (c) VALUES ($n)),
// LIMIT / OFFSET (int8). Anything else is text.
#include <algorithm>
#include <map>

#include "server/pgcompat/pg_parse.h"
#include "server/pgcompat/pgcompat.h"
#include "server/pgcompat/type_names.h"

namespace dbvault::server::pgcompat {
namespace {

using detail::Json;

class Inference {
 public:
  Inference(int n, const CatalogSource& catalog)
      : types_(static_cast<std::size_t>(n), type_oid::kText), catalog_(catalog) {}

  void run(const Json& stmt) {
    collect_tables(stmt);
    detail::walk(stmt, [&](const std::string& type, const Json& body) {
      if (type == "TypeCast") from_cast(body);
      if (type == "A_Expr") from_comparison(body);
      if (type == "InsertStmt") from_insert(body);
      if (type == "UpdateStmt") from_update(body);
      if (type == "SelectStmt") from_limits(body);
      return true;
    });
  }
  std::vector<std::uint32_t> take() { return std::move(types_); }

 private:
  static std::optional<int> param(const Json& node) {
    if (!node.is_object() || !node.contains("ParamRef")) return std::nullopt;
    return node["ParamRef"].value("number", 0);
  }

  void set(std::optional<int> n, std::uint32_t oid) {
    if (n && *n >= 1 && static_cast<std::size_t>(*n) <= types_.size() &&
        types_[*n - 1] == type_oid::kText) {
      types_[*n - 1] = oid;
    }
  }

  void add_table(const Json& range_var) {
    const std::string name = range_var.value("relname", "");
    if (name.empty()) return;
    tables_[name] = name;
    if (range_var.contains("alias")) tables_[range_var["alias"].value("aliasname", "")] = name;
  }

  void collect_tables(const Json& stmt) {
    detail::walk(stmt, [&](const std::string& type, const Json& body) {
      if (type == "RangeVar") add_table(body);
      if ((type == "InsertStmt" || type == "UpdateStmt" || type == "DeleteStmt") &&
          body.contains("relation")) {
        add_table(body["relation"]);
      }
      return true;
    });
  }

  // The declared type of column `column` of `table` (or of any table in the statement).
  std::optional<std::uint32_t> column_type(const std::string& column,
                                           const std::string& table = {}) {
    for (const auto& [alias, name] : tables_) {
      if (!table.empty() && alias != table) continue;
      for (const auto& c : columns_of(name))
        if (c.name == column) return type_oid_for_declared(c.declared_type);
    }
    // A system catalog's oid column (pg_type.oid ...): drivers bind the OID they look up as
    // the type the description names (asyncpg encodes it in binary).
    const bool catalog = std::any_of(tables_.begin(), tables_.end(), [&](const auto& t) {
      return (table.empty() || t.first == table) && t.second.starts_with("pg_");
    });
    if (catalog && column == "oid") return type_oid::kOid;
    return std::nullopt;
  }

  // The catalog is asked once per table (a column look-up is an engine query).
  const std::vector<ColumnInfo>& columns_of(const std::string& table) {
    auto it = columns_.find(table);
    if (it == columns_.end()) {
      auto cols = catalog_.columns(table);
      it = columns_.emplace(table, cols ? std::move(*cols) : std::vector<ColumnInfo>{}).first;
    }
    return it->second;
  }

  std::optional<std::uint32_t> column_ref_type(const Json& node) {
    if (!node.is_object() || !node.contains("ColumnRef")) return std::nullopt;
    const Json& fields = node["ColumnRef"]["fields"];
    const auto column = detail::column_name(node);
    if (!column) return std::nullopt;
    const std::string table = fields.size() >= 2 && fields[fields.size() - 2].contains("String")
                                  ? fields[fields.size() - 2]["String"].value("sval", "")
                                  : "";
    return column_type(*column, table);
  }

  void from_cast(const Json& cast) {
    if (!cast.contains("arg")) return;
    const std::string name =
        detail::canonical_type_name(detail::last_name(cast["typeName"]["names"]));
    if (auto oid = detail::oid_of_canonical(name)) set(param(cast["arg"]), *oid);
  }

  void from_comparison(const Json& e) {
    if (!e.contains("lexpr") || !e.contains("rexpr")) return;
    const Json& l = e["lexpr"];
    const Json& r = e["rexpr"];
    if (auto t = column_ref_type(l)) {
      set(param(r), *t);
      if (r.contains("List"))  // IN ($1, $2), BETWEEN $1 AND $2
        for (const auto& item : r["List"]["items"]) set(param(item), *t);
    }
    if (auto t = column_ref_type(r)) set(param(l), *t);
  }

  void from_insert(const Json& insert) {
    std::vector<std::string> cols;
    for (const auto& c : insert.value("cols", Json::array()))
      cols.push_back(c["ResTarget"].value("name", ""));
    const std::string table = insert["relation"].value("relname", "");
    if (cols.empty()) {
      for (const auto& d : columns_of(table)) cols.push_back(d.name);
    }
    if (!insert.contains("selectStmt")) return;
    for (const auto& list :
         insert["selectStmt"]["SelectStmt"].value("valuesLists", Json::array())) {
      const Json& items = list["List"]["items"];
      for (std::size_t i = 0; i < items.size() && i < cols.size(); ++i) {
        if (auto t = column_type(cols[i], table)) set(param(items[i]), *t);
      }
    }
  }

  void from_update(const Json& update) {
    const std::string table = update["relation"].value("relname", "");
    for (const auto& target : update.value("targetList", Json::array())) {
      const Json& rt = target["ResTarget"];
      if (auto t = column_type(rt.value("name", ""), table); t && rt.contains("val"))
        set(param(rt["val"]), *t);
    }
  }

  void from_limits(const Json& select) {
    if (select.contains("limitCount")) set(param(select["limitCount"]), type_oid::kInt8);
    if (select.contains("limitOffset")) set(param(select["limitOffset"]), type_oid::kInt8);
  }

  std::vector<std::uint32_t> types_;
  const CatalogSource& catalog_;
  std::map<std::string, std::string> tables_;  // name or alias -> table
  std::map<std::string, std::vector<ColumnInfo>> columns_;
};

}  // namespace

std::vector<std::uint32_t> infer_parameter_types(std::string_view sql, int n_params,
                                                 const CatalogSource& catalog) {
  Inference inference(n_params > 0 ? n_params : 0, catalog);
  if (auto tree = detail::pg_parse(sql)) inference.run(*tree);
  return inference.take();
}

}  // namespace dbvault::server::pgcompat
