#include "server/init_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "server/command_flags.h"
#include "server/net/tls.h"
#include "server/runtime/services.h"
#include "storage/engine.h"
#include "vault/credentials.h"

namespace dbvault::server {
namespace {

struct AccountSpec {
  const char* name;
  const char* variable;
};
constexpr AccountSpec kAccounts[] = {
    {"dba", "DBVAULT_DBA_PASSWORD"},
    {"secadmin", "DBVAULT_SECADMIN_PASSWORD"},
    {"auditor", "DBVAULT_AUDITOR_PASSWORD"},
};

Status make_dir(const std::filesystem::path& p) {
  if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(sqlstate::kIoError, "cannot create " + p.string());
  }
  return ok_status();
}

Status write_config(const DataDir& dir, const ServerConfig& config) {
  std::ofstream out(dir.config());
  out << default_config_text() << "\n# Chosen by dbvault init:\nkms = " << config.kms << "\n";
  if (config.kms == "pkcs11") {
    out << "pkcs11.module = \"" << config.pkcs11_module << "\"\n"
        << "pkcs11.token_label = \"" << config.pkcs11_token_label << "\"\n"
        << "pkcs11.key_label = \"" << config.pkcs11_key_label << "\"\n";
  } else if (config.kms == "kmip") {
    out << "kmip.host = \"" << config.kmip_host << "\"\n"
        << "kmip.port = " << config.kmip_port << "\n"
        << "kmip.cert = \"" << config.kmip_cert.string() << "\"\n"
        << "kmip.key = \"" << config.kmip_key.string() << "\"\n"
        << "kmip.ca = \"" << config.kmip_ca.string() << "\"\n"
        << "kmip.key_name = \"" << config.kmip_key_name << "\"\n";
  }
  out.close();
  if (!out) return make_error(sqlstate::kIoError, "cannot write " + dir.config().string());
  ::chmod(dir.config().c_str(), 0600);
  return ok_status();
}

Status create(const DataDir& dir, const ServerConfig& config,
              std::vector<InitialAccount> accounts) {
  for (const auto& p : {dir.root, dir.data(), dir.tls(), dir.keys()}) {
    DBV_RETURN_IF_ERROR(make_dir(p));
  }
  DBV_RETURN_IF_ERROR(write_config(dir, config));
  DBV_RETURN_IF_ERROR(
      net::write_self_signed(dir.tls() / "server.crt", dir.tls() / "server.key", "dbvault", 3650));
  SystemClock clock;
  OpenMode mode;
  mode.create = true;
  mode.accounts = std::move(accounts);
  auto services = open_services(dir, config, clock, std::move(mode));
  if (!services) return std::move(services).error();
  storage::EngineOptions engine_options;
  engine_options.database = dir.engine_db();
  engine_options.vfs = (*services)->engine_vfs;  // encrypted under the tablespace:default TEK
  auto engine = storage::Engine::open(std::move(engine_options), *(*services)->vault);
  if (!engine) return std::move(engine).error();
  return ok_status();
}

// --kmip-*: the same keys as in dbvault.conf; file paths are made absolute, because the
// configuration resolves relative paths against the data directory, not the shell's directory.
Status apply_kmip_flags(const ParsedFlags& flags, ServerConfig& config) {
  static constexpr std::pair<const char*, const char*> kFlags[] = {
      {"--kmip-host", "kmip.host"}, {"--kmip-port", "kmip.port"},
      {"--kmip-cert", "kmip.cert"}, {"--kmip-key", "kmip.key"},
      {"--kmip-ca", "kmip.ca"},     {"--kmip-key-name", "kmip.key_name"}};
  for (const auto& [flag, key] : kFlags) {
    auto v = flags.get(flag);
    if (!v) continue;
    std::string value(*v);
    if (std::string_view(key) == "kmip.cert" || std::string_view(key) == "kmip.key" ||
        std::string_view(key) == "kmip.ca") {
      std::error_code ec;
      value = std::filesystem::absolute(value, ec).string();
    }
    DBV_RETURN_IF_ERROR(apply_setting(config, key, value));
  }
  return ok_status();
}

}  // namespace

int run_init_command(const std::vector<std::string_view>& args, std::ostream& out,
                     std::ostream& err) {
  std::string problem;
  const auto flags = parse_flags(
      args,
      {"--data-dir", "--kms", "--pkcs11-module", "--pkcs11-token-label", "--pkcs11-key-label",
       "--kmip-host", "--kmip-port", "--kmip-cert", "--kmip-key", "--kmip-ca", "--kmip-key-name"},
      {}, problem);
  if (!flags) {
    err << "dbvault init: " << problem << " (see 'dbvault help')\n";
    return 2;
  }
  DataDir dir{flags->get("--data-dir").value_or("")};
  if (dir.root.empty()) {
    err << "dbvault init: --data-dir is required\n";
    return 2;
  }
  std::error_code ec;
  if (std::filesystem::exists(dir.root, ec) && !std::filesystem::is_empty(dir.root, ec)) {
    err << "dbvault init: " << dir.root.string()
        << " exists and is not empty; dbvault init never touches an existing data directory\n";
    return 3;
  }
  const bool existed = std::filesystem::exists(dir.root, ec);
  ServerConfig config;
  if (auto v = flags->get("--kms")) {
    if (auto s = apply_setting(config, "kms", *v); !s) {
      err << "dbvault init: " << s.error().message << "\n";
      return 2;
    }
  }
  if (auto v = flags->get("--pkcs11-module")) config.pkcs11_module = *v;
  if (auto v = flags->get("--pkcs11-token-label")) config.pkcs11_token_label = *v;
  if (auto v = flags->get("--pkcs11-key-label")) config.pkcs11_key_label = *v;
  if (auto s = apply_kmip_flags(*flags, config); !s) {
    err << "dbvault init: " << s.error().message << "\n";
    return 2;
  }

  std::vector<InitialAccount> accounts;
  std::vector<std::string> generated;
  for (const auto& spec : kAccounts) {
    InitialAccount a;
    a.name = spec.name;
    if (const char* env = std::getenv(spec.variable); env != nullptr && *env != '\0') {
      a.password = SecretString(env);
    } else {
      auto pw = vault::random_password();
      if (!pw) {
        err << "dbvault init: ERROR " << pw.error().code << ": " << pw.error().message << "\n";
        return 3;
      }
      a.password = std::move(*pw);
      generated.push_back(spec.name);
    }
    accounts.push_back(std::move(a));
  }
  std::vector<std::pair<std::string, SecretString>> to_print;
  for (const auto& a : accounts) {
    for (const auto& g : generated) {
      if (g == a.name) to_print.emplace_back(a.name, SecretString(a.password.reveal()));
    }
  }
  if (auto s = create(dir, config, std::move(accounts)); !s) {
    err << "dbvault init: ERROR " << s.error().code << ": " << s.error().message << "\n";
    if (existed) {
      for (const auto& entry : std::filesystem::directory_iterator(dir.root, ec)) {
        std::filesystem::remove_all(entry.path(), ec);
      }
    } else {
      std::filesystem::remove_all(dir.root, ec);
    }
    return 3;
  }
  out << "dbvault: created data directory " << dir.root.string() << " (key provider " << config.kms
      << ")\n";
  if (!to_print.empty()) {
    out << "Generated passwords (shown once, never logged; store them now):\n";
    for (const auto& [name, pw] : to_print) out << "  " << name << "  " << pw.reveal() << "\n";
  }
  out << "accounts: dba (DBA, ACCOUNT_MANAGER), secadmin (VAULT_ADMIN), auditor (AUDIT_VIEWER)\n"
      << "start it: dbvault serve --data-dir " << dir.root.string() << "\n";
  return 0;
}

}  // namespace dbvault::server
