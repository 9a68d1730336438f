// PostgreSQL value formats. The vectors are PostgreSQL 15.20's own output, taken with
//   SET TimeZone = 'UTC';
//   SELECT v::int4::text, encode(int4send(v::int4), 'hex') FROM unnest(array[...]) v;
// (and likewise float4send, numeric_send, timestamp_send, date_send, byteasend...), except the
// bool text form, which is boolout's 't'/'f' (the ::text cast spells 'true'/'false').
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "server/wire/pg_types.h"
#include "tests/server/wire_test_util.h"

using namespace dbvault;
using namespace dbvault::server::wire;
using dbvault::server::wire::test::from_hex;
using dbvault::server::wire::test::to_hex;

namespace {

struct PgVector {
  Oid type;
  std::string_view input;  // the literal PostgreSQL read
  std::string_view text;   // its output function
  std::string_view hex;    // its send function
};

// clang-format off
constexpr PgVector kPostgres15[] = {
    {oid::kInt2, "0", "0", "0000"}, {oid::kInt2, "-1", "-1", "ffff"},
    {oid::kInt2, "32767", "32767", "7fff"}, {oid::kInt2, "-32768", "-32768", "8000"},
    {oid::kInt2, "  42 ", "42", "002a"},
    {oid::kInt4, "-2147483648", "-2147483648", "80000000"},
    {oid::kInt4, "2147483647", "2147483647", "7fffffff"}, {oid::kInt4, "123456", "123456", "0001e240"},
    {oid::kInt8, "-9223372036854775808", "-9223372036854775808", "8000000000000000"},
    {oid::kInt8, "9223372036854775807", "9223372036854775807", "7fffffffffffffff"},
    {oid::kFloat4, "1.5", "1.5", "3fc00000"}, {oid::kFloat4, "0.1", "0.1", "3dcccccd"},
    {oid::kFloat4, "1234567", "1.234567e+06", "4996b438"}, {oid::kFloat4, "123456", "123456", "47f12000"},
    {oid::kFloat4, "-0", "-0", "80000000"}, {oid::kFloat4, "NaN", "NaN", "7fc00000"},
    {oid::kFloat4, "Infinity", "Infinity", "7f800000"}, {oid::kFloat4, "1e-5", "1e-05", "3727c5ac"},
    {oid::kFloat4, "3.4028235e38", "3.4028235e+38", "7f7fffff"},
    {oid::kFloat8, "0.1", "0.1", "3fb999999999999a"}, {oid::kFloat8, "1e15", "1e+15", "430c6bf526340000"},
    {oid::kFloat8, "123456789012345", "123456789012345", "42dc12218377de40"},
    {oid::kFloat8, "1e-5", "1e-05", "3ee4f8b588e368f1"}, {oid::kFloat8, "0.0001", "0.0001", "3f1a36e2eb1c432d"},
    {oid::kFloat8, "-1.5e300", "-1.5e+300", "fe41eb2d66005835"}, {oid::kFloat8, "5e-324", "5e-324", "0000000000000001"},
    {oid::kFloat8, "-Infinity", "-Infinity", "fff0000000000000"},
    {oid::kFloat8, "1.2345678901234568e+17", "1.2345678901234568e+17", "437b69b4ba630f35"},
    {oid::kFloat8, "100", "100", "4059000000000000"}, {oid::kFloat8, "2.5", "2.5", "4004000000000000"},
    // A shortest decimal on the rounding boundary is not accepted: one more digit (Ryu as
    // PostgreSQL builds it); 2^53 + 1 and 2^24 + 1 round to even on input.
    {oid::kFloat8, "-43025556754851824", "-4.3025556754851824e+16", "c3631b7082545cfe"},
    {oid::kFloat8, "25474817835411632", "2.5474817835411632e+16", "4356a04d8ef30a2c"},
    {oid::kFloat8, "2.2250738585072014e-308", "2.2250738585072014e-308", "0010000000000000"},
    {oid::kFloat8, "1.7976931348623157e308", "1.7976931348623157e+308", "7fefffffffffffff"},
    {oid::kFloat8, "9007199254740993", "9.007199254740992e+15", "4340000000000000"},
    {oid::kFloat8, "0.30000000000000004", "0.30000000000000004", "3fd3333333333334"},
    {oid::kFloat4, "65207848", "6.5207848e+07", "4c78bf8a"},
    {oid::kFloat4, "-187107808", "-1.8710781e+08", "cd32709e"},
    {oid::kFloat4, "1e-45", "1e-45", "00000001"},
    {oid::kFloat4, "1.1754944e-38", "1.1754944e-38", "00800000"},
    {oid::kFloat4, "16777217", "1.6777216e+07", "4b800000"},
    {oid::kFloat4, "0.3", "0.3", "3e99999a"},
    {oid::kBool, "t", "t", "01"}, {oid::kBool, "f", "f", "00"}, {oid::kBool, "yes", "t", "01"},
    {oid::kBool, "off", "f", "00"}, {oid::kBool, "1", "t", "01"},
    {oid::kNumeric, "0", "0", "0000000000000000"}, {oid::kNumeric, "1", "1", "00010000000000000001"},
    {oid::kNumeric, "-1", "-1", "00010000400000000001"}, {oid::kNumeric, "12.50", "12.50", "0002000000000002000c1388"},
    {oid::kNumeric, "0.0001", "0.0001", "0001ffff000000040001"}, {oid::kNumeric, "10000", "10000", "00010001000000000001"},
    {oid::kNumeric, "123456789.123456789", "123456789.123456789", "0006000200000009000109291a8504d2162e2328"},
    {oid::kNumeric, "-0.5", "-0.5", "0001ffff400000011388"}, {oid::kNumeric, "1e10", "10000000000", "00010002000000000064"},
    {oid::kNumeric, "1.5e-3", "0.0015", "0001ffff00000004000f"}, {oid::kNumeric, "NaN", "NaN", "00000000c0000000"},
    {oid::kNumeric, "Infinity", "Infinity", "00000000d0000020"}, {oid::kNumeric, "-Infinity", "-Infinity", "00000000f0000020"},
    {oid::kNumeric, "00012.3400", "12.3400", "0002000000000004000c0d48"},
    {oid::kNumeric, "99990000", "99990000", "0001000100000000270f"},
    {oid::kNumeric, "0.00000001", "0.00000001", "0001fffe000000080001"},
    {oid::kNumeric, "-0.000", "0.000", "0000000000000003"},
    {oid::kNumeric, "1.2345678e-20", "0.000000000000000000012345678", "0003fffb0000001b000109291a7c"},
    {oid::kTimestamp, "2000-01-01 00:00:00", "2000-01-01 00:00:00", "0000000000000000"},
    {oid::kTimestamp, "1999-12-31 23:59:59.999999", "1999-12-31 23:59:59.999999", "ffffffffffffffff"},
    {oid::kTimestamp, "2024-02-29 12:34:56.5", "2024-02-29 12:34:56.5", "0002b583416e1d20"},
    {oid::kTimestamp, "1970-01-01", "1970-01-01 00:00:00", "fffca2fec4c82000"},
    {oid::kTimestamp, "0001-01-01 00:00:00", "0001-01-01 00:00:00", "ff1fe2ffc59c6000"},
    {oid::kTimestamp, "9999-12-31 23:59:59", "9999-12-31 23:59:59", "0380e70b912c3dc0"},
    {oid::kTimestamp, "infinity", "infinity", "7fffffffffffffff"},
    {oid::kTimestamp, "2024-01-01 10:00:00+02:00", "2024-01-01 10:00:00", "0002b0de36ada800"},
    {oid::kTimestamptz, "2024-01-01 10:00:00+02:00", "2024-01-01 08:00:00+00", "0002b0dc89866000"},
    {oid::kTimestamptz, "2000-01-01 00:00:00Z", "2000-01-01 00:00:00+00", "0000000000000000"},
    {oid::kTimestamptz, "2024-06-30 23:59:59.123-05:30", "2024-07-01 05:29:59.123+00", "0002bf27a8262438"},
    {oid::kDate, "2000-01-01", "2000-01-01", "00000000"}, {oid::kDate, "1999-12-31", "1999-12-31", "ffffffff"},
    {oid::kDate, "2024-02-29", "2024-02-29", "00002279"}, {oid::kDate, "0001-01-01", "0001-01-01", "fff4dbf9"},
    {oid::kDate, "9999-12-31", "9999-12-31", "002c95d3"},
    {oid::kBytea, "\\x00ff10", "\\x00ff10", "00ff10"}, {oid::kBytea, "abc", "\\x616263", "616263"},
    {oid::kBytea, "a\\\\b", "\\x615c62", "615c62"}, {oid::kBytea, "\\001\\377", "\\x01ff", "01ff"},
};
// clang-format on

std::string text_of(const SqlValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<Blob>(&v)) return "blob:" + to_hex(b->bytes);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return "int:" + std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return "real:" + std::to_string(*d);
  return "NULL";
}

std::string must(const Result<std::optional<std::string>>& r) {
  BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  BOOST_REQUIRE(r->has_value());
  return **r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_pg_types)

BOOST_AUTO_TEST_CASE(text_input_gives_postgresql_output_and_send_bytes) {
  for (const auto& v : kPostgres15) {
    BOOST_TEST_INFO(type_name(v.type) << " " << v.input);
    // The client's text parameter, bound, then read back in both formats.
    auto bound = decode_param(v.type, Format::kText, std::string(v.input));
    BOOST_REQUIRE_MESSAGE(bound.ok(), (bound.ok() ? std::string() : bound.error().message));
    BOOST_TEST(must(encode_text(v.type, *bound)) == v.text);
    BOOST_TEST(to_hex(must(encode_binary(v.type, *bound))) == to_hex(from_hex(v.hex)));
  }
}

BOOST_AUTO_TEST_CASE(binary_input_from_postgresql_round_trips) {
  for (const auto& v : kPostgres15) {
    BOOST_TEST_INFO(type_name(v.type) << " " << v.hex);
    auto bound = decode_param(v.type, Format::kBinary, from_hex(v.hex));
    BOOST_REQUIRE_MESSAGE(bound.ok(), (bound.ok() ? std::string() : bound.error().message));
    BOOST_TEST(to_hex(must(encode_binary(v.type, *bound))) == to_hex(from_hex(v.hex)));
    BOOST_TEST(must(encode_text(v.type, *bound)) == v.text);
  }
}

BOOST_AUTO_TEST_CASE(sqlite_values_in_postgresql_formats) {
  BOOST_TEST(must(encode_text(oid::kBool, std::int64_t{1})) == "t");
  BOOST_TEST(must(encode_text(oid::kBool, std::int64_t{0})) == "f");
  BOOST_TEST(must(encode_text(oid::kInt4, 42.0)) == "42");
  BOOST_TEST(must(encode_text(oid::kNumeric, 0.1)) == "0.1");
  BOOST_TEST(must(encode_text(oid::kNumeric, std::int64_t{-7})) == "-7");
  BOOST_TEST(must(encode_text(oid::kText, std::int64_t{7})) == "7");
  BOOST_TEST(must(encode_text(oid::kText, 0.5)) == "0.5");
  BOOST_TEST(must(encode_text(oid::kBytea, Blob{"\x01\xff"})) == "\\x01ff");
  BOOST_TEST(must(encode_text(oid::kText, std::string("héllo"))) == "héllo");
  // Unix seconds for numbers in timestamp columns.
  BOOST_TEST(must(encode_text(oid::kTimestamp, std::int64_t{0})) == "1970-01-01 00:00:00");
  BOOST_TEST(must(encode_text(oid::kTimestamptz, 946684800.25)) == "2000-01-01 00:00:00.25+00");
  BOOST_TEST(must(encode_text(oid::kDate, std::int64_t{86399})) == "1970-01-01");
  BOOST_TEST(must(encode_text(oid::kDate, std::string("2024-03-01 23:00:00"))) == "2024-03-01");
  BOOST_TEST(must(encode_text(oid::kTimestamp, std::string("2024-03-01T08:09:10.123Z"))) ==
             "2024-03-01 08:09:10.123");
  // Types without a known OID show the storage class.
  BOOST_TEST(must(encode_text(4242, Blob{"\x01"})) == "\\x01");
  BOOST_TEST(must(encode_text(4242, std::int64_t{5})) == "5");
  BOOST_TEST(encode_binary(4242, std::int64_t{5}).error().code == sqlstate::kFeatureNotSupported);
  // NULL is a DataRow NULL in every type.
  BOOST_TEST(!encode_text(oid::kInt4, SqlValue())->has_value());
  BOOST_TEST(!encode_binary(oid::kBytea, SqlValue())->has_value());
}

BOOST_AUTO_TEST_CASE(stored_values_the_type_cannot_hold_are_errors_not_other_values) {
  const std::pair<Oid, SqlValue> bad[] = {
      {oid::kInt4, std::string("abc")},
      {oid::kInt4, 1.5},
      {oid::kInt4, Blob{"1"}},
      {oid::kBool, std::int64_t{2}},
      {oid::kBool, std::string("maybe")},
      {oid::kFloat8, std::string("1x")},
      {oid::kNumeric, std::string("1.2.3")},
      {oid::kNumeric, Blob{"1"}},
  };
  for (const auto& [type, value] : bad) {
    BOOST_TEST_INFO(type_name(type) << " " << text_of(value));
    BOOST_TEST(encode_text(type, value).error().code == sqlstate::kInvalidTextRepresentation);
    BOOST_TEST(encode_binary(type, value).error().code == sqlstate::kInvalidTextRepresentation);
  }
  BOOST_TEST(encode_binary(oid::kInt2, std::int64_t{40000}).error().code ==
             sqlstate::kNumericValueOutOfRange);
  BOOST_TEST(encode_text(oid::kInt4, std::int64_t{1} << 40).error().code ==
             sqlstate::kNumericValueOutOfRange);
  BOOST_TEST(encode_binary(oid::kFloat4, 1e300).error().code == sqlstate::kNumericValueOutOfRange);
  BOOST_TEST(encode_text(oid::kTimestamp, std::string("2024-02-30")).error().code ==
             sqlstate::kInvalidDatetimeFormat);
  BOOST_TEST(encode_text(oid::kTimestamp, 1e15).error().code == sqlstate::kInvalidDatetimeFormat);
  BOOST_TEST(encode_text(oid::kText, Blob{"\xff"}).error().code ==
             sqlstate::kCharacterNotInRepertoire);
}

BOOST_AUTO_TEST_CASE(bind_parameters_become_engine_values) {
  BOOST_TEST(text_of(*decode_param(oid::kInt8, Format::kText, "-5")) == "int:-5");
  BOOST_TEST(text_of(*decode_param(oid::kBool, Format::kText, " TRUE ")) == "int:1");
  BOOST_TEST(text_of(*decode_param(oid::kBool, Format::kBinary, std::string("\x02"))) == "int:1");
  BOOST_TEST(text_of(*decode_param(oid::kOid, Format::kBinary, from_hex("ffffffff"))) ==
             "int:4294967295");
  BOOST_TEST(text_of(*decode_param(oid::kInt4, Format::kBinary, from_hex("ffffffff"))) == "int:-1");
  BOOST_TEST(text_of(*decode_param(oid::kFloat8, Format::kText, "1.5")) == "real:1.500000");
  BOOST_TEST(text_of(*decode_param(oid::kUnspecified, Format::kText, "x")) == "x");
  BOOST_TEST(text_of(*decode_param(oid::kUnspecified, Format::kBinary, "x")) == "x");
  BOOST_TEST(text_of(*decode_param(oid::kBytea, Format::kBinary, std::string("\0a", 2))) ==
             "blob:00 61");
  BOOST_TEST(text_of(*decode_param(oid::kTimestamptz, Format::kText, "2024-01-01 10:00+02")) ==
             "2024-01-01 08:00:00");
  BOOST_TEST(text_of(*decode_param(oid::kNumeric, Format::kText, " +1.50 ")) == "1.50");
  BOOST_TEST(std::holds_alternative<std::monostate>(
      *decode_param(oid::kInt4, Format::kText, std::nullopt)));
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_refused_with_clear_codes) {
  struct Bad {
    Oid type;
    Format format;
    std::string bytes;
    SqlState code;
    std::string_view message;
  } cases[] = {
      {oid::kInt4, Format::kText, "12a", sqlstate::kInvalidTextRepresentation,
       "invalid input syntax for type int4"},
      {oid::kInt4, Format::kText, "", sqlstate::kInvalidTextRepresentation,
       "invalid input syntax for type int4"},
      {oid::kInt2, Format::kText, "32768", sqlstate::kNumericValueOutOfRange,
       "value out of range for type int2"},
      {oid::kInt8, Format::kText, "9223372036854775808", sqlstate::kNumericValueOutOfRange,
       "value out of range for type int8"},
      {oid::kFloat8, Format::kText, "1e999", sqlstate::kInvalidTextRepresentation,
       "invalid input syntax for type float8"},
      {oid::kFloat4, Format::kText, "1e39", sqlstate::kNumericValueOutOfRange,
       "value out of range for type float4"},
      {oid::kFloat8, Format::kText, "infinit", sqlstate::kInvalidTextRepresentation,
       "invalid input syntax for type float8"},
      {oid::kBool, Format::kText, "o", sqlstate::kInvalidTextRepresentation,
       "invalid input syntax for type bool"},
      {oid::kNumeric, Format::kText, "1e1001", sqlstate::kInvalidTextRepresentation,
       "invalid input syntax for type numeric"},
      {oid::kNumeric, Format::kText, ".", sqlstate::kInvalidTextRepresentation,
       "invalid input syntax for type numeric"},
      {oid::kBytea, Format::kText, "\\x0", sqlstate::kInvalidTextRepresentation,
       "invalid input syntax for type bytea"},
      {oid::kBytea, Format::kText, "a\\9", sqlstate::kInvalidTextRepresentation,
       "invalid input syntax for type bytea"},
      {oid::kTimestamp, Format::kText, "2024-13-01", sqlstate::kInvalidDatetimeFormat,
       "invalid input syntax for type timestamp"},
      {oid::kTimestamp, Format::kText, "2024-01-01 24:00", sqlstate::kInvalidDatetimeFormat,
       "invalid input syntax for type timestamp"},
      {oid::kDate, Format::kText, "2023-02-29", sqlstate::kInvalidDatetimeFormat,
       "invalid input syntax for type date"},
      {oid::kText, Format::kText, std::string("a\0b", 3), sqlstate::kCharacterNotInRepertoire,
       "invalid byte sequence for encoding \"UTF8\""},
      {oid::kText, Format::kBinary, "\xc0\xaf", sqlstate::kCharacterNotInRepertoire,
       "invalid byte sequence for encoding \"UTF8\""},
      {oid::kVarchar, Format::kText, "\xed\xa0\x80", sqlstate::kCharacterNotInRepertoire,
       "invalid byte sequence for encoding \"UTF8\""},
      {oid::kInt4, Format::kBinary, "\x01\x02", sqlstate::kProtocolViolation,
       "incorrect binary data format for type int4 (2 bytes)"},
      {oid::kInt8, Format::kBinary, "\x01\x02\x03\x04", sqlstate::kProtocolViolation,
       "incorrect binary data format for type int8 (4 bytes)"},
      {oid::kBool, Format::kBinary, "", sqlstate::kProtocolViolation,
       "incorrect binary data format for type bool (0 bytes)"},
      {oid::kNumeric, Format::kBinary, from_hex("0001000000000000"), sqlstate::kProtocolViolation,
       "incorrect binary data format for type numeric (8 bytes)"},
      {oid::kNumeric, Format::kBinary, from_hex("00010000000000002710"),
       sqlstate::kProtocolViolation, "incorrect binary data format for type numeric (10 bytes)"},
      {oid::kNumeric, Format::kBinary, from_hex("0000000012340000"), sqlstate::kProtocolViolation,
       "incorrect binary data format for type numeric (8 bytes)"},
      {oid::kTimestamp, Format::kBinary, from_hex("7ffffffffffffffe"),
       sqlstate::kNumericValueOutOfRange, "value out of range for type timestamp"},
      {oid::kDate, Format::kBinary, from_hex("7ffffffe"), sqlstate::kNumericValueOutOfRange,
       "value out of range for type date"},
      {1186, Format::kBinary, from_hex("00"), sqlstate::kFeatureNotSupported,
       "binary format for parameter type oid 1186 is not supported"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_INFO(type_name(c.type) << " " << to_hex(c.bytes));
    auto r = decode_param(c.type, c.format, c.bytes);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == c.code);
    BOOST_TEST(r.error().message == c.message);
  }
}

BOOST_AUTO_TEST_CASE(declared_types_map_to_postgresql_oids) {
  using SC = StorageClass;
  const std::tuple<std::string_view, SC, Oid> cases[] = {
      {"INTEGER", SC::kInteger, oid::kInt4},
      {"int", SC::kInteger, oid::kInt4},
      {"BIGINT", SC::kInteger, oid::kInt8},
      {"SMALLINT", SC::kInteger, oid::kInt2},
      {"BOOLEAN", SC::kInteger, oid::kBool},
      {"REAL", SC::kReal, oid::kFloat8},
      {"DOUBLE", SC::kReal, oid::kFloat8},
      {"double  precision", SC::kReal, oid::kFloat8},
      {"FLOAT", SC::kReal, oid::kFloat8},
      {"NUMERIC(10,2)", SC::kText, oid::kNumeric},
      {"DECIMAL", SC::kReal, oid::kNumeric},
      {"TEXT", SC::kText, oid::kText},
      {"VARCHAR(20)", SC::kText, oid::kVarchar},
      {"character varying(5)", SC::kText, oid::kVarchar},
      {"CHAR", SC::kText, oid::kBpchar},
      {"CHAR(3)", SC::kText, oid::kBpchar},
      {"BLOB", SC::kBlob, oid::kBytea},
      {"BYTEA", SC::kBlob, oid::kBytea},
      {"TIMESTAMP", SC::kText, oid::kTimestamp},
      {"TIMESTAMPTZ", SC::kText, oid::kTimestamptz},
      {"timestamp with time zone", SC::kText, oid::kTimestamptz},
      {"DATE", SC::kText, oid::kDate},
      {"DATETIME", SC::kText, oid::kTimestamp},
      // SQLite's affinity rules for names we do not know
      {"UNSIGNED INTEGER", SC::kInteger, oid::kInt8},
      {"NATIVE VARCHAR", SC::kText, oid::kText},
      {"LONGTEXT", SC::kText, oid::kText},
      {"MYBLOB", SC::kBlob, oid::kBytea},
      {"FLOATING POINT", SC::kReal,
       oid::kInt8},  // "INT" wins, as in SQLite, {"POINT", SC::kInteger, oid::kInt8},
      {"MONEY", SC::kReal, oid::kFloat8},
      {"MONEY", SC::kText, oid::kText},
      // no declared type (an expression): the value's storage class
      {"", SC::kInteger, oid::kInt8},
      {"", SC::kReal, oid::kFloat8},
      {"", SC::kText, oid::kText},
      {"", SC::kBlob, oid::kBytea},
      {"", SC::kNull, oid::kText},
  };
  for (const auto& [decl, cls, expected] : cases) {
    BOOST_TEST_INFO("'" << decl << "' " << static_cast<int>(cls));
    BOOST_TEST(oid_for_declared_type(decl, cls) == expected);
  }
  BOOST_TEST(type_size(oid::kInt4) == 4);
  BOOST_TEST(type_size(oid::kText) == -1);
  BOOST_TEST(type_name(oid::kTimestamptz) == "timestamptz");
  BOOST_TEST((storage_class(SqlValue(Blob{})) == StorageClass::kBlob));
  BOOST_TEST((storage_class(SqlValue()) == StorageClass::kNull));
}

BOOST_AUTO_TEST_SUITE_END()
