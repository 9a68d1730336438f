// TLS for the server: a TLS 1.3-only OpenSSL context loaded from the data directory's
// certificate and key (reloadable on SIGHUP), the self-signed certificate `dbvault init`
// creates, and what SCRAM-SHA-256-PLUS needs of the certificate (tls-server-end-point, RFC 5929).
//
// Thread-safety: TlsConfig::current() and reload() may be called from any thread; a context
// obtained from current() stays valid for as long as the caller holds it.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace dbvault::server::net {

struct TlsFiles {
  std::filesystem::path cert;
  std::filesystem::path key;
  std::filesystem::path client_ca;  // empty: client certificates are not requested
};

// One loaded context and the facts about its certificate.
struct TlsContext {
  std::shared_ptr<SSL_CTX> ctx;
  // tls-server-end-point channel-binding data: the certificate hashed with its signature's
  // digest (SHA-256 when that is MD5 or SHA-1).
  std::vector<unsigned char> end_point_hash;
};

class TlsConfig {
 public:
  // Loads the files; 58000 naming the file when one is missing, unreadable or does not match.
  static Result<std::unique_ptr<TlsConfig>> load(TlsFiles files);
  std::shared_ptr<const TlsContext> current() const;
  // Re-reads the files; on error the previous context stays in force.
  Status reload();

 private:
  explicit TlsConfig(TlsFiles files) : files_(std::move(files)) {}
  TlsFiles files_;
  mutable std::mutex mu_;
  std::shared_ptr<const TlsContext> current_;
};

// Writes a self-signed certificate for `common_name` (also as subjectAltName DNS and
// IP 127.0.0.1/::1) valid `days` days, with a fresh P-256 key: the key file mode 0600.
// 58000 on failure; nothing is left half-written.
Status write_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key,
                         const std::string& common_name, int days);

}  // namespace dbvault::server::net
