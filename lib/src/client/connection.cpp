#include "client/connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "krtool/cert/alt_names.hpp"
#include "krtool/error.hpp"
#include "util/text.hpp"

namespace krtool::client {

int Deadline::remaining_ms() const {
  // Rounded up: poll() given the rounded-down time would return before the deadline, which then
  // counts as passed up to a millisecond early.
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(end_ - now_());
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count()));
}

Deadline Deadline::sooner(std::chrono::milliseconds budget) const {
  return Deadline(now_, std::min(end_, now_() + budget));
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

int Socket::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

bool wait_for(int fd, bool writable, const Deadline& deadline) {
  for (;;) {
    pollfd entry{fd, static_cast<short>(writable ? POLLOUT : POLLIN), 0};
    const int ready = ::poll(&entry, 1, deadline.remaining_ms());
    if (ready > 0) return true;
    // The deadline's clock decides, not poll's: an injected clock (tests) runs apart from poll's, and
    // with the steady clock remaining_ms() rounds up, so this answers at once.
    if (ready == 0) {
      if (deadline.passed()) return false;
      continue;
    }
    if (errno != EINTR) return false;  // poll itself failed (EBADF, ENOMEM): give up rather than spin
  }
}

namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* list) const noexcept { freeaddrinfo(list); }
};

std::string format_address(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    return fmt::format("[{}]:{}", text, ntohs(v6->sin6_port));
  }
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
  inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
  return fmt::format("{}:{}", text, ntohs(v4->sin_port));
}

// connect_one makes one non-blocking attempt; the failure text is errno's, or "timed out".
std::variant<Socket, ConnectFailure> connect_one(const addrinfo& address, const Deadline& deadline) {
  Socket socket(
      ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, address.ai_protocol));
  if (!socket) return ConnectFailure{"could not open a socket", std::strerror(errno)};
  const int one = 1;
  ::setsockopt(socket.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(socket.fd(), address.ai_addr, address.ai_addrlen) == 0) return socket;
  if (errno != EINPROGRESS) {
    const int error = errno;
    return ConnectFailure{error == ECONNREFUSED ? "connection refused" : "could not connect",
                          std::strerror(error)};
  }
  if (!wait_for(socket.fd(), true, deadline))
    return ConnectFailure{"timed out", "no answer to the TCP connection request"};
  int error = 0;
  socklen_t length = sizeof error;
  ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
  if (error == 0) return socket;
  if (error == ECONNREFUSED) return ConnectFailure{"connection refused", std::strerror(error)};
  if (error == ENETUNREACH || error == EHOSTUNREACH)
    return ConnectFailure{"unreachable", std::strerror(error)};
  return ConnectFailure{"could not connect", std::strerror(error)};
}

// Lookup is one asynchronous name resolution; it must stay alive until the resolver is done with it.
struct Lookup {
  std::string host, service;
  addrinfo hints{};
  gaicb request{};
};

// resolve is getaddrinfo bounded by the deadline (the resolver's own timeouts, times its retries and
// search domains, can run to tens of seconds). The caller frees the list with freeaddrinfo.
std::variant<addrinfo*, ConnectFailure> resolve(const std::string& host, const std::string& service,
                                                const addrinfo& hints, const Deadline& deadline) {
  auto lookup = std::make_unique<Lookup>();
  lookup->host = host;
  lookup->service = service;
  lookup->hints = hints;
  lookup->request.ar_name = lookup->host.c_str();
  lookup->request.ar_service = lookup->service.c_str();
  lookup->request.ar_request = &lookup->hints;
  gaicb* requests[1] = {&lookup->request};
  if (const int status = getaddrinfo_a(GAI_NOWAIT, requests, 1, nullptr); status != 0) {
    return ConnectFailure{"could not resolve", fmt::format("'{}': {}", host, gai_strerror(status))};
  }
  for (;;) {
    const int left = deadline.remaining_ms();
    const timespec wait{left / 1000, (left % 1000) * 1'000'000L};
    gai_suspend(requests, 1, &wait);
    const int status = gai_error(&lookup->request);
    if (status == 0) return lookup->request.ar_result;
    if (status != EAI_INPROGRESS)
      return ConnectFailure{"could not resolve", fmt::format("'{}': {}", host, gai_strerror(status))};
    if (deadline.passed()) {
      const int cancelled = gai_cancel(&lookup->request);
      if (cancelled == EAI_ALLDONE) continue;  // it finished meanwhile: take the answer
      if (cancelled == EAI_NOTCANCELED)
        (void)lookup.release();  // the resolver still writes to it: leave it be
      return ConnectFailure{"timed out",
                            fmt::format("resolving '{}' took longer than the time allowed", host)};
    }
  }
}

}  // namespace

std::variant<Connected, ConnectFailure> connect_to(const std::string& host, int port,
                                                   const std::vector<HostOverride>& overrides,
                                                   const Deadline& deadline) {
  std::string lookup = host;
  for (const HostOverride& entry : overrides) {
    if (entry.port == port && util::equals_ignoring_case(entry.host, host)) lookup = entry.address;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // No AI_ADDRCONFIG: it hides ::1 for "localhost" on hosts whose only IPv6 address is loopback, and a
  // development server is often on exactly that address.
  if (lookup != host) hints.ai_flags = AI_NUMERICHOST;  // --resolve gives an address, never a name
  auto resolved = resolve(lookup, std::to_string(port), hints, deadline);
  if (auto* failure = std::get_if<ConnectFailure>(&resolved)) return *failure;
  const std::unique_ptr<addrinfo, AddrInfoDeleter> list(std::get<addrinfo*>(resolved));
  ConnectFailure last{"could not resolve", fmt::format("'{}' has no address", lookup)};
  std::vector<std::string> tried;  // every address and why it failed, for the report
  for (const addrinfo* address = list.get(); address != nullptr; address = address->ai_next) {
    auto attempt = connect_one(*address, deadline);
    if (auto* socket = std::get_if<Socket>(&attempt))
      return Connected{std::move(*socket), format_address(address->ai_addr)};
    last = std::get<ConnectFailure>(attempt);
    tried.push_back(fmt::format("{} ({})", format_address(address->ai_addr), last.detail));
    if (deadline.passed()) break;
  }
  if (!tried.empty()) last.detail = fmt::format("{}", fmt::join(tried, "; "));
  return last;
}

HostOverride parse_host_override(const std::string& text) {
  // HOST:PORT:ADDR, where ADDR may be an IPv6 literal with or without brackets.
  const std::size_t first = text.find(':');
  const std::size_t second = first == std::string::npos ? std::string::npos : text.find(':', first + 1);
  HostOverride entry;
  if (second != std::string::npos) {
    entry.host = text.substr(0, first);
    const std::string port = text.substr(first + 1, second - first - 1);
    entry.address = text.substr(second + 1);
    if (entry.address.size() > 2 && entry.address.front() == '[' && entry.address.back() == ']') {
      entry.address = entry.address.substr(1, entry.address.size() - 2);
    }
    try {
      std::size_t used = 0;
      entry.port = std::stoi(port, &used);
      if (used != port.size()) entry.port = 0;
    } catch (const std::exception&) {
      entry.port = 0;
    }
  }
  const bool address_ok = cert::is_ip_address(entry.address);
  if (entry.host.empty() || entry.port < 1 || entry.port > 65535 || !address_ok) {
    throw Error(Errc::Usage,
                fmt::format("--resolve '{}': expected HOST:PORT:ADDRESS with a numeric address", text),
                "e.g. --resolve localhost:5000:127.0.0.1");
  }
  return entry;
}

}  // namespace krtool::client
