// TlsPeer: a bare OpenSSL server on 127.0.0.1 for test-client's tests of the server's certificate. It
// presents the certificate and exactly the chain a test gives it (a root it should not send, an
// intermediate, nothing), asks for no client certificate, and answers any request with "200 ok". It
// serves at most four connections; every wait is bounded, so a client that misbehaves fails the test
// instead of hanging it.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "krtool/cert/bundle.hpp"
#include "krtool/ossl.hpp"
#include "support/loopback.hpp"

namespace krtool::test {

class TlsPeer {
 public:
  // `chain` is what the server sends after its certificate, in that order.
  TlsPeer(const cert::CertBundle& certificate, const std::vector<X509*>& chain)
      : context_(SSL_CTX_new(TLS_server_method())) {
    REQUIRE(context_ != nullptr);
    REQUIRE(SSL_CTX_use_certificate(context_.get(), certificate.certificate.get()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(context_.get(), certificate.key.get()) == 1);
    for (X509* member : chain) REQUIRE(SSL_CTX_add1_chain_cert(context_.get(), member) == 1);
    listener_ = listen_on_loopback(port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~TlsPeer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  TlsPeer(const TlsPeer&) = delete;
  TlsPeer& operator=(const TlsPeer&) = delete;

  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/"; }
  int port() const { return port_; }
  // handshakes counts the connections whose handshake the server completed.
  int handshakes() const { return handshakes_; }

 private:
  void serve() {
    // A client that has gone makes a write raise SIGPIPE, which would end the whole test run.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    for (int served = 0; served < 4 && wait_readable(listener_, stop_); ++served) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) break;
      answer(fd);
      ::close(fd);
    }
    ERR_clear_error();  // this thread's queue holds the failed handshakes' reasons
  }

  void answer(int fd) {
    const timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    ossl::UniquePtr<SSL> ssl(SSL_new(context_.get()));
    if (ssl == nullptr || SSL_set_fd(ssl.get(), fd) != 1 || SSL_accept(ssl.get()) != 1) return;
    ++handshakes_;
    std::string request;
    char buffer[1024];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16 * 1024) {
      const int got = SSL_read(ssl.get(), buffer, sizeof buffer);
      if (got <= 0) return;
      request.append(buffer, static_cast<std::size_t>(got));
    }
    static constexpr char kAnswer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    if (SSL_write(ssl.get(), kAnswer, sizeof kAnswer - 1) > 0) SSL_shutdown(ssl.get());
  }

  ossl::UniquePtr<SSL_CTX> context_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

}  // namespace krtool::test
