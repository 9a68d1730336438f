#include "server/session/client_connection.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "server/pgcompat/pgcompat.h"
#include "server/session/authenticate.h"
#include "server/session/connection_io.h"
#include "server/session/query_loop.h"

namespace dbvault::server::session {
namespace {

constexpr std::chrono::milliseconds kStartupTimeout{60'000};

Error fatal_code(SqlState code, std::string message) {
  return make_error(code, std::move(message));
}

// Reads startup-phase packets until a StartupMessage; handles SSL/GSSENC/cancel on the way.
// nullopt: the connection is done (cancel request, closed, or an error already queued).
std::optional<wire::Startup> read_startup(ServerContext& ctx, ConnectionIo& io) {
  for (;;) {
    auto next = io.next(kStartupTimeout);
    if (next.event == ConnectionIo::Event::kError) {
      io.error(*next.error, "FATAL");
      return std::nullopt;
    }
    if (next.event != ConnectionIo::Event::kMessage) return std::nullopt;
    auto& m = *next.message;
    if (std::holds_alternative<wire::SslRequest>(m)) {
      if (io.stream().tls()) {
        io.error(fatal_code(sqlstate::kProtocolViolation, "duplicate SSL request"), "FATAL");
        return std::nullopt;
      }
      const auto tls = ctx.tls != nullptr ? ctx.tls->current() : nullptr;
      wire::append_ssl_answer(io.out(), tls != nullptr);
      if (!io.flush()) return std::nullopt;
      if (tls != nullptr) {
        if (auto s = io.stream().start_tls(tls); !s) {
          spdlog::info("TLS handshake refused: {}", s.error().message);
          return std::nullopt;
        }
      }
    } else if (std::holds_alternative<wire::GssEncRequest>(m)) {
      wire::append_gssenc_answer(io.out());
      if (!io.flush()) return std::nullopt;
    } else if (auto* cancel = std::get_if<wire::CancelRequest>(&m)) {
      ctx.registry.cancel(cancel->process_id, cancel->secret_key);
      return std::nullopt;
    } else if (auto* startup = std::get_if<wire::Startup>(&m)) {
      return std::move(*startup);
    } else {
      io.error(fatal_code(sqlstate::kProtocolViolation, "unexpected message during startup"),
               "FATAL");
      return std::nullopt;
    }
  }
}

// Everything from the StartupMessage to ReadyForQuery; then the query loop.
void run_session(ServerContext& ctx, ConnectionIo& io, const net::Peer& peer,
                 const wire::Startup& startup) {
  if (startup.minor_version() > wire::kNewestMinorVersion || !startup.protocol_options().empty()) {
    const auto options = startup.protocol_options();
    wire::append_negotiate_protocol_version(io.out(), wire::kNewestMinorVersion, options);
  }
  if (ctx.config().require_tls && !io.stream().tls()) {
    io.error(
        fatal_code(sqlstate::kInvalidAuthorization,
                   "this server requires TLS (require_tls = on): connect with sslmode=require"),
        "FATAL");
    return;
  }
  const auto user_param = startup.parameter("user");
  if (!user_param || user_param->empty()) {
    io.error(fatal_code(sqlstate::kInvalidAuthorization,
                        "no PostgreSQL user name specified in startup packet"),
             "FATAL");
    return;
  }
  const std::string user(*user_param);
  std::string auth_method;
  if (auto s = authenticate(ctx, io, user, peer.address, auth_method); !s) {
    io.error(s.error(), "FATAL");
    return;
  }
  const std::uint64_t session_id = ctx.next_session_id.fetch_add(1);
  vault::SessionInfo info;
  info.session_id = std::to_string(session_id);
  info.program_name = std::string(startup.parameter("application_name").value_or(""));
  info.client_ip = peer.address;
  info.auth_method = auth_method;
  info.tls = io.stream().tls();
  auto vsession = ctx.services.vault->login(user, std::move(info));
  if (!vsession) {
    io.error(vsession.error(), "FATAL");
    return;
  }
  QueryLoop loop(ctx, io, std::move(*vsession), session_id);
  if (auto s = loop.start(startup); !s) {
    io.error(s.error(), "FATAL");
    return;
  }
  loop.run();
}

}  // namespace

void serve_connection(ServerContext& ctx, int fd, const net::Peer& peer) {
  net::Stream stream(fd);
  wire::DecoderOptions options;
  options.max_message_size = ctx.config().max_message_bytes;
  ConnectionIo io(stream, options);
  if (auto startup = read_startup(ctx, io)) run_session(ctx, io, peer, *startup);
  io.flush();
}

}  // namespace dbvault::server::session
