#include "storage/backup_format.h"

#include <algorithm>
#include <cstring>

#include "crypto/kdf.h"
#include "crypto/mac.h"

namespace dbvault::storage::backup {
namespace {

void put_u8(std::vector<std::uint8_t>& out, std::uint8_t v) { out.push_back(v); }
void put_be(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_bytes(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}
void put_short_string(std::vector<std::uint8_t>& out, const std::string& s) {
  put_u8(out, static_cast<std::uint8_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

// Reads big-endian fields; any read past the end sets `bad` and yields zeros.
struct Cursor {
  std::span<const std::uint8_t> in;
  std::size_t at = 0;
  bool bad = false;

  std::uint64_t be(int bytes) {
    if (in.size() - at < static_cast<std::size_t>(bytes)) {
      bad = true;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | in[at++];
    return v;
  }
  std::span<const std::uint8_t> take(std::size_t n) {
    if (in.size() - at < n) {
      bad = true;
      return {};
    }
    auto s = in.subspan(at, n);
    at += n;
    return s;
  }
  template <std::size_t N>
  void copy_into(std::array<std::uint8_t, N>& a) {
    auto s = take(N);
    if (!bad) std::copy(s.begin(), s.end(), a.begin());
  }
  std::string short_string() {
    auto s = take(be(1));
    return {s.begin(), s.end()};
  }
};

Error damaged(const std::string& why) {
  return make_error(sqlstate::kDataCorrupted,
                    "the backup file is damaged or not a dbvault "
                    "backup: " +
                        why);
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::vector<std::uint8_t> serialize_unmacced(const Header& h) {
  std::vector<std::uint8_t> out;
  put_bytes(out, kMagic);
  put_be(out, h.version, 2);
  put_u8(out, h.algorithm);
  put_u8(out, 0);  // reserved
  put_be(out, h.chunk_size, 4);
  put_be(out, static_cast<std::uint64_t>(h.created_unix), 8);
  put_bytes(out, h.backup_id);
  put_short_string(out, h.key_id);
  put_short_string(out, h.provider_kind);
  put_be(out, h.wrapped_data_key.size(), 2);
  put_bytes(out, h.wrapped_data_key);
  put_be(out, h.argon2.memory_kib, 4);
  put_be(out, h.argon2.iterations, 4);
  put_be(out, h.argon2.parallelism, 4);
  put_bytes(out, h.password_salt);
  put_bytes(out, h.password_check);
  return out;
}

std::vector<std::uint8_t> serialize(const Header& h) {
  auto out = serialize_unmacced(h);
  put_bytes(out, h.header_mac);
  return out;
}

Result<Header> parse(std::span<const std::uint8_t> bytes, std::size_t& consumed) {
  Cursor c{bytes};
  Header h;
  auto magic = c.take(kMagic.size());
  if (c.bad || !std::equal(magic.begin(), magic.end(), kMagic.begin())) {
    return damaged("no backup header (magic DBVBKUP1)");
  }
  h.version = static_cast<std::uint16_t>(c.be(2));
  if (!c.bad && h.version != kFormatVersion) {
    return make_error(sqlstate::kFeatureNotSupported,
                      "the backup is in format version " + std::to_string(h.version) +
                          ", which this dbvault does not read (it reads version 1)");
  }
  h.algorithm = static_cast<std::uint8_t>(c.be(1));
  const auto reserved = c.be(1);
  h.chunk_size = static_cast<std::uint32_t>(c.be(4));
  h.created_unix = static_cast<std::int64_t>(c.be(8));
  c.copy_into(h.backup_id);
  h.key_id = c.short_string();
  h.provider_kind = c.short_string();
  auto wrapped = c.take(c.be(2));
  h.wrapped_data_key.assign(wrapped.begin(), wrapped.end());
  h.argon2.memory_kib = static_cast<std::uint32_t>(c.be(4));
  h.argon2.iterations = static_cast<std::uint32_t>(c.be(4));
  h.argon2.parallelism = static_cast<std::uint32_t>(c.be(4));
  c.copy_into(h.password_salt);
  c.copy_into(h.password_check);
  c.copy_into(h.header_mac);
  if (c.bad) return damaged("the header is truncated");
  if (h.algorithm != 1 || reserved != 0) return damaged("unknown cipher in the header");
  if (h.chunk_size == 0 || h.chunk_size > kMaxChunkSize) return damaged("bad chunk size");
  if (h.wrapped_data_key.empty()) return damaged("no wrapped data key");
  // Bounds before any KDF runs: a forged header must not make the reader allocate at will.
  if (!crypto::validate(h.argon2) || h.argon2.memory_kib > kMaxArgon2MemoryKib ||
      h.argon2.iterations > kMaxArgon2Iterations) {
    return damaged("Argon2id parameters out of range");
  }
  consumed = c.at;
  return h;
}

Result<Keys> derive_keys(const Header& h, const crypto::SecretBytes& data_key,
                         const SecretString& password) {
  crypto::Argon2Inputs in;
  in.password = as_bytes(password.reveal());
  in.salt = h.password_salt;
  auto stretched = crypto::argon2id_derive(in, h.argon2, 32);
  if (!stretched) return std::move(stretched).error();
  // The root binds both secrets and this backup's id: neither the MEK's data key nor the
  // password alone decrypts anything.
  crypto::SecretBytes ikm(data_key.size() + stretched->size());
  std::memcpy(ikm.data(), data_key.data(), data_key.size());
  std::memcpy(ikm.data() + data_key.size(), stretched->data(), stretched->size());
  auto root = crypto::hkdf_sha256(ikm, h.backup_id, as_bytes("dbvault backup root v1"), 32);
  if (!root) return std::move(root).error();
  Keys keys;
  auto chunk = crypto::derive_subkey(*root, "dbvault backup chunk v1");
  auto mac = crypto::derive_subkey(*root, "dbvault backup header v1");
  auto check_key = crypto::derive_subkey(*root, "dbvault backup password-check v1");
  if (!chunk) return std::move(chunk).error();
  if (!mac) return std::move(mac).error();
  if (!check_key) return std::move(check_key).error();
  auto check = crypto::hmac_sha256(*check_key, h.backup_id);
  if (!check) return std::move(check).error();
  keys.chunk_key = std::move(*chunk);
  keys.mac_key = std::move(*mac);
  keys.password_check = *check;
  return keys;
}

Status verify_header(const Header& h, const Keys& keys) {
  if (!crypto::equal_constant_time(h.password_check, keys.password_check)) {
    return make_error(sqlstate::kInvalidPassword,
                      "wrong restore password for this backup (or its header was altered)");
  }
  if (!crypto::verify_hmac_sha256(keys.mac_key, serialize_unmacced(h), h.header_mac)) {
    return damaged("the header does not authenticate (altered)");
  }
  return ok_status();
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

std::vector<std::uint8_t> chunk_aad(const Header& h, std::uint64_t index, bool final_chunk,
                                    std::uint32_t length) {
  std::vector<std::uint8_t> aad;
  put_bytes(aad, kMagic);
  put_bytes(aad, h.backup_id);
  put_be(aad, index, 8);
  put_u8(aad, final_chunk ? 1 : 0);
  put_be(aad, length, 4);
  return aad;
}

}  // namespace dbvault::storage::backup
