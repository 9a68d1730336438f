#include "crypto/kmip/tls_channel.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/kmip/ttlv.h"

namespace dbvault::crypto::kmip {
namespace {

using Clock = std::chrono::steady_clock;

// TLS 1.2: forward secrecy (ECDHE) and AEAD only. TLS 1.3 suites are all AEAD with (EC)DHE.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

std::string openssl_reason() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no detail" : out;
}

// A SIGPIPE from writing to a socket the server closed must not kill the process (OpenSSL
// writes with write(2), not send(MSG_NOSIGNAL)): block it for this thread, drop any pending.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~SigpipeBlock() {
    struct timespec zero {};
    siginfo_t info;
    while (sigtimedwait(&set_, &info, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t set_, old_;
};

// Waits until `fd` is ready for `events` or the deadline passes.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

struct TlsChannel::State {
  TlsOptions options;
  std::unique_ptr<SSL_CTX, CtxFree> ctx;
  std::unique_ptr<SSL, SslFree> ssl;
  int fd = -1;

  ~State() {
    ssl.reset();  // no close_notify: the KMIP session ends with the socket
    if (fd >= 0) ::close(fd);
  }

  std::string where() const { return options.host + ":" + std::to_string(options.port); }

  Error fail(const std::string& step, const std::string& why) const {
    return make_error(sqlstate::kSystemError,
                      "KMIP server " + where() + ": " + step + " failed: " + why);
  }

  Status connect_tcp(Clock::time_point deadline) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(options.port);
    if (int rc = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found); rc != 0)
      return fail("name resolution", ::gai_strerror(rc));
    std::string why = "no address";
    for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
      int s = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (s < 0) continue;
      int err = ::connect(s, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
      if (err == EINPROGRESS) {
        err = ETIMEDOUT;
        socklen_t len = sizeof err;
        if (wait_for(s, POLLOUT, deadline)) ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
      }
      if (err == 0) {
        fd = s;
      } else {
        why = std::strerror(err);
        ::close(s);
      }
    }
    ::freeaddrinfo(found);
    return fd >= 0 ? ok_status() : fail("connect", why);
  }

  Status make_context() {
    ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx) return fail("TLS setup", openssl_reason());
    SSL_CTX* c = ctx.get();
    const bool ok = SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) == 1 &&
                    SSL_CTX_set_cipher_list(c, kTls12Ciphers) == 1;
    if (!ok) return fail("TLS setup", openssl_reason());
    if (SSL_CTX_load_verify_locations(c, options.ca_path.c_str(), nullptr) != 1)
      return fail("loading the CA file " + options.ca_path, openssl_reason());
    if (SSL_CTX_use_certificate_chain_file(c, options.cert_path.c_str()) != 1)
      return fail("loading the client certificate " + options.cert_path, openssl_reason());
    // Whoever can read this key can pose as dbvault to the key manager and decrypt every TEK.
    struct stat st {};
    if (::stat(options.key_path.c_str(), &st) == 0 && (st.st_mode & 0077) != 0)
      return fail("loading the client key " + options.key_path,
                  "it is readable or writable by group or others (chmod 600)");
    if (SSL_CTX_use_PrivateKey_file(c, options.key_path.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(c) != 1)
      return fail("loading the client key " + options.key_path, openssl_reason());
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    return ok_status();
  }

  Status handshake(Clock::time_point deadline) {
    ssl.reset(SSL_new(ctx.get()));
    if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) return fail("TLS setup", openssl_reason());
    in6_addr ip{};
    const bool is_ip = ::inet_pton(AF_INET, options.host.c_str(), &ip) == 1 ||
                       ::inet_pton(AF_INET6, options.host.c_str(), &ip) == 1;
    const bool named =
        is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), options.host.c_str()) == 1
              : SSL_set1_host(ssl.get(), options.host.c_str()) == 1 &&
                    SSL_set_tlsext_host_name(ssl.get(), options.host.c_str()) == 1;
    if (!named) return fail("TLS setup", openssl_reason());
    for (;;) {
      const int r = SSL_connect(ssl.get());
      if (r == 1) return ok_status();
      DBV_RETURN_IF_ERROR(await(r, deadline, "TLS handshake"));
    }
  }

  // After an SSL_* call returned `r` <= 0: waits if OpenSSL wants I/O, else the error.
  Status await(int r, Clock::time_point deadline, const std::string& step) {
    const int e = SSL_get_error(ssl.get(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (wait_for(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return ok_status();
      return fail(step, "timed out");
    }
    if (e == SSL_ERROR_ZERO_RETURN) return fail(step, "the server closed the connection");
    const long verify = SSL_get_verify_result(ssl.get());
    if (verify != X509_V_OK)
      return fail(step,
                  std::string("server certificate: ") + X509_verify_cert_error_string(verify));
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
      return fail(step, errno != 0 ? std::strerror(errno) : "the server closed the connection");
    return fail(step, openssl_reason());
  }

  Status read_exact(std::uint8_t* out, std::size_t n, Clock::time_point deadline) {
    std::size_t got = 0;
    while (got < n) {
      std::size_t done = 0;
      const int r = SSL_read_ex(ssl.get(), out + got, n - got, &done);
      if (r == 1) {
        got += done;
        continue;
      }
      DBV_RETURN_IF_ERROR(await(r, deadline, "read"));
    }
    return ok_status();
  }
};

TlsChannel::TlsChannel(std::unique_ptr<State> state) : s_(std::move(state)) {}
TlsChannel::~TlsChannel() = default;

Result<std::unique_ptr<TlsChannel>> TlsChannel::open(const TlsOptions& options) {
  ERR_clear_error();
  auto s = std::make_unique<State>();
  s->options = options;
  const auto deadline = Clock::now() + options.connect_timeout;
  DBV_RETURN_IF_ERROR(s->make_context());
  DBV_RETURN_IF_ERROR(s->connect_tcp(deadline));
  {
    SigpipeBlock guard;
    DBV_RETURN_IF_ERROR(s->handshake(deadline));
  }
  return std::unique_ptr<TlsChannel>(new TlsChannel(std::move(s)));
}

Result<std::vector<std::uint8_t>> TlsChannel::round_trip(std::span<const std::uint8_t> request) {
  ERR_clear_error();
  SigpipeBlock guard;
  const auto deadline = Clock::now() + s_->options.io_timeout;
  std::size_t sent = 0;
  while (sent < request.size()) {
    std::size_t done = 0;
    const int r = SSL_write_ex(s_->ssl.get(), request.data() + sent, request.size() - sent, &done);
    if (r == 1) {
      sent += done;
      continue;
    }
    DBV_RETURN_IF_ERROR(s_->await(r, deadline, "write"));
  }
  std::vector<std::uint8_t> response(8);
  DBV_RETURN_IF_ERROR(s_->read_exact(response.data(), 8, deadline));
  auto size = message_size(response);
  if (!size) return s_->fail("read", size.error().message);
  response.resize(*size);
  DBV_RETURN_IF_ERROR(s_->read_exact(response.data() + 8, *size - 8, deadline));
  return response;
}

std::string TlsChannel::negotiated() const {
  return std::string(SSL_get_version(s_->ssl.get())) + " " + SSL_get_cipher_name(s_->ssl.get());
}

}  // namespace dbvault::crypto::kmip
