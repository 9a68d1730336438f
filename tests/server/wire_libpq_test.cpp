// Interoperability of the codec with real clients: a minimal test-only server loop (one
// connection, SCRAM-SHA-256, simple queries answered with fixed rows) built from the Decoder,
// the encoder, ScramServer and pg_types, driven by psql 15 (libpq) and by psycopg2. The
// clients check what matters here: that libpq accepts our framing and SCRAM exchange, and
// that psycopg2 turns our OIDs and text forms into the right Python values. Skipped when the
// clients are not installed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "server/wire/decoder.h"
#include "server/wire/encoder.h"
#include "server/wire/pg_types.h"
#include "server/wire/scram.h"

using namespace dbvault;
using namespace dbvault::server::wire;

namespace {

// RFC 7677's verifier: user "user", password "pencil".
constexpr std::string_view kVerifier =
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

struct Column {
  std::string name;
  std::string decltype_;
  SqlValue value;
};
const std::vector<Column>& row() {
  static const std::vector<Column> r{
      {"i", "INTEGER", std::int64_t{42}},
      {"t", "TEXT", std::string("héllo")},
      {"b", "BOOLEAN", std::int64_t{1}},
      {"n", "NUMERIC(10,2)", std::string("12.50")},
      {"ts", "TIMESTAMPTZ", std::string("2024-01-01 10:00:00+02:00")},
      {"d", "DATE", std::string("2024-02-29")},
      {"by", "BLOB", Blob{"\x01\xff"}},
      {"f", "REAL", 0.1},
      {"z", "TEXT", SqlValue()},
  };
  return r;
}

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

void send_all(int fd, const std::string& bytes) {
  for (std::size_t off = 0; off < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

void answer_query(std::string& out) {
  std::vector<FieldDescription> fields;
  std::vector<std::optional<std::string>> values;
  for (const auto& c : row()) {
    const Oid type = oid_for_declared_type(c.decltype_, storage_class(c.value));
    fields.push_back({c.name, 0, 0, type, type_size(type), -1, Format::kText});
    values.push_back(*encode_text(type, c.value));
  }
  (void)append_row_description(out, fields);
  (void)append_data_row(out, values);
  append_command_complete(out, "SELECT 1");
}

// Serves one connection; returns how authentication ended.
std::string serve_one(int listener) {
  // Never hang the suite: a client that does not come, or stops talking, ends the test.
  pollfd pfd{listener, POLLIN, 0};
  if (::poll(&pfd, 1, 30'000) != 1) return "no client";
  FdCloser conn(::accept(listener, nullptr, nullptr));
  if (conn.get() < 0) return "accept failed";
  const timeval timeout{30, 0};
  ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  Decoder decoder;
  std::optional<ScramServer> scram;
  bool first_sent = false;
  std::string outcome = "no authentication";
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(conn.get(), buf, sizeof buf, 0);
    if (n <= 0) return outcome;
    decoder.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    for (;;) {
      auto m = decoder.next();
      if (!m.ok()) return "decoder: " + m.error().message;
      if (!m->has_value()) break;
      std::string out;
      FrontendMessage& msg = **m;
      if (std::holds_alternative<SslRequest>(msg) || std::holds_alternative<GssEncRequest>(msg)) {
        append_ssl_answer(out, false);
      } else if (std::holds_alternative<Startup>(msg)) {
        scram.emplace(ScramServer::create(kVerifier).value());
        decoder.set_max_message_size(kMaxAuthMessageSize);
        const auto mechs = ScramServer::mechanisms(false);
        append_authentication_sasl(out, mechs);
      } else if (auto* p = std::get_if<PasswordPacket>(&msg)) {
        Result<std::string> step = std::string();
        if (!first_sent) {
          auto initial = parse_sasl_initial(p->payload.reveal());
          step = initial.ok() && initial->client_data
                     ? scram->handle_client_first(initial->mechanism, *initial->client_data)
                     : Result<std::string>(make_error(sqlstate::kProtocolViolation, "bad"));
          if (step.ok()) append_authentication_sasl_continue(out, *step);
          first_sent = true;
        } else {
          step = scram->handle_client_final(p->payload.reveal());
          if (step.ok()) {
            append_authentication_sasl_final(out, *step);
            append_authentication_ok(out);
            append_parameter_status(out, "server_version", "15.0");
            append_parameter_status(out, "client_encoding", "UTF8");
            append_parameter_status(out, "DateStyle", "ISO, MDY");
            append_parameter_status(out, "TimeZone", "UTC");
            append_parameter_status(out, "integer_datetimes", "on");
            append_parameter_status(out, "standard_conforming_strings", "on");
            append_backend_key_data(out, 1, 2);
            append_ready_for_query(out, 'I');
            outcome = "authenticated";
          }
        }
        if (!step.ok()) {
          append_error_response(out, error_fields(step.error(), "FATAL"));
          send_all(conn.get(), out);
          return "refused: " + step.error().message;
        }
      } else if (auto* q = std::get_if<Query>(&msg)) {
        if (q->sql == "SELECT") {
          answer_query(out);
        } else {
          append_command_complete(out, q->sql.substr(0, q->sql.find(' ')));
        }
        append_ready_for_query(out, 'I');
      } else if (std::holds_alternative<Terminate>(msg)) {
        return outcome;
      }
      send_all(conn.get(), out);
    }
  }
}

// Listens on a free loopback port, serves one connection while `client` runs.
struct OneShotServer {
  OneShotServer() : listener(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    BOOST_REQUIRE(::listen(listener.get(), 1) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    thread = std::thread([this] { outcome = serve_one(listener.get()); });
  }
  ~OneShotServer() {
    if (thread.joinable()) thread.join();
  }
  std::string finish() {
    thread.join();
    return outcome;
  }
  FdCloser listener;
  int port = 0;
  std::thread thread;
  std::string outcome;
};

// Runs a shell command; returns its standard output and sets `status`.
std::string run(const std::string& command, int& status) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  BOOST_REQUIRE(p != nullptr);
  char buf[512];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  status = ::pclose(p);
  return out;
}

std::string conninfo(int port) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=user dbname=db sslmode=disable";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_libpq)

BOOST_AUTO_TEST_CASE(psql_authenticates_with_scram_and_reads_a_row) {
  if (!std::filesystem::exists("/usr/bin/psql")) {
    BOOST_TEST_MESSAGE("psql not installed: skipped");
    return;
  }
  OneShotServer server;
  int status = 0;
  const std::string out = run("PGPASSWORD=pencil PGCONNECT_TIMEOUT=10 /usr/bin/psql '" +
                                  conninfo(server.port) + "' -AtX -c 'SELECT' 2>&1",
                              status);
  BOOST_TEST(server.finish() == "authenticated");
  BOOST_TEST(status == 0);
  BOOST_TEST(out == "42|héllo|t|12.50|2024-01-01 08:00:00+00|2024-02-29|\\x01ff|0.1|\n");
}

BOOST_AUTO_TEST_CASE(psql_with_a_wrong_password_is_refused_with_28P01) {
  if (!std::filesystem::exists("/usr/bin/psql")) {
    BOOST_TEST_MESSAGE("psql not installed: skipped");
    return;
  }
  OneShotServer server;
  int status = 0;
  const std::string out = run("PGPASSWORD=pencil2 PGCONNECT_TIMEOUT=10 /usr/bin/psql '" +
                                  conninfo(server.port) + "' -AtX -c 'SELECT' 2>&1",
                              status);
  BOOST_TEST(server.finish() == "refused: password authentication failed");
  BOOST_TEST(status != 0);
  BOOST_TEST(out.find("password authentication failed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(psycopg2_maps_our_oids_and_text_forms_to_python_values) {
  int status = 0;
  run("/usr/bin/python3 -c 'import psycopg2' 2>/dev/null", status);
  if (status != 0) {
    BOOST_TEST_MESSAGE("python3-psycopg2 not installed: skipped");
    return;
  }
  OneShotServer server;
  const std::string script =
      "import psycopg2\n"
      "c = psycopg2.connect('" +
      conninfo(server.port) +
      " password=pencil')\n"
      "c.autocommit = True\n"
      "cur = c.cursor()\n"
      "cur.execute('SELECT')\n"
      "r = cur.fetchone()\n"
      "print(r[0] + 1, r[1], r[2] is True, r[3] * 2, r[4].isoformat(), r[5].isoformat(),\n"
      "      bytes(r[6]).hex(), r[7] * 10, r[8])\n"
      "c.close()\n";
  const std::string out = run("/usr/bin/python3 -c \"" + script + "\" 2>&1", status);
  BOOST_TEST(server.finish() == "authenticated");
  BOOST_TEST(status == 0);
  BOOST_TEST(out == "43 héllo True 25.00 2024-01-01T08:00:00+00:00 2024-02-29 01ff 1.0 None\n");
}

BOOST_AUTO_TEST_SUITE_END()
