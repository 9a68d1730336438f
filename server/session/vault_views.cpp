#include "server/session/vault_views.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>

#include "audit/sql_view.h"
#include "grammar/printer.h"
#include "server/session/key_views.h"

namespace dbvault::server::session {
namespace {

using Rows = std::vector<std::vector<std::string>>;

struct ViewTable {
  std::vector<std::string> columns;
  Rows rows;
};
using Provider = std::function<Result<ViewTable>()>;

// --- A generic read-only virtual table whose rows a Provider computes at each scan ---
struct Aux {
  std::map<std::string, Provider, std::less<>> providers;
  std::map<std::string, std::vector<std::string>, std::less<>> columns;
};
struct Table {
  sqlite3_vtab base{};
  const Aux* aux = nullptr;
  std::string name;
};
struct Cursor {
  sqlite3_vtab_cursor base{};
  Rows rows;
  std::size_t pos = 0;
};

int set_error(sqlite3_vtab* vtab, const std::string& message) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s", message.c_str());
  return SQLITE_ERROR;
}

int connect(sqlite3* db, void* aux_ptr, int argc, const char* const* argv, sqlite3_vtab** out,
            char** err) {
  const auto* aux = static_cast<const Aux*>(aux_ptr);
  const std::string name = argc > 3 ? argv[3] : "";
  const auto cols = aux->columns.find(name);
  if (cols == aux->columns.end()) {
    *err = sqlite3_mprintf("no vault view %s", name.c_str());
    return SQLITE_ERROR;
  }
  std::string ddl = "CREATE TABLE x(";
  for (std::size_t i = 0; i < cols->second.size(); ++i) {
    ddl += (i ? ", " : "") + grammar::quote_identifier(cols->second[i]);
  }
  ddl += ")";
  if (const int rc = sqlite3_declare_vtab(db, ddl.c_str()); rc != SQLITE_OK) return rc;
  auto table = std::make_unique<Table>();
  table->aux = aux;
  table->name = name;
  *out = &table.release()->base;
  return SQLITE_OK;
}

int disconnect(sqlite3_vtab* vtab) {
  std::unique_ptr<Table> owned(reinterpret_cast<Table*>(vtab));
  return SQLITE_OK;
}

int best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  info->estimatedCost = 1000;
  return SQLITE_OK;
}

int open_cursor(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  *out = &(new Cursor)->base;  // NOLINT: owned by SQLite until close_cursor
  return SQLITE_OK;
}

int close_cursor(sqlite3_vtab_cursor* c) {
  std::unique_ptr<Cursor> owned(reinterpret_cast<Cursor*>(c));
  return SQLITE_OK;
}

int filter(sqlite3_vtab_cursor* base, int, const char*, int, sqlite3_value**) {
  auto* c = reinterpret_cast<Cursor*>(base);
  auto* t = reinterpret_cast<Table*>(base->pVtab);
  auto table = t->aux->providers.at(t->name)();
  if (!table)
    return set_error(base->pVtab,
                     std::string(table.error().code.code()) + ":" + table.error().message);
  c->rows = std::move(table->rows);
  c->pos = 0;
  return SQLITE_OK;
}

int next(sqlite3_vtab_cursor* base) {
  ++reinterpret_cast<Cursor*>(base)->pos;
  return SQLITE_OK;
}
int eof(sqlite3_vtab_cursor* base) {
  auto* c = reinterpret_cast<Cursor*>(base);
  return c->pos >= c->rows.size() ? 1 : 0;
}
int column(sqlite3_vtab_cursor* base, sqlite3_context* ctx, int i) {
  auto* c = reinterpret_cast<Cursor*>(base);
  const auto& row = c->rows[c->pos];
  if (static_cast<std::size_t>(i) >= row.size()) {
    sqlite3_result_null(ctx);
    return SQLITE_OK;
  }
  const std::string& v = row[static_cast<std::size_t>(i)];
  // Counts and numbers compare as numbers; the rest is text.
  char* end = nullptr;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  if (!v.empty() && end != nullptr && *end == '\0' &&
      std::isdigit(static_cast<unsigned char>(v.back()))) {
    sqlite3_result_int64(ctx, n);
  } else {
    sqlite3_result_text(ctx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  return SQLITE_OK;
}
int rowid(sqlite3_vtab_cursor* base, sqlite3_int64* out) {
  *out = static_cast<sqlite3_int64>(reinterpret_cast<Cursor*>(base)->pos);
  return SQLITE_OK;
}

sqlite3_module make_module() {
  sqlite3_module m;
  std::memset(&m, 0, sizeof m);
  m.iVersion = 1;
  m.xCreate = connect;
  m.xConnect = connect;
  m.xBestIndex = best_index;
  m.xDisconnect = disconnect;
  m.xDestroy = disconnect;
  m.xOpen = open_cursor;
  m.xClose = close_cursor;
  m.xFilter = filter;
  m.xNext = next;
  m.xEof = eof;
  m.xColumn = column;
  m.xRowid = rowid;
  return m;
}
const sqlite3_module kModule = make_module();

}  // namespace

bool names_vault_view(std::string_view sql) {
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'') {
      quote = c;
      continue;
    }
    if (sql.substr(i, 2) == "--") {
      while (i < sql.size() && sql[i] != '\n') ++i;
      continue;
    }
    const bool start =
        i == 0 || (std::isalnum(static_cast<unsigned char>(sql[i - 1])) == 0 && sql[i - 1] != '_');
    if (!start || sql.size() - i < 6) continue;
    std::string word;
    for (std::size_t j = i; j < i + 5; ++j) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[j])));
    }
    if (word == "vault" && sql[i + 5] == '.') return true;
    if (word == "vault" && i > 0 && sql[i - 1] == '"' && sql.substr(i + 5, 2) == "\".") return true;
  }
  return false;
}

namespace {

std::string yes_no(bool b) { return b ? "true" : "false"; }

Rows to_rows(const vault::StatementResult& r) { return r.rows; }

// The role every view requires, read from the current snapshot (a revoked role takes effect on
// the next query).
Status require_viewer(const vault::Vault& v, const vault::Session& s) {
  const auto snap = v.snapshot();
  for (const char* role : {"audit_viewer", "vault_admin"}) {
    const auto id = snap->find_role(role);
    if (id && snap->has_role(s.user_id(), *id)) return ok_status();
  }
  return make_error(sqlstate::kInsufficientPrivilege,
                    "the vault.* views require the AUDIT_VIEWER or VAULT_ADMIN role");
}

}  // namespace

VaultViews::VaultViews(ServerContext& ctx, vault::Session& session)
    : ctx_(ctx), session_(session) {}

VaultViews::~VaultViews() { sqlite3_close_v2(db_); }

Status VaultViews::open() {
  if (db_ != nullptr) return ok_status();
  if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    return make_error(sqlstate::kSystemError, "cannot open the vault views");
  }
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  auto aux = std::make_unique<Aux>();
  vault::Vault& v = *ctx_.services.vault;
  vault::Session& s = session_;
  for (const char* name : {"emergency_unlocks", "tokens", "realms", "masking_policies"}) {
    const std::string full = std::string("vault.") + name;
    aux->providers[name] = [&v, &s, full]() -> Result<ViewTable> {
      auto r = v.query_view(s, full);
      if (!r) return std::move(r).error();
      return ViewTable{r->columns, to_rows(*r)};
    };
  }
  aux->columns["emergency_unlocks"] = {"request_id",  "realm",       "requester",  "authorized_by",
                                       "reason",      "valid_for_s", "state",      "requested_at",
                                       "decided_by",  "decided_at",  "expires_at", "reviewed_by",
                                       "reviewed_at", "needs_review"};
  aux->columns["tokens"] = {"token_id",   "user",    "realm",      "issued_at",
                            "expires_at", "revoked", "password_id"};
  aux->columns["realms"] = {"realm", "description",      "owner",  "mode",
                            "state", "require_password", "objects"};
  aux->columns["masking_policies"] = {"table_name", "column_name", "mode", "role"};
  auto viewer = [&v, &s]() { return require_viewer(v, s); };
  aux->columns["realm_objects"] = {"realm", "object"};
  aux->providers["realm_objects"] = [&v, viewer]() -> Result<ViewTable> {
    DBV_RETURN_IF_ERROR(viewer());
    const auto snap = v.snapshot();
    ViewTable t{{"realm", "object"}, {}};
    for (const auto& ro : snap->data().realm_objects) {
      std::string realm;
      for (const auto& r : snap->data().realms) {
        if (r.id == ro.realm_id) realm = r.name;
      }
      t.rows.push_back({realm, snap->object_name(ro.object_id)});
    }
    return t;
  };
  aux->columns["command_rules"] = {"name", "definition"};
  aux->providers["command_rules"] = [&v, viewer]() -> Result<ViewTable> {
    DBV_RETURN_IF_ERROR(viewer());
    const auto snap = v.snapshot();
    ViewTable t{{"name", "definition"}, {}};
    for (const auto& r : snap->data().command_rules) t.rows.push_back({r.name, r.sql});
    return t;
  };
  aux->columns["sessions"] = {"session_id",   "user",       "client_ip",
                              "program_name", "started_at", "tls"};
  ServerContext& ctx = ctx_;
  aux->providers["sessions"] = [&ctx, viewer]() -> Result<ViewTable> {
    DBV_RETURN_IF_ERROR(viewer());
    ViewTable t{{}, {}};
    for (const auto& x : ctx.registry.list()) {
      t.rows.push_back(
          {x.session_id, x.user, x.client_ip, x.program_name, x.started_at, yes_no(x.tls)});
    }
    return t;
  };
  aux->columns["settings"] = {"name", "value"};
  aux->providers["settings"] = [&ctx, &v, viewer]() -> Result<ViewTable> {
    DBV_RETURN_IF_ERROR(viewer());
    const auto snap = v.snapshot();
    const crypto::Argon2Params kdf;
    ViewTable t{{}, {}};
    auto tde = tde_setting_rows(ctx);
    if (!tde) return std::move(tde).error();
    t.rows = {{"vault.enabled", yes_no(snap->vault_enabled())},
              {"vault.policy_version", std::to_string(snap->version())},
              {"security.tde_master_key_id", ctx.services.keys->mek_id()},
              {"security.key_provider", ctx.config().kms},
              {"security.kdf", "argon2id"},
              {"security.kdf_memory_kib", std::to_string(kdf.memory_kib)},
              {"security.kdf_iterations", std::to_string(kdf.iterations)},
              {"security.kdf_parallelism", std::to_string(kdf.parallelism)},
              {"security.require_tls", yes_no(ctx.config().require_tls)}};
    t.rows.insert(t.rows.end(), tde->begin(), tde->end());
    return t;
  };
  aux->columns["encryption_progress"] = encryption_progress_columns();
  aux->providers["encryption_progress"] = [&ctx, viewer]() -> Result<ViewTable> {
    DBV_RETURN_IF_ERROR(viewer());
    return ViewTable{encryption_progress_columns(), encryption_progress_rows(ctx)};
  };
  aux->columns["tablespaces"] = tablespace_columns();
  aux->providers["tablespaces"] = [&ctx, &v, viewer]() -> Result<ViewTable> {
    DBV_RETURN_IF_ERROR(viewer());
    auto rows = tablespace_rows(ctx, *v.snapshot());
    if (!rows) return std::move(rows).error();
    return ViewTable{tablespace_columns(), std::move(*rows)};
  };
  const Aux* aux_raw = aux.get();
  if (sqlite3_create_module_v2(db_, "dbvault_view", &kModule, aux.release(), [](void* p) {
        std::unique_ptr<Aux> owned(static_cast<Aux*>(p));
      }) != SQLITE_OK) {
    return make_error(sqlstate::kSystemError, "cannot register the vault views");
  }
  if (auto st =
          audit::register_audit_log_table(db_, ctx_.services.audit->reader(), "dbvault_audit_log");
      !st) {
    return st;
  }
  std::string ddl = "ATTACH ':memory:' AS vault;";
  for (const auto& [name, cols] : aux_raw->columns) {
    ddl += "CREATE VIRTUAL TABLE vault." + name + " USING dbvault_view(" + name + ");";
  }
  ddl += "CREATE VIRTUAL TABLE vault.audit_log USING dbvault_audit_log;";
  char* err = nullptr;
  if (sqlite3_exec(db_, ddl.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "unknown error";
    sqlite3_free(err);
    return make_error(sqlstate::kSystemError, "cannot create the vault views: " + message);
  }
  Status guarded = guard_.install(db_);
  if (!guarded) {  // never an unguarded connection for the next query
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
  return guarded;
}

namespace {
bool mentions_audit_log(std::string_view sql) {
  static constexpr std::string_view kName = "audit_log";
  return std::search(sql.begin(), sql.end(), kName.begin(), kName.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         }) != sql.end();
}
}  // namespace

Result<pgcompat::ResultSet> VaultViews::query(std::string_view sql) {
  // The audit log is for AUDIT_VIEWER / VAULT_ADMIN like every other view.
  DBV_RETURN_IF_ERROR(require_viewer(*ctx_.services.vault, session_));
  DBV_RETURN_IF_ERROR(open());
  // The audit log shows what is on disk. A query of it first waits for the group commit of
  // every record queued so far, so that it sees each event that happened before it.
  if (mentions_audit_log(sql)) DBV_RETURN_IF_ERROR(ctx_.services.audit->flush());
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  (void)guard_.take_refusal();
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, &tail) != SQLITE_OK) {
    if (auto refused = guard_.take_refusal()) return std::move(*refused);
    const std::string msg = sqlite3_errmsg(db_);
    if (msg.size() > 6 && msg[5] == ':')
      return make_error(SqlState{msg.substr(0, 5)}, msg.substr(6));
    return make_error(sqlstate::kSyntaxError, "vault views: " + msg);
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> st(raw, sqlite3_finalize);
  if (raw == nullptr || sqlite3_stmt_readonly(raw) == 0) {
    return make_error(sqlstate::kInsufficientPrivilege, "the vault views are read-only");
  }
  pgcompat::ResultSet rs;
  const int n = sqlite3_column_count(raw);
  int rc = SQLITE_ROW;
  std::vector<int> types(static_cast<std::size_t>(n), SQLITE_NULL);
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    std::vector<std::optional<std::string>> row;
    for (int i = 0; i < n; ++i) {
      const int type = sqlite3_column_type(raw, i);
      if (types[static_cast<std::size_t>(i)] == SQLITE_NULL)
        types[static_cast<std::size_t>(i)] = type;
      if (type == SQLITE_NULL) {
        row.emplace_back(std::nullopt);
      } else {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, i));
        row.emplace_back(std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(raw, i))));
      }
    }
    rs.rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    const std::string msg = sqlite3_errmsg(db_);
    if (msg.size() > 6 && msg[5] == ':')
      return make_error(SqlState{msg.substr(0, 5)}, msg.substr(6));
    return make_error(sqlstate::kSystemError, "vault views: " + msg);
  }
  for (int i = 0; i < n; ++i) {
    const int type = types[static_cast<std::size_t>(i)];
    rs.columns.push_back(
        {sqlite3_column_name(raw, i), type == SQLITE_INTEGER ? pgcompat::type_oid::kInt8
                                      : type == SQLITE_FLOAT ? pgcompat::type_oid::kFloat8
                                                             : pgcompat::type_oid::kText});
  }
  rs.tag = "SELECT " + std::to_string(rs.rows.size());
  return rs;
}

}  // namespace dbvault::server::session
