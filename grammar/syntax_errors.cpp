#include "grammar/syntax_errors.h"

#include <algorithm>
#include <vector>

#include "VaultSqlParser.h"

namespace dbvault::grammar {
namespace {

using P = dbvault_gen::VaultSqlParser;

constexpr std::size_t kMaxListed = 12;
constexpr std::size_t kMaxEcho = 40;

// Tokens the nonReserved rule accepts: keywords that may also be names.
const antlr4::misc::IntervalSet& non_reserved(antlr4::Parser* parser) {
  static const antlr4::misc::IntervalSet set = [parser] {
    const auto& atn = parser->getATN();
    return atn.nextTokens(atn.ruleToStartState[P::RuleNonReserved]);
  }();
  return set;
}

// `previous` is the token before `t` (may be null).
std::string describe_offending(const antlr4::Token* t, const antlr4::Token* previous) {
  // A word right after PASSWORD or TOKEN is most likely a secret typed without quotes.
  if (previous != nullptr && (previous->getType() == P::PASSWORD || previous->getType() == P::TOKEN) &&
      t->getType() != antlr4::Token::EOF) {
    return "unquoted text (passwords and tokens are written in single quotes)";
  }
  switch (t->getType()) {
    case antlr4::Token::EOF: return "end of statement";
    // Never echo a string literal: it may be a password.
    case P::STRING: return "a quoted string";
    case P::INTEGER: return "an integer";
    default: break;
  }
  std::string text = t->getText();
  if (text.size() > kMaxEcho) text = text.substr(0, kMaxEcho) + "...";
  return "\"" + text + "\"";
}

std::string join_alternatives(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  if (items.size() == 1) return items[0];
  std::string out = items.size() == 2 ? "" : "one of ";
  for (std::size_t i = 0; i < items.size() && i < kMaxListed; ++i) {
    if (i > 0) out += (i + 1 == items.size() && items.size() == 2) ? " or " : ", ";
    out += items[i];
  }
  if (items.size() > kMaxListed) out += ", ...";
  return out;
}

std::string describe_expected(antlr4::Parser* parser, const antlr4::misc::IntervalSet& expected) {
  const auto& vocabulary = parser->getVocabulary();
  const bool name_expected = expected.contains(static_cast<std::size_t>(P::IDENT));
  std::vector<std::string> items;
  bool end_listed = false;
  for (const ssize_t signed_type : expected.toList()) {
    const auto type = static_cast<std::size_t>(signed_type);  // EOF is (size_t)-1
    if (name_expected && non_reserved(parser).contains(type)) continue;
    if (type == P::QUOTED_IDENT) continue;  // listed as "a name" with IDENT
    if (type == antlr4::Token::EOF || type == P::SEMI) {
      if (!end_listed) items.emplace_back("end of statement");
      end_listed = true;
      continue;
    }
    std::string d = describe_token_type(vocabulary, type);
    if (!d.empty()) items.push_back(std::move(d));
  }
  // Generic categories read best first; end of statement last.
  std::stable_partition(items.begin(), items.end(),
                        [](const std::string& s) { return s.rfind("a ", 0) == 0 || s.rfind("an ", 0) == 0; });
  std::stable_partition(items.begin(), items.end(),
                        [](const std::string& s) { return s != "end of statement"; });
  return join_alternatives(items);
}

}  // namespace

std::string describe_token_type(const antlr4::dfa::Vocabulary& vocabulary, std::size_t type) {
  switch (type) {
    case P::IDENT: return "a name";
    case P::STRING: return "a quoted string";
    case P::INTEGER: return "an integer";
    case P::OTHER:
    case P::WS:
    case P::LINE_COMMENT:
    case P::BLOCK_COMMENT:
    case P::UNTERMINATED_STRING:
    case P::UNTERMINATED_QUOTED_IDENT:
    case P::UNTERMINATED_COMMENT: return "";
    default: break;
  }
  const std::string literal = vocabulary.getLiteralName(type);  // e.g. "'('"
  if (!literal.empty()) return literal;
  std::string keyword = vocabulary.getSymbolicName(type);  // REALM, KEY_ID, NULL_ ...
  if (!keyword.empty() && keyword.back() == '_') keyword.pop_back();
  return keyword;
}

// True when the parser could not choose between alternatives that share a prefix and failed
// past its first token: its "expected" set then describes the start of the construct, not the
// failing position, so it would mislead.
bool expected_set_is_stale(std::exception_ptr e) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const antlr4::NoViableAltException& nv) {
    return nv.getStartToken() != nullptr && nv.getOffendingToken() != nullptr &&
           nv.getStartToken()->getTokenIndex() != nv.getOffendingToken()->getTokenIndex();
  } catch (...) {
  }
  return false;
}

void SyntaxErrorListener::syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending,
                                      size_t /*line*/, size_t /*column*/,
                                      const std::string& /*msg*/, std::exception_ptr e) {
  if (error_ || offending == nullptr) return;
  std::string what;
  switch (offending->getType()) {
    case P::UNTERMINATED_STRING: what = "unterminated quoted string"; break;
    case P::UNTERMINATED_QUOTED_IDENT: what = "unterminated quoted identifier"; break;
    case P::UNTERMINATED_COMMENT: what = "unterminated /* comment"; break;
    default: {
      auto* parser = dynamic_cast<antlr4::Parser*>(recognizer);
      const antlr4::Token* previous = nullptr;
      if (parser != nullptr && offending->getTokenIndex() > 0) {
        // The previous token on the default channel (skipping whitespace and comments).
        auto* stream = parser->getTokenStream();
        for (std::size_t i = offending->getTokenIndex(); i-- > 0;) {
          if (stream->get(i)->getChannel() == antlr4::Token::DEFAULT_CHANNEL) {
            previous = stream->get(i);
            break;
          }
        }
      }
      what = "unexpected " + describe_offending(offending, previous);
      if (parser != nullptr && dynamic_cast<P::ExplainedContext*>(parser->getContext()) != nullptr) {
        what += ", expected a statement to explain";
      } else if (parser != nullptr && !expected_set_is_stale(e)) {
        const std::string expected = describe_expected(parser, parser->getExpectedTokens());
        if (!expected.empty()) what += ", expected " + expected;
      }
    }
  }
  error_ = RawSyntaxError{offending->getStartIndex(), std::move(what)};
}

}  // namespace dbvault::grammar
