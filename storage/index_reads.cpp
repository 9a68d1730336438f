// with_index_reads() (storage/index_reads.h): a plan that scans an index reads its columns.
#include "storage/index_reads.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "common/sqlstate.h"
#include "grammar/printer.h"
#include "storage/compile.h"
#include "storage/sql_words.h"

namespace dbvault::storage {
namespace {

using TableKey = std::pair<std::string, std::string>;  // (schema, table) as the facts name them

// The columns of schema.table the policy names (folded), from `names`.
std::set<std::string> named_columns(const vault::PolicySnapshot& snap, const TableKey& t,
                                    const std::vector<std::string>& names) {
  std::set<std::string> out;
  for (const auto& n : names) {
    const auto id = snap.resolve_access_object({{t.first, t.second}, n});
    const auto* o = id ? snap.object(*id) : nullptr;
    if (o != nullptr && o->table_id != rules::kNoId) out.insert(fold_ascii(n));
  }
  return out;
}

struct IndexColumns {
  std::set<std::string> named;  // the columns the policy names that a scan of it reads
  std::set<std::string> keys;   // every key column (folded; "" for an expression)
  bool unique = false;
  // The table's own b-tree: every read of the table scans it. Its reads are implied ones
  // (schema_reads.h): checked, but no data flow for containment, or every INSERT ... SELECT
  // from a realm table keyed by a realm column would count as copying it.
  bool table_order = false;
};

// The key columns of `t`'s own b-tree, in which order a scan of the table lists its rows: the
// INTEGER PRIMARY KEY (the rowid; taken as one also when declared DESC, fail closed) or a
// WITHOUT ROWID table's primary key. Empty for any other table (rowid order tells nothing).
Result<std::vector<std::string>> table_order_keys(sqlite3* db, Authorizer& auth,
                                                  const TableKey& t) {
  const std::string s = grammar::quote_literal(t.first);
  const std::string n = grammar::quote_literal(t.second);
  return query_schema_column(
      db, auth, t.first,
      "SELECT x.name FROM pragma_table_xinfo(" + n + ", " + s + ") x, pragma_table_list(" + n +
          ") l WHERE l.schema = " + s +
          " AND x.pk > 0 AND (l.wr = 1 OR (upper(x.type) = 'INTEGER' AND (SELECT count(*) FROM "
          "pragma_table_xinfo(" +
          n + ", " + s + ") WHERE pk > 0) = 1))",
      0);
}

// The indexes of `t` (by name) with a key column the policy names; and, under the name "",
// the table's own b-tree when its key is such a column (table_order).
Result<std::map<std::string, IndexColumns>> named_indexes(sqlite3* db, Authorizer& auth,
                                                          const vault::PolicySnapshot& snap,
                                                          const TableKey& t) {
  const std::string s = grammar::quote_literal(t.first);
  const std::string n = grammar::quote_literal(t.second);
  // Column 5: the key column's `hidden` (2, 3: a generated column, an expression in effect).
  auto rows = query_schema(
      db, auth, t.first,
      "SELECT il.name, il.partial, ii.cid, COALESCE(ii.name, ''), il.\"unique\", "
      "COALESCE((SELECT x.hidden FROM pragma_table_xinfo(" +
          n + ", " + s +
          ") x WHERE x.name = ii.name), 0) "
          "FROM pragma_index_list(" +
          n + ", " + s + ") il, pragma_index_xinfo(il.name, " + s + ") ii WHERE ii.key = 1");
  if (!rows) return std::move(rows).error();
  std::map<std::string, IndexColumns> out;
  auto keys = table_order_keys(db, auth, t);
  if (!keys) return std::move(keys).error();
  if (!keys->empty()) {
    IndexColumns& own = out[""];
    own.table_order = true;
    own.unique = true;
    for (const auto& k : *keys) own.keys.insert(fold_ascii(k));
    const auto named = named_columns(snap, t, *keys);
    own.named.insert(named.begin(), named.end());
  }
  std::optional<std::set<std::string>> every;  // all named columns of the table, when needed
  for (const auto& row : **rows) {
    if (row.size() < 6) continue;
    IndexColumns& index = out[row[0]];
    index.keys.insert(fold_ascii(row[3]));
    index.unique = index.unique || row[4] == "1";
    // Partial, an expression or a generated column: not parsed.
    if (row[1] == "1" || row[2] == "-2" || row[5] == "2" || row[5] == "3") {
      if (!every) {
        auto all = table_columns(db, auth, t.first, t.second, true);
        if (!all) return std::move(all).error();
        every = named_columns(snap, t, *all);
      }
      index.named.insert(every->begin(), every->end());
    } else {
      const auto named = named_columns(snap, t, {row[3]});
      index.named.insert(named.begin(), named.end());
    }
  }
  std::erase_if(out, [](const auto& entry) { return entry.second.named.empty(); });
  return out;
}

// An UPDATE of a key column of a UNIQUE index fails (23505) exactly when another row holds the
// same values in all its key columns: an implied read of the index's named columns.
void add_unique_reads(const StatementFacts& facts, const TableKey& table,
                      const std::map<std::string, IndexColumns>& indexes,
                      std::vector<EngineAccess>& added) {
  for (const auto& a : facts.accesses) {
    if (a.command != ast::Command::kUpdate || a.column.empty() || a.schema != table.first ||
        a.table != table.second) {
      continue;
    }
    for (const auto& [name, index] : indexes) {
      if (!index.unique || !index.keys.contains(fold_ascii(a.column))) continue;
      for (const auto& column : index.named) {
        EngineAccess read{ast::Command::kSelect, table.first, table.second, column, a.context};
        read.implied = true;
        added.push_back(std::move(read));
      }
    }
  }
}

// The triggers of `schema` and the tables (or views) they are on (folded names).
struct Triggers {
  std::set<std::string> names;
  std::set<std::string> tables;
};
Result<Triggers> triggers_of(sqlite3* db, Authorizer& auth, const std::string& schema) {
  auto rows = query_schema(db, auth, schema,
                           "SELECT name, tbl_name FROM " + grammar::quote_identifier(schema) +
                               ".sqlite_schema WHERE type = 'trigger'");
  if (!rows) return std::move(rows).error();
  Triggers out;
  for (const auto& row : **rows) {
    if (row.size() < 2) continue;
    out.names.insert(fold_ascii(row[0]));
    out.tables.insert(fold_ascii(row[1]));
  }
  return out;
}

bool is_write(ast::Command c) {
  return c == ast::Command::kInsert || c == ast::Command::kUpdate || c == ast::Command::kDelete;
}

// A trigger body's scans are not in the firing statement's plan (nor those of a view it
// reads): when a trigger fires, every table read or written inside a trigger or view is taken
// to be scanned through each of its indexes (fail closed).
Status add_trigger_reads(sqlite3* db, Authorizer& auth, const StatementFacts& facts,
                         const std::map<TableKey, std::map<std::string, IndexColumns>>& candidates,
                         std::vector<EngineAccess>& added) {
  std::map<std::string, Triggers> triggers;  // by schema
  // True if `a` is made by a trigger of `schema`, or writes a table one of them is on (the
  // reads of a trigger body seen through a view or a CTE name that view, not the trigger).
  auto in = [&](const std::string& schema, const EngineAccess& a) -> Result<bool> {
    auto it = triggers.find(schema);
    if (it == triggers.end()) {
      auto found = triggers_of(db, auth, schema);
      if (!found) return std::move(found).error();
      it = triggers.emplace(schema, std::move(*found)).first;
    }
    return (!a.context.empty() && it->second.names.contains(fold_ascii(a.context))) ||
           (is_write(a.command) && it->second.tables.contains(fold_ascii(a.table)));
  };
  bool fires = false;
  for (const auto& a : facts.accesses) {
    if (a.schema.empty() || (a.context.empty() && !is_write(a.command))) continue;
    // A trigger is in its table's schema, or a TEMP one.
    for (const std::string& schema : {a.schema, std::string("temp")}) {
      auto found = in(schema, a);
      if (!found) return std::move(found).error();
      fires = fires || *found;
    }
    if (fires) break;
  }
  if (!fires) return ok_status();
  for (const auto& a : facts.accesses) {
    const auto table = candidates.find({a.schema, a.table});
    if (a.context.empty() || table == candidates.end()) continue;
    for (const auto& [name, index] : table->second) {
      for (const auto& column : index.named) {
        EngineAccess read{ast::Command::kSelect, a.schema, a.table, column, a.context};
        read.implied = index.table_order;
        added.push_back(std::move(read));
      }
    }
  }
  return ok_status();
}

// `SELECT count(*) FROM t` answered by counting an index: one plan line, a Count opcode. Only
// a read-only statement: EXPLAIN lists the programs of the triggers a write fires too, and a
// trigger's count(*) is no count of the statement's scan.
Result<bool> simple_count(sqlite3* db, Authorizer& auth, sqlite3_stmt* stmt,
                          const std::vector<std::string>& plan, const std::string& text) {
  if (plan.size() != 1 || sqlite3_stmt_readonly(stmt) == 0) return false;
  auto ops = query_column(db, auth, "EXPLAIN " + text, 1);
  if (!ops) return std::move(ops).error();
  return std::find(ops->begin(), ops->end(), "Count") != ops->end();
}

// The memo's key now; nullopt when no memo may be used (IndexPlanMemo).
std::optional<IndexPlanMemo::Key> memo_key(Authorizer& auth, sqlite3_stmt* stmt,
                                           const StatementFacts& facts, const char* text) {
  if (sqlite3_expired(stmt) != 0) return std::nullopt;
  auto scope = auth.internal();
  SchemaCache& cache = auth.schema_cache();
  std::set<std::string> schemas{"main", "temp"};
  for (const auto& a : facts.accesses) {
    if (!a.schema.empty()) schemas.insert(a.schema);
  }
  IndexPlanMemo::Key key;
  for (const auto& schema : schemas) {
    const auto version = cache.data_version(schema);  // before the cookie, in its transaction
    const auto cookie = cache.cookie(schema);         // nullopt in a write transaction
    if (!cookie) return std::nullopt;
    key.cookies.push_back({schema, *cookie, version});
  }
  key.stmt = stmt;
  key.reprepares = sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_REPREPARE, 0);
  key.generation = cache.generation();  // after the cookies: a file changed clears the cache
  key.text = text;
  return key;
}

// True if `c` is its schema's cookie now: its file's data version has not moved since it was
// read, or the cookie read again has the same value (then its data version is the new one).
bool cookie_holds(SchemaCache& cache, IndexPlanMemo::Cookie& c) {
  const auto version = cache.data_version(c.schema);
  if (version && c.data_version == version) return true;
  const auto now = cache.cookie(c.schema);
  if (!now || *now != c.value) return false;
  c.data_version = version;
  return true;
}

// True if the memo's key is what memo_key() would make now, compared in place.
bool memo_holds(Authorizer& auth, sqlite3_stmt* stmt, const StatementFacts& facts, const char* text,
                IndexPlanMemo& memo) {
  if (!memo.key) return false;
  IndexPlanMemo::Key& key = *memo.key;
  if (key.stmt != stmt || sqlite3_expired(stmt) != 0 ||
      key.reprepares != sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_REPREPARE, 0) ||
      key.text != text) {
    return false;
  }
  for (const auto& a : facts.accesses) {
    if (!a.schema.empty() &&
        std::none_of(key.cookies.begin(), key.cookies.end(),
                     [&](const IndexPlanMemo::Cookie& c) { return c.schema == a.schema; })) {
      return false;
    }
  }
  auto scope = auth.internal();
  SchemaCache& cache = auth.schema_cache();
  for (auto& c : key.cookies) {
    if (!cookie_holds(cache, c)) return false;
  }
  return key.generation == cache.generation();  // after the cookies, as in memo_key
}

// The facts a kept answer was derived for (a session's mask views can drop accesses).
bool same_accesses(const std::vector<EngineAccess>& a, const std::vector<EngineAccess>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.key() == y.key() && x.implied == y.implied;
  });
}

}  // namespace

bool plan_reads_index(const std::vector<std::string>& plan, const std::string& name) {
  const std::string needle = "INDEX " + name;
  return std::any_of(plan.begin(), plan.end(), [&](const std::string& line) {
    for (auto at = line.find(needle); at != std::string::npos; at = line.find(needle, at + 1)) {
      const auto end = at + needle.size();
      if (end == line.size() || line[end] == ' ' || line[end] == '(') return true;
    }
    return false;
  });
}

Result<std::shared_ptr<const StatementFacts>> with_index_reads(sqlite3* db, Authorizer& auth,
                                                               const vault::PolicySnapshot& snap,
                                                               sqlite3_stmt* stmt,
                                                               const StatementFacts& facts,
                                                               IndexPlanMemo* memo) {
  using Out = std::shared_ptr<const StatementFacts>;
  if (stmt == nullptr || sqlite3_stmt_isexplain(stmt) > 0) return Out();
  const char* text = sqlite3_sql(stmt);
  if (text == nullptr) {
    return make_error(sqlstate::kInternalError, "the statement's plan cannot be checked");
  }
  // No table of an attached file: no index to read, and nothing read (in a block, reading a
  // cookie would begin its transaction; a deferred statement's check waits for one).
  if (std::none_of(facts.accesses.begin(), facts.accesses.end(), [](const EngineAccess& a) {
        return !a.schema.empty() && fold_ascii(a.schema) != "temp";
      })) {
    return Out();
  }
  IndexPlanMemo local;  // without a memo: this execution's own
  const bool holds = memo != nullptr && memo_holds(auth, stmt, facts, text, *memo);
  auto key = memo != nullptr && !holds ? memo_key(auth, stmt, facts, text) : std::nullopt;
  if (memo == nullptr) memo = &local;
  if (!holds) *memo = IndexPlanMemo{};
  if (memo->key && memo->derived && memo->policy_version == snap.version() &&
      same_accesses(memo->made_for, facts.accesses)) {
    return memo->result;
  }
  std::map<TableKey, std::map<std::string, IndexColumns>> candidates;
  for (const auto& a : facts.accesses) {
    if (a.schema.empty() || fold_ascii(a.schema) == "temp") continue;
    // A schema detached since prepare (a tablespace whose key was locked): no index of it can
    // be read, and the statement itself is refused (the vault) or fails to compile again.
    if (sqlite3_db_filename(db, a.schema.c_str()) == nullptr) return Out();
    const TableKey table{a.schema, a.table};
    if (candidates.contains(table)) continue;
    auto found = named_indexes(db, auth, snap, table);
    if (!found) return std::move(found).error();
    candidates.emplace(table, std::move(*found));
  }
  std::erase_if(candidates, [](const auto& entry) { return entry.second.empty(); });
  auto derived = [&](Out result) -> Out {
    if (!holds) memo->key = std::move(key);  // nullopt (nothing kept) when none could be read
    memo->derived = true;
    memo->policy_version = snap.version();
    memo->made_for = facts.accesses;
    memo->result = result;
    return result;
  };
  if (candidates.empty()) return derived(Out());
  std::vector<EngineAccess> implied;
  for (const auto& [table, indexes] : candidates) add_unique_reads(facts, table, indexes, implied);
  if (!memo->plan_read) {
    auto read = query_column(db, auth, std::string("EXPLAIN QUERY PLAN ") + text, 3);
    if (!read) return std::move(read).error();
    memo->plan = std::move(*read);
    memo->plan_read = true;
  }
  const std::vector<std::string>& plan = memo->plan;
  std::vector<EngineAccess> added;  // the scans first: an explicit read is never implied
  for (const auto& [table, indexes] : candidates) {
    const bool reads_table =
        std::any_of(facts.accesses.begin(), facts.accesses.end(), [&](auto& a) {
          return a.command == ast::Command::kSelect && a.schema == table.first &&
                 a.table == table.second;
        });
    for (const auto& [name, index] : indexes) {
      if (index.table_order ? !reads_table : !plan_reads_index(plan, name)) continue;
      for (const auto& column : index.named) {
        EngineAccess read{ast::Command::kSelect, table.first, table.second, column, ""};
        read.implied = index.table_order;
        added.push_back(std::move(read));
      }
    }
  }
  if (!added.empty()) {
    if (!memo->counted) {
      auto counted = simple_count(db, auth, stmt, plan, text);
      if (!counted) return std::move(counted).error();
      memo->counted = *counted;
    }
    if (*memo->counted) added.clear();
  }
  DBV_RETURN_IF_ERROR(add_trigger_reads(db, auth, facts, candidates, added));
  added.insert(added.end(), implied.begin(), implied.end());
  if (added.empty()) return derived(Out());
  auto out = std::make_shared<StatementFacts>(facts);
  for (auto& a : added) {
    if (out->seen.insert(a).second) out->accesses.push_back(std::move(a));
  }
  return derived(std::move(out));
}

}  // namespace dbvault::storage
