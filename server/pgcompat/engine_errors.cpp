// explain_engine_error(): SQLite's failure, said the way a PostgreSQL client understands it.
#include <array>

#include "server/pgcompat/pg_parse.h"
#include "server/pgcompat/pgcompat.h"

namespace dbvault::server::pgcompat {
namespace {

using detail::Json;

struct MessageMap {
  std::string_view prefix;  // of SQLite's message
  std::string_view sqlstate;
};

constexpr std::array kMessages{
    MessageMap{"no such table", "42P01"},
    MessageMap{"no such view", "42P01"},
    MessageMap{"no such column", "42703"},
    MessageMap{"no such function", "42883"},
    MessageMap{"no such index", "42704"},
    MessageMap{"no such savepoint", "3B001"},
    MessageMap{"ambiguous column name", "42702"},
    MessageMap{"UNIQUE constraint failed", "23505"},
    MessageMap{"NOT NULL constraint failed", "23502"},
    MessageMap{"FOREIGN KEY constraint failed", "23503"},
    MessageMap{"CHECK constraint failed", "23514"},
    MessageMap{"datatype mismatch", "42804"},
    MessageMap{"integer overflow", "22003"},
    MessageMap{"database is locked", "40001"},
    MessageMap{"database table is locked", "40001"},
    MessageMap{"interrupted", "57014"},
    MessageMap{"string or blob too big", "54000"},
    MessageMap{"too many", "54000"},
    MessageMap{"attempt to write a readonly database", "25006"},
    MessageMap{"cannot start a transaction within a transaction", "25001"},
    MessageMap{"cannot commit - no transaction is active", "25P01"},
    MessageMap{"cannot rollback - no transaction is active", "25P01"},
    MessageMap{"not authorized", "42501"},
    // pg_cast() and like() (functions.cpp) report PostgreSQL's own messages.
    MessageMap{"invalid input syntax for type timestamp", "22007"},  // and timestamptz
    MessageMap{"invalid input syntax for type date", "22007"},
    MessageMap{"invalid input syntax", "22P02"},
    MessageMap{"smallint out of range", "22003"},
    MessageMap{"integer out of range", "22003"},
    MessageMap{"bigint out of range", "22003"},
    MessageMap{"cannot cast", "42846"},
    MessageMap{"LIKE pattern must not end", "22025"},
};

bool is_syntax_error(std::string_view m) {
  return m.find("syntax error") != std::string_view::npos || m.starts_with("incomplete input") ||
         m.starts_with("unrecognized token");
}

bool already_exists(std::string_view m) {
  return m.find(" already exists") != std::string_view::npos && !m.starts_with("no such");
}

// The first PostgreSQL-only construct of a statement the engine could not read.
std::string feature_of(const Json& stmt) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 24> kNodes{{
      {"A_ArrayExpr", "ARRAY[...]"},
      {"A_Indirection", "a subscript or field selection"},
      {"RangeTableSample", "TABLESAMPLE"},
      {"GroupingSet", "GROUPING SETS / ROLLUP / CUBE"},
      {"MinMaxExpr", "GREATEST / LEAST"},
      {"XmlExpr", "XML functions"},
      {"LockingClause", "FOR UPDATE / FOR SHARE"},
      {"CreateSeqStmt", "CREATE SEQUENCE"},
      {"CreateFunctionStmt", "CREATE FUNCTION"},
      {"DoStmt", "DO"},
      {"CreateSchemaStmt", "CREATE SCHEMA"},
      {"CreateExtensionStmt", "CREATE EXTENSION"},
      {"ListenStmt", "LISTEN"},
      {"NotifyStmt", "NOTIFY"},
      {"UnlistenStmt", "UNLISTEN"},
      {"CreateDomainStmt", "CREATE DOMAIN"},
      {"CompositeTypeStmt", "CREATE TYPE"},
      {"CreateEnumStmt", "CREATE TYPE"},
      {"CommentStmt", "COMMENT ON"},
      {"LockStmt", "LOCK TABLE"},
      {"ClusterStmt", "CLUSTER"},
      {"PrepareStmt", "PREPARE"},
      {"ExecuteStmt", "EXECUTE"},
      {"RangeFunction", "a function in FROM"},
  }};
  std::string found;
  detail::walk(stmt, [&](const std::string& type, const Json& body) {
    for (const auto& [node, what] : kNodes)
      if (type == node) found = what;
    if (type == "A_Expr") {
      const std::string kind = body.value("kind", "");
      if (kind == "AEXPR_SIMILAR") found = "SIMILAR TO";
      if (kind == "AEXPR_OP_ANY" || kind == "AEXPR_OP_ALL") found = "ANY / ALL (...)";
      if (kind == "AEXPR_OP") {
        const std::string op = detail::last_name(body["name"]);
        if (op.find('~') != std::string::npos)
          found = "regular-expression matching (" + op + ")";
        else if (op == "^" || op == "#" || op == "@" || op == "|/" || op == "||/" || op == "!!")
          found = "the " + op + " operator";
      }
    }
    if (type == "SelectStmt" && body.contains("distinctClause") &&
        !body["distinctClause"].empty() && !body["distinctClause"][0].empty()) {
      found = "DISTINCT ON";
    }
    if (type == "FuncCall" &&
        (body.contains("agg_order") || body.value("agg_within_group", false))) {
      found = "ORDER BY / WITHIN GROUP in an aggregate";
    }
    if (type == "RangeSubselect" && body.value("lateral", false)) found = "LATERAL";
    if (type == "SelectStmt" && body.contains("limitOption") &&
        body["limitOption"] == "LIMIT_OPTION_WITH_TIES") {
      found = "FETCH ... WITH TIES";
    }
    if (type == "TypeCast" && body.contains("arg") && body["arg"].contains("A_Const"))
      found = "a typed literal (type '...')";
    return found.empty();
  });
  if (!found.empty()) return found;
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kStatements{{
      {"SelectStmt", "SELECT"},
      {"InsertStmt", "INSERT"},
      {"UpdateStmt", "UPDATE"},
      {"DeleteStmt", "DELETE"},
      {"CreateStmt", "CREATE TABLE"},
      {"IndexStmt", "CREATE INDEX"},
      {"AlterTableStmt", "ALTER TABLE"},
      {"ViewStmt", "CREATE VIEW"},
      {"DropStmt", "DROP"},
      {"CreateTableAsStmt", "CREATE TABLE AS"},
  }};
  const std::string node = stmt.is_object() && !stmt.empty() ? stmt.begin().key() : "";
  for (const auto& [name, words] : kStatements)
    if (node == name) return "this form of " + std::string(words);
  return "this statement";
}

}  // namespace

Error explain_engine_error(std::string_view sql, std::string_view sqlite_message) {
  for (const auto& m : kMessages) {
    if (sqlite_message.starts_with(m.prefix))
      return make_error(SqlState(m.sqlstate), std::string(sqlite_message));
  }
  if (already_exists(sqlite_message))
    return make_error(SqlState("42P07"), std::string(sqlite_message));
  if (!is_syntax_error(sqlite_message))
    return make_error(sqlstate::kInternalError, std::string(sqlite_message));
  auto tree = detail::pg_parse(sql);
  if (!tree) return std::move(tree).error();  // PostgreSQL's own syntax error, with its position
  Error e =
      make_error(sqlstate::kFeatureNotSupported,
                 feature_of(*tree) + " is PostgreSQL syntax the embedded engine does not support");
  e.detail = "engine: " + std::string(sqlite_message);
  e.hint = "docs/dialect.md says what the engine speaks";
  return e;
}

}  // namespace dbvault::server::pgcompat
