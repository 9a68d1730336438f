// A real KMIP server for tests and benchmarks: `pykmip-server` (Debian python3-pykmip 0.10) on a
// free loopback port, with a throwaway CA, server and client certificates made by the openssl
// command in a temporary directory, and its own SQLite database there. Stopped (SIGTERM, then
// SIGKILL) and removed afterwards; stop()/start() restart it on the same port with the same
// database. No Boost.Test in here, so bench/crypto_bench links it too (the suites' precondition
// is in tests/crypto/pykmip_fixture.h).
//
// Certificates are ECDSA P-256: PyKMIP 0.10's TLS 1.2 suite list has AEAD (AES-GCM) ciphers only
// for ECDSA keys, and the provider offers AEAD ciphers only (docs/keys.md "KMIP").
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "crypto/kmip_provider.h"
#include "tests/crypto/test_util.h"

namespace dbvault::crypto::test {

// Whether /usr/bin/python3 can import PyKMIP's server and /usr/bin/pykmip-server exists.
bool pykmip_installed();

class PyKmip {
 public:
  PyKmip();  // makes the certificates and starts the server; throws if it does not come up
  ~PyKmip();
  PyKmip(const PyKmip&) = delete;
  PyKmip& operator=(const PyKmip&) = delete;

  void start();
  void stop();

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  // Options for the good client certificate; `create` sets create_key_if_missing.
  KmipOptions options(bool create, const std::string& key_name = "dbvault-mek") const;
  // Options for another client certificate: "other" (same CA, another identity) or "rogue"
  // (signed by another CA: the server must refuse it).
  KmipOptions client(const std::string& name, const std::string& key_name = "dbvault-mek") const;

 private:
  TempDir dir_{"pykmip"};
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// A loopback port nobody listens on right now.
std::uint16_t free_loopback_port();

}  // namespace dbvault::crypto::test
