#include "tests/support/temp_dir.h"

#include <unistd.h>

#include <random>
#include <string>

namespace dbvault::test {

TempDir::TempDir(std::string_view tag) {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("dbvault_" + std::string(tag) + "_" + std::to_string(::getpid()) + "_" +
           std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace dbvault::test
