#include "pgext/audit_queue.h"

#include <cstring>
#include <new>
#include <nlohmann/json.hpp>
#include <thread>

namespace dbvault::pgext {
namespace {

using Clock = std::chrono::steady_clock;

enum WorkerState : std::uint32_t { kNone = 0, kRunning = 1, kFailed = 2 };

Error unavailable(const std::string& why) { return make_error(sqlstate::kSystemError, why); }

// Sleeps a little longer each time (10 µs .. 1 ms): waits here are short and rare.
void back_off(int& round) {
  std::this_thread::sleep_for(std::chrono::microseconds(std::min(10 << std::min(round, 7), 1000)));
  ++round;
}

}  // namespace

struct AuditQueue::Shared {
  struct Slot {
    std::atomic<std::uint64_t> turn;  // pos: free for the producer at pos; pos + 1: full
    std::uint32_t length;
    bool durable;
    char payload[kPayloadBytes];
  };
  std::atomic<std::uint64_t> head;   // next position a producer takes
  std::atomic<std::uint64_t> acked;  // every record before it is stored
  std::atomic<std::uint32_t> state;
  std::uint64_t tail;  // next position the worker reads (worker only)
  Slot slots[kSlots];
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

std::size_t AuditQueue::shared_size() { return sizeof(Shared); }

void AuditQueue::format(void* memory) {
  auto* s = new (memory) Shared;
  s->head.store(0);
  s->acked.store(0);
  s->state.store(kNone);
  s->tail = 0;
  for (std::size_t i = 0; i < kSlots; ++i) s->slots[i].turn.store(i);
}

AuditQueue::AuditQueue(void* memory) : shared_(static_cast<Shared*>(memory)) {}

void AuditQueue::set_running(bool running) { shared_->state.store(running ? kRunning : kNone); }
void AuditQueue::set_failed() { shared_->state.store(kFailed); }

Status AuditQueue::push(std::string_view payload, bool durable, std::chrono::milliseconds timeout,
                        const std::function<void()>& wake) {
  if (payload.size() > kPayloadBytes) {
    return make_error(sqlstate::kInvalidParameterValue, "audit event too large");
  }
  const auto deadline = Clock::now() + timeout;
  int round = 0;
  std::uint64_t pos = 0;
  Shared::Slot* slot = nullptr;
  for (;;) {
    const std::uint32_t state = shared_->state.load(std::memory_order_acquire);
    if (state == kFailed) return unavailable("the audit worker's log has failed");
    if (Clock::now() > deadline) {
      return unavailable(state == kNone ? "no audit worker is running" : "the audit queue is full");
    }
    pos = shared_->head.load(std::memory_order_relaxed);
    slot = &shared_->slots[pos % kSlots];
    const std::uint64_t turn = slot->turn.load(std::memory_order_acquire);
    if (state == kRunning && turn == pos &&
        shared_->head.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
      break;
    }
    if (state != kRunning || turn < pos) {  // no worker yet, or full: wait for the worker
      wake();
      back_off(round);
    }
  }
  std::memcpy(slot->payload, payload.data(), payload.size());
  slot->length = static_cast<std::uint32_t>(payload.size());
  slot->durable = durable;
  slot->turn.store(pos + 1, std::memory_order_release);
  wake();
  if (!durable) return ok_status();
  round = 0;
  while (shared_->acked.load(std::memory_order_acquire) <= pos) {
    if (shared_->state.load(std::memory_order_acquire) == kFailed) {
      return unavailable("the audit worker's log has failed");
    }
    if (Clock::now() > deadline) return unavailable("the audit worker did not acknowledge");
    back_off(round);
  }
  return ok_status();
}

Status AuditQueue::drain(const std::function<Status(std::string_view, bool)>& store) {
  for (;;) {
    const std::uint64_t pos = shared_->tail;
    Shared::Slot& slot = shared_->slots[pos % kSlots];
    if (slot.turn.load(std::memory_order_acquire) != pos + 1) return ok_status();
    if (Status st = store(std::string_view(slot.payload, slot.length), slot.durable); !st.ok()) {
      set_failed();
      return st;
    }
    slot.turn.store(pos + kSlots, std::memory_order_release);
    shared_->tail = pos + 1;
    shared_->acked.store(pos + 1, std::memory_order_release);
  }
}

Status QueueAuditSink::record(const audit::Event& event, bool durable) {
  const audit::Event e = audit::normalise_event(event);
  DBV_RETURN_IF_ERROR(audit::validate_event(e));
  return queue_.push(encode_event(e), durable, timeout_, wake_);
}

std::string encode_event(const audit::Event& e) {
  nlohmann::json j;
  j["type"] = audit::event_type_name(e.type);
  if (e.severity) j["severity"] = audit::severity_name(*e.severity);
  j["user"] = e.user;
  j["realm"] = e.realm;
  j["ip_address"] = e.ip_address;
  j["session_id"] = e.session_id;
  j["result"] = audit::outcome_name(e.result);
  j["vault_password_id"] = e.vault_password_id;
  if (e.expires_at) j["expires_at"] = e.expires_at->time_since_epoch().count();
  j["detail"] = e.detail;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<audit::Event> decode_event(std::string_view payload) {
  const auto j = nlohmann::json::parse(payload, nullptr, false);
  const auto bad = make_error(sqlstate::kInvalidParameterValue, "malformed queued audit event");
  if (j.is_discarded() || !j.is_object()) return bad;
  audit::Event e;
  try {
    auto type = audit::parse_event_type(j.at("type").get<std::string>());
    auto result = audit::parse_outcome(j.at("result").get<std::string>());
    if (!type || !result) return bad;
    e.type = *type;
    e.result = *result;
    if (j.contains("severity")) {
      auto sev = audit::parse_severity(j["severity"].get<std::string>());
      if (!sev) return bad;
      e.severity = *sev;
    }
    e.user = j.at("user").get<std::string>();
    e.realm = j.at("realm").get<std::string>();
    e.ip_address = j.at("ip_address").get<std::string>();
    e.session_id = j.at("session_id").get<std::string>();
    e.vault_password_id = j.at("vault_password_id").get<std::string>();
    if (j.contains("expires_at")) {
      e.expires_at = audit::Timestamp(std::chrono::seconds(j["expires_at"].get<std::int64_t>()));
    }
    e.detail = j.at("detail");
  } catch (const nlohmann::json::exception&) {
    return bad;
  }
  return e;
}

}  // namespace dbvault::pgext
