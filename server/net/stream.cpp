#include "server/net/stream.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dbvault::server::net {
namespace {

// Waits until `fd` is readable. false on timeout.
bool wait_readable(int fd, std::optional<std::chrono::milliseconds> timeout) {
  pollfd p{fd, POLLIN, 0};
  const int ms = timeout ? static_cast<int>(std::max<long long>(0, timeout->count())) : -1;
  for (;;) {
    const int rc = ::poll(&p, 1, ms);
    if (rc < 0 && errno == EINTR) continue;
    return rc != 0;
  }
}

}  // namespace

Stream::Stream(int fd) : fd_(fd) {}

Stream::~Stream() {
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  ::close(fd_);
}

Status Stream::start_tls(std::shared_ptr<const TlsContext> tls) {
  ssl_ = SSL_new(tls->ctx.get());
  tls_ctx_ = std::move(tls);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    return make_error(sqlstate::kProtocolViolation, "cannot start TLS");
  }
  ERR_clear_error();
  if (SSL_accept(ssl_) != 1) {
    char buf[256] = "handshake failed";
    if (const unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return make_error(sqlstate::kProtocolViolation, std::string("TLS handshake failed: ") + buf);
  }
  return ok_status();
}

std::optional<std::string> Stream::verified_peer_cn() const {
  if (ssl_ == nullptr || SSL_get_verify_result(ssl_) != X509_V_OK) return std::nullopt;
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr) return std::nullopt;
  X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) {
    return std::nullopt;  // no CN, or more than one: ambiguous, refuse
  }
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return std::nullopt;
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  if (cn.find('\0') != std::string::npos) return std::nullopt;
  return cn;
}

std::string Stream::tls_version() const { return ssl_ ? SSL_get_version(ssl_) : ""; }
std::string Stream::tls_cipher() const { return ssl_ ? SSL_get_cipher_name(ssl_) : ""; }

bool Stream::readable_now() {
  if (ssl_ != nullptr && SSL_pending(ssl_) > 0) return true;
  return wait_readable(fd_, std::chrono::milliseconds(0));
}

Stream::ReadStatus Stream::read_some(std::string& out, std::size_t max,
                                     std::optional<std::chrono::milliseconds> timeout) {
  char buf[16384];
  const std::size_t want = std::min(max, sizeof buf);
  for (;;) {
    if (!(ssl_ != nullptr && SSL_pending(ssl_) > 0) && !wait_readable(fd_, timeout)) {
      return ReadStatus::kTimeout;
    }
    if (ssl_ == nullptr) {
      const ssize_t n = ::recv(fd_, buf, want, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return ReadStatus::kClosed;
      out.append(buf, static_cast<std::size_t>(n));
      return ReadStatus::kData;
    }
    const int n = SSL_read(ssl_, buf, static_cast<int>(want));
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      return ReadStatus::kData;
    }
    const int err = SSL_get_error(ssl_, n);
    ERR_clear_error();
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
    return ReadStatus::kClosed;
  }
}

bool Stream::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    if (ssl_ == nullptr) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    const int n = SSL_write(ssl_, bytes.data(),
                            static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 20)));
    if (n <= 0) {
      const int err = SSL_get_error(ssl_, n);
      ERR_clear_error();
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void Stream::shutdown() { ::shutdown(fd_, SHUT_RD); }

}  // namespace dbvault::server::net
