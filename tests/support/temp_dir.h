// TempDir: a fresh directory under the system temp dir for one test, removed (recursively)
// on destruction. Shared by every suite (tests/support is linked as dbvault_test_support).
#pragma once

#include <filesystem>
#include <string_view>

namespace dbvault::test {

class TempDir {
 public:
  explicit TempDir(std::string_view tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace dbvault::test
