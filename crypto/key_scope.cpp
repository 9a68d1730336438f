#include "crypto/key_scope.h"

namespace dbvault::crypto {

std::string KeyScope::to_string() const {
  switch (kind_) {
    case ScopeKind::kTablespace:
      return "tablespace:" + name_;
    case ScopeKind::kColumns:
      return "columns:" + name_;
    case ScopeKind::kAudit:
      return "audit";
    case ScopeKind::kPolicy:
      return "policy";
  }
  return {};
}

Status KeyScope::validate() const {
  const bool named = kind_ == ScopeKind::kTablespace || kind_ == ScopeKind::kColumns;
  bool ok = named ? !name_.empty() && name_.size() <= 128 : name_.empty();
  for (char c : name_) ok = ok && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
  if (ok) return ok_status();
  return make_error(sqlstate::kInvalidParameterValue,
                    "invalid key scope \"" + to_string() +
                        "\" (a name of 1..128 printable bytes for tablespace: and columns:)");
}

Result<KeyScope> KeyScope::parse(std::string_view text) {
  KeyScope scope = audit();
  if (text == "audit") return scope;
  if (text == "policy") return policy();
  if (text.starts_with("tablespace:")) {
    scope = tablespace(std::string(text.substr(11)));
  } else if (text.starts_with("columns:")) {
    scope = columns(std::string(text.substr(8)));
  } else {
    return make_error(sqlstate::kInvalidParameterValue,
                      "unknown key scope \"" + std::string(text) +
                          "\" (expected tablespace:<name>, columns:<table>, audit or policy)");
  }
  DBV_RETURN_IF_ERROR(scope.validate());
  return scope;
}

}  // namespace dbvault::crypto
