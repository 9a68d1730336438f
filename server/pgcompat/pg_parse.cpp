#include "server/pgcompat/pg_parse.h"

#include <pg_query.h>

#include <cctype>

namespace dbvault::server::pgcompat::detail {
namespace {

// RAII owner of a libpg_query result struct (they hold malloc'd strings).
template <typename R, R (*Make)(const char*), void (*Free)(R)>
class PgResult {
 public:
  explicit PgResult(const std::string& sql) : r_(Make(sql.c_str())) {}
  ~PgResult() { Free(r_); }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  const R* operator->() const { return &r_; }

 private:
  R r_;
};

using ParseResult = PgResult<PgQueryParseResult, pg_query_parse, pg_query_free_parse_result>;
using FingerprintResult =
    PgResult<PgQueryFingerprintResult, pg_query_fingerprint, pg_query_free_fingerprint_result>;

}  // namespace

Result<Json> pg_parse(std::string_view sql) {
  const std::string text(sql);  // libpg_query wants a NUL-terminated string
  const ParseResult r(text);
  if (r->error != nullptr) {
    Error e =
        make_error(sqlstate::kSyntaxError, r->error->message ? r->error->message : "syntax error");
    e.position = r->error->cursorpos;
    return e;
  }
  Json tree = Json::parse(r->parse_tree, nullptr, false);
  if (tree.is_discarded() || !tree.contains("stmts") || tree["stmts"].empty()) {
    return make_error(sqlstate::kSyntaxError, "syntax error: no statement");
  }
  return tree["stmts"][0]["stmt"];
}

std::optional<std::uint64_t> pg_fingerprint(std::string_view sql) {
  const std::string text(sql);
  const FingerprintResult r(text);
  if (r->error != nullptr) return std::nullopt;
  return r->fingerprint;
}

bool walk(const Json& tree, const std::function<bool(const std::string&, const Json&)>& visit) {
  if (tree.is_array()) {
    for (const auto& e : tree)
      if (!walk(e, visit)) return false;
    return true;
  }
  if (!tree.is_object()) return true;
  for (const auto& [key, value] : tree.items()) {
    // Node types are capitalised ("SelectStmt", "A_Expr"); fields are not.
    if (!key.empty() && std::isupper(static_cast<unsigned char>(key[0])) && value.is_object()) {
      if (!visit(key, value)) return false;
    }
    if (!walk(value, visit)) return false;
  }
  return true;
}

std::optional<std::string> const_string(const Json& node) {
  if (node.contains("CollateClause")) return const_string(node["CollateClause"]["arg"]);
  if (node.contains("TypeCast")) return const_string(node["TypeCast"]["arg"]);
  if (!node.contains("A_Const")) return std::nullopt;
  const Json& c = node["A_Const"];
  if (c.contains("sval")) return c["sval"].value("sval", "");
  if (c.contains("ival")) return std::to_string(c["ival"].value("ival", 0));
  return std::nullopt;
}

std::optional<std::string> column_name(const Json& node) {
  if (!node.contains("ColumnRef")) return std::nullopt;
  const Json& fields = node["ColumnRef"]["fields"];
  if (!fields.is_array() || fields.empty() || !fields.back().contains("String"))
    return std::nullopt;
  return fields.back()["String"].value("sval", "");
}

std::string last_name(const Json& names) {
  if (!names.is_array() || names.empty() || !names.back().contains("String")) return {};
  return names.back()["String"].value("sval", "");
}

}  // namespace dbvault::server::pgcompat::detail
