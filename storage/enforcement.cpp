#include "storage/enforcement.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/sqlstate.h"
#include "storage/sql_words.h"

namespace dbvault::storage {
namespace {

using ast::Command;

std::string fold(std::string_view s) { return fold_ascii(s); }

// Realms that enforce (ENABLED) among those protecting access `i`'s object.
std::vector<rules::RealmId> enforcing_realms(const vault::PolicySnapshot& snap,
                                             rules::ObjectId id) {
  std::vector<rules::RealmId> out;
  const vault::ObjectInfo* o = snap.object(id);
  if (o == nullptr) return out;
  snap.realms_of(*o).for_each([&](rules::RealmId r) {
    const vault::RealmInfo* realm = snap.realm(r);
    if (realm == nullptr || realm->state == ast::ObjectState::kEnabled) out.push_back(r);
  });
  return out;
}

// An implied read (schema_reads.h) counts only where an enforcing realm protects it: a
// constraint's read is no reason to ask RBAC for SELECT on an unprotected column.
bool counts(const vault::PolicySnapshot& snap, const StatementFacts& f,
            const vault::StatementAccesses& r, std::size_t i) {
  return !f.accesses[i].implied || !enforcing_realms(snap, r.accesses[i].object).empty();
}

// The accesses of `r` that count; `r.accesses` itself (no copy) when all do.
const std::vector<vault::Access>& counted(const vault::PolicySnapshot& snap,
                                          const StatementFacts& f,
                                          const vault::StatementAccesses& r,
                                          std::vector<vault::Access>& storage) {
  bool all = true;
  for (std::size_t i = 0; i < f.accesses.size() && all; ++i) all = counts(snap, f, r, i);
  if (all) return r.accesses;
  for (std::size_t i = 0; i < f.accesses.size(); ++i) {
    if (counts(snap, f, r, i)) storage.push_back(r.accesses[i]);
  }
  return storage;
}

// A DELETE counts too: which rows of an unprotected table it removes, chosen by realm data,
// is realm data written there (one bit per row), as an UPDATE's WHERE is.
bool writes_data(Command c) {
  return c == Command::kInsert || c == Command::kUpdate || c == Command::kCreate ||
         c == Command::kDelete;
}

using Users = std::map<std::string, std::set<std::string>>;

// For each body (folded name): the bodies that use it (a view read inside a trigger ...),
// "" for the statement itself.
Users users_of_bodies(const StatementFacts& f) {
  std::set<std::string> bodies;
  for (const auto& a : f.accesses) {
    if (!a.context.empty()) bodies.insert(fold(a.context));
  }
  Users users;
  for (const auto& a : f.accesses) {
    if (bodies.contains(fold(a.table))) users[fold(a.table)].insert(fold(a.context));
  }
  return users;
}

// `body` and every body that (transitively) uses it.
std::set<std::string> with_users(const std::string& body, const Users& users) {
  std::set<std::string> out{body};
  std::vector<std::string> todo{body};
  while (!todo.empty()) {
    const std::string b = todo.back();
    todo.pop_back();
    auto it = users.find(b);
    if (it == users.end()) continue;
    for (const auto& u : it->second) {
      if (out.insert(u).second) todo.push_back(u);
    }
  }
  return out;
}

// A scope that shares with every other: where the reads of a context go when it is not an
// isolated body (a CTE, or a name a CTE could have). Not a valid SQL name.
const std::string kEverywhere{"\x01everywhere"};

// Where data read at `context` can go: the trigger bodies or the statement ("") that use it.
// A view's or CTE's rows flow to whoever reads them; a trigger's stay in its own body. SQLite
// names a CTE as the context of its reads without reporting a read of the CTE, so only the
// bodies compile() found to be the schema's own (facts.isolated_bodies) are followed; any
// other context flows everywhere.
std::set<std::string> flow_scopes(const std::string& context, const Users& users,
                                  const std::set<std::string>& isolated) {
  if (!context.empty() && !isolated.contains(context)) return {kEverywhere};
  std::set<std::string> out;
  for (const auto& b : with_users(context, users)) {
    if (!b.empty() && !isolated.contains(b)) return {kEverywhere};
    if (!users.contains(b)) out.insert(b);
  }
  return out;
}

// VACUUM INTO writes a copy of every table to a file: no realm protects it, so it may not
// hold data of an enforcing realm, even for a session that may read that data.
Status contain_copy_out(const vault::PolicySnapshot& snap, const StatementFacts& f,
                        const vault::StatementAccesses& r) {
  if (!f.copies_out || !snap.vault_enabled()) return ok_status();
  for (std::size_t i = 0; i < f.accesses.size(); ++i) {
    if (f.accesses[i].command != Command::kSelect) continue;
    for (rules::RealmId realm : enforcing_realms(snap, r.accesses[i].object)) {
      Error e = make_error(sqlstate::kInsufficientPrivilege,
                           "realm " + snap.realm(realm)->name + ": VACUUM INTO would copy " +
                               r.names[i] + " into a file, which the realm does not protect");
      e.detail = "data of a realm stays in objects of that realm";
      return e;
    }
  }
  return ok_status();
}

// Whether some read could be copied out of one of its realms by some write, whatever scopes
// they are in: a read with an enforcing realm that the target of a write lacks. When none can
// (the usual case: everything read and written in one realm, or nothing read in a realm),
// contain() needs no scopes, whose sets of strings are most of its cost.
bool any_read_leaves_its_realm(const vault::PolicySnapshot& snap, const StatementFacts& f,
                               const vault::StatementAccesses& r, const std::vector<bool>& in) {
  std::vector<std::vector<rules::RealmId>> targets;
  for (std::size_t w = 0; w < f.accesses.size(); ++w) {
    if (in[w] && writes_data(f.accesses[w].command)) {
      targets.push_back(enforcing_realms(snap, r.accesses[w].object));
    }
  }
  for (std::size_t i = 0; i < f.accesses.size(); ++i) {
    if (!in[i] || f.accesses[i].command != Command::kSelect || f.accesses[i].implied) continue;
    for (rules::RealmId realm : enforcing_realms(snap, r.accesses[i].object)) {
      for (const auto& target : targets) {
        if (std::find(target.begin(), target.end(), realm) == target.end()) return true;
      }
    }
  }
  return false;
}

// Check 2 over the accesses `in` selects.
Status contain(const vault::PolicySnapshot& snap, const StatementFacts& f,
               const vault::StatementAccesses& r, const std::vector<bool>& in) {
  if (!snap.vault_enabled()) return ok_status();
  bool writes = false;  // nothing written, nothing copied (most statements: skip the scopes)
  for (std::size_t i = 0; i < f.accesses.size() && !writes; ++i) {
    writes = in[i] && writes_data(f.accesses[i].command);
  }
  if (!writes) return ok_status();
  // Nothing read, nothing to copy (an INSERT ... VALUES, each row of a COPY FROM): skip the
  // scopes, which allocate (this is the per-row cost of a bulk load).
  bool reads = false;
  for (std::size_t i = 0; i < f.accesses.size() && !reads; ++i) {
    reads = in[i] && f.accesses[i].command == Command::kSelect && !f.accesses[i].implied;
  }
  if (!reads) return ok_status();
  if (!any_read_leaves_its_realm(snap, f, r, in)) return ok_status();
  const Users users = users_of_bodies(f);
  std::vector<std::set<std::string>> scopes;
  for (const auto& a : f.accesses) {
    scopes.push_back(flow_scopes(fold(a.context), users, f.isolated_bodies));
  }
  auto share = [](const std::set<std::string>& x, const std::set<std::string>& y) {
    if (x.contains(kEverywhere) || y.contains(kEverywhere)) return true;
    return std::any_of(x.begin(), x.end(), [&](const std::string& s) { return y.contains(s); });
  };
  // A table written column by column is judged by its columns (its table-level access
  // comes along with them); a table written as a whole (CREATE) by itself.
  std::set<std::pair<std::string, std::string>> column_written;
  for (std::size_t i = 0; i < f.accesses.size(); ++i) {
    const auto& a = f.accesses[i];
    if (in[i] && writes_data(a.command) && !a.column.empty()) {
      column_written.insert({fold(a.schema), fold(a.table)});
    }
  }
  for (std::size_t w = 0; w < f.accesses.size(); ++w) {
    const auto& wa = f.accesses[w];
    if (!in[w] || !writes_data(wa.command)) continue;
    if (wa.column.empty() && column_written.contains({fold(wa.schema), fold(wa.table)})) continue;
    const auto target = enforcing_realms(snap, r.accesses[w].object);
    for (std::size_t i = 0; i < f.accesses.size(); ++i) {
      if (!in[i] || f.accesses[i].command != Command::kSelect || f.accesses[i].implied) continue;
      if (!share(scopes[i], scopes[w])) continue;  // e.g. a trigger's reads, the INSERT's writes
      for (rules::RealmId realm : enforcing_realms(snap, r.accesses[i].object)) {
        if (std::find(target.begin(), target.end(), realm) != target.end()) continue;
        Error e = make_error(sqlstate::kInsufficientPrivilege,
                             "realm " + snap.realm(realm)->name + ": the statement would copy " +
                                 r.names[i] + " into " + r.names[w] +
                                 ", which the realm does not protect");
        e.detail = "data of a realm stays in objects of that realm";
        return e;
      }
    }
  }
  return ok_status();
}

// Check 3 for the accesses made inside `only` (folded; "" = every body).
Status check_bodies(const EnforcementContext& ctx, const vault::PolicySnapshot& snap,
                    const StatementFacts& f, const vault::StatementAccesses& r,
                    const std::string& only, std::string_view sql) {
  if (std::none_of(f.accesses.begin(), f.accesses.end(),
                   [](const EngineAccess& a) { return !a.context.empty(); })) {
    return ok_status();  // no trigger, view or CTE: no body to answer for
  }
  const auto users = users_of_bodies(f);
  // answerable[b]: the accesses whose body is b or is used by b.
  std::map<std::string, std::vector<vault::Access>> answerable;
  std::map<std::string, std::vector<std::size_t>> indexes;
  for (std::size_t i = 0; i < f.accesses.size(); ++i) {
    if (f.accesses[i].context.empty() || !counts(snap, f, r, i)) continue;
    const std::string own = fold(f.accesses[i].context);
    for (const auto& b : with_users(own, users)) {
      if (b.empty() || (!only.empty() && b != only)) continue;
      answerable[b].push_back(r.accesses[i]);
      indexes[b].push_back(i);
    }
  }
  for (const auto& [body, accesses] : answerable) {
    auto found = ctx.creators(body);
    if (!found) return std::move(found).error();
    if (!found->has_value()) continue;  // a CTE: its reads are the statement's own
    const auto& creators = **found;
    if (creators.empty()) {
      for (std::size_t i : indexes[body]) {
        if (!enforcing_realms(snap, r.accesses[i].object).empty()) {
          return make_error(sqlstate::kInsufficientPrivilege,
                            "trigger or view " + body +
                                " has no recorded creator, so its body "
                                "may not touch " +
                                r.names[i] + ", which a realm protects");
        }
      }
      continue;
    }
    for (const auto& c : creators) {
      if (snap.find_user(c.user) != c.user_id) {
        return make_error(sqlstate::kInsufficientPrivilege,
                          "the creator " + c.user + " of trigger or view " + body +
                              " no longer exists; its body may not run");
      }
      vault::Session creator(c.user_id, c.user, ctx.session.info());  // no unlocks: standing
      Status s = ctx.vault.check(creator, accesses, sql);
      if (!s.ok()) {
        Error e = std::move(s).error();
        e.message = "trigger or view " + body + " (created by " + c.user + "): " + e.message;
        return e;
      }
    }
  }
  return ok_status();
}

// A tablespace's catalog (its tables' names and definitions, which the key layer authorizes
// on: docs/encryption.md §9.4) is written only by CREATE TABLE ... TABLESPACE: a rename in the
// file would leave the catalog naming a table that is gone, and a realm given the new name
// would not count for the tablespace's key. Every schema but main and temp is a tablespace.
Status refuse_tablespace_rename(const EngineAccess& a) {
  const std::string schema = fold(a.schema);
  if (schema.empty() || schema == "main" || schema == "temp") return ok_status();
  return make_error(sqlstate::kFeatureNotSupported,
                    "ALTER TABLE ... RENAME of " + schema + "." + fold(a.table) +
                        " is not supported: tablespace " + schema +
                        " knows its tables by name (its catalog and the release of its key)");
}

}  // namespace

Status enforce(const EnforcementContext& ctx, const vault::PolicySnapshot& snap,
               const StatementFacts& facts, const vault::StatementAccesses& resolved,
               std::string_view sql) {
  std::vector<vault::Access> storage;
  DBV_RETURN_IF_ERROR(ctx.vault.check(ctx.session, counted(snap, facts, resolved, storage), sql));
  if (facts.renames) {
    for (std::size_t i = 0; i < facts.accesses.size(); ++i) {
      if (facts.accesses[i].command != Command::kAlter) continue;
      DBV_RETURN_IF_ERROR(refuse_tablespace_rename(facts.accesses[i]));
      const auto realms = enforcing_realms(snap, resolved.accesses[i].object);
      if (realms.empty()) continue;
      return make_error(sqlstate::kInsufficientPrivilege,
                        "realm " + snap.realm(realms.front())->name + ": renaming " +
                            resolved.names[i] +
                            " would take it out of the realm (membership is by name)");
    }
  }
  DBV_RETURN_IF_ERROR(
      contain(snap, facts, resolved, std::vector<bool>(facts.accesses.size(), true)));
  DBV_RETURN_IF_ERROR(contain_copy_out(snap, facts, resolved));
  return check_bodies(ctx, snap, facts, resolved, "", sql);
}

Status enforce_body(const EnforcementContext& ctx, const vault::PolicySnapshot& snap,
                    const StatementFacts& facts, const vault::StatementAccesses& resolved,
                    std::string_view body, std::string_view sql) {
  const std::string b = fold(body);
  const auto users = users_of_bodies(facts);
  std::vector<bool> in(facts.accesses.size(), false);
  for (std::size_t i = 0; i < facts.accesses.size(); ++i) {
    const auto& c = facts.accesses[i].context;
    in[i] = !c.empty() && with_users(fold(c), users).contains(b);
  }
  DBV_RETURN_IF_ERROR(contain(snap, facts, resolved, in));
  return check_bodies(ctx, snap, facts, resolved, b, sql);
}

}  // namespace dbvault::storage
