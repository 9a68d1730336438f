// enforce(): may `session` run a compiled statement? Three checks, all before anything runs:
//  1. the caller: Vault::check of the whole access set (realm -> command rules -> RBAC,
//     audited), as for any statement;
//  2. containment: data of a realm may not be copied by the engine into an object that realm
//     does not protect (CREATE TABLE AS, INSERT ... SELECT, UPDATE ... SET x = (SELECT ...),
//     a trigger copying rows): every object a statement writes (INSERT, UPDATE, CREATE) must
//     be protected by every enforcing realm of every object it reads;
//  3. bodies: an access made inside a trigger or view body must also pass Vault::check for
//     the body's creator (and for the creators of the bodies that use it), in a session of
//     their own that holds no unlock: standing authorizations only. A body without a
//     recorded creator may touch no realm object.
// Errors: 42501 naming the realm, rule, body or creator; 58000 when the audit log fails.
// Thread-safety: the connection's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/authorizer.h"
#include "vault/access_resolver.h"
#include "vault/vault.h"

namespace dbvault::storage {

struct BodyCreator {
  std::uint32_t user_id = 0;
  std::string user;
};
// The recorded creators of the triggers and views named `body` (any schema): empty when none
// is recorded, nullopt when no trigger or view has that name (SQLite also names a CTE as the
// context of the reads inside it).
using CreatorLookup =
    std::function<Result<std::optional<std::vector<BodyCreator>>>(std::string_view body)>;

struct EnforcementContext {
  vault::Vault& vault;
  vault::Session& session;
  CreatorLookup creators;
};

Status enforce(const EnforcementContext& ctx, const vault::PolicySnapshot& snap,
               const StatementFacts& facts, const vault::StatementAccesses& resolved,
               std::string_view sql);

// Checks 2 and 3 for the accesses made inside `body` only: CREATE TRIGGER / CREATE VIEW check
// the new body this way (with the creator just recorded) before the creation is kept.
Status enforce_body(const EnforcementContext& ctx, const vault::PolicySnapshot& snap,
                    const StatementFacts& facts, const vault::StatementAccesses& resolved,
                    std::string_view body, std::string_view sql);

}  // namespace dbvault::storage
