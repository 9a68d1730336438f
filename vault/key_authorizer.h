// KeyAuthorizer: the vault's answer to crypto::KeyGate — "may this session use the key of this
// scope?" (docs/keys.md §5, docs/vault.md §12).
//
// A scope protects objects, which only the storage layer knows; it tells through ScopeCatalog:
//   tablespace:<name>       the tables stored in the tablespace. Its pages hold each of them,
//                           so the key is released only when the session is admitted to every
//                           realm of every one of those tables: a session kept from one of them
//                           never holds a key that opens its pages. A realm's own tablespace
//                           (CREATE REALM ... TABLESPACE) holding no table yet: admission to
//                           that realm (each table made in it joins the realm).
//   columns:<schema.table>  the table's encrypted columns, one object together: the key is
//                           released when the session is admitted to every realm of the table
//                           and of each of those columns.
//   audit, policy           never released to a session.
// "Admitted" is Session::admitted_until (or, for an object in a REGULAR realm, being its
// owner, as in the decision): a DISABLED realm, an authorization-only realm that
// authorizes the user, a live unlock, an approved emergency access; a realm in SIMULATION and
// a disabled vault admit everyone, as the decision does. An object the policy snapshot cannot
// resolve admits nobody (fail closed). The answer's `until` is the earliest end of the
// admissions it rests on, so the handle stops when the unlock that justified it ends.
//
// Withdrawal: the vault calls unlocks_ended() (LOCK REALM, LOCK ALL REALMS) and
// policy_changed() (every policy change: token revocations, UNAUTHORIZE, SET VAULT PASSWORD,
// REVOKE, realm changes...) through Vault::set_key_listener; this class then has the gate
// zeroize the cached keys of the scopes concerned (KeyGate::lock_scopes), so every released
// handle of those scopes stops at once and the next release asks again.
//
// Wiring (the server): vault = Vault::open(...); KeyAuthorizer authz(*vault, catalog, clock);
// KeyGate gate(store, authz, key_access_log, clock); authz.set_gate(&gate);
// vault->set_key_listener(&authz); then attach() each session for as long as it runs.
//
// Thread-safety: every method may be called from any thread, but authorize() reads the
// attached Session, which belongs to its connection: call KeyGate::release for a session only
// from the thread running that session's statement (the storage layer does).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <vector>

#include "common/clock.h"
#include "crypto/key_gate.h"
#include "grammar/ast.h"
#include "vault/session.h"

namespace dbvault::vault {

class Vault;

// What each key scope protects; implemented by the storage layer. Thread-safe.
class ScopeCatalog {
 public:
  virtual ~ScopeCatalog() = default;
  // tablespace: its tables; columns: the table's encrypted columns (ObjectRef.column set).
  virtual std::vector<ast::ObjectRef> objects(const crypto::KeyScope& scope) const = 0;
  // Every tablespace and columns scope that has a key.
  virtual std::vector<crypto::KeyScope> scopes() const = 0;
};

// A ScopeCatalog kept in memory, filled by its owner (tests; a host without storage/).
class MemoryScopeCatalog final : public ScopeCatalog {
 public:
  void set(const crypto::KeyScope& scope, std::vector<ast::ObjectRef> objects);
  std::vector<ast::ObjectRef> objects(const crypto::KeyScope& scope) const override;
  std::vector<crypto::KeyScope> scopes() const override;

 private:
  mutable std::mutex mu_;
  std::map<crypto::KeyScope, std::vector<ast::ObjectRef>> objects_;
};

// What the vault tells the key layer (Vault::set_key_listener).
class KeyListener {
 public:
  virtual ~KeyListener() = default;
  // `session` gave up its unlocks of `realms` (LOCK REALM / LOCK ALL REALMS).
  virtual void unlocks_ended(const Session& session, std::span<const rules::RealmId> realms) = 0;
  // A policy change was published: access may have been taken away from anyone.
  virtual void policy_changed() = 0;
};

class KeyAuthorizer final : public crypto::KeyAuthorizer, public KeyListener {
 public:
  // REQUIRES: `vault`, `catalog` and `clock` outlive this object.
  KeyAuthorizer(const Vault& vault, const ScopeCatalog& catalog, const Clock& clock);

  // The gate whose keys unlocks_ended() and policy_changed() withdraw (nullptr: none).
  void set_gate(crypto::KeyGate* gate);

  // `session` answers for crypto::SessionRef{id, session.user_name()} until detach(id).
  // REQUIRES: `session` outlives the attachment.
  void attach(std::uint64_t id, const Session& session);
  void detach(std::uint64_t id);

  // Granted per the rules above; denied for an unattached session or a user name that is not
  // the attached session's.
  crypto::KeyAuthorization authorize(const crypto::SessionRef& ref,
                                     const crypto::KeyScope& scope) const override;

  void unlocks_ended(const Session& session, std::span<const rules::RealmId> realms) override;
  void policy_changed() override;

 private:
  // The end of the session's admission to every realm of `object` (0: not admitted); with
  // `with_columns` (a tablespace's key), also of every realm of one of a table's columns.
  std::int64_t object_until(const Session& s, const PolicySnapshot& snap,
                            const ast::ObjectRef& object, std::int64_t now_us,
                            bool with_columns) const;

  const Vault& vault_;
  const ScopeCatalog& catalog_;
  const Clock& clock_;
  mutable std::mutex mu_;
  crypto::KeyGate* gate_ = nullptr;
  std::map<std::uint64_t, const Session*> sessions_;
};

}  // namespace dbvault::vault
