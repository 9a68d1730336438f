#include "server/backup_command.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "crypto/env_provider.h"
#include "crypto/file_provider.h"
#include "server/command_flags.h"
#include "server/runtime/backup_host.h"
#include "server/runtime/tek_rotation.h"
#include "storage/backup_reader.h"
#include "storage/engine.h"

namespace dbvault::server {
namespace {

namespace fs = std::filesystem;

int fail(std::ostream& err, const Error& e) {
  err << "ERROR " << e.code << ": " << e.message << "\n";
  return 3;
}
int usage(std::ostream& err, const std::string& command, const std::string& problem) {
  err << "dbvault " << command << ": " << problem << "\n(see 'dbvault help')\n";
  return 2;
}

vault::BackupActor os_actor() {
  const passwd* pw = ::getpwuid(::geteuid());
  return {std::string("os:") + (pw ? pw->pw_name : std::to_string(::geteuid())), "", "cli"};
}

SecretString password_from_env() {
  const char* pw = std::getenv("DBVAULT_RESTORE_PASSWORD");
  return SecretString(pw != nullptr ? pw : "");
}

audit::Event cli_event(const std::string& phase, const fs::path& to) {
  const auto actor = os_actor();
  audit::Event e;
  e.type = audit::EventType::kDataExport;
  e.user = actor.user;
  e.session_id = actor.session_id;
  e.detail["statement"] = "dbvault backup";
  e.detail["phase"] = phase;
  e.detail["path"] = to.string();
  return e;
}

// The backup of a stopped server: its services and engine opened as `dbvault serve` opens
// them (so every store is checked on the way), the request recorded, the backup written, the
// outcome recorded.
Result<vault::BackupOutcome> offline_backup(const DataDir& dir, BackupRequest request,
                                            const Clock& clock) {
  ServerConfig config;
  DBV_RETURN_IF_ERROR(load_config_file(dir.config(), config));
  auto services = open_services(dir, config, clock, {});
  if (!services) {
    if (services.error().code == sqlstate::kObjectNotInPrerequisiteState) {
      return make_error(services.error().code,
                        services.error().message +
                            ": is the server running? dbvault backup works on a stopped "
                            "server; take an online backup with BACKUP DATABASE over SQL");
    }
    return std::move(services).error();
  }
  storage::EngineOptions options;
  options.database = dir.engine_db();
  options.vfs = (*services)->engine_vfs;
  options.protected_paths = {dir.policy(), dir.keys(), dir.audit(), dir.tls(), dir.config()};
  auto engine = storage::Engine::open(std::move(options), *(*services)->vault);
  if (!engine) return std::move(engine).error();
  // attach_tablespaces resumes an interrupted key rotation, whose worker uses the engine: it
  // must stop before the engine closes (at return, the engine goes before the services).
  struct StopRotations {
    Services& services;
    ~StopRotations() { services.rotations.reset(); }
  } stop_rotations{**services};
  DBV_RETURN_IF_ERROR(attach_tablespaces(**services, **engine));
  auto& log = *(*services)->audit;
  DBV_RETURN_IF_ERROR(log.append_sync(cli_event("requested", request.target)));
  const fs::path target = request.target;
  auto done = write_backup(**services, (*engine)->tablespaces(), std::move(request));
  audit::Event outcome = cli_event(done ? "completed" : "failed", target);
  if (done) {
    outcome.detail["backup_id"] = done->backup_id;
    outcome.detail["files"] = done->files;
  } else {
    outcome.result = audit::Outcome::kFailure;
    outcome.detail["error"] = done.error().message;
  }
  const auto logged = log.append_sync(std::move(outcome));
  if (done && !logged) return std::move(logged).error();
  return done;
}

Result<std::shared_ptr<crypto::MasterKeyProvider>> restore_key(const storage::backup::Header& h,
                                                               const ParsedFlags& flags) {
  Result<std::unique_ptr<crypto::MasterKeyProvider>> p =
      make_error(sqlstate::kSystemError, "no master key");
  if (h.provider_kind == "env") {
    p = crypto::open_env_provider();
  } else if (h.provider_kind == "file") {
    const auto file = flags.get("--key-file");
    if (!file) {
      return make_error(sqlstate::kSystemError,
                        "the backup is encrypted under the file key '" + h.key_id +
                            "', which a backup never holds: give its key file with --key-file");
    }
    p = crypto::open_file_provider(*file);
  } else {
    const auto config_file = flags.get("--config");
    if (!config_file) {
      return make_error(sqlstate::kSystemError, "the backup's master key '" + h.key_id +
                                                    "' is held by the " + h.provider_kind +
                                                    " provider: give its settings with --config");
    }
    ServerConfig config;
    DBV_RETURN_IF_ERROR(load_config_file(*config_file, config));
    MasterKeyChoice choice;
    choice.kind = h.provider_kind;
    choice.key_id = h.key_id;
    return open_key_provider(DataDir{fs::path(*config_file).parent_path()}, config, choice);
  }
  if (!p) return std::move(p).error();
  return std::shared_ptr<crypto::MasterKeyProvider>(std::move(*p));
}

}  // namespace

int run_backup_command(const std::vector<std::string_view>& args, std::ostream& out,
                       std::ostream& err) {
  std::string problem;
  auto flags = parse_flags(args, {"--data-dir", "--to", "--key-id"}, {}, problem);
  if (!flags) return usage(err, "backup", problem);
  if (!flags->get("--data-dir") || !flags->get("--to"))
    return usage(err, "backup", "--data-dir and --to are required");
  BackupRequest request;
  request.target = fs::absolute(*flags->get("--to"));
  request.key_id = flags->get("--key-id").value_or("");
  request.password = password_from_env();
  const bool made_password = request.password.empty();
  SystemClock clock;
  auto done =
      offline_backup(DataDir{fs::absolute(*flags->get("--data-dir"))}, std::move(request), clock);
  if (!done) return fail(err, done.error());
  out << "backup written: " << done->path << " (backup id " << done->backup_id << ", "
      << done->files << " files, " << done->bytes << " bytes)\n";
  if (made_password) {
    out << "restore password (shown once; RESTORE needs it): " << done->restore_password.reveal()
        << "\n";
  }
  return 0;
}

int run_restore_command(const std::vector<std::string_view>& args, std::ostream& out,
                        std::ostream& err) {
  std::string problem;
  auto flags = parse_flags(args, {"--from", "--data-dir", "--key-file", "--config"}, {}, problem);
  if (!flags) return usage(err, "restore", problem);
  if (!flags->get("--from") || !flags->get("--data-dir"))
    return usage(err, "restore", "--from and --data-dir are required");
  RestoreRequest r;
  r.from = fs::absolute(*flags->get("--from"));
  r.target = fs::absolute(*flags->get("--data-dir"));
  r.password = password_from_env();
  if (r.password.empty())
    return usage(err, "restore", "set DBVAULT_RESTORE_PASSWORD to the backup's restore password");
  auto header = storage::backup::read_header(r.from);
  if (!header) return fail(err, header.error());
  auto mek = restore_key(*header, *flags);
  if (!mek) return fail(err, mek.error());
  r.mek = std::move(*mek);
  if (header->provider_kind == "file") r.key_file = *flags->get("--key-file");
  r.actor = os_actor();
  SystemClock clock;
  auto done = restore_backup(r, clock);
  if (!done) return fail(err, done.error());
  out << "restored " << done->files << " files of backup " << done->backup_id << " into "
      << done->data_dir << "; audit chain verified (" << done->audit_records << " records)\n";
  return 0;
}

}  // namespace dbvault::server
