// Reads the declarative grammar cases in tests/grammar/cases/*.cases:
//   ## ok <canonical form>                          followed by SQL that must parse
//   ## error <SQLSTATE> @<position> <message part>  followed by SQL that must fail
// Lines starting with '#' (but not '##') are comments; the SQL runs to the next "##" line.
// "<0xff>" in SQL stands for the byte 0xFF (to test encoding errors).
#pragma once

#include <string>
#include <vector>

namespace dbvault::test {

struct GrammarCase {
  std::string file;
  int line = 0;        // of the "##" header
  bool expect_ok = false;
  std::string expected;  // canonical form, or message part
  std::string sqlstate;  // errors only
  int position = 0;      // errors only
  std::string sql;
};

std::vector<GrammarCase> read_cases(const std::string& path);

}  // namespace dbvault::test
