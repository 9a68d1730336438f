// Helpers of the wire test suite: protocol bytes written as hex in the tests.
#pragma once

#include <string>
#include <string_view>

namespace dbvault::server::wire::test {

// Bytes from hex digits; spaces, newlines and '|' separators are ignored, so a vector can be
// laid out field by field. Aborts the test binary on an odd digit count or a non-hex char.
std::string from_hex(std::string_view hex);
// Lower-case hex, one space between bytes (for readable failure messages).
std::string to_hex(std::string_view bytes);
// "\x00" etc. are awkward in literals: the bytes of `text` followed by one NUL.
std::string cstr(std::string_view text);

}  // namespace dbvault::server::wire::test
