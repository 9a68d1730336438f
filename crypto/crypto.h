// dbvault crypto: the public interface of the component, in reading order.
//
//   Key material          crypto/secret_bytes.h   SecretBytes (locked, zeroized, move-only)
//   Randomness            crypto/random.h         random_bytes, random_key
//   Data encryption       crypto/aead.h           Aead (AES-256-GCM, ChaCha20-Poly1305)
//                         crypto/deterministic_aead.h  AES-256-SIV for searchable columns
//   Key derivation, MACs  crypto/kdf.h, crypto/mac.h   HKDF-SHA256, HMAC-SHA256
//   Key wrapping          crypto/key_wrap.h       RFC 5649
//   Passwords             crypto/password_hash.h  Argon2id, PHC strings
//   Master key            crypto/master_key_provider.h (interface), env_provider.h,
//                         file_provider.h, pkcs11_provider.h, kmip_provider.h
//                         (crypto/kmip/: its TTLV codec, messages and TLS transport; internal)
//   TEKs                  crypto/key_scope.h, crypto/tek_store.h  (keys/keys.db, rotation)
//   The gate              crypto/key_gate.h       KeyGate::release(session, scope) -> TekHandle
//
// Typical server start-up:
//   auto mek   = open_env_provider();                       // or file / pkcs11 / kmip
//   auto store = TekStore::open(datadir / "keys", std::move(*mek), clock);
//   KeyGate gate(**store, vault_authorizer, audit_sink, clock);
//   auto key   = gate.release({session_id, user}, KeyScope::tablespace("users"));
//   auto aead  = key->aead();                               // one per thread
//
// Errors: Result/Status with SQLSTATEs — 58000 key provider unavailable or wrong, 42501 not
// authorized, XX001 ciphertext or key record altered, 22023 invalid parameter. No exceptions.
// Formats and operations: docs/keys.md.
#pragma once

#include "crypto/aead.h"
#include "crypto/deterministic_aead.h"
#include "crypto/env_provider.h"
#include "crypto/file_provider.h"
#include "crypto/kdf.h"
#include "crypto/key_gate.h"
#include "crypto/key_scope.h"
#include "crypto/key_wrap.h"
#include "crypto/kmip_provider.h"
#include "crypto/mac.h"
#include "crypto/master_key_provider.h"
#include "crypto/password_hash.h"
#include "crypto/pkcs11_provider.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "crypto/tek_store.h"
