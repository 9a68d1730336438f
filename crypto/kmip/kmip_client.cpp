#include "crypto/kmip/kmip_client.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace dbvault::crypto::kmip {
namespace {

// Wipes a message buffer on every path out of a call (it may hold a TEK).
struct WipeOnExit {
  std::vector<std::uint8_t>& bytes;
  ~WipeOnExit() {
    if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
  }
};

bool idempotent(Operation op) { return op != Operation::kCreate; }

}  // namespace

KmipClient::KmipClient(ClientOptions options, std::unique_ptr<TlsChannel> channel)
    : options_(std::move(options)), channel_(std::move(channel)) {}

Result<std::unique_ptr<KmipClient>> KmipClient::connect(const ClientOptions& options) {
  auto channel = TlsChannel::open(options.tls);
  if (!channel) return std::move(channel).error();
  spdlog::info("kmip: connected to {}:{} ({})", options.tls.host, options.tls.port,
               (*channel)->negotiated());
  return std::unique_ptr<KmipClient>(new KmipClient(options, std::move(*channel)));
}

std::string KmipClient::endpoint() const {
  return options_.tls.host + ":" + std::to_string(options_.tls.port);
}

Result<Item> KmipClient::attempt(Operation op, const std::vector<std::uint8_t>& request) {
  if (!channel_) {
    auto reopened = TlsChannel::open(options_.tls);
    if (!reopened) return std::move(reopened).error();
    channel_ = std::move(*reopened);
  }
  auto response = channel_->round_trip(request);
  if (!response) {
    channel_.reset();
    return std::move(response).error();
  }
  WipeOnExit wipe{*response};
  auto message = decode(*response);
  if (!message) {
    channel_.reset();  // framing is lost; do not read the next answer from this stream
    return make_error(sqlstate::kSystemError,
                      "KMIP server " + endpoint() + ": " + message.error().message);
  }
  auto payload = response_payload(*message, op);
  if (!payload) {
    Error e = std::move(payload).error();
    e.message = "KMIP server " + endpoint() + ": " + e.message;
    return e;
  }
  return payload;
}

Result<Item> KmipClient::call(Operation op, std::string_view unique_id, const Item& payload) {
  std::vector<std::uint8_t> request = encode(request_message(op, payload));
  WipeOnExit wipe{request};
  std::lock_guard lock(mu_);
  const int attempts = idempotent(op) ? std::max(1, options_.attempts) : 1;
  const auto start = std::chrono::steady_clock::now();
  Result<Item> result = make_error(sqlstate::kSystemError, "KMIP: no attempt made");
  int n = 0;
  while (n < attempts) {
    ++n;
    result = attempt(op, request);
    // A transport failure drops the channel; a KMIP error answer keeps it and is final.
    if (result.ok() || channel_) break;
  }
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
  if (result.ok()) {
    spdlog::info("kmip: {} uid={} ok attempts={} latency_us={}", operation_name(op),
                 unique_id.empty() ? "-" : unique_id, n, micros);
  } else {
    spdlog::warn("kmip: {} uid={} failed attempts={} latency_us={}: {}", operation_name(op),
                 unique_id.empty() ? "-" : unique_id, n, micros, result.error().message);
  }
  return result;
}

}  // namespace dbvault::crypto::kmip
