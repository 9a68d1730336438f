// The run-time parameters dbvault accepts, with their validation and PostgreSQL's text form.
// Internal to pgcompat; docs/dialect.md §Settings is the user's list.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "server/pgcompat/pgcompat.h"

namespace dbvault::server::pgcompat::detail {

struct ParameterDef {
  std::string_view name;  // as PostgreSQL spells it in SHOW ALL and ParameterStatus
  std::string_view description;
  bool reported = false;   // sent in ParameterStatus
  bool read_only = false;  // SET gives 55P02
  // Checks a value and returns it in the form SHOW prints; nullptr: any string.
  Result<std::string> (*normalize)(std::string_view value) = nullptr;
};

std::span<const ParameterDef> parameter_defs();

// The definition of `name` (case-insensitive), or nullptr.
const ParameterDef* find_parameter(std::string_view name);

// The built-in default of a parameter, some of which depend on who the session is.
std::string default_value(const ParameterDef& def, const SessionIdentity& identity);

// Lower-cases ASCII letters (parameter names are case-insensitive).
std::string lower(std::string_view s);

// Milliseconds of a duration in PostgreSQL's syntax ("5000", "5s", "1min"); -1 if malformed.
std::int64_t duration_ms(std::string_view value);

}  // namespace dbvault::server::pgcompat::detail
