#include "server/pgcompat/type_names.h"

#include <array>
#include <cctype>
#include <utility>

#include "server/pgcompat/pgcompat.h"

namespace dbvault::server::pgcompat {
namespace detail {
namespace {

struct Alias {
  std::string_view written;
  std::string_view canonical;
};

// PostgreSQL's alternative spellings (the SQL-standard and keyword forms).
constexpr std::array kAliases{
    Alias{"integer", "int4"},
    Alias{"int", "int4"},
    Alias{"smallint", "int2"},
    Alias{"bigint", "int8"},
    Alias{"serial", "int4"},
    Alias{"serial4", "int4"},
    Alias{"bigserial", "int8"},
    Alias{"serial8", "int8"},
    Alias{"smallserial", "int2"},
    Alias{"serial2", "int2"},
    Alias{"real", "float4"},
    Alias{"float", "float8"},
    Alias{"double precision", "float8"},
    Alias{"double", "float8"},
    Alias{"decimal", "numeric"},
    Alias{"boolean", "bool"},
    Alias{"character varying", "varchar"},
    Alias{"char varying", "varchar"},
    Alias{"character", "bpchar"},
    Alias{"char", "bpchar"},
    Alias{"timestamp without time zone", "timestamp"},
    Alias{"timestamp with time zone", "timestamptz"},
    Alias{"time without time zone", "time"},
    Alias{"datetime", "timestamp"},  // SQLite users' spelling
    Alias{"blob", "bytea"},
    Alias{"clob", "text"},
};

struct Known {
  std::string_view canonical;
  std::uint32_t oid;
};

constexpr std::array kKnown{
    Known{"bool", type_oid::kBool},
    Known{"bytea", type_oid::kBytea},
    Known{"name", type_oid::kName},
    Known{"int8", type_oid::kInt8},
    Known{"int2", type_oid::kInt2},
    Known{"int4", type_oid::kInt4},
    Known{"text", type_oid::kText},
    Known{"oid", type_oid::kOid},
    Known{"json", type_oid::kJson},
    Known{"float4", type_oid::kFloat4},
    Known{"float8", type_oid::kFloat8},
    Known{"bpchar", type_oid::kBpchar},
    Known{"varchar", type_oid::kVarchar},
    Known{"date", type_oid::kDate},
    Known{"time", type_oid::kTime},
    Known{"timestamp", type_oid::kTimestamp},
    Known{"timestamptz", type_oid::kTimestamptz},
    Known{"numeric", type_oid::kNumeric},
    Known{"uuid", type_oid::kUuid},
    Known{"jsonb", type_oid::kJsonb},
};

// Lower-cases, drops a "pg_catalog." prefix and "(...)" modifiers, and folds blanks.
std::string simplify(std::string_view written) {
  std::string out;
  int depth = 0;
  for (char c : written) {
    if (c == '(') ++depth;
    if (depth == 0 && c != '"') {
      const bool blank = std::isspace(static_cast<unsigned char>(c)) != 0;
      if (blank && (out.empty() || out.back() == ' ')) continue;
      out += blank ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (c == ')' && depth > 0) --depth;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  // "varchar (10)" leaves "varchar " before the modifier, and "timestamp(3) with time zone"
  // leaves two blanks: both were folded above.
  if (out.starts_with("pg_catalog.")) out.erase(0, 11);
  return out;
}

}  // namespace

std::string canonical_type_name(std::string_view written) {
  std::string s = simplify(written);
  for (const auto& a : kAliases)
    if (s == a.written) return std::string(a.canonical);
  return s;
}

std::optional<std::uint32_t> oid_of_canonical(std::string_view canonical) {
  for (const auto& k : kKnown)
    if (k.canonical == canonical) return k.oid;
  return std::nullopt;
}

std::string format_type(std::string_view declared) {
  static constexpr Alias kDisplay[] = {{"int4", "integer"},
                                       {"int8", "bigint"},
                                       {"int2", "smallint"},
                                       {"float8", "double precision"},
                                       {"float4", "real"},
                                       {"bool", "boolean"},
                                       {"varchar", "character varying"},
                                       {"bpchar", "character"},
                                       {"timestamptz", "timestamp with time zone"},
                                       {"timestamp", "timestamp without time zone"},
                                       {"time", "time without time zone"}};
  const std::string canonical = canonical_type_name(declared);
  std::string modifiers;
  if (const auto open = declared.find('('); open != std::string_view::npos) {
    const auto close = declared.find(')', open);
    modifiers = std::string(
        declared.substr(open, close == std::string_view::npos ? close : close - open + 1));
    std::erase(modifiers, ' ');
  }
  for (const auto& d : kDisplay) {
    if (canonical != d.written) continue;
    if (modifiers.empty() || canonical.starts_with("time")) return std::string(d.canonical);
    return std::string(d.canonical) + modifiers;
  }
  return canonical + modifiers;
}

}  // namespace detail

std::uint32_t type_oid_for_declared(std::string_view declared_type) {
  const std::string canonical = detail::canonical_type_name(declared_type);
  if (auto oid = detail::oid_of_canonical(canonical)) return *oid;
  // SQLite's affinity rules (https://sqlite.org/datatype3.html §3.1), in their order.
  auto has = [&](std::string_view part) { return canonical.find(part) != std::string::npos; };
  if (has("int")) return type_oid::kInt8;
  if (has("char") || has("clob") || has("text")) return type_oid::kText;
  if (has("blob")) return type_oid::kBytea;
  if (has("real") || has("floa") || has("doub")) return type_oid::kFloat8;
  // NUMERIC affinity holds any value; text is what a client can always decode.
  return has("bool") ? type_oid::kBool : type_oid::kText;
}

}  // namespace dbvault::server::pgcompat
