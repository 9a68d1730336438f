// BEGIN / START TRANSACTION / COMMIT / END / ROLLBACK / ABORT / SAVEPOINT / RELEASE, with
// PostgreSQL's rules where SQLite's differ: BEGIN inside a transaction and COMMIT outside one
// are warnings, not errors; SAVEPOINT needs a transaction block (SQLite would open one), and
// the implicit block of a multi-statement query is none; after an error the block is failed
// and COMMIT rolls it back.
#include "server/pgcompat/statement.h"

namespace dbvault::server::pgcompat::detail {
namespace {

// Transaction modes after BEGIN / START TRANSACTION / SET TRANSACTION, applied as SET LOCAL
// (set_local) or as session defaults. Returns the index after the modes.
Result<std::size_t> apply_modes(const Stmt& s, std::size_t i, Settings& settings, bool as_default) {
  const std::string prefix = as_default ? "default_" : "";
  while (i < s.size()) {
    if (s.punct(i, ',')) {
      ++i;
    } else if (s.word(i, "ISOLATION") && s.word(i + 1, "LEVEL")) {
      i += 2;
      std::string level;
      if (s.word(i, "SERIALIZABLE")) {
        level = "serializable", i += 1;
      } else if (s.word(i, "REPEATABLE") && s.word(i + 1, "READ")) {
        level = "repeatable read", i += 2;
      } else if (s.word(i, "READ") &&
                 (s.word(i + 1, "COMMITTED") || s.word(i + 1, "UNCOMMITTED"))) {
        level = s.word(i + 1, "COMMITTED") ? "read committed" : "read uncommitted", i += 2;
      } else {
        return syntax_error(s, i);
      }
      DBV_RETURN_IF_ERROR(settings.set(prefix + "transaction_isolation", level, !as_default));
    } else if (s.word(i, "READ") && (s.word(i + 1, "ONLY") || s.word(i + 1, "WRITE"))) {
      DBV_RETURN_IF_ERROR(settings.set(prefix + "transaction_read_only",
                                       s.word(i + 1, "ONLY") ? "on" : "off", !as_default));
      i += 2;
    } else if (s.word(i, "DEFERRABLE") || (s.word(i, "NOT") && s.word(i + 1, "DEFERRABLE"))) {
      i += s.word(i, "NOT") ? 2 : 1;  // only meaningful for serializable read-only: always so
    } else {
      return syntax_error(s, i);
    }
  }
  return i;
}

std::size_t skip_work(const Stmt& s, std::size_t i) {
  return s.word(i, "WORK") || s.word(i, "TRANSACTION") ? i + 1 : i;
}

Result<Translation> begin(const Stmt& s, Settings& settings, std::size_t i) {
  // SQLite's own BEGIN DEFERRED / IMMEDIATE / EXCLUSIVE are kept: they only choose locking.
  std::string engine = "BEGIN";
  if (s.word(0, "BEGIN") &&
      (s.word(i, "DEFERRED") || s.word(i, "IMMEDIATE") || s.word(i, "EXCLUSIVE"))) {
    engine += " " + identifier_name(s.tokens[i++]);
    i = skip_work(s, i);
  }
  if (settings.in_implicit_block()) {
    // BEGIN in a query string of several statements: the implicit block (whose engine
    // transaction is open) becomes an ordinary one, the statements before it included, as in
    // PostgreSQL. Its modes apply from here; a mode it cannot take fails the implicit block.
    auto end = apply_modes(s, i, settings, false);
    if (!end) return std::move(end).error();
    settings.on_transaction_begin();
    return Translation{command_done("BEGIN")};
  }
  if (settings.in_transaction()) {
    return Translation{command_done("BEGIN", "there is already a transaction in progress")};
  }
  settings.on_transaction_begin();
  auto end = apply_modes(s, i, settings, false);
  if (!end) {
    settings.on_transaction_end(false);
    return std::move(end).error();
  }
  return Translation{run_instead(engine, "BEGIN")};
}

Result<Translation> commit(const Stmt& s, Settings& settings, std::size_t i) {
  if (s.word(i, "AND") && s.word(i + 1, "CHAIN")) return not_supported("COMMIT AND CHAIN", s, i);
  if (s.word(i, "AND") && s.word(i + 1, "NO") && s.word(i + 2, "CHAIN")) i += 3;
  if (i != s.size()) return syntax_error(s, i);
  if (!settings.in_transaction()) {
    return Translation{command_done("COMMIT", "there is no transaction in progress")};
  }
  const bool failed = settings.transaction_failed();
  settings.on_transaction_end(!failed);
  // A failed block cannot commit: PostgreSQL rolls it back and says so in the tag.
  return Translation{failed ? run_instead("ROLLBACK", "ROLLBACK")
                            : run_instead("COMMIT", "COMMIT")};
}

Result<Translation> rollback(const Stmt& s, Settings& settings, std::size_t i) {
  if (s.word(i, "PREPARED")) return not_supported("ROLLBACK PREPARED (two-phase commit)", s, i);
  i = skip_work(s, i);
  if (s.word(i, "TO")) {
    std::size_t n = s.word(i + 1, "SAVEPOINT") ? i + 2 : i + 1;
    if (n + 1 != s.size() ||
        (s.tokens[n].kind != Token::Kind::kWord && s.tokens[n].kind != Token::Kind::kQuoted)) {
      return syntax_error(s, n);
    }
    if (!settings.in_transaction() || settings.in_implicit_block()) {
      return make_error(SqlState("25P01"),
                        "ROLLBACK TO SAVEPOINT can only be used in transaction blocks");
    }
    settings.on_savepoint_rollback();
    return Translation{
        run_instead("ROLLBACK TO SAVEPOINT " + std::string(s.tokens[n].text), "ROLLBACK")};
  }
  if (s.word(i, "AND") && s.word(i + 1, "CHAIN")) return not_supported("ROLLBACK AND CHAIN", s, i);
  if (s.word(i, "AND") && s.word(i + 1, "NO") && s.word(i + 2, "CHAIN")) i += 3;
  if (i != s.size()) return syntax_error(s, i);
  if (!settings.in_transaction()) {
    return Translation{command_done("ROLLBACK", "there is no transaction in progress")};
  }
  settings.on_transaction_end(false);
  return Translation{run_instead("ROLLBACK", "ROLLBACK")};
}

Result<Translation> savepoint(const Stmt& s, Settings& settings, bool release) {
  std::size_t n = release && s.word(1, "SAVEPOINT") ? 2 : 1;
  if (n + 1 != s.size() ||
      (s.tokens[n].kind != Token::Kind::kWord && s.tokens[n].kind != Token::Kind::kQuoted)) {
    return syntax_error(s, n);
  }
  if (!settings.in_transaction() || settings.in_implicit_block()) {
    return make_error(SqlState("25P01"), std::string(release ? "RELEASE SAVEPOINT" : "SAVEPOINT") +
                                             " can only be used in transaction blocks");
  }
  const std::string name(s.tokens[n].text);
  return Translation{release ? run_instead("RELEASE SAVEPOINT " + name, "RELEASE")
                             : run_instead("SAVEPOINT " + name, "SAVEPOINT")};
}

}  // namespace

std::optional<Result<Translation>> translate_transaction(const Stmt& s, Settings& settings) {
  if (s.word(0, "BEGIN")) return begin(s, settings, skip_work(s, 1));
  if (s.word(0, "START") && s.word(1, "TRANSACTION")) return begin(s, settings, 2);
  if (s.word(0, "COMMIT") || s.word(0, "END")) {
    if (s.word(1, "PREPARED"))
      return Result<Translation>(not_supported("COMMIT PREPARED (two-phase commit)", s, 1));
    return commit(s, settings, skip_work(s, 1));
  }
  if (s.word(0, "ROLLBACK") || s.word(0, "ABORT")) return rollback(s, settings, 1);
  if (s.word(0, "SAVEPOINT")) return savepoint(s, settings, false);
  if (s.word(0, "RELEASE")) return savepoint(s, settings, true);
  if (s.word(0, "PREPARE") && s.word(1, "TRANSACTION")) {
    return Result<Translation>(not_supported("PREPARE TRANSACTION (two-phase commit)", s, 0));
  }
  if (s.word(0, "SET") &&
      (s.word(1, "TRANSACTION") || (s.word(1, "SESSION") && s.word(2, "CHARACTERISTICS")))) {
    const bool as_default = !s.word(1, "TRANSACTION");
    std::size_t i = as_default ? 3 : 2;
    if (as_default && !(s.word(i, "AS") && s.word(i + 1, "TRANSACTION")))
      return Result<Translation>(syntax_error(s, i));
    if (as_default) i += 2;
    if (s.word(i, "SNAPSHOT"))
      return Result<Translation>(not_supported("SET TRANSACTION SNAPSHOT", s, i));
    auto end = apply_modes(s, i, settings, as_default);
    if (!end) return Result<Translation>(std::move(end).error());
    return Result<Translation>(Translation{command_done("SET")});
  }
  return std::nullopt;
}

}  // namespace dbvault::server::pgcompat::detail
