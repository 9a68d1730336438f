// SqliteCatalog: the CatalogSource over an SQLite connection's main schema.
#include <cctype>

#include "common/sqlite_db.h"
#include "server/pgcompat/pgcompat.h"

namespace dbvault::server::pgcompat {
namespace {

constexpr std::uint32_t kFirstUserOid = 16384;  // PostgreSQL's FirstNormalObjectId

Result<sqlite::Statement> prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    return make_error(sqlstate::kSystemError, std::string("engine catalog: ") + sqlite3_errmsg(db));
  }
  return sqlite::Statement(raw, "engine catalog");
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

Error no_relation(std::string_view table) {
  return make_error(sqlstate::kUndefinedTable,
                    "relation \"" + std::string(table) + "\" does not exist");
}

}  // namespace

Result<std::vector<RelationInfo>> SqliteCatalog::relations() const {
  auto st = prepare(db_,
                    "SELECT rowid, name, type FROM sqlite_schema WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
  if (!st) return std::move(st).error();
  std::vector<RelationInfo> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.push_back(RelationInfo{st->text(1),
                               kFirstUserOid + static_cast<std::uint32_t>(st->int64(0)),
                               st->text(2) == "view" ? 'v' : 'r', owner_});
  }
  return out;
}

Result<std::vector<ColumnInfo>> SqliteCatalog::columns(std::string_view table) const {
  auto st =
      prepare(db_, "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)");
  if (!st) return std::move(st).error();
  st->bind(1, table);
  std::vector<ColumnInfo> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    ColumnInfo c{st->text(0), st->text(1), st->int64(2) != 0, std::nullopt,
                 static_cast<int>(st->int64(4))};
    if (!st->is_null(3)) c.default_expr = st->text(3);
    out.push_back(std::move(c));
  }
  if (out.empty()) return no_relation(table);
  return out;
}

Result<std::vector<IndexInfo>> SqliteCatalog::indexes(std::string_view table) const {
  auto cols = columns(table);
  if (!cols) return std::move(cols).error();
  auto list = prepare(
      db_,
      "SELECT il.name, il.\"unique\", il.origin, coalesce(s.sql, '') FROM pragma_index_list(?1) il "
      "LEFT JOIN sqlite_schema s ON s.type = 'index' AND s.name = il.name ORDER BY il.name");
  if (!list) return std::move(list).error();
  list->bind(1, table);
  std::vector<IndexInfo> out;
  for (;;) {
    auto row = list->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    // ALTER TABLE ... ADD PRIMARY KEY creates a unique index marked in its definition.
    const bool primary =
        list->text(2) == "pk" || list->text(3).find("/* primary key */") != std::string::npos;
    IndexInfo ix{list->text(0), list->int64(1) != 0, primary, {}};
    auto info = prepare(
        db_, "SELECT coalesce(name, 'expression') FROM pragma_index_info(?1) ORDER BY seqno");
    if (!info) return std::move(info).error();
    info->bind(1, ix.name);
    for (;;) {
      auto r = info->step();
      if (!r) return std::move(r).error();
      if (!*r) break;
      ix.columns.push_back(info->text(0));
    }
    out.push_back(std::move(ix));
  }
  // An INTEGER PRIMARY KEY is the rowid itself and has no index: report the one PostgreSQL has.
  int pk_columns = 0;
  const ColumnInfo* pk = nullptr;
  for (const auto& c : *cols)
    if (c.primary_key_position > 0) ++pk_columns, pk = &c;
  if (pk_columns == 1 && iequals(pk->declared_type, "INTEGER")) {
    out.insert(out.begin(), IndexInfo{std::string(table) + "_pkey", true, true, {pk->name}});
  }
  return out;
}

Result<std::vector<RoleInfo>> SqliteCatalog::roles() const {
  return std::vector<RoleInfo>{RoleInfo{owner_, false, true, {}}};
}

}  // namespace dbvault::server::pgcompat
