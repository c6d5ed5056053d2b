#include "auth/chain_verification.hpp"

#include <fmt/format.h>
#include <openssl/x509_vfy.h>

#include <algorithm>

#include "cert/chain_status.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"

namespace krtool::auth {
namespace {

bool missing_issuer(int error) {
  return error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
         error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
         error == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

// DNs hold ", " themselves and the problems are ", "-joined, so names are quoted.
std::string describe_problem(int error, X509* at_fault) {
  std::string detail = X509_verify_cert_error_string(error);
  if (at_fault != nullptr) {
    detail += fmt::format(": '{}'", cert::format_dn(X509_get_subject_name(at_fault)));
    // When the issuer is missing, its name is what the user has to go and find.
    if (missing_issuer(error))
      detail += fmt::format(", issued by '{}'", cert::format_dn(X509_get_issuer_name(at_fault)));
  }
  const std::string status = cert::dotnet_chain_status(error);
  return status.empty() ? detail : fmt::format("{} ({})", status, detail);
}

struct Collected {
  std::vector<std::string> problems;
  std::vector<std::string> statuses;  // the .NET statuses already reported
  bool failed_to_describe = false;
};

// record_problem is the verify callback: it notes each problem and lets verification go on, as .NET's
// X509Chain collects every status instead of stopping at the first. Like .NET, it reports each status
// once: OpenSSL follows "unable to get local issuer certificate" with "unable to verify the first
// certificate", which says the same thing again.
int record_problem(int ok, X509_STORE_CTX* context) {
  if (ok == 1) return 1;
  auto* collected = static_cast<Collected*>(X509_STORE_CTX_get_app_data(context));
  try {
    const int error = X509_STORE_CTX_get_error(context);
    const std::string status = cert::dotnet_chain_status(error);
    std::string problem = describe_problem(error, X509_STORE_CTX_get_current_cert(context));
    const auto& seen = status.empty() ? collected->problems : collected->statuses;
    if (std::find(seen.begin(), seen.end(), status.empty() ? problem : status) != seen.end()) return 1;
    if (!status.empty()) collected->statuses.push_back(status);
    collected->problems.push_back(std::move(problem));
    return 1;
  } catch (...) {
    collected->failed_to_describe = true;  // exceptions must not cross OpenSSL's C frames
    return 0;
  }
}

}  // namespace

ChainReport verify_chain(X509_STORE* trust, X509* certificate, STACK_OF(X509) * untrusted,
                         const std::vector<ossl::UniquePtr<X509_CRL>>* crls) {
  // The CRLs go to this verification alone, since the store is shared by concurrent requests. The
  // context borrows the list, so the list is made first and outlives it.
  ossl::UniquePtr<STACK_OF(X509_CRL)> crl_stack(sk_X509_CRL_new_null());
  ossl::require(crl_stack != nullptr, "allocating a CRL list");
  ossl::UniquePtr<X509_STORE_CTX> context(X509_STORE_CTX_new());
  ossl::require(context != nullptr, "allocating a verification context");
  ossl::require(X509_STORE_CTX_init(context.get(), trust, certificate, untrusted) == 1,
                "preparing the chain verification");

  if (crls != nullptr) {
    for (const auto& crl : *crls) {
      ossl::UniquePtr<X509_CRL> reference = ossl::up_ref(crl.get());
      ossl::require(sk_X509_CRL_push(crl_stack.get(), reference.get()) > 0, "collecting the CRLs");
      reference.release();  // the stack owns it now
    }
    X509_STORE_CTX_set0_crls(context.get(), crl_stack.get());
    X509_STORE_CTX_set_flags(context.get(), X509_V_FLAG_CRL_CHECK);
  }

  Collected collected;
  ossl::require(X509_STORE_CTX_set_app_data(context.get(), &collected) == 1,
                "preparing the chain verification");
  X509_STORE_CTX_set_verify_cb(context.get(), record_problem);

  const int verified = X509_verify_cert(context.get());
  if (collected.failed_to_describe)
    throw Error(Errc::Internal, "describing a certificate chain problem failed");
  if (verified < 0) ossl::fail(Errc::Internal, "verifying the certificate chain");

  ChainReport report;
  report.problems = std::move(collected.problems);
  if (verified != 1 && report.problems.empty()) {
    report.problems.push_back(describe_problem(X509_STORE_CTX_get_error(context.get()), certificate));
  }
  if (STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(context.get()); built != nullptr)
    report.length = sk_X509_num(built);
  ossl::drain_errors();  // the report says it all; leave nothing for unrelated later calls
  return report;
}

}  // namespace krtool::auth
