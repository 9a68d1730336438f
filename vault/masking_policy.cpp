#include "vault/masking_policy.h"

#include <algorithm>
#include <map>
#include <utility>

namespace dbvault::vault {
namespace {

// Higher reveals less: NULL hides even whether a value is there, FULL hides all but that,
// HASH reveals which rows are equal, PARTIAL reveals the last characters.
int strictness(ast::MaskingMode mode) {
  switch (mode) {
    case ast::MaskingMode::kNull:
      return 3;
    case ast::MaskingMode::kFull:
      return 2;
    case ast::MaskingMode::kHash:
      return 1;
    case ast::MaskingMode::kPartial:
      return 0;
  }
  return 3;
}

}  // namespace

std::string fold_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<ColumnMask> masks_for(const PolicySnapshot& snap, std::uint32_t user) {
  struct Chosen {
    const MaskingRow* role_mask = nullptr;  // the strictest of the user's roles' masks
    const MaskingRow* default_mask = nullptr;
  };
  std::map<std::pair<std::string, std::string>, Chosen> by_column;
  const auto roles = snap.roles_of(user);
  for (const auto& m : snap.data().maskings) {
    Chosen& c = by_column[{m.table, m.column}];
    if (m.role_id == 0) {
      c.default_mask = &m;
    } else if (roles.test(m.role_id) &&
               (c.role_mask == nullptr || strictness(m.mode) > strictness(c.role_mask->mode))) {
      c.role_mask = &m;
    }
  }
  std::vector<ColumnMask> out;
  for (const auto& [key, c] : by_column) {
    const MaskingRow* m = c.role_mask != nullptr ? c.role_mask : c.default_mask;
    if (m != nullptr) out.push_back({m->schema, m->table, m->column, m->mode});
  }
  return out;
}

ast::MaskingMode stricter(ast::MaskingMode a, ast::MaskingMode b) {
  return strictness(b) > strictness(a) ? b : a;
}

bool table_has_masks(const PolicySnapshot& snap, std::string_view table) {
  const auto& all = snap.data().maskings;
  return std::any_of(all.begin(), all.end(), [&](const MaskingRow& m) { return m.table == table; });
}

std::string_view masking_mode_name(ast::MaskingMode mode) {
  switch (mode) {
    case ast::MaskingMode::kFull:
      return "FULL";
    case ast::MaskingMode::kPartial:
      return "PARTIAL";
    case ast::MaskingMode::kHash:
      return "HASH";
    case ast::MaskingMode::kNull:
      return "NULL";
  }
  return "NULL";
}

}  // namespace dbvault::vault
