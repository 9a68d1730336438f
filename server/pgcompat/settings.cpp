// Settings: the session's parameters and PostgreSQL's transactional rules for SET.
#include <algorithm>

#include "server/pgcompat/parameters.h"
#include "server/pgcompat/pgcompat.h"

namespace dbvault::server::pgcompat {
namespace {

using detail::lower;

bool is_placeholder(std::string_view name) { return name.find('.') != std::string_view::npos; }

// Custom "prefix.name" parameters are free-form in PostgreSQL. The vault's own settings are
// not run-time parameters: a SET that looked like it disabled the vault must not succeed.
bool is_vault_namespace(std::string_view lname) {
  return lname.starts_with("vault.") || lname.starts_with("dbvault.") ||
         lname.starts_with("security.");
}

Error unknown(std::string_view name) {
  return make_error(SqlState("42704"),
                    "unrecognized configuration parameter \"" + std::string(name) + "\"");
}

}  // namespace

Settings::Settings(SessionIdentity identity) : identity_(std::move(identity)) {
  for (const auto& def : detail::parameter_defs()) {
    effective_[lower(def.name)] = detail::default_value(def, identity_);
  }
  session_ = effective_;
  for (const auto& def : detail::parameter_defs()) {
    if (def.reported) last_reported_[lower(def.name)] = effective_[lower(def.name)];
  }
}

Result<std::string> Settings::checked(std::string_view name, std::string_view value) const {
  const std::string lname = lower(name);
  if (is_vault_namespace(lname)) {
    Error e = make_error(sqlstate::kInsufficientPrivilege,
                         "\"" + std::string(name) + "\" is not a run-time parameter");
    e.hint = "vault settings are changed with vault statements (docs/sql-reference.md)";
    return e;
  }
  const detail::ParameterDef* def = detail::find_parameter(name);
  if (def == nullptr) {
    if (is_placeholder(lname)) return std::string(value);
    return unknown(name);
  }
  if (def->read_only) {
    return make_error(SqlState("55P02"),
                      "parameter \"" + std::string(def->name) + "\" cannot be changed");
  }
  return def->normalize ? def->normalize(value) : Result<std::string>(std::string(value));
}

Status Settings::apply_startup(std::string_view name, std::string_view value) {
  return set(name, value, false);
}

Status Settings::set(std::string_view name, std::string_view value, bool local) {
  auto v = checked(name, value);
  if (!v) return std::move(v).error();
  maybe_changed_ = true;
  const std::string lname = lower(name);
  // transaction_isolation and transaction_read_only describe the current transaction only.
  const bool transaction_scoped =
      lname == "transaction_isolation" || lname == "transaction_read_only";
  if (local || transaction_scoped) {
    // Outside a transaction block PostgreSQL warns and changes nothing.
    if (in_transaction_) effective_[lname] = *v;
    return ok_status();
  }
  effective_[lname] = *v;
  session_[lname] = *v;
  return ok_status();
}

Status Settings::reset(std::string_view name) {
  maybe_changed_ = true;
  if (lower(name) == "all") {
    for (const auto& def : detail::parameter_defs()) {
      if (def.read_only) continue;
      const std::string lname = lower(def.name);
      effective_[lname] = session_[lname] = detail::default_value(def, identity_);
    }
    return ok_status();
  }
  const detail::ParameterDef* def = detail::find_parameter(name);
  if (def == nullptr) {
    auto v = checked(name, "");
    if (!v) return std::move(v).error();
    effective_.erase(lower(name));
    session_.erase(lower(name));
    return ok_status();
  }
  return set(name, detail::default_value(*def, identity_), false);
}

Result<std::string> Settings::show(std::string_view name) const {
  const auto it = effective_.find(lower(name));
  if (it == effective_.end()) return unknown(name);
  return it->second;
}

std::vector<std::pair<std::string, std::string>> Settings::all() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& def : detail::parameter_defs()) {
    out.emplace_back(std::string(def.name), effective_.at(lower(def.name)));
  }
  for (const auto& [name, value] : effective_) {
    if (detail::find_parameter(name) == nullptr) out.emplace_back(name, value);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return lower(a.first) < lower(b.first); });
  return out;
}

std::vector<std::pair<std::string, std::string>> Settings::reported() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& def : detail::parameter_defs()) {
    if (def.reported) out.emplace_back(std::string(def.name), effective_.at(lower(def.name)));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Settings::take_changed() {
  std::vector<std::pair<std::string, std::string>> out;
  if (!maybe_changed_) return out;  // asked after every statement: most change nothing
  maybe_changed_ = false;
  for (const auto& def : detail::parameter_defs()) {
    if (!def.reported) continue;
    const std::string lname = lower(def.name);
    const std::string& now = effective_.at(lname);
    if (last_reported_[lname] != now) {
      out.emplace_back(std::string(def.name), now);
      last_reported_[lname] = now;
    }
  }
  return out;
}

void Settings::on_transaction_begin(bool implicit) {
  if (in_transaction_) {
    if (!implicit) implicit_block_ = false;
    return;
  }
  in_transaction_ = true;
  implicit_block_ = implicit;
  maybe_changed_ = true;
  at_begin_ = session_;
  // A new transaction starts with the session's defaults for its own characteristics.
  effective_["transaction_isolation"] = session_["default_transaction_isolation"];
  effective_["transaction_read_only"] = session_["default_transaction_read_only"];
}

void Settings::on_transaction_end(bool committed) {
  if (!in_transaction_) return;
  in_transaction_ = false;
  implicit_block_ = false;
  maybe_changed_ = true;
  failed_ = false;
  if (!committed) session_ = at_begin_;
  effective_ = session_;  // SET LOCAL values end with the transaction
  effective_["transaction_isolation"] = session_["default_transaction_isolation"];
  effective_["transaction_read_only"] = session_["default_transaction_read_only"];
  at_begin_.clear();
}

std::int64_t Settings::statement_timeout_ms() const {
  return detail::duration_ms(effective_.at("statement_timeout"));
}

std::int64_t Settings::idle_in_transaction_timeout_ms() const {
  return detail::duration_ms(effective_.at("idle_in_transaction_session_timeout"));
}

int Settings::extra_float_digits() const { return std::stoi(effective_.at("extra_float_digits")); }

}  // namespace dbvault::server::pgcompat
