#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/log.h"

using namespace dbvault;

BOOST_AUTO_TEST_CASE(json_log_lines_are_valid_json_with_escaped_messages) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("dbvault_log_test_" + std::to_string(::getpid()) + ".log");
  LogOptions options;
  options.format = LogFormat::kJson;
  options.file = path.string();
  BOOST_REQUIRE(init_logging(options).ok());
  spdlog::info("realm \"pii\" said\nhello\t\x01");
  spdlog::default_logger()->flush();
  std::ifstream in(path);
  std::string line;
  BOOST_REQUIRE(std::getline(in, line));
  const auto doc = nlohmann::json::parse(line);
  BOOST_TEST(doc.at("level").get<std::string>() == "info");
  BOOST_TEST(doc.at("msg").get<std::string>() == "realm \"pii\" said\nhello\t\x01");
  BOOST_TEST(!std::getline(in, line));  // one event, one line
  spdlog::drop_all();
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(unknown_log_level_and_format_are_refused) {
  LogOptions options;
  options.level = "verbose";
  auto s = init_logging(options);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == sqlstate::kInvalidParameterValue);
  BOOST_TEST(!parse_log_format("xml").ok());
  BOOST_TEST((*parse_log_format("json") == LogFormat::kJson));
}
