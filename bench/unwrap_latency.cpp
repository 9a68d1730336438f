#include "bench/unwrap_latency.h"

#include <openssl/crypto.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <iomanip>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "tests/crypto/pkcs11_fixture.h"
#include "tests/crypto/pykmip_server.h"
#include "tests/crypto/test_util.h"

namespace dbvault::bench {
namespace {

using crypto::MasterKeyProvider;
using ProviderPtr = std::shared_ptr<MasterKeyProvider>;

struct Figures {
  double p50 = 0;
  double p99 = 0;
};

// What one provider needs alive while it is measured (a token directory, a key manager), and
// the provider itself. `skip` says why there is none.
struct Setup {
  std::shared_ptr<void> keep_alive;
  ProviderPtr provider;
  std::string skip;
};

// Nearest-rank percentile of sorted samples.
double percentile(const std::vector<double>& sorted, double p) {
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

ProviderPtr take(Result<std::unique_ptr<MasterKeyProvider>> r, const std::string& what) {
  if (!r) throw std::runtime_error(what + ": " + r.error().message);
  return ProviderPtr(std::move(*r));
}

// A throwaway master key, fresh for each run (no key constant in the source).
std::string random_key_hex() {
  std::uint8_t raw[32];
  if (!crypto::random_bytes(raw)) throw std::runtime_error("no random bytes for the bench key");
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (const std::uint8_t b : raw) {
    hex += digits[b >> 4];
    hex += digits[b & 15];
  }
  OPENSSL_cleanse(raw, sizeof raw);
  return hex;
}

Setup env_setup() { return {nullptr, crypto::test::env_key(random_key_hex(), "bench-env"), ""}; }

Setup file_setup() {
  auto dir = std::make_shared<crypto::test::TempDir>("bench-file-mek");
  auto p = take(crypto::create_file_provider(dir->path() / "master.key", "bench-file"), "file");
  return {dir, std::move(p), ""};
}

Setup pkcs11_setup() {
  if (::access(crypto::test::SoftHsm::kModule, R_OK) != 0) {
    return {nullptr, nullptr,
            std::string(crypto::test::SoftHsm::kModule) + " not found (install softhsm2)"};
  }
  std::shared_ptr<crypto::test::SoftHsm> hsm;
  try {
    hsm = std::make_shared<crypto::test::SoftHsm>();
  } catch (const std::exception& e) {
    return {nullptr, nullptr, std::string(e.what()) + " (install softhsm2)"};
  }
  auto p = take(crypto::open_pkcs11_provider(hsm->options(true)), "pkcs11");
  return {hsm, std::move(p), ""};
}

Setup kmip_setup() {
  if (!crypto::test::pykmip_installed()) {
    return {nullptr, nullptr, "pykmip-server is not installed (python3-pykmip)"};
  }
  std::shared_ptr<crypto::test::PyKmip> kms;
  try {
    kms = std::make_shared<crypto::test::PyKmip>();
  } catch (const std::exception& e) {
    return {nullptr, nullptr, std::string("pykmip-server did not start: ") + e.what()};
  }
  auto p = take(crypto::open_kmip_provider(kms->options(true, "bench-kmip")), "kmip");
  return {kms, std::move(p), ""};
}

// `n` timings of `fn` (microseconds) after `warmup` untimed calls; throws when a call fails.
Figures time_calls(std::size_t warmup, std::size_t n, const std::function<Status()>& fn) {
  std::vector<double> samples;
  samples.reserve(n);
  for (std::size_t i = 0; i < warmup + n; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const Status s = fn();
    const auto end = std::chrono::steady_clock::now();
    if (!s) throw std::runtime_error("unwrap: " + s.error().message);
    if (i >= warmup) {
      samples.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    }
  }
  std::sort(samples.begin(), samples.end());
  return {percentile(samples, 0.50), percentile(samples, 0.99)};
}

struct Measured {
  Figures store;     // TekStore::unwrap: keys.db read + provider unwrap + binding check
  Figures provider;  // MasterKeyProvider::unwrap alone
};

Measured measure(const ProviderPtr& provider, std::size_t warmup, std::size_t n) {
  crypto::test::TempDir dir("bench-unwrap");
  SystemClock clock;
  auto store = crypto::TekStore::open(dir.path() / "keys", provider, clock);
  if (!store) throw std::runtime_error(store.error().message);
  const auto scope = crypto::KeyScope::tablespace("bench");
  if (auto made = (*store)->create_tek(scope); !made)
    throw std::runtime_error(made.error().message);
  Measured m;
  m.store = time_calls(warmup, n, [&]() -> Status {
    auto tek = (*store)->unwrap(scope, std::nullopt);
    return tek ? ok_status() : Status(std::move(tek).error());
  });
  auto key = crypto::random_key();
  if (!key) throw std::runtime_error(key.error().message);
  auto wrapped = provider->wrap(*key);
  if (!wrapped) throw std::runtime_error(wrapped.error().message);
  m.provider = time_calls(warmup, n, [&]() -> Status {
    auto k = provider->unwrap(*wrapped);
    return k ? ok_status() : Status(std::move(k).error());
  });
  return m;
}

void print_row(std::ostream& out, const std::string& name, std::size_t n, const Measured& m) {
  out << std::left << std::setw(8) << name << std::right << std::setw(7) << n << std::fixed
      << std::setprecision(1) << std::setw(11) << m.store.p50 << std::setw(11) << m.store.p99
      << std::setw(13) << m.provider.p50 << std::setw(13) << m.provider.p99 << "\n";
}

}  // namespace

int run_unwrap_latency(const UnwrapLatencyOptions& options, std::ostream& out) {
  struct Row {
    const char* name;
    std::function<Setup()> setup;
    bool remote;
  };
  const Row rows[] = {{"env", env_setup, false},
                      {"file", file_setup, false},
                      {"pkcs11", pkcs11_setup, false},
                      {"kmip", kmip_setup, true}};
  // The kmip provider logs every call at info: keep the table readable (and the timing free of
  // a terminal write) while measuring.
  LogOptions quiet;
  quiet.level = "warn";
  (void)init_logging(quiet);
  std::vector<std::pair<std::string, Measured>> measured;
  std::vector<std::string> notes;
  int rc = 0;
  out << "TEK unwrap latency, microseconds (TekStore::unwrap = keys.db read + provider unwrap +\n"
      << "binding check; provider = MasterKeyProvider::unwrap alone)\n"
      << std::left << std::setw(8) << "provider" << std::right << std::setw(7) << "n"
      << std::setw(11) << "store p50" << std::setw(11) << "store p99" << std::setw(13)
      << "provider p50" << std::setw(13) << "provider p99"
      << "\n";
  for (const auto& row : rows) {
    const std::size_t warmup = row.remote ? options.remote_warmup : options.warmup;
    const std::size_t n = row.remote ? options.remote_unwraps : options.unwraps;
    try {
      Setup s = row.setup();
      if (!s.provider) {
        notes.push_back(std::string("unwrap_latency_us provider=") + row.name +
                        " skipped: " + s.skip);
        continue;
      }
      const Measured m = measure(s.provider, warmup, n);
      measured.emplace_back(row.name, m);
      print_row(out, row.name, n, m);
    } catch (const std::exception& e) {
      notes.push_back(std::string("unwrap_latency_us provider=") + row.name +
                      " failed: " + e.what());
      rc = 1;
    }
  }
  (void)init_logging({});
  out << std::fixed << std::setprecision(1);
  for (const auto& [name, m] : measured) {
    out << "unwrap_latency_us provider=" << name << " p50=" << m.provider.p50
        << " p99=" << m.provider.p99 << "\n";
    out << "keystore_unwrap_latency_us provider=" << name << " p50=" << m.store.p50
        << " p99=" << m.store.p99 << "\n";
  }
  for (const auto& note : notes) out << note << "\n";
  const auto env = std::find_if(measured.begin(), measured.end(),
                                [](const auto& m) { return m.first == "env"; });
  if (env != measured.end()) {
    out << std::setprecision(2);
    for (const auto& [name, m] : measured) {
      if (name == "env") continue;
      out << "ratio name=" << name
          << "_over_env value=" << m.provider.p50 / env->second.provider.p50 << "\n";
    }
  }
  out.flush();
  return rc;
}

}  // namespace dbvault::bench
