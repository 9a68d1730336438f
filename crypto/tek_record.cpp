#include "crypto/tek_record.h"

#include "crypto/kdf.h"

namespace dbvault::crypto::internal {

namespace {

constexpr char kColumns[] =
    "SELECT scope, version, algorithm, mek_id, created_at, state, wrapped, binding, "
    "record_version, scope_sealed FROM teks ";

std::int64_t micros(TimePoint t) { return t.time_since_epoch().count(); }

std::string_view state_name(TekState s) {
  return s == TekState::kActive ? "active" : "decrypt_only";
}

Error corrupted(const TekInfo& info, std::string_view what) {
  return make_error(sqlstate::kDataCorrupted,
                    "key store: the record of scope \"" + info.scope.to_string() + "\" version " +
                        std::to_string(info.version) + " " + std::string(what));
}

Result<KeyScope> read_scope(const sqlite::Statement& st, const ScopeNames* names) {
  const std::string stored = st.text(0);
  if (names == nullptr) return KeyScope::parse(stored);
  if (!ScopeNames::is_id(stored) || st.is_null(9)) {  // a plain name in a format 3 store
    return make_error(sqlstate::kDataCorrupted, "key store: a record without a sealed scope name");
  }
  return names->open(stored, st.blob(9));
}

Result<TekRow> read_row(const sqlite::Statement& st, const ScopeNames* names, bool any_version) {
  auto scope = read_scope(st, names);
  if (!scope && names != nullptr) return std::move(scope).error();
  auto algorithm = parse_aead_algorithm(st.text(2));
  const std::int64_t record_version = st.int64(8);
  const bool known = record_version == kRecordVersion || (any_version && record_version == 1);
  if (!scope || !algorithm || !known || st.int64(1) < 1 || st.int64(1) > UINT32_MAX) {
    return make_error(sqlstate::kDataCorrupted, "key store: malformed wrapped-key record");
  }
  TekRow row;
  row.info.scope = *scope;
  row.info.version = static_cast<std::uint32_t>(st.int64(1));
  row.info.algorithm = *algorithm;
  row.info.mek_id = st.text(3);
  row.info.created_at = TimePoint(std::chrono::microseconds(st.int64(4)));
  row.info.state = st.text(5) == "active" ? TekState::kActive : TekState::kDecryptOnly;
  row.wrapped = st.blob(6);
  row.binding = st.blob(7);
  row.record_version = record_version;
  return row;
}

}  // namespace

Result<MacTag> binding_tag(const SecretBytes& tek, const TekInfo& info,
                           std::int64_t record_version) {
  const std::string v = std::to_string(record_version);
  auto key = derive_subkey(tek, "dbvault tek binding v" + v);
  if (!key) return std::move(key).error();
  std::vector<std::string> fields = {info.scope.to_string(), std::to_string(info.version),
                                     std::string(algorithm_name(info.algorithm)),
                                     std::to_string(micros(info.created_at))};
  if (record_version >= 2) {  // v1 left these out: a writer of keys.db could flip them
    fields.emplace_back(state_name(info.state));
    fields.push_back(info.mek_id);
  }
  std::string msg = "dbvault-tek-record v" + v;
  for (const std::string& field : fields) {
    msg += '\0';
    msg += field;
  }
  return hmac_sha256(*key, {reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()});
}

Status check_binding(const SecretBytes& tek, const TekRow& row) {
  auto tag = binding_tag(tek, row.info, row.record_version);
  if (!tag) return std::move(tag).error();
  if (!equal_constant_time(*tag, row.binding)) {
    return corrupted(row.info, "fails its binding check (moved or altered)");
  }
  return ok_status();
}

std::string stored_scope(const ScopeNames* names, const KeyScope& scope) {
  return names != nullptr ? names->id_of(scope) : scope.to_string();
}

Result<std::vector<TekRow>> query_rows(sqlite::Database& db, const ScopeNames* names,
                                       const std::string& where, const KeyScope* scope,
                                       bool any_version) {
  auto st = db.prepare(std::string(kColumns) + where);
  if (!st) return std::move(st).error();
  if (scope != nullptr) st->bind(1, stored_scope(names, *scope));
  std::vector<TekRow> rows;
  for (;;) {
    auto more = st->step();
    if (!more) return std::move(more).error();
    if (!*more) return rows;
    auto row = read_row(*st, names, any_version);
    if (!row) return std::move(row).error();
    rows.push_back(std::move(*row));
  }
}

Status check_states(const KeyScope& scope, const std::vector<TekRow>& rows) {
  const TekRow* newest = nullptr;
  int active = 0;
  for (const auto& row : rows) {
    if (row.info.scope != scope) continue;
    if (newest == nullptr || row.info.version > newest->info.version) newest = &row;
    active += row.info.state == TekState::kActive ? 1 : 0;
  }
  if (active > 1 || (active == 1 && newest->info.state != TekState::kActive)) {
    return make_error(sqlstate::kDataCorrupted,
                      "key store: scope \"" + scope.to_string() +
                          "\" has an active version that is not its newest (a replayed or "
                          "altered record)");
  }
  return ok_status();
}

Status rebind(sqlite::Database& db, const ScopeNames* names, const TekInfo& info,
              std::span<const std::uint8_t> wrapped, const SecretBytes& tek) {
  auto tag = binding_tag(tek, info);
  if (!tag) return std::move(tag).error();
  auto st = db.prepare(
      "UPDATE teks SET state = ?, mek_id = ?, wrapped = ?, binding = ?, record_version = ? "
      "WHERE scope = ? AND version = ?");
  if (!st) return std::move(st).error();
  st->bind(1, state_name(info.state)).bind(2, info.mek_id).bind(3, wrapped);
  st->bind(4, std::span<const std::uint8_t>(*tag)).bind(5, kRecordVersion);
  st->bind(6, stored_scope(names, info.scope)).bind(7, std::int64_t{info.version});
  return db.run(*st);
}

Status migrate_from_format_1(sqlite::Database& db, MasterKeyProvider& mek) {
  auto rows = query_rows(db, nullptr, "ORDER BY scope, version", nullptr, /*any_version=*/true);
  if (!rows) return std::move(rows).error();
  for (const auto& row : *rows) {
    DBV_RETURN_IF_ERROR(check_states(row.info.scope, *rows));
    if (row.info.mek_id != mek.key_id()) {
      return corrupted(row.info, "names master key \"" + row.info.mek_id +
                                     "\", not the current one: refusing to migrate it");
    }
    auto tek = mek.unwrap(row.wrapped);
    if (!tek) return std::move(tek).error();
    DBV_RETURN_IF_ERROR(check_binding(*tek, row));
    DBV_RETURN_IF_ERROR(rebind(db, nullptr, row.info, row.wrapped, *tek));
  }
  return db.exec("UPDATE meta SET value = '2' WHERE key = 'format_version'");
}

Status migrate_from_format_2(sqlite::Database& db, MasterKeyProvider& mek,
                             const ScopeNames& names) {
  auto rows = query_rows(db, nullptr, "ORDER BY scope, version", nullptr);
  if (!rows) return std::move(rows).error();
  for (const auto& row : *rows) {
    auto tek = mek.unwrap(row.wrapped);
    if (!tek) return std::move(tek).error();
    DBV_RETURN_IF_ERROR(check_binding(*tek, row));
    auto sealed = names.seal(row.info.scope);
    if (!sealed) return std::move(sealed).error();
    DBV_RETURN_IF_ERROR(
        db.run("UPDATE teks SET scope = ?, scope_sealed = ? WHERE scope = ? AND version = ?",
               names.id_of(row.info.scope), std::span<const std::uint8_t>(*sealed),
               row.info.scope.to_string(), std::int64_t{row.info.version}));
  }
  auto budgets = db.prepare("SELECT DISTINCT scope FROM tek_budgets");
  if (!budgets) return std::move(budgets).error();
  std::vector<KeyScope> scopes;
  for (;;) {
    auto more = budgets->step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    auto scope = KeyScope::parse(budgets->text(0));
    if (!scope) return make_error(sqlstate::kDataCorrupted, "key store: malformed budget record");
    scopes.push_back(*scope);
  }
  for (const auto& scope : scopes) {
    DBV_RETURN_IF_ERROR(db.run("UPDATE tek_budgets SET scope = ? WHERE scope = ?",
                               names.id_of(scope), scope.to_string()));
  }
  return db.exec("UPDATE meta SET value = '3' WHERE key = 'format_version'");
}

Result<std::uint64_t> reserved_invocations(sqlite::Database& db, const ScopeNames& names,
                                           const KeyScope& scope, std::uint32_t version) {
  auto st = db.prepare("SELECT reserved FROM tek_budgets WHERE scope = ? AND version = ?");
  if (!st) return std::move(st).error();
  st->bind(1, names.id_of(scope)).bind(2, std::int64_t{version});
  auto row = st->step();
  if (!row) return std::move(row).error();
  return *row ? static_cast<std::uint64_t>(st->int64(0)) : std::uint64_t{0};
}

Status reserve_invocations(sqlite::Database& db, const ScopeNames& names, const KeyScope& scope,
                           std::uint32_t version, std::uint64_t up_to) {
  return db.run(
      "INSERT INTO tek_budgets(scope, version, reserved) VALUES (?, ?, ?) "
      "ON CONFLICT(scope, version) DO UPDATE SET reserved = MAX(reserved, excluded.reserved)",
      names.id_of(scope), std::int64_t{version}, static_cast<std::int64_t>(up_to));
}

}  // namespace dbvault::crypto::internal
