// The boundary between PostgreSQL's C and the module's C++ (the only place they meet):
//
//   - C++ runs only inside run_guarded(): every exception is caught there and a failed Status
//     is copied into an EdgeError, a plain struct in static storage, so no C++ object is
//     alive once it returns;
//   - PostgreSQL functions (which may ereport, i.e. longjmp) are called only from frames that
//     hold no C++ object with a destructor — the extern "C" entry points and the plain
//     helpers they call — never from inside run_guarded();
//   - raise() turns an EdgeError into ereport(ERROR) at the edge.
// So no exception crosses into PostgreSQL and no longjmp crosses a C++ frame.
//
// Values that C++ hands to the edge (rows, names) live in backend-lifetime storage
// (BackendState, module.h), never in a frame the edge could longjmp out of.
// Thread-safety: a backend has one thread.
#pragma once

#include <exception>

#include "common/result.h"

namespace dbvault::pgext {

struct EdgeError {
  bool set = false;
  char sqlstate[6] = {};
  char message[1024] = {};
  char detail[1024] = {};
  char hint[512] = {};
};

// Copies `e` into `out` (each text cut at a UTF-8 character boundary if too long).
void store_error(const Error& e, EdgeError& out) noexcept;

// Runs `f` (returning Status); on an error or an exception, fills `out` and returns false.
template <typename F>
bool run_guarded(EdgeError& out, F&& f) noexcept {
  out.set = false;
  try {
    Status s = f();
    if (s.ok()) return true;
    store_error(s.error(), out);
  } catch (const std::exception& ex) {
    store_error(make_error(sqlstate::kInternalError, std::string("dbvault: ") + ex.what()), out);
  } catch (...) {
    store_error(make_error(sqlstate::kInternalError, "dbvault: unexpected exception"), out);
  }
  return false;
}

// ereport(ERROR) with the error's SQLSTATE, message, detail and hint. Does not return.
// REQUIRES: no C++ object with a non-trivial destructor alive between the caller and
// PostgreSQL (call it from the extern "C" entry point itself).
[[noreturn]] void raise(const EdgeError& e);

}  // namespace dbvault::pgext
