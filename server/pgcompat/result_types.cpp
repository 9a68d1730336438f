// infer_result_types(): the types PostgreSQL would give a SELECT's expression columns, for a
// Describe that comes before any row (the engine knows an expression's type only from a value).
#include <algorithm>

#include "server/pgcompat/pg_parse.h"
#include "server/pgcompat/pgcompat.h"
#include "server/pgcompat/type_names.h"

namespace dbvault::server::pgcompat {
namespace {

using detail::Json;

int int_rank(std::uint32_t t) {
  return t == type_oid::kInt2 ? 1 : t == type_oid::kInt4 ? 2 : t == type_oid::kInt8 ? 3 : 0;
}

std::uint32_t type_of(const Json& node);

// + - * / % of two typed operands, as PostgreSQL resolves the common numeric cases.
std::uint32_t arithmetic(const Json& e) {
  if (!e.contains("lexpr") || !e.contains("rexpr")) return 0;
  const std::uint32_t l = type_of(e["lexpr"]);
  const std::uint32_t r = type_of(e["rexpr"]);
  if (int_rank(l) > 0 && int_rank(r) > 0) return int_rank(l) >= int_rank(r) ? l : r;
  const auto exact = [](std::uint32_t t) { return int_rank(t) > 0 || t == type_oid::kNumeric; };
  if (exact(l) && exact(r)) return type_oid::kNumeric;
  if ((l == type_oid::kFloat8 || exact(l)) && (r == type_oid::kFloat8 || exact(r)))
    return type_oid::kFloat8;
  return 0;
}

std::uint32_t type_of(const Json& node) {
  if (!node.is_object() || node.empty()) return 0;
  const std::string& kind = node.begin().key();
  const Json& body = node.begin().value();
  if (kind == "TypeCast") {
    const std::string name =
        detail::canonical_type_name(detail::last_name(body["typeName"]["names"]));
    return detail::oid_of_canonical(name).value_or(0);
  }
  if (kind == "A_Const") {
    if (body.contains("ival")) return type_oid::kInt4;
    if (body.contains("fval")) return type_oid::kNumeric;
    if (body.contains("boolval")) return type_oid::kBool;
    if (body.contains("sval")) return type_oid::kText;
    return 0;
  }
  if (kind == "FuncCall") {
    const std::string name = detail::last_name(body["funcname"]);
    if (name == "count") return type_oid::kInt8;
    if (name == "now" || name == "transaction_timestamp" || name == "statement_timestamp" ||
        name == "clock_timestamp")
      return type_oid::kTimestamptz;
    return 0;
  }
  if (kind == "A_Expr" && body.value("kind", "") == "AEXPR_OP") {
    const std::string op = detail::last_name(body["name"]);
    if (op == "+" || op == "-" || op == "*" || op == "/" || op == "%") return arithmetic(body);
    if (op == "=" || op == "<>" || op == "<" || op == ">" || op == "<=" || op == ">=")
      return type_oid::kBool;
    return 0;
  }
  if (kind == "BoolExpr" || kind == "NullTest") return type_oid::kBool;
  return 0;
}

}  // namespace

std::vector<std::uint32_t> infer_result_types(std::string_view sql) {
  auto tree = detail::pg_parse(sql);
  if (!tree || !tree->contains("SelectStmt")) return {};
  const Json& select = (*tree)["SelectStmt"];
  if (!select.contains("targetList") || select.value("op", "SETOP_NONE") != "SETOP_NONE") return {};
  std::vector<std::uint32_t> types;
  for (const auto& target : select["targetList"]) {
    const Json& val = target["ResTarget"]["val"];
    if (val.contains("ColumnRef") && val["ColumnRef"]["fields"].back().contains("A_Star"))
      return {};  // `*`: the list does not say how many columns there are
    types.push_back(type_of(val));
  }
  return types;
}

}  // namespace dbvault::server::pgcompat
