// Keys, tablespaces, encrypted and masked columns, backup and restore.
#include <cctype>

#include "grammar/build.h"
#include "grammar/utf8.h"

namespace dbvault::grammar::build {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

}  // namespace

Result<ast::Cipher> cipher(P::StringContext* c) {
  const std::string name = text(c);
  for (std::string_view gcm : {"AES256", "AES256-GCM", "AES-256-GCM"}) {
    if (iequals(name, gcm)) return ast::Cipher::kAes256Gcm;
  }
  for (std::string_view chacha : {"CHACHA20", "CHACHA20-POLY1305"}) {
    if (iequals(name, chacha)) return ast::Cipher::kChaCha20Poly1305;
  }
  return error_at(sqlstate::kInvalidParameterValue,
                  "unsupported cipher '" + name +
                      "' (supported: 'AES256' = 'AES256-GCM', 'CHACHA20' = 'CHACHA20-POLY1305')",
                  c);
}

namespace {

bool is_constraint_word(const antlr4::Token* t) {
  for (std::string_view w : {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}) {
    if (iequals(t->getText(), w)) return true;
  }
  return false;
}

bool is_name_token(const antlr4::Token* t) {
  if (t->getType() == P::QUOTED_IDENT) return true;
  const std::string s = t->getText();
  return !s.empty() && (std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_' ||
                        static_cast<unsigned char>(s[0]) >= 0x80);
}

// Cuts [first, last] (and the whitespace before it) out of the CREATE TABLE text.
class Cutter {
 public:
  explicit Cutter(P::CreateTableContext* c)
      : base_(c->getStart()->getStartIndex()),
        source_(c->getStart()->getInputStream()->getText(
            antlr4::misc::Interval(c->getStart()->getStartIndex(), c->getStop()->getStopIndex()))),
        offsets_(code_point_offsets(source_)) {}

  void cut(const antlr4::Token* first, const antlr4::Token* last) {
    std::size_t a = offsets_[first->getStartIndex() - base_];
    const std::size_t b = offsets_[last->getStopIndex() + 1 - base_];
    while (a > 0 && std::isspace(static_cast<unsigned char>(source_[a - 1]))) --a;
    cuts_.emplace_back(a, b);
  }
  const std::string& source() const { return source_; }
  std::string remainder() const {
    std::string out;
    std::size_t at = 0;
    for (const auto& [a, b] : cuts_) {
      out.append(source_, at, a - at);
      at = b;
    }
    out.append(source_, at, std::string::npos);
    return out;
  }

 private:
  std::size_t base_;
  std::string source_;
  std::vector<std::size_t> offsets_;
  std::vector<std::pair<std::size_t, std::size_t>> cuts_;  // in text order
};

// The `(TYPE = RANDOMIZED | DETERMINISTIC)` after `ENCRYPTED WITH` in a column definition,
// at parts[at]: true for DETERMINISTIC. 42601 for anything else (no other option yet).
Result<bool> encryption_type(const std::vector<P::ElementPartContext*>& parts, std::size_t at) {
  const auto bad = [] {
    return make_error(sqlstate::kSyntaxError,
                      "a column's ENCRYPTED WITH (TYPE = RANDOMIZED | DETERMINISTIC) expected");
  };
  if (at >= parts.size() || parts[at]->LPAREN() == nullptr) return bad();
  const auto inner = parts[at]->balanced();
  if (inner.size() != 3 || !iequals(inner[0]->getText(), "TYPE") || inner[1]->getText() != "=") {
    return bad();
  }
  if (iequals(inner[2]->getText(), "DETERMINISTIC")) return true;
  if (iequals(inner[2]->getText(), "RANDOMIZED")) return false;
  return bad();
}

Result<ast::Statement> create_table(P::CreateTableContext* c) {
  Cutter cutter(c);
  ast::CreateTable t{object_name(c->objectName()),
                     {},
                     {},
                     std::nullopt,
                     "",
                     cutter.source(),
                     c->TEMP() != nullptr || c->TEMPORARY() != nullptr,
                     {}};
  for (auto* element : c->tableElement()) {
    const auto parts = element->elementPart();
    const antlr4::Token* first = parts[0]->getStart();
    if (parts[0]->LPAREN() != nullptr || !is_name_token(first) || is_constraint_word(first)) {
      continue;  // a table constraint: the engine's business
    }
    t.columns.push_back(token_name(first));
    bool encrypted = false;
    bool deterministic = false;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const antlr4::Token* tok = parts[i]->getStart();
      if (parts[i]->LPAREN() != nullptr || tok->getType() != P::ENCRYPTED) continue;
      if (std::exchange(encrypted, true)) {
        return error_at(sqlstate::kSyntaxError,
                        "ENCRYPTED given twice for column \"" + t.columns.back() + "\"", parts[i]);
      }
      const antlr4::Token* last = tok;
      if (i + 1 < parts.size() && parts[i + 1]->LPAREN() == nullptr &&
          parts[i + 1]->getStart()->getType() == P::WITH) {
        auto type = encryption_type(parts, i + 2);
        if (!type) return error_at(type.error().code, type.error().message, parts[i + 1]);
        deterministic = *type;
        last = parts[i + 2]->getStop();
        i += 2;
      }
      cutter.cut(tok, last);
    }
    if (encrypted) t.encrypted_columns.push_back(t.columns.back());
    if (deterministic) t.deterministic_columns.push_back(t.columns.back());
  }
  for (auto* tail : c->tableTail()) {
    if (tail->TABLESPACE() == nullptr) continue;
    if (t.tablespace) {
      return error_at(sqlstate::kSyntaxError,
                      "conflicting or redundant options: TABLESPACE given twice", tail);
    }
    t.tablespace = name(tail->identifier());
    cutter.cut(tail->getStart(), tail->getStop());
  }
  t.engine_sql = cutter.remainder();
  return ast::Statement{std::move(t)};
}

// ALG = '...' must suit the encryption type: AES-256-SIV for DETERMINISTIC (equality stays
// searchable), an AEAD cipher for RANDOMIZED. Returns the canonical name.
Result<std::string> column_algorithm(P::EncryptionParamContext* p,
                                     ast::SetColumnEncryption::Type type) {
  const std::string alg = text(p->string());
  if (type == ast::SetColumnEncryption::Type::kDeterministic) {
    for (std::string_view siv : {"AES256-SIV", "AES-256-SIV"}) {
      if (iequals(alg, siv)) return std::string("AES256-SIV");
    }
    return error_at(
        sqlstate::kInvalidParameterValue,
        "unsupported algorithm '" + alg + "' for DETERMINISTIC (supported: 'AES256-SIV')",
        p->string());
  }
  auto c = cipher(p->string());
  if (!c) return std::move(c).error();
  return std::string(*c == ast::Cipher::kAes256Gcm ? "AES256-GCM" : "CHACHA20-POLY1305");
}

Result<ast::Statement> column_encryption(P::AlterTableContext* t,
                                         P::SetColumnEncryptionContext* c) {
  ast::SetColumnEncryption e{object_name(t->objectName()), name(t->identifier()),
                             ast::SetColumnEncryption::Type::kRandomized, "", std::nullopt};
  P::EncryptionParamContext* alg = nullptr;
  bool seen_type = false, seen_key = false, seen_alg = false;
  for (auto* p : c->encryptionParam()) {
    bool& seen = p->TYPE() ? seen_type : p->KEY_ID() ? seen_key : seen_alg;
    if (std::exchange(seen, true)) {
      return error_at(
          sqlstate::kSyntaxError,
          "conflicting or redundant options: " + p->getStart()->getText() + " given twice", p);
    }
    if (p->TYPE()) {
      e.type = p->DETERMINISTIC() ? ast::SetColumnEncryption::Type::kDeterministic
                                  : ast::SetColumnEncryption::Type::kRandomized;
    } else if (p->KEY_ID()) {
      e.key_id = text(p->string());
    } else {
      alg = p;
    }
  }
  if (!seen_type || !seen_key) {
    Error err = make_error(sqlstate::kSyntaxError, "SET ENCRYPTED WITH needs both TYPE and KEY_ID");
    err.position = position(c->ENCRYPTED()->getSymbol());
    return err;
  }
  if (alg != nullptr) {
    auto canonical = column_algorithm(alg, e.type);
    if (!canonical) return std::move(canonical).error();
    e.algorithm = *canonical;
  }
  return ast::Statement{std::move(e)};
}

std::optional<std::string> for_role(P::ForRoleContext* c) {
  if (c == nullptr) return std::nullopt;
  return name(c->identifier());
}

ast::MaskingMode masking_mode(P::MaskingModeContext* c) {
  if (c->FULL()) return ast::MaskingMode::kFull;
  if (c->PARTIAL()) return ast::MaskingMode::kPartial;
  if (c->HASH()) return ast::MaskingMode::kHash;
  return ast::MaskingMode::kNull;
}

Result<ast::Statement> alter_table(P::AlterTableContext* c) {
  if (c->ROTATE() != nullptr)
    return ast::Statement{ast::RotateTableKey{object_name(c->objectName())}};
  auto* action = c->columnAction();
  if (auto* e = dynamic_cast<P::SetColumnEncryptionContext*>(action))
    return column_encryption(c, e);
  if (auto* m = dynamic_cast<P::SetColumnMaskingContext*>(action)) {
    return ast::Statement{ast::SetColumnMasking{object_name(c->objectName()), name(c->identifier()),
                                                masking_mode(m->maskingMode()),
                                                for_role(m->forRole())}};
  }
  auto* d = dynamic_cast<P::DropColumnMaskingContext*>(action);
  return ast::Statement{ast::DropColumnMasking{object_name(c->objectName()), name(c->identifier()),
                                               for_role(d->forRole())}};
}

ast::KeyProviderKind provider(P::CreateMasterKeyContext* c) {
  if (c->HSM()) return ast::KeyProviderKind::kHsm;
  if (c->KMS()) return ast::KeyProviderKind::kKms;
  if (c->FILE()) return ast::KeyProviderKind::kFile;
  return ast::KeyProviderKind::kEnv;
}

}  // namespace

std::optional<Result<ast::Statement>> storage_statement(P::StatementContext* c) {
  if (auto* s = c->createMasterKey()) {
    return ast::Statement{ast::CreateMasterKey{provider(s), text(s->string())}};
  }
  if (auto* s = c->createTablespace()) {
    auto strings = s->string();
    auto ci = cipher(strings[0]);
    if (!ci) return std::move(ci).error();
    ast::CreateTablespace t{name(s->identifier()), *ci, std::nullopt};
    if (strings.size() > 1) t.key_id = text(strings[1]);
    return ast::Statement{std::move(t)};
  }
  if (auto* s = c->alterTablespace()) {
    if (s->ROTATE() != nullptr)
      return ast::Statement{ast::RotateTablespaceKey{name(s->identifier())}};
    auto ci = cipher(s->string());
    if (!ci) return std::move(ci).error();
    return ast::Statement{ast::EnableTablespaceEncryption{name(s->identifier()), *ci}};
  }
  if (auto* s = c->dropTablespace()) {
    return ast::Statement{ast::DropTablespace{name(s->identifier()), s->ifExists() != nullptr}};
  }
  if (auto* s = c->createTable()) return create_table(s);
  if (auto* s = c->alterTable()) return alter_table(s);
  if (auto* s = c->backupDatabase()) {
    return ast::Statement{ast::BackupDatabase{text(s->string(0)), text(s->string(1))}};
  }
  if (auto* s = c->restoreDatabase()) {
    return ast::Statement{
        ast::RestoreDatabase{text(s->string(0)), text(s->string(1)), secret(s->string(2))}};
  }
  return std::nullopt;
}

}  // namespace dbvault::grammar::build
