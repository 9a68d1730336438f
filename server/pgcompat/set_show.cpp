// SET / RESET / SHOW on the session's Settings. None of them reaches the engine.
#include "server/pgcompat/parameters.h"
#include "server/pgcompat/statement.h"

namespace dbvault::server::pgcompat::detail {
namespace {

// SET's right-hand side: a list of words, numbers, strings (value text joined by ", ").
Result<std::string> set_value(const Stmt& s, std::size_t i, bool keep_quotes) {
  std::string out;
  bool expect_value = true;
  for (; i < s.size(); ++i) {
    const Token& t = s.tokens[i];
    if (!expect_value) {
      if (!t.is_punct(',')) return syntax_error(s, i);
      out += ", ";
      expect_value = true;
      continue;
    }
    std::string sign;
    if ((t.is_punct('-') || t.is_punct('+')) && i + 1 < s.size() &&
        s.tokens[i + 1].kind == Token::Kind::kNumber) {
      sign = std::string(t.text);
      ++i;
    }
    const Token& v = s.tokens[i];
    switch (v.kind) {
      case Token::Kind::kString:
        out += string_value(v);
        break;
      case Token::Kind::kNumber:
        out += sign + std::string(v.text);
        break;
      case Token::Kind::kQuoted:
        out += keep_quotes ? std::string(v.text) : identifier_name(v);
        break;
      case Token::Kind::kWord:
        out += identifier_name(v);
        break;
      default:
        return syntax_error(s, i);
    }
    // "5 s" or "1.5": a number may be followed by a unit word or a fraction.
    while (i + 1 < s.size() && v.kind == Token::Kind::kNumber &&
           (s.tokens[i + 1].is_punct('.') || s.tokens[i + 1].kind == Token::Kind::kNumber)) {
      out += std::string(s.tokens[++i].text);
    }
    expect_value = false;
  }
  if (expect_value) return syntax_error(s, i);
  return out;
}

// A parameter name at token i ("DateStyle", "myapp.tenant"); advances i past it.
std::optional<std::string> parameter_name(const Stmt& s, std::size_t& i) {
  if (i >= s.size() ||
      (s.tokens[i].kind != Token::Kind::kWord && s.tokens[i].kind != Token::Kind::kQuoted)) {
    return std::nullopt;
  }
  std::string name = identifier_name(s.tokens[i++]);
  while (s.punct(i, '.') && i + 1 < s.size())
    name += "." + identifier_name(s.tokens[i + 1]), i += 2;
  return name;
}

// The name of SHOW name / RESET name, which must end the statement.
Result<std::string> sole_name(const Stmt& s) {
  std::size_t i = 1;
  auto name = parameter_name(s, i);
  if (!name) return syntax_error(s, 1);
  if (i != s.size()) return syntax_error(s, i);
  return std::move(*name);
}

Result<Translation> set(const Stmt& s, Settings& settings) {
  std::size_t i = 1;
  bool local = false;
  const bool authorization = s.word(i, "SESSION") && s.word(i + 1, "AUTHORIZATION");
  if (!authorization && (s.word(i, "SESSION") || s.word(i, "LOCAL"))) local = s.word(i++, "LOCAL");
  if (authorization || s.word(i, "ROLE") ||
      (s.word(i, "SESSION") && s.word(i + 1, "AUTHORIZATION"))) {
    return not_supported("SET ROLE / SET SESSION AUTHORIZATION", s, i,
                         "a dbvault session keeps the identity it logged in with");
  }
  if (s.word(i, "CONSTRAINTS")) return not_supported("SET CONSTRAINTS", s, i);
  std::string name;
  if (s.word(i, "TIME") && s.word(i + 1, "ZONE")) {
    name = "TimeZone", i += 2;
    if (s.word(i, "LOCAL") || s.word(i, "DEFAULT")) {
      DBV_RETURN_IF_ERROR(settings.reset(name));
      return Translation{command_done("SET")};
    }
  } else if (s.word(i, "SCHEMA") || s.word(i, "NAMES")) {
    name = s.word(i, "SCHEMA") ? "search_path" : "client_encoding", i += 1;
  } else {
    auto n = parameter_name(s, i);
    if (!n) return syntax_error(s, i);
    name = std::move(*n);
    if (!s.word(i, "TO") && !s.punct(i, '=')) return syntax_error(s, i);
    ++i;
    if (s.word(i, "DEFAULT") && i + 1 == s.size()) {
      DBV_RETURN_IF_ERROR(settings.reset(name));
      return Translation{command_done("SET")};
    }
  }
  auto value = set_value(s, i, lower(name) == "search_path");
  if (!value) return std::move(value).error();
  DBV_RETURN_IF_ERROR(settings.set(name, *value, local));
  return Translation{command_done("SET")};
}

Result<Translation> reset(const Stmt& s, Settings& settings) {
  std::string name;
  if (s.word(1, "TIME") && s.word(2, "ZONE") && s.size() == 3) {
    name = "TimeZone";
  } else if (s.word(1, "ROLE") || s.word(1, "SESSION")) {
    return Translation{command_done("RESET")};  // the identity never changed
  } else {
    auto n = sole_name(s);
    if (!n) return std::move(n).error();
    name = std::move(*n);
  }
  DBV_RETURN_IF_ERROR(settings.reset(name));
  return Translation{command_done("RESET")};
}

ResultSet one_value(std::string column, std::string value) {
  ResultSet r;
  r.columns.push_back(Column{std::move(column), type_oid::kText});
  r.rows.push_back({std::move(value)});
  r.tag = "SHOW";
  return r;
}

Result<Translation> show(const Stmt& s, const Settings& settings) {
  if (s.word(1, "ALL") && s.size() == 2) {
    ResultSet r;
    r.columns = {
        {"name", type_oid::kText}, {"setting", type_oid::kText}, {"description", type_oid::kText}};
    for (auto& [name, value] : settings.all()) {
      const ParameterDef* def = find_parameter(name);
      r.rows.push_back({name, value, std::string(def ? def->description : "")});
    }
    r.tag = "SHOW";
    return Translation{std::move(r)};
  }
  std::string name;
  if (s.word(1, "TIME") && s.word(2, "ZONE") && s.size() == 3) {
    name = "TimeZone";
  } else if (s.word(1, "TRANSACTION") && s.word(2, "ISOLATION") && s.word(3, "LEVEL") &&
             s.size() == 4) {
    name = "transaction_isolation";
  } else if (s.word(1, "SESSION") && s.word(2, "AUTHORIZATION") && s.size() == 3) {
    name = "session_authorization";
  } else {
    auto n = sole_name(s);
    if (!n) return std::move(n).error();
    name = std::move(*n);
  }
  auto value = settings.show(name);
  if (!value) return std::move(value).error();
  const ParameterDef* def = find_parameter(name);
  return Translation{one_value(def ? std::string(def->name) : name, *value)};
}

// The statements connection poolers and drivers reset a session with. The engine has no
// cursors, listeners or advisory locks, so only settings and prepared statements remain.
std::optional<Result<Translation>> session_reset(const Stmt& s, Settings& settings) {
  if (s.word(0, "DISCARD")) {
    if (s.size() != 2) return Result<Translation>(syntax_error(s, 2));
    if (s.word(1, "PLANS") || s.word(1, "SEQUENCES") || s.word(1, "TEMP") ||
        s.word(1, "TEMPORARY")) {
      return Result<Translation>(
          Translation{command_done("DISCARD " + std::string(s.tokens[1].text))});
    }
    if (!s.word(1, "ALL")) return Result<Translation>(syntax_error(s, 1));
    if (settings.in_transaction()) {
      return Result<Translation>(
          make_error(SqlState("25001"), "DISCARD ALL cannot run inside a transaction block"));
    }
    DBV_RETURN_IF_ERROR(settings.reset("all"));
    ResultSet r = command_done("DISCARD ALL");
    r.deallocate = "";
    return Result<Translation>(Translation{std::move(r)});
  }
  if (s.word(0, "DEALLOCATE")) {
    const std::size_t i = s.word(1, "PREPARE") ? 2 : 1;
    if (i + 1 != s.size()) return Result<Translation>(syntax_error(s, i));
    ResultSet r = command_done(s.word(i, "ALL") ? "DEALLOCATE ALL" : "DEALLOCATE");
    r.deallocate = s.word(i, "ALL") ? "" : identifier_name(s.tokens[i]);
    return Result<Translation>(Translation{std::move(r)});
  }
  if (s.word(0, "CLOSE") && s.word(1, "ALL") && s.size() == 2) {
    return Result<Translation>(Translation{command_done("CLOSE CURSOR ALL")});
  }
  if (s.word(0, "UNLISTEN") && s.size() == 2)
    return Result<Translation>(Translation{command_done("UNLISTEN")});
  return std::nullopt;
}

}  // namespace

std::optional<Result<Translation>> translate_settings(const Stmt& s, Settings& settings) {
  if (s.word(0, "SET")) return set(s, settings);
  if (s.word(0, "RESET")) return reset(s, settings);
  if (s.word(0, "SHOW")) return show(s, settings);
  return session_reset(s, settings);
}

}  // namespace dbvault::server::pgcompat::detail
