// The first keywords of a statement, upper-cased, skipping whitespace, comments and '(' —
// enough to name a command (command tags, the aborted-transaction check).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dbvault::server::session {

std::vector<std::string> leading_words(std::string_view sql, std::size_t count);

}  // namespace dbvault::server::session
