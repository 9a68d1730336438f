#include "server/net/tls.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <functional>

namespace dbvault::server::net {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

Error tls_error(const std::string& what) {
  std::string reason;
  if (const unsigned long e = ERR_get_error(); e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    reason = std::string(": ") + buf;
  }
  ERR_clear_error();
  return make_error(sqlstate::kSystemError, what + reason);
}

Result<std::vector<unsigned char>> end_point_hash(X509* cert) {
  int md_nid = NID_undef;
  int pkey_nid = NID_undef;
  if (X509_get_signature_info(cert, &md_nid, &pkey_nid, nullptr, nullptr) != 1) {
    return tls_error("cannot read the certificate's signature algorithm");
  }
  const EVP_MD* md = nullptr;
  if (md_nid == NID_md5 || md_nid == NID_sha1 || md_nid == NID_undef) {
    md = EVP_sha256();
  } else {
    md = EVP_get_digestbynid(md_nid);
  }
  if (md == nullptr) return tls_error("unsupported certificate signature digest");
  std::vector<unsigned char> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  if (X509_digest(cert, md, out.data(), &n) != 1) return tls_error("cannot hash the certificate");
  out.resize(n);
  return out;
}

Result<std::shared_ptr<const TlsContext>> build(const TlsFiles& files) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return tls_error("cannot create a TLS context");
  // TLS 1.3 only: a TLS 1.2 ClientHello fails the handshake with protocol_version.
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert.c_str()) != 1) {
    return tls_error("cannot load the TLS certificate " + files.cert.string());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return tls_error("cannot load the TLS key " + files.key.string());
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return tls_error("the TLS key " + files.key.string() + " does not match the certificate");
  }
  if (!files.client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), files.client_ca.c_str(), nullptr) != 1) {
      return tls_error("cannot load the client CA " + files.client_ca.string());
    }
    // Ask for a certificate; whether a user must present one is decided at login.
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  auto hash = end_point_hash(SSL_CTX_get0_certificate(ctx.get()));
  if (!hash) return std::move(hash).error();
  auto out = std::make_shared<TlsContext>();
  out->ctx = std::move(ctx);
  out->end_point_hash = std::move(*hash);
  return std::shared_ptr<const TlsContext>(std::move(out));
}

bool add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

Status write_pem(const std::filesystem::path& path, mode_t mode,
                 const std::function<int(FILE*)>& write) {
  const auto tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return make_error(sqlstate::kSystemError, "cannot create " + tmp);
  FILE* f = fdopen(fd, "w");
  const bool ok = f != nullptr && write(f) == 1 && fflush(f) == 0 && fsync(fileno(f)) == 0;
  if (f != nullptr) fclose(f);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return tls_error("cannot write " + path.string());
  }
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<TlsConfig>> TlsConfig::load(TlsFiles files) {
  std::unique_ptr<TlsConfig> config(new TlsConfig(std::move(files)));
  if (auto s = config->reload(); !s) return std::move(s).error();
  return config;
}

std::shared_ptr<const TlsContext> TlsConfig::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

Status TlsConfig::reload() {
  auto next = build(files_);
  if (!next) return std::move(next).error();
  std::lock_guard lock(mu_);
  current_ = std::move(*next);
  return ok_status();
}

Status write_self_signed(const std::filesystem::path& cert_path,
                         const std::filesystem::path& key_path, const std::string& common_name,
                         int days) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return tls_error("cannot generate the TLS key");
  X509Ptr cert(X509_new());
  if (!cert) return tls_error("cannot create the certificate");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return tls_error("cannot draw a serial number");
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * days);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("dbvault"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  const std::string san = "DNS:" + common_name + ",DNS:localhost,IP:127.0.0.1,IP:::1";
  if (!add_extension(cert.get(), NID_subject_alt_name, san.c_str()) ||
      !add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), NID_ext_key_usage, "serverAuth")) {
    return tls_error("cannot add certificate extensions");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return tls_error("cannot sign");
  if (auto s = write_pem(key_path, 0600,
                         [&](FILE* f) {
                           return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr,
                                                       nullptr);
                         });
      !s) {
    return s;
  }
  return write_pem(cert_path, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
}

}  // namespace dbvault::server::net
