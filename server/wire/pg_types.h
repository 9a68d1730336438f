// PostgreSQL type OIDs and value formats over SQLite's storage classes.
//
// The engine (SQLite) holds NULL, a 64-bit integer, a double, text or a blob (SqlValue). Over
// the wire a value has a PostgreSQL type (its OID, from oid_for_declared_type) and a format:
// text (PostgreSQL's output functions, DateStyle ISO, TimeZone UTC) or binary (its send/recv
// functions). The conversions are strict: a value that the type cannot represent is an error,
// never a silently different value. docs/protocol.md §Types has the tables.
//
// Errors: 22P02 invalid_text_representation (bad text input or a stored value that is not of
// the column's type), 22003 numeric_value_out_of_range, 22007 invalid_datetime_format,
// 22021 character_not_in_repertoire (text that is not UTF-8 or holds NUL), 08P01 for a
// binary value of the wrong length, 0A000 for a type without a binary format here.
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/result.h"
#include "server/wire/messages.h"

namespace dbvault::server::wire {

namespace oid {
inline constexpr Oid kUnspecified = 0;
inline constexpr Oid kBool = 16;
inline constexpr Oid kBytea = 17;
inline constexpr Oid kChar = 18;  // "char", one byte
inline constexpr Oid kName = 19;
inline constexpr Oid kInt8 = 20;
inline constexpr Oid kInt2 = 21;
inline constexpr Oid kInt4 = 23;
inline constexpr Oid kText = 25;
inline constexpr Oid kOid = 26;
inline constexpr Oid kJson = 114;
inline constexpr Oid kFloat4 = 700;
inline constexpr Oid kFloat8 = 701;
inline constexpr Oid kUnknown = 705;
inline constexpr Oid kBpchar = 1042;  // char(n)
inline constexpr Oid kVarchar = 1043;
inline constexpr Oid kDate = 1082;
inline constexpr Oid kTime = 1083;
inline constexpr Oid kTimestamp = 1114;
inline constexpr Oid kTimestamptz = 1184;
inline constexpr Oid kNumeric = 1700;
}  // namespace oid

// pg_type.typlen of a type we describe (-1 for variable length); -1 for unknown OIDs.
std::int16_t type_size(Oid type);
// The type's name as PostgreSQL spells it ("int4", "timestamptz", ...); "unknown" otherwise.
std::string_view type_name(Oid type);

// A SQLite value. Blob is a distinct type so that text and bytes never mix up.
struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;

enum class StorageClass { kNull, kInteger, kReal, kText, kBlob };
StorageClass storage_class(const SqlValue& value);

// The OID for a result column: from the column's declared type when it has one we know (a
// PostgreSQL type name, with or without "(n)" / "(p,s)" modifiers, case-insensitive), else by
// SQLite's affinity rules, else (no declared type: an expression) from the value's storage
// class. See the table in docs/protocol.md.
Oid oid_for_declared_type(std::string_view sqlite_decltype, StorageClass value_class);

// The value in `type`'s text / binary format; nullopt for NULL (a DataRow NULL).
// Integers and reals become timestamps as Unix seconds; text as 'YYYY-MM-DD HH:MM:SS[.f]
// [+hh:mm|Z]'. Booleans stored as 0/1 become t/f. Unknown OIDs use the text form of the
// storage class (text) or fail with 0A000 (binary).
Result<std::optional<std::string>> encode_text(Oid type, const SqlValue& value);
Result<std::optional<std::string>> encode_binary(Oid type, const SqlValue& value);
Result<std::optional<std::string>> encode(Oid type, Format format, const SqlValue& value);

// A Bind parameter as the engine value to bind. nullopt bytes = NULL. Type 0 (unspecified),
// unknown and text-like types yield text (in either format); integers, bool (0/1) and oid
// yield int64; floats double (float4 rounded to float4); bytea a Blob; numeric its canonical
// decimal text; timestamp, timestamptz and date the text 'YYYY-MM-DD HH:MM:SS[.ffffff]' /
// 'YYYY-MM-DD' in UTC without a zone (timestamptz input converted), so that stored texts
// compare in time order. Error messages name the type, never the value (it may be a secret):
// the caller adds which parameter it was.
Result<SqlValue> decode_param(Oid type, Format format, const std::optional<std::string>& bytes);

}  // namespace dbvault::server::wire
