// Internal to server/wire: how pg_convert.cpp and pg_decode.cpp classify type OIDs, and
// the errors they share.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "server/wire/pg_types.h"

namespace dbvault::server::wire::internal::kinds {

enum class Kind {
  kInt,
  kFloat4,
  kFloat8,
  kBool,
  kNumeric,
  kText,
  kBytea,
  kTimestamp,
  kTimestamptz,
  kDate,
  kOther
};
Kind kind_of(Oid type);

struct Range {
  std::int64_t min, max;
};
// The values an integer type holds (int2, int4, oid; int8 otherwise).
Range range_of(Oid type);

Error invalid(Oid type);                      // 22P02 invalid input syntax for type T
Error out_of_range(Oid type);                 // 22003 value out of range for type T
Error bad_binary(Oid type, std::size_t got);  // 08P01 incorrect binary data format
Error not_text();                             // 22021 invalid byte sequence for UTF8

}  // namespace dbvault::server::wire::internal::kinds
