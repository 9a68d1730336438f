#include <cctype>

#include "grammar/build.h"
#include "grammar/interval.h"

namespace dbvault::grammar::build {
namespace {

// Strips the quotes of a '...' or "..." token text and undoubles the inner quotes.
void unquote_into(std::string_view quoted, char q, std::string& out) {
  out.clear();
  out.reserve(quoted.size());
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    out += quoted[i];
    if (quoted[i] == q && quoted[i + 1] == q) ++i;
  }
}

}  // namespace

std::string token_name(const antlr4::Token* t) {
  std::string raw = t->getText();
  std::string out;
  if (t->getType() == P::QUOTED_IDENT) {
    unquote_into(raw, '"', out);
    return out;
  }
  for (char& ch : raw) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return raw;
}

std::string name(P::IdentifierContext* c) { return token_name(c->getStart()); }

ast::ObjectName object_name(P::ObjectNameContext* c) {
  const auto parts = c->identifier();
  if (parts.size() == 1) return ast::ObjectName{"", name(parts[0])};
  return ast::ObjectName{name(parts[0]), name(parts[1])};
}

ast::ObjectRef column_ref(P::ColumnNameContext* c) {
  const auto parts = c->identifier();
  if (parts.size() == 2) return ast::ObjectRef{{"", name(parts[0])}, name(parts[1])};
  return ast::ObjectRef{{name(parts[0]), name(parts[1])}, name(parts[2])};
}

ast::ObjectState object_state(P::ObjectStateContext* c) {
  if (c->ENABLED() != nullptr) return ast::ObjectState::kEnabled;
  if (c->DISABLED() != nullptr) return ast::ObjectState::kDisabled;
  return ast::ObjectState::kSimulation;
}

ast::PrincipalKind principal_kind(P::PrincipalKindContext* c) {
  return c->USER() != nullptr ? ast::PrincipalKind::kUser : ast::PrincipalKind::kRole;
}

std::string text(P::StringContext* c) {
  std::string out;
  unquote_into(c->getText(), '\'', out);
  return out;
}

SecretString secret(P::StringContext* c) {
  std::string raw = c->getText();
  std::string value;
  unquote_into(raw, '\'', value);
  SecretString s(value);
  wipe_string(raw);
  wipe_string(value);
  return s;
}

Result<ast::Seconds> interval(P::IntervalContext* c) {
  auto r = parse_interval(text(c->string()));
  if (!r) {
    Error e = std::move(r).error();
    e.position = position(c->string());
    return e;
  }
  return *r;
}

int position(const antlr4::Token* t) { return static_cast<int>(t->getStartIndex()) + 1; }
int position(antlr4::ParserRuleContext* c) { return position(c->getStart()); }

Error error_at(SqlState code, std::string message, antlr4::ParserRuleContext* c) {
  Error e = make_error(code, std::move(message));
  e.position = position(c);
  return e;
}

}  // namespace dbvault::grammar::build
