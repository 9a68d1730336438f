#include "storage/tablespace_attach.h"

#include <spdlog/spdlog.h>

#include "common/sqlstate.h"
#include "storage/compile.h"
#include "storage/sql_words.h"
#include "storage/vfs/encrypted_db.h"
#include "storage/vfs/page_key.h"
#include "storage/vfs/tde_vfs.h"

namespace dbvault::storage {
namespace {

// SQLite's URI form of `path` through VFS `vfs` ('%', '?' and '#' escaped).
std::string uri_of(const std::filesystem::path& path, const std::string& vfs) {
  std::string out = "file:";
  for (char c : path.string()) {
    if (c == '%' || c == '?' || c == '#') {
      static const char* hex = "0123456789ABCDEF";
      out += '%';
      out += hex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      out += hex[static_cast<unsigned char>(c) & 0xF];
    } else {
      out += c;
    }
  }
  return out + "?vfs=" + vfs;
}

// ATTACH with the file name bound, never spliced into the text. `name` is a normalized
// tablespace name (letters, digits, '_'), so quoting it is enough.
int attach(sqlite3* db, const std::string& file, const std::string& name) {
  const std::string sql = "ATTACH DATABASE ?1 AS \"" + name + "\"";
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  if (rc != SQLITE_OK) return rc;
  StmtPtr st(raw);
  sqlite3_bind_text(raw, 1, file.c_str(), -1, SQLITE_TRANSIENT);
  rc = sqlite3_step(raw);
  return rc == SQLITE_DONE ? SQLITE_OK : sqlite3_extended_errcode(db);
}

bool in_transaction(sqlite3* db) { return sqlite3_get_autocommit(db) == 0; }

}  // namespace

TablespaceAttachments::TablespaceAttachments(const TablespaceCatalog& catalog,
                                             std::filesystem::path dir)
    : catalog_(catalog), dir_(std::move(dir)) {}

TablespaceAttachments::~TablespaceAttachments() = default;

bool TablespaceAttachments::detach(sqlite3* db, Authorizer& auth, const std::string& name) {
  auto scope = auth.internal();
  const std::string sql = "DETACH DATABASE \"" + name + "\"";
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    // A statement still running on it (a suspended portal): it stays until the next sync;
    // check_runnable refuses new executions on it meanwhile.
    return false;
  }
  auto it = attached_.find(name);
  if (it != attached_.end()) {
    if (it->second.vfs) retired_.push_back(std::move(it->second.vfs));
    attached_.erase(it);
  }
  return true;
}

int TablespaceAttachments::detach_locked(sqlite3* db, Authorizer& auth, bool all) {
  if (in_transaction(db)) return 0;
  std::vector<std::string> due;
  for (const auto& [name, a] : attached_) {
    if (a.real && (all || a.key->expired())) due.push_back(name);
  }
  int n = 0;
  for (const auto& name : due) n += detach(db, auth, name) ? 1 : 0;
  return n;
}

Status TablespaceAttachments::attach_standin(sqlite3* db, Authorizer& auth,
                                             const TablespaceInfo& info,
                                             std::optional<Error> failure) {
  auto scope = auth.internal();
  if (int rc = attach(db, ":memory:", info.name); rc != SQLITE_OK) return engine_error(db, rc);
  attached_[info.name] =
      Attached{false, catalog_.epoch(), nullptr, nullptr, {}, std::move(failure)};
  for (const auto& t : info.tables) {
    if (sqlite3_exec(db, t.sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      Error e = engine_error(db, sqlite3_extended_errcode(db));
      (void)detach(db, auth, info.name);
      return e;
    }
  }
  return ok_status();
}

Status TablespaceAttachments::attach_real(sqlite3* db, Authorizer& auth,
                                          const TablespaceInfo& info) {
  auto key = release_ring(*keys_, TablespaceCatalog::scope_of(info.name));
  if (!key) return std::move(key).error();
  auto made = vfs::TdeVfs::create(*key);
  if (!made) return std::move(made).error();
  std::shared_ptr<vfs::TdeVfs> tde(std::move(*made));
  auto scope = auth.internal();
  // The engine connection's WAL hook stays (the tablespace's checkpointer checkpoints).
  DBV_RETURN_IF_ERROR(vfs::configure_connection(db, *tde, /*pace_checkpoints=*/false));
  const auto file = TablespaceCatalog::file_of(dir_, info);
  if (!std::filesystem::exists(file)) {
    return make_error(sqlstate::kSystemError, "the file of tablespace \"" + info.name + "\" (" +
                                                  file.string() + ") is missing");
  }
  if (int rc = attach(db, uri_of(file, tde->name()), info.name); rc != SQLITE_OK) {
    return vfs::tde_error(*tde, db, rc, "cannot attach tablespace \"" + info.name + "\"");
  }
  attached_[info.name] = Attached{true, catalog_.epoch(), *key, tde, file, std::nullopt};
  // Per-schema settings, and the key proven now (the schema is read through the VFS).
  const std::string pragmas = "PRAGMA \"" + info.name + "\".synchronous = FULL; PRAGMA \"" +
                              info.name + "\".mmap_size = 0; SELECT count(*) FROM \"" + info.name +
                              "\".sqlite_schema";
  if (int rc = sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    Error e = vfs::tde_error(*tde, db, sqlite3_extended_errcode(db),
                             "cannot open tablespace \"" + info.name + "\"");
    (void)detach(db, auth, info.name);
    return e;
  }
  return ok_status();
}

Status TablespaceAttachments::sync(sqlite3* db, Authorizer& auth) {
  if (in_transaction(db)) return ok_status();
  (void)detach_locked(db, auth);
  const auto spaces = catalog_.list();
  std::vector<std::string> gone;
  for (const auto& [name, a] : attached_) {
    const bool listed = std::any_of(spaces.begin(), spaces.end(),
                                    [&](const TablespaceInfo& i) { return i.name == name; });
    if (!listed) gone.push_back(name);
  }
  for (const auto& name : gone) (void)detach(db, auth, name);
  for (const auto& info : spaces) {
    auto it = attached_.find(info.name);
    if (it != attached_.end() && it->second.real) continue;
    const bool may = keys_ && keys_->may_release(TablespaceCatalog::scope_of(info.name));
    if (!may) {
      if (it != attached_.end() && it->second.epoch == catalog_.epoch()) continue;
      if (it != attached_.end() && !detach(db, auth, info.name)) continue;
      DBV_RETURN_IF_ERROR(attach_standin(db, auth, info));
      continue;
    }
    if (it != attached_.end() && !detach(db, auth, info.name)) continue;
    if (auto s = attach_real(db, auth, info); !s) {
      spdlog::warn("tablespace {}: not attached for this session: {}", info.name,
                   s.error().message);
      // The vault admitted the session: a refusal now is the gate's (42501, as for a stand-in
      // without a key); anything else is the file's, and statements on it say so.
      std::optional<Error> failure;
      if (s.error().code != sqlstate::kInsufficientPrivilege) failure = s.error();
      DBV_RETURN_IF_ERROR(attach_standin(db, auth, info, std::move(failure)));
    }
  }
  return ok_status();
}

TablespaceAttachments::RealAttachment TablespaceAttachments::real_attachment(
    std::string_view schema) const {
  auto it = attached_.find(schema);
  if (it == attached_.end() || !it->second.real) return {};
  return {it->second.vfs, it->second.key, it->second.file};
}

bool TablespaceAttachments::attached_for_real(std::string_view tablespace) const {
  auto it = attached_.find(fold_ascii(tablespace));
  return it != attached_.end() && it->second.real && !it->second.key->expired();
}

Status TablespaceAttachments::check_runnable(const std::vector<std::string>& names) const {
  if (attached_.empty()) return ok_status();  // no tablespace attached: nothing to refuse
  for (const auto& n : names) {
    const std::string schema = fold_ascii(std::string_view(n).substr(0, n.find('.')));
    auto it = attached_.find(schema);
    if (it == attached_.end()) continue;
    if (it->second.real && !it->second.key->expired()) continue;
    if (it->second.failure) return *it->second.failure;
    return make_error(sqlstate::kInsufficientPrivilege,
                      "permission denied: the key of tablespace \"" + schema +
                          "\" is not released to this session (its realm is locked, or the "
                          "key was locked since; it is released again at the next statement "
                          "outside a transaction once the vault admits the session)");
  }
  return ok_status();
}

}  // namespace dbvault::storage
