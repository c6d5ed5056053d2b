// TlsSession is test-client's side of the handshake, instrumented: every message and alert goes into
// the transcript, and what the diagnosis needs (the CertificateRequest and its CA names, whether our
// Certificate message carried a certificate, the server's verification result, the first bytes a
// non-TLS port answered with) goes into the TlsReport as it happens, so a failed handshake still
// leaves its evidence.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/stream.hpp"
#include "krtool/cert/bundle.hpp"
#include "krtool/client/test_client.hpp"
#include "krtool/ossl.hpp"

namespace krtool::client {

struct TlsClientSetup {
  std::filesystem::path cacert_file;  // empty: the system store
  bool insecure = false;
  std::string verify_name;  // the host name or IP address the server's certificate must name
  std::string sni;          // "" for IP addresses, which SNI cannot carry
  std::string tls_max;      // "1.2", "1.3" or ""
};

// make_client_context builds the SSL_CTX; Error(Input) for an unreadable --cacert, Error(Usage) for a
// bad --tls-max.
ossl::UniquePtr<SSL_CTX> make_client_context(const TlsClientSetup& setup);

// use_client_certificate makes the context present `bundle` when asked; Error(Input) when OpenSSL
// cannot use it (a key that does not match, a key too weak for its security level).
void use_client_certificate(SSL_CTX* context, const cert::CertBundle& bundle);

struct SessionRecord;  // what the callbacks fill in

class TlsSession : public Stream {
 public:
  TlsSession(SSL_CTX* context, Socket socket, const TlsClientSetup& setup, TlsReport& report,
             std::vector<std::string>& transcript);
  ~TlsSession() override;

  // handshake runs the client handshake; false when it failed (report.failure and report.alert say how)
  // or timed out (timed_out()).
  bool handshake(const Deadline& deadline);

  // await_server_verdict: under TLS 1.3 the server checks the client's certificate after the client has
  // finished its handshake, and says so with a ticket or an alert. Waiting briefly for either, before
  // the request goes out, keeps a rejection from being lost to a reset. False when the server rejected.
  bool await_server_verdict(const Deadline& deadline);

  bool write_all(std::string_view data, const Deadline& deadline) override;
  long read_some(char* buffer, std::size_t size, const Deadline& deadline) override;

  // bytes_received counts what the server sent, on the wire; zero means it never answered.
  std::size_t bytes_received() const;
  // first_bytes holds the start of the server's first answer, to recognise a plain-HTTP reply.
  const std::string& first_bytes() const;

 private:
  // step retries an SSL call that wants to read or write until it progresses or the deadline passes.
  template <typename Call>
  int step(Call call, const Deadline& deadline, std::string_view doing);

  Socket socket_;
  ossl::UniquePtr<SSL> ssl_;
  std::unique_ptr<SessionRecord> record_;
  TlsReport& report_;
};

}  // namespace krtool::client
