// TEK unwrap latency per master-key provider (issue 13): what a KeyGate cache miss costs.
//
// For each provider — env (software MEK), file (key file), pkcs11 (a SoftHSM2 token the bench
// initialises in a temporary directory), kmip (a pykmip-server the bench starts on a free
// loopback port with a throwaway CA) — a fresh key store is made in a temporary directory with
// one TEK. Timed `unwraps` times each, after `warmup` untimed calls: MasterKeyProvider::unwrap
// of a wrapped TEK (the provider alone), and TekStore::unwrap (what a KeyGate cache miss costs:
// the record read from keys.db, the provider's unwrap, the binding-tag check). Prints a table and
//   unwrap_latency_us provider=<env|file|pkcs11|kmip> p50=<x> p99=<x>           (provider)
//   keystore_unwrap_latency_us provider=<...> p50=<x> p99=<x>                  (TekStore)
//   ratio name=<provider>_over_env value=<x>      (provider p50 over env's provider p50)
// A provider whose dependency is missing prints `unwrap_latency_us provider=<p> skipped: <why>`
// and no figure.
#pragma once

#include <cstddef>
#include <ostream>

namespace dbvault::bench {

struct UnwrapLatencyOptions {
  std::size_t warmup = 200;
  std::size_t unwraps = 5000;      // env, file, pkcs11
  std::size_t remote_warmup = 20;  // kmip: each unwrap is a TLS round trip to the key manager
  std::size_t remote_unwraps = 500;
};

// Runs every provider and writes the results to `out`. Returns 0, or 1 when a provider that
// was present failed (a figure could not be measured for a reason other than a missing
// dependency).
int run_unwrap_latency(const UnwrapLatencyOptions& options, std::ostream& out);

}  // namespace dbvault::bench
