// krtool_loadgen: load on an HTTPS server that requires a client certificate, for issue 11's comparison of
// krtool serve with nginx (bench/serve-vs-nginx.sh). It speaks TLS through OpenSSL directly and HTTP/1.1 by
// hand (a GET out, a status line and Content-Length in), so that what it measures is the server, not an
// HTTP library.
//
// Scenarios, each for --seconds with --connections at once:
//   full       new TCP connection, full handshake (--tls 1.2 or 1.3), one GET with "Connection: close";
//   resumed    the same, resuming with the ticket the connection's previous handshake left (the first
//              comes from one full handshake per connection before the clock starts);
//   keepalive  the connections are opened before the clock starts, then each sends GETs back to back.
// Reported: completions per second (handshakes with their request, or requests), latency p50/p99/p99.9
// (connect to whole response, or request to whole response), errors by kind, and the generator's own CPU
// time, which says whether the generator rather than the server was the limit.
//
// One thread drives every connection with non-blocking sockets, non-blocking OpenSSL and epoll. A thread
// per connection would, at 256 connections on one core, spend the generator's core on context switches
// and add the scheduler's delays to every latency sample; one loop keeps the client's cost per request
// small and constant, so that the samples show the server's delays.
//
// Bounded: the clock stops at --seconds; setting up (keepalive's connections, resumed's first tickets)
// may take at most --timeout; every connect, handshake and response has --timeout.
//
// Exit status: 0 when the run was measured (errors are results, not failures), 1 when it could not start
// (certificate files, address), 2 for a usage error.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/ossl.hpp"
#include "krtool/util/ascii.hpp"

namespace krtool::ossl {
template <>
struct Deleter<SSL_SESSION> {
  void operator()(SSL_SESSION* s) const noexcept { SSL_SESSION_free(s); }
};
}  // namespace krtool::ossl

namespace {

using krtool::ossl::UniquePtr;
using Clock = std::chrono::steady_clock;

enum class Scenario { Full, Resumed, KeepAlive };

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string servername = "localhost";
  std::string path = "/";
  Scenario scenario = Scenario::KeepAlive;
  std::string tls = "1.3";
  int connections = 16;
  double seconds = 5;
  double timeout = 5;
  std::string cert;
  std::string key;
  std::string ca;
  std::vector<int> server_pids;
  bool json = false;
};

const char* scenario_name(Scenario s) {
  switch (s) {
    case Scenario::Full:
      return "full";
    case Scenario::Resumed:
      return "resumed";
    case Scenario::KeepAlive:
      return "keepalive";
  }
  return "?";
}

// A setup failure: the run cannot start. Printed as "krtool_loadgen: error: ..." with exit status 1.
struct SetupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// openssl_reason returns the reason of the oldest error in OpenSSL's queue and empties the queue, so that
// the next call on any connection starts from a clean queue (SSL_get_error reads it).
std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no reason given";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : fmt::format("error {:#x}", code);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ResponseReader reads one HTTP/1.1 response: a head of at most 64 KiB, then exactly Content-Length bytes
// of body (whatever the status: the caller counts a non-2xx answer as an error once it is read whole). The
// generator never pipelines, so a byte beyond the body is a framing error. A response without Content-Length
// (chunked, or delimited by close) is an error too: both servers under test answer a small body with one.
class ResponseReader {
 public:
  enum class State { NeedMore, Complete, Failed };

  void reset() {
    head_.clear();
    in_body_ = false;
    body_left_ = 0;
    status_ = 0;
    close_after_ = false;
    error_.clear();
  }

  bool started() const { return in_body_ || !head_.empty(); }
  bool close_after() const { return close_after_; }
  int status() const { return status_; }
  const std::string& error() const { return error_; }

  State feed(const char* data, size_t size) {
    if (in_body_) return take_body(size);
    const size_t searched = head_.size() >= 3 ? head_.size() - 3 : 0;
    head_.append(data, size);  // one read is at most 16 KiB, so the head stays bounded
    const size_t end = head_.find("\r\n\r\n", searched);
    if (end == std::string::npos) {
      return head_.size() > kMaxHead ? fail("response: head over 64 KiB") : State::NeedMore;
    }
    if (end + 4 > kMaxHead) return fail("response: head over 64 KiB");
    const size_t body_in_this_read = head_.size() - (end + 4);
    head_.resize(end + 2);
    if (const State s = parse_head(); s != State::NeedMore) return s;
    in_body_ = true;
    return take_body(body_in_this_read);
  }

 private:
  static constexpr size_t kMaxHead = 64 * 1024;

  State fail(std::string why) {
    error_ = std::move(why);
    return State::Failed;
  }

  State take_body(size_t size) {
    if (size > body_left_) return fail("response: bytes after the body (Content-Length too small)");
    body_left_ -= size;
    return body_left_ == 0 ? State::Complete : State::NeedMore;
  }

  // parse_head reads the status line and the headers in head_ (each line ends in CRLF); NeedMore means
  // "the head is good, read the body".
  State parse_head() {
    std::string_view rest(head_);
    const size_t eol = rest.find("\r\n");
    const std::string_view status_line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ' ||
        !std::isdigit(static_cast<unsigned char>(status_line[9])) ||
        !std::isdigit(static_cast<unsigned char>(status_line[10])) ||
        !std::isdigit(static_cast<unsigned char>(status_line[11]))) {
      return fail("response: malformed status line");
    }
    status_ = (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');
    close_after_ = status_line[7] == '0';  // HTTP/1.0 closes unless it says otherwise
    bool have_length = false;
    uint64_t length = 0;
    while (!rest.empty()) {
      const size_t line_end = rest.find("\r\n");
      const std::string_view line = rest.substr(0, line_end);
      rest.remove_prefix(line_end + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) return fail("response: malformed header line");
      const std::string_view name = line.substr(0, colon);
      const std::string_view value = trim(line.substr(colon + 1));
      if (krtool::util::equals_ignoring_case(name, "Content-Length")) {
        uint64_t parsed = 0;
        if (value.empty() || value.size() > 15 ||
            !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          return fail("response: malformed Content-Length");
        }
        for (const char c : value) parsed = parsed * 10 + static_cast<uint64_t>(c - '0');
        if (have_length && parsed != length) return fail("response: conflicting Content-Length");
        have_length = true;
        length = parsed;
      } else if (krtool::util::equals_ignoring_case(name, "Connection")) {
        if (krtool::util::equals_ignoring_case(value, "close")) close_after_ = true;
        if (krtool::util::equals_ignoring_case(value, "keep-alive")) close_after_ = false;
      } else if (krtool::util::equals_ignoring_case(name, "Transfer-Encoding")) {
        return fail("response: Transfer-Encoding (only Content-Length is read)");
      }
    }
    if (!have_length && status_ != 204 && status_ != 304) return fail("response: no Content-Length");
    body_left_ = have_length ? length : 0;
    return State::NeedMore;
  }

  std::string head_;
  bool in_body_ = false;
  uint64_t body_left_ = 0;
  int status_ = 0;
  bool close_after_ = false;
  std::string error_;
};

// Idle: no connection (Waiting: none, and another to start at `deadline`, after a connect that failed at
// once). Ready: keepalive's connection is open, before the clock starts.
enum class Phase { Idle, Waiting, Connecting, Handshaking, Ready, Writing, Reading };

struct Connection {
  int fd = -1;
  UniquePtr<SSL> ssl;
  UniquePtr<SSL_SESSION> session;  // resumed: the ticket for this slot's next connection
  Phase phase = Phase::Idle;
  uint32_t generation = 0;  // tells events for a closed socket from those for its successor
  uint32_t interest = 0;    // the epoll events registered now
  Clock::time_point started;
  Clock::time_point deadline;
  ResponseReader reader;
};

struct Report {
  uint64_t completed = 0;
  uint64_t reconnects = 0;
  double measured_seconds = 0;
  double setup_seconds = 0;
  double client_cpu_seconds = 0;
  double server_cpu_seconds = 0;
  uint64_t server_rss_kib = 0;  // at the end of the window, every connection still open
  std::vector<uint64_t> latencies_ns;
  std::map<std::string, uint64_t> errors;

  double per_server_core_second() const {
    return server_cpu_seconds > 0 ? static_cast<double>(completed) / server_cpu_seconds : 0;
  }
  uint64_t error_count() const {
    uint64_t total = 0;
    for (const auto& [kind, count] : errors) total += count;
    return total;
  }
  double percentile_ms(double q) const {  // latencies_ns sorted
    if (latencies_ns.empty()) return 0;
    const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(latencies_ns.size())));
    return static_cast<double>(latencies_ns[std::clamp<size_t>(rank, 1, latencies_ns.size()) - 1]) / 1e6;
  }
};

// ServerSample is what /proc says of the server's processes (--server-pid): CPU time (user + system, all
// threads) and resident memory, summed over them. Read at the edges of the measured window, so that the
// rate per server core-second leaves out the set-up.
struct ServerSample {
  double cpu_seconds = 0;
  uint64_t rss_kib = 0;
};

ServerSample sample_servers(const std::vector<int>& pids) {
  ServerSample sample;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const int pid : pids) {
    std::ifstream stat(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!std::getline(stat, line)) throw SetupError(fmt::format("--server-pid {}: no such process", pid));
    // Fields after the command name in parentheses (which may hold spaces): state is the 3rd field,
    // utime the 14th, stime the 15th.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    double ticks_used = 0;
    for (int n = 3; n <= 15 && fields >> field; ++n) {
      if (n == 14 || n == 15) ticks_used += std::stod(field);
    }
    sample.cpu_seconds += ticks_used / ticks;
    std::ifstream status(fmt::format("/proc/{}/status", pid));
    while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) sample.rss_kib += std::stoull(line.substr(6));
    }
  }
  return sample;
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

class LoadGenerator {
 public:
  explicit LoadGenerator(const Options& options)
      : options_(options),
        timeout_(
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.timeout))) {
    resolve();
    make_context();
    request_ = fmt::format("GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: krtool_loadgen\r\n{}\r\n",
                           options_.path, options_.servername, options_.port,
                           options_.scenario == Scenario::KeepAlive ? "" : "Connection: close\r\n");
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw SetupError(fmt::format("epoll_create1: {}", std::strerror(errno)));
    connections_.resize(static_cast<size_t>(options_.connections));
  }
  ~LoadGenerator() {
    for (Connection& c : connections_) close_connection(c);
    if (epoll_ >= 0) ::close(epoll_);
  }
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  Report run() {
    const Clock::time_point setup_start = Clock::now();
    if (options_.scenario != Scenario::Full) set_up(setup_start + timeout_);
    const Clock::time_point start = Clock::now();
    report_.setup_seconds = std::chrono::duration<double>(start - setup_start).count();
    end_ =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.seconds));
    measuring_ = true;
    const double cpu_start = cpu_seconds();
    const ServerSample server_start = sample_servers(options_.server_pids);
    for (size_t i = 0; i < connections_.size(); ++i) begin_work(i);
    loop_until(end_, [] { return false; });
    report_.measured_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    report_.client_cpu_seconds = cpu_seconds() - cpu_start;
    const ServerSample server_end = sample_servers(options_.server_pids);
    report_.server_cpu_seconds = server_end.cpu_seconds - server_start.cpu_seconds;
    report_.server_rss_kib = server_end.rss_kib;
    for (Connection& c : connections_)
      close_connection(c);  // what is in flight is neither counted nor failed
    std::sort(report_.latencies_ns.begin(), report_.latencies_ns.end());
    return std::move(report_);
  }

 private:
  // set_up opens keepalive's connections, or gets resumed's first tickets, before the clock starts; by
  // `deadline` at the latest. A connection that is not ready by then goes on trying once the clock runs.
  void set_up(Clock::time_point deadline) {
    for (size_t i = 0; i < connections_.size(); ++i) start_connection(i);
    loop_until(deadline, [this] {
      return std::all_of(connections_.begin(), connections_.end(), [this](const Connection& c) {
        return options_.scenario == Scenario::KeepAlive ? c.phase == Phase::Ready : c.session != nullptr;
      });
    });
  }

  // begin_work starts what a connection does once the clock runs.
  void begin_work(size_t i) {
    Connection& c = connections_[i];
    if (c.phase == Phase::Ready) {
      send_request(i);
    } else if (c.phase == Phase::Idle) {
      start_connection(i);
    }
  }

  template <typename Done>
  void loop_until(Clock::time_point until, Done done) {
    std::vector<epoll_event> events(connections_.size() + 1);
    Clock::time_point next_sweep = Clock::now() + kSweep;
    while (!done()) {
      const Clock::time_point now = Clock::now();
      if (now >= until) break;
      if (now >= next_sweep) {
        sweep_deadlines(now);
        next_sweep = now + kSweep;
      }
      const auto wait = std::min(until - now, next_sweep - now);
      const int wait_ms = static_cast<int>(
          std::chrono::ceil<std::chrono::milliseconds>(std::max(wait, Clock::duration{})).count());
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), wait_ms);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw SetupError(fmt::format("epoll_wait: {}", std::strerror(errno)));
      }
      for (int k = 0; k < n; ++k) {
        const size_t i = static_cast<uint32_t>(events[k].data.u64);
        const auto generation = static_cast<uint32_t>(events[k].data.u64 >> 32);
        if (i < connections_.size() && connections_[i].generation == generation && connections_[i].fd >= 0) {
          advance(i);
        }
      }
    }
  }

  void sweep_deadlines(Clock::time_point now) {
    for (size_t i = 0; i < connections_.size(); ++i) {
      Connection& c = connections_[i];
      if (c.phase == Phase::Idle || c.phase == Phase::Ready || now < c.deadline) continue;
      switch (c.phase) {
        case Phase::Waiting:
          start_connection(i);
          break;
        case Phase::Connecting:
          fail(i, "connect: timeout");
          break;
        case Phase::Handshaking:
          fail(i, "handshake: timeout");
          break;
        default:
          fail(i, "response: timeout");
          break;
      }
    }
  }

  void resolve() {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(options_.port);
    if (const int rc = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      throw SetupError(fmt::format("cannot resolve '{}': {}", options_.host, gai_strerror(rc)));
    }
    std::memcpy(&address_, found->ai_addr, found->ai_addrlen);
    address_length_ = found->ai_addrlen;
    family_ = found->ai_family;
    freeaddrinfo(found);
  }

  void make_context() {
    context_.reset(SSL_CTX_new(TLS_client_method()));
    if (!context_) throw SetupError("SSL_CTX_new: " + openssl_reason());
    const int version = options_.tls == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
    SSL_CTX_set_min_proto_version(context_.get(), version);
    SSL_CTX_set_max_proto_version(context_.get(), version);
    // A server that closes without close_notify after its response is not an error here.
    SSL_CTX_set_options(context_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    // One read() per TLS record rather than two (header, then body): fewer system calls per response.
    // What OpenSSL reads ahead is invisible to epoll, hence the SSL_has_pending checks.
    SSL_CTX_set_read_ahead(context_.get(), 1);
    if (SSL_CTX_use_certificate_chain_file(context_.get(), options_.cert.c_str()) != 1) {
      throw SetupError(fmt::format("client certificate '{}': {}", options_.cert, openssl_reason()));
    }
    const std::string& key = options_.key.empty() ? options_.cert : options_.key;
    if (SSL_CTX_use_PrivateKey_file(context_.get(), key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(context_.get()) != 1) {
      throw SetupError(fmt::format("client key '{}': {}", key, openssl_reason()));
    }
    if (SSL_CTX_load_verify_locations(context_.get(), options_.ca.c_str(), nullptr) != 1) {
      throw SetupError(fmt::format("CA file '{}': {}", options_.ca, openssl_reason()));
    }
    SSL_CTX_set_verify(context_.get(), SSL_VERIFY_PEER, nullptr);
  }

  void watch(Connection& c, size_t i, uint32_t interest) {
    if (c.interest == interest) return;
    epoll_event event{};
    event.events = interest;
    event.data.u64 = (static_cast<uint64_t>(c.generation) << 32) | i;
    const int op = c.interest == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(epoll_, op, c.fd, &event) != 0)
      throw SetupError(fmt::format("epoll_ctl: {}", std::strerror(errno)));
    c.interest = interest;
  }

  void close_connection(Connection& c) {
    if (c.fd >= 0) ::close(c.fd);  // closing removes it from the epoll set
    c.fd = -1;
    c.ssl.reset();
    c.phase = Phase::Idle;
    c.interest = 0;
    ++c.generation;
  }

  // fail counts an error of `kind`, closes the connection and, while there is time, starts another.
  void fail(size_t i, std::string_view kind) {
    ++report_.errors[std::string(kind)];
    close_connection(connections_[i]);
    if (Clock::now() < end_) start_connection(i);
  }

  // retry_later counts an error of a connect that failed (refused, no ports left) and starts the next one
  // at the next sweep rather than at once, so that a refusing server is not called in a busy loop.
  void retry_later(size_t i, std::string kind) {
    ++report_.errors[std::move(kind)];
    Connection& c = connections_[i];
    close_connection(c);
    c.phase = Phase::Waiting;
    c.deadline = Clock::now() + kSweep;
  }

  void start_connection(size_t i) {
    Connection& c = connections_[i];
    close_connection(c);
    c.started = Clock::now();
    c.deadline = c.started + timeout_;
    c.fd = ::socket(family_, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return retry_later(i, fmt::format("connect: {}", std::strerror(errno)));
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&address_), address_length_) != 0 &&
        errno != EINPROGRESS) {
      return retry_later(i, fmt::format("connect: {}", std::strerror(errno)));
    }
    c.phase = Phase::Connecting;
    watch(c, i, EPOLLOUT);
  }

  void advance(size_t i) {
    switch (connections_[i].phase) {
      case Phase::Connecting:
        return finish_connect(i);
      case Phase::Handshaking:
        return handshake(i);
      case Phase::Ready:
        return read_while_ready(i);
      case Phase::Writing:
        return write_request(i);
      case Phase::Reading:
        return read_response(i);
      case Phase::Idle:
      case Phase::Waiting:
        return;
    }
  }

  void finish_connect(size_t i) {
    Connection& c = connections_[i];
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return retry_later(i, fmt::format("connect: {}", std::strerror(error)));
    c.ssl.reset(SSL_new(context_.get()));
    if (!c.ssl || SSL_set_fd(c.ssl.get(), c.fd) != 1 ||
        SSL_set_tlsext_host_name(c.ssl.get(), options_.servername.c_str()) != 1 ||
        SSL_set1_host(c.ssl.get(), options_.servername.c_str()) != 1) {
      return fail(i, "handshake: " + openssl_reason());
    }
    if (c.session) SSL_set_session(c.ssl.get(), c.session.get());
    SSL_set_connect_state(c.ssl.get());
    c.phase = Phase::Handshaking;
    handshake(i);
  }

  // on_want turns OpenSSL's WANT_READ/WANT_WRITE into the epoll interest; anything else is an error of the
  // phase named by `what`. Returns true when the operation should simply be retried on the next event.
  bool on_want(size_t i, int rc, std::string_view what) {
    Connection& c = connections_[i];
    const int error = SSL_get_error(c.ssl.get(), rc);
    if (error == SSL_ERROR_WANT_READ) {
      watch(c, i, EPOLLIN);
      return true;
    }
    if (error == SSL_ERROR_WANT_WRITE) {
      watch(c, i, EPOLLOUT);
      return true;
    }
    std::string kind;
    if (error == SSL_ERROR_ZERO_RETURN) {
      kind = c.reader.started() ? "closed mid-response" : "closed before the response";
    } else if (error == SSL_ERROR_SYSCALL) {
      kind = errno != 0 ? std::strerror(errno) : "closed by the server";
      ERR_clear_error();
    } else {
      kind = openssl_reason();
    }
    fail(i, fmt::format("{}: {}", what, kind));
    return false;
  }

  void handshake(size_t i) {
    Connection& c = connections_[i];
    ERR_clear_error();
    const int rc = SSL_do_handshake(c.ssl.get());
    if (rc != 1) {
      on_want(i, rc, "handshake");
      return;
    }
    if (options_.scenario == Scenario::KeepAlive && !measuring_) {
      c.phase = Phase::Ready;  // nothing to send until the clock starts
      watch(c, i, EPOLLIN);
      return;
    }
    send_request(i);
  }

  // read_while_ready reads what comes on a keepalive connection before the clock starts: TLS 1.3 session
  // tickets, which OpenSSL takes in without returning data; anything else is an error.
  void read_while_ready(size_t i) {
    Connection& c = connections_[i];
    ERR_clear_error();
    const int rc = SSL_read(c.ssl.get(), buffer_, sizeof buffer_);
    if (rc > 0) return fail(i, "setup: the server sent bytes before a request");
    on_want(i, rc, "setup: idle connection");
  }

  void send_request(size_t i) {
    Connection& c = connections_[i];
    c.reader.reset();
    c.phase = Phase::Writing;
    if (options_.scenario == Scenario::KeepAlive) c.started = Clock::now();  // latency: request to response
    c.deadline = Clock::now() + timeout_;
    write_request(i);
  }

  // write_request sends the request; the response is read when epoll says it is there (reading at once
  // would almost always find nothing and cost a system call).
  void write_request(size_t i) {
    Connection& c = connections_[i];
    ERR_clear_error();
    const int rc = SSL_write(c.ssl.get(), request_.data(), static_cast<int>(request_.size()));
    if (rc <= 0) {
      on_want(i, rc, "request");
      return;
    }
    c.phase = Phase::Reading;
    if (SSL_has_pending(c.ssl.get()) == 1) return read_response(i);
    watch(c, i, EPOLLIN);
  }

  void read_response(size_t i) {
    Connection& c = connections_[i];
    for (int reads = 0; reads < kMaxReadsPerEvent; ++reads) {
      ERR_clear_error();
      const int rc = SSL_read(c.ssl.get(), buffer_, sizeof buffer_);
      if (rc <= 0) {
        on_want(i, rc, "response");
        return;
      }
      switch (c.reader.feed(buffer_, static_cast<size_t>(rc))) {
        case ResponseReader::State::NeedMore:
          continue;
        case ResponseReader::State::Failed:
          return fail(i, c.reader.error());
        case ResponseReader::State::Complete:
          return complete(i);
      }
    }
    watch(c, i, EPOLLIN);  // a very long body: the rest on the next events
  }

  void complete(size_t i) {
    Connection& c = connections_[i];
    const Clock::time_point now = Clock::now();
    if (!measuring_) {  // set-up of resumed: keep the ticket, close
      c.session.reset(SSL_get1_session(c.ssl.get()));
      close_gracefully(c);
      return;
    }
    if (now >= end_) return close_connection(c);  // after the clock stopped: not counted
    if (options_.scenario == Scenario::Resumed) {
      const bool resumed = SSL_session_reused(c.ssl.get()) == 1;
      c.session.reset(SSL_get1_session(c.ssl.get()));
      if (!resumed) {
        ++report_.errors["resumption: the server made a full handshake"];
        close_gracefully(c);
        return start_connection(i);
      }
    }
    if (const int status = c.reader.status(); status < 200 || status > 299) {
      ++report_.errors[fmt::format("http {}", status)];  // read whole: the connection may go on
    } else {
      report_.latencies_ns.push_back(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.started).count()));
      ++report_.completed;
    }
    if (options_.scenario == Scenario::KeepAlive && !c.reader.close_after()) return send_request(i);
    close_gracefully(c);
    if (options_.scenario == Scenario::KeepAlive) ++report_.reconnects;
    start_connection(i);
  }

  // close_gracefully sends close_notify (once, without waiting for the server's) before closing.
  void close_gracefully(Connection& c) {
    if (c.ssl) {
      ERR_clear_error();
      SSL_shutdown(c.ssl.get());
      ERR_clear_error();
    }
    close_connection(c);
  }

  static constexpr Clock::duration kSweep = std::chrono::milliseconds(20);
  static constexpr int kMaxReadsPerEvent = 64;

  const Options& options_;
  Clock::duration timeout_;
  sockaddr_storage address_{};
  socklen_t address_length_ = 0;
  int family_ = AF_INET;
  UniquePtr<SSL_CTX> context_;
  std::string request_;
  int epoll_ = -1;
  std::vector<Connection> connections_;
  bool measuring_ = false;
  Clock::time_point end_ = Clock::time_point::max();
  Report report_;
  char buffer_[16 * 1024];
};

std::string thousands(double value) {
  std::string digits = fmt::format("{:.0f}", value);
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3)
    digits.insert(static_cast<size_t>(at), ",");
  return digits;
}

void print_table(const Options& o, const Report& r) {
  const double rate = r.measured_seconds > 0 ? static_cast<double>(r.completed) / r.measured_seconds : 0;
  const char* unit = o.scenario == Scenario::KeepAlive ? "requests" : "handshakes";
  fmt::print("{} against {}:{}, TLS {}, {} connections, {:.2f} s (set-up {:.2f} s)\n",
             scenario_name(o.scenario), o.host, o.port, o.tls, o.connections, r.measured_seconds,
             r.setup_seconds);
  fmt::print("  {:<12} {:>14} ({}/s)\n", unit, thousands(static_cast<double>(r.completed)), thousands(rate));
  if (r.latencies_ns.empty()) {
    fmt::print("  {:<12} -\n", "latency");
  } else {
    fmt::print("  {:<12} p50 {:.3f} ms, p99 {:.3f} ms, p99.9 {:.3f} ms, max {:.3f} ms\n", "latency",
               r.percentile_ms(0.5), r.percentile_ms(0.99), r.percentile_ms(0.999), r.percentile_ms(1.0));
  }
  if (o.scenario == Scenario::KeepAlive) fmt::print("  {:<12} {:>14}\n", "reconnects", r.reconnects);
  fmt::print("  {:<12} {:>14}\n", "errors", r.error_count());
  for (const auto& [kind, count] : r.errors) fmt::print("    {:>10}  {}\n", count, kind);
  fmt::print("  {:<12} {:.2f} s ({:.0f}% of one core)\n", "client cpu", r.client_cpu_seconds,
             r.measured_seconds > 0 ? 100 * r.client_cpu_seconds / r.measured_seconds : 0);
  if (!o.server_pids.empty()) {
    fmt::print("  {:<12} {:.2f} s, {}/core-second; RSS {:.1f} MiB at the end\n", "server cpu",
               r.server_cpu_seconds, thousands(r.per_server_core_second()),
               static_cast<double>(r.server_rss_kib) / 1024);
  }
}

void print_json(const Options& o, const Report& r) {
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [kind, count] : r.errors) errors[kind] = count;
  nlohmann::json doc = {
      {"scenario", scenario_name(o.scenario)},
      {"host", o.host},
      {"port", o.port},
      {"tls", o.tls},
      {"connections", o.connections},
      {"seconds", r.measured_seconds},
      {"setup_seconds", r.setup_seconds},
      {"completed", r.completed},
      {"rate", r.measured_seconds > 0 ? static_cast<double>(r.completed) / r.measured_seconds : 0},
      {"unit", o.scenario == Scenario::KeepAlive ? "requests" : "handshakes"},
      {"latency_ms",
       {{"p50", r.percentile_ms(0.5)},
        {"p99", r.percentile_ms(0.99)},
        {"p99_9", r.percentile_ms(0.999)},
        {"max", r.percentile_ms(1.0)}}},
      {"reconnects", r.reconnects},
      {"errors", r.error_count()},
      {"errors_by_kind", errors},
      {"client_cpu_seconds", r.client_cpu_seconds},
  };
  if (!o.server_pids.empty()) {
    doc["server_pids"] = o.server_pids;
    doc["server_cpu_seconds"] = r.server_cpu_seconds;
    doc["per_server_core_second"] = r.per_server_core_second();
    doc["server_rss_kib"] = r.server_rss_kib;
  }
  fmt::print("{}\n", doc.dump(2));
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Load on an HTTPS server that requires a client certificate (full, resumed or keep-alive)",
               "krtool_loadgen"};
  const std::map<std::string, Scenario> scenarios = {
      {"full", Scenario::Full}, {"resumed", Scenario::Resumed}, {"keepalive", Scenario::KeepAlive}};
  app.add_option("--host", o.host, "Server address (default 127.0.0.1)");
  app.add_option("--port", o.port, "Server port")->required()->check(CLI::Range(1, 65535));
  app.add_option("--servername", o.servername,
                 "SNI, Host header and the name the server certificate must have")
      ->capture_default_str();
  app.add_option("--path", o.path, "Path to GET")->capture_default_str();
  app.add_option("--scenario", o.scenario, "full, resumed or keepalive (default keepalive)")
      ->transform(CLI::CheckedTransformer(scenarios));
  app.add_option("--tls", o.tls, "TLS version: 1.2 or 1.3 (default 1.3)")
      ->check(CLI::IsMember({"1.2", "1.3"}));
  app.add_option("--connections", o.connections, "Connections at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--seconds", o.seconds, "Measured duration")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--timeout", o.timeout, "Seconds for each connect, handshake and response, and for set-up")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--cert", o.cert, "Client certificate (PEM, with its chain)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--key", o.key, "Client key (PEM; default: in --cert)")->check(CLI::ExistingFile);
  app.add_option("--ca", o.ca, "CA file that verifies the server certificate")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option(
      "--server-pid", o.server_pids,
      "A server process (repeatable): its CPU time over the window and its RSS at the end are reported");
  app.add_flag("--json", o.json, "Print the result as one JSON document");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (o.path.empty() || o.path.front() != '/' || o.path.find_first_of(" \r\n") != std::string::npos) {
    fmt::print(stderr, "krtool_loadgen: error: --path must start with '/' and hold no space or line break\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);  // a write to a socket the server closed is an error of that connection
  try {
    // Each connection is one descriptor; leave room for the rest.
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    if (files.rlim_cur < static_cast<rlim_t>(o.connections) + 32) {
      files.rlim_cur = std::min<rlim_t>(files.rlim_max, static_cast<rlim_t>(o.connections) + 32);
      setrlimit(RLIMIT_NOFILE, &files);
      if (files.rlim_cur < static_cast<rlim_t>(o.connections) + 32) {
        throw SetupError(fmt::format("{} connections need more open files than the limit {}", o.connections,
                                     static_cast<unsigned long long>(files.rlim_max)));
      }
    }
    LoadGenerator generator(o);
    const Report report = generator.run();
    if (o.json) {
      print_json(o, report);
    } else {
      print_table(o, report);
    }
  } catch (const SetupError& e) {
    fmt::print(stderr, "krtool_loadgen: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
