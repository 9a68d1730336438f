// PostgreSQL type names: to the OIDs dbvault reports and to what a cast means in the engine.
// Internal to pgcompat; docs/dialect.md §Types is the user's table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dbvault::server::pgcompat::detail {

// The canonical PostgreSQL name of a type as written ("int" -> "int4", "character varying(10)"
// -> "varchar", "timestamp with time zone" -> "timestamptz", "pg_catalog.int8" -> "int8"),
// lower-case, without modifiers. Names it does not know come back lower-cased as written.
std::string canonical_type_name(std::string_view written);

// The OID of a canonical name, or nullopt for a name dbvault does not know.
std::optional<std::uint32_t> oid_of_canonical(std::string_view canonical);

// What PostgreSQL's format_type() prints for a declared type: "integer", "character
// varying(100)", "timestamp with time zone"; unknown names as written, lower-cased.
std::string format_type(std::string_view declared);

}  // namespace dbvault::server::pgcompat::detail
