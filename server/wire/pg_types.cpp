// Type OIDs, names and the mapping from SQLite declared types (docs/protocol.md §Types).
#include "server/wire/pg_types.h"

#include <array>

namespace dbvault::server::wire {

namespace {

struct TypeInfo {
  Oid oid;
  std::string_view name;
  std::int16_t size;
};
constexpr std::array<TypeInfo, 20> kTypes{{
    {oid::kBool, "bool", 1},
    {oid::kBytea, "bytea", -1},
    {oid::kChar, "char", 1},
    {oid::kName, "name", 64},
    {oid::kInt8, "int8", 8},
    {oid::kInt2, "int2", 2},
    {oid::kInt4, "int4", 4},
    {oid::kText, "text", -1},
    {oid::kOid, "oid", 4},
    {oid::kJson, "json", -1},
    {oid::kFloat4, "float4", 4},
    {oid::kFloat8, "float8", 8},
    {oid::kUnknown, "unknown", -2},
    {oid::kBpchar, "bpchar", -1},
    {oid::kVarchar, "varchar", -1},
    {oid::kDate, "date", 4},
    {oid::kTime, "time", 8},
    {oid::kTimestamp, "timestamp", 8},
    {oid::kTimestamptz, "timestamptz", 8},
    {oid::kNumeric, "numeric", -1},
}};

const TypeInfo* find_type(Oid type) {
  for (const auto& t : kTypes) {
    if (t.oid == type) return &t;
  }
  return nullptr;
}

// Declared type names we know, upper case, modifiers removed, single spaces.
struct NamedType {
  std::string_view name;
  Oid oid;
};
constexpr NamedType kDeclared[] = {
    {"BOOL", oid::kBool},
    {"BOOLEAN", oid::kBool},
    {"TINYINT", oid::kInt2},
    {"SMALLINT", oid::kInt2},
    {"INT2", oid::kInt2},
    {"INT", oid::kInt4},
    {"INTEGER", oid::kInt4},
    {"INT4", oid::kInt4},
    {"MEDIUMINT", oid::kInt4},
    {"BIGINT", oid::kInt8},
    {"INT8", oid::kInt8},
    {"UNSIGNED BIG INT", oid::kInt8},
    {"OID", oid::kOid},
    {"FLOAT4", oid::kFloat4},
    {"REAL", oid::kFloat8},  // SQLite's REAL is an 8-byte double: float4 would lose digits
    {"FLOAT", oid::kFloat8},
    {"FLOAT8", oid::kFloat8},
    {"DOUBLE", oid::kFloat8},
    {"DOUBLE PRECISION", oid::kFloat8},
    {"NUMERIC", oid::kNumeric},
    {"DECIMAL", oid::kNumeric},
    {"TEXT", oid::kText},
    {"CLOB", oid::kText},
    {"JSON", oid::kJson},
    {"VARCHAR", oid::kVarchar},
    {"CHARACTER VARYING", oid::kVarchar},
    {"VARYING CHARACTER", oid::kVarchar},
    {"NVARCHAR", oid::kVarchar},
    {"NATIVE CHARACTER", oid::kVarchar},
    {"CHAR", oid::kBpchar},
    {"CHARACTER", oid::kBpchar},
    {"NCHAR", oid::kBpchar},
    {"BPCHAR", oid::kBpchar},
    {"NAME", oid::kName},
    {"BLOB", oid::kBytea},
    {"BYTEA", oid::kBytea},
    {"DATE", oid::kDate},
    {"DATETIME", oid::kTimestamp},
    {"TIMESTAMP", oid::kTimestamp},
    {"TIMESTAMP WITHOUT TIME ZONE", oid::kTimestamp},
    {"TIMESTAMPTZ", oid::kTimestamptz},
    {"TIMESTAMP WITH TIME ZONE", oid::kTimestamptz},
};

// Upper case, "(...)" modifiers dropped, runs of blanks made one space, trimmed.
std::string normalize(std::string_view declared) {
  std::string out;
  int depth = 0;
  for (char c : declared) {
    if (c == '(') ++depth;
    if (depth > 0) {
      if (c == ')') --depth;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      continue;
    }
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Oid oid_for_storage_class(StorageClass c) {
  switch (c) {
    case StorageClass::kInteger:
      return oid::kInt8;
    case StorageClass::kReal:
      return oid::kFloat8;
    case StorageClass::kBlob:
      return oid::kBytea;
    case StorageClass::kNull:
    case StorageClass::kText:
      break;
  }
  return oid::kText;
}

}  // namespace

std::int16_t type_size(Oid type) {
  const TypeInfo* t = find_type(type);
  return t ? t->size : -1;
}

std::string_view type_name(Oid type) {
  const TypeInfo* t = find_type(type);
  return t ? t->name : "unknown";
}

StorageClass storage_class(const SqlValue& value) {
  return static_cast<StorageClass>(value.index());  // the variant's order is the enum's
}

Oid oid_for_declared_type(std::string_view sqlite_decltype, StorageClass value_class) {
  const std::string name = normalize(sqlite_decltype);
  for (const auto& t : kDeclared) {
    if (t.name == name) return t.oid;
  }
  // SQLite's affinity rules (datatype3.html §3.1), in their order.
  const auto has = [&name](std::string_view part) { return name.find(part) != std::string::npos; };
  if (has("INT")) return oid::kInt8;
  if (has("CHAR") || has("CLOB") || has("TEXT")) return oid::kText;
  if (has("BLOB") || name.empty()) {
    return name.empty() ? oid_for_storage_class(value_class) : oid::kBytea;
  }
  if (has("REAL") || has("FLOA") || has("DOUB")) return oid::kFloat8;
  return oid_for_storage_class(value_class);  // NUMERIC affinity: any storage class
}

}  // namespace dbvault::server::wire
