#include "grammar/parser.h"

#include <openssl/crypto.h>

#include "VaultSqlLexer.h"
#include "grammar/build.h"
#include "grammar/classifier.h"
#include "grammar/splitter.h"
#include "grammar/syntax_errors.h"
#include "grammar/utf8.h"

namespace dbvault::grammar {
namespace {

using P = dbvault_gen::VaultSqlParser;

// The runtime keeps the statement as UTF-32; it may contain a password, so wipe it.
class WipingInputStream final : public antlr4::ANTLRInputStream {
 public:
  WipingInputStream(const char* data, std::size_t size) : ANTLRInputStream(data, size) {}
  ~WipingInputStream() override {
    if (!_data.empty()) OPENSSL_cleanse(_data.data(), _data.size() * sizeof(_data[0]));
  }
};

Error syntax_error(std::size_t code_point_index, std::string what) {
  Error e = make_error(sqlstate::kSyntaxError, std::move(what));
  e.position = static_cast<int>(code_point_index) + 1;
  return e;
}

Result<ast::Statement> parse_statement_text(std::string_view text);

// EXPLAIN VAULT <inner>: the inner statement is parsed on its own (it may be engine SQL).
// Positions of its errors are shifted to the outer statement.
Result<ast::Statement> explain(P::ExplainVaultContext* c, std::string_view text,
                               const std::vector<std::size_t>& offsets) {
  const std::size_t begin = offsets[c->explained()->getStart()->getStartIndex()];
  const std::size_t end = offsets[c->explained()->getStop()->getStopIndex() + 1];
  auto inner = parse_statement_text(text.substr(begin, end - begin));
  if (inner && std::holds_alternative<ast::ExplainVault>(inner->node)) {
    return syntax_error(c->explained()->getStart()->getStartIndex(),
                        "EXPLAIN VAULT cannot explain another EXPLAIN VAULT");
  }
  if (!inner) {
    Error e = std::move(inner).error();
    if (e.position > 0) e.position += static_cast<int>(c->explained()->getStart()->getStartIndex());
    return e;
  }
  return ast::Statement{ast::ExplainVault{std::move(*inner)}};
}

Result<ast::Statement> build_statement(P::StatementContext* c, std::string_view text,
                                       const std::vector<std::size_t>& offsets) {
  if (auto* e = c->explainVault()) return explain(e, text, offsets);
  if (auto r = build::realm_statement(c)) return std::move(*r);
  if (auto r = build::rule_statement(c)) return std::move(*r);
  if (auto r = build::admin_statement(c)) return std::move(*r);
  if (auto r = build::storage_statement(c)) return std::move(*r);
  return make_error(sqlstate::kInternalError, "statement form without a builder");
}

// Parses one extension statement with the ANTLR parser. Error positions are 1-based
// code-point offsets in `text`.
Result<ast::Statement> parse_extension(std::string_view text) {
  WipingInputStream input(text.data(), text.size());
  dbvault_gen::VaultSqlLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream tokens(&lexer);
  P parser(&tokens);
  parser.removeErrorListeners();
  SyntaxErrorListener listener;
  parser.addErrorListener(&listener);
  P::SingleStatementContext* tree = parser.singleStatement();
  if (listener.error()) return syntax_error(listener.error()->index, listener.error()->what);
  for (antlr4::Token* t : tokens.getTokens()) {
    if (t->getType() == P::QUOTED_IDENT && t->getText().size() == 2) {
      return syntax_error(t->getStartIndex(), "zero-length quoted identifier \"\"");
    }
  }
  return build_statement(tree->statement(), text, code_point_offsets(text));
}

// One statement (no ';' inside, except in a trigger body), already trimmed.
Result<ast::Statement> parse_statement_text(std::string_view text) {
  if (classify(text) == StatementClass::kEngine) {
    return ast::Statement{ast::EngineSql{std::string(text)}};
  }
  try {
    return parse_extension(text);
  } catch (const std::exception& e) {
    // The ANTLR runtime reports its own failures (not syntax errors) with exceptions.
    return make_error(sqlstate::kInternalError, std::string("parser failure: ") + e.what());
  }
}

// Rewrites the position of an error in the statement at `offset` of `script` so that it
// counts from the start of the script; syntax errors also name line and column.
Error relocate(Error e, std::string_view script, const StatementText& statement) {
  if (e.position <= 0) return e;
  const auto offsets = code_point_offsets(statement.text);
  const std::size_t cp = std::min<std::size_t>(static_cast<std::size_t>(e.position - 1),
                                               offsets.size() - 1);
  const TextLocation loc = locate(script, statement.offset + offsets[cp]);
  e.position = loc.position;
  if (e.code == sqlstate::kSyntaxError) {
    e.message = "syntax error at line " + std::to_string(loc.line) + ", column " +
                std::to_string(loc.column) + ": " + e.message;
  }
  return e;
}

Error invalid_encoding(std::string_view script, std::size_t offset) {
  Error e = make_error(sqlstate::kCharacterNotInRepertoire, "invalid byte sequence for encoding UTF8");
  e.position = locate(script, offset).position;
  return e;
}

}  // namespace

Result<ast::Statement> parse(std::string_view sql) {
  const auto statements = split_statements(sql);
  if (statements.empty()) return make_error(sqlstate::kSyntaxError, "empty statement");
  if (statements.size() > 1) {
    // Relocating position 1 of the second statement words it like every syntax error.
    return relocate(syntax_error(0, "cannot run more than one statement here; found a second one"),
                    sql, statements[1]);
  }
  return parse_at(sql, statements[0]);
}

Result<ast::Statement> parse_at(std::string_view script, const StatementText& statement) {
  if (const std::size_t bad = find_invalid_utf8(statement.text); bad != std::string_view::npos) {
    return invalid_encoding(script, statement.offset + bad);
  }
  auto r = parse_statement_text(statement.text);
  if (!r) return relocate(std::move(r).error(), script, statement);
  return r;
}

Result<std::vector<ast::Statement>> parse_script(std::string_view script) {
  std::vector<ast::Statement> out;
  for (const StatementText& s : split_statements(script)) {
    auto r = parse_at(script, s);
    if (!r) return std::move(r).error();
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace dbvault::grammar
