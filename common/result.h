// Result<T> and Status: the one error type of the code base. No exception crosses a component
// boundary; errors from ANTLR, OpenSSL, SQLite and the OS are translated where they occur.
//
// An Error carries a SQLSTATE and a message fit for a user: it never holds a password, a
// token, key material or ciphertext. Thread-safety: values, no shared state.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "common/sqlstate.h"

namespace dbvault {

struct Error {
  SqlState code{sqlstate::kInternalError};
  std::string message;
  std::string detail;  // optional second line (PostgreSQL 'D' field)
  std::string hint;    // optional advice (PostgreSQL 'H' field)
  int position = 0;    // 1-based character position in the statement text; 0 = none

  bool operator==(const Error&) const = default;
};

inline Error make_error(SqlState code, std::string message) {
  return Error{code, std::move(message), {}, {}, 0};
}

// Holds either a T or an Error. REQUIRES: value() only when ok(), error() only when !ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Success or an Error, for operations that return nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { assert(!ok_); return error_; }
  Error&& error() && { assert(!ok_); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace dbvault

// Propagates the error of an expression returning Status/Result; evaluates it once.
#define DBV_RETURN_IF_ERROR(expr)                       \
  do {                                                  \
    auto dbv_status_ = (expr);                          \
    if (!dbv_status_.ok()) return std::move(dbv_status_).error(); \
  } while (0)
