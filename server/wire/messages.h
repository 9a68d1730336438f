// Frontend (client → server) messages of the PostgreSQL protocol 3.0 as typed values, as the
// Decoder produces them (server/wire/decoder.h), and the parsers for the payload of a
// PasswordPacket ('p'), whose meaning depends on the authentication state the caller is in.
//
// Strings are raw bytes as the client sent them (no encoding check here: the caller validates
// UTF-8 where it matters); integers are host order. docs/protocol.md lists every message.
// Thread-safety: values only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/result.h"
#include "common/secret_string.h"

namespace dbvault::server::wire {

using Oid = std::uint32_t;

// Protocol version numbers as sent in StartupMessage: major << 16 | minor.
inline constexpr std::int32_t kProtocolV3 = 3 << 16;  // 196608, the only major we speak
inline constexpr int kNewestMinorVersion = 0;         // 3.0

// Format codes of Bind, RowDescription and COPY.
enum class Format : std::int16_t { kText = 0, kBinary = 1 };

// --- Messages of the startup phase (no type byte) ---
struct SslRequest {
  bool operator==(const SslRequest&) const = default;
};
struct GssEncRequest {
  bool operator==(const GssEncRequest&) const = default;
};
struct CancelRequest {
  std::int32_t process_id = 0;
  std::int32_t secret_key = 0;
  bool operator==(const CancelRequest&) const = default;
};
struct Startup {
  std::int32_t protocol_version = kProtocolV3;  // major is always 3 (else the decoder refused)
  std::vector<std::pair<std::string, std::string>> parameters;  // in the order sent
  bool operator==(const Startup&) const = default;

  // The value of parameter `key` (first occurrence), or nullopt.
  std::optional<std::string_view> parameter(std::string_view key) const;
  int minor_version() const { return protocol_version & 0xFFFF; }
  // Parameters named "_pq_.*" (protocol extensions), which this server does not know. With
  // minor_version() > kNewestMinorVersion, the caller answers NegotiateProtocolVersion with
  // these names (encoder.h); PostgreSQL does the same.
  std::vector<std::string> protocol_options() const;
};

// --- Messages of the normal phase (type byte first) ---
struct Query {  // 'Q'
  std::string sql;
  bool operator==(const Query&) const = default;
};
struct Parse {       // 'P'
  std::string name;  // "" = the unnamed statement
  std::string sql;
  std::vector<Oid> param_type_oids;  // 0 = unspecified
  bool operator==(const Parse&) const = default;
};
struct Bind {             // 'B'
  std::string portal;     // "" = the unnamed portal
  std::string statement;  // "" = the unnamed statement
  // 0 entries: all text; 1: applies to all; else one per parameter (the decoder checks this).
  std::vector<Format> param_formats;
  std::vector<std::optional<std::string>> params;  // nullopt = SQL NULL
  // The same 0 / 1 / one-per-column rule; only the caller knows the columns, so it checks
  // this count (PostgreSQL: 08P01 "bind message has N result formats but query has M columns").
  std::vector<Format> result_formats;
  bool operator==(const Bind&) const = default;

  // The format of parameter `i`. REQUIRES: i < params.size().
  Format param_format(std::size_t i) const;
};
struct Describe {   // 'D'
  char kind = 'S';  // 'S' statement, 'P' portal (the decoder refuses anything else)
  std::string name;
  bool operator==(const Describe&) const = default;
};
struct Execute {  // 'E'
  std::string portal;
  std::int32_t max_rows = 0;  // <= 0 = no limit
  bool operator==(const Execute&) const = default;
};
struct Sync {  // 'S'
  bool operator==(const Sync&) const = default;
};
struct Flush {  // 'H'
  bool operator==(const Flush&) const = default;
};
struct Close {      // 'C'
  char kind = 'S';  // 'S' or 'P'
  std::string name;
  bool operator==(const Close&) const = default;
};
struct Terminate {  // 'X'
  bool operator==(const Terminate&) const = default;
};
struct CopyData {  // 'd'
  std::string bytes;
  bool operator==(const CopyData&) const = default;
};
struct CopyDone {  // 'c'
  bool operator==(const CopyDone&) const = default;
};
struct CopyFail {  // 'f'
  std::string message;
  bool operator==(const CopyFail&) const = default;
};
// 'p': PasswordMessage, SASLInitialResponse or SASLResponse; parse the payload with one of
// the parse_* functions below, according to the authentication request the server sent.
struct PasswordPacket {
  SecretString payload;  // may be a password: wiped when the message is destroyed
  PasswordPacket() = default;
  explicit PasswordPacket(SecretString p) : payload(std::move(p)) {}
  // Messages are values (tests compare and copy them); the copy is an explicit clone.
  PasswordPacket(const PasswordPacket& o) : payload(o.payload.clone()) {}
  PasswordPacket& operator=(const PasswordPacket& o) {
    payload = o.payload.clone();
    return *this;
  }
  PasswordPacket(PasswordPacket&&) noexcept = default;
  PasswordPacket& operator=(PasswordPacket&&) noexcept = default;
  bool operator==(const PasswordPacket&) const = default;
};
// 'F': decoded (and checked) only so that it can be refused cleanly with 0A000.
struct FunctionCall {
  Oid function_oid = 0;
  bool operator==(const FunctionCall&) const = default;
};

using FrontendMessage = std::variant<SslRequest, GssEncRequest, CancelRequest, Startup, Query,
                                     Parse, Bind, Describe, Execute, Sync, Flush, Close, Terminate,
                                     CopyData, CopyDone, CopyFail, PasswordPacket, FunctionCall>;

// A short name for logs and errors ("Bind", "SSLRequest", ...).
std::string_view message_name(const FrontendMessage& m);

// --- Payloads of 'p' ---
struct SaslInitialResponse {
  std::string mechanism;                   // e.g. "SCRAM-SHA-256"
  std::optional<std::string> client_data;  // nullopt when the client sent length -1
};
// Payload of SASLInitialResponse. 08P01 if malformed (missing NUL, bad length, trailing bytes).
Result<SaslInitialResponse> parse_sasl_initial(std::string_view payload);
// Payload of SASLResponse: the bytes as they are (never fails; kept for symmetry).
Result<std::string> parse_sasl_response(std::string_view payload);
// Payload of PasswordMessage: a NUL-terminated string with nothing after it. 08P01 otherwise.
Result<SecretString> parse_password(std::string_view payload);

}  // namespace dbvault::server::wire
