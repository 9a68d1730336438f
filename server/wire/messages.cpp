#include "server/wire/messages.h"

#include "server/wire/frontend_parse.h"
#include "server/wire/wire_bytes.h"

namespace dbvault::server::wire {

std::optional<std::string_view> Startup::parameter(std::string_view key) const {
  for (const auto& [k, v] : parameters) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string> Startup::protocol_options() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : parameters) {
    if (k.starts_with("_pq_.")) out.push_back(k);
  }
  return out;
}

Format Bind::param_format(std::size_t i) const {
  if (param_formats.empty()) return Format::kText;
  if (param_formats.size() == 1) return param_formats[0];
  return param_formats[i];
}

namespace {
struct NameOf {
  std::string_view operator()(const SslRequest&) const { return "SSLRequest"; }
  std::string_view operator()(const GssEncRequest&) const { return "GSSENCRequest"; }
  std::string_view operator()(const CancelRequest&) const { return "CancelRequest"; }
  std::string_view operator()(const Startup&) const { return "StartupMessage"; }
  std::string_view operator()(const Query&) const { return "Query"; }
  std::string_view operator()(const Parse&) const { return "Parse"; }
  std::string_view operator()(const Bind&) const { return "Bind"; }
  std::string_view operator()(const Describe&) const { return "Describe"; }
  std::string_view operator()(const Execute&) const { return "Execute"; }
  std::string_view operator()(const Sync&) const { return "Sync"; }
  std::string_view operator()(const Flush&) const { return "Flush"; }
  std::string_view operator()(const Close&) const { return "Close"; }
  std::string_view operator()(const Terminate&) const { return "Terminate"; }
  std::string_view operator()(const CopyData&) const { return "CopyData"; }
  std::string_view operator()(const CopyDone&) const { return "CopyDone"; }
  std::string_view operator()(const CopyFail&) const { return "CopyFail"; }
  std::string_view operator()(const PasswordPacket&) const { return "PasswordMessage"; }
  std::string_view operator()(const FunctionCall&) const { return "FunctionCall"; }
};
}  // namespace

std::string_view message_name(const FrontendMessage& m) { return std::visit(NameOf{}, m); }

Result<SaslInitialResponse> parse_sasl_initial(std::string_view payload) {
  internal::ByteReader in(payload);
  auto mechanism = in.cstring();
  if (!mechanism) return internal::malformed("SASLInitialResponse", "missing string terminator");
  auto len = in.i32();
  if (!len) return internal::malformed("SASLInitialResponse", "message too short");
  SaslInitialResponse r{std::string(*mechanism), std::nullopt};
  if (*len < -1) return internal::malformed("SASLInitialResponse", "negative data length");
  if (*len >= 0) {
    auto data = in.bytes(static_cast<std::size_t>(*len));
    if (!data) return internal::malformed("SASLInitialResponse", "data overruns the message");
    r.client_data = std::string(*data);
  }
  if (!in.at_end())
    return internal::malformed("SASLInitialResponse", "unexpected bytes at the end");
  return r;
}

Result<std::string> parse_sasl_response(std::string_view payload) { return std::string(payload); }

Result<SecretString> parse_password(std::string_view payload) {
  const auto nul = payload.find('\0');
  if (nul == std::string_view::npos) {
    return internal::malformed("PasswordMessage", "missing string terminator");
  }
  if (nul + 1 != payload.size()) {
    return internal::malformed("PasswordMessage", "unexpected bytes at the end");
  }
  return SecretString(payload.substr(0, nul));
}

}  // namespace dbvault::server::wire
