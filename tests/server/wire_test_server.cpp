#include "tests/server/wire_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <optional>

#include "server/wire/decoder.h"
#include "server/wire/encoder.h"
#include "server/wire/pg_types.h"
#include "server/wire/scram.h"

namespace dbvault::server::wire::test {

namespace {

constexpr std::string_view kVerifier =
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

struct Column {
  std::string name;
  std::string declared;
  SqlValue value;
};
const std::vector<Column>& fixed_row() {
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

// The connection: plain TCP, or TLS once the client asked for it and the test offers it.
struct Transport {
  int fd = -1;
  SSL* ssl = nullptr;
  ~Transport() {
    if (ssl != nullptr) SSL_free(ssl);
    if (fd >= 0) ::close(fd);
  }
  long read(char* buf, std::size_t size) {
    if (ssl != nullptr) return SSL_read(ssl, buf, static_cast<int>(size));
    return ::recv(fd, buf, size, 0);
  }
  void write(const std::string& bytes) {
    for (std::size_t off = 0; off < bytes.size();) {
      const char* p = bytes.data() + off;
      const std::size_t left = bytes.size() - off;
      const long n = ssl != nullptr ? SSL_write(ssl, p, static_cast<int>(left))
                                    : ::send(fd, p, left, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }
};

class Session {
 public:
  Session(int fd, const TlsServer* tls) : tls_(tls) { io_.fd = fd; }

  std::string run() {
    std::string outcome = serve();
    return failure_.empty() ? outcome : "error: " + failure_;
  }

 private:
  std::string serve() {
    char buf[4096];
    for (;;) {
      const long n = io_.read(buf, sizeof buf);
      if (n <= 0) return outcome_;
      decoder_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
      for (;;) {
        auto m = decoder_.next();
        if (!m.ok()) return "decoder: " + m.error().message;
        if (!m->has_value()) break;
        std::string out;
        const bool go_on = handle(**m, out);
        io_.write(out);
        if (!go_on) return outcome_;
      }
    }
  }

  bool handle(FrontendMessage& msg, std::string& out) {
    if (std::holds_alternative<SslRequest>(msg) && tls_ != nullptr) {
      io_.write("S");
      io_.ssl = SSL_new(tls_->ctx);
      SSL_set_fd(io_.ssl, io_.fd);
      if (SSL_accept(io_.ssl) == 1) return true;
      outcome_ = "TLS handshake failed";
      return false;
    }
    if (std::holds_alternative<SslRequest>(msg) || std::holds_alternative<GssEncRequest>(msg)) {
      append_ssl_answer(out, false);
    } else if (std::holds_alternative<Startup>(msg)) {
      ScramOptions options;
      if (io_.ssl != nullptr) options.channel_binding = tls_->binding;
      scram_.emplace(ScramServer::create(kVerifier, options).value());
      decoder_.set_max_message_size(kMaxAuthMessageSize);
      append_authentication_sasl(out, ScramServer::mechanisms(io_.ssl != nullptr));
    } else if (auto* p = std::get_if<PasswordPacket>(&msg)) {
      return authenticate(p->payload.reveal(), out);
    } else if (auto* q = std::get_if<Query>(&msg)) {
      query(q->sql, out);
    } else if (auto* data = std::get_if<CopyData>(&msg)) {
      copied_ += data->bytes;
    } else if (std::holds_alternative<CopyDone>(msg)) {
      // COPY FROM STDIN ends: the rows received are what COPY TO STDOUT sends back.
      append_command_complete(
          out, "COPY " + std::to_string(std::count(copied_.begin(), copied_.end(), '\n')));
      append_ready_for_query(out, 'I');
    } else if (auto* f = std::get_if<CopyFail>(&msg)) {
      append_error_response(out, error_fields(make_error(SqlState("57014"),
                                                         "COPY from stdin failed: " + f->message)));
      append_ready_for_query(out, 'I');
    } else if (auto* parse = std::get_if<Parse>(&msg)) {
      param_types_ = parse->param_type_oids;
      append_parse_complete(out);
    } else if (auto* bind = std::get_if<Bind>(&msg)) {
      bind_(*bind, out);
    } else if (auto* d = std::get_if<Describe>(&msg)) {
      if (d->kind == 'S') (void)append_parameter_description(out, param_types_);
      describe(out, result_formats_);
    } else if (std::holds_alternative<Execute>(msg)) {
      rows(out, result_formats_);
    } else if (std::holds_alternative<Sync>(msg)) {
      append_ready_for_query(out, 'I');
    } else if (std::holds_alternative<Close>(msg)) {
      append_close_complete(out);
    } else if (std::holds_alternative<Terminate>(msg)) {
      return false;
    }
    return true;
  }

  void query(const std::string& sql, std::string& out) {
    const std::vector<Format> two_text{Format::kText, Format::kText};
    if (sql.starts_with("SELECT")) {
      describe(out, {});
      rows(out, {});
    } else if (sql.starts_with("COPY") && sql.find("FROM STDIN") != std::string::npos) {
      (void)append_copy_in_response(out, Format::kText, two_text);
      return;  // ReadyForQuery comes after CopyDone
    } else if (sql.starts_with("COPY") && sql.find("TO STDOUT") != std::string::npos) {
      (void)append_copy_out_response(out, Format::kText, two_text);
      (void)append_copy_data(out, copied_);
      append_copy_done(out);
      append_command_complete(
          out, "COPY " + std::to_string(std::count(copied_.begin(), copied_.end(), '\n')));
    } else {
      append_command_complete(out, sql.substr(0, sql.find(' ')));
    }
    append_ready_for_query(out, 'I');
  }

  bool authenticate(std::string_view payload, std::string& out) {
    Result<std::string> step = std::string();
    if (!first_sent_) {
      auto initial = parse_sasl_initial(payload);
      step = initial.ok() && initial->client_data
                 ? scram_->handle_client_first(initial->mechanism, *initial->client_data)
                 : Result<std::string>(make_error(sqlstate::kProtocolViolation, "bad"));
      if (step.ok()) append_authentication_sasl_continue(out, *step);
      first_sent_ = true;
    } else {
      step = scram_->handle_client_final(payload);
    }
    if (!step.ok()) {
      append_error_response(out, error_fields(step.error(), "FATAL"));
      outcome_ = "refused: " + step.error().message;
      return false;
    }
    if (scram_->authenticated()) {
      append_authentication_sasl_final(out, *step);
      append_authentication_ok(out);
      for (const auto& [k, v] : {std::pair{"server_version", "15.0"},
                                 {"client_encoding", "UTF8"},
                                 {"DateStyle", "ISO, MDY"},
                                 {"TimeZone", "UTC"},
                                 {"integer_datetimes", "on"},
                                 {"standard_conforming_strings", "on"}}) {
        append_parameter_status(out, k, v);
      }
      append_backend_key_data(out, 1, 2);
      append_ready_for_query(out, 'I');
      decoder_.set_max_message_size(DecoderOptions{}.max_message_size);
      outcome_ = "authenticated";
    }
    return true;
  }

  // Boost.Test's assertions are not for other threads: failures end up in the outcome.
  void fail(std::string message) { failure_ = std::move(message); }

  void bind_(const Bind& bind, std::string& out) {
    result_formats_ = bind.result_formats;
    param_.reset();
    if (!bind.params.empty()) {
      const Oid type = param_types_.empty() ? oid::kUnspecified : param_types_[0];
      auto v = decode_param(type, bind.param_format(0), bind.params[0]);
      if (!v.ok()) return fail(v.error().message);
      param_ = *v;
    }
    append_bind_complete(out);
  }

  std::vector<Column> columns() const {
    std::vector<Column> cols = fixed_row();
    if (param_) cols.push_back({"p", "TEXT", *param_});
    return cols;
  }
  static Format format_of(const std::vector<Format>& formats, std::size_t i) {
    if (formats.empty()) return Format::kText;
    return formats.size() == 1 ? formats[0] : formats[i];
  }

  void describe(std::string& out, const std::vector<Format>& formats) const {
    std::vector<FieldDescription> fields;
    const auto cols = columns();
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const Oid type = oid_for_declared_type(cols[i].declared, storage_class(cols[i].value));
      fields.push_back({cols[i].name, 0, 0, type, type_size(type), -1, format_of(formats, i)});
    }
    (void)append_row_description(out, fields);
  }

  void rows(std::string& out, const std::vector<Format>& formats) {
    std::vector<std::optional<std::string>> values;
    const auto cols = columns();
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const Oid type = oid_for_declared_type(cols[i].declared, storage_class(cols[i].value));
      auto v = encode(type, format_of(formats, i), cols[i].value);
      if (!v.ok()) return fail(v.error().message);
      values.push_back(*v);
    }
    (void)append_data_row(out, values);
    append_command_complete(out, "SELECT 1");
  }

  const TlsServer* tls_;
  Transport io_;
  Decoder decoder_;
  std::optional<ScramServer> scram_;
  bool first_sent_ = false;
  std::string outcome_ = "no authentication";
  std::string failure_;
  std::vector<Oid> param_types_;
  std::vector<Format> result_formats_;
  std::optional<SqlValue> param_;
  std::string copied_;  // what COPY FROM STDIN received
};

std::string serve_one(int listener, const TlsServer* tls) {
  // Never hang the suite: a client that does not come, or stops talking, ends the test.
  pollfd pfd{listener, POLLIN, 0};
  if (::poll(&pfd, 1, 30'000) != 1) return "no client";
  const int fd = ::accept(listener, nullptr, nullptr);
  if (fd < 0) return "accept failed";
  const timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return Session(fd, tls).run();
}

}  // namespace

TlsServer::TlsServer(const std::filesystem::path& dir) : ctx(SSL_CTX_new(TLS_server_method())) {
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha384 "
      "-days 1 -subj /CN=localhost -keyout " +
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

TlsServer::~TlsServer() { SSL_CTX_free(ctx); }

OneShotServer::OneShotServer(const TlsServer* tls) : listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  BOOST_REQUIRE(::listen(listener_, 1) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this, tls] { outcome_ = serve_one(listener_, tls); });
}

OneShotServer::~OneShotServer() {
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
}

std::string OneShotServer::finish() {
  if (thread_.joinable()) thread_.join();
  return outcome_;
}

}  // namespace dbvault::server::wire::test
