// The SQL view through a real SQLite connection, the JSONL export, and a grep of the store and
// the process log for the field values and secrets the events carried.
#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>
#include <sstream>

#include "audit/export.h"
#include "audit/sql_view.h"
#include "common/log.h"
#include "tests/audit/test_util.h"

namespace dbvault::audit {
namespace {

using test::LogFixture;

struct Db {
  Db() { BOOST_REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK); }
  ~Db() { sqlite3_close_v2(db); }
  // Runs `sql`; rows as "a|b|c" strings. Sets `rc` to the last result code.
  std::vector<std::string> query(const std::string& sql) {
    std::vector<std::string> rows;
    sqlite3_stmt* st = nullptr;
    rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
    if (rc != SQLITE_OK) return rows;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        if (i) row += '|';
        const auto* t = sqlite3_column_text(st, i);
        row += t ? reinterpret_cast<const char*>(t) : "NULL";
      }
      rows.push_back(row);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    return rows;
  }
  sqlite3* db = nullptr;
  int rc = SQLITE_OK;
};

// The compliance officer's story: unlocks, failed unlocks, an emergency access and its review.
void write_story(LogFixture& f) {
  auto unlock = [&](const std::string& user, const std::string& realm, bool ok) {
    Event e;
    e.type = ok ? EventType::kVaultUnlock : EventType::kVaultUnlockFailed;
    e.user = user;
    e.realm = realm;
    e.ip_address = "10.0.5.42";
    e.result = ok ? Outcome::kSuccess : Outcome::kFailure;
    BOOST_REQUIRE(f.log->append(e).ok());
  };
  unlock("dba_alice", "pii_protection", true);
  f.clock.advance(std::chrono::hours(24 * 40));
  unlock("dba_alice", "pii_protection", false);
  unlock("dba_alice", "pii_protection", false);
  unlock("bob", "finance_data", false);
  unlock("dba_alice", "pii_protection", true);
  unlock("carol", "finance_data", true);
  for (const char* stage : {"request", "approval", "review"}) {
    Event e;
    e.type = EventType::kEmergencyAccess;
    e.user = "security_officer";
    e.realm = "pii_protection";
    e.detail = {{"stage", stage}, {"request_id", "er_1"}, {"reason", "INC-2025-10-11-001"}};
    BOOST_REQUIRE(f.log->append(e).ok());
  }
  BOOST_REQUIRE(f.log->flush().ok());
}

BOOST_AUTO_TEST_SUITE(view)

BOOST_AUTO_TEST_CASE(compliance_queries_run_in_sqlite) {
  LogFixture f;
  write_story(f);
  Db db;
  BOOST_REQUIRE(register_audit_log_table(db.db, f.log->reader()).ok());
  // Who unlocked realm X last month (the 30 days before "now").
  auto rows = db.query(
      "SELECT user, timestamp FROM audit_log WHERE event_type = 'vault_unlock' "
      "AND realm = 'pii_protection' AND timestamp >= '2025-10-21' ORDER BY seq");
  BOOST_TEST(db.rc == SQLITE_OK);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0] == "dba_alice|2025-11-20T04:30:00Z");
  // Every emergency access and its review.
  rows = db.query(
      "SELECT json_extract(detail, '$.request_id'), group_concat(json_extract(detail, '$.stage')) "
      "FROM audit_log WHERE event_type = 'emergency_access' GROUP BY 1");
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0] == "er_1|request,approval,review");
  // Failed unlocks by user.
  rows = db.query(
      "SELECT user, count(*) FROM audit_log WHERE event_type = 'vault_unlock_failed' "
      "GROUP BY user ORDER BY count(*) DESC, user");
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_TEST(rows[0] == "dba_alice|2");
  BOOST_TEST(rows[1] == "bob|1");
  // Seq pushdown and LIMIT.
  rows =
      db.query("SELECT seq, retention_class FROM audit_log WHERE seq BETWEEN 7 AND 8 ORDER BY seq");
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_TEST(rows[1] == "8|10y");
  rows = db.query("SELECT seq FROM audit_log WHERE seq = 3");
  BOOST_TEST(rows == std::vector<std::string>{"3"});
  rows = db.query("SELECT count(*) FROM audit_log WHERE seq > 5 LIMIT 1");
  BOOST_TEST(rows == std::vector<std::string>{"5"});  // 10 records: the genesis record and 9
}

// The statements of the ```sql block in docs/audit.md §7, verbatim but for the schema name
// (the server exposes the table as vault.audit_log; here it is SQLite's eponymous audit_log).
std::vector<std::string> documented_queries() {
  std::ifstream in(DBVAULT_AUDIT_DOC);
  BOOST_REQUIRE(in.good());
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto begin = doc.find("```sql\n");
  BOOST_REQUIRE(begin != std::string::npos);
  const auto end = doc.find("```", begin + 7);
  std::string sql = doc.substr(begin + 7, end - begin - 7);
  for (std::size_t at; (at = sql.find("vault.audit_log")) != std::string::npos;) sql.erase(at, 6);
  std::vector<std::string> out;
  for (std::size_t from = 0, at; (at = sql.find(";\n", from)) != std::string::npos; from = at + 2) {
    out.push_back(sql.substr(from, at - from));
  }
  return out;
}

// The compliance officer's three questions, as documented, give the right answers.
BOOST_AUTO_TEST_CASE(the_documented_compliance_queries_answer_correctly) {
  const auto queries = documented_queries();
  BOOST_REQUIRE_EQUAL(queries.size(), 3u);
  LogFixture f;
  f.clock.set(*parse_time("2025-09-05T08:00:00Z"));
  auto append = [&](EventType type, const std::string& user, const std::string& realm,
                    nlohmann::json detail) {
    Event e;
    e.type = type;
    e.user = user;
    e.realm = realm;
    e.ip_address = "10.0.5.42";
    e.session_id = "sess_" + user;
    e.detail = std::move(detail);
    if (type == EventType::kVaultUnlockFailed) e.result = Outcome::kFailure;
    if (type == EventType::kVaultUnlock) e.vault_password_id = "vp_1";
    BOOST_REQUIRE(f.log->append(e).ok());
    f.clock.advance(std::chrono::hours(1));
  };
  auto emergency = [&](const std::string& user, const std::string& id, const std::string& stage) {
    nlohmann::json d = {{"stage", stage}, {"request_id", id}, {"reason", "INC-" + id}};
    if (stage == "approval") d["approver"] = "sec_admin";
    append(EventType::kEmergencyAccess, user, "pii_protection", d);
  };
  append(EventType::kVaultUnlock, "dba_alice", "pii_protection",
         nlohmann::json::object());  // 08:00
  append(EventType::kVaultUnlock, "bob", "finance_data", nlohmann::json::object());
  for (int i = 1; i <= 5; ++i) {
    append(EventType::kVaultUnlockFailed, "mallory", "pii_protection",
           {{"reason", "wrong_password"}, {"attempts", i}, {"lockout", i == 5}});
  }
  append(EventType::kVaultUnlockFailed, "bob", "finance_data",
         {{"attempts", 1}, {"lockout", false}});
  emergency("oncall", "er_1", "request");  // 16:00
  emergency("sec_admin", "er_1", "approval");
  emergency("oncall", "er_2", "request");  // 18:00
  emergency("sec_admin", "er_2", "rejection");
  emergency("auditor", "er_1", "review");  // 20:00
  f.clock.set(*parse_time("2025-10-02T09:00:00Z"));
  append(EventType::kVaultUnlock, "carol", "pii_protection", nlohmann::json::object());  // October
  BOOST_REQUIRE(f.log->flush().ok());
  Db db;
  BOOST_REQUIRE(register_audit_log_table(db.db, f.log->reader()).ok());

  auto rows = db.query(queries[0]);  // who unlocked pii_protection in September
  BOOST_TEST(db.rc == SQLITE_OK);
  BOOST_TEST(rows == std::vector<std::string>{
                         "2025-09-05T08:00:00Z|dba_alice|10.0.5.42|sess_dba_alice|vp_1|NULL"});
  rows = db.query(queries[1]);  // every emergency access and its review
  BOOST_TEST(db.rc == SQLITE_OK);
  BOOST_TEST(
      rows ==
      (std::vector<std::string>{
          "er_1|2025-09-05T16:00:00Z|oncall|sec_admin|0|2025-09-05T20:00:00Z|auditor|INC-er_1",
          "er_2|2025-09-05T18:00:00Z|oncall|NULL|1|NULL|NULL|INC-er_2"}));
  rows = db.query(queries[2]);  // failed unlocks by user, and lockouts
  BOOST_TEST(db.rc == SQLITE_OK);
  BOOST_TEST(rows ==
             (std::vector<std::string>{"mallory|5|1|2025-09-05T10:00:00Z|2025-09-05T14:00:00Z",
                                       "bob|1|0|2025-09-05T15:00:00Z|2025-09-05T15:00:00Z"}));
}

BOOST_AUTO_TEST_CASE(the_view_refuses_every_write_with_42501) {
  LogFixture f;
  write_story(f);
  Db db;
  BOOST_REQUIRE(register_audit_log_table(db.db, f.log->reader()).ok());
  for (const char* sql :
       {"DELETE FROM audit_log", "DELETE FROM audit_log WHERE seq = 1",
        "UPDATE audit_log SET user = 'nobody'", "INSERT INTO audit_log(seq) VALUES (99)",
        "DROP TABLE audit_log", "ALTER TABLE audit_log RENAME TO gone"}) {
    BOOST_TEST_CONTEXT(sql) {
      db.query(sql);
      BOOST_TEST(db.rc != SQLITE_OK);
      BOOST_TEST(audit_view_error(db.db, db.rc).code == sqlstate::kInsufficientPrivilege);
    }
  }
  BOOST_TEST(db.query("SELECT count(*) FROM audit_log") == std::vector<std::string>{"10"});
  auto v = f.log->verify();
  BOOST_TEST(v->ok);
}

BOOST_AUTO_TEST_CASE(export_writes_verifiable_jsonl_with_filters) {
  LogFixture f;
  write_story(f);
  std::ostringstream all;
  BOOST_REQUIRE(export_jsonl(*f.log->reader(), {}, all).ok());
  std::istringstream lines(all.str());
  std::string line;
  ChainHash prev{};
  std::size_t n = 0;
  while (std::getline(lines, line)) {
    auto r = parse_record_json(line);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST((r->prev_hash == prev));
    BOOST_TEST(export_json(*r) == line);
    prev = r->hash;
    ++n;
  }
  BOOST_TEST(n == 10u);  // the genesis record and the story
  ExportOptions only;
  only.types = {EventType::kVaultUnlockFailed};
  only.since = *parse_time("2025-11-01T00:00:00Z");
  std::ostringstream some;
  auto count = export_jsonl(*f.log->reader(), only, some);
  BOOST_REQUIRE(count.ok());
  BOOST_TEST(*count == 3u);
  // --follow: picks up a record appended between polls.
  ExportOptions follow;
  follow.follow = true;
  follow.poll = std::chrono::milliseconds(0);
  follow.since = *parse_time("2025-11-20T00:00:00Z");
  follow.types = {EventType::kLogin};
  int polls = 0;
  follow.keep_following = [&] {
    if (polls++ == 0) BOOST_REQUIRE(f.log->append_sync(test::sample_event(EventType::kLogin)).ok());
    return polls < 3;
  };
  std::ostringstream followed;
  auto streamed = export_jsonl(*f.log->reader(), follow, followed);
  BOOST_REQUIRE(streamed.ok());
  BOOST_TEST(*streamed == 1u);
}

BOOST_AUTO_TEST_CASE(no_field_value_or_secret_is_in_the_files_or_the_log) {
  LogFixture f;
  const auto log_file = f.tmp.path() / "process.log";
  {
    dbvault::LogOptions lo;
    lo.level = "trace";
    lo.file = log_file.string();
    BOOST_REQUIRE(init_logging(lo).ok());
  }
  Event e;
  e.type = EventType::kCommandRuleViolation;
  e.user = "zqx_user_marker";
  e.realm = "zqx_realm_marker";
  e.ip_address = "203.0.113.77";
  e.session_id = "zqx_session_marker";
  e.result = Outcome::kDenied;
  e.detail = {{"rule", "zqx_rule_marker"},
              {"query", "UNLOCK REALM r PASSWORD 'zqx_Secret_Pw_2025'; SELECT '123-45-6789'"}};
  BOOST_REQUIRE(f.log->append_sync(e).ok());
  BOOST_REQUIRE(
      f.log->add_hold({"zqx_hold_marker", {}, {}, "zqx_reason_marker"}, {"zqx_user_marker", "", ""})
          .ok());
  f.clock.advance(std::chrono::hours(24 * 365 * 11));
  BOOST_REQUIRE(f.log->purge({"zqx_user_marker", "", ""}).ok());
  BOOST_REQUIRE(f.log->verify()->ok);
  f.log.reset();
  BOOST_REQUIRE(init_logging({}).ok());
  // The literal never reached the store, even in clear inside the encrypted record.
  f.reopen();
  for (const auto& r : test::all_records(*f.log)) {
    BOOST_TEST(r.event.detail.dump().find("zqx_Secret") == std::string::npos);
  }
  f.log.reset();
  const std::vector<std::string> needles = {
      "zqx_user_marker",   "zqx_realm_marker",       "203.0.113.77", "zqx_session_marker",
      "zqx_rule_marker",   "zqx_Secret_Pw_2025",     "123-45-6789",  "zqx_hold_marker",
      "zqx_reason_marker", "command_rule_violation", "audit_purge",  "UNLOCK REALM"};
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(f.tmp.path())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const auto bytes = test::read_file(entry.path());
    const std::string text(bytes.begin(), bytes.end());
    for (const auto& needle : needles) {
      BOOST_TEST_CONTEXT(entry.path().filename() << " / " << needle) {
        BOOST_TEST(text.find(needle) == std::string::npos);
      }
    }
  }
  BOOST_TEST(files >= 3u);  // HEAD, a segment, the process log
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dbvault::audit
