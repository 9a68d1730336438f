// Drivers' look-ups of one type in pg_catalog.pg_type (by OID or by name through ::regtype):
// psycopg 3's TypeInfo.fetch and asyncpg's set_type_codec introspection. Answered from the
// types dbvault reports (type_oid, pgcompat.h); their query text is in
// tests/server/pgcompat_cases/.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "server/pgcompat/catalog_query.h"
#include "server/pgcompat/type_names.h"

namespace dbvault::server::pgcompat::detail {
namespace {

struct PgType {
  std::uint32_t oid;
  const char* name;     // typname
  std::uint32_t array;  // typarray, as in PostgreSQL 15
};

constexpr std::array kTypes{
    PgType{type_oid::kBool, "bool", 1000},
    PgType{type_oid::kBytea, "bytea", 1001},
    PgType{type_oid::kChar, "char", 1002},
    PgType{type_oid::kName, "name", 1003},
    PgType{type_oid::kInt8, "int8", 1016},
    PgType{type_oid::kInt2, "int2", 1005},
    PgType{type_oid::kInt4, "int4", 1007},
    PgType{type_oid::kText, "text", 1009},
    PgType{type_oid::kOid, "oid", 1028},
    PgType{type_oid::kJson, "json", 199},
    PgType{type_oid::kFloat4, "float4", 1021},
    PgType{type_oid::kFloat8, "float8", 1022},
    PgType{type_oid::kBpchar, "bpchar", 1014},
    PgType{type_oid::kVarchar, "varchar", 1015},
    PgType{type_oid::kDate, "date", 1182},
    PgType{type_oid::kTime, "time", 1183},
    PgType{type_oid::kTimestamp, "timestamp", 1115},
    PgType{type_oid::kTimestamptz, "timestamptz", 1185},
    PgType{type_oid::kNumeric, "numeric", 1231},
    PgType{type_oid::kUuid, "uuid", 2951},
    PgType{type_oid::kJsonb, "jsonb", 3807},
};

// The type `t.oid = <constant>` names: an OID in digits, or a type name (through ::regtype).
// nullopt when there is no such comparison; 42704 for a name PostgreSQL would not know here.
Result<std::optional<PgType>> wanted_type(const CatalogContext& c) {
  const auto constant = compared_constant(c.tree, "oid", "=");
  if (!constant) return std::optional<PgType>();
  const bool digits =
      !constant->empty() && std::all_of(constant->begin(), constant->end(),
                                        [](unsigned char ch) { return std::isdigit(ch) != 0; });
  std::optional<std::uint32_t> oid;
  if (digits) {
    std::uint32_t n = 0;  // out of range: no OID, no row
    const auto [end, ec] =
        std::from_chars(constant->data(), constant->data() + constant->size(), n);
    if (ec == std::errc{} && end == constant->data() + constant->size()) oid = n;
  } else {
    oid = oid_of_canonical(canonical_type_name(*constant));
  }
  for (const auto& t : kTypes)
    if (oid && t.oid == *oid) return std::optional<PgType>(t);
  if (digits) return std::optional<PgType>();  // an OID matches no row
  return make_error(SqlState("42704"), "type \"" + *constant + "\" does not exist");
}

}  // namespace

// psycopg: name, oid, array_oid, regtype, delimiter.
Result<ResultSet> type_info(const CatalogContext& c) {
  auto t = wanted_type(c);
  if (!t) return std::move(t).error();
  std::vector<Row> rows;
  if (*t) {
    rows.push_back({(*t)->name, std::to_string((*t)->oid), std::to_string((*t)->array),
                    format_type((*t)->name), ","});
  }
  return rows_result({{"name", type_oid::kName},
                      {"oid", type_oid::kOid},
                      {"array_oid", type_oid::kOid},
                      {"regtype", type_oid::kText},
                      {"delimiter", type_oid::kChar}},
                     std::move(rows));
}

// asyncpg: oid, elemtype, kind ('b': a base type).
Result<ResultSet> type_by_oid(const CatalogContext& c) {
  auto t = wanted_type(c);
  if (!t) return std::move(t).error();
  std::vector<Row> rows;
  if (*t) rows.push_back({std::to_string((*t)->oid), "0", "b"});
  return rows_result(
      {{"oid", type_oid::kOid}, {"elemtype", type_oid::kOid}, {"kind", type_oid::kChar}},
      std::move(rows));
}

}  // namespace dbvault::server::pgcompat::detail
