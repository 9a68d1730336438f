#include "server/runtime/tek_rotation.h"

#include <spdlog/spdlog.h>

#include "audit/event.h"
#include "storage/engine.h"
#include "storage/rotation_reencrypt.h"
#include "storage/sql_words.h"
#include "storage/tablespace_catalog.h"
#include "storage/vfs/encrypted_db.h"

namespace dbvault::server {
namespace {

constexpr const char* kDefault = "default";
constexpr const char* kStatement = "ALTER TABLESPACE ROTATE ENCRYPTION KEY";

crypto::SessionRef server_ref() { return {kServerKeySession, kServerKeyUser}; }

// The key scope of tablespace `name` ("default": the engine database's).
crypto::KeyScope scope_of(const std::string& name) {
  return name == kDefault ? engine_key_scope() : storage::TablespaceCatalog::scope_of(name);
}

std::string error_text(const Error& e) { return std::string(e.code.code()) + " " + e.message; }

std::string now_text(const Clock& clock) {
  return audit::format_time(std::chrono::time_point_cast<std::chrono::seconds>(clock.now()));
}

}  // namespace

TekRotations::TekRotations(Services& services, storage::Engine& engine, TekRotationOptions options)
    : services_(services), engine_(engine), options_(options) {
  thread_ = std::thread([this] { worker(); });
}

TekRotations::~TekRotations() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

namespace {

struct Target {
  std::string name;
  crypto::KeyScope scope = crypto::KeyScope::audit();
  std::filesystem::path file;
};

Result<Target> target_of(const Services& s, const storage::Engine& engine, std::string_view name) {
  const std::string folded = storage::fold_ascii(name);
  if (folded == kDefault) return Target{folded, engine_key_scope(), s.dir.engine_db()};
  auto file = engine.tablespaces().file(s.dir.data(), folded);
  if (!file) {
    return make_error(sqlstate::kUndefinedObject, "tablespace \"" + folded + "\" does not exist");
  }
  return Target{folded, storage::TablespaceCatalog::scope_of(folded), *file};
}

// The decrypt-only versions of `scope` (a rotation under way when not empty) and the active one.
Result<std::pair<std::vector<std::uint32_t>, std::uint32_t>> versions_of(
    crypto::TekStore& keys, const crypto::KeyScope& scope) {
  auto all = keys.versions(scope);
  if (!all) return std::move(all).error();
  std::vector<std::uint32_t> old;
  std::uint32_t active = 0;
  for (const auto& v : *all) {
    if (v.state == crypto::TekState::kDecryptOnly) old.push_back(v.version);
    if (v.state == crypto::TekState::kActive) active = v.version;
  }
  return std::make_pair(std::move(old), active);
}

}  // namespace

Status TekRotations::rotate(std::string_view name, std::optional<crypto::AeadAlgorithm> algorithm) {
  auto target = target_of(services_, engine_, name);
  if (!target) return std::move(target).error();
  std::lock_guard begin_lock(begin_mu_);
  if (algorithm) {
    auto active = services_.keys->current(target->scope);
    if (!active) return std::move(active).error();
    if (active->algorithm == *algorithm) return ok_status();
  }
  auto versions = versions_of(*services_.keys, target->scope);
  if (!versions) return std::move(versions).error();
  if (!versions->first.empty()) {
    return make_error(sqlstate::kObjectNotInPrerequisiteState,
                      "a key rotation of tablespace \"" + target->name +
                          "\" is under way (see vault.encryption_progress)");
  }
  auto begun = services_.gate->begin_tek_rotation(target->scope, algorithm);
  if (!begun) return std::move(begun).error();
  // The engine database's connections seal under the new version from now on. Should this
  // fail, the worker installs the ring again before it re-encrypts.
  if (target->name == kDefault) {
    if (Status st = services_.engine_vfs->renew_key(); !st.ok()) {
      spdlog::warn("key rotation of the engine database: {}", st.error().message);
    }
  }
  enqueue(target->name, begun->version - 1, begun->version);
  return ok_status();
}

Status TekRotations::resume() {
  std::vector<std::string> names{kDefault};
  for (const auto& t : engine_.tablespaces().list()) names.push_back(t.name);
  for (const auto& name : names) {
    auto target = target_of(services_, engine_, name);
    if (!target) return std::move(target).error();
    auto versions = versions_of(*services_.keys, target->scope);
    if (!versions) return std::move(versions).error();
    if (versions->first.empty()) continue;
    spdlog::info("resuming the key rotation of tablespace \"{}\" (version {} to {})", name,
                 versions->first.front(), versions->second);
    enqueue(name, versions->first.front(), versions->second);
  }
  return ok_status();
}

void TekRotations::enqueue(const std::string& name, std::uint32_t from, std::uint32_t to) {
  EncryptionProgress p;
  p.object = name;
  p.scope = scope_of(name).to_string();
  p.from_version = from;
  p.to_version = to;
  p.state = "running";
  p.started_at = now_text(*services_.clock);
  {
    std::lock_guard lock(mu_);
    progress_.push_back(std::move(p));
    queue_.push_back(Job{name});
  }
  cv_.notify_all();
}

std::vector<EncryptionProgress> TekRotations::progress() const {
  std::lock_guard lock(mu_);
  return progress_;
}

void TekRotations::update(const std::string& name,
                          const std::function<void(EncryptionProgress&)>& fn) {
  std::lock_guard lock(mu_);
  for (auto it = progress_.rbegin(); it != progress_.rend(); ++it) {
    if (it->object == name) {
      fn(*it);
      return;
    }
  }
}

void TekRotations::worker() {
  for (;;) {
    std::string name;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || (!queue_.empty() && !options_.hold_for_tests); });
      if (stop_) return;
      name = queue_.front().name;
      queue_.pop_front();
    }
    const Status outcome = run_with_retries(name);
    {
      std::lock_guard lock(mu_);
      if (stop_) return;  // interrupted: the next start resumes it (the key store says so)
    }
    EncryptionProgress final_state;
    update(name, [&](EncryptionProgress& p) {
      p.state = outcome.ok() ? "done" : "failed";
      if (!outcome.ok()) p.error = error_text(outcome.error());
      p.finished_at = now_text(*services_.clock);
      final_state = p;
    });
    audit_end(final_state, outcome);
  }
}

Status TekRotations::run_with_retries(const std::string& name) {
  for (int attempt = 1;; ++attempt) {
    Status outcome = run_job(name);
    if (outcome.ok() || attempt >= options_.max_attempts) return outcome;
    update(name, [&](EncryptionProgress& p) {
      p.state = "retrying";
      p.error = error_text(outcome.error());
    });
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, options_.retry_delay, [this] { return stop_; })) return outcome;
  }
}

Status TekRotations::run_job(const std::string& name) {
  auto target = target_of(services_, engine_, name);
  if (!target) return std::move(target).error();
  auto active = services_.gate->release(server_ref(), target->scope);
  if (!active) return std::move(active).error();
  auto target_key = storage::vfs::PageKey::from_handle(std::move(*active));
  if (!target_key) return std::move(target_key).error();
  // The engine database: its one VFS, ring installed (again: idempotent). A tablespace: a VFS
  // of the server's own; sessions take the ring when they attach again.
  std::shared_ptr<storage::vfs::TdeVfs> vfs;
  if (name == kDefault) {
    vfs = services_.engine_vfs;
    DBV_RETURN_IF_ERROR(vfs->renew_key());
  } else {
    crypto::KeyGate& gate = *services_.gate;
    const crypto::KeyScope scope = target->scope;
    auto made =
        storage::vfs::TdeVfs::create([&gate, scope]() { return server_key_ring(gate, scope); });
    if (!made) return std::move(made).error();
    vfs = std::move(*made);
  }
  storage::vfs::EncryptedOpenOptions open;
  open.create = false;
  auto db = storage::vfs::open_encrypted(target->file, *vfs, open);
  if (!db) return std::move(db).error();
  storage::FileReencryption reencryption(db->get(), target->file, *target_key);
  auto step = [&](const crypto::UnwrappedTek&, const crypto::UnwrappedTek&) {
    return reencryption.step();
  };
  auto sink = [&](const crypto::KeyScope&, const crypto::RotationProgress& p) {
    update(name, [&](EncryptionProgress& e) {
      e.pages_done = p.done;
      e.pages_total = p.total;
    });
  };
  Status finished = services_.gate->finish_tek_rotation(target->scope, step, sink);
  db->reset();
  if (!finished.ok()) return finished;
  // The old version is gone from the key store: the engine database's ring drops it too.
  if (name == kDefault) DBV_RETURN_IF_ERROR(vfs->renew_key());
  return ok_status();
}

void TekRotations::audit_end(const EncryptionProgress& p, const Status& outcome) {
  audit::Event e;
  e.type = audit::EventType::kPolicyChanged;
  e.user = kServerKeyUser;
  e.session_id = std::to_string(kServerKeySession);
  e.result = outcome.ok() ? audit::Outcome::kSuccess : audit::Outcome::kFailure;
  e.detail["statement"] = kStatement;
  e.detail["phase"] = outcome.ok() ? "completed" : "failed";
  e.detail["tablespace"] = p.object;
  e.detail["from_version"] = p.from_version;
  e.detail["to_version"] = p.to_version;
  e.detail["pages"] = p.pages_total;
  if (auto key = services_.keys->current(scope_of(p.object)); key) {
    e.detail["algorithm"] = std::string(crypto::algorithm_name(key->algorithm));
  }
  if (!outcome.ok()) e.detail["error"] = std::string(outcome.error().code.code());
  if (auto logged = services_.audit->append_sync(std::move(e)); !logged) {
    spdlog::error("key rotation of \"{}\": the audit record of its end could not be written: {}",
                  p.object, logged.error().message);
  }
}

}  // namespace dbvault::server
