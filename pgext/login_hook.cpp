#include "pgext/login_hook.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "pgext/module.h"

// PostgreSQL last: its headers define macros (snprintf, ...) that break the C++ library;
// and postgres.h first among them.
// clang-format off
extern "C" {
#include "postgres.h"

#include "libpq/auth.h"
#include "libpq/hba.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "utils/guc.h"
}
// clang-format on

namespace dbvault::pgext {
namespace {

ClientAuthentication_hook_type g_prev_client_auth = nullptr;
// The login's pg_hba method, kept at authentication: the pg_hba line (port->hba) is freed
// with the postmaster's memory once the backend starts. hba_authname() returns a constant.
const char* g_auth_method = "";

void client_authentication(Port* port, int status) {
  if (g_prev_client_auth != nullptr) g_prev_client_auth(port, status);
  if (port->hba != nullptr) g_auth_method = hba_authname(port->hba->auth_method);
  if (status != STATUS_OK) return;  // PostgreSQL refuses the login itself
  SessionFacts facts;
  gather_facts(port, facts);
  if (open_at_login(facts)) return;
  const EdgeError& e = backend_state().error;
  if (strcmp(e.sqlstate, "42501") == 0) {  // a CONNECT command rule
    ereport(FATAL, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("%s", e.message)));
  }
}

}  // namespace

void gather_facts(const Port* port, SessionFacts& f) {
  f.user = port != nullptr && port->user_name != nullptr
               ? port->user_name
               : GetUserNameFromId(GetAuthenticatedUserId(), false);
  const char* app = port != nullptr ? port->application_name : nullptr;
  if (app == nullptr) app = application_name;
  f.program = app != nullptr ? app : "";
  snprintf(f.session_id, sizeof f.session_id, "pg-%d-%lld", MyProcPid,
           static_cast<long long>(MyStartTime));
  f.auth_method = g_auth_method;
  if (port == nullptr) return;
#ifdef USE_SSL
  f.tls = port->ssl_in_use;
#endif
  const auto* addr = reinterpret_cast<const sockaddr*>(&port->raddr.addr);
  if (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) {
    (void)getnameinfo(addr, port->raddr.salen, f.client_ip, sizeof f.client_ip, nullptr, 0,
                      NI_NUMERICHOST);
  }
}

void install_login_hook() {
  g_prev_client_auth = ClientAuthentication_hook;
  ClientAuthentication_hook = client_authentication;
}

}  // namespace dbvault::pgext
