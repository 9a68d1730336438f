#include "pgext/redaction.h"

#include <algorithm>
#include <cctype>

#include "audit/query_normalizer.h"

namespace dbvault::pgext {

bool mentions_vault(std::string_view sql) {
  constexpr std::string_view kName = "dbvault";
  const auto it =
      std::search(sql.begin(), sql.end(), kName.begin(), kName.end(),
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  return it != sql.end();
}

std::string redact(std::string_view text) { return audit::strip_literals(text); }

}  // namespace dbvault::pgext
