// The encrypted backup file, format version 1 (docs/encryption.md §10, "Backup and restore"):
// its header and the keys derived from it. The writer and reader (storage/backup_writer.h,
// storage/backup_reader.h) are the only users; the layout is documented byte by byte there.
//
//   header  "DBVBKUP1" ‖ version ‖ algorithm ‖ chunk size ‖ created ‖ backup id ‖ key id
//           ‖ provider kind ‖ wrapped data key ‖ Argon2id parameters and salt
//           ‖ password check (32) ‖ header MAC (32)
//   chunks  length (4) ‖ nonce (12) ‖ ciphertext ‖ tag (16), AAD = "DBVBKUP1" ‖ backup id
//           ‖ chunk index (8) ‖ final flag (1) ‖ length (4)
//
// Keys: a random 256-bit data key per backup, wrapped by the MEK the header names; the restore
// password stretched by Argon2id; both feed HKDF, so the file is useless without the MEK *and*
// the password. Thread-safety: pure functions and values.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/secret_string.h"
#include "crypto/master_key_provider.h"
#include "crypto/password_hash.h"
#include "crypto/secret_bytes.h"

namespace dbvault::storage::backup {

inline constexpr std::array<std::uint8_t, 8> kMagic = {'D', 'B', 'V', 'B', 'K', 'U', 'P', '1'};
inline constexpr std::uint16_t kFormatVersion = 1;
inline constexpr std::uint32_t kDefaultChunkSize = 1u << 20;  // plaintext bytes per chunk
inline constexpr std::uint32_t kMaxChunkSize = 16u << 20;     // what a reader accepts
inline constexpr std::size_t kBackupIdSize = 16;
inline constexpr std::size_t kMacSize = 32;
// What a reader runs the password KDF with at most: the parameters come from the header,
// before anything authenticates it, so they must not be able to make a restore allocate or
// spin at will (crypto::validate allows up to 4 GiB).
inline constexpr std::uint32_t kMaxArgon2MemoryKib = 1u << 20;  // 1 GiB
inline constexpr std::uint32_t kMaxArgon2Iterations = 16;

struct Header {
  std::uint16_t version = kFormatVersion;
  std::uint8_t algorithm = 1;  // crypto::AeadAlgorithm::kAes256Gcm
  std::uint32_t chunk_size = kDefaultChunkSize;
  std::int64_t created_unix = 0;
  std::array<std::uint8_t, kBackupIdSize> backup_id{};
  std::string key_id;         // the MEK that wraps the data key
  std::string provider_kind;  // env | file | pkcs11 | kmip
  std::vector<std::uint8_t> wrapped_data_key;
  crypto::Argon2Params argon2;  // memory_kib, iterations, parallelism (salt 16, hash 32)
  std::array<std::uint8_t, 16> password_salt{};
  std::array<std::uint8_t, kMacSize> password_check{};
  std::array<std::uint8_t, kMacSize> header_mac{};
};

// The keys of one backup, derived from the data key and the stretched password.
struct Keys {
  crypto::SecretBytes chunk_key;  // AES-256-GCM key of the chunks
  crypto::SecretBytes mac_key;    // the header MAC
  std::array<std::uint8_t, kMacSize> password_check{};
};

// The header's bytes up to (not including) the header MAC; serialize() appends the MAC.
std::vector<std::uint8_t> serialize_unmacced(const Header& h);
std::vector<std::uint8_t> serialize(const Header& h);

// Parses a header from the start of `bytes`; sets `consumed` to its length. XX001 when the
// bytes are not a version-1 backup header (bad magic, unknown version, lengths out of range);
// 0A000 for another format version. Nothing is authenticated yet (verify_header does that).
Result<Header> parse(std::span<const std::uint8_t> bytes, std::size_t& consumed);

// The keys of a backup whose data key and password are given. 58000 if the KDFs fail.
Result<Keys> derive_keys(const Header& h, const crypto::SecretBytes& data_key,
                         const SecretString& password);

// Checks the password check (28P01: wrong restore password) and then the header MAC (XX001:
// the header was altered), in constant time.
Status verify_header(const Header& h, const Keys& keys);

// Lower-case hex of `bytes` (the backup id as shown to users, temporary names).
std::string to_hex(std::span<const std::uint8_t> bytes);

// The AAD of chunk `index`.
std::vector<std::uint8_t> chunk_aad(const Header& h, std::uint64_t index, bool final_chunk,
                                    std::uint32_t length);

}  // namespace dbvault::storage::backup
