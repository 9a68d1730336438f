// Retention classes as data: how many calendar years each event type is kept. The defaults are
// the design's (7 years; emergency_access 10 years). A deployment may lengthen them, never
// shorten: a RetentionPolicy that would keep any type for less than its default is refused.
// Thread-safety: a value type.
#pragma once

#include <map>
#include <string>

#include "audit/event.h"
#include "common/result.h"

namespace dbvault::audit {

class RetentionPolicy {
 public:
  // The defaults: every type 7 years, emergency_access 10 years.
  RetentionPolicy();

  // A policy with `years` per type overriding the defaults (types not named keep theirs).
  // 22023 if a type would get fewer years than its default, or more than 100.
  static Result<RetentionPolicy> with_overrides(const std::map<EventType, int>& years);

  int years(EventType type) const { return years_.at(type); }
  // "7y", "10y", ...: the stored retention_class of `type`.
  std::string class_name(EventType type) const;
  // `t` plus the type's years in calendar years (29 February maps to 1 March).
  Timestamp retain_until(EventType type, Timestamp t) const;

 private:
  std::map<EventType, int> years_;
};

// The default number of years of `type`.
int default_retention_years(EventType type);

}  // namespace dbvault::audit
