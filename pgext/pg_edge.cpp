#include "pgext/pg_edge.h"

#include <algorithm>
#include <cstring>

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"


}
// clang-format on

namespace dbvault::pgext {
namespace {

template <std::size_t N>
void copy_text(const std::string& from, char (&to)[N]) noexcept {
  std::size_t n = std::min(from.size(), N - 1);
  // Do not cut a UTF-8 sequence: back up over continuation bytes.
  while (n > 0 && n < from.size() && (static_cast<unsigned char>(from[n]) & 0xC0) == 0x80) --n;
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

}  // namespace

void store_error(const Error& e, EdgeError& out) noexcept {
  out.set = true;
  const std::string_view code = e.code.code();
  std::memcpy(out.sqlstate, code.data(), 5);
  out.sqlstate[5] = '\0';
  copy_text(e.message, out.message);
  copy_text(e.detail, out.detail);
  copy_text(e.hint, out.hint);
}

void raise(const EdgeError& e) {
  const char* s = e.sqlstate;
  const int code = MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4]);
  ereport(ERROR, (errcode(code), errmsg("%s", e.message),
                  e.detail[0] != '\0' ? errdetail("%s", e.detail) : 0,
                  e.hint[0] != '\0' ? errhint("%s", e.hint) : 0));
  pg_unreachable();
}

}  // namespace dbvault::pgext
