#include "grammar/classifier.h"

#include "grammar/sql_scanner.h"

namespace dbvault::grammar {
namespace {

using Kind = SqlToken::Kind;

bool is_any(const SqlToken& t, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (t.is(w)) return true;
  }
  return false;
}

// Skips a possibly qualified, possibly quoted name; returns the token after it.
SqlToken skip_name(SqlScanner& s, SqlToken t) {
  while (t.kind == Kind::kWord || t.kind == Kind::kQuoted) {
    t = s.next();
    if (!t.is_punct('.')) return t;
    t = s.next();
  }
  return t;
}

// CREATE TABLE [IF NOT EXISTS] name ( ... ) [...]: an extension statement when a column
// definition carries the word ENCRYPTED (not as its first word, which is the column's name)
// or TABLESPACE follows the column list.
bool create_table_needs_vault(SqlScanner& s) {
  SqlToken t = s.next();
  if (t.is("IF")) {
    s.next();  // NOT
    s.next();  // EXISTS
    t = s.next();
  }
  t = skip_name(s, t);
  if (!t.is_punct('(')) return false;
  int depth = 1;
  bool element_start = true;
  for (t = s.next(); t.kind != Kind::kEnd; t = s.next()) {
    if (depth == 0) {
      if (t.is("TABLESPACE")) return true;
      continue;
    }
    if (t.is_punct('(')) {
      ++depth;
    } else if (t.is_punct(')')) {
      --depth;
    } else if (depth == 1 && t.is_punct(',')) {
      element_start = true;
      continue;
    } else if (depth == 1 && !element_start && t.is("ENCRYPTED")) {
      return true;
    }
    element_start = false;
  }
  return false;
}

// ALTER TABLE name {ROTATE ... | ALTER [COLUMN] c {SET ENCRYPTED | SET MASKING | DROP MASKING}}
bool alter_table_needs_vault(SqlScanner& s) {
  SqlToken t = skip_name(s, s.next());
  if (t.is("ROTATE")) return true;
  if (!t.is("ALTER")) return false;
  t = s.next();
  if (t.is("COLUMN")) t = s.next();
  t = s.next();  // after the column name
  const SqlToken what = s.next();
  return (t.is("SET") && is_any(what, {"ENCRYPTED", "MASKING"})) ||
         (t.is("DROP") && what.is("MASKING"));
}

}  // namespace

StatementClass classify(std::string_view statement) {
  SqlScanner s(statement);
  const SqlToken first = s.next();
  if (first.kind != Kind::kWord) return StatementClass::kEngine;
  const auto ext = [](bool b) { return b ? StatementClass::kExtension : StatementClass::kEngine; };
  if (is_any(first, {"UNLOCK", "EMERGENCY", "APPROVE", "REJECT", "BACKUP", "RESTORE", "CONNECT",
                     "GRANT", "REVOKE"})) {
    return StatementClass::kExtension;
  }
  const SqlToken second = s.next();
  if (first.is("CREATE")) {
    if (second.is("TABLE")) return ext(create_table_needs_vault(s));
    // A TEMP table with an ENCRYPTED column must not slip through to SQLite, which would take
    // "TEXT ENCRYPTED" as a type name and store the column in the clear.
    if ((second.is("TEMP") || second.is("TEMPORARY")) && s.next().is("TABLE")) {
      return ext(create_table_needs_vault(s));
    }
    return ext(is_any(second, {"REALM", "COMMAND", "RULE", "USER", "ROLE", "MASTER",
                               "TABLESPACE", "AUDIT"}));
  }
  if (first.is("ALTER")) {
    if (second.is("TABLE")) return ext(alter_table_needs_vault(s));
    return ext(is_any(second, {"REALM", "COMMAND", "DATABASE", "USER", "TABLESPACE"}));
  }
  if (first.is("DROP")) {
    return ext(is_any(second, {"REALM", "COMMAND", "RULE", "USER", "ROLE", "AUDIT", "TABLESPACE"}));
  }
  if (first.is("LOCK")) return ext(is_any(second, {"REALM", "ALL"}));
  if (first.is("REVIEW")) return ext(second.is("EMERGENCY"));
  if (first.is("VERIFY")) return ext(second.is("AUDIT"));
  if (first.is("EXPLAIN")) return ext(second.is("VAULT"));
  return StatementClass::kEngine;
}

}  // namespace dbvault::grammar
