// The encrypted-column cipher (storage/columns/): format version 1 byte for byte, round trips of
// every SQLite type in both modes, what each mode reveals (RANDOMIZED: nothing about equal
// values; DETERMINISTIC: equality within one column only), and that a value copied to another
// row, column or table, relabelled, truncated or altered never opens (XX001, no plaintext, no
// value bytes in the message). Keys come from a real KeyGate over a real key store: an
// unauthorized session gets no key (42501, no key_access event) and a locked key seals nothing.
#include "storage/columns/column_cipher.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <string>

#include "crypto/key_gate.h"
#include "crypto/tek_store.h"
#include "tests/crypto/gate_fixtures.h"
#include "tests/support/temp_dir.h"

namespace dbvault::storage::columns::test {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::string_view kMarker = "MARKER-ssn-123-45-6789";

struct ColumnGateFixture {
  ColumnGateFixture() {
    auto s = crypto::test::open_env_key_store(
        dir.path() / "keys", "4c1f0e9d8b7a69584736251403f2e1d0c9b8a79685746352413f2e1d0c9b8a79",
        "column-test-1", clock);
    BOOST_REQUIRE(s.ok());
    store = std::move(*s);
    BOOST_REQUIRE(store->create_tek(scope).ok());
    gate = std::make_unique<crypto::KeyGate>(*store, authorizer, audit, clock);
    authorizer.grant(alice.session_id, scope);
  }

  ColumnCipher cipher() {
    auto handle = gate->release(alice, scope);
    BOOST_REQUIRE(handle.ok());
    auto c = ColumnCipher::from_handle(*handle);
    BOOST_REQUIRE(c.ok());
    return std::move(*c);
  }

  dbvault::test::TempDir dir{"column_cipher"};
  ManualClock clock{TimePoint(std::chrono::seconds(1'700'000'000))};
  crypto::test::InMemoryAuthorizer authorizer;
  crypto::test::InMemoryAuditSink audit;
  std::unique_ptr<crypto::TekStore> store;
  std::unique_ptr<crypto::KeyGate> gate;
  const crypto::KeyScope scope = crypto::KeyScope::columns("main.patients");
  const crypto::SessionRef alice{1, "alice"};
  const crypto::SessionRef mallory{2, "mallory"};
  const ColumnIdentity ssn{"main.patients", "ssn"};
  const ColumnIdentity phone{"main.patients", "phone"};
  const ColumnIdentity other_table_ssn{"main.staff", "ssn"};
};

bool contains(const Bytes& haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

std::optional<std::int64_t> row(std::int64_t id) { return id; }
constexpr std::optional<std::int64_t> kNoRow = std::nullopt;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(column_cipher, ColumnGateFixture)

BOOST_AUTO_TEST_CASE(the_header_names_format_mode_and_key_version) {
  auto c = cipher();
  auto r = c.seal(ssn, ColumnMode::kRandomized, row(7), PlainValue::text(kMarker));
  auto d = c.seal(ssn, ColumnMode::kDeterministic, kNoRow, PlainValue::text(kMarker));
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(d.ok());
  const Bytes header_r{1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7};  // ... rowid 7
  const Bytes header_d{1, 2, 0, 0, 0, 1};
  BOOST_TEST(Bytes(r->begin(), r->begin() + 14) == header_r);
  BOOST_TEST(Bytes(d->begin(), d->begin() + 6) == header_d);
  const std::size_t plain = 1 + kMarker.size();  // type byte || text
  BOOST_TEST(r->size() == kRandomizedHeaderSize + crypto::kAeadOverhead + plain);
  BOOST_TEST(d->size() == kColumnHeaderSize + crypto::kDeterministicOverhead + plain);
  BOOST_TEST(!contains(*r, kMarker));
  BOOST_TEST(!contains(*d, kMarker));
}

BOOST_AUTO_TEST_CASE(every_type_round_trips_in_both_modes) {
  auto c = cipher();
  const std::uint8_t raw[] = {0, 1, 2, 0xff};
  const std::vector<PlainValue> values = {
      PlainValue::integer(0),     PlainValue::integer(-9'007'199'254'740'993),
      PlainValue::real(-2.5e300), PlainValue::text(""),
      PlainValue::text(kMarker),  PlainValue::blob(raw),
      PlainValue::blob({})};
  for (const auto& v : values) {
    for (const auto mode : {ColumnMode::kRandomized, ColumnMode::kDeterministic}) {
      const auto r = mode == ColumnMode::kRandomized ? row(42) : kNoRow;
      auto sealed = c.seal(ssn, mode, r, v);
      BOOST_REQUIRE(sealed.ok());
      auto opened = c.open(ssn, mode, r, *sealed);
      BOOST_REQUIRE(opened.ok());
      BOOST_TEST((*opened == v));
    }
  }
  auto big = c.open(ssn, ColumnMode::kDeterministic, kNoRow,
                    *c.seal(ssn, ColumnMode::kDeterministic, kNoRow, PlainValue::integer(-5)));
  BOOST_REQUIRE(big.ok());
  BOOST_TEST(big->as_integer() == -5);
}

BOOST_AUTO_TEST_CASE(randomized_hides_equality_deterministic_reveals_it_within_one_column) {
  auto c = cipher();
  const auto v = PlainValue::text(kMarker);
  auto r1 = c.seal(ssn, ColumnMode::kRandomized, row(1), v);
  auto r2 = c.seal(ssn, ColumnMode::kRandomized, row(1), v);
  BOOST_TEST((*r1 != *r2));  // fresh nonce each time, even in the same row
  auto d1 = c.seal(ssn, ColumnMode::kDeterministic, kNoRow, v);
  auto d2 = cipher().seal(ssn, ColumnMode::kDeterministic, kNoRow, v);  // another statement
  auto d_phone = c.seal(phone, ColumnMode::kDeterministic, kNoRow, v);
  auto d_staff = c.seal(other_table_ssn, ColumnMode::kDeterministic, kNoRow, v);
  BOOST_TEST((*d1 == *d2));  // what lets `ssn = $1` compare ciphertexts
  BOOST_TEST((*d1 != *d_phone));
  BOOST_TEST((*d1 != *d_staff));
  // The type is part of the value: integer 1 and text '1' do not compare equal.
  BOOST_TEST((*c.seal(ssn, ColumnMode::kDeterministic, kNoRow, PlainValue::integer(1)) !=
              *c.seal(ssn, ColumnMode::kDeterministic, kNoRow, PlainValue::text("1"))));
}

BOOST_AUTO_TEST_CASE(a_value_moved_to_another_row_column_or_table_does_not_open) {
  auto c = cipher();
  auto r = c.seal(ssn, ColumnMode::kRandomized, row(7), PlainValue::text(kMarker));
  auto d = c.seal(ssn, ColumnMode::kDeterministic, kNoRow, PlainValue::text(kMarker));
  Bytes relabelled = *r;  // the carried rowid changed from 7 to 8: the AAD no longer matches
  relabelled[13] = 8;
  const struct {
    const char* what;
    Result<PlainValue> got;
  } refusals[] = {
      {"other row", c.open(ssn, ColumnMode::kRandomized, row(8), *r)},
      {"relabelled to another row", c.open(ssn, ColumnMode::kRandomized, kNoRow, relabelled)},
      {"other column", c.open(phone, ColumnMode::kRandomized, row(7), *r)},
      {"other table", c.open(other_table_ssn, ColumnMode::kRandomized, row(7), *r)},
      {"det other column", c.open(phone, ColumnMode::kDeterministic, kNoRow, *d)},
      {"det other table", c.open(other_table_ssn, ColumnMode::kDeterministic, kNoRow, *d)},
      {"randomized as det", c.open(ssn, ColumnMode::kDeterministic, kNoRow, *r)},
      {"det as randomized", c.open(ssn, ColumnMode::kRandomized, row(7), *d)},
  };
  for (const auto& refusal : refusals) {
    BOOST_TEST_CONTEXT(refusal.what) {
      BOOST_REQUIRE(!refusal.got.ok());
      BOOST_TEST(refusal.got.error().code == sqlstate::kDataCorrupted);
      BOOST_TEST(refusal.got.error().message.find("MARKER") == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_altered_byte_and_every_truncation_is_refused) {
  auto c = cipher();
  for (const auto mode : {ColumnMode::kRandomized, ColumnMode::kDeterministic}) {
    const auto r = mode == ColumnMode::kRandomized ? row(3) : kNoRow;
    auto sealed = c.seal(ssn, mode, r, PlainValue::text(kMarker));
    BOOST_REQUIRE(sealed.ok());
    for (std::size_t i = 0; i < sealed->size(); ++i) {
      Bytes flipped = *sealed;
      flipped[i] ^= 0x01;
      auto got = c.open(ssn, mode, r, flipped);
      BOOST_TEST_CONTEXT("mode " << int(mode) << " byte " << i) {
        BOOST_REQUIRE(!got.ok());
        BOOST_TEST(got.error().code == sqlstate::kDataCorrupted);
      }
      auto cut = c.open(ssn, mode, r, std::span(*sealed).first(i));
      BOOST_TEST(!cut.ok());
    }
  }
  // A plaintext value written behind the engine's back (not a sealed value) is refused too.
  const std::string plain(kMarker);
  auto got = c.open(ssn, ColumnMode::kRandomized, row(3),
                    std::span(reinterpret_cast<const std::uint8_t*>(plain.data()), plain.size()));
  BOOST_REQUIRE(!got.ok());
  BOOST_TEST(got.error().code == sqlstate::kDataCorrupted);
  BOOST_TEST(got.error().message.find("MARKER") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_value_of_another_key_version_does_not_open) {
  auto v1 = cipher();
  auto sealed = v1.seal(ssn, ColumnMode::kDeterministic, kNoRow, PlainValue::text(kMarker));
  BOOST_REQUIRE(gate->begin_tek_rotation(scope).ok());
  auto handle = gate->release(alice, scope);
  BOOST_REQUIRE(handle.ok());
  auto v2 = ColumnCipher::from_handle(*handle);
  BOOST_REQUIRE(v2.ok());
  BOOST_TEST(v2->key_version() == 2u);
  auto got = v2->open(ssn, ColumnMode::kDeterministic, kNoRow, *sealed);
  BOOST_REQUIRE(!got.ok());
  BOOST_TEST(got.error().code == sqlstate::kDataCorrupted);
  BOOST_TEST(got.error().message.find("key version 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_result_path_opens_a_randomized_value_by_its_own_row) {
  auto c = cipher();
  auto sealed = c.seal(ssn, ColumnMode::kRandomized, row(-3), PlainValue::text(kMarker));
  auto got = c.open(ssn, ColumnMode::kRandomized, kNoRow, *sealed);
  BOOST_REQUIRE(got.ok());
  BOOST_TEST(got->as_text() == kMarker);
}

BOOST_AUTO_TEST_CASE(randomized_needs_a_row_and_deterministic_refuses_one) {
  auto c = cipher();
  auto r = c.seal(ssn, ColumnMode::kRandomized, kNoRow, PlainValue::integer(1));
  auto d = c.seal(ssn, ColumnMode::kDeterministic, row(1), PlainValue::integer(1));
  BOOST_REQUIRE(!r.ok());
  BOOST_REQUIRE(!d.ok());
  BOOST_TEST(r.error().code == sqlstate::kInvalidParameterValue);
  BOOST_TEST(d.error().code == sqlstate::kInvalidParameterValue);
}

BOOST_AUTO_TEST_CASE(an_unauthorized_session_gets_no_column_key_and_no_audit_event) {
  auto handle = gate->release(mallory, scope);
  BOOST_REQUIRE(!handle.ok());
  BOOST_TEST(handle.error().code == sqlstate::kInsufficientPrivilege);
  BOOST_TEST(audit.events().empty());
  (void)cipher();
  BOOST_REQUIRE(audit.events().size() == 1u);
  BOOST_TEST(audit.events()[0].key_id == "columns:main.patients@v1");
  BOOST_TEST(audit.events()[0].user == "alice");
}

BOOST_AUTO_TEST_CASE(a_locked_key_makes_no_cipher) {
  auto handle = gate->release(alice, scope);
  BOOST_REQUIRE(handle.ok());
  const crypto::KeyScope scopes[] = {scope};
  gate->lock_scopes(scopes);  // LOCK REALM
  auto c = ColumnCipher::from_handle(*handle);
  BOOST_REQUIRE(!c.ok());
  BOOST_TEST(c.error().code == sqlstate::kSystemError);
}

BOOST_AUTO_TEST_CASE(only_a_columns_scope_key_makes_a_column_cipher) {
  const auto ts = crypto::KeyScope::tablespace("users");
  BOOST_REQUIRE(store->create_tek(ts).ok());
  authorizer.grant(alice.session_id, ts);
  auto handle = gate->release(alice, ts);
  BOOST_REQUIRE(handle.ok());
  auto c = ColumnCipher::from_handle(*handle);
  BOOST_REQUIRE(!c.ok());
  BOOST_TEST(c.error().code == sqlstate::kInvalidParameterValue);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace dbvault::storage::columns::test
