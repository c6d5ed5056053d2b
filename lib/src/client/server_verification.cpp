#include "client/server_verification.hpp"

#include <exception>
#include <string>

#include "client/summary.hpp"
#include "krtool/cert/chain.hpp"

namespace krtool::client {
namespace {

// .NET reports a server certificate that does not name the host as SslPolicyErrors'
// RemoteCertificateNameMismatch, beside the chain's statuses rather than among them; the report names
// it so, where the engine (whose names are X509ChainStatus's) has none.
constexpr const char* kNameMismatch = "RemoteCertificateNameMismatch";

bool is_name_mismatch(int error) {
  return error == X509_V_ERR_HOSTNAME_MISMATCH || error == X509_V_ERR_IP_ADDRESS_MISMATCH;
}

}  // namespace

bool judge_server_certificate(X509_STORE_CTX* context, TlsReport& report, bool insecure) {
  X509* leaf = X509_STORE_CTX_get0_cert(context);
  std::string unreadable;  // a certificate the report cannot describe is not verified either
  if (leaf != nullptr && !report.server_certificate) {
    try {
      report.server_certificate = summarize(leaf);
    } catch (const std::exception& error) {  // e.g. an unreadable notAfter
      unreadable = error.what();
    }
  }

  cert::ChainReport chain = cert::verify_prepared(context);
  for (cert::ChainProblem& problem : chain.problems) {
    if (problem.status.empty() && is_name_mismatch(problem.error)) problem.status = kNameMismatch;
    cert::add_distinct_problem(report.server_chain_problems, std::move(problem));
  }

  if (report.server_verify_error.empty()) {
    report.server_verify_error = !unreadable.empty() ? unreadable
                                 : !report.server_chain_problems.empty()
                                     ? cert::to_string(report.server_chain_problems.front())
                                     : std::string();
  }
  if (report.server_verify_error.empty()) {
    X509_STORE_CTX_set_error(context, X509_V_OK);
    return true;
  }
  // The first problem is the one OpenSSL's own check would have stopped at, so the alert is the same.
  X509_STORE_CTX_set_error(context, report.server_chain_problems.empty()
                                        ? X509_V_ERR_APPLICATION_VERIFICATION
                                        : report.server_chain_problems.front().error);
  return insecure;
}

}  // namespace krtool::client
