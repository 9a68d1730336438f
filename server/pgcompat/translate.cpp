// translate(): one engine statement in, what to do with it out. The order of the checks is
// the contract: lexical refusals, the failed-transaction rule, transaction and SET/SHOW
// statements, COPY, read-only transactions, utility statements, catalog queries, and last
// the expression rewrite every other statement gets.
#include <algorithm>

#include "server/pgcompat/create_table.h"
#include "server/pgcompat/rewrite.h"
#include "server/pgcompat/statement.h"

namespace dbvault::server::pgcompat {
namespace detail {

Error syntax_error(const Stmt& s, std::size_t i) {
  Error e = i < s.size()
                ? make_error(sqlstate::kSyntaxError,
                             "syntax error at or near \"" + std::string(s.tokens[i].text) + "\"")
                : make_error(sqlstate::kSyntaxError, "syntax error at end of input");
  e.position = static_cast<int>(s.offset(i)) + 1;
  return e;
}

Error not_supported(std::string_view feature, const Stmt& s, std::size_t i, std::string_view hint) {
  Error e = make_error(
      sqlstate::kFeatureNotSupported,
      std::string(feature) + " is PostgreSQL syntax the embedded engine does not support");
  e.position = static_cast<int>(s.offset(i)) + 1;
  e.hint = std::string(hint);
  return e;
}

ResultSet command_done(std::string tag, std::string notice) {
  ResultSet r;
  r.tag = std::move(tag);
  r.notice = std::move(notice);
  return r;
}

Rewritten run_instead(std::string statement, std::string tag) {
  return Rewritten{{std::move(statement)}, std::move(tag)};
}

std::string apply(std::string_view sql, std::vector<Edit> edits) {
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.offset < b.offset; });
  std::string out;
  std::size_t copied = 0;
  for (const auto& e : edits) {
    out.append(sql.substr(copied, e.offset - copied));
    out.append(e.insert);
    copied = e.offset + e.remove;
  }
  out.append(sql.substr(copied));
  return out;
}

namespace {

bool ends_failed_block(const Stmt& s) {
  return s.word(0, "ROLLBACK") || s.word(0, "ABORT") || s.word(0, "COMMIT") || s.word(0, "END");
}

// The leading keyword of a statement that writes, or nullptr. WITH ... INSERT/UPDATE/DELETE
// counts too. (The engine's authorizer is the authority on what a statement touches; this is
// PostgreSQL's read-only transaction rule, checked before the engine sees the statement.)
const Token* writing_keyword(const Stmt& s) {
  static constexpr const char* kWrites[] = {"INSERT", "UPDATE", "DELETE",   "REPLACE", "CREATE",
                                            "DROP",   "ALTER",  "TRUNCATE", "REINDEX", "VACUUM"};
  if (s.size() == 0) return nullptr;
  for (const char* w : kWrites)
    if (s.tokens[0].is(w)) return &s.tokens[0];
  if (s.word(0, "WITH")) {
    for (const auto& t : s.tokens)
      for (const char* w : {"INSERT", "UPDATE", "DELETE", "REPLACE"})
        if (t.is(w)) return &t;
  }
  return nullptr;
}

Result<Translation> expressions(const Stmt& s) {
  auto locking = locking_edits(s);
  if (!locking) return std::move(locking).error();
  std::vector<Edit> edits = std::move(*locking);
  for (auto&& more : {null_order_edits(s), column_name_edits(s)})
    edits.insert(edits.end(), more.begin(), more.end());
  if (edits.empty()) {
    auto r = rewrite_expressions(s.sql, s.tokens);
    if (!r) return std::move(r).error();
    return Translation{Rewritten{{std::move(r->sql)}, {}}};
  }
  const std::string shaped = apply(s.sql, std::move(edits));
  auto tokens = tokenize_strict(shaped);
  if (!tokens) return std::move(tokens).error();
  auto r = rewrite_expressions(shaped, *tokens);
  if (!r) return std::move(r).error();
  return Translation{Rewritten{{std::move(r->sql)}, {}}};
}

Result<Translation> translate_statement(std::string_view sql, Settings& settings,
                                        const CatalogSource& catalog) {
  Lexed lexed = tokenize(sql);
  const Stmt s{sql, std::move(lexed.tokens)};
  if (lexed.refusal) {
    // A catalog query never reaches the engine: PostgreSQL's parser reads it.
    if (auto t = translate_catalog_query(s, settings, catalog)) return std::move(*t);
    return std::move(*lexed.refusal);
  }
  if (s.size() == 0) return Translation{Rewritten{{std::string(sql)}, {}}};
  if (settings.transaction_failed() && !ends_failed_block(s)) {
    return make_error(
        SqlState("25P02"),
        "current transaction is aborted, commands ignored until end of transaction block");
  }
  if (auto t = translate_transaction(s, settings)) return std::move(*t);
  if (auto t = translate_settings(s, settings)) return std::move(*t);
  if (s.word(0, "COPY")) {
    auto copy = parse_copy(sql, catalog);
    if (!copy) return std::move(copy).error();
    if (copy->direction == CopySpec::Direction::kFrom &&
        settings.show("transaction_read_only").value() == "on") {
      return make_error(SqlState("25006"), "cannot execute COPY FROM in a read-only transaction");
    }
    return Translation{std::move(*copy)};
  }
  if (const Token* w = writing_keyword(s);
      w != nullptr && settings.show("transaction_read_only").value() == "on") {
    return make_error(SqlState("25006"),
                      "cannot execute " + identifier_name(*w) + " in a read-only transaction");
  }
  if (auto t = translate_ddl(s, catalog)) return std::move(*t);
  if (auto t = translate_create_table(s)) return std::move(*t);
  if (auto t = translate_catalog_query(s, settings, catalog)) return std::move(*t);
  return expressions(s);
}

}  // namespace
}  // namespace detail

Result<Translation> translate(std::string_view sql, Settings& settings,
                              const CatalogSource& catalog) {
  auto r = detail::translate_statement(sql, settings, catalog);
  if (!r) settings.on_statement_failed();
  return r;
}

Status run_as_one(const Rewritten& rewritten, const std::function<Status(std::string_view)>& exec) {
  if (rewritten.statements.size() == 1) return exec(rewritten.statements.front());
  static constexpr std::string_view kSavepoint = "dbvault_pgcompat_unit";
  DBV_RETURN_IF_ERROR(exec("SAVEPOINT " + std::string(kSavepoint)));
  for (const auto& statement : rewritten.statements) {
    Status st = exec(statement);
    if (!st.ok()) {
      // Undo what ran; the statement's own error is the one to report.
      (void)exec("ROLLBACK TO SAVEPOINT " + std::string(kSavepoint));
      (void)exec("RELEASE SAVEPOINT " + std::string(kSavepoint));
      return st;
    }
  }
  return exec("RELEASE SAVEPOINT " + std::string(kSavepoint));
}

}  // namespace dbvault::server::pgcompat
