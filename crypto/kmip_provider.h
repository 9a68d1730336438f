// The `kmip` master-key provider: the MEK is an AES-256 key generated inside a KMIP key manager
// (OASIS KMIP 1.4 over TLS with a client certificate) and never leaves it. TEKs are wrapped
// with the key manager's Encrypt and unwrapped with its Decrypt (AES-256-GCM, a fresh 96-bit
// IV per wrap chosen by dbvault, 128-bit tag, additional data binding the MEK's name); Get is
// never called, so no KMIP operation dbvault sends returns the MEK.
//
// Wrapped format (version 1, the `wrapped` column of keys.db, 29 + n bytes for an n-byte key):
//   0x01 ‖ IV (12) ‖ GCM tag (16) ‖ ciphertext (n)
//   additional data = "dbvault kmip wrap v1" 0x00 key_name
// GCM with a random IV is not deterministic, so the key-check value is verified by unwrapping
// the stored one (matches_key_check_value in master_key_provider.h).
//
// The MEK is found by its Name attribute (`key_name`, also the key id) among the symmetric keys
// the client certificate may see; it must be Active, AES and 256 bits. With
// create_key_if_missing (`dbvault init`, MEK rotation) a missing key is created (Create with
// usage mask Encrypt|Decrypt) and activated.
//
// Fails closed with 58000, naming host:port and the key, never key bytes: server unreachable or
// TLS refused at open, no key of that name (or several), a key that is not Active (revoked,
// destroyed), and at run time any failed call — with the key manager's Result Reason and
// Result Message. Calls are logged by KmipClient (operation, unique id, latency). Wrap and
// unwrap always ask the key manager; check() may answer from its last success (health_interval).
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "crypto/master_key_provider.h"

namespace dbvault::crypto {

struct KmipOptions {
  std::string host;
  std::uint16_t port = 5696;             // IANA port for KMIP
  std::string cert_path;                 // client certificate (PEM)
  std::string key_path;                  // its private key (PEM)
  std::string ca_path;                   // CA certificate(s) the server's certificate must chain to
  std::string key_name = "dbvault-mek";  // Name attribute of the MEK; also its key id
  bool create_key_if_missing = false;    // `dbvault init` / MEK rotation: Create + Activate
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds io_timeout{10000};
  int attempts = 2;  // per idempotent call (Create is never retried)
  // check() runs on every key release (KeyGate), under the gate's lock: it asks the key manager
  // (Get Attributes) at most this often and otherwise repeats its last success. A failure is
  // never repeated from memory, and any failed KMIP call forgets the last success. 0: ask on
  // every check().
  std::chrono::milliseconds health_interval{1000};
};

Result<std::unique_ptr<MasterKeyProvider>> open_kmip_provider(const KmipOptions& options);

// Retirement of the MEK in the key manager after a MEK rotation has moved every TEK away from
// it: Revoke (reason Cessation of Operation), then Destroy if `destroy`. 58000 on failure.
Status retire_kmip_key(const KmipOptions& options, bool destroy);

}  // namespace dbvault::crypto
