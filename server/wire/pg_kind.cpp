#include "server/wire/pg_kind.h"

namespace dbvault::server::wire::internal::kinds {

Kind kind_of(Oid type) {
  switch (type) {
    case oid::kInt2:
    case oid::kInt4:
    case oid::kInt8:
    case oid::kOid:
      return Kind::kInt;
    case oid::kFloat4:
      return Kind::kFloat4;
    case oid::kFloat8:
      return Kind::kFloat8;
    case oid::kBool:
      return Kind::kBool;
    case oid::kNumeric:
      return Kind::kNumeric;
    case oid::kText:
    case oid::kVarchar:
    case oid::kBpchar:
    case oid::kName:
    case oid::kChar:
    case oid::kJson:
    case oid::kUnknown:
    case oid::kUnspecified:
      return Kind::kText;
    case oid::kBytea:
      return Kind::kBytea;
    case oid::kTimestamp:
      return Kind::kTimestamp;
    case oid::kTimestamptz:
      return Kind::kTimestamptz;
    case oid::kDate:
      return Kind::kDate;
    default:
      return Kind::kOther;
  }
}

Range range_of(Oid type) {
  switch (type) {
    case oid::kInt2:
      return {INT16_MIN, INT16_MAX};
    case oid::kInt4:
      return {INT32_MIN, INT32_MAX};
    case oid::kOid:
      return {0, UINT32_MAX};
    default:
      return {INT64_MIN, INT64_MAX};
  }
}

Error invalid(Oid type) {
  return make_error(sqlstate::kInvalidTextRepresentation,
                    "invalid input syntax for type " + std::string(type_name(type)));
}
Error out_of_range(Oid type) {
  return make_error(sqlstate::kNumericValueOutOfRange,
                    "value out of range for type " + std::string(type_name(type)));
}
Error bad_binary(Oid type, std::size_t got) {
  return make_error(sqlstate::kProtocolViolation, "incorrect binary data format for type " +
                                                      std::string(type_name(type)) + " (" +
                                                      std::to_string(got) + " bytes)");
}
Error not_text() {
  return make_error(sqlstate::kCharacterNotInRepertoire,
                    "invalid byte sequence for encoding \"UTF8\"");
}

}  // namespace dbvault::server::wire::internal::kinds
