// EngineCheckpoints: the background checkpointers of one Engine (storage/checkpointer.h), one
// per database file: the engine database, opened at Engine::open, and each tablespace file,
// started when a session first commits past the threshold in it (docs/engine.md,
// "Checkpoints"). Internal to storage/.
//
// A tablespace's key is released per session (KeyGate), never to the engine: its checkpointer
// opens the file, for each attempt, through a VFS of its own under the key of the last session
// that committed there, while that session's connection is open and the key valid, and closes
// it afterwards; the VFS asks for the key before every page (TdeVfs::check_key_every_page), so
// LOCK REALM or an unlock's expiry stops a checkpoint under way. Without such a key the attempt
// waits for the next commit. Session connections never checkpoint themselves, not even when
// they close or detach a tablespace (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"
#include "storage/checkpointer.h"
#include "storage/tablespace_attach.h"

namespace dbvault::storage {

struct EngineOptions;

class EngineCheckpoints {
 public:
  // Starts the engine database's checkpointer, over connections open_bookkeeping makes.
  // `options` must outlive this object.
  EngineCheckpoints(const EngineOptions& options, CheckpointerOptions checkpoint = {});
  ~EngineCheckpoints();  // stop()

  // Which VFS and key a session's connection has a tablespace schema attached with (both
  // null when it is not attached for real).
  using Attachment = TablespaceAttachments::RealAttachment;
  using TablespaceSource = std::function<Attachment(std::string_view schema)>;
  // What a session connection's WAL hook needs; owned by the connection, outliving its handle.
  struct SessionHook {
    EngineCheckpoints* checkpoints = nullptr;
    TablespaceSource tablespaces;
  };
  // Installs the signalling WAL hook on a session's connection (replacing SQLite's automatic
  // checkpoint and the paced one): the connection then runs no checkpoint itself.
  static void install(sqlite3* db, SessionHook& hook);

  // The engine database's checkpoint error, if its last attempt failed (the engine's error for
  // the next statement). A tablespace checkpoint's error is only logged: it runs under a
  // session's key, which may be older than the file (a rotation under way), and the sessions'
  // own statements on the file report damage as theirs.
  Status status() const;
  // The final checkpoint of every file, then the threads end. Idempotent.
  Status stop();
  // DROP TABLESPACE: stops that file's checkpointer without a final checkpoint.
  void forget(std::string_view tablespace);

 private:
  struct Tablespace;
  static int hook(void* arg, sqlite3* db, const char* schema, int frames);
  void signal_tablespace(std::string_view name, const TablespaceSource& source, int frames);

  const EngineOptions& options_;
  const CheckpointerOptions checkpoint_;
  std::unique_ptr<Checkpointer> main_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Tablespace>, std::less<>> tablespaces_;
  bool stopped_ = false;
};

}  // namespace dbvault::storage
