#include "server/audit_command.h"

#include <pwd.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "audit/export.h"
#include "audit/keys.h"
#include "audit/log.h"
#include "audit/reader.h"
#include "common/clock.h"
#include "crypto/env_provider.h"
#include "crypto/file_provider.h"
#include "crypto/tek_store.h"
#include "server/runtime/policy_store_file.h"
#include "vault/audit_anchor.h"

namespace dbvault::server {
namespace {

constexpr std::string_view kAuditUsage = R"(usage:
  dbvault audit verify  --data-dir D [--key-provider env|file] [--digest FILE]
  dbvault audit export  --data-dir D [--key-provider env|file] [--since T] [--until T]
                        [--type EVENT_TYPE]... [--follow]
  dbvault audit digest  --data-dir D [--key-provider env|file]
  dbvault audit recover --data-dir D [--key-provider env|file] --accept-rollback
                        [--reason TEXT]
)";

std::atomic<bool> g_stop{false};

struct Args {
  std::string sub;
  std::filesystem::path data_dir;
  std::string provider;
  audit::ExportOptions export_options;
  std::filesystem::path digest_file;  // verify --digest
  bool accept_rollback = false;       // recover
  std::string reason;                 // recover
};

int print_error(std::ostream& err, const Error& e) {
  err << "ERROR " << e.code << ": " << e.message << "\n";
  return 3;
}

bool known_sub(std::string_view s) {
  return s == "verify" || s == "export" || s == "digest" || s == "recover";
}

// Returns a usage message, or nullopt when `args` parsed.
std::optional<std::string> parse(const std::vector<std::string_view>& args, Args& out) {
  if (args.empty() || !known_sub(args[0])) return "expected verify, export, digest or recover";
  out.sub = std::string(args[0]);
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--follow" && out.sub == "export") {
      out.export_options.follow = true;
      continue;
    }
    if (a == "--accept-rollback" && out.sub == "recover") {
      out.accept_rollback = true;
      continue;
    }
    if (i + 1 >= args.size()) return "option " + std::string(a) + " needs a value";
    const std::string v(args[++i]);
    if (a == "--data-dir") {
      out.data_dir = v;
    } else if (a == "--key-provider" && (v == "env" || v == "file")) {
      out.provider = v;
    } else if ((a == "--since" || a == "--until") && out.sub == "export") {
      auto t = audit::parse_time(v);
      if (!t) return "invalid timestamp " + v;
      (a == "--since" ? out.export_options.since : out.export_options.until) = *t;
    } else if (a == "--type" && out.sub == "export") {
      auto type = audit::parse_event_type(v);
      if (!type) return "unknown event type " + v;
      out.export_options.types.push_back(*type);
    } else if (a == "--digest" && out.sub == "verify") {
      out.digest_file = v;
    } else if (a == "--reason" && out.sub == "recover") {
      out.reason = v;
    } else {
      return "unexpected argument " + std::string(a);
    }
  }
  if (out.data_dir.empty()) return "--data-dir is required";
  if (out.sub == "recover" && !out.accept_rollback) {
    return "recover changes what the audit anchors accept: pass --accept-rollback";
  }
  return std::nullopt;
}

// The one path to the audit keys: the MEK from the provider, the audit TEK from keys/keys.db.
// The data directory's key store, under the master key of `args` (file or env provider).
Result<std::unique_ptr<crypto::TekStore>> open_key_store(const Args& args) {
  const auto master_key = args.data_dir / "keys" / "master.key";
  std::string provider = args.provider;
  if (provider.empty()) provider = std::filesystem::exists(master_key) ? "file" : "env";
  auto mek =
      provider == "file" ? crypto::open_file_provider(master_key) : crypto::open_env_provider();
  if (!mek) return std::move(mek).error();
  static const SystemClock clock;
  return crypto::TekStore::open(args.data_dir / "keys",
                                std::shared_ptr<crypto::MasterKeyProvider>(std::move(*mek)), clock);
}

Result<std::vector<audit::Digest>> read_digests(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    return make_error(sqlstate::kUndefinedObject, "cannot read digest file " + file.string());
  std::vector<audit::Digest> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto d = audit::parse_digest(line);
    if (!d) {
      return make_error(d.error().code,
                        file.string() + " line " + std::to_string(n) + ": " + d.error().message);
    }
    out.push_back(*d);
  }
  if (out.empty())
    return make_error(sqlstate::kInvalidParameterValue, file.string() + " holds no digest");
  return out;
}

int verify(const Args& args, const audit::LogReader& reader, std::ostream& out, std::ostream& err) {
  audit::VerifyOptions options;
  if (!args.digest_file.empty()) {
    auto digests = read_digests(args.digest_file);
    if (!digests) return print_error(err, digests.error());
    options.digests = std::move(*digests);
  }
  auto report = reader.verify(options);
  if (!report) return print_error(err, report.error());
  if (!report->ok) {
    out << "audit log BROKEN at seq " << report->first_bad_seq << ": " << report->problem << "\n";
    return 1;
  }
  out << "audit log OK: " << report->records << " records, " << report->purged
      << " purged under checkpoints, last seq " << report->last_seq;
  if (!options.digests.empty()) out << "; " << report->digests << " digests confirmed";
  out << "\n";
  return 0;
}

std::string os_user() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw ? pw->pw_name : "uid " + std::to_string(::geteuid());
}

// Accepts the state of the data directory after an operator investigated a refusal
// (docs/audit.md §10 "Recovery"). Writes an audit record for everything it accepts.
int recover(const Args& args, crypto::TekStore& key_store, audit::AuditKeys keys, std::ostream& out,
            std::ostream& err) {
  const auto policy_path = args.data_dir / "policy.db";
  if (!std::filesystem::exists(policy_path)) {
    return print_error(
        err, make_error(sqlstate::kUndefinedObject, "no policy store " + policy_path.string()));
  }
  static const SystemClock clock;
  audit::LogOptions options;
  options.dir = args.data_dir / "audit";
  options.clock = &clock;
  options.accept_unproven_tail = true;
  auto log = audit::Log::open(options, std::move(keys));
  if (!log) return print_error(err, log.error());
  // Read and written through its encrypting VFS, like the server does (never migrated here:
  // a plaintext policy store is encrypted by the next start of the server).
  auto vfs = open_policy_vfs(key_store);
  if (!vfs) return print_error(err, vfs.error());
  if (is_plaintext_sqlite(policy_path)) {
    return print_error(
        err, make_error(sqlstate::kSystemError, "the policy store " + policy_path.string() +
                                                    " is not encrypted yet: start the server once "
                                                    "('dbvault serve' encrypts it), then recover"));
  }
  auto store = vault::PolicyStore::open(policy_path, policy_connector(**vfs));
  if (!store) return print_error(err, store.error());
  if (const auto& tail = (*log)->accepted_tail())
    out << "accepted the audit log's tail: " << *tail << "\n";
  auto policy = vault::load_policy_anchor(**store);
  if (!policy) return print_error(err, policy.error());
  const auto problem = audit::check_anchors(**log, *policy);
  if (problem.ok()) {
    if (!(*log)->accepted_tail())
      out << "nothing to recover: the audit log and the policy store agree\n";
    return 0;
  }
  const audit::Actor actor{os_user(), "", "dbvault audit recover"};
  auto anchor =
      (*log)->accept_rollback(actor, problem.error().message, policy->policy_version, args.reason);
  if (!anchor) return print_error(err, anchor.error());
  if (auto s = vault::store_policy_anchor(**store, *anchor); !s) return print_error(err, s.error());
  out << "accepted: " << problem.error().message << "\n"
      << "recorded at audit seq " << anchor->audit_seq << "; the policy store (version "
      << policy->policy_version << ") is anchored there\n";
  return 0;
}

}  // namespace

int run_audit_command(const std::vector<std::string_view>& words, std::ostream& out,
                      std::ostream& err) {
  Args args;
  if (auto problem = parse(words, args)) {
    err << "dbvault audit: " << *problem << "\n" << kAuditUsage;
    return 2;
  }
  auto key_store = open_key_store(args);
  if (!key_store) return print_error(err, key_store.error());
  auto keys = audit::load_audit_keys(**key_store, false);
  if (!keys) return print_error(err, keys.error());
  if (args.sub == "recover") return recover(args, **key_store, std::move(*keys), out, err);
  auto reader = audit::LogReader::open(args.data_dir / "audit", std::move(*keys));
  if (!reader) return print_error(err, reader.error());
  if (args.sub == "verify") return verify(args, **reader, out, err);
  if (args.sub == "digest") {
    static const SystemClock clock;
    auto digest = (*reader)->digest(std::chrono::floor<std::chrono::seconds>(clock.now()));
    if (!digest) {
      err << "dbvault audit digest: " << digest.error().message << "\n";
      return digest.error().code == sqlstate::kDataCorrupted ? 1 : 3;
    }
    out << audit::format_digest(*digest) << "\n";
    return 0;
  }
  if (args.export_options.follow) {
    std::signal(SIGINT, [](int) { g_stop = true; });
    std::signal(SIGTERM, [](int) { g_stop = true; });
    args.export_options.keep_following = [] { return !g_stop.load(); };
  }
  auto lines = audit::export_jsonl(**reader, args.export_options, out);
  if (!lines) return print_error(err, lines.error());
  return 0;
}

}  // namespace dbvault::server
