#include "server/session/authenticate.h"

#include <algorithm>
#include <chrono>

#include "audit/event.h"
#include "server/wire/scram.h"

namespace dbvault::server::session {
namespace {

constexpr std::chrono::seconds kAuthenticationTimeout{60};  // PostgreSQL's default

Error auth_failed(const std::string& user) {
  return make_error(sqlstate::kInvalidPassword,
                    "password authentication failed for user \"" + user + "\"");
}

void audit_failure(ServerContext& ctx, const std::string& user, const std::string& client_ip,
                   std::string_view method, std::string_view reason) {
  audit::Event e;
  e.type = audit::EventType::kLoginFailed;
  e.user = user;
  e.ip_address = client_ip;
  e.result = audit::Outcome::kFailure;
  e.detail["auth_method"] = std::string(method);
  e.detail["reason"] = std::string(reason);
  (void)ctx.services.audit->append(std::move(e));
}

// Reads the client's next 'p' message payload.
Result<std::string> read_password_packet(ConnectionIo& io) {
  auto next =
      io.next(std::chrono::duration_cast<std::chrono::milliseconds>(kAuthenticationTimeout));
  if (next.event == ConnectionIo::Event::kError) return std::move(*next.error);
  if (next.event != ConnectionIo::Event::kMessage) {
    return make_error(sqlstate::kProtocolViolation, "authentication ended before it completed");
  }
  auto* p = std::get_if<wire::PasswordPacket>(&*next.message);
  if (p == nullptr) {
    return make_error(
        sqlstate::kProtocolViolation,
        "expected a SASL response, got " + std::string(wire::message_name(*next.message)));
  }
  // SCRAM messages carry nonces and proofs, never the password itself.
  return std::string(p->payload.reveal());
}

Status scram_exchange(ServerContext& ctx, ConnectionIo& io, const std::string& user,
                      bool& user_known) {
  auto stored = ctx.services.vault->scram_verifier(user);
  user_known = stored.has_value() && !stored->empty();
  std::string verifier;
  if (user_known) {
    verifier = *stored;
  } else {
    auto mock = wire::mock_scram_verifier(user, ctx.mock_verifier_secret);
    if (!mock) return std::move(mock).error();
    verifier = std::move(*mock);
  }
  wire::ScramOptions options;
  options.doomed = !user_known;
  const auto* tls = io.stream().tls_context();
  if (io.stream().tls() && tls != nullptr && !tls->end_point_hash.empty()) {
    options.channel_binding =
        std::vector<std::uint8_t>(tls->end_point_hash.begin(), tls->end_point_hash.end());
  }
  const bool plus = options.channel_binding.has_value();
  auto server = wire::ScramServer::create(verifier, std::move(options));
  if (!server) return std::move(server).error();
  const auto mechanisms = wire::ScramServer::mechanisms(plus);
  wire::append_authentication_sasl(io.out(), mechanisms);
  if (!io.flush()) return make_error(sqlstate::kProtocolViolation, "connection lost");

  auto initial_payload = read_password_packet(io);
  if (!initial_payload) return std::move(initial_payload).error();
  auto initial = wire::parse_sasl_initial(*initial_payload);
  if (!initial) return std::move(initial).error();
  if (!initial->client_data) {
    return make_error(sqlstate::kProtocolViolation, "SASLInitialResponse without data");
  }
  auto first = server->handle_client_first(initial->mechanism, *initial->client_data);
  if (!first) return std::move(first).error();
  wire::append_authentication_sasl_continue(io.out(), *first);
  if (!io.flush()) return make_error(sqlstate::kProtocolViolation, "connection lost");

  auto response = read_password_packet(io);
  if (!response) return std::move(response).error();
  auto final_message = server->handle_client_final(*response);
  if (!final_message) return std::move(final_message).error();
  wire::append_authentication_sasl_final(io.out(), *final_message);
  return ok_status();
}

}  // namespace

Status authenticate(ServerContext& ctx, ConnectionIo& io, const std::string& user,
                    const std::string& client_ip, std::string& auth_method) {
  const auto& cert_users = ctx.config().cert_users;
  if (std::find(cert_users.begin(), cert_users.end(), user) != cert_users.end()) {
    auth_method = "cert";
    const auto cn = io.stream().verified_peer_cn();
    if (cn && *cn == user && ctx.services.vault->scram_verifier(user).has_value()) {
      return ok_status();
    }
    audit_failure(ctx, user, client_ip, auth_method, "no valid client certificate for the user");
    return make_error(sqlstate::kInvalidAuthorization,
                      "certificate authentication failed for user \"" + user + "\"");
  }
  auth_method = io.stream().tls() ? "scram-sha-256 (tls)" : "scram-sha-256";
  bool user_known = false;
  auto s = scram_exchange(ctx, io, user, user_known);
  if (s) return s;
  const bool protocol = s.error().code == sqlstate::kProtocolViolation;
  audit_failure(ctx, user, client_ip, auth_method,
                protocol ? "protocol violation during authentication"
                         : (user_known ? "wrong password" : "unknown user"));
  if (protocol) return s;
  return auth_failed(user);
}

}  // namespace dbvault::server::session
