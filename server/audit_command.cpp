#include "server/audit_command.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "audit/export.h"
#include "audit/keys.h"
#include "audit/reader.h"
#include "common/clock.h"
#include "crypto/env_provider.h"
#include "crypto/file_provider.h"
#include "crypto/tek_store.h"

namespace dbvault::server {
namespace {

constexpr std::string_view kAuditUsage = R"(usage:
  dbvault audit verify --data-dir D [--key-provider env|file]
  dbvault audit export --data-dir D [--key-provider env|file] [--since T] [--until T]
                       [--type EVENT_TYPE]... [--follow]
)";

std::atomic<bool> g_stop{false};

struct Args {
  std::string sub;
  std::filesystem::path data_dir;
  std::string provider;
  audit::ExportOptions export_options;
};

int print_error(std::ostream& err, const Error& e) {
  err << "ERROR " << e.code << ": " << e.message << "\n";
  return 3;
}

// Returns a usage message, or nullopt when `args` parsed.
std::optional<std::string> parse(const std::vector<std::string_view>& args, Args& out) {
  if (args.empty() || (args[0] != "verify" && args[0] != "export")) return "expected verify or export";
  out.sub = std::string(args[0]);
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--follow" && out.sub == "export") {
      out.export_options.follow = true;
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
    } else {
      return "unexpected argument " + std::string(a);
    }
  }
  if (out.data_dir.empty()) return "--data-dir is required";
  return std::nullopt;
}

Result<std::shared_ptr<audit::LogReader>> open_reader(const Args& args) {
  const auto master_key = args.data_dir / "keys" / "master.key";
  std::string provider = args.provider;
  if (provider.empty()) provider = std::filesystem::exists(master_key) ? "file" : "env";
  auto mek = provider == "file" ? crypto::open_file_provider(master_key) : crypto::open_env_provider();
  if (!mek) return std::move(mek).error();
  static const SystemClock clock;
  auto store = crypto::TekStore::open(args.data_dir / "keys",
                                      std::shared_ptr<crypto::MasterKeyProvider>(std::move(*mek)), clock);
  if (!store) return std::move(store).error();
  auto keys = audit::load_audit_keys(**store, false);
  if (!keys) return std::move(keys).error();
  return audit::LogReader::open(args.data_dir / "audit", std::move(*keys));
}

}  // namespace

int run_audit_command(const std::vector<std::string_view>& words, std::ostream& out,
                      std::ostream& err) {
  Args args;
  if (auto problem = parse(words, args)) {
    err << "dbvault audit: " << *problem << "\n" << kAuditUsage;
    return 2;
  }
  auto reader = open_reader(args);
  if (!reader) return print_error(err, reader.error());
  if (args.sub == "verify") {
    auto report = (*reader)->verify();
    if (!report) return print_error(err, report.error());
    if (!report->ok) {
      out << "audit log BROKEN at seq " << report->first_bad_seq << ": " << report->problem << "\n";
      return 1;
    }
    out << "audit log OK: " << report->records << " records, " << report->purged
        << " purged under checkpoints, last seq " << report->last_seq << "\n";
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
