// Interoperability of the codec with real clients: a minimal test-only server loop (one
// connection, SCRAM-SHA-256, simple queries answered with fixed rows) built from the Decoder,
// the encoder, ScramServer and pg_types, driven by psql 15 (libpq) and by psycopg2. The
// clients check what matters here: that libpq accepts our framing and SCRAM exchange, and
// that psycopg2 turns our OIDs and text forms into the right Python values. Skipped when the
// clients are not installed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
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
#include "tests/support/temp_dir.h"

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

// The connection: plain TCP, or TLS once the client asked for it and the test offers it.
struct Transport {
  int fd = -1;
  SSL* ssl = nullptr;
  ~Transport() {
    if (ssl != nullptr) SSL_free(ssl);
  }
  long read(char* buf, std::size_t size) {
    if (ssl != nullptr) return SSL_read(ssl, buf, static_cast<int>(size));
    return ::recv(fd, buf, size, 0);
  }
  void write(const std::string& bytes) {
    for (std::size_t off = 0; off < bytes.size();) {
      const long n = ssl != nullptr
                         ? SSL_write(ssl, bytes.data() + off, static_cast<int>(bytes.size() - off))
                         : ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }
};

// A self-signed certificate made with the openssl command (ECDSA with SHA-384), loaded into a
// TLS 1.3 server context; `binding` is its tls-server-end-point data.
struct TlsServer {
  explicit TlsServer(const std::filesystem::path& dir) : ctx(SSL_CTX_new(TLS_server_method())) {
    const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -sha384 -days 1 -subj /CN=localhost -keyout " +
        key + " -out " + cert + " >/dev/null 2>&1";
    BOOST_REQUIRE(std::system(cmd.c_str()) == 0);
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    BOOST_REQUIRE(SSL_CTX_use_certificate_file(ctx, cert.c_str(), SSL_FILETYPE_PEM) == 1);
    BOOST_REQUIRE(SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) == 1);
    unsigned char* der = nullptr;
    const int len = i2d_X509(SSL_CTX_get0_certificate(ctx), &der);
    auto hash =
        tls_server_end_point(std::span<const std::uint8_t>(der, static_cast<std::size_t>(len)));
    OPENSSL_free(der);
    BOOST_REQUIRE(hash.ok());
    binding = *hash;
  }
  ~TlsServer() { SSL_CTX_free(ctx); }
  SSL_CTX* ctx;
  std::vector<std::uint8_t> binding;
};

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
std::string serve_one(int listener, const TlsServer* tls) {
  // Never hang the suite: a client that does not come, or stops talking, ends the test.
  pollfd pfd{listener, POLLIN, 0};
  if (::poll(&pfd, 1, 30'000) != 1) return "no client";
  FdCloser conn(::accept(listener, nullptr, nullptr));
  if (conn.get() < 0) return "accept failed";
  const timeval timeout{30, 0};
  ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  Transport io{conn.get()};
  Decoder decoder;
  std::optional<ScramServer> scram;
  bool first_sent = false;
  std::string outcome = "no authentication";
  char buf[4096];
  for (;;) {
    const long n = io.read(buf, sizeof buf);
    if (n <= 0) return outcome;
    decoder.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    for (;;) {
      auto m = decoder.next();
      if (!m.ok()) return "decoder: " + m.error().message;
      if (!m->has_value()) break;
      std::string out;
      FrontendMessage& msg = **m;
      if (std::holds_alternative<SslRequest>(msg) && tls != nullptr) {
        io.write("S");
        io.ssl = SSL_new(tls->ctx);
        SSL_set_fd(io.ssl, conn.get());
        if (SSL_accept(io.ssl) != 1) return "TLS handshake failed";
        continue;
      } else if (std::holds_alternative<SslRequest>(msg) ||
                 std::holds_alternative<GssEncRequest>(msg)) {
        append_ssl_answer(out, false);
      } else if (std::holds_alternative<Startup>(msg)) {
        ScramOptions options;
        if (io.ssl != nullptr) options.channel_binding = tls->binding;
        scram.emplace(ScramServer::create(kVerifier, options).value());
        decoder.set_max_message_size(kMaxAuthMessageSize);
        const auto mechs = ScramServer::mechanisms(io.ssl != nullptr);
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
          io.write(out);
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
      io.write(out);
    }
  }
}

// Listens on a free loopback port, serves one connection while `client` runs.
struct OneShotServer {
  explicit OneShotServer(const TlsServer* tls = nullptr)
      : listener(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    BOOST_REQUIRE(::listen(listener.get(), 1) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    thread = std::thread([this, tls] { outcome = serve_one(listener.get(), tls); });
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

std::string conninfo(int port, std::string_view tls = "sslmode=disable") {
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=user dbname=db " + std::string(tls);
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

BOOST_AUTO_TEST_CASE(psql_over_tls_with_channel_binding_required_uses_scram_plus) {
  if (!std::filesystem::exists("/usr/bin/psql")) {
    BOOST_TEST_MESSAGE("psql not installed: skipped");
    return;
  }
  dbvault::test::TempDir dir("wire-tls");
  TlsServer tls(dir.path());
  OneShotServer server(&tls);
  int status = 0;
  const std::string out = run("PGPASSWORD=pencil PGCONNECT_TIMEOUT=10 /usr/bin/psql '" +
                                  conninfo(server.port, "sslmode=require channel_binding=require") +
                                  "' -AtX -c 'SELECT' 2>&1",
                              status);
  BOOST_TEST(server.finish() == "authenticated");
  BOOST_TEST(status == 0);
  BOOST_TEST(out.starts_with("42|"));
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
