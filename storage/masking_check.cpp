// check_masks() and without_mask_contexts() (storage/masking.h).
#include <algorithm>
#include <map>
#include <set>

#include "common/sqlstate.h"
#include "grammar/printer.h"
#include "storage/compile.h"
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

// For each column of `schema`.`table`, the (table, column)s a write of it is compared with:
// the columns of each UNIQUE index (the PRIMARY KEY's too) it is part of — every column of the
// table for an index on an expression —, the parent column of each foreign key it is the child
// of. Folded names.
using Compared = std::map<std::string, std::set<MaskKey>>;
Result<Compared> compared_columns(const MaskCheck& check, const std::string& schema,
                                  const std::string& table) {
  const std::string args = grammar::quote_literal(table) + ", " + grammar::quote_literal(schema);
  auto unique =
      query_column(check.db, *check.auth,
                   "SELECT il.name || char(1) || COALESCE(ii.name, '') FROM pragma_index_list(" +
                       args + ") il, pragma_index_info(il.name, " + grammar::quote_literal(schema) +
                       ") ii WHERE il.\"unique\" = 1",
                   0);
  if (!unique) return std::move(unique).error();
  std::map<std::string, std::vector<std::string>> indexes;  // index -> its columns
  std::vector<std::string> all;  // every column of the table, read once if needed
  for (const auto& row : *unique) {
    const auto cut = row.find('\1');
    auto& cols = indexes[row.substr(0, cut)];
    if (cut + 1 < row.size()) {
      cols.push_back(fold_ascii(row.substr(cut + 1)));
      continue;
    }
    // An expression (lower(ssn)) has no column name: it may read any column of the table, so
    // the index compares them all (fail closed: the expression is not parsed).
    if (all.empty()) {
      auto names = table_columns(check.db, *check.auth, schema, table, true);
      if (!names) return std::move(names).error();
      for (const auto& n : *names) all.push_back(fold_ascii(n));
    }
    cols.insert(cols.end(), all.begin(), all.end());
  }
  Compared out;
  for (const auto& [index, cols] : indexes) {
    for (const auto& c : cols) {
      for (const auto& peer : cols) out[c].insert({fold_ascii(table), peer});
    }
  }
  auto fks = query_column(check.db, *check.auth,
                          "SELECT \"from\" || char(1) || \"table\" || char(1) || "
                          "COALESCE(\"to\", '') FROM pragma_foreign_key_list(" +
                              args + ")",
                          0);
  if (!fks) return std::move(fks).error();
  for (const auto& row : *fks) {
    const auto a = row.find('\1');
    const auto b = row.find('\1', a + 1);
    out[fold_ascii(row.substr(0, a))].insert(
        {fold_ascii(row.substr(a + 1, b - a - 1)), fold_ascii(row.substr(b + 1))});
  }
  return out;
}

// The first write of `facts` compared with a column in `masked`, named, or "".
Result<std::string> compared_write(const MaskCheck& check, const StatementFacts& facts,
                                   const std::set<MaskKey>& masked) {
  std::map<std::pair<std::string, std::string>, Compared> by_table;
  for (const auto& a : facts.accesses) {
    if ((a.command != Command::kInsert && a.command != Command::kUpdate) || a.column.empty() ||
        a.schema == "temp" || a.schema.empty()) {
      continue;
    }
    auto it = by_table.find({a.schema, a.table});
    if (it == by_table.end()) {
      auto compared = compared_columns(check, a.schema, a.table);
      if (!compared) return std::move(compared).error();
      it = by_table.emplace(std::pair(a.schema, a.table), std::move(*compared)).first;
    }
    const auto peers = it->second.find(fold_ascii(a.column));
    if (peers == it->second.end()) continue;
    for (const auto& p : peers->second) {
      if (masked.contains(p))
        return a.table + "." + a.column + " (compared with " + p.first + "." + p.second + ")";
    }
  }
  return std::string();
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
  if (!masked->empty() && check.db != nullptr) {
    auto write = compared_write(check, facts, *masked);
    if (!write) return std::move(write).error();
    if (!write->empty()) {
      return refusal("the write of " + *write +
                     " is refused: its success would tell whether a masked value is there");
    }
  }
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
  // Last: it reads the plan, which only statements allowed so far need.
  return check_index_order(check, facts, *masked);
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
