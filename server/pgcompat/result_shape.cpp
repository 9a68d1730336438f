// PostgreSQL's result shape where SQLite's differs: where NULLs sort, and what an unnamed
// select-list item is called.
#include <array>

#include "server/pgcompat/rewrite.h"
#include "server/pgcompat/statement.h"

namespace dbvault::server::pgcompat::detail {
namespace {

using Kind = Token::Kind;

template <std::size_t N>
bool word_in(const Stmt& s, std::size_t i, const std::array<const char*, N>& words) {
  for (const char* w : words)
    if (s.word(i, w)) return true;
  return false;
}

// Words that end an ORDER BY list at its own depth.
constexpr std::array kOrderEnds{"LIMIT",     "OFFSET",    "FETCH", "FOR",   "UNION",
                                "INTERSECT", "EXCEPT",    "ROWS",  "RANGE", "GROUPS",
                                "WINDOW",    "RETURNING", "ON"};

// Words that end a select list.
constexpr std::array kListEnds{"FROM",  "WHERE",     "GROUP",  "HAVING", "ORDER", "LIMIT", "OFFSET",
                               "UNION", "INTERSECT", "EXCEPT", "WINDOW", "INTO",  "FOR"};

void order_item(const Stmt& s, std::size_t first, std::size_t last, std::vector<Edit>& edits) {
  int depth = 0;
  for (std::size_t i = first; i <= last; ++i) {
    if (s.punct(i, '(')) ++depth;
    if (s.punct(i, ')')) --depth;
    if (depth == 0 && s.word(i, "NULLS")) return;  // said explicitly
  }
  edits.push_back({s.tokens[last].end(), 0, s.word(last, "DESC") ? " NULLS FIRST" : " NULLS LAST"});
}

// The items of the ORDER BY whose BY is at token `by`; returns the index where the list ends.
std::size_t order_list(const Stmt& s, std::size_t by, std::vector<Edit>& edits) {
  int depth = 0;
  std::size_t start = by + 1;
  std::size_t i = start;
  for (; i < s.size(); ++i) {
    if (s.punct(i, '(')) ++depth;
    if (s.punct(i, ')') && --depth < 0) break;
    if (depth != 0) continue;
    if (s.punct(i, ';') || word_in(s, i, kOrderEnds)) break;
    if (s.punct(i, ',')) {
      if (i > start) order_item(s, start, i - 1, edits);
      start = i + 1;
    }
  }
  if (i > start) order_item(s, start, i - 1, edits);
  return i;
}

// The index of the ')' matching the '(' at `open`, or s.size().
std::size_t matching(const Stmt& s, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < s.size(); ++i) {
    if (s.punct(i, '(')) ++depth;
    if (s.punct(i, ')') && --depth == 0) return i;
  }
  return s.size();
}

// The name PostgreSQL gives an item first..last of a select list without an alias, when SQLite
// would give another: a function call is named by the function, a cast by its operand's name
// or else by its type, CASE "case", current_user & co by themselves. Empty: keep SQLite's.
std::string postgres_name(const Stmt& s, std::size_t first, std::size_t last) {
  const Token& head = s.tokens[first];
  if (first == last && head.kind == Kind::kWord) {
    for (const char* w :
         {"CURRENT_USER", "SESSION_USER", "CURRENT_ROLE", "CURRENT_CATALOG", "CURRENT_SCHEMA"})
      if (head.is(w)) return identifier_name(head);
    return {};
  }
  std::string operand_name;
  std::size_t i = first;
  if (head.kind == Kind::kWord && s.punct(first + 1, '(') && !head.is("CAST")) {
    i = matching(s, first + 1) + 1;
    operand_name = identifier_name(head);
  } else if (head.is("CASE")) {
    int depth = 0;
    for (; i <= last; ++i) {
      if (s.word(i, "CASE")) ++depth;
      if (s.word(i, "END") && --depth == 0) break;
    }
    ++i;
    operand_name = "case";
  } else {
    while (i <= last && s.tokens[i].kind != Kind::kCast) ++i;
    if (i > last) return {};  // no cast: SQLite names columns and a.b as PostgreSQL does
    // The operand must be one primary: a token, a.b, 1.5, or (...). "-1::int" is ?column?.
    const bool parenthesised = head.is_punct('(') && matching(s, first) == i - 1;
    const bool dotted = i == first + 3 && s.punct(first + 1, '.');
    if (i != first + 1 && !dotted && !parenthesised) return {};
    if (head.kind == Kind::kPunct && !parenthesised) return {};
    if (i == first + 1 && (head.kind == Kind::kWord || head.kind == Kind::kQuoted))
      operand_name = identifier_name(head);
    if (i == first + 3 && s.punct(first + 1, '.') && s.tokens[first + 2].kind == Kind::kWord) {
      operand_name = identifier_name(s.tokens[first + 2]);
    }
  }
  std::string type_name;
  while (i <= last && s.tokens[i].kind == Kind::kCast) {
    std::size_t j = i + 1;
    auto t = cast_target(s.tokens, j);
    if (!t) return {};
    type_name = t->substr(0, t->find('('));
    i = j;
  }
  if (i != last + 1) return {};  // an alias, or an expression PostgreSQL calls ?column?
  if (!operand_name.empty()) return operand_name;
  return type_name;
}

}  // namespace

std::vector<Edit> null_order_edits(const Stmt& s) {
  std::vector<Edit> edits;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s.word(i, "ORDER") && s.word(i + 1, "BY")) i = order_list(s, i + 1, edits) - 1;
  }
  return edits;
}

std::vector<Edit> column_name_edits(const Stmt& s) {
  std::vector<Edit> edits;
  if (!s.word(0, "SELECT")) return edits;
  std::size_t start = s.word(1, "DISTINCT") || s.word(1, "ALL") ? 2 : 1;
  int depth = 0;
  for (std::size_t i = start; i <= s.size(); ++i) {
    const bool end = i == s.size() || (depth == 0 && (s.punct(i, ';') || word_in(s, i, kListEnds)));
    if (end || (depth == 0 && s.punct(i, ','))) {
      if (i > start) {
        if (const std::string name = postgres_name(s, start, i - 1); !name.empty()) {
          edits.push_back({s.tokens[i - 1].end(), 0, " AS " + quote_identifier(name)});
        }
      }
      if (end) break;
      start = i + 1;
      continue;
    }
    if (s.punct(i, '(')) ++depth;
    if (s.punct(i, ')')) --depth;
  }
  return edits;
}

}  // namespace dbvault::server::pgcompat::detail
