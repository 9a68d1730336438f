// check_masks() and without_mask_contexts() (storage/masking.h).
#include <algorithm>
#include <set>

#include "common/sqlstate.h"
#include "storage/masking.h"
#include "storage/sql_words.h"

namespace dbvault::storage {
namespace {

using ast::Command;
using MaskKey = std::pair<std::string, std::string>;  // folded (table, column)

Error refusal(std::string message) {
  return make_error(sqlstate::kInsufficientPrivilege, std::move(message));
}

bool is_mask_view(std::string_view name) { return fold_ascii(name).starts_with(kMaskPrefix); }

// The masked columns of the session user and of every recorded creator of a body the
// statement runs (a view's or trigger's reads are its creator's too: docs/vault.md).
Result<std::set<MaskKey>> masked_columns(const MaskCheck& check, const StatementFacts& facts) {
  std::set<MaskKey> out;
  auto add = [&](std::uint32_t user) {
    for (const auto& m : vault::masks_for(check.snap, user)) out.insert({m.table, m.column});
  };
  add(check.user);
  std::set<std::string> bodies;
  for (const auto& a : facts.accesses) {
    if (!a.context.empty() && !is_mask_view(a.context)) bodies.insert(fold_ascii(a.context));
  }
  std::set<std::uint32_t> creators;
  for (const auto& body : bodies) {
    auto found = check.creators(body);
    if (!found) return std::move(found).error();
    if (!*found) continue;  // a CTE
    for (const auto& c : **found) creators.insert(c.user_id);
  }
  for (std::uint32_t c : creators) {
    if (c != check.user) add(c);
  }
  return out;
}

// Tables whose masks for this session differ from those the statement was prepared with.
std::set<std::string> changed_tables(const MaskCheck& check) {
  const auto now = vault::masks_for(check.snap, check.user);
  std::set<std::string> out;
  for (const auto& m : now) {
    if (std::find(check.prepared_with.begin(), check.prepared_with.end(), m) ==
        check.prepared_with.end()) {
      out.insert(m.table);
    }
  }
  for (const auto& m : check.prepared_with) {
    if (std::find(now.begin(), now.end(), m) == now.end()) out.insert(m.table);
  }
  return out;
}

std::string object(const EngineAccess& a) {
  return a.schema + "." + a.table + (a.column.empty() ? "" : "." + a.column);
}

}  // namespace

Status check_masks(const MaskCheck& check, const StatementFacts& facts) {
  if (check.snap.data().maskings.empty() && check.prepared_with.empty()) return ok_status();
  for (const auto& e : facts.expand) {  // ALTER TABLE: a rename would move data off its masks
    if (e.command == Command::kAlter && vault::table_has_masks(check.snap, fold_ascii(e.table))) {
      return refusal("ALTER TABLE " + e.table +
                     " is refused: the table has masking policies (a VAULT_ADMIN drops them "
                     "first)");
    }
  }
  const auto changed = changed_tables(check);
  auto masked = masked_columns(check, facts);
  if (!masked) return std::move(masked).error();
  for (const auto& a : facts.accesses) {
    const std::string table = fold_ascii(is_mask_view(a.table) && a.schema == "temp"
                                             ? a.table.substr(kMaskPrefix.size() + 1)
                                             : a.table);
    if (changed.contains(table)) {
      return refusal("the masking policies of " + a.table +
                     " changed since the statement was prepared; prepare it again");
    }
    if (a.command != Command::kSelect || a.column.empty() || a.schema == "temp") continue;
    if (!masked->contains({table, fold_ascii(a.column)})) continue;
    if (fold_ascii(a.context) == mask_view_name(a.table)) continue;
    return refusal(
        "column " + object(a) +
        " is masked for this session and may be read only through its mask: name "
        "the table unqualified (" +
        a.table + "), in a statement of the session's own" +
        (a.context.empty() ? std::string() : " (this read is made inside " + a.context + ")"));
  }
  return ok_status();
}

std::unique_ptr<StatementFacts> without_mask_views(const StatementFacts& facts,
                                                   const MaskViews& views) {
  auto ours = [&](const EngineAccess& a) { return views.made(a.schema, a.table); };
  const bool any = std::any_of(facts.accesses.begin(), facts.accesses.end(),
                               [&](const auto& a) { return is_mask_view(a.context) || ours(a); });
  if (!any) return nullptr;
  auto out = std::make_unique<StatementFacts>(facts);
  std::erase_if(out->accesses, ours);
  for (auto& a : out->accesses) {
    if (is_mask_view(a.context)) a.context.clear();
  }
  return out;
}

}  // namespace dbvault::storage
