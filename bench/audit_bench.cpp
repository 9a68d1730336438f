// audit_bench: events/s with group commit, and append_sync latency (p50/p99), on the disk that
// holds the directory given (default: ./audit_bench.tmp, removed afterwards). Baseline measured
// in the same run: the latency of one 512-byte pwrite + fdatasync on a preallocated file, the
// floor any durable acknowledgement pays on this disk.
//
// usage: audit_bench [DIR] [EVENTS]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "audit/log.h"

namespace {

using Steady = std::chrono::steady_clock;
using namespace dbvault;

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

audit::Event event(int i) {
  audit::Event e;
  e.type = audit::EventType::kKeyAccess;
  e.user = "dba_alice";
  e.realm = "pii_protection";
  e.ip_address = "10.0.5.42";
  e.session_id = "sess_" + std::to_string(i % 1000);
  e.detail = {{"key_id", "tablespace:users/v1"}, {"operation", "release"}};
  return e;
}

std::vector<double> fsync_baseline(const std::filesystem::path& dir, int n) {
  const auto path = dir / "baseline";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  std::vector<char> zeros(1 << 20, 0);
  if (::write(fd, zeros.data(), zeros.size()) < 0 || ::fsync(fd) != 0) std::perror("baseline");
  std::vector<double> ms;
  char buf[512] = {1};
  for (int i = 0; i < n; ++i) {
    if (::pwrite(fd, buf, sizeof buf, static_cast<off_t>(i) * 512) < 0) std::perror("pwrite");
    const auto t0 = Steady::now();
    if (::fdatasync(fd) != 0) std::perror("fdatasync");
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
  }
  ::close(fd);
  std::filesystem::remove(path);
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "audit_bench.tmp";
  const int events = argc > 2 ? std::atoi(argv[2]) : 400000;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  crypto::SecretBytes tek(32);
  for (std::size_t i = 0; i < 32; ++i) tek.data()[i] = static_cast<std::uint8_t>(i + 1);
  auto keys = audit::AuditKeys::derive(tek, 1);
  SystemClock clock;
  audit::LogOptions options;
  options.dir = dir / "audit";
  options.clock = &clock;
  options.create_if_missing = true;
  auto log = audit::Log::open(options, std::move(*keys));
  if (!log) {
    std::fprintf(stderr, "open: %s\n", log.error().message.c_str());
    return 1;
  }

  const auto baseline = fsync_baseline(dir, 500);
  std::printf("baseline fdatasync (512 B, preallocated): p50 %.2f ms  p99 %.2f ms\n",
              percentile(baseline, 0.5), percentile(baseline, 0.99));

  // 1. Throughput: two producers queue events asynchronously; the writer group-commits.
  const auto t0 = Steady::now();
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      for (int i = p; i < events; i += 2) {
        if (!(*log)->append(event(i))) std::abort();
      }
    });
  }
  for (auto& t : producers) t.join();
  if (!(*log)->flush()) return 1;
  const double secs = std::chrono::duration<double>(Steady::now() - t0).count();
  std::printf("group commit: %d events in %.2f s = %.0f events/s (durable)\n", events, secs,
              events / secs);

  // 2. append_sync latency, one caller at a time (each waits for its own fdatasync).
  std::vector<double> ms;
  for (int i = 0; i < 1000; ++i) {
    const auto s = Steady::now();
    if (!(*log)->append_sync(event(i))) return 1;
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - s).count());
  }
  std::printf("append_sync (1 caller): p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
              percentile(ms, 0.5), percentile(ms, 0.99), percentile(ms, 1.0));

  // 3. append_sync with 8 concurrent callers (they share fdatasyncs).
  std::vector<std::vector<double>> per(8);
  std::vector<std::thread> callers;
  for (int c = 0; c < 8; ++c) {
    callers.emplace_back([&, c] {
      for (int i = 0; i < 250; ++i) {
        const auto s = Steady::now();
        if (!(*log)->append_sync(event(i))) std::abort();
        per[c].push_back(std::chrono::duration<double, std::milli>(Steady::now() - s).count());
      }
    });
  }
  for (auto& t : callers) t.join();
  std::vector<double> all;
  for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
  std::printf("append_sync (8 callers): p50 %.2f ms  p99 %.2f ms\n", percentile(all, 0.5),
              percentile(all, 0.99));

  auto report = (*log)->verify();
  std::printf("verify: %s, %llu records\n", report && report->ok ? "ok" : "BROKEN",
              report ? static_cast<unsigned long long>(report->records) : 0ULL);
  log->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
