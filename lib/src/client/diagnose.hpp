// diagnose turns what test-client saw into the contract's outcome and a diagnosis that names the layer,
// the cause and the fix, in krtool's terms and in general ones (nginx, openssl s_server). It reads only
// facts gathered on the wire and from the local certificate; it makes no connection of its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/connection.hpp"
#include "client/http_exchange.hpp"
#include "http/url.hpp"
#include "krtool/client/test_client.hpp"

namespace krtool::client {

using http::Url;

// LocalCertificate is what we know about the certificate we hold, before any server looks at it.
struct LocalCertificate {
  CertificateSummary summary;
  std::vector<std::string> purposes;  // Get-KrCertificatePurpose's names
  bool client_auth_usable = true;     // no EKU, or an EKU with clientAuth
  bool expired = false;
  bool not_yet_valid = false;
  std::vector<std::string> issuer_names;  // the leaf's issuer and every name in the chain we hold
};

struct Facts {
  Url url;
  std::optional<int> expect_status;
  bool insecure = false;
  std::string tls_max;
  std::optional<LocalCertificate> local;
  std::optional<std::pair<std::string, std::string>> unusable;  // message and hint from loading
  std::optional<ConnectFailure> connect_failure;
  bool handshake_failed = false;
  bool handshake_timed_out = false;
  bool verdict_failed = false;  // TLS 1.3: the server's answer right after the handshake was a failure
  std::size_t bytes_received = 0;
  std::string first_bytes;
  std::string plain_http_answer;  // the status line a plain-HTTP probe got, "" when none
  std::optional<ExchangeResult> exchange;
};

// looks_like_tls_record: whether a server's first bytes can start a TLS record (a content type 20-24,
// major version 3); fewer than two bytes are given the benefit of the doubt.
bool looks_like_tls_record(std::string_view first_bytes);

// diagnose sets report.outcome, report.diagnosis and report.notes.
void diagnose(const Facts& facts, TestClientReport& report);

}  // namespace krtool::client
