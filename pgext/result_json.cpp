#include "pgext/result_json.h"

#include <nlohmann/json.hpp>

namespace dbvault::pgext {

std::vector<std::string> rows_as_json(const vault::StatementResult& result) {
  std::vector<std::string> out;
  out.reserve(result.rows.size());
  for (const auto& row : result.rows) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string name = i < result.columns.size() ? result.columns[i] : std::to_string(i);
      j[name] = row[i];
    }
    out.push_back(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  }
  return out;
}

}  // namespace dbvault::pgext
