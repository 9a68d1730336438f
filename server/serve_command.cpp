#include "server/serve_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "crypto/random.h"
#include "server/command_flags.h"
#include "server/net/listener.h"
#include "server/net/tls.h"
#include "server/pgcompat/pgcompat.h"
#include "server/runtime/live_config.h"
#include "server/runtime/services.h"
#include "server/runtime/tek_rotation.h"
#include "common/file_offset_clock.h"
#include "server/session/client_connection.h"
#include "server/session/connection_threads.h"
#include "server/session/refusal_audit.h"
#include "storage/engine.h"
#include "storage/vfs/encrypted_db.h"

namespace dbvault::server {
namespace {

int fail(std::ostream& err, const Error& e) {
  err << "dbvault serve: ERROR " << e.code << ": " << e.message << "\n";
  return 3;
}

// Applies the flags over the configuration file's settings (at start and on every reload, so
// that a flag keeps winning over the file).
Status apply_flags(const ParsedFlags& flags, const CommandLineLog& cli, ServerConfig& config) {
  if (auto v = flags.get("--listen")) DBV_RETURN_IF_ERROR(apply_setting(config, "listen", *v));
  if (auto v = flags.get("--tls-cert")) DBV_RETURN_IF_ERROR(apply_setting(config, "tls.cert", *v));
  if (auto v = flags.get("--tls-key")) DBV_RETURN_IF_ERROR(apply_setting(config, "tls.key", *v));
  if (auto v = flags.get("--max-connections")) {
    DBV_RETURN_IF_ERROR(apply_setting(config, "max_connections", *v));
  }
  if (flags.has("--require-tls")) config.require_tls = true;
  if (auto v = flags.get("--log-format"))
    DBV_RETURN_IF_ERROR(apply_setting(config, "log_format", *v));
  if (auto v = flags.get("--log-level"))
    DBV_RETURN_IF_ERROR(apply_setting(config, "log_level", *v));
  if (cli.format_given && !flags.has("--log-format")) {
    config.log_format = cli.options.format == LogFormat::kJson ? "json" : "text";
  }
  if (cli.level_given && !flags.has("--log-level")) config.log_level = cli.options.level;
  return ok_status();
}

// The logging of `config` (format and level; the destination stays what main chose).
Status apply_logging(const CommandLineLog& cli, const ServerConfig& config) {
  LogOptions options = cli.options;
  options.format = config.log_format == "json" ? LogFormat::kJson : LogFormat::kText;
  options.level = config.log_level;
  return init_logging(options);
}

// SIGHUP: re-reads the TLS files and dbvault.conf (with the flags over it). A file that does
// not load leaves everything as it was.
void reload(const DataDir& dir, const ParsedFlags& flags, const CommandLineLog& cli,
            LiveConfig& live, net::TlsConfig& tls) {
  if (auto s = tls.reload(); !s) {
    spdlog::error("SIGHUP: TLS files not reloaded: {}", s.error().message);
  } else {
    spdlog::info("SIGHUP: TLS certificate and key reloaded");
  }
  ServerConfig next;
  if (auto s = load_config_file(dir.config(), next); !s) {
    spdlog::error("SIGHUP: {} not reloaded, the previous settings stay: {}", dir.config().string(),
                  s.error().message);
    return;
  }
  if (auto s = apply_flags(flags, cli, next); !s) {
    spdlog::error("SIGHUP: settings not reloaded: {}", s.error().message);
    return;
  }
  const std::string level = next.log_level;
  for (const auto& key : live.replace(std::move(next))) {
    spdlog::warn("SIGHUP: {} changed in {}; it takes effect at the next restart", key,
                 dir.config().string());
  }
  spdlog::default_logger()->set_level(spdlog::level::from_str(level));
  spdlog::info("SIGHUP: configuration reloaded from {}", dir.config().string());
}

// Blocks the signals the server handles in every thread; a dedicated thread takes them.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

int run_serve_command(const std::vector<std::string_view>& args, std::ostream& out,
                      std::ostream& err, const CommandLineLog& cli) {
  std::string problem;
  const auto flags =
      parse_flags(args,
                  {"--data-dir", "--listen", "--tls-cert", "--tls-key", "--max-connections",
                   "--port-file", "--test-clock-file", "--log-format", "--log-level"},
                  {"--require-tls"}, problem);
  if (!flags) {
    err << "dbvault serve: " << problem << " (see 'dbvault help')\n";
    return 2;
  }
  DataDir dir{flags->get("--data-dir").value_or("")};
  if (dir.root.empty()) {
    err << "dbvault serve: --data-dir is required\n";
    return 2;
  }
  if (!std::filesystem::exists(dir.policy())) {
    err << "dbvault serve: " << dir.root.string()
        << " is not a dbvault data directory (run 'dbvault init --data-dir " << dir.root.string()
        << "' first)\n";
    return 3;
  }
  ServerConfig config;
  if (auto s = load_config_file(dir.config(), config); !s) return fail(err, s.error());
  if (auto s = apply_flags(*flags, cli, config); !s) return fail(err, s.error());
  if (auto s = apply_logging(cli, config); !s) return fail(err, s.error());
  LiveConfig live(config);

  SystemClock system_clock;
  std::unique_ptr<FileOffsetClock> test_clock;
  const Clock* clock = &system_clock;
  if (auto f = flags->get("--test-clock-file")) {
    const char* allow = std::getenv("DBVAULT_ALLOW_TEST_CLOCK");
    if (allow == nullptr || std::string_view(allow) != "1") {
      err << "dbvault serve: --test-clock-file is for tests only and needs "
             "DBVAULT_ALLOW_TEST_CLOCK=1\n";
      return 2;
    }
    spdlog::warn("the clock is the system clock plus the offset in {} (tests only)", *f);
    test_clock = std::make_unique<FileOffsetClock>(*f);
    clock = test_clock.get();
  }

  const sigset_t signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto services = open_services(dir, config, *clock, {});
  if (!services) return fail(err, services.error());
  storage::EngineOptions engine_options;
  engine_options.database = dir.engine_db();
  engine_options.vfs = (*services)->engine_vfs;
  engine_options.allowed_functions = pgcompat::function_names();
  engine_options.masking_key = (*services)->masking_key;
  engine_options.protected_paths = {dir.policy(), dir.keys(), dir.audit(), dir.tls(), dir.config()};
  engine_options.on_refusal = [log = (*services)->audit.get()](
                                  vault::Session& s, const Error& refusal, std::string_view sql) {
    return session::audit_engine_refusal(*log, s, refusal, sql);
  };
  auto engine = storage::Engine::open(std::move(engine_options), *(*services)->vault);
  if (!engine) return fail(err, engine.error());
  if (Status attached = attach_tablespaces(**services, **engine); !attached) {
    return fail(err, attached.error());
  }
  // The catalog's read-only connection, shared by the sessions (SQLite serializes it).
  storage::vfs::EncryptedOpenOptions catalog_options;
  catalog_options.read_only = true;
  catalog_options.flags = SQLITE_OPEN_FULLMUTEX;
  auto catalog_db =
      storage::vfs::open_encrypted(dir.engine_db(), *(*services)->engine_vfs, catalog_options);
  if (!catalog_db) return fail(err, catalog_db.error());
  auto tls = net::TlsConfig::load({dir.resolve(config.tls_cert), dir.resolve(config.tls_key),
                                   dir.resolve(config.tls_client_ca)});
  if (!tls) return fail(err, tls.error());
  auto mock_secret = crypto::random_key(32);
  if (!mock_secret) return fail(err, mock_secret.error());
  auto listener = net::Listener::open(config.listen_host, config.listen_port);
  if (!listener) return fail(err, listener.error());

  session::SessionRegistry registry(config.max_connections);
  session::ServerContext ctx(**services, live, **engine, tls->get(), registry,
                             std::move(*mock_secret));
  ctx.catalog_db = catalog_db->get();
  // Session ids are unique across restarts too (audit records join on them): microseconds at
  // start, then one more per session.
  ctx.next_session_id = static_cast<std::uint64_t>(system_clock.now().time_since_epoch().count());
  session::ConnectionThreads threads(2 * config.max_connections);

  if (auto f = flags->get("--port-file")) {
    // Written whole, then renamed: a reader never sees a half-written number.
    { std::ofstream(*f + ".tmp") << (*listener)->port() << "\n"; }
    std::filesystem::rename(*f + ".tmp", *f);
  }
  out << "dbvault: listening on " << config.listen_host << ":" << (*listener)->port() << " ("
      << dir.root.string() << ")" << std::endl;
  spdlog::info("listening on {}:{}", config.listen_host, (*listener)->port());

  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        reload(dir, *flags, cli, live, **tls);
        continue;
      }
      spdlog::info("signal {}: shutting down", sig);
      (*listener)->stop();
      return;
    }
  });
  (*listener)->run([&](int fd, net::Peer peer) {
    if (!threads.spawn([&ctx, fd, peer] { session::serve_connection(ctx, fd, peer); })) {
      ::close(fd);
    }
  });
  signal_thread.join();
  registry.shutdown();
  threads.wait_all();
  (*services)->rotations.reset();  // its worker uses the engine, which closes first
  spdlog::info("all sessions ended; flushing the audit log");
  return 0;
}

}  // namespace dbvault::server
