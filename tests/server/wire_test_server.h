// A test-only PostgreSQL server loop built from the wire codec, for driving the codec with real
// clients (psql, psycopg2, node-postgres). One connection, user "user" / password "pencil"
// (RFC 7677's verifier), SCRAM-SHA-256 (and -PLUS over TLS), then every query, simple or
// extended, answers one fixed row of nine types, plus a column "p" holding the first Bind
// parameter when there is one; "COPY ... FROM STDIN" keeps the rows it receives and
// "COPY ... TO STDOUT" sends them back. Not a model for the real server: no vault, no engine.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace dbvault::server::wire::test {

// A self-signed ECDSA/SHA-384 certificate made with the openssl command in `dir`, loaded into a
// TLS 1.3 server context; `binding` is its tls-server-end-point data.
struct TlsServer {
  explicit TlsServer(const std::filesystem::path& dir);
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;
  SSL_CTX* ctx;
  std::vector<std::uint8_t> binding;
};

// Listens on a free loopback port and serves one connection on a thread.
class OneShotServer {
 public:
  explicit OneShotServer(const TlsServer* tls = nullptr);
  ~OneShotServer();
  int port() const { return port_; }
  // Waits for the connection to end; returns "authenticated", "refused: <message>", ...
  std::string finish();

 private:
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string outcome_;
};

}  // namespace dbvault::server::wire::test
