#include "server/pgcompat/parameters.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>

namespace dbvault::server::pgcompat::detail {
namespace {

Error invalid(std::string_view what, std::string_view value) {
  return make_error(
      sqlstate::kInvalidParameterValue,
      "invalid value for parameter \"" + std::string(what) + "\": \"" + std::string(value) + "\"");
}

Error unsupported(std::string_view what, std::string_view value, std::string_view why) {
  Error e = make_error(sqlstate::kFeatureNotSupported,
                       "parameter \"" + std::string(what) + "\" cannot be set to \"" +
                           std::string(value) + "\": " + std::string(why));
  e.hint = "see docs/dialect.md, section Settings";
  return e;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<bool> parse_bool(std::string_view v) {
  for (auto t : {"on", "true", "yes", "1", "t", "y"})
    if (iequals(v, t)) return true;
  for (auto f : {"off", "false", "no", "0", "f", "n"})
    if (iequals(v, f)) return false;
  return std::nullopt;
}

Result<std::string> any_bool(std::string_view v) {
  auto b = parse_bool(v);
  if (!b) return invalid("boolean", v);
  return std::string(*b ? "on" : "off");
}

Result<std::string> only_on(std::string_view v) {
  auto b = parse_bool(v);
  if (!b) return invalid("boolean", v);
  if (!*b)
    return unsupported("standard_conforming_strings", v,
                       "backslashes in strings are always literal");
  return std::string("on");
}

// PostgreSQL matches an encoding name on its letters and digits only, lower-cased
// (clean_encoding_name in encnames.c): asyncpg's startup packet says client_encoding='utf-8',
// quotes included.
Result<std::string> client_encoding(std::string_view v) {
  std::string cleaned;
  for (const char c : v) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      cleaned += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (cleaned == "utf8" || cleaned == "unicode") return std::string("UTF8");
  return unsupported("client_encoding", v, "dbvault speaks UTF8 only");
}

// DateStyle: the engine keeps dates as the text it was given and prints them unchanged, which
// is ISO form for values written by PostgreSQL clients; other output styles cannot be honoured.
Result<std::string> date_style(std::string_view v) {
  std::string order = "MDY";
  std::size_t pos = 0;
  while (pos <= v.size()) {
    std::size_t end = v.find_first_of(", ", pos);
    if (end == std::string_view::npos) end = v.size();
    const auto word = v.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty() || iequals(word, "ISO")) continue;
    if (iequals(word, "MDY") || iequals(word, "US") || iequals(word, "NonEuropean")) {
      order = "MDY";
    } else if (iequals(word, "DMY") || iequals(word, "European")) {
      order = "DMY";
    } else if (iequals(word, "YMD")) {
      order = "YMD";
    } else if (iequals(word, "SQL") || iequals(word, "Postgres") || iequals(word, "German")) {
      return unsupported("DateStyle", v, "dates are always shown in ISO form");
    } else {
      return invalid("DateStyle", v);
    }
  }
  return "ISO, " + order;
}

Result<std::string> interval_style(std::string_view v) {
  if (iequals(v, "postgres")) return std::string("postgres");
  return unsupported("IntervalStyle", v, "only postgres is supported");
}

Result<std::string> bytea_output(std::string_view v) {
  if (iequals(v, "hex")) return std::string("hex");
  return unsupported("bytea_output", v, "bytea is always sent in hex form");
}

Result<std::string> time_zone(std::string_view v) {
  const bool ok = !v.empty() && v.size() <= 64 && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("/_+-:.").find(c) != std::string_view::npos;
  });
  if (!ok) return invalid("TimeZone", v);
  return std::string(v);
}

Result<std::string> float_digits(std::string_view v) {
  int n = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || n < -15 || n > 3) {
    return invalid("extra_float_digits", v);
  }
  return std::to_string(n);
}

Result<std::string> duration(std::string_view v) {
  std::int64_t ms = duration_ms(v);
  if (ms < 0) return invalid("duration", v);
  if (ms == 0) return std::string("0");
  struct Unit {
    std::int64_t ms;
    const char* name;
  };
  for (const Unit u :
       {Unit{86400000, "d"}, Unit{3600000, "h"}, Unit{60000, "min"}, Unit{1000, "s"}}) {
    if (ms % u.ms == 0) return std::to_string(ms / u.ms) + u.name;
  }
  return std::to_string(ms) + "ms";
}

Result<std::string> isolation(std::string_view v) {
  for (auto level : {"serializable", "repeatable read", "read committed", "read uncommitted"})
    if (iequals(v, level)) return std::string(level);
  return invalid("transaction_isolation", v);
}

Result<std::string> message_level(std::string_view v) {
  for (auto level : {"debug5", "debug4", "debug3", "debug2", "debug1", "debug", "log", "info",
                     "notice", "warning", "error"})
    if (iequals(v, level)) return std::string(level);
  return invalid("client_min_messages", v);
}

// Printable ASCII only and at most 63 bytes, as PostgreSQL stores application_name.
Result<std::string> application_name(std::string_view v) {
  std::string out(v.substr(0, 63));
  for (char& c : out)
    if (c < 32 || c > 126) c = '?';
  return out;
}

Result<std::string> any_value(std::string_view v) { return std::string(v); }

constexpr std::array kDefs{
    ParameterDef{"application_name", "Sets the application name to be reported.", true, false,
                 application_name},
    ParameterDef{"bytea_output", "Sets the output format for bytea.", false, false, bytea_output},
    ParameterDef{"client_encoding", "Sets the client's character set encoding.", true, false,
                 client_encoding},
    ParameterDef{"client_min_messages", "Sets the message levels that are sent to the client.",
                 false, false, message_level},
    ParameterDef{"DateStyle", "Sets the display format for date and time values.", true, false,
                 date_style},
    ParameterDef{"default_transaction_isolation",
                 "Requested isolation of new transactions; the engine always runs serializable.",
                 false, false, isolation},
    ParameterDef{"default_transaction_read_only",
                 "Sets the default read-only status of new transactions.", false, false, any_bool},
    ParameterDef{"effective_cache_size", "Planner setting of PostgreSQL; no effect.", false, false,
                 any_value},
    ParameterDef{"extra_float_digits",
                 "Sets the number of digits displayed for floating-point values.", false, false,
                 float_digits},
    ParameterDef{"idle_in_transaction_session_timeout",
                 "Sets the maximum allowed idle time between queries, when in a transaction.",
                 false, false, duration},
    ParameterDef{"idle_session_timeout",
                 "Sets the maximum allowed idle time between queries, when not in a transaction.",
                 false, false, duration},
    ParameterDef{"integer_datetimes", "Shows whether datetimes are integer based.", true, true,
                 nullptr},
    ParameterDef{"IntervalStyle", "Sets the display format for interval values.", true, false,
                 interval_style},
    ParameterDef{"is_superuser", "Shows whether the current user is a superuser.", true, true,
                 nullptr},
    ParameterDef{"jit", "Planner setting of PostgreSQL; no effect.", false, false, any_bool},
    ParameterDef{"lock_timeout", "Sets the maximum allowed duration of any wait for a lock.", false,
                 false, duration},
    ParameterDef{"maintenance_work_mem", "Memory setting of PostgreSQL; no effect.", false, false,
                 any_value},
    ParameterDef{"max_identifier_length", "Shows the maximum identifier length.", false, true,
                 nullptr},
    ParameterDef{"random_page_cost", "Planner setting of PostgreSQL; no effect.", false, false,
                 any_value},
    ParameterDef{"search_path",
                 "Sets the schema search order; the engine has the one schema public.", false,
                 false, any_value},
    ParameterDef{"server_encoding", "Shows the server (database) character set encoding.", true,
                 true, nullptr},
    ParameterDef{"server_version", "Shows the server version.", true, true, nullptr},
    ParameterDef{"server_version_num", "Shows the server version as an integer.", false, true,
                 nullptr},
    ParameterDef{"session_authorization", "Shows the session user name.", true, true, nullptr},
    ParameterDef{"standard_conforming_strings",
                 "Causes '...' strings to treat backslashes literally.", true, false, only_on},
    ParameterDef{"statement_timeout", "Sets the maximum allowed duration of any statement.", false,
                 false, duration},
    ParameterDef{"synchronous_commit",
                 "Commits are always synchronous; accepted for compatibility.", false, false,
                 any_value},
    ParameterDef{"TimeZone",
                 "Sets the time zone reported to clients; the engine does not convert timestamps.",
                 true, false, time_zone},
    ParameterDef{
        "transaction_isolation",
        "Requested isolation of the current transaction; the engine always runs serializable.",
        false, false, isolation},
    ParameterDef{"transaction_read_only", "Sets the current transaction's read-only status.", false,
                 false, any_bool},
    ParameterDef{"work_mem", "Memory setting of PostgreSQL; no effect.", false, false, any_value},
};

}  // namespace

std::span<const ParameterDef> parameter_defs() { return kDefs; }

const ParameterDef* find_parameter(std::string_view name) {
  for (const auto& d : kDefs)
    if (iequals(d.name, name)) return &d;
  return nullptr;
}

std::string default_value(const ParameterDef& def, const SessionIdentity& identity) {
  const std::string n = lower(def.name);
  if (n == "application_name") return "";
  if (n == "bytea_output") return "hex";
  if (n == "client_encoding" || n == "server_encoding") return "UTF8";
  if (n == "client_min_messages") return "notice";
  if (n == "datestyle") return "ISO, MDY";
  if (n == "default_transaction_isolation" || n == "transaction_isolation") return "serializable";
  if (n == "effective_cache_size") return "4GB";
  if (n == "extra_float_digits") return "1";
  if (n == "integer_datetimes" || n == "standard_conforming_strings" || n == "synchronous_commit")
    return "on";
  if (n == "intervalstyle") return "postgres";
  if (n == "is_superuser") return identity.is_superuser ? "on" : "off";
  if (n == "maintenance_work_mem") return "64MB";
  if (n == "max_identifier_length") return "63";
  if (n == "random_page_cost") return "4";
  if (n == "search_path") return "\"$user\", public";
  if (n == "server_version") return "15.0 (dbvault 0.1)";
  if (n == "server_version_num") return "150000";
  if (n == "session_authorization") return identity.user;
  if (n == "timezone") return "UTC";
  if (n == "work_mem") return "4MB";
  if (def.normalize == duration) return "0";
  return "off";  // the remaining booleans
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::int64_t duration_ms(std::string_view v) {
  std::int64_t n = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec != std::errc() || n < 0) return -1;
  std::string_view unit(r.ptr, static_cast<std::size_t>(v.data() + v.size() - r.ptr));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  struct Unit {
    std::string_view name;
    std::int64_t ms;
  };
  for (const Unit u : {Unit{"", 1}, Unit{"ms", 1}, Unit{"s", 1000}, Unit{"min", 60000},
                       Unit{"h", 3600000}, Unit{"d", 86400000}}) {
    if (unit == u.name) return n > INT64_MAX / u.ms ? -1 : n * u.ms;
  }
  return -1;
}

}  // namespace dbvault::server::pgcompat::detail
