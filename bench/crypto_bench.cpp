// crypto_bench: what page and row encryption cost, and what a password check costs.
//
//   BM_Seal/<alg>/<bytes>          Aead::seal_into: random nonce + AAD + encrypt + tag
//   BM_Open/<alg>/<bytes>          Aead::open_into: authenticate + decrypt
//   BM_EvpUpdateBaseline/<bytes>   raw EVP_EncryptUpdate on a keyed AES-256-GCM context, the
//                                  loop `openssl speed -evp aes-256-gcm` times (no nonce, no
//                                  tag): the ceiling for our page encryption
//   BM_Argon2id/<m KiB>            hash_password with the defaults (19 MiB) and a cheap setting
//   BM_DeterministicSeal/<bytes>   AES-256-SIV for searchable columns
// Compare bytes_per_second of BM_Seal/0/4096 with BM_EvpUpdateBaseline/4096 (target >= 90%).
//
// First, TEK unwrap latency per master-key provider (env, file, pkcs11 on SoftHSM2, kmip on a
// pykmip-server started here): bench/unwrap_latency.h. Flags (before Google Benchmark's own):
//   --unwrap_latency_only   only that table         --skip_unwrap_latency   only the rest
#include <benchmark/benchmark.h>

#include <cstring>
#include <iostream>
#include <vector>

#include "bench/unwrap_latency.h"
#include "crypto/crypto.h"

using namespace dbvault;
using namespace dbvault::crypto;

namespace {

AeadAlgorithm alg_of(std::int64_t i) {
  return i == 0 ? AeadAlgorithm::kAes256Gcm : AeadAlgorithm::kChaCha20Poly1305;
}

Aead make_aead(AeadAlgorithm algorithm) {
  auto key = random_key();
  // A budget large enough for any benchmark run: we measure cost, not the rotation policy.
  auto aead = Aead::create(algorithm, *key, std::make_shared<InvocationBudget>(UINT64_MAX));
  return std::move(aead).value();
}

void BM_Seal(benchmark::State& state) {
  Aead aead = make_aead(alg_of(state.range(0)));
  const auto n = static_cast<std::size_t>(state.range(1));
  std::vector<std::uint8_t> page(n, 0x42), out(n + kAeadOverhead), aad(16, 7);
  for (auto _ : state) {
    if (!aead.seal_into(page, aad, out).ok()) state.SkipWithError("seal failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(1));
  state.SetLabel(std::string(algorithm_name(aead.algorithm())));
}

void BM_Open(benchmark::State& state) {
  Aead aead = make_aead(alg_of(state.range(0)));
  const auto n = static_cast<std::size_t>(state.range(1));
  std::vector<std::uint8_t> page(n, 0x42), aad(16, 7);
  auto sealed = aead.seal(page, aad);
  for (auto _ : state) {
    if (!aead.open_into(*sealed, aad, page).ok()) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(page.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(1));
  state.SetLabel(std::string(algorithm_name(aead.algorithm())));
}

void BM_EvpUpdateBaseline(benchmark::State& state) {
  auto key = random_key();
  std::uint8_t iv[12] = {};
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex2(ctx, EVP_aes_256_gcm(), key->data(), iv, nullptr);
  const auto n = static_cast<int>(state.range(0));
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(n), 0x42);
  int len = 0;
  for (auto _ : state) {
    EVP_EncryptUpdate(ctx, buf.data(), &len, buf.data(), n);
    benchmark::DoNotOptimize(buf.data());
  }
  EVP_CIPHER_CTX_free(ctx);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n);
  state.SetLabel("EVP_EncryptUpdate loop");
}

void BM_Argon2id(benchmark::State& state) {
  Argon2Params params;
  params.memory_kib = static_cast<std::uint32_t>(state.range(0));
  const SecretString password("correct horse battery staple");
  for (auto _ : state) {
    auto phc = hash_password(password, params);
    if (!phc.ok()) state.SkipWithError("argon2id failed");
    benchmark::DoNotOptimize(phc);
  }
  state.SetLabel("t=" + std::to_string(params.iterations) +
                 " p=" + std::to_string(params.parallelism));
}

void BM_DeterministicSeal(benchmark::State& state) {
  auto key = random_key();
  auto det = DeterministicAead::create(*key);
  std::vector<std::uint8_t> value(static_cast<std::size_t>(state.range(0)), 0x33), aad(16, 1);
  for (auto _ : state) {
    auto out = det->seal(value, aad);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

}  // namespace

BENCHMARK(BM_Seal)->ArgsProduct({{0, 1}, {64, 4096, 16384}})->ArgNames({"alg", "bytes"});
BENCHMARK(BM_Open)->ArgsProduct({{0, 1}, {64, 4096, 16384}})->ArgNames({"alg", "bytes"});
BENCHMARK(BM_EvpUpdateBaseline)->Arg(64)->Arg(4096)->Arg(16384)->ArgName("bytes");
BENCHMARK(BM_Argon2id)->Arg(19 * 1024)->Arg(64)->ArgName("m_kib")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DeterministicSeal)->Arg(64)->ArgName("bytes");

int main(int argc, char** argv) {
  bool latency = true, others = true;
  int kept = 0;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--unwrap_latency_only") == 0) {
      others = false;
    } else if (std::strcmp(argv[i], "--skip_unwrap_latency") == 0) {
      latency = false;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  int rc = 0;
  if (latency) rc = dbvault::bench::run_unwrap_latency({}, std::cout);
  if (!others) return rc;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return rc;
}
