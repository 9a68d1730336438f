#include <cctype>

#include "VaultSqlLexer.h"
#include "grammar/printer.h"

namespace dbvault::grammar {
namespace {

// Binding strength, loosest first; a child weaker than its slot needs parentheses.
enum Prec { kOr = 1, kAnd = 2, kNot = 3, kPredicate = 4, kValue = 5 };

int prec(const ast::Expr& e) {
  if (const auto* l = std::get_if<ast::Logical>(&e.node)) {
    return l->op == ast::LogicOp::kOr ? kOr : kAnd;
  }
  if (std::holds_alternative<ast::Not>(e.node)) return kNot;
  if (std::holds_alternative<ast::Literal>(e.node) || std::holds_alternative<ast::FactorRef>(e.node) ||
      std::holds_alternative<ast::Call>(e.node)) {
    return kValue;
  }
  return kPredicate;
}

std::string print(const ast::Expr& e, int slot);

std::string list(const std::vector<ast::Expr>& items, int slot) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ", ";
    out += print(i, slot);
  }
  return out;
}

std::string_view compare_op(ast::CompareOp op) {
  switch (op) {
    case ast::CompareOp::kEq: return " = ";
    case ast::CompareOp::kNe: return " <> ";
    case ast::CompareOp::kLt: return " < ";
    case ast::CompareOp::kLe: return " <= ";
    case ast::CompareOp::kGt: return " > ";
    case ast::CompareOp::kGe: return " >= ";
  }
  return " ? ";
}

// " BETWEEN " or " NOT BETWEEN ", for the predicates that can be negated.
template <typename N>
std::string keyword(const N& n, std::string_view word) {
  return std::string(n.negated ? " NOT " : " ") + std::string(word) + " ";
}

std::string bare(const ast::Expr& e) {
  return std::visit(
      [](const auto& n) -> std::string {
        using N = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<N, ast::Literal>) {
          switch (n.value.index()) {
            case 0: return "NULL";
            case 1: return quote_literal(std::get<std::string>(n.value));
            case 2: return std::to_string(std::get<std::int64_t>(n.value));
            default: return std::get<bool>(n.value) ? "TRUE" : "FALSE";
          }
        } else if constexpr (std::is_same_v<N, ast::FactorRef>) {
          return std::string(ast::factor_name(n.factor));
        } else if constexpr (std::is_same_v<N, ast::Call>) {
          return std::string(ast::function_name(n.function)) + "(" + list(n.args, kOr) + ")";
        } else if constexpr (std::is_same_v<N, ast::Not>) {
          return "NOT " + print(*n.operand, kNot);
        } else if constexpr (std::is_same_v<N, ast::Logical>) {
          const int p = n.op == ast::LogicOp::kOr ? kOr : kAnd;
          return print(*n.lhs, p) + (p == kOr ? " OR " : " AND ") + print(*n.rhs, p + 1);
        } else if constexpr (std::is_same_v<N, ast::Compare>) {
          return print(*n.lhs, kValue) + std::string(compare_op(n.op)) + print(*n.rhs, kValue);
        } else if constexpr (std::is_same_v<N, ast::Between>) {
          return print(*n.operand, kValue) + keyword(n, "BETWEEN") + print(*n.low, kValue) + " AND " +
                 print(*n.high, kValue);
        } else if constexpr (std::is_same_v<N, ast::InList>) {
          return print(*n.operand, kValue) + keyword(n, "IN") + "(" + list(n.items, kValue) + ")";
        } else if constexpr (std::is_same_v<N, ast::Like>) {
          return print(*n.operand, kValue) + keyword(n, "LIKE") + print(*n.pattern, kValue);
        } else {
          return print(*n.operand, kValue) + (n.negated ? " IS NOT NULL" : " IS NULL");
        }
      },
      e.node);
}

std::string print(const ast::Expr& e, int slot) {
  std::string s = bare(e);
  return prec(e) < slot ? "(" + s + ")" : s;
}

}  // namespace

std::string to_sql(const ast::Expr& e) { return print(e, kOr); }

bool is_keyword(std::string_view word) {
  static const std::vector<std::string> keywords = [] {
    std::vector<std::string> out;
    const auto& vocabulary = dbvault_gen::VaultSqlLexer(nullptr).getVocabulary();
    for (std::size_t t = 1; t <= vocabulary.getMaxTokenType(); ++t) {
      std::string name = vocabulary.getSymbolicName(t);
      if (name.empty() || vocabulary.getLiteralName(t) != "") continue;  // punctuation
      if (name.back() == '_') name.pop_back();  // NULL_
      bool word_like = true;
      for (char c : name) word_like = word_like && (std::isupper(static_cast<unsigned char>(c)) || c == '_');
      if (word_like && name != "IDENT" && name != "STRING" && name != "INTEGER" &&
          name != "OTHER" && name != "WS" && name.find("COMMENT") == std::string::npos &&
          name.find("UNTERMINATED") == std::string::npos && name != "QUOTED_IDENT") {
        out.push_back(name);
      }
    }
    return out;
  }();
  std::string upper(word);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& k : keywords) {
    if (k == upper) return true;
  }
  return false;
}

std::string quote_identifier(std::string_view name) {
  bool plain = !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) {
    plain = plain && (std::islower(static_cast<unsigned char>(c)) ||
                      std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '$');
  }
  if (plain && !is_keyword(name)) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace dbvault::grammar
