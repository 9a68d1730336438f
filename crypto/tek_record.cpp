#include "crypto/tek_record.h"

#include "crypto/kdf.h"

namespace dbvault::crypto::internal {

namespace {

constexpr char kColumns[] =
    "SELECT scope, version, algorithm, mek_id, created_at, state, wrapped, binding, "
    "record_version FROM teks ";

std::int64_t micros(TimePoint t) { return t.time_since_epoch().count(); }

std::string_view state_name(TekState s) {
  return s == TekState::kActive ? "active" : "decrypt_only";
}

Error corrupted(const TekInfo& info, std::string_view what) {
  return make_error(sqlstate::kDataCorrupted,
                    "key store: the record of scope \"" + info.scope.to_string() + "\" version " +
                        std::to_string(info.version) + " " + std::string(what));
}

Result<TekRow> read_row(const sqlite::Statement& st, bool any_version) {
  auto scope = KeyScope::parse(st.text(0));
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

Result<std::vector<TekRow>> query_rows(sqlite::Database& db, const std::string& where,
                                       const KeyScope* scope, bool any_version) {
  auto st = db.prepare(std::string(kColumns) + where);
  if (!st) return std::move(st).error();
  if (scope != nullptr) st->bind(1, scope->to_string());
  std::vector<TekRow> rows;
  for (;;) {
    auto more = st->step();
    if (!more) return std::move(more).error();
    if (!*more) return rows;
    auto row = read_row(*st, any_version);
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

Status rebind(sqlite::Database& db, const TekInfo& info, std::span<const std::uint8_t> wrapped,
              const SecretBytes& tek) {
  auto tag = binding_tag(tek, info);
  if (!tag) return std::move(tag).error();
  auto st = db.prepare(
      "UPDATE teks SET state = ?, mek_id = ?, wrapped = ?, binding = ?, record_version = ? "
      "WHERE scope = ? AND version = ?");
  if (!st) return std::move(st).error();
  st->bind(1, state_name(info.state)).bind(2, info.mek_id).bind(3, wrapped);
  st->bind(4, std::span<const std::uint8_t>(*tag)).bind(5, kRecordVersion);
  st->bind(6, info.scope.to_string()).bind(7, std::int64_t{info.version});
  return db.run(*st);
}

Status migrate_from_format_1(sqlite::Database& db, MasterKeyProvider& mek) {
  auto rows = query_rows(db, "ORDER BY scope, version", nullptr, /*any_version=*/true);
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
    DBV_RETURN_IF_ERROR(rebind(db, row.info, row.wrapped, *tek));
  }
  return db.exec("UPDATE meta SET value = '2' WHERE key = 'format_version'");
}

Result<std::uint64_t> reserved_invocations(sqlite::Database& db, const KeyScope& scope,
                                           std::uint32_t version) {
  auto st = db.prepare("SELECT reserved FROM tek_budgets WHERE scope = ? AND version = ?");
  if (!st) return std::move(st).error();
  st->bind(1, scope.to_string()).bind(2, std::int64_t{version});
  auto row = st->step();
  if (!row) return std::move(row).error();
  return *row ? static_cast<std::uint64_t>(st->int64(0)) : std::uint64_t{0};
}

Status reserve_invocations(sqlite::Database& db, const KeyScope& scope, std::uint32_t version,
                           std::uint64_t up_to) {
  return db.run(
      "INSERT INTO tek_budgets(scope, version, reserved) VALUES (?, ?, ?) "
      "ON CONFLICT(scope, version) DO UPDATE SET reserved = MAX(reserved, excluded.reserved)",
      scope.to_string(), std::int64_t{version}, static_cast<std::int64_t>(up_to));
}

}  // namespace dbvault::crypto::internal
