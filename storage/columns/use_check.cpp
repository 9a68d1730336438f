// check_uses(): a forward walk over the program, twice (so that values carried around a loop,
// into a coroutine or an ephemeral table filled later in the listing, are seen), following
// what every register, record and cursor field may hold.
#include "storage/columns/use_check.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "common/sqlstate.h"

namespace dbvault::storage::columns {
namespace {

// What a register or field may hold: a value of a followed column, as stored (kCipher) or as
// the engine sealed it for a comparison or write (kSealed). column -1: not known which.
struct Held {
  // kNullness: SQLite's NULL bookkeeping of IN (BitAnd of the value with itself), which may
  // only be tested for NULL.
  enum Kind { kCipher, kSealed, kNullness } kind = kCipher;
  int column = -1;
  bool operator==(const Held&) const = default;
};
using Fields = std::vector<std::optional<Held>>;

struct Cursor {
  bool stored = false;  // a b-tree of the database (not ephemeral, sorter or pseudo)
  bool index = false;   // an index of a table with encrypted columns
  int key_fields = 0;   // ephemeral index or sorter: fields compared for order or equality
  int pseudo_of = -1;   // a pseudo cursor: the register holding its record
  Fields fields;
};

// Opcodes that read no register the check follows, or only write registers it clears below.
const std::set<std::string, std::less<>>& inert() {
  static const std::set<std::string, std::less<>> ops = {
      "Init",         "Goto",        "Halt",          "Transaction",   "TableLock",
      "Noop",         "Explain",     "Trace",         "Rewind",        "Next",
      "Prev",         "Last",        "Close",         "NullRow",       "ResetCount",
      "Once",         "BeginSubrtn", "InitCoroutine", "EndCoroutine",  "Yield",
      "Gosub",        "Return",      "SorterSort",    "Sort",          "SorterNext",
      "ResetSorter",  "SeekEnd",     "ColumnsUsed",   "CursorHint",    "Expire",
      "ParseSchema",  "SqlExec",     "DropTable",     "DropIndex",     "DropTrigger",
      "Destroy",      "Clear",       "SetCookie",     "VerifyCookie",  "FkCounter",
      "FkIfZero",     "IfPos",       "IfNotZero",     "DecrJumpZero",  "OffsetLimit",
      "AddImm",       "Delete",      "IdxDelete",     "DeferredSeek",  "FinishSeek",
      "Program",      "HaltIfNull",  "IsNull",        "NotNull",       "IfNullRow",
      "Affinity",     "CollSeq",     "MustBeInt",     "Jump",          "ElseEq",
      "SeekScan",     "SeekHit",     "Abortable",     "Filter",        "FilterAdd",
      "RowSetAdd",    "RowSetTest",  "RowSetRead",    "IfNoHope",      "Permutation",
      "MemMax",       "IfSmaller",   "TypeCheck",     "SorterCompare", "CursorLock",
      "CursorUnlock", "ReleaseReg",  "AggFinal",      "AggValue",      "Savepoint",
      "AutoCommit"};
  return ops;
}
// Opcodes writing register P2 from non-followed inputs (constants, rowids, counters).
const std::set<std::string, std::less<>>& writes_p2() {
  static const std::set<std::string, std::less<>> ops = {
      "Integer",    "Int64",       "Real",      "String8",  "String",     "Blob",
      "Variable",   "Rowid",       "IdxRowid",  "NewRowid", "Sequence",   "Count",
      "ReadCookie", "CreateBtree", "Pagecount", "MaxPgcnt", "JournalMode"};
  return ops;
}
// Operators over P1 (and P2) into P3 or P2: refused over a followed value.
const std::set<std::string, std::less<>>& computes() {
  static const std::set<std::string, std::less<>> ops = {
      "Concat", "Add",   "Subtract",  "Multiply",   "Divide", "Remainder",
      "BitAnd", "BitOr", "ShiftLeft", "ShiftRight", "And",    "Or"};
  return ops;
}

class UseCheck {
 public:
  UseCheck(const StoredLayout& layout, const std::vector<std::optional<int>>& origins,
           StatementUse shape)
      : layout_(layout),
        origins_(origins),
        building_index_(shape.building_index),
        orders_(shape.orders) {}

  Status run(const std::vector<ProgramOp>& all) {
    std::size_t from = 0;
    while (from < all.size()) {  // the main program, then each trigger program
      std::size_t to = from + 1;
      while (to < all.size() && all[to].addr != 0) ++to;
      program_ = {all.begin() + static_cast<std::ptrdiff_t>(from),
                  all.begin() + static_cast<std::ptrdiff_t>(to)};
      regs_.clear();
      records_.clear();
      strings_.clear();
      cursors_.clear();
      trigger_ = trigger_of(program_.front());
      find_null_only();
      // Two passes learn what registers and ephemeral tables may hold (a loop, a table
      // filled later in the listing); the third checks.
      for (int pass = 0; pass < 2; ++pass) {
        for (const auto& op : program_) (void)step(op);
      }
      for (const auto& op : program_) DBV_RETURN_IF_ERROR(step(op));
      from = to;
    }
    return ok_status();
  }

 private:
  // "-- TRIGGER name" on the Init of a trigger program.
  const StoredLayout::TriggerTable* trigger_of(const ProgramOp& init) const {
    const std::string_view tag = "-- TRIGGER ";
    if (init.opcode != "Init" || !init.p4.starts_with(tag)) return nullptr;
    std::string name = init.p4.substr(tag.size());
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto it = layout_.triggers.find(name);
    return it == layout_.triggers.end() ? nullptr : &it->second;
  }

  Error refuse(const Held& h, std::string_view what) const {
    if (h.column < 0) {
      return make_error(sqlstate::kFeatureNotSupported,
                        "a value of an encrypted column is used where the engine cannot follow "
                        "it: only reading it as a result column, writing it, and (DETERMINISTIC) "
                        "=, <> and IN with a literal or parameter are supported (refused: " +
                            std::string(what) + ")");
    }
    const FollowedColumn& c = layout_.columns[static_cast<std::size_t>(h.column)];
    const bool det = c.mode == ColumnMode::kDeterministic;
    return make_error(
        sqlstate::kFeatureNotSupported,
        "column " + column_label(c.column) + " is encrypted (" +
            (c.mode ? std::string(mode_name(*c.mode)) : std::string("invalid metadata")) + "): " +
            (det ? "only =, <> and IN with a literal or parameter are supported"
                 : "it can only be read as a result column and written, not compared or "
                   "computed with") +
            " (refused: " + std::string(what) + ")");
  }

  std::optional<Held> reg(int r) const {
    auto it = regs_.find(r);
    return it == regs_.end() ? std::nullopt : std::optional<Held>(it->second);
  }
  // A write of `h` (nullopt: a value not followed) into register r. Weak: a register that may
  // hold a followed value on one path keeps it, since the walk does not follow branches (the
  // ELSE of a CASE writes the register after its THEN did). Two different followed values in
  // one register become "a value of an unknown column".
  void set(int r, std::optional<Held> h) {
    strings_.erase(r);
    if (!h) return;
    auto [it, fresh] = regs_.emplace(r, *h);
    if (!fresh && !(it->second == *h)) it->second = Held{Held::kCipher, -1};
  }
  // Registers only ever set to NULL (a seek past the NULLs of an index, for IS NOT NULL).
  void find_null_only() {
    std::set<int> nulls, others;
    for (const auto& op : program_) {
      const std::string& o = op.opcode;
      if (o == "Null") {
        for (int r = op.p2; r <= std::max(op.p2, op.p3); ++r) nulls.insert(r);
      } else if (o == "Column" || o == "Function" || o == "PureFunc" || o == "MakeRecord") {
        others.insert(op.p3);
      } else if (o == "Copy" || o == "SCopy" || o == "Move") {
        for (int k = 0; k <= std::max(op.p3, 0); ++k) others.insert(op.p2 + k);
      } else if (writes_p2().contains(o) || o == "String8" || o == "String" || o == "Param") {
        others.insert(op.p2);
      }
    }
    null_only_.clear();
    for (int r : nulls)
      if (!others.contains(r)) null_only_.insert(r);
  }
  // A record that register r may hold (merged field by field with what it may hold already).
  void merge(int r, const Fields& fields) {
    if (fields.empty()) return;
    Fields& into = records_[r];
    if (into.size() < fields.size()) into.resize(fields.size());
    for (std::size_t k = 0; k < fields.size(); ++k) {
      if (!fields[k]) continue;
      if (into[k] && !(*into[k] == *fields[k])) {
        into[k] = Held{Held::kCipher, -1};
      } else {
        into[k] = fields[k];
      }
    }
  }
  // Refuses if a register of [first, first + n) holds a followed value.
  Status none_in(int first, int n, std::string_view what) const {
    for (int r = first; r < first + n; ++r) {
      if (auto h = reg(r)) return refuse(*h, what);
      if (auto it = records_.find(r); it != records_.end()) {
        for (const auto& f : it->second)
          if (f) return refuse(*f, what);
      }
    }
    return ok_status();
  }
  bool deterministic(const Held& h) const {
    return h.column >= 0 &&
           layout_.columns[static_cast<std::size_t>(h.column)].mode == ColumnMode::kDeterministic;
  }
  // May `a` and `b` be compared for equality? Neither followed; or a DETERMINISTIC column's
  // stored value with a value sealed for it. Not two stored values, even of the same column:
  // that is a self-join, DISTINCT or GROUP BY (SQLite compares each value with the previous
  // one), which the rules do not offer (docs/encryption.md §13.5).
  Status equality(const std::optional<Held>& a, const std::optional<Held>& b) const {
    if (!a && !b) return ok_status();
    const Held& x = a ? *a : *b;
    if (a && b && a->column == b->column && deterministic(x) &&
        (a->kind == Held::kCipher) != (b->kind == Held::kCipher) &&
        (a->kind == Held::kSealed || b->kind == Held::kSealed)) {
      return ok_status();
    }
    return refuse(x, "a comparison with a value not sealed for the column");
  }
  Fields record_or_reg(int r) const {
    if (auto it = records_.find(r); it != records_.end()) return it->second;
    if (auto h = reg(r)) return {h};
    return {};
  }
  // A record written into cursor `c`: a stored b-tree takes followed values only at their own
  // column's field; an ephemeral one learns them, and may not order by them.
  Status write(int c, const Fields& record) {
    Cursor& cur = cursors_[c];
    for (std::size_t k = 0; k < record.size(); ++k) {
      if (!record[k]) continue;
      const Held& h = *record[k];
      if (cur.stored) {
        const bool own =
            k < cur.fields.size() && cur.fields[k] && cur.fields[k]->column == h.column;
        if (!own || h.column < 0) return refuse(h, "a copy into another column or table");
        continue;
      }
      if (static_cast<int>(k) < cur.key_fields && h.kind == Held::kCipher && !building_index_) {
        return refuse(h, "ORDER BY, GROUP BY, DISTINCT or a set operation on the column");
      }
      if (cur.fields.size() <= k) cur.fields.resize(k + 1);
      cur.fields[k] = h;
    }
    return ok_status();
  }
  // A seek or lookup of `n` key registers from `first` (or a record, n == 0) in cursor `c`.
  Status lookup(int c, int first, int n) {
    const Cursor& cur = cursors_[c];
    const Fields key = n > 0 ? Fields() : record_or_reg(first);
    const std::size_t count = n > 0 ? static_cast<std::size_t>(n) : key.size();
    for (std::size_t k = 0; k < count; ++k) {
      const auto held = n > 0 ? reg(first + static_cast<int>(k)) : key[k];
      const auto field = k < cur.fields.size() ? cur.fields[k] : std::nullopt;
      if (!held && n > 0 && null_only_.contains(first + static_cast<int>(k))) continue;
      DBV_RETURN_IF_ERROR(equality(held, field));
    }
    return ok_status();
  }
  static int nargs(const ProgramOp& op) {  // "name(N)"
    const auto open = op.p4.rfind('(');
    if (open == std::string::npos) return -1;
    return std::atoi(op.p4.c_str() + open + 1);
  }
  static int key_fields(const std::string& p4) {  // "k(N,...)"
    return p4.starts_with("k(") ? std::atoi(p4.c_str() + 2) : 0;
  }
  Status function(const ProgramOp& op) {
    const int n = nargs(op);
    // A variadic function (printf, coalesce, max(a, b)): EXPLAIN shows its declared count (-1),
    // not the call's, so every register an argument list could reach is checked (SQLite's
    // limit on arguments: 127). Fail closed: a followed value just after the arguments refuses.
    if (n < 0) return none_in(op.p2, 127, "a function over the column");
    if (op.p4.starts_with("dbvault_seal(") && n == 4) {
      auto table = strings_.find(op.p2);
      auto column = strings_.find(op.p2 + 1);
      DBV_RETURN_IF_ERROR(none_in(op.p2 + 2, 2, "a function over the column"));
      int found = -1;
      for (std::size_t i = 0; i < layout_.columns.size(); ++i) {
        const auto& id = layout_.columns[i].column;
        if (table != strings_.end() && column != strings_.end() && id.table == table->second &&
            id.column == column->second) {
          found = static_cast<int>(i);
        }
      }
      if (found < 0) return refuse(Held{Held::kSealed, -1}, "a seal the engine cannot place");
      set(op.p3, Held{Held::kSealed, found});
      return ok_status();
    }
    DBV_RETURN_IF_ERROR(none_in(op.p2, n, "a function over the column"));
    set(op.p3, std::nullopt);
    return ok_status();
  }
  Status result_row(const ProgramOp& op) {
    for (int k = 0; k < op.p2; ++k) {
      auto h = reg(op.p1 + k);
      if (!h) {
        DBV_RETURN_IF_ERROR(none_in(op.p1 + k, 1, "a record in a result"));
        continue;
      }
      const auto origin = static_cast<std::size_t>(k) < origins_.size()
                              ? origins_[static_cast<std::size_t>(k)]
                              : std::nullopt;
      if (h->kind != Held::kCipher || !origin || *origin != h->column) {
        return refuse(*h, "an expression over the column in the result");
      }
    }
    return ok_status();
  }
  Status column(const ProgramOp& op) {
    const Cursor& cur = cursors_[op.p1];
    std::optional<Held> h;
    if (cur.pseudo_of >= 0) {
      const Fields rec = record_or_reg(cur.pseudo_of);
      if (static_cast<std::size_t>(op.p2) < rec.size()) h = rec[static_cast<std::size_t>(op.p2)];
    } else if (static_cast<std::size_t>(op.p2) < cur.fields.size()) {
      h = cur.fields[static_cast<std::size_t>(op.p2)];
    }
    set(op.p3, h);
    return ok_status();
  }
  Status open(const ProgramOp& op) {
    Cursor c;
    c.stored = true;
    if (op.p5 & 0x10) {  // OPFLAG_P2ISREG: the b-tree CREATE INDEX just made
      if (!building_index_) return refuse(Held{}, "a b-tree the check cannot place");
      c.stored = false;
    } else if (op.p3 == 0) {
      c.index = layout_.index_roots.contains(op.p2);
      if (auto it = layout_.fields_by_root.find(op.p2); it != layout_.fields_by_root.end()) {
        for (const auto& f : it->second) {
          c.fields.push_back(f ? std::optional<Held>(Held{Held::kCipher, *f}) : std::nullopt);
        }
      }
    }
    cursors_[op.p1] = std::move(c);
    return ok_status();
  }
  Status param(const ProgramOp& op) {  // OLD.c / NEW.c of a trigger program
    std::optional<Held> h;
    if (trigger_ == nullptr) {
      if (!layout_.empty()) h = Held{Held::kCipher, -1};
    } else {
      const int at = op.p1 % (trigger_->column_count + 1);
      if (at > 0 && static_cast<std::size_t>(at - 1) < trigger_->fields.size() &&
          trigger_->fields[static_cast<std::size_t>(at - 1)]) {
        h = Held{Held::kCipher, *trigger_->fields[static_cast<std::size_t>(at - 1)]};
      }
    }
    set(op.p2, h);
    return ok_status();
  }

  Status step(const ProgramOp& op);

  const StoredLayout& layout_;
  const std::vector<std::optional<int>>& origins_;
  const bool building_index_;
  const bool orders_;
  std::vector<ProgramOp> program_;
  const StoredLayout::TriggerTable* trigger_ = nullptr;
  std::map<int, Held> regs_;
  std::map<int, Fields> records_;
  std::map<int, std::string> strings_;  // constant strings (dbvault_seal's first arguments)
  std::map<int, Cursor> cursors_;
  std::set<int> null_only_;
};

Status UseCheck::step(const ProgramOp& op) {
  const std::string& o = op.opcode;
  if (o == "Column") return column(op);
  if (o == "OpenRead" || o == "OpenWrite" || o == "ReopenIdx") return open(op);
  if (o == "OpenEphemeral" || o == "OpenAutoindex" || o == "SorterOpen") {
    Cursor c;
    c.key_fields = key_fields(op.p4);
    if (auto it = cursors_.find(op.p1); it != cursors_.end()) c.fields = it->second.fields;
    cursors_[op.p1] = std::move(c);
    return ok_status();
  }
  if (o == "OpenDup") {
    cursors_[op.p1] = cursors_[op.p2];
    return ok_status();
  }
  if (o == "OpenPseudo") {
    cursors_[op.p1] = Cursor{false, false, 0, op.p2, {}};
    return ok_status();
  }
  if (o == "SorterData" || o == "RowData") {
    const Fields fields = cursors_[op.p1].fields;
    set(op.p2, std::nullopt);
    merge(op.p2, fields);
    return ok_status();
  }
  if (o == "Copy" || o == "Move") {
    for (int k = 0; k <= (o == "Copy" ? op.p3 : op.p3 - 1); ++k) {
      const auto h = reg(op.p1 + k);
      auto rec = records_.find(op.p1 + k);
      const auto fields = rec == records_.end() ? Fields() : rec->second;
      set(op.p2 + k, h);
      merge(op.p2 + k, fields);
      if (o == "Move") set(op.p1 + k, std::nullopt);
    }
    return ok_status();
  }
  if (o == "SCopy") {
    const auto fields = records_.count(op.p1) ? records_[op.p1] : Fields();
    set(op.p2, reg(op.p1));
    merge(op.p2, fields);
    return ok_status();
  }
  if (o == "IntCopy") {
    DBV_RETURN_IF_ERROR(none_in(op.p1, 1, "a conversion of the column"));
    set(op.p2, std::nullopt);
    return ok_status();
  }
  if (o == "MakeRecord") {
    Fields rec;
    bool any = false;
    for (int k = 0; k < op.p2; ++k) {
      if (records_.count(op.p1 + k)) return refuse(Held{}, "a record inside a record");
      rec.push_back(reg(op.p1 + k));
      any = any || rec.back().has_value();
    }
    set(op.p3, std::nullopt);
    if (any) merge(op.p3, rec);
    return ok_status();
  }
  if (o == "Insert" || o == "IdxInsert" || o == "SorterInsert") {
    return write(op.p1, record_or_reg(op.p2));
  }
  if (o == "ResultRow") return result_row(op);
  if (o == "Eq" || o == "Ne") return equality(reg(op.p1), reg(op.p3));
  if (o == "SeekGE" || o == "SeekGT" || o == "SeekLE" || o == "SeekLT" || o == "IdxGE" ||
      o == "IdxGT" || o == "IdxLE" || o == "IdxLT" || o == "Found" || o == "NotFound" ||
      o == "NoConflict") {
    return lookup(op.p1, op.p3, std::atoi(op.p4.c_str()));
  }
  if ((o == "Rewind" || o == "Last") && orders_) {  // a scan of an index in its order
    const Cursor& cur = cursors_[op.p1];
    if (cur.index && !cur.fields.empty() && cur.fields[0]) {
      return refuse(*cur.fields[0], "ORDER BY on the column");
    }
  }
  if (o == "BitAnd") {  // IN's NULL bookkeeping, or an operator over the column
    auto a = reg(op.p1);
    auto b = reg(op.p2);
    if (!a && !b) {
      DBV_RETURN_IF_ERROR(none_in(op.p1, 1, "an operator over the column"));
      DBV_RETURN_IF_ERROR(none_in(op.p2, 1, "an operator over the column"));
      set(op.p3, std::nullopt);
      return ok_status();
    }
    const Held h = a ? *a : *b;
    set(op.p3, Held{Held::kNullness, h.column});
    return ok_status();
  }
  if (o == "If" || o == "IfNot") return none_in(op.p1, 1, "the column as a condition");
  if (o == "SeekRowid" || o == "NotExists") return none_in(op.p3, 1, "the column as a rowid");
  if (o == "Lt" || o == "Le" || o == "Gt" || o == "Ge") {
    DBV_RETURN_IF_ERROR(none_in(op.p1, 1, "a range comparison"));
    return none_in(op.p3, 1, "a range comparison");
  }
  if (o == "Compare") {
    DBV_RETURN_IF_ERROR(none_in(op.p1, op.p3, "ORDER BY, GROUP BY or DISTINCT on the column"));
    return none_in(op.p2, op.p3, "ORDER BY, GROUP BY or DISTINCT on the column");
  }
  if (o == "Function" || o == "PureFunc") return function(op);
  if (o == "AggStep" || o == "AggStep1" || o == "AggInverse") {
    return none_in(op.p2, op.p5, "an aggregate over the column");
  }
  if (o == "Param") return param(op);
  if (o == "String8" || o == "String") {
    set(op.p2, std::nullopt);
    strings_[op.p2] = op.p4;
    return ok_status();
  }
  if (writes_p2().contains(o)) {
    set(op.p2, std::nullopt);
    return ok_status();
  }
  if (o == "Null" || o == "BeginSubrtn") {
    for (int r = op.p2; r <= std::max(op.p2, op.p3); ++r) set(r, std::nullopt);
    return ok_status();
  }
  if (o == "SoftNull") {
    set(op.p1, std::nullopt);
    return ok_status();
  }
  if (computes().contains(o)) {
    DBV_RETURN_IF_ERROR(none_in(op.p1, 1, "an operator over the column"));
    DBV_RETURN_IF_ERROR(none_in(op.p2, 1, "an operator over the column"));
    set(op.p3, std::nullopt);
    return ok_status();
  }
  if (o == "Cast" || o == "RealAffinity" || o == "Not" || o == "BitNot" || o == "IsTrue" ||
      o == "ZeroOrNull" || o == "IsType") {
    DBV_RETURN_IF_ERROR(none_in(op.p1, 1, "an operator over the column"));
    if (o != "Cast" && o != "RealAffinity") set(op.p2, std::nullopt);
    return ok_status();
  }
  if (inert().contains(o)) return ok_status();
  // An opcode this check does not know: allowed only where nothing is followed at all.
  if (regs_.empty() && records_.empty() &&
      std::none_of(cursors_.begin(), cursors_.end(),
                   [](const auto& c) { return !c.second.fields.empty(); })) {
    return ok_status();
  }
  return refuse(Held{}, "an engine operation the check does not know (" + o + ")");
}

}  // namespace

Status check_uses(const std::vector<ProgramOp>& program, const StoredLayout& layout,
                  const std::vector<std::optional<int>>& origins, StatementUse shape) {
  return UseCheck(layout, origins, shape).run(program);
}

}  // namespace dbvault::storage::columns
