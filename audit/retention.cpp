#include "audit/retention.h"

#include <chrono>

namespace dbvault::audit {

int default_retention_years(EventType type) {
  return type == EventType::kEmergencyAccess ? 10 : 7;
}

RetentionPolicy::RetentionPolicy() {
  for (EventType t : all_event_types()) years_[t] = default_retention_years(t);
}

Result<RetentionPolicy> RetentionPolicy::with_overrides(const std::map<EventType, int>& years) {
  RetentionPolicy policy;
  for (const auto& [type, y] : years) {
    if (y < default_retention_years(type)) {
      return make_error(sqlstate::kInvalidParameterValue,
                        "retention of " + std::string(event_type_name(type)) +
                            " cannot be shortened below " +
                            std::to_string(default_retention_years(type)) + " years");
    }
    if (y > 100) {
      return make_error(sqlstate::kInvalidParameterValue, "retention longer than 100 years");
    }
    policy.years_[type] = y;
  }
  return policy;
}

std::string RetentionPolicy::class_name(EventType type) const {
  return std::to_string(years(type)) + "y";
}

Timestamp RetentionPolicy::retain_until(EventType type, Timestamp t) const {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const auto time_of_day = t - day;
  year_month_day ymd{day};
  ymd = ymd + std::chrono::years(years(type));
  // 29 February in a non-leap year: the day after 28 February.
  const sys_days target = ymd.ok() ? sys_days(ymd) : sys_days(ymd.year() / ymd.month() / 28) + days(1);
  return target + time_of_day;
}

}  // namespace dbvault::audit
