#include "server/session/key_views.h"

#include <algorithm>
#include <filesystem>

#include "server/runtime/tek_rotation.h"
#include "storage/columns/column_catalog.h"
#include "storage/tablespace_catalog.h"

namespace dbvault::server::session {
namespace {

struct TablespaceKey {
  std::string name;
  std::filesystem::path file;
  std::vector<std::string> tables;
  crypto::TekInfo key;
};

std::string cipher_text(crypto::AeadAlgorithm a) { return std::string(crypto::algorithm_name(a)); }

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// The engine database, then every tablespace of the catalog, with its active key's record.
Result<std::vector<TablespaceKey>> tablespaces(const ServerContext& ctx) {
  const Services& s = ctx.services;
  std::vector<TablespaceKey> out;
  auto engine_key = s.keys->current(engine_key_scope());
  if (!engine_key) return std::move(engine_key).error();
  out.push_back({"default", s.dir.engine_db(), {}, *engine_key});
  for (const auto& t : ctx.engine.tablespaces().list()) {
    auto key = s.keys->current(storage::TablespaceCatalog::scope_of(t.name));
    if (!key) return std::move(key).error();
    TablespaceKey row{t.name, storage::TablespaceCatalog::file_of(s.dir.data(), t), {}, *key};
    for (const auto& table : t.tables) row.tables.push_back(t.name + "." + table.name);
    out.push_back(std::move(row));
  }
  return out;
}

// The realm whose own tablespace `name` is (CREATE REALM ... TABLESPACE), or "".
std::string owning_realm(const vault::PolicySnapshot& snap, const std::string& name) {
  for (const auto& b : snap.data().realm_tablespaces) {
    if (b.tablespace != name) continue;
    for (const auto& r : snap.data().realms) {
      if (r.id == b.realm_id) return r.name;
    }
  }
  return "";
}

}  // namespace

const std::vector<std::string>& encryption_progress_columns() {
  static const std::vector<std::string> kColumns{
      "object",      "scope", "from_version", "to_version", "pages_done",
      "pages_total", "state", "error",        "started_at", "finished_at"};
  return kColumns;
}

ViewRows encryption_progress_rows(const ServerContext& ctx) {
  ViewRows rows;
  if (!ctx.services.rotations) return rows;
  for (const auto& p : ctx.services.rotations->progress()) {
    rows.push_back({p.object, p.scope, std::to_string(p.from_version), std::to_string(p.to_version),
                    std::to_string(p.pages_done), std::to_string(p.pages_total), p.state, p.error,
                    p.started_at, p.finished_at});
  }
  return rows;
}

const std::vector<std::string>& tablespace_columns() {
  static const std::vector<std::string> kColumns{"name",   "file",   "algorithm", "key_version",
                                                 "tables", "realms", "realm"};
  return kColumns;
}

Result<ViewRows> tablespace_rows(const ServerContext& ctx, const vault::PolicySnapshot& snap) {
  auto spaces = tablespaces(ctx);
  if (!spaces) return std::move(spaces).error();
  ViewRows rows;
  for (const auto& t : *spaces) {
    std::vector<std::string> realms;
    const std::string prefix = (t.name == "default" ? std::string("main") : t.name) + ".";
    for (const auto& ro : snap.data().realm_objects) {
      if (!snap.object_name(ro.object_id).starts_with(prefix)) continue;
      for (const auto& r : snap.data().realms) {
        if (r.id != ro.realm_id) continue;
        if (std::find(realms.begin(), realms.end(), r.name) == realms.end())
          realms.push_back(r.name);
      }
    }
    rows.push_back({t.name, std::filesystem::relative(t.file, ctx.services.dir.root).string(),
                    cipher_text(t.key.algorithm), std::to_string(t.key.version), joined(t.tables),
                    joined(realms), owning_realm(snap, t.name)});
  }
  return rows;
}

Result<ViewRows> tde_setting_rows(const ServerContext& ctx) {
  auto spaces = tablespaces(ctx);
  if (!spaces) return std::move(spaces).error();
  // The engine database is always encrypted (docs/encryption.md §8): there is no off switch.
  ViewRows rows{{"security.tde_enabled", "true"}};
  for (const auto& t : *spaces) {
    const std::string key = "security.tablespace." + t.name;
    rows.push_back({key + ".algorithm", cipher_text(t.key.algorithm)});
    rows.push_back({key + ".key_version", std::to_string(t.key.version)});
  }
  // Encrypted columns (docs/encryption.md §13): mode and the version of the table's column key.
  for (const auto& t : ctx.engine.encrypted_columns().list()) {
    auto key = ctx.services.keys->current(storage::columns::ColumnCatalog::scope_of(t.table));
    if (!key) return std::move(key).error();
    for (const auto& c : t.columns) {
      const std::string name = "security.encrypted_column." + t.table + "." + c.column;
      rows.push_back(
          {name + ".mode", c.mode ? std::string(storage::columns::mode_name(*c.mode)) : "invalid"});
      rows.push_back({name + ".key_version", std::to_string(key->version)});
    }
  }
  return rows;
}

}  // namespace dbvault::server::session
