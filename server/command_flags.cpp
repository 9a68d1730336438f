#include "server/command_flags.h"

namespace dbvault::server {

std::optional<ParsedFlags> parse_flags(const std::vector<std::string_view>& args,
                                       const std::set<std::string_view>& with_value,
                                       const std::set<std::string_view>& without_value,
                                       std::string& problem) {
  ParsedFlags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string name(args[i]);
    if (without_value.contains(args[i])) {
      if (!flags.switches.insert(name).second) {
        problem = name + " given twice";
        return std::nullopt;
      }
    } else if (with_value.contains(args[i])) {
      if (i + 1 >= args.size()) {
        problem = name + " needs a value";
        return std::nullopt;
      }
      if (!flags.values.emplace(name, std::string(args[++i])).second) {
        problem = name + " given twice";
        return std::nullopt;
      }
    } else {
      problem = "unknown argument " + name;
      return std::nullopt;
    }
  }
  return flags;
}

}  // namespace dbvault::server
