#include "audit/sql_view.h"

#include <cstring>
#include <vector>

namespace dbvault::audit {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE x(seq INTEGER, event_id TEXT, timestamp TEXT, event_type TEXT, severity TEXT, "
    "user TEXT, realm TEXT, ip_address TEXT, session_id TEXT, result TEXT, "
    "vault_password_id TEXT, expires_at TEXT, retention_class TEXT, retain_until TEXT, "
    "prev_hash TEXT, hash TEXT, detail TEXT)";
constexpr const char* kReadOnly = "permission denied: the audit log is read-only";

struct Aux {
  std::shared_ptr<const LogReader> reader;
};

struct Table {
  sqlite3_vtab base{};
  Aux* aux = nullptr;
};

struct Cursor {
  sqlite3_vtab_cursor base{};
  std::vector<Record> rows;
  std::size_t pos = 0;
};

// idxNum bits: 1 lower bound (argv), 2 upper bound (argv); idxStr unused.
enum : int { kLower = 1, kUpper = 2 };

int connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char**) {
  if (int rc = sqlite3_declare_vtab(db, kSchema); rc != SQLITE_OK) return rc;
  auto* t = new Table;  // owned by SQLite until disconnect()
  t->aux = static_cast<Aux*>(aux);
  *out = &t->base;
  return SQLITE_OK;
}

int disconnect(sqlite3_vtab* vtab) {
  delete reinterpret_cast<Table*>(vtab);
  return SQLITE_OK;
}

int best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  int argv = 0;
  int mask = 0;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.iColumn != 0) continue;
    int bit = 0;
    if (c.op == SQLITE_INDEX_CONSTRAINT_GE || c.op == SQLITE_INDEX_CONSTRAINT_GT) bit = kLower;
    if (c.op == SQLITE_INDEX_CONSTRAINT_LE || c.op == SQLITE_INDEX_CONSTRAINT_LT) bit = kUpper;
    if (c.op == SQLITE_INDEX_CONSTRAINT_EQ) bit = kLower | kUpper;
    if (bit == 0 || (mask & bit)) continue;
    // The bound is used as given (inclusive); SQLite re-checks the constraint (omit = 0).
    if (bit == (kLower | kUpper)) {
      info->aConstraintUsage[i].argvIndex = ++argv;
      mask |= 4;  // equality: one argument for both bounds
    } else {
      info->aConstraintUsage[i].argvIndex = ++argv;
    }
    mask |= bit;
  }
  info->idxNum = mask;
  info->estimatedCost = (mask & (kLower | kUpper)) ? 100.0 : 1e6;
  if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == 0 && !info->aOrderBy[0].desc) {
    info->orderByConsumed = 1;
  }
  return SQLITE_OK;
}

int open_cursor(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new Cursor;  // owned by SQLite until close_cursor()
  *out = &c->base;
  return SQLITE_OK;
}

int close_cursor(sqlite3_vtab_cursor* cur) {
  delete reinterpret_cast<Cursor*>(cur);
  return SQLITE_OK;
}

int filter(sqlite3_vtab_cursor* cur, int idx, const char*, int argc, sqlite3_value** argv) {
  auto* c = reinterpret_cast<Cursor*>(cur);
  auto* t = reinterpret_cast<Table*>(cur->pVtab);
  c->rows.clear();
  c->pos = 0;
  ScanOptions options;
  int arg = 0;
  auto bound = [&](int i) { return static_cast<std::uint64_t>(std::max<sqlite3_int64>(0, sqlite3_value_int64(argv[i]))); };
  if ((idx & 4) && argc > 0) {
    options.from_seq = options.to_seq = bound(arg++);
  } else {
    if ((idx & kLower) && arg < argc) options.from_seq = bound(arg++);
    if ((idx & kUpper) && arg < argc) options.to_seq = bound(arg++);
  }
  auto st = t->aux->reader->scan(options, [&](const Record& r) {
    c->rows.push_back(r);
    return true;
  });
  if (!st) {
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = sqlite3_mprintf("%s", st.error().message.c_str());
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

int next(sqlite3_vtab_cursor* cur) {
  ++reinterpret_cast<Cursor*>(cur)->pos;
  return SQLITE_OK;
}

int eof(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<Cursor*>(cur);
  return c->pos >= c->rows.size();
}

void text_or_null(sqlite3_context* ctx, const std::string& s) {
  if (s.empty()) {
    sqlite3_result_null(ctx);
  } else {
    sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
}

int column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int i) {
  const Record& r = reinterpret_cast<Cursor*>(cur)->rows[reinterpret_cast<Cursor*>(cur)->pos];
  const Event& e = r.event;
  switch (i) {
    case 0: sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(r.seq)); break;
    case 1: text_or_null(ctx, r.event_id); break;
    case 2: text_or_null(ctx, format_time(r.timestamp)); break;
    case 3: text_or_null(ctx, std::string(event_type_name(e.type))); break;
    case 4: text_or_null(ctx, std::string(severity_name(e.severity.value_or(Severity::kInfo)))); break;
    case 5: text_or_null(ctx, e.user); break;
    case 6: text_or_null(ctx, e.realm); break;
    case 7: text_or_null(ctx, e.ip_address); break;
    case 8: text_or_null(ctx, e.session_id); break;
    case 9: text_or_null(ctx, std::string(outcome_name(e.result))); break;
    case 10: text_or_null(ctx, e.vault_password_id); break;
    case 11: text_or_null(ctx, e.expires_at ? format_time(*e.expires_at) : std::string()); break;
    case 12: text_or_null(ctx, r.retention_class); break;
    case 13: text_or_null(ctx, format_time(r.retain_until)); break;
    case 14: text_or_null(ctx, hash_hex(r.prev_hash)); break;
    case 15: text_or_null(ctx, hash_hex(r.hash)); break;
    case 16:
      text_or_null(ctx, e.detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      break;
    default: sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

int rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  auto* c = reinterpret_cast<Cursor*>(cur);
  *out = static_cast<sqlite3_int64>(c->rows[c->pos].seq);
  return SQLITE_OK;
}

int update(sqlite3_vtab* vtab, int, sqlite3_value**, sqlite3_int64*) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s", kReadOnly);
  return SQLITE_READONLY;
}

int refuse_rename(sqlite3_vtab* vtab, const char*) { return update(vtab, 0, nullptr, nullptr); }

sqlite3_module make_module() {
  sqlite3_module m;
  std::memset(&m, 0, sizeof m);
  m.iVersion = 1;
  // Eponymous (exists without CREATE, cannot be dropped) and also creatable under another
  // name, as the server does on its private connection for vault.audit_log.
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
  m.xUpdate = update;
  m.xRename = refuse_rename;
  return m;
}

const sqlite3_module kModule = make_module();

}  // namespace

Status register_audit_log_table(sqlite3* db, std::shared_ptr<const LogReader> reader,
                                const std::string& name) {
  auto* aux = new Aux{std::move(reader)};  // owned by SQLite: freed by the destructor below
  const int rc = sqlite3_create_module_v2(db, name.c_str(), &kModule, aux,
                                          [](void* p) { delete static_cast<Aux*>(p); });
  if (rc != SQLITE_OK) {
    return make_error(sqlstate::kSystemError,
                      std::string("cannot register the audit view: ") + sqlite3_errstr(rc));
  }
  return ok_status();
}

Error audit_view_error(sqlite3* db, int rc) {
  const std::string message = sqlite3_errmsg(db);
  if ((rc & 0xff) == SQLITE_READONLY || message.find("may not be") != std::string::npos ||
      message.find(kReadOnly) != std::string::npos) {
    return make_error(sqlstate::kInsufficientPrivilege, kReadOnly);
  }
  return make_error(sqlstate::kSystemError, "audit view: " + message);
}

}  // namespace dbvault::audit
