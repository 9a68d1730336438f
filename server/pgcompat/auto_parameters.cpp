// auto_parameterize(): one pass of grammar::SqlScanner with a stack of clause states, one per
// parenthesis level. A literal is bound only when no level around it is a select list or an
// ORDER BY / GROUP BY, and its own level is not a FROM clause.
#include "server/pgcompat/auto_parameters.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "grammar/sql_scanner.h"

namespace dbvault::server::pgcompat {
namespace {

using grammar::SqlToken;

enum class Clause { kOther, kSelectList, kFrom, kOrdering };

// More literals than this in one statement: a bulk load, not worth a cache entry.
constexpr std::size_t kMaxBound = 2000;

// The words the clause tracking reacts to (kNone: any other word).
enum class Word { kNone, kStatement, kSelect, kFrom, kOrdering, kClause, kFromItem, kRefused };

Word classify(std::string_view w) {
  struct Entry {
    std::string_view upper;
    Word word;
  };
  static constexpr Entry kWords[] = {
      {"SELECT", Word::kSelect},     {"INSERT", Word::kStatement}, {"UPDATE", Word::kStatement},
      {"DELETE", Word::kStatement},  {"FROM", Word::kFrom},        {"JOIN", Word::kFrom},
      {"ORDER", Word::kOrdering},    {"GROUP", Word::kOrdering},   {"WHERE", Word::kClause},
      {"ON", Word::kClause},         {"USING", Word::kClause},     {"HAVING", Word::kClause},
      {"LIMIT", Word::kClause},      {"OFFSET", Word::kClause},    {"SET", Word::kClause},
      {"VALUES", Word::kClause},     {"UNION", Word::kClause},     {"INTERSECT", Word::kClause},
      {"EXCEPT", Word::kClause},     {"DO", Word::kClause},        {"LEFT", Word::kFromItem},
      {"RIGHT", Word::kFromItem},    {"FULL", Word::kFromItem},    {"INNER", Word::kFromItem},
      {"OUTER", Word::kFromItem},    {"CROSS", Word::kFromItem},   {"NATURAL", Word::kFromItem},
      {"LATERAL", Word::kFromItem},  {"OVER", Word::kRefused},     {"WINDOW", Word::kRefused},
      {"RETURNING", Word::kRefused}, {"WITH", Word::kRefused},     {"PRAGMA", Word::kRefused},
  };
  if (w.size() < 2 || w.size() > 9) return Word::kNone;
  char buffer[9];
  for (std::size_t i = 0; i < w.size(); ++i) {
    buffer[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[i])));
  }
  const std::string_view upper(buffer, w.size());
  for (const auto& e : kWords) {
    if (e.upper == upper) return e.word;
  }
  return Word::kNone;
}

std::string unquote(std::string_view quoted) {
  std::string out;
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    out += quoted[i];
    if (quoted[i] == '\'' && quoted[i + 1] == '\'') ++i;
  }
  return out;
}

class Parameterizer {
 public:
  explicit Parameterizer(std::string_view sql) : sql_(sql) {}

  std::optional<AutoParameterized> run() {
    grammar::SqlScanner scanner(sql_);
    SqlToken first = scanner.next();
    const Word w = first.kind == SqlToken::Kind::kWord ? classify(first.text) : Word::kNone;
    if (w != Word::kSelect && w != Word::kStatement) return std::nullopt;
    frames_.push_back(Clause::kOther);
    for (SqlToken t = first; t.kind != SqlToken::Kind::kEnd; t = scanner.next()) {
      if (t.unterminated || !take(t)) return std::nullopt;
      previous_kind_ = t.kind;
    }
    if (scanner.saw_unterminated_comment() || out_.values.empty()) return std::nullopt;
    out_.sql.append(sql_.substr(copied_));
    return std::move(out_);
  }

 private:
  // False: the statement does not qualify.
  bool take(const SqlToken& t) {
    switch (t.kind) {
      case SqlToken::Kind::kWord:
        return word(t);
      case SqlToken::Kind::kString:
        return adjacent_word_before(t) ? true : bind(t, unquote(t.text));
      case SqlToken::Kind::kNumber:
        return number(t);
      case SqlToken::Kind::kPunct:
        return punct(t);
      default:
        return true;  // a quoted identifier
    }
  }

  bool word(const SqlToken& t) {
    previous_word_ = classify(t.text);
    Clause& c = frames_.back();
    switch (previous_word_) {
      case Word::kRefused:
        return false;
      case Word::kSelect:
        c = Clause::kSelectList;
        break;
      case Word::kFrom:
        c = Clause::kFrom;
        break;
      case Word::kOrdering:
        c = Clause::kOrdering;
        break;
      case Word::kClause:
        c = Clause::kOther;
        break;
      default:
        break;
    }
    return true;
  }

  bool punct(const SqlToken& t) {
    const char ch = t.text.front();
    if (ch == '?' || ch == '$' || ch == ':' || ch == '@' || ch == '#') return false;
    if (ch == '(') {
      const bool names_function =
          previous_kind_ == SqlToken::Kind::kQuoted ||
          (previous_kind_ == SqlToken::Kind::kWord && previous_word_ != Word::kFrom &&
           previous_word_ != Word::kFromItem);
      if (frames_.back() == Clause::kFrom && names_function) return false;
      frames_.push_back(Clause::kOther);
    } else if (ch == ')' && frames_.size() > 1) {
      frames_.pop_back();
    }
    return true;
  }

  bool number(const SqlToken& t) {
    if (!std::all_of(t.text.begin(), t.text.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
      return true;  // 0x1F, 1e5: left as written
    }
    const std::size_t end = t.offset + t.text.size();
    if ((t.offset > 0 && sql_[t.offset - 1] == '.') || (end < sql_.size() && sql_[end] == '.')) {
      return true;  // part of a real number
    }
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec != std::errc{} || ptr != t.text.data() + t.text.size()) return true;  // out of range
    return bind(t, v);
  }

  // X'..' (a blob) and the like: a word written against the string.
  bool adjacent_word_before(const SqlToken& t) const {
    return t.offset > 0 && std::isalnum(static_cast<unsigned char>(sql_[t.offset - 1])) != 0;
  }

  bool bindable_here() const {
    if (frames_.back() == Clause::kFrom) return false;
    return std::none_of(frames_.begin(), frames_.end(), [](Clause c) {
      return c == Clause::kSelectList || c == Clause::kOrdering;
    });
  }

  bool bind(const SqlToken& t, std::variant<std::int64_t, std::string> value) {
    if (!bindable_here()) return true;
    if (out_.values.size() >= kMaxBound) return false;
    out_.values.push_back(std::move(value));
    out_.sql.append(sql_.substr(copied_, t.offset - copied_));
    out_.sql += '?';
    out_.sql += std::to_string(out_.values.size());
    copied_ = t.offset + t.text.size();
    return true;
  }

  std::string_view sql_;
  std::vector<Clause> frames_;
  SqlToken::Kind previous_kind_ = SqlToken::Kind::kEnd;
  Word previous_word_ = Word::kNone;  // of the last word token
  std::size_t copied_ = 0;
  AutoParameterized out_;
};

}  // namespace

std::optional<AutoParameterized> auto_parameterize(std::string_view sql) {
  return Parameterizer(sql).run();
}

}  // namespace dbvault::server::pgcompat
