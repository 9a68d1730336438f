// COPY's text and CSV row formats, both directions, against PostgreSQL's rules.
#include "server/session/copy_format.h"

#include <boost/test/unit_test.hpp>

using namespace dbvault;
using namespace dbvault::server;
using session::CopyField;

namespace {

pgcompat::CopySpec text_spec() { return pgcompat::CopySpec{}; }

pgcompat::CopySpec csv_spec() {
  pgcompat::CopySpec s;
  s.format = pgcompat::CopySpec::Format::kCsv;
  s.delimiter = ',';
  s.null_string = "";
  return s;
}

std::vector<std::vector<CopyField>> parse_all(const pgcompat::CopySpec& spec,
                                              const std::vector<std::string>& chunks) {
  session::CopyRowParser p(spec);
  std::vector<std::vector<CopyField>> rows;
  for (std::size_t i = 0; i <= chunks.size(); ++i) {
    if (i < chunks.size()) p.feed(chunks[i]);
    const bool at_end = i == chunks.size();
    for (;;) {
      auto r = p.next(at_end);
      BOOST_REQUIRE(r.ok());
      if (!*r) break;
      rows.push_back(std::move(**r));
    }
  }
  return rows;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(copy_format)

BOOST_AUTO_TEST_CASE(text_escapes_and_null) {
  const auto spec = text_spec();
  const std::vector<CopyField> row{std::string("a\tb\\c\nd"), std::nullopt, std::string("\\N")};
  const std::string line = session::format_copy_row(spec, row);
  BOOST_TEST(line == "a\\tb\\\\c\\nd\t\\N\t\\\\N\n");
  const auto back = parse_all(spec, {line});
  BOOST_REQUIRE(back.size() == 1u);
  BOOST_TEST((back[0] == row));
}

BOOST_AUTO_TEST_CASE(text_rows_split_across_chunks_and_end_marker) {
  const auto rows = parse_all(text_spec(), {"1\tal", "ice\n2\t", "bob\n\\.\n3\tignored\n"});
  BOOST_REQUIRE(rows.size() == 2u);
  BOOST_TEST(*rows[0][1] == "alice");
  BOOST_TEST(*rows[1][0] == "2");
}

BOOST_AUTO_TEST_CASE(csv_quotes_multiline_and_null) {
  const auto spec = csv_spec();
  const std::vector<CopyField> row{std::string("x,y"), std::string(""), std::nullopt,
                                   std::string("say \"hi\"\nthere")};
  const std::string line = session::format_copy_row(spec, row);
  BOOST_TEST(line == "\"x,y\",\"\",,\"say \"\"hi\"\"\nthere\"\n");
  const auto back = parse_all(spec, {line.substr(0, 15), line.substr(15)});
  BOOST_REQUIRE(back.size() == 1u);
  BOOST_TEST((back[0] == row));
}

BOOST_AUTO_TEST_CASE(csv_header_is_skipped_and_unterminated_quote_fails) {
  auto spec = csv_spec();
  spec.header = true;
  const auto rows = parse_all(spec, {"id,name\n1,a\n"});
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(*rows[0][0] == "1");
  session::CopyRowParser p(csv_spec());
  p.feed("1,\"open");
  auto r = p.next(true);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == SqlState{"22P04"});
}

BOOST_AUTO_TEST_SUITE_END()
