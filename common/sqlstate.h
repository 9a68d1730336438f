// SQLSTATE codes used by dbvault. Every error a user can see carries one of these; the
// table in docs/errors.md says when each is returned. Thread-safe: constants only.
#pragma once

#include <array>
#include <ostream>
#include <string_view>

namespace dbvault {

// A five-character SQLSTATE, as PostgreSQL clients expect in the 'C' field of ErrorResponse.
class SqlState {
 public:
  constexpr explicit SqlState(std::string_view code) : code_{} {
    for (std::size_t i = 0; i < 5 && i < code.size(); ++i) code_[i] = code[i];
  }
  constexpr std::string_view code() const { return {code_.data(), 5}; }
  constexpr bool operator==(const SqlState&) const = default;

 private:
  std::array<char, 5> code_;
};

inline std::ostream& operator<<(std::ostream& os, const SqlState& s) { return os << s.code(); }

namespace sqlstate {
inline constexpr SqlState kSuccess{"00000"};
inline constexpr SqlState kInsufficientPrivilege{"42501"};
inline constexpr SqlState kInvalidPassword{"28P01"};
inline constexpr SqlState kInvalidAuthorization{"28000"};
inline constexpr SqlState kSyntaxError{"42601"};
inline constexpr SqlState kUndefinedObject{"42704"};
inline constexpr SqlState kUndefinedColumn{"42703"};
inline constexpr SqlState kUndefinedTable{"42P01"};
inline constexpr SqlState kUndefinedFunction{"42883"};
inline constexpr SqlState kDatatypeMismatch{"42804"};
inline constexpr SqlState kDuplicateObject{"42710"};
inline constexpr SqlState kInvalidParameterValue{"22023"};
inline constexpr SqlState kInvalidDatetimeFormat{"22007"};
inline constexpr SqlState kNumericValueOutOfRange{"22003"};
inline constexpr SqlState kCharacterNotInRepertoire{"22021"};
inline constexpr SqlState kInvalidEscapeSequence{"22025"};
inline constexpr SqlState kInvalidTextRepresentation{"22P02"};
inline constexpr SqlState kInvalidObjectDefinition{"42P17"};
inline constexpr SqlState kProgramLimitExceeded{"54000"};
inline constexpr SqlState kStatementTooComplex{"54001"};
inline constexpr SqlState kObjectNotInPrerequisiteState{"55000"};
inline constexpr SqlState kDependentObjectsStillExist{"2BP01"};
inline constexpr SqlState kFeatureNotSupported{"0A000"};
inline constexpr SqlState kSystemError{"58000"};
inline constexpr SqlState kIoError{"58030"};
inline constexpr SqlState kProtocolViolation{"08P01"};
inline constexpr SqlState kDataCorrupted{"XX001"};
inline constexpr SqlState kInternalError{"XX000"};
}  // namespace sqlstate

}  // namespace dbvault
