// Durability: a writer killed with SIGKILL loses no acknowledged event and leaves a chain that
// verifies; an unwritable store makes append_sync fail (58000); torn tails are discarded.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstring>
#include <set>
#include <thread>

#include "tests/audit/test_util.h"

namespace dbvault::audit {
namespace {

using test::LogFixture;

// Child: appends from three threads (append_sync) plus a stream of async appends, writing each
// acknowledged seq to `fd`, until killed.
[[noreturn]] void run_child_writer(const LogOptions& options, int fd) {
  auto log = Log::open(options, test::test_keys());
  if (!log) {
    std::fprintf(stderr, "child: %s\n", log.error().message.c_str());
    ::_exit(3);
  }
  std::atomic<bool> broken{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        auto seq = (*log)->append_sync(test::sample_event(EventType::kVaultUnlock, t * 100000 + i));
        if (!seq) {
          std::fprintf(stderr, "child: %s\n", seq.error().message.c_str());
          broken = true;
          return;
        }
        std::uint64_t v = *seq;
        if (::write(fd, &v, sizeof v) != sizeof v) return;
      }
    });
  }
  for (int i = 0; !broken; ++i) {
    if (!(*log)->append(test::sample_event(EventType::kKeyAccess, i))) break;
    if (i % 64 == 0) std::this_thread::yield();
  }
  ::_exit(4);
}

BOOST_AUTO_TEST_SUITE(durability)

BOOST_AUTO_TEST_CASE(sigkill_mid_batch_loses_no_acknowledged_event) {
  for (int round = 0; round < 3; ++round) {
    LogFixture f;
    f.log.reset();
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    std::fflush(nullptr);
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      LogOptions options = f.options();
      options.segment_bytes = 4 << 20;
      options.max_batch = 256;
      run_child_writer(options, fds[1]);
    }
    ::close(fds[1]);
    std::set<std::uint64_t> acked;
    std::uint64_t v;
    const std::size_t kill_after = 150 + 100 * static_cast<std::size_t>(round);
    while (acked.size() < kill_after && ::read(fds[0], &v, sizeof v) == sizeof v) acked.insert(v);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    BOOST_TEST(WIFSIGNALED(status));
    while (::read(fds[0], &v, sizeof v) == sizeof v) acked.insert(v);
    ::close(fds[0]);
    BOOST_REQUIRE_GE(acked.size(), kill_after);

    f.reopen();  // recovery
    auto report = f.log->verify();
    BOOST_REQUIRE(report.ok());
    BOOST_TEST_CONTEXT("round " << round) {
      BOOST_TEST(report->ok);
      std::set<std::uint64_t> stored;
      for (const auto& r : test::all_records(*f.log)) stored.insert(r.seq);
      std::size_t missing = 0;
      for (auto seq : acked) missing += stored.count(seq) == 0;
      BOOST_TEST(missing == 0u);
      BOOST_TEST(*acked.rbegin() <= report->last_seq);
      // The chain continues after recovery.
      BOOST_REQUIRE(f.log->append_sync(test::sample_event(EventType::kLogin)).ok());
      auto again = f.log->verify();
      BOOST_REQUIRE(again.ok());
      BOOST_TEST(again->ok);
    }
  }
}

BOOST_AUTO_TEST_CASE(append_sync_on_an_unwritable_store_fails_and_stays_failed) {
  LogFixture f;
  f.log.reset();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child may write no file beyond 32 KiB: the next segment (64 KiB) cannot be created.
    auto log = Log::open(f.options(), test::test_keys());
    if (!log) ::_exit(10);
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim {
      32 << 10, 32 << 10
    };
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(11);
    for (int i = 0; i < 5000; ++i) {
      auto seq = (*log)->append_sync(test::sample_event(EventType::kEmergencyAccess, i));
      if (!seq) {
        if (seq.error().code != sqlstate::kSystemError) ::_exit(12);
        auto later = (*log)->append_sync(test::sample_event(EventType::kLogin));
        if (later || later.error().code != sqlstate::kSystemError) ::_exit(13);
        if ((*log)->health()) ::_exit(14);
        ::_exit(0);  // refused, as the gated operation must be
      }
    }
    ::_exit(15);  // never failed
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  BOOST_REQUIRE(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  // What was acknowledged is intact.
  f.reopen();
  auto report = f.log->verify();
  BOOST_REQUIRE(report.ok());
  BOOST_TEST(report->ok);
  BOOST_TEST(report->records > 0u);
}

BOOST_AUTO_TEST_CASE(a_store_that_cannot_be_created_is_refused) {
  test::TempDir tmp("audit_ro");
  test::write_file(tmp.path() / "file", {1, 2, 3});
  ManualClock clock(test::test_start());
  LogOptions o;
  o.dir = tmp.path() / "file" / "audit";
  o.clock = &clock;
  o.create_if_missing = true;
  auto log = Log::open(o, test::test_keys());
  BOOST_REQUIRE(!log.ok());
  BOOST_TEST(log.error().code == sqlstate::kSystemError);
}

BOOST_AUTO_TEST_CASE(a_torn_tail_after_the_last_acknowledged_record_is_discarded) {
  LogFixture f;
  for (int i = 0; i < 5; ++i)
    BOOST_REQUIRE(f.log->append_sync(test::sample_event(EventType::kLogin, i)).ok());
  f.log.reset();
  const auto seg = f.tmp.path() / "audit" / "seg-00000000000000000001.log";
  auto bytes = test::read_file(seg);
  // Find the end of the data and write half a frame there.
  std::size_t end = 64;
  while (true) {
    std::uint32_t len;
    std::memcpy(&len, bytes.data() + end, 4);
    if (len == 0) break;
    end += 24 + len;
  }
  const std::uint8_t torn[] = {200, 1, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0,    0,
                               0,   0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad};
  std::copy(std::begin(torn), std::end(torn), bytes.begin() + static_cast<long>(end));
  test::write_file(seg, bytes);
  f.reopen();
  auto seq = f.log->append_sync(test::sample_event(EventType::kLogin, 6));
  BOOST_REQUIRE(seq.ok());
  BOOST_TEST(*seq == 7u);  // after the genesis record and 5 records
  auto report = f.log->verify();
  BOOST_REQUIRE(report.ok());
  BOOST_TEST(report->ok);
  BOOST_TEST(report->records == 7u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
