// SQLite values to PostgreSQL's text and binary formats and back (docs/protocol.md §Types).
#include <bit>
#include <cmath>
#include <limits>

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

using internal::put_be;
using namespace internal::kinds;

// --- SqlValue to the type's canonical C++ value ---
Result<std::int64_t> as_int(Oid type, const SqlValue& v) {
  const Range r = range_of(type);
  std::int64_t i = 0;
  if (const auto* p = std::get_if<std::int64_t>(&v)) {
    i = *p;
  } else if (const auto* d = std::get_if<double>(&v)) {
    if (!std::isfinite(*d) || std::trunc(*d) != *d || std::fabs(*d) >= 9.2e18) return invalid(type);
    i = static_cast<std::int64_t>(*d);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    bool overflow = false;
    auto parsed = internal::parse_integer(*s, r.min, r.max, overflow);
    if (!parsed) return overflow ? out_of_range(type) : invalid(type);
    i = *parsed;
  } else {
    return invalid(type);
  }
  if (i < r.min || i > r.max) return out_of_range(type);
  return i;
}

Result<double> as_double(Oid type, const SqlValue& v) {
  if (const auto* p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (auto parsed = internal::parse_float(*s)) return *parsed;
  }
  return invalid(type);
}

Result<float> as_float4(const SqlValue& v) {
  auto d = as_double(oid::kFloat4, v);
  if (!d) return std::move(d).error();
  auto f = internal::to_float4(*d);
  if (!f) return out_of_range(oid::kFloat4);
  return *f;
}

Result<bool> as_bool(const SqlValue& v) {
  if (const auto* p = std::get_if<std::int64_t>(&v)) {
    if (*p == 0 || *p == 1) return *p == 1;
  } else if (const auto* d = std::get_if<double>(&v)) {
    if (*d == 0.0 || *d == 1.0) return *d == 1.0;
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    if (auto b = internal::parse_bool(*s)) return *b;
  }
  return invalid(oid::kBool);
}

Result<internal::Decimal> as_decimal(const SqlValue& v) {
  std::optional<internal::Decimal> d;
  if (const auto* p = std::get_if<std::int64_t>(&v)) {
    d = internal::parse_decimal(std::to_string(*p));
  } else if (const auto* f = std::get_if<double>(&v)) {
    d = internal::parse_decimal(internal::format_float8(*f));
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    d = internal::parse_decimal(*s);
  }
  if (!d) return invalid(oid::kNumeric);
  return *d;
}

// The storage class's own text: what a column without a known type shows.
Result<std::string> as_text(const SqlValue& v) {
  if (const auto* p = std::get_if<std::int64_t>(&v)) return std::to_string(*p);
  if (const auto* d = std::get_if<double>(&v)) return internal::format_float8(*d);
  const std::string& s =
      std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : std::get<Blob>(v).bytes;
  if (!internal::valid_text(s)) return not_text();
  return s;
}

Result<std::string> as_bytes(const SqlValue& v) {
  if (const auto* b = std::get_if<Blob>(&v)) return b->bytes;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return as_text(v);
}

// Unix seconds for numbers; ISO text otherwise.
Result<std::int64_t> as_timestamp(Oid type, const SqlValue& v, bool apply_zone) {
  std::optional<std::int64_t> t;
  if (const auto* p = std::get_if<std::int64_t>(&v)) {
    t = internal::timestamp_from_unix(static_cast<double>(*p));
  } else if (const auto* d = std::get_if<double>(&v)) {
    t = internal::timestamp_from_unix(*d);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    t = internal::parse_timestamp(*s, apply_zone);
  }
  if (!t) {
    return make_error(sqlstate::kInvalidDatetimeFormat,
                      "invalid input syntax for type " + std::string(type_name(type)));
  }
  return *t;
}

Result<std::string> text_of_timestamp(Oid type, std::int64_t micros, bool with_zone) {
  auto s = internal::format_timestamp(micros, with_zone);
  if (!s) return out_of_range(type);
  return *s;
}

Result<std::string> text_of_date(std::int32_t days) {
  auto s = internal::format_date(days);
  if (!s) return out_of_range(oid::kDate);
  return *s;
}

Result<std::string> text_form(Oid type, const SqlValue& v) {
  switch (kind_of(type)) {
    case Kind::kInt: {
      DBV_ASSIGN(i, as_int(type, v));
      return std::to_string(i);
    }
    case Kind::kFloat4: {
      DBV_ASSIGN(f, as_float4(v));
      return internal::format_float4(f);
    }
    case Kind::kFloat8: {
      DBV_ASSIGN(d, as_double(type, v));
      return internal::format_float8(d);
    }
    case Kind::kBool: {
      DBV_ASSIGN(b, as_bool(v));
      return std::string(b ? "t" : "f");
    }
    case Kind::kNumeric: {
      DBV_ASSIGN(d, as_decimal(v));
      return internal::format_decimal(d);
    }
    case Kind::kBytea: {
      DBV_ASSIGN(b, as_bytes(v));
      return internal::format_bytea(b);
    }
    case Kind::kTimestamp:
    case Kind::kTimestamptz: {
      const bool tz = kind_of(type) == Kind::kTimestamptz;
      DBV_ASSIGN(t, as_timestamp(type, v, tz));
      return text_of_timestamp(type, t, tz);
    }
    case Kind::kDate: {
      DBV_ASSIGN(t, as_timestamp(type, v, false));
      return text_of_date(internal::date_of(t));
    }
    case Kind::kText:
    case Kind::kOther:
      break;
  }
  if (const auto* b = std::get_if<Blob>(&v); b && kind_of(type) == Kind::kOther) {
    return internal::format_bytea(b->bytes);
  }
  return as_text(v);
}

template <typename T>
std::string big_endian(T v) {
  std::string out;
  put_be(out, v);
  return out;
}

Result<std::string> binary_form(Oid type, const SqlValue& v) {
  switch (kind_of(type)) {
    case Kind::kInt: {
      DBV_ASSIGN(i, as_int(type, v));
      if (type == oid::kInt2) return big_endian(static_cast<std::int16_t>(i));
      if (type == oid::kInt8) return big_endian(i);
      return big_endian(static_cast<std::uint32_t>(i));  // int4 (two's complement) and oid
    }
    case Kind::kFloat4: {
      DBV_ASSIGN(f, as_float4(v));
      return big_endian(std::bit_cast<std::uint32_t>(f));
    }
    case Kind::kFloat8: {
      DBV_ASSIGN(d, as_double(type, v));
      return big_endian(std::bit_cast<std::uint64_t>(d));
    }
    case Kind::kBool: {
      DBV_ASSIGN(b, as_bool(v));
      return std::string(1, b ? '\1' : '\0');
    }
    case Kind::kNumeric: {
      DBV_ASSIGN(d, as_decimal(v));
      return internal::numeric_send(d);
    }
    case Kind::kBytea:
      return as_bytes(v);
    case Kind::kText:
      return as_text(v);
    case Kind::kTimestamp:
    case Kind::kTimestamptz: {
      DBV_ASSIGN(t, as_timestamp(type, v, kind_of(type) == Kind::kTimestamptz));
      // The same range as the text form.
      if (auto c = text_of_timestamp(type, t, false); !c) return std::move(c).error();
      return big_endian(t);
    }
    case Kind::kDate: {
      DBV_ASSIGN(t, as_timestamp(type, v, false));
      const std::int32_t days = internal::date_of(t);
      if (auto c = text_of_date(days); !c) return std::move(c).error();
      return big_endian(days);
    }
    case Kind::kOther:
      break;
  }
  return make_error(sqlstate::kFeatureNotSupported,
                    "no binary format for type oid " + std::to_string(type));
}

}  // namespace

Result<std::optional<std::string>> encode_text(Oid type, const SqlValue& value) {
  return encode(type, Format::kText, value);
}

Result<std::optional<std::string>> encode_binary(Oid type, const SqlValue& value) {
  return encode(type, Format::kBinary, value);
}

Result<std::optional<std::string>> encode(Oid type, Format format, const SqlValue& value) {
  if (std::holds_alternative<std::monostate>(value)) return std::optional<std::string>();
  auto r = format == Format::kText ? text_form(type, value) : binary_form(type, value);
  if (!r) return std::move(r).error();
  return std::optional<std::string>(std::move(r).value());
}

}  // namespace dbvault::server::wire
