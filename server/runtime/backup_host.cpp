#include "server/runtime/backup_host.h"

#include <fcntl.h>
#include <stdio.h>

#include <cstring>
#include <system_error>

#include "common/paths.h"
#include "crypto/random.h"
#include "server/runtime/backup_snapshot.h"
#include "storage/backup_io.h"
#include "storage/backup_reader.h"
#include "storage/backup_writer.h"
#include "storage/engine.h"

namespace dbvault::server {
namespace {

namespace fs = std::filesystem;
namespace bk = storage::backup;

// Random hex from the private DRBG (a restore password, or a name nobody may guess).
Result<std::string> random_hex(std::size_t bytes) {
  auto r = crypto::random_key(bytes);
  if (!r) return std::move(r).error();
  return bk::to_hex(r->view());
}

// Removes a directory tree when it goes out of scope, unless released.
struct RemoveOnExit {
  fs::path dir;
  ~RemoveOnExit() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

Status check_target(const fs::path& target, const DataDir& live, const char* what) {
  if (!target.is_absolute()) {
    return make_error(sqlstate::kInvalidParameterValue,
                      std::string(what) + " '" + target.string() + "' must be an absolute path");
  }
  const fs::path where = canonical_as_far_as_exists(target);
  if (!live.root.empty() && path_within(where, canonical_as_far_as_exists(live.root))) {
    return make_error(sqlstate::kInvalidParameterValue,
                      std::string(what) + " '" + target.string() +
                          "' is inside the data directory: choose a place outside it");
  }
  std::error_code ec;
  if (!fs::is_directory(where.parent_path(), ec)) {
    return make_error(
        sqlstate::kInvalidParameterValue,
        "the directory of " + std::string(what) + " '" + target.string() + "' does not exist");
  }
  return bk::refuse_existing(target);
}

}  // namespace

Result<vault::BackupOutcome> write_backup(Services& s,
                                          const storage::TablespaceCatalog& tablespaces,
                                          BackupRequest request) {
  DBV_RETURN_IF_ERROR(check_target(request.target, s.dir, "the backup path"));
  auto mek = s.keys->master_key();
  if (!request.key_id.empty() && request.key_id != mek->key_id()) {
    return make_error(sqlstate::kInvalidParameterValue,
                      "KEY '" + request.key_id +
                          "' is not the master key of this data directory (it is '" +
                          mek->key_id() + "'): a backup is encrypted under the current one");
  }
  vault::BackupOutcome out;
  if (request.password.empty()) {
    auto made = random_hex(16);
    if (!made) return std::move(made).error();
    request.password = SecretString(*made);
    wipe_string(*made);
  }
  auto tag = random_hex(8);
  if (!tag) return std::move(tag).error();
  RemoveOnExit staging{s.dir.root / ("backup-staging-" + *tag)};
  auto files = snapshot_stores(s, tablespaces, staging.dir);
  if (!files) return std::move(files).error();
  // A master key rotation that committed meanwhile re-wrapped the key store copy (or not) under
  // another key than the one the header will name; ids are never reused, so an unchanged id
  // means no rotation happened in between.
  if (s.keys->mek_id() != mek->key_id()) {
    return make_error(sqlstate::kObjectNotInPrerequisiteState,
                      "the master key was rotated while the backup was taken: take it again");
  }

  bk::WriterOptions o;
  o.target = request.target;
  o.mek = mek.get();
  o.password = request.password.clone();
  o.argon2 = request.argon2;
  o.created_unix =
      std::chrono::duration_cast<std::chrono::seconds>(s.clock->now().time_since_epoch()).count();
  auto writer = bk::BackupWriter::create(std::move(o));
  if (!writer) return std::move(writer).error();
  for (const auto& f : *files) DBV_RETURN_IF_ERROR((*writer)->add_file(f.entry, 0600, f.file));
  auto summary = (*writer)->finish();
  if (!summary) return std::move(summary).error();
  out.path = request.target.string();
  out.backup_id = summary->backup_id_hex;
  out.files = summary->files;
  out.bytes = summary->bytes;
  out.restore_password = std::move(request.password);
  return out;
}

namespace {

// Opens the restored directory as a server would, verifies its audit chain and records the
// restore there. On return the directory is closed again.
Result<std::uint64_t> verify_restored(const fs::path& dir, const Clock& clock,
                                      const RestoreRequest& r, const std::string& backup_id) {
  ServerConfig config;
  DBV_RETURN_IF_ERROR(load_config_file(DataDir{dir}.config(), config));
  auto services = open_services(DataDir{dir}, config, clock, {});
  if (!services) {
    return make_error(services.error().code,
                      "the restored data directory does not open: " + services.error().message);
  }
  auto report = (*services)->audit->verify();
  if (!report) return std::move(report).error();
  if (!report->ok) {
    return make_error(sqlstate::kDataCorrupted, "the restored audit chain does not verify (seq " +
                                                    std::to_string(report->first_bad_seq) +
                                                    "): " + report->problem);
  }
  audit::Event e;
  e.type = audit::EventType::kDataExport;
  e.user = r.actor.user;
  e.ip_address = r.actor.ip_address;
  e.session_id = r.actor.session_id;
  e.detail["statement"] = "RESTORE DATABASE";
  e.detail["operation"] = "restore";
  e.detail["phase"] = "restored";
  e.detail["from"] = r.from.string();
  e.detail["backup_id"] = backup_id;
  e.detail["audit_records_verified"] = report->records;
  if (auto appended = (*services)->audit->append_sync(std::move(e)); !appended) {
    return std::move(appended).error();
  }
  return report->records;
}

Status place_key_file(const RestoreRequest& r, const fs::path& dir, const std::string& key_id) {
  if (r.key_file.empty()) return ok_status();
  // The name it had (keys/master.key until a rotation), so that every tool finds it there.
  const std::string name =
      r.key_file.filename() == "master.key" ? "master.key" : "master-" + key_id + ".key";
  const fs::path to = DataDir{dir}.keys() / name;
  std::error_code ec;
  fs::copy_file(r.key_file, to, fs::copy_options::none, ec);
  if (ec) {
    return make_error(sqlstate::kIoError, "cannot copy the master key file " + r.key_file.string() +
                                              ": " + ec.message());
  }
  fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write, ec);
  return ok_status();
}

Status publish_directory(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) return bk::refuse_existing(to);
    return make_error(sqlstate::kIoError, "cannot rename " + from.string() + " to " + to.string() +
                                              ": " + std::strerror(errno));
  }
  return bk::sync_directory(to.parent_path());
}

}  // namespace

Result<vault::RestoreOutcome> restore_backup(const RestoreRequest& r, const Clock& clock) {
  DBV_RETURN_IF_ERROR(check_target(r.target, DataDir{}, "the restore directory"));
  auto header = bk::read_header(r.from);
  if (!header) return std::move(header).error();
  if (!r.key_id.empty() && r.key_id != header->key_id) {
    return make_error(sqlstate::kSystemError, "the backup is encrypted under master key '" +
                                                  header->key_id + "', not '" + r.key_id + "'");
  }
  auto tag = random_hex(8);
  if (!tag) return std::move(tag).error();
  fs::path restoring = r.target;
  restoring += ".restoring-" + *tag;
  auto restored = bk::restore_files(r.from, *r.mek, r.password, restoring);
  if (!restored) return std::move(restored).error();
  RemoveOnExit cleanup{restoring};
  DBV_RETURN_IF_ERROR(place_key_file(r, restoring, header->key_id));
  const std::string backup_id = bk::to_hex(header->backup_id);
  auto records = verify_restored(restoring, clock, r, backup_id);
  if (!records) return std::move(records).error();
  DBV_RETURN_IF_ERROR(publish_directory(restoring, r.target));
  cleanup.dir.clear();
  return vault::RestoreOutcome{r.target.string(), backup_id, restored->files, restored->bytes,
                               *records};
}

namespace {

class ServerBackupHost final : public vault::BackupHost {
 public:
  ServerBackupHost(Services& s, const storage::Engine& engine) : s_(s), engine_(engine) {}

  Result<vault::BackupOutcome> backup(const ast::BackupDatabase& st,
                                      const vault::BackupActor&) override {
    BackupRequest request;
    request.target = st.path;
    request.key_id = st.key_id;
    return write_backup(s_, engine_.tablespaces(), std::move(request));
  }

  Result<vault::RestoreOutcome> restore(const ast::RestoreDatabase& st,
                                        const vault::BackupActor& actor) override {
    RestoreRequest r;
    r.from = st.path;
    r.target = fs::path(st.path).concat(".restored");
    r.key_id = st.key_id;
    r.password = st.vault_password.clone();
    r.mek = s_.keys->master_key();
    if (r.mek->key_id() != st.key_id) {
      return make_error(sqlstate::kSystemError,
                        "this server holds master key '" + r.mek->key_id() + "', not '" +
                            st.key_id + "': restore with 'dbvault restore' where that key is");
    }
    if (r.mek->kind() == "file") r.key_file = file_key_path(s_.dir, st.key_id);
    r.actor = actor;
    // The restored directory must not lie inside the live one either.
    if (path_within(canonical_as_far_as_exists(r.target), canonical_as_far_as_exists(s_.dir.root)))
      return make_error(sqlstate::kInvalidParameterValue,
                        "the restore directory " + r.target.string() +
                            " is inside the data directory: put the backup outside it");
    return restore_backup(r, *s_.clock);
  }

 private:
  Services& s_;
  const storage::Engine& engine_;
};

}  // namespace

std::unique_ptr<vault::BackupHost> make_backup_host(Services& services,
                                                    const storage::Engine& engine) {
  return std::make_unique<ServerBackupHost>(services, engine);
}

}  // namespace dbvault::server
