// Bind parameters (text or binary) to the engine values they bind as (docs/protocol.md §Types).
#include <bit>

#include "server/wire/assign.h"
#include "server/wire/pg_datetime.h"
#include "server/wire/pg_float.h"
#include "server/wire/pg_kind.h"
#include "server/wire/pg_numeric.h"
#include "server/wire/pg_scalar.h"
#include "server/wire/pg_types.h"
#include "server/wire/wire_bytes.h"

namespace dbvault::server::wire {

namespace {

using namespace internal::kinds;

Error bad_datetime(Oid type) {
  return make_error(sqlstate::kInvalidDatetimeFormat,
                    "invalid input syntax for type " + std::string(type_name(type)));
}

// Timestamps and dates bind as the canonical text SQLite's date functions read: UTC, no zone.
Result<SqlValue> timestamp_text(Oid type, std::int64_t micros) {
  const bool date = kind_of(type) == Kind::kDate;
  auto s = date ? internal::format_date(internal::date_of(micros))
                : internal::format_timestamp(micros, false);
  if (!s) return out_of_range(type);
  return SqlValue(std::move(*s));
}

Result<SqlValue> decode_text(Oid type, const std::string& text) {
  switch (kind_of(type)) {
    case Kind::kInt: {
      const Range r = range_of(type);
      bool overflow = false;
      auto i = internal::parse_integer(text, r.min, r.max, overflow);
      if (!i) return overflow ? out_of_range(type) : invalid(type);
      return SqlValue(*i);
    }
    case Kind::kFloat4: {
      auto d = internal::parse_float(text);
      if (!d) return invalid(type);
      auto f = internal::to_float4(*d);
      if (!f) return out_of_range(type);
      return SqlValue(static_cast<double>(*f));
    }
    case Kind::kFloat8: {
      auto d = internal::parse_float(text);
      if (!d) return invalid(type);
      return SqlValue(*d);
    }
    case Kind::kBool: {
      auto b = internal::parse_bool(text);
      if (!b) return invalid(type);
      return SqlValue(std::int64_t{*b ? 1 : 0});
    }
    case Kind::kNumeric: {
      auto d = internal::parse_decimal(text);
      if (!d) return invalid(type);
      return SqlValue(internal::format_decimal(*d));
    }
    case Kind::kBytea: {
      auto b = internal::parse_bytea(text);
      if (!b) return invalid(type);
      return SqlValue(Blob{std::move(*b)});
    }
    case Kind::kTimestamp:
    case Kind::kTimestamptz:
    case Kind::kDate: {
      auto t = internal::parse_timestamp(text, kind_of(type) == Kind::kTimestamptz);
      if (!t) return bad_datetime(type);
      return timestamp_text(type, *t);
    }
    case Kind::kText:
    case Kind::kOther:
      break;
  }
  if (!internal::valid_text(text)) return not_text();
  return SqlValue(text);
}

// The value of an integer of `size` bytes; bad_binary when the length differs.
Result<std::uint64_t> fixed(Oid type, std::string_view bytes, std::size_t size) {
  if (bytes.size() != size) return bad_binary(type, bytes.size());
  internal::ByteReader in(bytes);
  if (size == 1) return std::uint64_t{*in.u8()};
  if (size == 2) return std::uint64_t{*in.u16()};
  if (size == 4) return std::uint64_t{*in.u32()};
  return *in.u64();
}

Result<SqlValue> decode_binary(Oid type, const std::string& bytes) {
  switch (kind_of(type)) {
    case Kind::kInt: {
      const std::size_t size = type == oid::kInt2 ? 2 : type == oid::kInt8 ? 8 : 4;
      DBV_ASSIGN(u, fixed(type, bytes, size));
      if (type == oid::kInt2) return SqlValue(std::int64_t{static_cast<std::int16_t>(u)});
      if (type == oid::kInt4) return SqlValue(std::int64_t{static_cast<std::int32_t>(u)});
      if (type == oid::kOid) return SqlValue(static_cast<std::int64_t>(u));
      return SqlValue(static_cast<std::int64_t>(u));
    }
    case Kind::kFloat4: {
      DBV_ASSIGN(u, fixed(type, bytes, 4));
      return SqlValue(static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(u))));
    }
    case Kind::kFloat8: {
      DBV_ASSIGN(u, fixed(type, bytes, 8));
      return SqlValue(std::bit_cast<double>(u));
    }
    case Kind::kBool: {
      DBV_ASSIGN(u, fixed(type, bytes, 1));
      return SqlValue(std::int64_t{u != 0 ? 1 : 0});
    }
    case Kind::kNumeric: {
      auto d = internal::numeric_recv(bytes);
      if (!d) return bad_binary(type, bytes.size());
      return SqlValue(internal::format_decimal(*d));
    }
    case Kind::kBytea:
      return SqlValue(Blob{bytes});
    case Kind::kTimestamp:
    case Kind::kTimestamptz: {
      DBV_ASSIGN(u, fixed(type, bytes, 8));
      return timestamp_text(type, static_cast<std::int64_t>(u));
    }
    case Kind::kDate: {
      DBV_ASSIGN(u, fixed(type, bytes, 4));
      const auto days = static_cast<std::int32_t>(u);
      auto s = internal::format_date(days);
      if (!s) return out_of_range(type);
      return SqlValue(std::move(*s));
    }
    case Kind::kText:
      if (!internal::valid_text(bytes)) return not_text();
      return SqlValue(bytes);
    case Kind::kOther:
      break;
  }
  return make_error(sqlstate::kFeatureNotSupported, "binary format for parameter type oid " +
                                                        std::to_string(type) + " is not supported");
}

}  // namespace

Result<SqlValue> decode_param(Oid type, Format format, const std::optional<std::string>& bytes) {
  if (!bytes) return SqlValue();
  return format == Format::kText ? decode_text(type, *bytes) : decode_binary(type, *bytes);
}

}  // namespace dbvault::server::wire
