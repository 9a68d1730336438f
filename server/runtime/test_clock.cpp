#include "server/runtime/test_clock.h"

#include <fstream>

namespace dbvault::server {

TimePoint FileOffsetClock::now() const {
  long long seconds = 0;
  std::ifstream in(file_);
  if (!(in >> seconds)) seconds = 0;
  return system_.now() + std::chrono::seconds(seconds);
}

}  // namespace dbvault::server
