// libFuzzer target for the wire codec (server/wire). The first input byte picks the decoder's
// phase and message limit (64 bytes, the authentication limit or 64 MiB); the rest is the client's
// byte stream. Besides "no crash, no sanitizer report", it checks the decoder's contracts:
//   - the stream fed whole and fed in pieces (cut where the second byte says) decodes to the
//     same messages and the same error (after an SSLRequest, to a common prefix: see below);
//   - after an error the decoder stays failed and holds no bytes;
//   - buffered() never exceeds what was fed.
// Every decoded message goes further: 'p' payloads to the SASL/password parsers and a SCRAM
// exchange, Bind parameters to decode_param for every type and format, and the values it
// returns back through encode_text/encode_binary. Run: docs/protocol.md §Fuzzing.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/wire/decoder.h"
#include "server/wire/pg_types.h"
#include "server/wire/scram.h"

namespace {

using namespace dbvault;
using namespace dbvault::server::wire;

constexpr Oid kTypes[] = {oid::kUnspecified, oid::kBool,        oid::kBytea,   oid::kChar,
                          oid::kName,        oid::kInt8,        oid::kInt2,    oid::kInt4,
                          oid::kText,        oid::kOid,         oid::kFloat4,  oid::kFloat8,
                          oid::kUnknown,     oid::kBpchar,      oid::kVarchar, oid::kDate,
                          oid::kTimestamp,   oid::kTimestamptz, oid::kNumeric, 1186};

// RFC 7677's verifier (password "pencil").
constexpr std::string_view kVerifier =
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

void exercise_values(const std::optional<std::string>& bytes) {
  for (Oid type : kTypes) {
    for (Format format : {Format::kText, Format::kBinary}) {
      auto value = decode_param(type, format, bytes);
      if (!value.ok()) {
        if (value.error().message.empty()) std::abort();
        continue;
      }
      (void)encode_text(type, *value);
      (void)encode_binary(type, *value);
      // A value decoded from text must read back in the same type's text form.
      if (format == Format::kText && bytes && !encode_text(type, *value).ok()) std::abort();
    }
  }
}

void exercise_password_packet(std::string_view payload) {
  (void)parse_password(payload);
  (void)parse_sasl_response(payload);
  auto initial = parse_sasl_initial(payload);
  if (!initial.ok() || !initial->client_data) return;
  ScramOptions options;
  if (!payload.empty() && (payload.back() & 1))
    options.channel_binding = std::vector<std::uint8_t>(32, 7);
  auto server = ScramServer::create(kVerifier, std::move(options));
  if (!server.ok()) std::abort();
  auto first = server->handle_client_first(initial->mechanism, *initial->client_data);
  if (!first.ok()) return;
  // The client data once more as a client-final-message.
  (void)server->handle_client_final(*initial->client_data);
  if (server->authenticated()) std::abort();  // nobody knows the proof from the input
}

void exercise(const FrontendMessage& m) {
  if (const auto* p = std::get_if<PasswordPacket>(&m)) {
    exercise_password_packet(p->payload.reveal());
  } else if (const auto* b = std::get_if<Bind>(&m)) {
    for (const auto& param : b->params) exercise_values(param);
  } else if (const auto* c = std::get_if<CopyData>(&m)) {
    exercise_values(c->bytes);
  }
}

struct Outcome {
  std::vector<FrontendMessage> messages;
  std::optional<Error> error;
};

// Decodes `stream` fed in two pieces, cut at `cut`.
Outcome decode(DecoderOptions options, std::string_view stream, std::size_t cut) {
  Decoder d(options);
  Outcome out;
  std::size_t fed = 0;
  for (std::string_view piece : {stream.substr(0, cut), stream.substr(cut)}) {
    d.feed(piece);
    fed += piece.size();
    for (;;) {
      auto m = d.next();
      if (d.buffered() > fed) std::abort();
      if (!m.ok()) {
        if (!d.failed() || d.buffered() != 0 || d.next().ok()) std::abort();
        out.error = m.error();
        return out;
      }
      if (!m->has_value()) break;
      out.messages.push_back(std::move(**m));
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  DecoderOptions options;
  options.phase = (data[0] & 1) ? Phase::kNormal : Phase::kStartup;
  options.max_message_size = (data[0] & 2)   ? 64
                             : (data[0] & 4) ? kMaxAuthMessageSize
                                             : std::size_t{64} << 20;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::size_t cut = stream.empty() ? 0 : data[1] % (stream.size() + 1);

  const Outcome whole = decode(options, stream, stream.size());
  const Outcome split = decode(options, stream, cut);
  // After SSLRequest / GSSENCRequest the outcome depends on timing, by design: bytes already
  // buffered when the request is decoded were sent before the answer and are refused, the
  // same bytes fed later are the client's next message. Then only a common prefix is owed.
  const bool timing_dependent =
      std::any_of(split.messages.begin(), split.messages.end(), [](const FrontendMessage& m) {
        return std::holds_alternative<SslRequest>(m) || std::holds_alternative<GssEncRequest>(m);
      });
  if (timing_dependent) {
    if (whole.messages.size() > split.messages.size() ||
        !std::equal(whole.messages.begin(), whole.messages.end(), split.messages.begin())) {
      std::abort();
    }
  } else if (!(whole.messages == split.messages) || whole.error != split.error) {
    std::abort();
  }
  for (const auto& m : whole.messages) exercise(m);
  return 0;
}
