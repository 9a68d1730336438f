// Internal: collects the first syntax error of an ANTLR parse and words it for a user.
#pragma once

#include <optional>
#include <string>

#include <antlr4-runtime.h>

namespace dbvault::grammar {

struct RawSyntaxError {
  std::size_t index;  // code-point index of the offending token in the statement text
  std::string what;   // e.g. "unexpected \"FOO\", expected REALM or TABLE"
};

class SyntaxErrorListener final : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t line,
                   size_t column, const std::string& msg, std::exception_ptr e) override;
  const std::optional<RawSyntaxError>& error() const { return error_; }

 private:
  std::optional<RawSyntaxError> error_;
};

// How a token type reads in "expected ..." lists: REALM, a name, a quoted string, '('.
std::string describe_token_type(const antlr4::dfa::Vocabulary& vocabulary, std::size_t type);

}  // namespace dbvault::grammar
