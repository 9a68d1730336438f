// Literal stripping for query text kept in audit records: a statement's shape is evidence, its
// literals may be secrets (UNLOCK REALM r PASSWORD '...') or protected values (WHERE ssn = ...).
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace dbvault::audit {

// Returns `sql` with every literal replaced by '?': '...' strings (with '' escapes, and the
// E'', B'', X'', N'' prefixed forms), $tag$...$tag$ dollar-quoted strings, and numbers not part
// of an identifier. Comments (-- and /* */, nested) are removed; runs of whitespace become one
// space. Identifiers ("quoted" ones too), keywords, operators and $n parameters are kept.
// Never fails: an unterminated literal or comment is dropped to the end of the text.
std::string strip_literals(std::string_view sql);

}  // namespace dbvault::audit
