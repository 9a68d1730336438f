// CREATE TABLESPACE, DROP TABLESPACE, ALTER TABLESPACE / ALTER TABLE ... ROTATE ENCRYPTION KEY
// (docs/encryption.md §9, §10, docs/sql-reference.md §9.3, §9.4, §9.8). The vault decides who may
// (VAULT_ADMIN: the tablespace is a cryptographic boundary of the realms, so the people who draw
// realms draw it, not the DBA who fills it) and records the change; the host's storage
// (TablespaceHost, the server's engine and key store) makes the file and the key.
#include "vault/vault_impl.h"

namespace dbvault::vault {
namespace {

audit::Event tablespace_event(const VaultImpl& v, const Session& s, std::string_view statement,
                              std::string_view name) {
  audit::Event e = v.event(audit::EventType::kPolicyChanged, s);
  e.detail["statement"] = std::string(statement);
  e.detail["tablespace"] = std::string(name);
  return e;
}

// Runs the host's part after its durable record; a failure is recorded too (best effort: the
// statement's error is what the caller sees either way).
Result<StatementResult> run_hosted(VaultImpl& v, audit::Event e, const std::string& tag,
                                   const std::function<Status()>& act) {
  DBV_RETURN_IF_ERROR(v.audit(e, true));
  Status done = act();
  if (!done) {
    e.result = audit::Outcome::kFailure;
    e.detail["error"] = std::string(done.error().code.code());
    (void)v.audit(e, true);
    return std::move(done).error();
  }
  return tag_only(tag);
}

audit::Event table_event(const VaultImpl& v, const Session& s, std::string_view statement,
                         std::string_view table) {
  audit::Event e = v.event(audit::EventType::kPolicyChanged, s);
  e.detail["statement"] = std::string(statement);
  e.detail["table"] = std::string(table);
  e.detail["phase"] = "requested";
  return e;
}

const char* cipher_name(ast::Cipher c) {
  return c == ast::Cipher::kAes256Gcm ? "AES-256-GCM" : "CHACHA20-POLY1305";
}

Result<TablespaceHost*> host_of(VaultImpl& v, std::string_view statement) {
  TablespaceHost* host = v.tablespace_host.load();
  if (host == nullptr) {
    return make_error(sqlstate::kFeatureNotSupported,
                      std::string(statement) + " needs the host's storage, and none is attached");
  }
  return host;
}

}  // namespace

Status TablespaceHost::rotate_tablespace_key(std::string_view) {
  return make_error(sqlstate::kFeatureNotSupported, "this host cannot rotate tablespace keys");
}

Status TablespaceHost::change_tablespace_cipher(std::string_view, ast::Cipher) {
  return make_error(sqlstate::kFeatureNotSupported, "this host cannot change tablespace ciphers");
}

Status TablespaceHost::rotate_table_key(const ast::ObjectName&) {
  return make_error(sqlstate::kFeatureNotSupported, "this host cannot rotate table keys");
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::CreateTablespace& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "CREATE TABLESPACE"));
  auto host = host_of(*this, "CREATE TABLESPACE");
  if (!host) return std::move(host).error();
  audit::Event e = tablespace_event(*this, s, "CREATE TABLESPACE", st.name);
  e.detail["algorithm"] = cipher_name(st.cipher);
  return run_hosted(*this, std::move(e), "CREATE TABLESPACE",
                    [&] { return (*host)->create_tablespace(st); });
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::DropTablespace& st) {
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, "DROP TABLESPACE"));
  auto host = host_of(*this, "DROP TABLESPACE");
  if (!host) return std::move(host).error();
  if (st.if_exists && !(*host)->tablespace_exists(st.name)) return tag_only("DROP TABLESPACE");
  return run_hosted(*this, tablespace_event(*this, s, "DROP TABLESPACE", st.name),
                    "DROP TABLESPACE", [&] { return (*host)->drop_tablespace(st); });
}

// The rotation is a change of the key that protects the realms' data: the people who draw
// realms and tablespaces do it. Recorded (phase "requested") before the key is touched; the
// host records its completion.
Result<StatementResult> VaultImpl::run(Session& s, const ast::RotateTablespaceKey& st) {
  constexpr const char* kStatement = "ALTER TABLESPACE ROTATE ENCRYPTION KEY";
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, kStatement));
  auto host = host_of(*this, kStatement);
  if (!host) return std::move(host).error();
  audit::Event e = tablespace_event(*this, s, kStatement, st.name);
  e.detail["phase"] = "requested";
  return run_hosted(*this, std::move(e), "ALTER TABLESPACE",
                    [&] { return (*host)->rotate_tablespace_key(st.name); });
}

Result<StatementResult> VaultImpl::run(Session& s, const ast::RotateTableKey& st) {
  constexpr const char* kStatement = "ALTER TABLE ROTATE ENCRYPTION KEY";
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, kStatement));
  auto host = host_of(*this, kStatement);
  if (!host) return std::move(host).error();
  const std::string table =
      st.table.schema.empty() ? st.table.name : st.table.schema + "." + st.table.name;
  audit::Event e = table_event(*this, s, kStatement, table);
  return run_hosted(*this, std::move(e), "ALTER TABLE",
                    [&] { return (*host)->rotate_table_key(st.table); });
}

// Every tablespace is created encrypted, so the statement means a change of cipher: a key
// rotation whose new version has the other algorithm (docs/encryption.md §12.5). The same
// people as a rotation; recorded before the key is touched, the host records the completion.
Result<StatementResult> VaultImpl::run(Session& s, const ast::EnableTablespaceEncryption& st) {
  constexpr const char* kStatement = "ALTER TABLESPACE ENABLE ENCRYPTION";
  DBV_RETURN_IF_ERROR(require_role(s, kRoleVaultAdmin, kStatement));
  auto host = host_of(*this, kStatement);
  if (!host) return std::move(host).error();
  audit::Event e = tablespace_event(*this, s, kStatement, st.name);
  e.detail["phase"] = "requested";
  e.detail["algorithm"] = cipher_name(st.cipher);
  return run_hosted(*this, std::move(e), "ALTER TABLESPACE",
                    [&] { return (*host)->change_tablespace_cipher(st.name, st.cipher); });
}

}  // namespace dbvault::vault
