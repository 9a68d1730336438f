#include "crypto/scope_names.h"

#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "crypto/mac.h"
#include "crypto/random.h"

namespace dbvault::crypto::internal {
namespace {

constexpr std::string_view kIdPrefix = "s:";

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Error damaged(std::string_view what) {
  return make_error(sqlstate::kDataCorrupted, "key store: " + std::string(what));
}

}  // namespace

Result<ScopeNames> ScopeNames::from_root(SecretBytes root) {
  auto lookup = derive_subkey(root, "dbvault key-store scope lookup v1");
  if (!lookup) return std::move(lookup).error();
  auto seal = derive_subkey(root, "dbvault key-store scope name v1");
  if (!seal) return std::move(seal).error();
  return ScopeNames(std::move(root), std::move(*lookup), std::move(*seal));
}

Result<ScopeNames> ScopeNames::create(sqlite::Database& db, MasterKeyProvider& mek) {
  auto root = random_key(32);
  if (!root) return std::move(root).error();
  auto wrapped = mek.wrap(*root);
  if (!wrapped) return std::move(wrapped).error();
  DBV_RETURN_IF_ERROR(db.run("INSERT INTO names_key(id, wrapped) VALUES (1, ?)",
                             std::span<const std::uint8_t>(*wrapped)));
  return from_root(std::move(*root));
}

Result<ScopeNames> ScopeNames::load(sqlite::Database& db, MasterKeyProvider& mek) {
  auto st = db.prepare("SELECT wrapped FROM names_key WHERE id = 1");
  if (!st) return std::move(st).error();
  auto row = st->step();
  if (!row) return std::move(row).error();
  if (!*row) return make_error(sqlstate::kUndefinedObject, "key store: no names key");
  auto root = mek.unwrap(st->blob(0));
  if (!root) {
    return make_error(
        sqlstate::kSystemError,
        "key store: the master key does not unwrap the names key: " + root.error().message);
  }
  return from_root(std::move(*root));
}

Status ScopeNames::rewrap(sqlite::Database& db, MasterKeyProvider& next) const {
  auto wrapped = next.wrap(root_);
  if (!wrapped) return std::move(wrapped).error();
  return db.run("UPDATE names_key SET wrapped = ? WHERE id = 1",
                std::span<const std::uint8_t>(*wrapped));
}

std::string ScopeNames::id_of(const KeyScope& scope) const {
  static constexpr char kHex[] = "0123456789abcdef";
  auto tag = hmac_sha256(lookup_, bytes(scope.to_string()));
  std::string id(kIdPrefix);
  if (!tag) return id;  // never matches a stored id (which has 64 hex digits)
  for (std::uint8_t b : *tag) {
    id += kHex[b >> 4];
    id += kHex[b & 0xf];
  }
  return id;
}

Result<std::vector<std::uint8_t>> ScopeNames::seal(const KeyScope& scope) const {
  auto aead = Aead::create(AeadAlgorithm::kAes256Gcm, seal_);
  if (!aead) return std::move(aead).error();
  const std::string id = id_of(scope);
  return aead->seal(bytes(scope.to_string()), bytes(id));
}

Result<KeyScope> ScopeNames::open(const std::string& id,
                                  std::span<const std::uint8_t> sealed) const {
  auto aead = Aead::create(AeadAlgorithm::kAes256Gcm, seal_);
  if (!aead) return std::move(aead).error();
  auto name = aead->open(sealed, bytes(id));
  if (!name) return damaged("a record's sealed scope name does not open (altered or moved)");
  auto scope = KeyScope::parse(std::string(name->begin(), name->end()));
  if (!scope) return damaged("a record's sealed scope name is malformed");
  const std::string expected = id_of(*scope);
  if (!equal_constant_time(bytes(expected), bytes(id))) {
    return damaged("a record's scope name does not match its lookup id (moved record)");
  }
  return scope;
}

bool ScopeNames::is_id(std::string_view stored) { return stored.starts_with(kIdPrefix); }

}  // namespace dbvault::crypto::internal
