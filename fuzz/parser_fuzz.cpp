// libFuzzer target for the splitter, the classifier and the parser. Besides "no crash, no
// sanitizer report", it checks the printer/parser contract on every statement that parses:
// parse(to_sql(s, reveal)) == s. Build and run with scripts/fuzz (docs/building.md).
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string_view>

#include "grammar/grammar.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dbvault;
  const std::string_view script(reinterpret_cast<const char*>(data), size);
  for (const auto& statement : grammar::split_statements(script)) {
    if (script.substr(statement.offset, statement.text.size()) != statement.text) std::abort();
    (void)grammar::classify(statement.text);
    auto parsed = grammar::parse_at(script, statement);
    if (!parsed.ok()) {
      const Error& e = parsed.error();
      if (e.message.empty() || e.position < 0) std::abort();
      continue;
    }
    const std::string printed = grammar::to_sql(*parsed, grammar::Secrets::kReveal);
    auto again = grammar::parse(printed);
    if (!again.ok() || !(*again == *parsed)) {
      std::fprintf(stderr, "round trip failed:\n  in:  %.*s\n  out: %s\n  err: %s\n",
                   static_cast<int>(statement.text.size()), statement.text.data(), printed.c_str(),
                   again.ok() ? "(different AST)" : again.error().message.c_str());
      std::abort();
    }
  }
  (void)grammar::parse_script(script);
  return 0;
}
