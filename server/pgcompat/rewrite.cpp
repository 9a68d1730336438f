#include "server/pgcompat/rewrite.h"

#include <array>

#include "server/pgcompat/type_names.h"

namespace dbvault::server::pgcompat::detail {
namespace {

using Kind = Token::Kind;

// Types pg_cast() converts to (functions.cpp holds the conversion rules).
constexpr std::array kCastable{"int2",        "int4",  "int8",    "float4", "float8",
                               "numeric",     "text",  "varchar", "bpchar", "name",
                               "bool",        "bytea", "date",    "time",   "timestamp",
                               "timestamptz", "uuid",  "json",    "jsonb"};

// Words that may stand before "(" without naming a function.
constexpr std::array kNotFunctions{
    "SELECT", "WHERE",  "AND",       "OR",    "NOT",      "IN",     "ON",     "WHEN",   "THEN",
    "ELSE",   "AS",     "BY",        "FROM",  "JOIN",     "VALUES", "IS",     "LIKE",   "BETWEEN",
    "SET",    "HAVING", "RETURNING", "USING", "DISTINCT", "ALL",    "UNION",  "EXCEPT", "INTERSECT",
    "LIMIT",  "OFFSET", "INTO",      "TABLE", "WITH",     "OVER",   "ESCAPE", "GLOB"};

constexpr std::array kSessionWords{"CURRENT_USER", "SESSION_USER", "CURRENT_ROLE",
                                   "CURRENT_CATALOG", "CURRENT_SCHEMA"};

template <std::size_t N>
bool is_one_of(const Token& t, const std::array<const char*, N>& words) {
  for (const char* w : words)
    if (t.is(w)) return true;
  return false;
}

Error syntax_error_at(const Token& t, std::string message) {
  Error e = make_error(sqlstate::kSyntaxError, std::move(message));
  e.position = static_cast<int>(t.offset) + 1;
  return e;
}

// What has been written to the output, token by token, so that the operand of a "::" can be
// found and wrapped after the fact.
struct Piece {
  const Token* token;      // nullptr for an already rewritten group (an atom)
  std::size_t body_start;  // offset in the output of the token's text (after blanks)
};

class Writer {
 public:
  Writer(std::string_view sql) : sql_(sql) {}

  void copy(const Token& t, std::string_view replacement) {
    out_.append(sql_.substr(copied_, t.offset - copied_));
    pieces_.push_back(Piece{&t, out_.size()});
    out_.append(replacement);
    copied_ = t.end();
  }

  // Wraps the operand that ends with the last piece in pg_cast(..., 'type').
  Status wrap_cast(const Token& cast, const std::string& type) {
    auto start = operand_start();
    if (!start) return syntax_error_at(cast, "syntax error at or near \"::\"");
    const std::size_t at = pieces_[*start].body_start;
    out_.insert(at, "pg_cast(");
    out_.append(", '" + type + "')");
    pieces_.resize(*start);
    pieces_.push_back(Piece{nullptr, at});
    return ok_status();
  }

  void skip_to(std::size_t offset) { copied_ = offset; }
  std::string finish() {
    out_.append(sql_.substr(copied_));
    return std::move(out_);
  }

 private:
  bool is_value(std::size_t i) const {
    const Token* t = pieces_[i].token;
    return t == nullptr || t->kind == Kind::kWord || t->kind == Kind::kQuoted ||
           t->kind == Kind::kNumber || t->kind == Kind::kString || t->kind == Kind::kParam;
  }
  bool is_punct(std::size_t i, char c) const {
    return pieces_[i].token != nullptr && pieces_[i].token->is_punct(c);
  }
  // Extends a start backwards over "a.b." qualifiers (and "1." of a decimal number).
  std::size_t qualified(std::size_t k) const {
    while (k >= 2 && is_punct(k - 1, '.') && is_value(k - 2)) k -= 2;
    return k;
  }

  std::optional<std::size_t> operand_start() const {
    if (pieces_.empty()) return std::nullopt;
    std::size_t k = pieces_.size() - 1;
    const Token* last = pieces_[k].token;
    if (last != nullptr && last->is_punct(')')) {
      int depth = 0;
      for (;; --k) {
        if (is_punct(k, ')')) ++depth;
        if (is_punct(k, '(') && --depth == 0) break;
        if (k == 0) return std::nullopt;
      }
      const Token* before = k > 0 ? pieces_[k - 1].token : nullptr;
      if (k > 0 && before != nullptr &&
          (before->kind == Kind::kWord || before->kind == Kind::kQuoted) &&
          !is_one_of(*before, kNotFunctions)) {
        k = qualified(k - 1);
      }
      return k;
    }
    if (last != nullptr && last->is("END")) {
      int depth = 0;
      for (;; --k) {
        const Token* t = pieces_[k].token;
        if (t != nullptr && t->is("END")) ++depth;
        if (t != nullptr && t->is("CASE") && --depth == 0) return k;
        if (k == 0) return std::nullopt;
      }
    }
    if (!is_value(k) ||
        (last != nullptr && last->kind == Kind::kWord && is_one_of(*last, kNotFunctions))) {
      return std::nullopt;
    }
    return qualified(k);
  }

  std::string_view sql_;
  std::string out_;
  std::size_t copied_ = 0;
  std::vector<Piece> pieces_;
};

bool followed_by(const std::vector<Token>& tokens, std::size_t i, char c) {
  return i + 1 < tokens.size() && tokens[i + 1].is_punct(c);
}

Error not_supported_at(const Token& t, std::string_view feature) {
  Error e = make_error(
      sqlstate::kFeatureNotSupported,
      std::string(feature) + " is PostgreSQL syntax the embedded engine does not support");
  e.position = static_cast<int>(t.offset) + 1;
  return e;
}

// "public.t" (the engine's one schema has no name in SQL) and "pg_catalog.f(" (the functions
// prepare_connection() registers): the qualifier is dropped.
bool is_dropped_qualifier(const std::vector<Token>& tokens, std::size_t i) {
  if (i + 2 >= tokens.size() || !tokens[i + 1].is_punct('.') ||
      (i > 0 && tokens[i - 1].is_punct('.')))
    return false;
  const Token& next = tokens[i + 2];
  if (tokens[i].is("PUBLIC")) return next.kind == Kind::kWord || next.kind == Kind::kQuoted;
  return tokens[i].is("PG_CATALOG") && next.kind == Kind::kWord && i + 3 < tokens.size() &&
         tokens[i + 3].is_punct('(');
}

// Whether token i starts something rewrite_expressions() changes (the common case is no).
bool needs_rewrite(const std::vector<Token>& tokens, std::size_t i) {
  const Token& t = tokens[i];
  if (t.kind == Kind::kParam || t.kind == Kind::kCast) return true;
  if (t.kind != Kind::kWord) return false;
  return t.is("ILIKE") || is_dropped_qualifier(tokens, i) || is_one_of(t, kSessionWords);
}

}  // namespace

Result<std::string> cast_target(const std::vector<Token>& tokens, std::size_t& i) {
  auto word_at = [&](std::size_t j, const char* w) { return j < tokens.size() && tokens[j].is(w); };
  if (word_at(i, "PG_CATALOG") && followed_by(tokens, i, '.')) i += 2;
  if (i >= tokens.size() || (tokens[i].kind != Kind::kWord && tokens[i].kind != Kind::kQuoted)) {
    return syntax_error_at(i < tokens.size() ? tokens[i] : tokens.back(),
                           "syntax error: a type name is missing");
  }
  std::string written = identifier_name(tokens[i]);
  const Token& first = tokens[i++];
  if ((first.is("DOUBLE") && word_at(i, "PRECISION")) ||
      ((first.is("CHARACTER") || first.is("CHAR") || first.is("BIT")) && word_at(i, "VARYING"))) {
    written += " " + identifier_name(tokens[i++]);
  }
  std::string modifiers;
  auto take_modifiers = [&] {
    if (i >= tokens.size() || !tokens[i].is_punct('(')) return;
    for (++i; i < tokens.size() && !tokens[i].is_punct(')'); ++i) modifiers.append(tokens[i].text);
    if (i < tokens.size()) ++i;
  };
  take_modifiers();
  if ((first.is("TIMESTAMP") || first.is("TIME")) &&
      (word_at(i, "WITH") || word_at(i, "WITHOUT")) && word_at(i + 1, "TIME") &&
      word_at(i + 2, "ZONE")) {
    written += tokens[i].is("WITH") ? " with time zone" : " without time zone";
    i += 3;
  }
  const std::string canonical = canonical_type_name(written);
  for (const char* c : kCastable) {
    if (canonical != c) continue;
    if (canonical == "varchar" || canonical == "bpchar" || canonical == "numeric") {
      return modifiers.empty() ? canonical : canonical + "(" + modifiers + ")";
    }
    return canonical;
  }
  Error e = not_supported_at(first, "a cast to " + written);
  e.hint = "docs/dialect.md, section Types, lists the types a cast may name";
  return e;
}

Result<ExpressionRewrite> rewrite_expressions(std::string_view sql,
                                              const std::vector<Token>& tokens) {
  bool any = false;
  for (std::size_t i = 0; i < tokens.size() && !any; ++i) any = needs_rewrite(tokens, i);
  if (!any) return ExpressionRewrite{std::string(sql), false};
  Writer w(sql);
  bool changed = false;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind == Kind::kParam) {
      w.copy(t, "?" + std::to_string(t.param));
      changed = true;
    } else if (t.kind == Kind::kCast) {
      std::size_t j = i + 1;
      auto type = cast_target(tokens, j);
      if (!type) return std::move(type).error();
      DBV_RETURN_IF_ERROR(w.wrap_cast(t, *type));
      w.skip_to(tokens[j - 1].end());
      i = j - 1;
      changed = true;
    } else if (t.is("ILIKE")) {
      for (std::size_t j = i + 1; j < tokens.size(); ++j) {
        if (tokens[j].is("ESCAPE")) return not_supported_at(tokens[j], "ILIKE ... ESCAPE");
      }
      w.copy(t, "MATCH");  // match() is registered as PostgreSQL's ILIKE (functions.cpp)
      changed = true;
    } else if (is_dropped_qualifier(tokens, i)) {
      w.copy(t, "");
      w.copy(tokens[++i], "");
      changed = true;
    } else if (t.kind == Kind::kWord && is_one_of(t, kSessionWords) &&
               !followed_by(tokens, i, '(') && !(i > 0 && tokens[i - 1].is_punct('.')) &&
               !followed_by(tokens, i, '.')) {
      w.copy(t, "(" + identifier_name(t) + "())");
      changed = true;
    } else {
      w.copy(t, t.text);
    }
  }
  if (!changed) return ExpressionRewrite{std::string(sql), false};
  return ExpressionRewrite{w.finish(), true};
}

}  // namespace dbvault::server::pgcompat::detail
