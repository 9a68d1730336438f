#include "vault/audit_anchor.h"

#include <charconv>

namespace dbvault::vault {
namespace {

constexpr std::string_view kSetAnchor =
    "INSERT INTO settings (key, value) VALUES ('audit_anchor', ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

Result<std::uint64_t> current_version(PolicyStore::Db& db) {
  auto st = db.prepare("SELECT value FROM settings WHERE key = 'policy_version'");
  if (!st) return std::move(st).error();
  auto row = st->step();
  if (!row) return std::move(row).error();
  const std::string text = *row ? st->text(0) : std::string();
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (!*row || ec != std::errc() || end != text.data() + text.size()) {
    return make_error(sqlstate::kDataCorrupted, "the policy store has no valid policy version");
  }
  return v;
}

}  // namespace

Result<audit::PolicyAnchor> load_policy_anchor(PolicyStore& store) {
  audit::PolicyAnchor out;
  DBV_RETURN_IF_ERROR(store.read([&](PolicyStore::Db& db) -> Status {
    auto version = current_version(db);
    if (!version) return std::move(version).error();
    out.policy_version = *version;
    auto st = db.prepare("SELECT value FROM settings WHERE key = 'audit_anchor'");
    if (!st) return std::move(st).error();
    auto row = st->step();
    if (!row) return std::move(row).error();
    if (!*row) return ok_status();
    auto anchor = audit::decode_anchor(st->text(0));
    if (!anchor) return std::move(anchor).error();
    out.anchor = *anchor;
    return ok_status();
  }));
  return out;
}

Status store_policy_anchor(PolicyStore& store, const audit::Anchor& anchor) {
  return store.write_state(
      [&](PolicyStore::Db& db) { return db.run(kSetAnchor, audit::encode_anchor(anchor)); });
}

Status refresh_audit_anchor(PolicyStore& store, audit::Log& log) {
  auto policy = load_policy_anchor(store);
  if (!policy) return std::move(policy).error();
  auto anchor = log.anchor_policy_version(policy->policy_version);
  if (!anchor) return std::move(anchor).error();
  return store_policy_anchor(store, *anchor);
}

Status attach_audit_anchor(PolicyStore& store, audit::Log& log) {
  auto policy = load_policy_anchor(store);
  if (!policy) return std::move(policy).error();
  DBV_RETURN_IF_ERROR(audit::check_anchors(log, *policy));
  DBV_RETURN_IF_ERROR(refresh_audit_anchor(store, log));
  store.set_version_hook([&log](PolicyStore::Db& db, std::uint64_t new_version) -> Status {
    auto anchor = log.anchor_policy_version(new_version);
    if (!anchor) return std::move(anchor).error();
    return db.run(kSetAnchor, audit::encode_anchor(*anchor));
  });
  return ok_status();
}

void detach_audit_anchor(PolicyStore& store) { store.set_version_hook(nullptr); }

}  // namespace dbvault::vault
