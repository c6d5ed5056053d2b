// An in-memory TLS handshake: a client SSL and a server SSL joined by a BIO pair (no sockets, no
// threads), pumped in turn for a bounded number of rounds. It records what a real client would see (the
// alert the server sent, the negotiated protocol, the server's first bytes) and what the server decided
// (the TLS layer's verdict and the access log's tls= field).
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "krtool/cert/bundle.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/ossl.hpp"
#include "krtool/tls/server_context.hpp"

namespace krtool::test {

// ClientHello is how the client side is set up: the certificate it offers (null: none), the one
// protocol version it speaks, and a session to resume (null: a full handshake).
struct ClientHello {
  const cert::CertBundle* certificate = nullptr;
  int version = TLS1_3_VERSION;
  SSL_SESSION* resume = nullptr;
};

struct HandshakeOutcome {
  bool completed = false;  // both sides finished and the client read the server's first application bytes
  int alert = 0;           // the alert description the client received from the server, 0 when none
  std::string protocol;    // negotiated, "TLSv1.3"; "" when the handshake did not finish
  std::optional<tls::HandshakeVerdict> verdict;  // what the TLS layer recorded on the server's SSL
  std::string access_log_tls;                    // the access log's tls= field for this connection
  std::vector<std::string> client_ca_names;      // the issuers the CertificateRequest names, .NET order
  std::string server_subject;  // of the certificate the server presented, "" when none arrived
  int tickets = 0;             // TLS 1.3 session tickets the client received before the server's greeting
  bool resumed = false;        // the server resumed ClientHello::resume
  std::string chain_error;     // tls::chain_error on the server's side: what a proxy route would forward
  // session is the last session the client learned (a TLS 1.3 ticket, or the TLS 1.2 session), to resume.
  std::shared_ptr<SSL_SESSION> session;

  // alert_name is the alert as OpenSSL's client reports it ("unknown CA", "certificate required").
  std::string alert_name() const {
    if (alert == 0) return "none";
    if (alert == SSL_AD_CERTIFICATE_REQUIRED) return "certificate required";
    return SSL_alert_desc_string_long(alert);
  }
};

namespace detail {

inline void record_received_alert(const SSL* ssl, int where, int value) {
  if ((where & SSL_CB_READ_ALERT) == 0) return;
  auto* outcome = static_cast<HandshakeOutcome*>(SSL_get_app_data(ssl));
  const int description = value & 0xFF;
  if (outcome != nullptr && description != SSL_AD_CLOSE_NOTIFY && outcome->alert == 0)
    outcome->alert = description;
}

// keep_session sees each session the client learns of (with TLS 1.3, one per NewSessionTicket), counts
// TLS 1.3 tickets and keeps the last session.
inline int keep_session(SSL* ssl, SSL_SESSION* session) {
  auto* outcome = static_cast<HandshakeOutcome*>(SSL_get_app_data(ssl));
  if (outcome == nullptr) return 0;  // not kept: OpenSSL frees it
  if (SSL_version(ssl) == TLS1_3_VERSION) ++outcome->tickets;
  outcome->session.reset(session, SSL_SESSION_free);
  return 1;  // the reference is the outcome's now
}

// Step is one call on one side: true while the side may still make progress.
inline bool may_continue(SSL* ssl, int result) {
  if (result > 0) return true;
  const int error = SSL_get_error(ssl, result);
  return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
}

}  // namespace detail

// run_handshake connects a client to a server context (made by tls::TlsServerConfig::make_context) and
// pumps both ends until the client has read the server's greeting, either side failed, or 100 rounds
// passed (a handshake needs fewer than ten).
inline HandshakeOutcome run_handshake(SSL_CTX* server_context, const ClientHello& hello) {
  HandshakeOutcome outcome;
  ossl::UniquePtr<SSL_CTX> client_context(SSL_CTX_new(TLS_client_method()));
  REQUIRE(client_context != nullptr);
  REQUIRE(SSL_CTX_set_min_proto_version(client_context.get(), hello.version) == 1);
  REQUIRE(SSL_CTX_set_max_proto_version(client_context.get(), hello.version) == 1);
  SSL_CTX_set_verify(client_context.get(), SSL_VERIFY_NONE, nullptr);  // the server side is under test
  // Sessions go to keep_session only: the context's own cache would mark them not resumable when the
  // context is freed at the end of this handshake.
  SSL_CTX_set_session_cache_mode(client_context.get(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(client_context.get(), detail::keep_session);
  if (hello.certificate != nullptr) {
    REQUIRE(SSL_CTX_use_certificate(client_context.get(), hello.certificate->certificate.get()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(client_context.get(), hello.certificate->key.get()) == 1);
    for (const auto& member : hello.certificate->chain)
      REQUIRE(SSL_CTX_add1_chain_cert(client_context.get(), member.get()) == 1);
  }

  ossl::UniquePtr<SSL> client(SSL_new(client_context.get()));
  ossl::UniquePtr<SSL> server(SSL_new(server_context));
  REQUIRE(client != nullptr);
  REQUIRE(server != nullptr);
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  REQUIRE(BIO_new_bio_pair(&client_end, 0, &server_end, 0) == 1);
  SSL_set_bio(client.get(), client_end, client_end);  // each SSL owns its end from here
  SSL_set_bio(server.get(), server_end, server_end);
  if (hello.resume != nullptr) REQUIRE(SSL_set_session(client.get(), hello.resume) == 1);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  SSL_set_app_data(client.get(), &outcome);
  SSL_set_info_callback(client.get(), detail::record_received_alert);

  bool client_alive = true, server_alive = true, greeted = false;
  for (int round = 0; round < 100 && client_alive && !outcome.completed; ++round) {
    if (SSL_is_init_finished(client.get()) == 0) {
      client_alive = detail::may_continue(client.get(), SSL_do_handshake(client.get()));
    } else {
      char buffer[16];
      const int read = SSL_read(client.get(), buffer, sizeof buffer);
      outcome.completed = read == 2 && std::string(buffer, 2) == "ok";
      client_alive = detail::may_continue(client.get(), read);
    }
    if (!server_alive) continue;  // its alert is in the pair; the client reads it next round
    if (SSL_is_init_finished(server.get()) == 0) {
      server_alive = detail::may_continue(server.get(), SSL_do_handshake(server.get()));
    } else if (!greeted) {
      greeted = SSL_write(server.get(), "ok", 2) == 2;
    }
  }
  if (outcome.completed) {
    // A clean close, as a well-behaved client makes: OpenSSL drops a session (no longer resumable) whose
    // connection is freed without a close_notify sent.
    SSL_shutdown(client.get());
    SSL_shutdown(server.get());
  }
  ERR_clear_error();  // a failed handshake leaves its reasons on this thread's queue

  if (STACK_OF(X509_NAME)* names = SSL_get_client_CA_list(client.get())) {
    for (int i = 0; i < sk_X509_NAME_num(names); ++i)
      outcome.client_ca_names.push_back(cert::format_dn(sk_X509_NAME_value(names, i)));
  }
  if (outcome.completed) outcome.protocol = SSL_get_version(server.get());
  outcome.resumed = SSL_session_reused(server.get()) == 1;
  outcome.chain_error = tls::chain_error(server.get());
  if (X509* presented = SSL_get0_peer_certificate(client.get()))
    outcome.server_subject = cert::format_dn(X509_get_subject_name(presented));
  if (const tls::HandshakeVerdict* verdict = tls::handshake_verdict(server.get())) outcome.verdict = *verdict;
  outcome.access_log_tls = tls::access_log_verdict(server.get());
  return outcome;
}

}  // namespace krtool::test
