#include "common/file_offset_clock.h"

#include <fstream>

namespace dbvault {

TimePoint FileOffsetClock::now() const {
  long long seconds = 0;
  std::ifstream in(file_);
  if (!(in >> seconds)) seconds = 0;
  return system_.now() + std::chrono::seconds(seconds);
}

}  // namespace dbvault
