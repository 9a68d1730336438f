#include "server/session/vault_parameters.h"

#include <algorithm>
#include <cctype>

#include "common/secret_string.h"
#include "grammar/parser.h"
#include "grammar/sql_scanner.h"
#include "server/session/rows.h"
#include "vault/vault.h"

namespace dbvault::server::session {
namespace {

bool identifier_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}

std::size_t literal_size(const std::optional<std::string>& value) {
  if (!value) return 4;  // NULL
  return value->size() + 2 +
         static_cast<std::size_t>(std::count(value->begin(), value->end(), '\''));
}

}  // namespace

std::vector<VaultPlaceholder> find_vault_placeholders(std::string_view text) {
  std::vector<VaultPlaceholder> out;
  grammar::SqlScanner scanner(text);
  for (auto t = scanner.next(); t.kind != grammar::SqlToken::Kind::kEnd; t = scanner.next()) {
    if (!t.is_punct('$') || (t.offset > 0 && identifier_char(text[t.offset - 1]))) continue;
    std::size_t end = t.offset + 1;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    if (end == t.offset + 1 || end - t.offset > 6) continue;  // "$" alone, or above $99999
    if (end < text.size() && identifier_char(text[end])) continue;
    const int n = std::stoi(std::string(text.substr(t.offset + 1, end - t.offset - 1)));
    if (n < 1) continue;
    out.push_back({t.offset, end - t.offset, n - 1});
  }
  return out;
}

int vault_parameter_count(std::span<const VaultPlaceholder> markers) {
  int n = 0;
  for (const auto& m : markers) n = std::max(n, m.index + 1);
  return n;
}

std::string substitute_vault_parameters(std::string_view text,
                                        std::span<const VaultPlaceholder> markers,
                                        std::span<const std::optional<std::string>> values) {
  std::size_t size = text.size();
  for (const auto& m : markers) size += literal_size(values[m.index]) - m.length;
  std::string out;
  out.reserve(size);
  std::size_t pos = 0;
  for (const auto& m : markers) {
    out.append(text.substr(pos, m.offset - pos));
    const auto& value = values[static_cast<std::size_t>(m.index)];
    if (!value) {
      out.append("NULL");
    } else {
      out.push_back('\'');
      for (const char c : *value) {
        out.push_back(c);
        if (c == '\'') out.push_back('\'');
      }
      out.push_back('\'');
    }
    pos = m.offset + m.length;
  }
  out.append(text.substr(pos));
  return out;
}

VaultStatementShape describe_vault_statement(std::string_view text) {
  VaultStatementShape shape;
  shape.markers = find_vault_placeholders(text);
  const int n = vault_parameter_count(shape.markers);
  shape.param_types.assign(static_cast<std::size_t>(n), wire::oid::kText);
  const std::vector<std::optional<std::string>> empty(static_cast<std::size_t>(n), "");
  if (auto parsed = grammar::parse(substitute_vault_parameters(text, shape.markers, empty))) {
    shape.fields = text_fields(vault::result_columns(*parsed));
  }
  return shape;
}

Result<std::string> vault_parameter_text(wire::Oid type, wire::Format format,
                                         const std::optional<std::string>& bytes) {
  auto v = wire::decode_param(type, format, bytes);
  if (!v) return std::move(v).error();
  if (auto* text = std::get_if<std::string>(&*v)) return std::move(*text);
  if (auto* n = std::get_if<std::int64_t>(&*v)) return std::to_string(*n);
  return make_error(sqlstate::kFeatureNotSupported,
                    "a vault statement's parameters must be text or integers");
}

WipedStrings::~WipedStrings() {
  for (auto& v : values)
    if (v) wipe_string(*v);
  wipe_string(text);
}

}  // namespace dbvault::server::session
