#include "audit/log.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "audit/log_writer.h"

namespace dbvault::audit {
namespace {

// A generous bound on the canonical JSON of a valid event, to refuse events whose record
// could not fit in one segment.
std::size_t estimated_size(const Event& e) {
  return 1024 + e.user.size() + e.realm.size() + e.ip_address.size() + e.session_id.size() +
         e.vault_password_id.size() +
         e.detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size() * 6 / 5;
}

Event actor_event(EventType type, const Actor& actor) {
  Event e;
  e.type = type;
  e.user = actor.user;
  e.ip_address = actor.ip_address;
  e.session_id = actor.session_id;
  return e;
}

// Types only the log itself writes.
bool log_only(EventType type) {
  return type == EventType::kAuditHold || type == EventType::kAuditPurge ||
         type == EventType::kAuditAnchor;
}

bool held(const std::map<std::string, Hold>& holds, Timestamp t) {
  return std::any_of(holds.begin(), holds.end(), [t](const auto& h) {
    return h.second.spec.from <= t && t <= h.second.spec.to;
  });
}

}  // namespace

Log::Log(LogOptions options, crypto::SecretBytes anchor_key, std::shared_ptr<LogReader> reader,
         std::unique_ptr<Writer> writer)
    : options_(std::move(options)),
      anchor_key_(std::move(anchor_key)),
      reader_(std::move(reader)),
      writer_(std::move(writer)) {}

Log::~Log() = default;

Result<std::unique_ptr<Log>> Log::open(LogOptions options, AuditKeys keys) {
  if (options.clock == nullptr) {
    return make_error(sqlstate::kInvalidParameterValue, "audit log: a clock is required");
  }
  if (options.segment_bytes < (64 << 10) || options.max_batch == 0) {
    return make_error(sqlstate::kInvalidParameterValue, "audit log: segments must be >= 64 KiB");
  }
  auto reader_keys = keys.clone();
  auto anchor_key = keys.anchor_key.clone();
  auto writer = Writer::open(options, std::move(keys));
  if (!writer) return std::move(writer).error();
  auto reader = std::make_shared<LogReader>(options.dir, std::move(reader_keys));
  std::unique_ptr<Log> log(
      new Log(std::move(options), std::move(anchor_key), std::move(reader), std::move(*writer)));
  DBV_RETURN_IF_ERROR(log->record_accepted_tail());
  return log;
}

Result<std::uint64_t> Log::append(Event event) {
  if (log_only(event.type)) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "audit_hold, audit_purge and audit_anchor records are written by the audit "
                      "log only");
  }
  return enqueue(std::move(event), false);
}

Result<std::uint64_t> Log::append_sync(Event event) {
  if (log_only(event.type)) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "audit_hold, audit_purge and audit_anchor records are written by the audit "
                      "log only");
  }
  return enqueue(std::move(event), true);
}

Result<std::uint64_t> Log::enqueue(Event event, bool sync) {
  event = normalise_event(std::move(event));
  DBV_RETURN_IF_ERROR(validate_event(event));
  if (estimated_size(event) + 256 > options_.segment_bytes) {
    return make_error(sqlstate::kInvalidParameterValue, "audit event too large");
  }
  return writer_->submit(std::move(event), sync);
}

Status Log::flush() { return writer_->flush(); }
std::uint64_t Log::durable_seq() const { return writer_->durable_seq(); }
Status Log::health() const { return writer_->health(); }

Status Log::scan(const ScanOptions& options, const RecordVisitor& visit) const {
  return reader_->scan_bounded(options, writer_->durable_seq(), visit);
}

Status Log::load_holds() {
  if (holds_loaded_) return ok_status();
  std::map<std::string, Hold> holds;
  Status parse_error;
  auto st = scan({}, [&](const Record& r) {
    if (r.event.type != EventType::kAuditHold) return true;
    const auto& d = r.event.detail;
    const std::string name = d.value("hold", "");
    if (d.value("action", "") == "drop") {
      holds.erase(name);
      return true;
    }
    Hold h;
    h.spec.name = name;
    h.spec.reason = d.value("reason", "");
    h.created_by = r.event.user;
    h.created_at = r.timestamp;
    h.seq = r.seq;
    auto from_ts = parse_time(d.value("from", ""));
    auto to_ts = parse_time(d.value("to", ""));
    if (!from_ts || !to_ts) {
      parse_error = make_error(sqlstate::kDataCorrupted, "audit_hold record with a bad range");
      return false;
    }
    h.spec.from = *from_ts;
    h.spec.to = *to_ts;
    holds[name] = std::move(h);
    return true;
  });
  DBV_RETURN_IF_ERROR(st);
  DBV_RETURN_IF_ERROR(parse_error);
  holds_ = std::move(holds);
  holds_loaded_ = true;
  return ok_status();
}

Result<std::uint64_t> Log::add_hold(const HoldSpec& hold, const Actor& actor) {
  if (hold.name.empty() || hold.name.size() > 128) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "an audit hold needs a name (1..128 bytes)");
  }
  if (hold.from > hold.to) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "audit hold " + hold.name + ": FROM is after TO");
  }
  std::lock_guard lock(holds_mu_);
  DBV_RETURN_IF_ERROR(load_holds());
  if (holds_.count(hold.name)) {
    return make_error(sqlstate::kDuplicateObject, "audit hold " + hold.name + " already exists");
  }
  Event e = actor_event(EventType::kAuditHold, actor);
  e.detail = {{"action", "create"},
              {"hold", hold.name},
              {"from", format_time(hold.from)},
              {"to", format_time(hold.to)},
              {"reason", hold.reason}};
  auto seq = enqueue(std::move(e), true);
  if (!seq) return seq;
  holds_[hold.name] =
      Hold{hold, actor.user, std::chrono::floor<std::chrono::seconds>(options_.clock->now()), *seq};
  return seq;
}

Result<std::uint64_t> Log::drop_hold(const std::string& name, const Actor& actor, bool if_exists) {
  std::lock_guard lock(holds_mu_);
  DBV_RETURN_IF_ERROR(load_holds());
  if (!holds_.count(name)) {
    if (if_exists) return std::uint64_t{0};
    return make_error(sqlstate::kUndefinedObject, "audit hold " + name + " does not exist");
  }
  Event e = actor_event(EventType::kAuditHold, actor);
  e.detail = {{"action", "drop"}, {"hold", name}};
  auto seq = enqueue(std::move(e), true);
  if (!seq) return seq;
  holds_.erase(name);
  return seq;
}

Result<std::vector<Hold>> Log::holds() {
  std::lock_guard lock(holds_mu_);
  DBV_RETURN_IF_ERROR(load_holds());
  std::vector<Hold> out;
  for (const auto& [name, h] : holds_) out.push_back(h);
  return out;
}

Result<PurgeReport> Log::purge(const Actor& actor) {
  std::lock_guard lock(holds_mu_);
  DBV_RETURN_IF_ERROR(load_holds());
  DBV_RETURN_IF_ERROR(flush());
  PurgeReport report;
  report.cutoff = std::chrono::floor<std::chrono::seconds>(options_.clock->now());
  std::vector<std::uint64_t> hold_records;
  for (const auto& [name, h] : holds_) hold_records.push_back(h.seq);
  std::vector<std::uint64_t> seqs;
  std::uint64_t ranges = 0;
  DBV_RETURN_IF_ERROR(scan({}, [&](const Record& r) {
    if (r.retain_until >= report.cutoff || held(holds_, r.timestamp) ||
        std::find(hold_records.begin(), hold_records.end(), r.seq) != hold_records.end()) {
      return true;
    }
    if (seqs.empty() || seqs.back() + 1 != r.seq) ++ranges;
    seqs.push_back(r.seq);
    return true;
  }));
  std::string hold_names;
  for (const auto& [name, h] : holds_) hold_names += (hold_names.empty() ? "" : ",") + name;
  Event e = actor_event(EventType::kAuditPurge, actor);
  e.detail = {{"purged", seqs.size()},
              {"first_seq", seqs.empty() ? 0 : seqs.front()},
              {"last_seq", seqs.empty() ? 0 : seqs.back()},
              {"ranges", ranges},
              {"cutoff", format_time(report.cutoff)},
              {"holds", hold_names}};
  auto purge_seq = enqueue(std::move(e), true);
  if (!purge_seq) return std::move(purge_seq).error();
  report.purge_seq = *purge_seq;
  // The purge record is durable first: a crash from here on leaves records that the next
  // purge removes, never a removal without its record.
  DBV_RETURN_IF_ERROR(writer_->rewrite_for_purge(seqs, report.purge_seq));
  report.purged = seqs.size();
  spdlog::info("audit: purge seq {} removed {} records", report.purge_seq, report.purged);
  return report;
}

Result<VerifyReport> Log::verify() {
  DBV_RETURN_IF_ERROR(flush());
  // Every record this log acknowledged so far must still be there: a store rolled back under
  // the running process (older HEAD and segments put back) would otherwise verify as a shorter,
  // intact chain until the next write.
  const std::uint64_t acknowledged = durable_seq();
  auto report = reader_->verify();
  if (report && report->ok && report->last_seq < acknowledged) {
    report->ok = false;
    report->first_bad_seq = report->last_seq + 1;
    report->problem = "the log ends at seq " + std::to_string(report->last_seq) +
                      ", but this server acknowledged records up to seq " +
                      std::to_string(acknowledged) + " (the store was rolled back or cut)";
  }
  if (report && !report->ok && options_.alerts) {
    auto s = options_.alerts->deliver(Alert{"audit_verify_failed",
                                            "audit chain broken at seq " +
                                                std::to_string(report->first_bad_seq) + ": " +
                                                report->problem,
                                            {}});
    if (!s) spdlog::warn("audit: alert not delivered: {}", s.error().message);
  }
  return report;
}

}  // namespace dbvault::audit
