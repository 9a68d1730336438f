// The KMIP transport: one TLS connection with a client certificate to a key manager, carrying
// whole TTLV messages, every step bounded by a deadline (non-blocking socket + poll).
//
// TLS: version 1.2 or 1.3 only; for 1.2 only ECDHE key exchange with AEAD ciphers
// (AES-GCM, ChaCha20-Poly1305) — see docs/keys.md "KMIP" for why and for what PyKMIP accepts.
// The server's certificate must chain to `ca_path` and match `host` (DNS name or IP address);
// there is no option to skip verification.
//
// Errors are 58000 and name host:port and the step ("connect", "TLS handshake", "read"), with
// OpenSSL's reason; never message bytes.
//
// Thread-safety: none; KmipClient serializes its use.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

namespace dbvault::crypto::kmip {

struct TlsOptions {
  std::string host;
  std::uint16_t port = 5696;
  std::string cert_path;  // client certificate (PEM, may hold the chain)
  std::string key_path;   // its private key (PEM, unencrypted)
  std::string ca_path;    // CA certificate(s) the server's certificate must chain to (PEM)
  std::chrono::milliseconds connect_timeout{5000};  // TCP connect + TLS handshake
  std::chrono::milliseconds io_timeout{10000};      // one request written and its response read
};

class TlsChannel {
 public:
  // Connects and completes the handshake within connect_timeout.
  static Result<std::unique_ptr<TlsChannel>> open(const TlsOptions& options);
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // Writes `request` and reads one whole TTLV message (at most kMaxMessageBytes) within
  // io_timeout. On any error the channel is unusable (the caller reconnects).
  Result<std::vector<std::uint8_t>> round_trip(std::span<const std::uint8_t> request);

  // The negotiated protocol and cipher, e.g. "TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384".
  std::string negotiated() const;

 private:
  struct State;
  explicit TlsChannel(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace dbvault::crypto::kmip
