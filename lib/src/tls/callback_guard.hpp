// The one door between OpenSSL's C frames and the TLS layer's C++. An exception that unwinds through
// OpenSSL is undefined behaviour and would leave a handshake half decided, so every callback the layer
// registers (certificate verification, the alert logger) runs its body through guard_callback: an
// exception is caught there, its reason logged, and the callback returns its refusal, which fails the
// handshake closed. The chain engine's per-depth collector (cert/chain.cpp, below this layer) keeps a
// thrown reason itself and rethrows it once OpenSSL has returned, inside the verification's guard.
#pragma once

#include <openssl/ssl.h>

#include <exception>
#include <functional>
#include <string>
#include <string_view>

namespace krtool::tls {

using LogSink = std::function<void(const std::string& line)>;

// peer_address is "[::1]:5000" or "127.0.0.1:5000" for a socket's peer, "?" for any other transport
// (an in-memory BIO pair, a socket already closed).
std::string peer_address(const SSL* ssl);

// report_callback_failure writes "tls: <callback> failed for <peer>: <reason>; <consequence>" to `log`,
// or to standard error when there is no log or the log itself throws. It never throws.
void report_callback_failure(const LogSink* log, const SSL* ssl, std::string_view callback,
                             std::string_view reason) noexcept;

// guard_callback returns body(), or refuse() when body throws. `refuse` must not throw: it is the
// callback's fail-closed answer (0 from a verify callback, an alert, SSL_TLSEXT_ERR_ALERT_FATAL, ...).
template <typename Body, typename Refuse>
auto guard_callback(const LogSink* log, const SSL* ssl, std::string_view callback, Body&& body,
                    Refuse&& refuse) noexcept -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    report_callback_failure(log, ssl, callback, e.what());
  } catch (...) {
    report_callback_failure(log, ssl, callback, "an exception that is not a std::exception");
  }
  return refuse();
}

}  // namespace krtool::tls
