#include "vault/policy_snapshot.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "grammar/grammar.h"

namespace dbvault::vault {

namespace {

void set_bit(std::vector<std::uint64_t>& words, std::uint32_t id) {
  if (id / 64 >= words.size()) words.resize(id / 64 + 1, 0);
  words[id / 64] |= std::uint64_t{1} << (id % 64);
}

bool intersects(rules::BitsetView a, const std::vector<std::uint64_t>& b) {
  const auto wa = a.words();
  const std::size_t n = std::min(wa.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if ((wa[i] & b[i]) != 0) return true;
  }
  return false;
}

std::string object_key(std::string_view schema, std::string_view table, std::string_view column) {
  std::string key(schema);
  key += '.';
  key += table;
  if (!column.empty()) {
    key += '.';
    key += column;
  }
  return key;
}

// The key objects are found by: SQLite compares schema, table and column names without
// regard to ASCII case (and only ASCII: 'É' and 'é' are different names to it), so the
// vault must too, or `Patients` in the engine would miss `patients` in a realm and escape it.
std::string folded_key(std::string_view schema, std::string_view table, std::string_view column) {
  std::string key = object_key(schema, table, column);
  for (char& ch : key) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return key;
}

template <typename Map>
std::optional<std::uint32_t> lookup(const Map& m, std::string_view name) {
  auto it = m.find(std::string(name));
  if (it == m.end()) return std::nullopt;
  return it->second;
}

std::uint32_t privilege_bit(ast::Command c) {
  switch (c) {
    case ast::Command::kSelect:
    case ast::Command::kExport:
      return kPrivSelect;
    case ast::Command::kInsert:
      return kPrivInsert;
    case ast::Command::kUpdate:
      return kPrivUpdate;
    case ast::Command::kDelete:
    case ast::Command::kTruncate:  // the engine runs TRUNCATE as a DELETE of every row
      return kPrivDelete;
    default:
      return 0;
  }
}

}  // namespace

std::shared_ptr<const PolicySnapshot> PolicySnapshot::build(PolicyData data, ParseCache* parsed) {
  std::shared_ptr<PolicySnapshot> s(new PolicySnapshot());
  s->data_ = std::move(data);
  s->index_principals();
  s->index_objects();
  s->index_realms();
  s->compile_rules(parsed);
  return s;
}

void PolicySnapshot::index_principals() {
  std::uint32_t max_user = 0, max_role = 0;
  for (const auto& u : data_.users) max_user = std::max(max_user, u.id);
  for (const auto& r : data_.roles) max_role = std::max(max_role, r.id);
  user_names_.assign(max_user + 1, {});
  role_names_.assign(max_role + 1, {});
  for (const auto& u : data_.users) {
    users_[u.name] = u.id;
    user_names_[u.id] = u.name;
  }
  for (const auto& r : data_.roles) {
    roles_[r.name] = r.id;
    role_names_[r.id] = r.name;
  }
  role_stride_ = max_role / 64 + 1;
  user_roles_.assign((max_user + 1) * role_stride_, 0);
  // Role graph: parents_of_role[r] = roles r is a member of.
  std::vector<std::vector<std::uint32_t>> parents(max_role + 1), direct(max_user + 1);
  for (const auto& m : data_.memberships) {
    if (m.member_kind == ast::PrincipalKind::kRole) {
      if (m.member_id <= max_role) parents[m.member_id].push_back(m.role_id);
    } else if (m.member_id <= max_user) {
      direct[m.member_id].push_back(m.role_id);
    }
  }
  for (std::uint32_t u = 0; u <= max_user; ++u) {
    std::uint64_t* words = user_roles_.data() + u * role_stride_;
    std::vector<std::uint32_t> todo = direct[u];
    while (!todo.empty()) {  // transitive closure; the bitset stops cycles
      const std::uint32_t r = todo.back();
      todo.pop_back();
      if ((words[r / 64] >> (r % 64)) & 1U) continue;
      words[r / 64] |= std::uint64_t{1} << (r % 64);
      for (std::uint32_t p : parents[r]) todo.push_back(p);
    }
  }
}

void PolicySnapshot::index_objects() {
  std::uint32_t max_object = 0, max_realm = 0;
  for (const auto& o : data_.objects) max_object = std::max(max_object, o.id);
  for (const auto& r : data_.realms) max_realm = std::max(max_realm, r.id);
  objects_.assign(max_object + 1, {});
  object_names_.assign(max_object + 1, {});
  canonical_.assign(max_object + 1, rules::kNoId);
  // The store keeps names as written, so `patients` (a realm's) and `Patients` (the engine's)
  // can be two rows for one engine object. All rows of one folded name act as one object:
  // the lowest id (canonical_) carries the union of their realms and grants, and every id of
  // the group resolves to it. Their owners must agree, else the object has none (fail closed).
  std::vector<std::uint32_t> ordered;
  for (const auto& o : data_.objects) ordered.push_back(o.id);
  std::sort(ordered.begin(), ordered.end());
  std::vector<const ObjectRow*> rows(max_object + 1, nullptr);
  std::vector<bool> owner_conflict(max_object + 1, false);
  for (const auto& o : data_.objects) rows[o.id] = &o;
  for (std::uint32_t id : ordered) {
    const ObjectRow& o = *rows[id];
    object_names_[id] = {o.schema, o.table, o.column};
    const auto [it, first] =
        objects_by_name_.try_emplace(folded_key(o.schema, o.table, o.column), id);
    const std::uint32_t c = it->second;
    canonical_[id] = c;
    auto& info = objects_[c];
    if (first) {
      info.exists = true;
      info.owner_user = o.owner_user;
    } else if (o.owner_user != 0 && o.owner_user != info.owner_user && !owner_conflict[c]) {
      owner_conflict[c] = info.owner_user != 0;
      info.owner_user = owner_conflict[c] ? 0 : o.owner_user;
    }
  }
  for (std::uint32_t id = 0; id <= max_object; ++id) {  // link columns to their tables
    auto& info = objects_[id];
    const auto& n = object_names_[id];
    if (!info.exists || n.column.empty()) continue;
    if (auto t = lookup(objects_by_name_, folded_key(n.schema, n.table, ""))) {
      info.table_id = *t;
      info.owner_user = objects_[*t].owner_user;  // a column inherits the table's owner
    }
  }
  // Grants grouped by table.
  std::vector<PrivilegeRow> privileges = data_.privileges;
  for (auto& p : privileges) {
    if (p.object_id <= max_object && canonical_[p.object_id] != rules::kNoId) {
      p.object_id = canonical_[p.object_id];
    }
  }
  std::stable_sort(privileges.begin(), privileges.end(),
                   [](const auto& a, const auto& b) { return a.object_id < b.object_id; });
  for (std::size_t i = 0; i < privileges.size(); ++i) {
    const auto& p = privileges[i];
    if (p.object_id > max_object) continue;
    auto& info = objects_[p.object_id];
    if (info.grant_count == 0) info.grant_offset = static_cast<std::uint32_t>(grants_.size());
    if (info.grant_count == UINT16_MAX) continue;  // absurd; fail closed (fewer grants)
    grants_.push_back({p.grantee_kind, p.grantee_id, p.privileges});
    ++info.grant_count;
  }
  // Realm bitsets: only objects in some realm (directly or through their table) get one, and
  // objects with the same realms share it (a table and its columns, the tables of one realm),
  // so that the sets stay few and cache-resident and equal sets have equal addresses.
  realm_stride_ = max_realm / 64 + 1;
  std::vector<std::vector<std::uint32_t>> direct(max_object + 1);
  for (const auto& ro : data_.realm_objects) {
    if (ro.object_id > max_object) continue;
    const std::uint32_t c = canonical_[ro.object_id];
    direct[c != rules::kNoId ? c : ro.object_id].push_back(ro.realm_id);
  }
  std::map<std::vector<std::uint64_t>, std::uint32_t> interned;  // words -> realm_offset
  std::vector<std::uint64_t> words(realm_stride_);
  for (std::uint32_t id = 0; id <= max_object; ++id) {
    auto& info = objects_[id];
    if (!info.exists) continue;
    const auto& own = direct[id];
    const auto* inherited = info.table_id != rules::kNoId ? &direct[info.table_id] : nullptr;
    if (own.empty() && (inherited == nullptr || inherited->empty())) continue;
    std::fill(words.begin(), words.end(), 0);
    for (std::uint32_t r : own) words[r / 64] |= std::uint64_t{1} << (r % 64);
    if (inherited != nullptr) {
      for (std::uint32_t r : *inherited) words[r / 64] |= std::uint64_t{1} << (r % 64);
    }
    auto [it, added] = interned.try_emplace(words, static_cast<std::uint32_t>(realm_words_.size()));
    if (added) realm_words_.insert(realm_words_.end(), words.begin(), words.end());
    info.in_realm = true;
    info.realm_offset = it->second;
  }
  // Every other id of a folded name answers as its canonical object does.
  for (std::uint32_t id = 0; id <= max_object; ++id) {
    const std::uint32_t c = canonical_[id];
    if (c != rules::kNoId && c != id) objects_[id] = objects_[c];
  }
  for (std::uint32_t t : data_.revoked_tokens) set_bit(revoked_tokens_, t);
}

void PolicySnapshot::index_realms() {
  std::uint32_t max_realm = 0;
  for (const auto& r : data_.realms) max_realm = std::max(max_realm, r.id);
  realms_.assign(max_realm + 1, {});
  for (const auto& r : data_.realms) {
    auto& info = realms_[r.id];
    info.exists = true;
    info.name = r.name;
    info.description = r.description;
    info.mode = r.mode;
    info.state = r.state;
    info.require_password = r.require_password;
    info.has_password = r.has_password;
    info.owner_user = r.owner_user;
    if (r.owner_user != 0) info.owner_users.push_back(r.owner_user);
    realms_by_name_[r.name] = r.id;
  }
  for (const auto& a : data_.authorizations) {
    if (a.realm_id >= realms_.size() || !realms_[a.realm_id].exists) continue;
    auto& info = realms_[a.realm_id];
    info.has_authorizations = true;
    if (a.kind == ast::PrincipalKind::kUser) {
      info.users.push_back(a.principal_id);
      if (a.as_owner) info.owner_users.push_back(a.principal_id);
    } else {
      set_bit(info.roles, a.principal_id);
      if (a.as_owner) set_bit(info.owner_roles, a.principal_id);
    }
  }
}

void PolicySnapshot::compile_rules(ParseCache* parsed) {
  ParseCache local;
  ParseCache& cache = parsed != nullptr ? *parsed : local;
  ParseCache next;  // only the rules of this policy survive into the next build
  // Statements move (a parsed statement may hold a SecretString): each entry moves from the
  // old cache into the next one, or is parsed when new.
  auto parse = [&](const std::string& sql) -> const Result<ast::Statement>& {
    if (auto done = next.find(sql); done != next.end()) return done->second;
    auto it = cache.find(sql);
    Result<ast::Statement> st = it != cache.end() ? std::move(it->second) : grammar::parse(sql);
    return next.emplace(sql, std::move(st)).first->second;
  };
  for (const auto& row : data_.rule_sets) {
    const auto& st = parse(row.sql);
    if (st.ok()) {
      if (auto* set = std::get_if<ast::CreateRuleSet>(&st->node)) rule_sets_[row.name] = *set;
    }
  }
  rules::PredicateCompiler compiler(*this);
  std::vector<rules::CommandRule> compiled;
  for (const auto& row : data_.command_rules) {
    const auto& st = parse(row.sql);
    const auto* def = st.ok() ? std::get_if<ast::CreateCommandRule>(&st->node) : nullptr;
    Error why =
        st.ok() ? make_error(sqlstate::kDataCorrupted, "stored rule is not a rule") : st.error();
    if (def != nullptr) {
      auto rule = rules::compile_command_rule(*def, row.id, compiler);
      if (rule.ok()) {
        compiled.push_back(std::move(rule).value());
        continue;
      }
      why = rule.error();
    }
    // Fail closed: the rule stays in force, denying its commands everywhere.
    compile_errors_.push_back("command rule " + row.name + ": " + why.message);
    spdlog::warn("vault: {} (the rule now denies its commands everywhere)", compile_errors_.back());
    rules::CommandRule failing;
    failing.id = row.id;
    failing.name = row.name;
    failing.commands = 0;
    if (def != nullptr) {
      for (ast::Command c : def->commands) failing.commands |= rules::command_mask(c);
      failing.state = def->state;
      if (def->message) failing.message = *def->message;
    }
    if (failing.commands == 0) failing.commands = rules::command_mask(ast::Command::kAll);
    if (failing.message.empty()) failing.message = "command rule \"" + row.name + "\" is invalid";
    failing.target = ast::RuleTarget::Kind::kAny;
    failing.target_text = "ANY";
    failing.action = ast::CreateCommandRule::Action::kDenyWhen;
    failing.condition = rules::CompiledPredicate::failing(why, "invalid rule");
    compiled.push_back(std::move(failing));
  }
  rule_index_ = rules::RuleIndex(std::move(compiled));
  if (parsed != nullptr) *parsed = std::move(next);
}

std::optional<rules::RoleId> PolicySnapshot::find_role(std::string_view name) const {
  return lookup(roles_, name);
}
std::optional<rules::UserId> PolicySnapshot::find_user(std::string_view name) const {
  return lookup(users_, name);
}
std::optional<rules::RealmId> PolicySnapshot::find_realm(std::string_view name) const {
  return lookup(realms_by_name_, name);
}
std::optional<rules::ObjectId> PolicySnapshot::find_object(const ast::ObjectRef& ref) const {
  const std::string schema = ref.table.schema.empty() ? "main" : ref.table.schema;
  return lookup(objects_by_name_, folded_key(schema, ref.table.name, ref.column));
}
std::optional<rules::RealmId> PolicySnapshot::realm_of_tablespace(
    std::string_view tablespace) const {
  const auto same = [&](const std::string& stored) {  // stored folded, as lower() does
    return std::equal(stored.begin(), stored.end(), tablespace.begin(), tablespace.end(),
                      [](char a, char b) {
                        return a == ((b >= 'A' && b <= 'Z') ? static_cast<char>(b - 'A' + 'a') : b);
                      });
  };
  for (const auto& b : data_.realm_tablespaces) {
    if (same(b.tablespace) && realm(b.realm_id) != nullptr) return b.realm_id;
  }
  return std::nullopt;
}
const ast::CreateRuleSet* PolicySnapshot::find_rule_set(std::string_view name) const {
  auto it = rule_sets_.find(name);
  return it == rule_sets_.end() ? nullptr : &it->second;
}

std::optional<rules::ObjectId> PolicySnapshot::resolve_access_object(
    const ast::ObjectRef& ref) const {
  if (auto id = find_object(ref)) return id;
  if (ref.column.empty()) return std::nullopt;
  return find_object(ast::ObjectRef{ref.table, ""});
}

std::string PolicySnapshot::object_name(rules::ObjectId id) const {
  if (object(id) == nullptr) return "?";
  const auto& n = object_names_[id];
  return object_key(n.schema, n.table, n.column);
}
std::string_view PolicySnapshot::user_name(std::uint32_t id) const {
  return id < user_names_.size() ? std::string_view(user_names_[id]) : std::string_view();
}
std::string_view PolicySnapshot::role_name(std::uint32_t id) const {
  return id < role_names_.size() ? std::string_view(role_names_[id]) : std::string_view();
}

rules::BitsetView PolicySnapshot::roles_of(std::uint32_t user) const {
  if ((static_cast<std::size_t>(user) + 1) * role_stride_ > user_roles_.size()) return {};
  return rules::BitsetView({user_roles_.data() + user * role_stride_, role_stride_});
}

bool PolicySnapshot::emergency_active(std::uint32_t user, rules::RealmId realm,
                                      std::int64_t now_us) const {
  for (const auto& e : data_.emergency_access) {
    if (e.user_id == user && e.realm_id == realm && e.expires_at > now_us) return true;
  }
  return false;
}

bool PolicySnapshot::emergency_pending(std::uint32_t user, rules::RealmId realm) const {
  for (const auto& e : data_.emergency_pending) {
    if (e.user_id == user && e.realm_id == realm) return true;
  }
  return false;
}

bool PolicySnapshot::authorized(std::uint32_t user, const RealmInfo& realm, bool as_owner) const {
  const auto& users = as_owner ? realm.owner_users : realm.users;
  if (std::find(users.begin(), users.end(), user) != users.end()) return true;
  if (!as_owner && realm.owner_user == user && user != 0) return true;
  return intersects(roles_of(user), as_owner ? realm.owner_roles : realm.roles);
}

bool PolicySnapshot::rbac_allows(std::uint32_t user, ast::Command command, const ObjectInfo& o,
                                 rules::ObjectId id) const {
  if (has_role(user, kRoleDba)) return true;
  if (o.owner_user != 0 && o.owner_user == user) return true;
  const std::uint32_t need = privilege_bit(command);
  if (need == 0) return false;
  const rules::ObjectId table = o.table_id == rules::kNoId ? id : o.table_id;
  const ObjectInfo* t = table == id ? &o : object(table);
  if (t == nullptr) return false;
  const auto roles = roles_of(user);
  for (std::uint32_t i = t->grant_offset; i < t->grant_offset + t->grant_count; ++i) {
    const TableGrant& g = grants_[i];
    if ((g.privileges & need) == 0) continue;
    if (g.grantee_kind == ast::PrincipalKind::kUser ? g.grantee_id == user
                                                    : roles.test(g.grantee_id)) {
      return true;
    }
  }
  return false;
}

}  // namespace dbvault::vault
