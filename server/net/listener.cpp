#include "server/net/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace dbvault::server::net {
namespace {

Error socket_error(const std::string& what) {
  return make_error(sqlstate::kSystemError, what + ": " + std::strerror(errno));
}

Peer peer_of(const sockaddr_storage& addr) {
  Peer peer;
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    peer.port = ntohs(in.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    peer.port = ntohs(in6.sin6_port);
  }
  peer.address = text;
  if (peer.address.starts_with("::ffff:")) peer.address = peer.address.substr(7);
  return peer;
}

}  // namespace

Result<std::unique_ptr<Listener>> Listener::open(const std::string& host, std::uint16_t port) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return make_error(sqlstate::kSystemError,
                      "cannot resolve listen address " + where + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, freeaddrinfo);
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, 0);
  if (fd < 0) return socket_error("cannot create a socket for " + where);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
    Error e = socket_error("cannot listen on " + where);
    ::close(fd);
    return e;
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) {
    Error e = socket_error("cannot create a pipe");
    ::close(fd);
    return e;
  }
  return std::unique_ptr<Listener>(new Listener(fd, wake[0], wake[1], peer_of(bound).port));
}

Listener::~Listener() {
  ::close(fd_);
  ::close(wake_read_);
  ::close(wake_write_);
}

void Listener::run(const std::function<void(int fd, Peer peer)>& on_accept) {
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int client = ::accept4(fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EMFILE || errno == ENFILE) ::usleep(10000);  // out of descriptors: back off
      continue;
    }
    const int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    on_accept(client, peer_of(addr));
  }
}

void Listener::stop() {
  const char byte = 1;
  [[maybe_unused]] const auto n = ::write(wake_write_, &byte, 1);
}

}  // namespace dbvault::server::net
