// One engine statement as the translators see it (its text and tokens), the translators of
// each statement family, and the errors they share. Internal to pgcompat.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "server/pgcompat/pgcompat.h"
#include "server/pgcompat/tokens.h"

namespace dbvault::server::pgcompat::detail {

struct Stmt {
  std::string_view sql;
  std::vector<Token> tokens;

  std::size_t size() const { return tokens.size(); }
  // True if token i is the keyword (upper case), false past the end.
  bool word(std::size_t i, std::string_view upper_keyword) const {
    return i < tokens.size() && tokens[i].is(upper_keyword);
  }
  bool punct(std::size_t i, char c) const { return i < tokens.size() && tokens[i].is_punct(c); }
  // Byte offset of token i (the end of the statement past the last token).
  std::size_t offset(std::size_t i) const {
    return i < tokens.size() ? tokens[i].offset : sql.size();
  }
};

// 42601 "syntax error at or near ..." pointing at token i (or at the end).
Error syntax_error(const Stmt& s, std::size_t i);
// 0A000 "<feature> is PostgreSQL syntax the embedded engine does not support".
Error not_supported(std::string_view feature, const Stmt& s, std::size_t i,
                    std::string_view hint = {});

// A change to a statement's text: `remove` bytes at `offset` replaced by `insert`.
struct Edit {
  std::size_t offset;
  std::size_t remove;
  std::string insert;
};
// The text with the edits applied. REQUIRES: edits do not overlap.
std::string apply(std::string_view sql, std::vector<Edit> edits);

// PostgreSQL's result shape where SQLite's differs (result_shape.cpp): NULLs sort last in
// ascending order (an ORDER BY item without NULLS gets NULLS LAST / FIRST), and select-list
// items get PostgreSQL's column names (count(*) -> "count", x::int -> "x", CASE -> "case").
std::vector<Edit> null_order_edits(const Stmt& s);
std::vector<Edit> column_name_edits(const Stmt& s);
// Row-locking clauses (locking.cpp): dropped, SKIP LOCKED refused.
Result<std::vector<Edit>> locking_edits(const Stmt& s);

struct TableName {
  std::string sql;   // for the engine, as written; "public." or "main." becomes "main."
  std::string name;  // the identifier, for catalog look-ups
  std::string bare;  // as written, without a qualifier (CREATE INDEX ... ON takes no schema)
  bool qualified = false;
};
// [public. | main.] name at token i; advances i past it. 0A000 for another schema.
Result<TableName> table_name(const Stmt& s, std::size_t& i);

// A ResultSet that answers a command without rows.
ResultSet command_done(std::string tag, std::string notice = {});
Rewritten run_instead(std::string statement, std::string tag);

// The statement families; each returns nullopt when the statement is not of its family.
std::optional<Result<Translation>> translate_transaction(const Stmt& s, Settings& settings);
std::optional<Result<Translation>> translate_settings(const Stmt& s, Settings& settings);
std::optional<Result<Translation>> translate_ddl(const Stmt& s, const CatalogSource& catalog);
// psql's and pgbench's catalog queries; nullopt when the statement reads no catalog.
std::optional<Result<Translation>> translate_catalog_query(const Stmt& s, const Settings& settings,
                                                           const CatalogSource& catalog);

}  // namespace dbvault::server::pgcompat::detail
