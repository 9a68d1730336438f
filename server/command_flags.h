// Flags of the dbvault subcommands: "--name value" and "--switch", each allowed at most once.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dbvault::server {

struct ParsedFlags {
  std::map<std::string, std::string, std::less<>> values;
  std::set<std::string, std::less<>> switches;

  std::optional<std::string> get(std::string_view name) const {
    const auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  bool has(std::string_view name) const { return switches.contains(name); }
};

// nullopt and `problem` set for an unknown flag, a missing value or a repeated flag.
std::optional<ParsedFlags> parse_flags(const std::vector<std::string_view>& args,
                                       const std::set<std::string_view>& with_value,
                                       const std::set<std::string_view>& without_value,
                                       std::string& problem);

}  // namespace dbvault::server
