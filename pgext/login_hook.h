// The login (ClientAuthentication_hook): once PostgreSQL has authenticated a connection, the
// backend opens its vault and logs its user in — the vault's CONNECT command rules run and a
// `login` event is recorded with application_name as program_name and the client address as
// client_ip. A CONNECT rule's refusal ends the connection (FATAL, 42501, the rule's MESSAGE).
// Any other failure to open leaves the backend failing closed (module.h, ensure_open).
#pragma once

#include <netdb.h>

struct Port;

namespace dbvault::pgext {

// The session's attributes, as plain C values gathered from PostgreSQL.
struct SessionFacts {
  const char* user = "";
  const char* program = "";
  const char* auth_method = "";
  char client_ip[NI_MAXHOST] = {};
  char session_id[64] = {};
  bool tls = false;
};

// Fills `f` for this backend: its authenticated role (port->user_name at login, else from
// the catalogs), application_name, the client's numeric address (empty on a Unix socket), the
// pg_hba method and TLS. `port` may be null (no client connection).
void gather_facts(const Port* port, SessionFacts& f);

// Chains the previous hook. Called once, from _PG_init.
void install_login_hook();

}  // namespace dbvault::pgext
