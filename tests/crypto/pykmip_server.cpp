#include "tests/crypto/pykmip_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace dbvault::crypto::test {
namespace {

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kServer = "/usr/bin/pykmip-server";

// Makes ca.pem (the server's and the clients' CA), srv.pem/srv.key, cli.pem/cli.key,
// other.pem/other.key (a second client identity of the same CA), and a second CA
// (rogue-ca.pem) with rogue.pem/rogue.key. PyKMIP requires the clientAuth extended
// key usage on client certificates and takes the client identity from the common name.
constexpr const char* kMakeCerts = R"sh(set -e
cat > ext.cnf <<'EOF'
[srv]
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyAgreement
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1
[cli]
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyAgreement
extendedKeyUsage=clientAuth
EOF
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
for ca in ca rogue-ca; do
  openssl req -x509 $ec -keyout $ca.key -out $ca.pem -days 2 -subj /CN=$ca
done
leaf() {  # name ca extension
  openssl req $ec -keyout $1.key -out $1.csr -subj /CN=$1
  openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -out $1.pem -days 2 \
    -extfile ext.cnf -extensions $3
}
leaf srv ca srv
leaf cli ca cli
leaf other ca cli
leaf rogue rogue-ca cli
chmod 600 *.key
)sh";

bool can_connect(std::uint16_t port) {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

}  // namespace

bool pykmip_installed() {
  const std::string cmd = std::string(kPython) + " -c 'import kmip.services.server' 2>/dev/null";
  return std::system(cmd.c_str()) == 0 && ::access(kServer, X_OK) == 0;
}

std::uint16_t free_loopback_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(s);
    throw std::runtime_error("no free loopback port");
  }
  ::close(s);
  return ntohs(a.sin_port);
}

PyKmip::PyKmip() {
  std::ofstream(dir() / "make-certs.sh") << kMakeCerts;
  const std::string cmd = "cd '" + dir().string() + "' && sh make-certs.sh >openssl.log 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("making test certificates failed");
  std::filesystem::create_directories(dir() / "policies");
  port_ = free_loopback_port();
  const std::string d = dir().string();
  std::ofstream(dir() / "server.conf")
      << "[server]\nhostname=127.0.0.1\nport=" << port_ << "\ncertificate_path=" << d
      << "/srv.pem\nkey_path=" << d << "/srv.key\nca_path=" << d
      << "/ca.pem\nauth_suite=TLS1.2\nenable_tls_client_auth=True\nlogging_level=INFO\n"
      << "policy_path=" << d << "/policies\ndatabase_path=" << d << "/pykmip.db\n";
  start();
}

PyKmip::~PyKmip() { stop(); }

void PyKmip::start() {
  if (pid_ > 0) return;
  const std::string conf = (dir() / "server.conf").string();
  const std::string log = (dir() / "server.log").string();
  const std::string out = (dir() / "stdout.log").string();
  std::fflush(nullptr);  // or the child would write our buffered output a second time
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);  // its own process group: PyKMIP forks helpers, stop() ends them all
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execl(kPython, kPython, kServer, "-f", conf.c_str(), "-l", log.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (pid_ < 0) throw std::runtime_error("fork failed");
  // Start-up (Python imports) takes about a second; poll the port, bounded at 30 s.
  for (int i = 0; i < 300; ++i) {
    if (can_connect(port_)) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("pykmip-server exited at start; see " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop();
  throw std::runtime_error("pykmip-server did not listen on its port within 30 s");
}

void PyKmip::stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  bool exited = false;
  for (int i = 0; i < 100 && !exited; ++i) {
    int status = 0;
    exited = ::waitpid(pid_, &status, WNOHANG) == pid_;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-pid_, SIGKILL);  // whatever is left of the group
  if (!exited) ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

KmipOptions PyKmip::options(bool create, const std::string& key_name) const {
  KmipOptions o;
  o.host = "127.0.0.1";
  o.port = port_;
  o.cert_path = (dir() / "cli.pem").string();
  o.key_path = (dir() / "cli.key").string();
  o.ca_path = (dir() / "ca.pem").string();
  o.key_name = key_name;
  o.create_key_if_missing = create;
  o.connect_timeout = std::chrono::milliseconds(3000);
  o.io_timeout = std::chrono::milliseconds(5000);
  return o;
}

KmipOptions PyKmip::client(const std::string& name, const std::string& key_name) const {
  KmipOptions o = options(false, key_name);
  o.cert_path = (dir() / (name + ".pem")).string();
  o.key_path = (dir() / (name + ".key")).string();
  return o;
}

}  // namespace dbvault::crypto::test
