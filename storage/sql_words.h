// The leading words of a statement of SQLite SQL, for the few facts the authorizer does not
// report: whether it is VACUUM (SQLite calls no authorizer while compiling it) and whether an
// ALTER TABLE renames (the authorizer reports RENAME, ADD and DROP COLUMN alike).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dbvault::storage {

// Up to `max` words: keywords and identifiers upper-cased (quoted identifiers unquoted, kept
// as written), punctuation as one-character words; comments and white space skipped.
std::vector<std::string> leading_words(std::string_view sql, std::size_t max);

// True for CREATE [TEMP | TEMPORARY] TABLE IF NOT EXISTS ...
bool creates_if_not_exists(std::string_view sql);

struct StatementShape {
  bool vacuum = false;       // VACUUM [schema] [INTO file], also after EXPLAIN
  bool vacuum_into = false;  // VACUUM [schema] INTO file: a copy outside the engine
  bool deletes_all = false;  // DELETE FROM [schema.]t and nothing more: what TRUNCATE runs as
  bool renames = false;      // ALTER TABLE t RENAME ...
  // The schema VACUUM names, folded ("" when none: main); "'" when it is given as a string
  // literal, whose text the words do not keep (then it may be any schema).
  std::string vacuum_schema;
};
StatementShape statement_shape(std::string_view sql);

// `s` with ASCII letters lower-cased: names compare as SQLite compares them.
std::string fold_ascii(std::string_view s);

}  // namespace dbvault::storage
