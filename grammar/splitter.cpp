#include "grammar/splitter.h"

#include "grammar/sql_scanner.h"

namespace dbvault::grammar {
namespace {

// What the splitter knows about the statement being collected.
struct Pending {
  bool empty = true;
  std::size_t start = 0;
  std::size_t end = 0;
  int words = 0;
  bool create = false;   // first word is CREATE
  bool temp = false;     // CREATE TEMP|TEMPORARY
  bool trigger = false;  // CREATE [TEMP] TRIGGER: only "END;" ends it
  SqlToken previous;

  void add(const SqlToken& t) {
    if (empty) {
      start = t.offset;
      empty = false;
    }
    end = t.offset + t.text.size();
    if (t.kind == SqlToken::Kind::kWord) {
      ++words;
      if (words == 1) create = t.is("CREATE");
      if (words == 2 && create) temp = t.is("TEMP") || t.is("TEMPORARY");
      if (create && t.is("TRIGGER") && (words == 2 || (words == 3 && temp))) trigger = true;
    }
    previous = t;
  }
  bool ends_at_semicolon() const { return !trigger || previous.is("END"); }
};

}  // namespace

std::vector<StatementText> split_statements(std::string_view script) {
  std::vector<StatementText> out;
  SqlScanner scanner(script);
  Pending p;
  for (SqlToken t = scanner.next(); t.kind != SqlToken::Kind::kEnd; t = scanner.next()) {
    if (t.is_punct(';') && p.ends_at_semicolon()) {
      if (!p.empty) out.push_back({script.substr(p.start, p.end - p.start), p.start});
      p = Pending{};
      continue;
    }
    p.add(t);
  }
  if (!p.empty) {
    if (scanner.saw_unterminated_comment()) p.end = script.size();
    out.push_back({script.substr(p.start, p.end - p.start), p.start});
  }
  return out;
}

}  // namespace dbvault::grammar
