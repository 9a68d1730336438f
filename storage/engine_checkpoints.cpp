#include "storage/engine_checkpoints.h"

#include <spdlog/spdlog.h>

#include "storage/engine_internal.h"
#include "storage/tablespace_catalog.h"
#include "storage/vfs/page_key.h"
#include "storage/vfs/tde_vfs.h"

namespace dbvault::storage {

struct EngineCheckpoints::Tablespace {
  std::mutex mu;
  // The key of the last session that committed there, and the file, guarded by mu. Weak: once
  // that session has closed its connection (logout) the checkpointer has no key of it.
  std::weak_ptr<const vfs::PageKey> key;
  std::filesystem::path file;
  std::unique_ptr<Checkpointer> checkpointer;
};

EngineCheckpoints::EngineCheckpoints(const EngineOptions& options, CheckpointerOptions checkpoint)
    : options_(options), checkpoint_(checkpoint) {
  main_ = std::make_unique<Checkpointer>(
      options_.database.string(),
      [this]() -> Result<std::optional<Checkpointer::Db>> {
        auto db = open_bookkeeping(options_);
        if (!db) return std::move(db).error();
        return std::optional<Checkpointer::Db>(
            Checkpointer::Db{options_.vfs, vfs::DatabasePtr(db->release())});
      },
      true, checkpoint_);
}

EngineCheckpoints::~EngineCheckpoints() { (void)stop(); }

void EngineCheckpoints::install(sqlite3* db, SessionHook& hook) {
  sqlite3_wal_hook(db, &EngineCheckpoints::hook, &hook);
  // Nor when it closes, or detaches a tablespace as the file's last connection: that would
  // checkpoint with whatever key the connection holds then, e.g. one LOCK REALM has just
  // withdrawn (the file's checkpointer runs only under a key still valid).
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
}

int EngineCheckpoints::hook(void* arg, sqlite3*, const char* schema, int frames) {
  auto& h = *static_cast<SessionHook*>(arg);
  const std::string_view name = schema != nullptr ? schema : "main";
  if (name == "main") {
    h.checkpoints->main_->signal(frames);
  } else if (h.tablespaces) {
    h.checkpoints->signal_tablespace(name, h.tablespaces, frames);
  }
  return SQLITE_OK;  // as SQLite's own hook: a commit never fails for its checkpoint
}

void EngineCheckpoints::signal_tablespace(std::string_view name, const TablespaceSource& source,
                                          int frames) {
  Tablespace* ts = nullptr;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    auto it = tablespaces_.find(name);
    if (it == tablespaces_.end()) {
      if (frames < checkpoint_.threshold_frames) return;
      auto made = std::make_unique<Tablespace>();
      Tablespace* raw = made.get();
      const std::string label = "tablespace " + std::string(name);
      made->checkpointer = std::make_unique<Checkpointer>(
          label,
          [raw, label]() -> Result<std::optional<Checkpointer::Db>> {
            std::shared_ptr<const vfs::PageKey> key;
            std::filesystem::path file;
            {
              std::lock_guard l(raw->mu);
              key = raw->key.lock();
              file = raw->file;
            }
            if (!key || key->expired()) return std::optional<Checkpointer::Db>();
            // A VFS of the attempt's own, under the session's key, asked before every page.
            auto own = vfs::TdeVfs::create(key);
            if (!own) return std::optional<Checkpointer::Db>();
            std::shared_ptr<vfs::TdeVfs> tde(std::move(*own));
            tde->check_key_every_page();
            vfs::EncryptedOpenOptions o;
            o.create = false;
            auto db = vfs::open_encrypted(file, *tde, o);
            if (!db) {  // the sessions' own statements on it report the error
              spdlog::warn("checkpoint of {}: cannot open the file: {}", label,
                           db.error().message);
              return std::optional<Checkpointer::Db>();
            }
            // Its checkpoints are the explicit ones, each page under a live key (the VFS
            // stops at the first page after the key is withdrawn): none when it closes.
            sqlite3_db_config(db->get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
            return std::optional<Checkpointer::Db>(Checkpointer::Db{tde, std::move(*db)});
          },
          false, checkpoint_);
      it = tablespaces_.emplace(std::string(name), std::move(made)).first;
    }
    ts = it->second.get();
  }
  if (frames >= checkpoint_.threshold_frames) {
    Attachment a = source(name);
    if (a.vfs && a.key) {
      std::lock_guard l(ts->mu);
      ts->key = a.key;
      ts->file = a.file;
    }
  }
  ts->checkpointer->signal(frames);
}

Status EngineCheckpoints::status() const {
  if (!main_->failed()) return ok_status();
  return main_->status();
}

Status EngineCheckpoints::stop() {
  std::map<std::string, std::unique_ptr<Tablespace>, std::less<>> spaces;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    spaces.swap(tablespaces_);
  }
  Status first = ok_status();
  for (auto& [name, ts] : spaces) {
    if (Status s = ts->checkpointer->stop(); !s && first) first = s;
  }
  if (Status s = main_->stop(); !s && first) first = s;
  return first;
}

void EngineCheckpoints::forget(std::string_view tablespace) {
  std::unique_ptr<Tablespace> ts;
  {
    std::lock_guard lock(mu_);
    auto it = tablespaces_.find(tablespace);
    if (it == tablespaces_.end()) return;
    ts = std::move(it->second);
    tablespaces_.erase(it);
  }
  (void)ts->checkpointer->stop(false);
}

}  // namespace dbvault::storage
