// $n parameters of a vault statement sent through the extended protocol. Drivers that bind
// on the server (psycopg 3, asyncpg, pgjdbc, pgx) send `UNLOCK REALM r PASSWORD $1` with the
// password as a Bind parameter; the vault grammar has no placeholders, so each $n is replaced
// by the parameter as a string literal ('' doubled), or NULL, before the statement is parsed.
// A parameter can therefore only ever be a literal: where the grammar wants a name or a
// keyword, the statement is a syntax error. Catalog queries that pgcompat answers itself
// (`WHERE t.oid = $1`) are bound the same way.
// Internal to the session layer (extended.cpp).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "server/wire/encoder.h"
#include "server/wire/pg_types.h"

namespace dbvault::server::session {

struct VaultPlaceholder {
  std::size_t offset = 0;  // of the '$'
  std::size_t length = 0;  // "$12": 3
  int index = 0;           // 0-based: $1 is 0
};

// The $n markers of `text` outside strings, quoted identifiers and comments, in order.
// A '$' inside a word (an identifier may contain one) is not a marker.
std::vector<VaultPlaceholder> find_vault_placeholders(std::string_view text);

// How many parameters the statement takes: the highest n of its markers.
int vault_parameter_count(std::span<const VaultPlaceholder> markers);

// `text` with each marker replaced by its value as a literal (nullopt: NULL).
// REQUIRES: values.size() >= vault_parameter_count(markers).
// The result may hold secrets (passwords): the caller wipes it (wipe_string) after use; it is
// built in one allocation so that no partial copy is left behind.
std::string substitute_vault_parameters(std::string_view text,
                                        std::span<const VaultPlaceholder> markers,
                                        std::span<const std::optional<std::string>> values);

// A vault statement's $n markers, parameter types (all text) and result columns, known
// before it runs: the columns are those of the statement with every $n an empty string.
struct VaultStatementShape {
  std::vector<VaultPlaceholder> markers;
  std::vector<wire::Oid> param_types;
  std::vector<wire::FieldDescription> fields;
};
VaultStatementShape describe_vault_statement(std::string_view text);

// A bound parameter of a statement run as text, as the text of its literal: text-like
// types as they are, integers in decimal; anything else is refused (0A000).
Result<std::string> vault_parameter_text(wire::Oid type, wire::Format format,
                                         const std::optional<std::string>& bytes);

// Wipes the strings it holds (bound parameters may be passwords) when it goes.
struct WipedStrings {
  std::vector<std::optional<std::string>> values;
  std::string text;
  ~WipedStrings();
};

}  // namespace dbvault::server::session
