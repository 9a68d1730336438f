#include "storage/columns/column_session.h"

#include <cctype>

#include "common/sqlstate.h"
#include "storage/sql_words.h"

namespace dbvault::storage::columns {
namespace {

PlainValue to_plain(const Value& v) {
  switch (v.index()) {
    case 1:
      return PlainValue::integer(std::get<std::int64_t>(v));
    case 2:
      return PlainValue::real(std::get<double>(v));
    case 3:
      return PlainValue::text(std::get<std::string>(v));
    default:
      return PlainValue::blob(std::get<Blob>(v).bytes);
  }
}

Value from_plain(PlainValue p) {
  switch (p.type) {
    case ValueType::kInteger:
      return p.as_integer();
    case ValueType::kReal:
      return p.as_real();
    case ValueType::kText:
      return p.as_text();
    case ValueType::kBlob:
      break;
  }
  return Blob{std::move(p.bytes)};
}

Value sqlite_value(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return std::int64_t{sqlite3_value_int64(v)};
    case SQLITE_FLOAT:
      return sqlite3_value_double(v);
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      return std::string(p, static_cast<std::size_t>(sqlite3_value_bytes(v)));
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const std::uint8_t*>(sqlite3_value_blob(v));
      const auto n = static_cast<std::size_t>(sqlite3_value_bytes(v));
      return Blob{p != nullptr ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>{}};
    }
    default:
      return std::monostate{};
  }
}

std::string text_arg(sqlite3_value* v) {
  const auto* p = sqlite3_value_text(v);
  return p != nullptr ? reinterpret_cast<const char*>(p) : "";
}

// dbvault_seal(table, column, value, rowid).
void seal_function(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  auto& session = *static_cast<ColumnSession*>(sqlite3_user_data(ctx));
  if (argc != 4) {
    sqlite3_result_error(ctx, "dbvault_seal takes 4 arguments", -1);
    return;
  }
  const ColumnIdentity column{text_arg(argv[0]), text_arg(argv[1])};
  std::optional<std::int64_t> row;
  if (sqlite3_value_type(argv[3]) == SQLITE_INTEGER) row = sqlite3_value_int64(argv[3]);
  auto sealed = session.seal(column, sqlite_value(argv[2]), row);
  if (!sealed) {
    sqlite3_result_error(ctx, sealed.error().message.c_str(), -1);
    session.set_error(std::move(sealed).error());
    return;
  }
  if (std::holds_alternative<std::monostate>(*sealed)) {
    sqlite3_result_null(ctx);
    return;
  }
  const auto& b = std::get<Blob>(*sealed).bytes;
  sqlite3_result_blob64(ctx, b.data(), b.size(), SQLITE_TRANSIENT);
}

std::string text_or_empty(const char* s) { return s != nullptr ? s : ""; }

}  // namespace

bool names_seal_function(std::string_view sql) {
  return fold_ascii(sql).find(kSealFunction) != std::string::npos;
}

Status ColumnSession::register_function(sqlite3* db) {
  // Not SQLITE_DETERMINISTIC: RANDOMIZED values differ at every call.
  const int rc = sqlite3_create_function_v2(db, std::string(kSealFunction).c_str(), 4,
                                            SQLITE_UTF8 | SQLITE_DIRECTONLY, this, seal_function,
                                            nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return make_error(sqlstate::kIoError, "engine: cannot register dbvault_seal");
  }
  return ok_status();
}

Result<ColumnMode> ColumnSession::mode_of(const ColumnIdentity& column) const {
  const auto record = catalog_.column(column.table, column.column);
  if (!record) {
    return make_error(sqlstate::kDataCorrupted, "column " + column_label(column) +
                                                    " has no encryption metadata: it cannot be "
                                                    "written or read as an encrypted column");
  }
  if (!record->mode) {
    return make_error(sqlstate::kDataCorrupted,
                      "the encryption metadata of column " + column_label(column) +
                          " is invalid (unknown encryption type): its values cannot be written "
                          "or read");
  }
  return *record->mode;
}

Result<ColumnCipher*> ColumnSession::cipher_for(const std::string& table) {
  auto it = held_.find(table);
  if (it != held_.end() && !it->second.handle.expired()) return &it->second.cipher;
  if (it != held_.end()) held_.erase(it);
  if (!keys_) {
    return make_error(sqlstate::kInsufficientPrivilege,
                      "permission denied: the key of the encrypted columns of " + table +
                          " is not released to this session");
  }
  auto handle = keys_->release(ColumnCatalog::scope_of(table));
  if (!handle) return std::move(handle).error();
  auto cipher = ColumnCipher::from_handle(*handle);
  if (!cipher) return std::move(cipher).error();
  auto [pos, inserted] = held_.emplace(table, Held{std::move(*handle), std::move(*cipher)});
  return &pos->second.cipher;
}

Result<Value> ColumnSession::seal(const ColumnIdentity& column, const Value& value,
                                  std::optional<std::int64_t> row) {
  auto mode = mode_of(column);
  if (!mode) return std::move(mode).error();
  if (std::holds_alternative<std::monostate>(value)) return Value{};
  if (*mode == ColumnMode::kRandomized && !row) {
    return make_error(sqlstate::kFeatureNotSupported,
                      "a row written to " + column.table +
                          " must give its INTEGER PRIMARY KEY: it is the row identity its "
                          "RANDOMIZED columns are bound to");
  }
  auto cipher = cipher_for(column.table);
  if (!cipher) return std::move(cipher).error();
  auto sealed = (*cipher)->seal(
      column, *mode, *mode == ColumnMode::kRandomized ? row : std::nullopt, to_plain(value));
  if (!sealed) return std::move(sealed).error();
  return Value{Blob{std::move(*sealed)}};
}

ResultPlan ColumnSession::plan(sqlite3_stmt* stmt) const {
  ResultPlan out;
  if (catalog_.empty()) return out;
  const int n = sqlite3_column_count(stmt);
  bool any = false;
  out.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const std::string db = text_or_empty(sqlite3_column_database_name(stmt, i));
    const std::string table = text_or_empty(sqlite3_column_table_name(stmt, i));
    const std::string origin = text_or_empty(sqlite3_column_origin_name(stmt, i));
    if (table.empty() || origin.empty()) continue;
    const std::string name = fold_ascii(db.empty() ? "main" : db) + "." + fold_ascii(table);
    const auto record = catalog_.column(name, origin);
    if (!record) continue;
    out[static_cast<std::size_t>(i)] = ResultColumn{{name, record->column}, record->mode};
    any = true;
  }
  if (!any) out.clear();
  return out;
}

Result<std::vector<std::optional<Value>>> ColumnSession::decrypt_row(sqlite3_stmt* stmt,
                                                                     const ResultPlan& plan) {
  std::vector<std::optional<Value>> out(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (!plan[i]) continue;
    const int col = static_cast<int>(i);
    const int type = sqlite3_column_type(stmt, col);
    if (type == SQLITE_NULL) {
      out[i] = Value{};
      continue;
    }
    const ResultColumn& rc = *plan[i];
    auto mode = mode_of(rc.column);
    if (!mode) return std::move(mode).error();
    if (type != SQLITE_BLOB) {
      return make_error(sqlstate::kDataCorrupted,
                        "column " + column_label(rc.column) +
                            " holds a value that is not encrypted (written behind the engine's "
                            "back?): it is not returned");
    }
    auto cipher = cipher_for(rc.column.table);
    if (!cipher) return std::move(cipher).error();
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, col));
    const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt, col));
    auto opened = (*cipher)->open(rc.column, *mode, std::nullopt, std::span(p, n));
    if (!opened) return std::move(opened).error();
    out[i] = from_plain(std::move(*opened));
  }
  return out;
}

}  // namespace dbvault::storage::columns
