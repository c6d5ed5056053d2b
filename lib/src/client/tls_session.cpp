#include "client/tls_session.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "client/server_verification.hpp"
#include "client/system_trust.hpp"
#include "client/tls_names.hpp"
#include "krtool/cert/alt_names.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/load.hpp"
#include "tls/callback_guard.hpp"

namespace krtool::client {

struct SessionRecord {
  TlsReport* report = nullptr;
  std::vector<std::string>* transcript = nullptr;
  bool insecure = false;
  bool handshake_done = false;
  bool saw_server_hello = false;
  bool saw_ticket = false;
  std::size_t received = 0;
  std::string first_bytes;
};

namespace {

constexpr std::size_t kFirstBytesKept = 16;

SessionRecord* record_of(const SSL* ssl) { return static_cast<SessionRecord*>(SSL_get_app_data(ssl)); }

// certificate_list_length reads the length of the certificate_list in a Certificate message (RFC 8446
// §4.4.2, RFC 5246 §7.4.2); an empty list is how a client says it has no certificate.
std::size_t certificate_list_length(const unsigned char* message, std::size_t length, bool tls13) {
  std::size_t at = 4;  // msg_type and the 24-bit length
  if (tls13) {
    if (length < at + 1) return 0;
    at += 1 + message[at];  // certificate_request_context
  }
  if (length < at + 3) return 0;
  return (std::size_t{message[at]} << 16) | (std::size_t{message[at + 1]} << 8) | message[at + 2];
}

// The callbacks below run inside OpenSSL's C code, which an exception must not cross: each catches
// everything and keeps what it could record.
void record_message(int write_p, int content_type, const void* buffer, std::size_t length, SSL* ssl,
                    SessionRecord* record);

void on_message(int write_p, int /*version*/, int content_type, const void* buffer, std::size_t length,
                SSL* ssl, void* argument) {
  try {
    record_message(write_p, content_type, buffer, length, ssl, static_cast<SessionRecord*>(argument));
  } catch (...) {  // out of memory while recording: the transcript misses a line
  }
}

void record_message(int write_p, int content_type, const void* buffer, std::size_t length, SSL* ssl,
                    SessionRecord* record) {
  const auto* bytes = static_cast<const unsigned char*>(buffer);
  const char* direction = write_p != 0 ? ">" : "<";
  if (content_type == SSL3_RT_HANDSHAKE && length >= 1) {
    const int type = bytes[0];
    std::string line = fmt::format("{} {}", direction, handshake_message_name(type));
    if (type == SSL3_MT_SERVER_HELLO && write_p == 0) record->saw_server_hello = true;
    if (type == SSL3_MT_NEWSESSION_TICKET && write_p == 0) {
      record->saw_ticket = true;
      record->report->server_accepted = true;
      if (record->report->client_certificate_requested) line += " (the server accepted the handshake)";
    }
    if (type == SSL3_MT_CERTIFICATE && write_p != 0) {
      const bool sent = certificate_list_length(bytes, length, SSL_version(ssl) == TLS1_3_VERSION) > 0;
      record->report->client_certificate_sent = sent;
      line += sent ? " (the client certificate)" : " (empty: no client certificate)";
    }
    record->transcript->push_back(std::move(line));
  } else if (content_type == SSL3_RT_ALERT && length >= 2) {
    const int code = bytes[1];
    record->transcript->push_back(fmt::format("{} alert {} {} ({})", direction, code, alert_name(code),
                                              bytes[0] == SSL3_AL_FATAL ? "fatal" : "warning"));
    if (code != SSL_AD_CLOSE_NOTIFY && !record->report->alert) {
      record->report->alert = Alert{code, alert_name(code), write_p == 0, record->handshake_done};
    }
  } else if (content_type == SSL3_RT_CHANGE_CIPHER_SPEC) {
    record->transcript->push_back(fmt::format("{} ChangeCipherSpec", direction));
  }
}

void record_acceptable_cas(SSL* ssl, TlsReport& report);

// on_certificate_request runs when the server's CertificateRequest arrives, before the client answers.
int on_certificate_request(SSL* ssl, void* /*argument*/) {
  SessionRecord* record = record_of(ssl);
  if (record == nullptr) return 1;
  record->report->client_certificate_requested = true;
  record->report->acceptable_cas.clear();
  try {
    record_acceptable_cas(ssl, *record->report);
  } catch (...) {  // a name krtool cannot print: the list stays incomplete, the handshake goes on
  }
  return 1;
}

void record_acceptable_cas(SSL* ssl, TlsReport& report) {
  // On a client, SSL_get_client_CA_list gives the names from the server's CertificateRequest.
  if (const STACK_OF(X509_NAME)* names = SSL_get_client_CA_list(ssl)) {
    for (int i = 0; i < sk_X509_NAME_num(names); ++i) {
      report.acceptable_cas.push_back(cert::format_dn(sk_X509_NAME_value(names, i)));
    }
  }
}

// verify_server runs in place of OpenSSL's own chain check (SSL_CTX_set_cert_verify_callback), once
// per handshake: the chain engine judges the server's certificate as every other layer's certificates
// are judged. It runs behind the TLS layer's callback guard, which fails the handshake closed when the
// engine cannot run; the reason goes into the report rather than onto the terminal.
int verify_server(X509_STORE_CTX* context, void* /*argument*/) {
  SSL* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(context, SSL_get_ex_data_X509_STORE_CTX_idx()));
  SessionRecord* record = ssl != nullptr ? record_of(ssl) : nullptr;
  if (record == nullptr) {
    X509_STORE_CTX_set_error(context, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  TlsReport& report = *record->report;
  const tls::LogSink into_report = [&report](const std::string& line) {
    if (report.server_verify_error.empty()) report.server_verify_error = line;
  };
  return tls::guard_callback(
      &into_report, ssl, "verifying the server's certificate",
      [&] { return judge_server_certificate(context, report, record->insecure) ? 1 : 0; },
      [context] {
        X509_STORE_CTX_set_error(context, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
      });
}

// count_received watches the socket under the TLS session: how much the server sent, and how its
// first answer began (a plain-HTTP port answers a ClientHello with "HTTP/1.1 400").
long count_received(BIO* bio, int operation, const char* data, std::size_t /*length*/, int /*argi*/,
                    long /*argl*/, int result, std::size_t* processed) {
  auto* record = reinterpret_cast<SessionRecord*>(BIO_get_callback_arg(bio));
  if (operation == (BIO_CB_READ | BIO_CB_RETURN) && result > 0 && processed != nullptr && record != nullptr) {
    if (record->first_bytes.size() < kFirstBytesKept && data != nullptr) {
      try {
        record->first_bytes.append(data, std::min(*processed, kFirstBytesKept - record->first_bytes.size()));
      } catch (...) {  // out of memory: the diagnosis loses its hint about the protocol, nothing else
      }
    }
    record->received += *processed;
  }
  return result;
}

}  // namespace

ossl::UniquePtr<SSL_CTX> make_client_context(const TlsClientSetup& setup) {
  ossl::UniquePtr<SSL_CTX> context(SSL_CTX_new(TLS_client_method()));
  ossl::require(context != nullptr, "creating the TLS client context");
  ossl::require(SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION) == 1,
                "setting TLS 1.2 as the minimum");
  int max_version = 0;
  if (setup.tls_max == "1.2") {
    max_version = TLS1_2_VERSION;
  } else if (setup.tls_max == "1.3") {
    max_version = TLS1_3_VERSION;
  } else if (!setup.tls_max.empty()) {
    throw Error(Errc::Usage, fmt::format("--tls-max '{}': krtool speaks TLS 1.2 and 1.3", setup.tls_max),
                "give --tls-max 1.2 or --tls-max 1.3");
  }
  ossl::require(SSL_CTX_set_max_proto_version(context.get(), max_version) == 1,
                "setting the maximum TLS version");

  if (!setup.cacert_file.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(context.get());
    for (const auto& certificate : formats::load_certificates(setup.cacert_file)) {
      ossl::require(
          X509_STORE_add_cert(store, certificate.get()) == 1,
          fmt::format("adding a certificate of '{}' to the trust store", setup.cacert_file.string()));
    }
  } else {
    use_system_trust(context.get());
  }
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_cert_verify_callback(context.get(), verify_server, nullptr);
  SSL_CTX_set_cert_cb(context.get(), on_certificate_request, nullptr);
  // A server that closes without close_notify after a complete response is common; the response is
  // complete by its own framing, so a missing close_notify is not an error here.
  SSL_CTX_set_options(context.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(context.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

  return context;
}

void use_client_certificate(SSL_CTX* context, const cert::CertBundle& bundle) {
  if (SSL_CTX_use_certificate(context, bundle.certificate.get()) != 1 ||
      SSL_CTX_use_PrivateKey(context, bundle.key.get()) != 1 || SSL_CTX_check_private_key(context) != 1) {
    ossl::fail(Errc::Input, "OpenSSL cannot use the client certificate with its key",
               "check that --key belongs to --cert");
  }
  for (const auto& issuer : bundle.chain) {
    ossl::require(SSL_CTX_add1_chain_cert(context, issuer.get()) == 1,
                  "adding the client certificate's chain", Errc::Input);
  }
}

TlsSession::TlsSession(SSL_CTX* context, Socket socket, const TlsClientSetup& setup, TlsReport& report,
                       std::vector<std::string>& transcript)
    : socket_(std::move(socket)),
      ssl_(SSL_new(context)),
      record_(std::make_unique<SessionRecord>()),
      report_(report) {
  ossl::require(ssl_ != nullptr, "creating the TLS session");
  record_->report = &report;
  record_->transcript = &transcript;
  record_->insecure = setup.insecure;
  SSL_set_app_data(ssl_.get(), record_.get());
  ossl::require(SSL_set_fd(ssl_.get(), socket_.fd()) == 1, "attaching the TLS session to the socket");
  SSL_set_msg_callback(ssl_.get(), on_message);
  SSL_set_msg_callback_arg(ssl_.get(), record_.get());
  BIO* wire = SSL_get_rbio(ssl_.get());
  BIO_set_callback_arg(wire, reinterpret_cast<char*>(record_.get()));
  BIO_set_callback_ex(wire, count_received);
  if (!setup.sni.empty()) {
    ossl::require(SSL_set_tlsext_host_name(ssl_.get(), setup.sni.c_str()) == 1,
                  "setting the server name (SNI)");
  }
  if (cert::is_ip_address(setup.verify_name)) {
    ossl::require(X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), setup.verify_name.c_str()) == 1,
                  "setting the IP address to verify");
  } else {
    ossl::require(SSL_set1_host(ssl_.get(), setup.verify_name.c_str()) == 1,
                  "setting the host name to verify");
  }
}

TlsSession::~TlsSession() = default;

template <typename Call>
int TlsSession::step(Call call, const Deadline& deadline, std::string_view doing) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int result = call();
    if (result > 0) return result;
    const int error = SSL_get_error(ssl_.get(), result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (!wait_for(socket_.fd(), error == SSL_ERROR_WANT_WRITE, deadline)) {
        timed_out_ = true;
        failure_ = fmt::format("timed out {}", doing);
        return -1;
      }
      continue;
    }
    if (error == SSL_ERROR_ZERO_RETURN) return 0;
    std::string reason = ossl::drain_errors();
    if (reason.empty()) reason = errno != 0 ? std::strerror(errno) : "the server closed the connection";
    failure_ = fmt::format("{}: {}", doing, reason);
    if (report_.failure.empty()) report_.failure = failure_;
    return -1;
  }
}

bool TlsSession::handshake(const Deadline& deadline) {
  const int result = step([this] { return SSL_connect(ssl_.get()); }, deadline, "during the TLS handshake");
  if (record_->saw_server_hello) report_.protocol = SSL_get_version(ssl_.get());
  if (result <= 0) {
    if (failure_.empty()) failure_ = "the server closed the connection during the TLS handshake";
    if (report_.failure.empty()) report_.failure = failure_;
    return false;
  }
  record_->handshake_done = true;
  report_.handshake_completed = true;
  report_.protocol = SSL_get_version(ssl_.get());
  report_.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_.get()));
  report_.server_certificate_verified =
      report_.server_verify_error.empty() && SSL_get_verify_result(ssl_.get()) == X509_V_OK;
  record_->transcript->push_back(
      fmt::format("* handshake complete: {}, {}", report_.protocol, report_.cipher));
  return true;
}

bool TlsSession::await_server_verdict(const Deadline& deadline) {
  if (SSL_version(ssl_.get()) != TLS1_3_VERSION || !report_.client_certificate_requested) return true;
  const Deadline soon = deadline.sooner(std::chrono::milliseconds(1500));
  char byte = 0;
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int result = SSL_peek(ssl_.get(), &byte, 1);
    if (result > 0 || record_->saw_ticket) return true;
    const int error = SSL_get_error(ssl_.get(), result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (record_->saw_ticket) return true;
      if (!wait_for(socket_.fd(), error == SSL_ERROR_WANT_WRITE, soon)) return true;  // no word: carry on
      continue;
    }
    std::string reason = ossl::drain_errors();
    if (reason.empty()) reason = errno != 0 ? std::strerror(errno) : "the server closed the connection";
    failure_ = fmt::format("right after the TLS handshake: {}", reason);
    if (report_.failure.empty()) report_.failure = failure_;
    return false;
  }
}

bool TlsSession::write_all(std::string_view data, const Deadline& deadline) {
  if (data.empty()) return true;
  return step([&] { return SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size())); }, deadline,
              "sending the request") > 0;
}

long TlsSession::read_some(char* buffer, std::size_t size, const Deadline& deadline) {
  return step([&] { return SSL_read(ssl_.get(), buffer, static_cast<int>(size)); }, deadline,
              "reading the response");
}

std::size_t TlsSession::bytes_received() const { return record_->received; }

const std::string& TlsSession::first_bytes() const { return record_->first_bytes; }

}  // namespace krtool::client
