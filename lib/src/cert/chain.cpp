#include "krtool/cert/chain.hpp"

#include <fmt/format.h>
#include <openssl/x509_vfy.h>

#include <algorithm>

#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"

namespace krtool::cert {

const char* dotnet_chain_status(int error) noexcept {
  switch (error) {
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
      return "NotTimeValid";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
      return "UntrustedRoot";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "PartialChain";
    case X509_V_ERR_CERT_REVOKED:
      return "Revoked";
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE:
    case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
      return "RevocationStatusUnknown";
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
      return "NotSignatureValid";
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
      return "InvalidBasicConstraints";
    case X509_V_ERR_INVALID_PURPOSE:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
      return "NotValidForUsage";
    case X509_V_ERR_PERMITTED_VIOLATION:
    case X509_V_ERR_EXCLUDED_VIOLATION:
      return "HasNotPermittedNameConstraint";
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
      return "HasNotSupportedCriticalExtension";
    default:
      return "";
  }
}

std::string to_string(const ChainProblem& problem) {
  return problem.status.empty() ? problem.text : fmt::format("{}: {}", problem.status, problem.text);
}

ChainProblem chain_problem(int error, int depth, X509* at_fault) {
  // DNs hold ", " themselves, so the names are quoted.
  std::string text = fmt::format("{} (depth {}", X509_verify_cert_error_string(error), depth);
  if (at_fault != nullptr) {
    text += fmt::format(", '{}'", format_dn(X509_get_subject_name(at_fault)));
    // When the issuer is missing, its name is what the user has to go and find.
    if (error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
        error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
        error == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE) {
      text += fmt::format(", issued by '{}'", format_dn(X509_get_issuer_name(at_fault)));
    }
  }
  text += ")";
  return ChainProblem{error, dotnet_chain_status(error), std::move(text)};
}

ChainProblem chain_problem(X509_STORE_CTX* context) {
  return chain_problem(X509_STORE_CTX_get_error(context), X509_STORE_CTX_get_error_depth(context),
                       X509_STORE_CTX_get_current_cert(context));
}

bool add_distinct_problem(std::vector<ChainProblem>& problems, ChainProblem problem) {
  const bool seen = std::any_of(problems.begin(), problems.end(), [&](const ChainProblem& known) {
    return problem.status.empty() ? known.text == problem.text : known.status == problem.status;
  });
  if (!seen) problems.push_back(std::move(problem));
  return !seen;
}

std::optional<ChainProblem> validity_problem(X509* certificate, TimePoint at) {
  if (at < from_asn1_time(X509_get0_notBefore(certificate), "the certificate's notBefore"))
    return chain_problem(X509_V_ERR_CERT_NOT_YET_VALID, 0, certificate);
  if (at > from_asn1_time(X509_get0_notAfter(certificate), "the certificate's notAfter"))
    return chain_problem(X509_V_ERR_CERT_HAS_EXPIRED, 0, certificate);
  return std::nullopt;
}

namespace {

// system_anchors parses the system's CA bundle once per process: it is ~140 certificates and most of
// serve's start-up time, and the TLS layer and each authentication scheme each need a store of them.
// The certificates are shared (up-referenced) by every store made from them, and never changed.
const std::vector<ossl::UniquePtr<X509>>& system_anchors() {
  static const std::vector<ossl::UniquePtr<X509>> anchors = [] {
    ossl::UniquePtr<X509_STORE> loaded(X509_STORE_new());
    ossl::require(loaded != nullptr, "allocating a trust store");
    ossl::require(X509_STORE_set_default_paths(loaded.get()) == 1, "loading the system trust store");
    ossl::UniquePtr<STACK_OF(X509)> certificates(X509_STORE_get1_all_certs(loaded.get()));
    ossl::require(certificates != nullptr, "listing the system trust store");
    std::vector<ossl::UniquePtr<X509>> out;
    for (int i = 0; i < sk_X509_num(certificates.get()); ++i) {
      out.push_back(ossl::up_ref(sk_X509_value(certificates.get(), i)));
    }
    return out;
  }();
  return anchors;
}

}  // namespace

ossl::UniquePtr<X509_STORE> trust_store(const std::vector<ossl::UniquePtr<X509>>& trusted) {
  ossl::UniquePtr<X509_STORE> store(X509_STORE_new());
  ossl::require(store != nullptr, "allocating a trust store");
  for (const auto& certificate : trusted.empty() ? system_anchors() : trusted) {
    ossl::require(X509_STORE_add_cert(store.get(), certificate.get()) == 1,
                  "adding a trusted certificate to the store");
  }
  return store;
}

namespace {

// Collected is what the verification callback gathers on one verification context.
struct Collected {
  std::vector<ChainProblem> problems;
  std::optional<std::string> failure;  // what describing a problem threw; verification then stopped
};

int collected_index() {
  static const int index = X509_STORE_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// keep_failure notes why describing a problem failed; copying the reason may itself run out of memory,
// and then the failure is kept without it.
void keep_failure(Collected& collected, const char* reason) noexcept {
  try {
    collected.failure = reason;
  } catch (...) {
    collected.failure.emplace();
  }
}

// record_problem is the verification callback: it notes each problem and lets verification go on, as
// .NET's X509Chain collects every status instead of stopping at the first. It is its own door between
// OpenSSL's C frames and C++ (cert/ sits below the TLS layer's guard_callback): an exception stops
// verification there, and its reason is kept for run() to throw once OpenSSL has returned.
int record_problem(int ok, X509_STORE_CTX* context) {
  if (ok == 1) return 1;
  auto* collected = static_cast<Collected*>(X509_STORE_CTX_get_ex_data(context, collected_index()));
  if (collected == nullptr) return 0;
  try {
    add_distinct_problem(collected->problems, chain_problem(context));
    return 1;
  } catch (const std::exception& e) {
    keep_failure(*collected, e.what());
  } catch (...) {
    keep_failure(*collected, "an exception that is not a std::exception");
  }
  return 0;
}

// run verifies on a prepared context and reports what the callback collected.
ChainReport run(X509_STORE_CTX* context) {
  ossl::require(collected_index() >= 0, "preparing the chain verification");
  Collected collected;
  ossl::require(X509_STORE_CTX_set_ex_data(context, collected_index(), &collected) == 1,
                "preparing the chain verification");
  X509_STORE_CTX_set_verify_cb(context, record_problem);
  const int verified = X509_verify_cert(context);
  X509_STORE_CTX_set_ex_data(context, collected_index(), nullptr);
  if (collected.failure) {
    ossl::drain_errors();
    throw Error(Errc::Internal, fmt::format("describing a certificate chain problem failed: {}",
                                            collected.failure->empty() ? "(its reason could not be kept)"
                                                                       : *collected.failure));
  }
  if (verified < 0) ossl::fail(Errc::Internal, "verifying the certificate chain");

  ChainReport report;
  report.problems = std::move(collected.problems);
  if (verified != 1 && report.problems.empty()) report.problems.push_back(chain_problem(context));
  if (STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(context); built != nullptr) {
    for (int i = 0; i < sk_X509_num(built); ++i)
      report.chain.push_back(ossl::up_ref(sk_X509_value(built, i)));
  }
  ossl::drain_errors();  // the report says it all; leave nothing for unrelated later calls
  return report;
}

// damaged_self_signature reports a certificate whose names and key identifiers say it signed itself
// but whose signature does not verify with its own key. OpenSSL never checks a trust anchor's
// signature, and X509_V_FLAG_CHECK_SS_SIGNATURE would also demand keyCertSign of a leaf.
bool damaged_self_signature(X509* certificate) {
  const bool claims_self_signed = X509_self_signed(certificate, 0) == 1;
  const bool damaged = claims_self_signed && X509_self_signed(certificate, 1) != 1;
  ossl::drain_errors();
  return damaged;
}

}  // namespace

ChainReport verify_chain(const ChainRequest& request) {
  if (request.certificate == nullptr) throw Error(Errc::Internal, "verify_chain was given no certificate");
  if (request.trust == nullptr && !request.leaf_is_anchor)
    throw Error(Errc::Internal, "verify_chain was given no trust anchors");

  X509_STORE* trust = request.trust;
  ossl::UniquePtr<X509_STORE> own_anchor;
  unsigned long flags = 0;
  if (request.leaf_is_anchor) {
    if (damaged_self_signature(request.certificate)) {
      ChainReport report;
      report.problems.push_back(chain_problem(X509_V_ERR_CERT_SIGNATURE_FAILURE, 0, request.certificate));
      report.chain.push_back(ossl::up_ref(request.certificate));
      return report;
    }
    own_anchor.reset(X509_STORE_new());
    ossl::require(own_anchor != nullptr, "allocating a certificate store");
    ossl::require(X509_STORE_add_cert(own_anchor.get(), request.certificate) == 1,
                  "trusting the certificate as its own anchor");
    trust = own_anchor.get();
    // The leaf anchors itself even when another key signed it under the same name.
    flags |= X509_V_FLAG_PARTIAL_CHAIN;
  }

  // The CRLs go to this verification alone, since the store may be shared by concurrent ones. The
  // context borrows the list, so the list is made first and outlives it.
  ossl::UniquePtr<STACK_OF(X509_CRL)> crls(sk_X509_CRL_new_null());
  ossl::require(crls != nullptr, "allocating a CRL list");
  ossl::UniquePtr<X509_STORE_CTX> context(X509_STORE_CTX_new());
  ossl::require(context != nullptr, "allocating a verification context");
  ossl::require(X509_STORE_CTX_init(context.get(), trust, request.certificate, request.untrusted) == 1,
                "preparing the chain verification");
  if (request.crls != nullptr) {
    for (const auto& crl : *request.crls) {
      ossl::UniquePtr<X509_CRL> reference = ossl::up_ref(crl.get());
      ossl::require(sk_X509_CRL_push(crls.get(), reference.get()) > 0, "collecting the CRLs");
      reference.release();  // the list owns it now
    }
    X509_STORE_CTX_set0_crls(context.get(), crls.get());
    // Without X509_V_FLAG_CRL_CHECK_ALL only the leaf is checked.
    flags |= X509_V_FLAG_CRL_CHECK;
  }
  X509_VERIFY_PARAM* parameters = X509_STORE_CTX_get0_param(context.get());
  if (request.at) X509_VERIFY_PARAM_set_time(parameters, to_time_t(*request.at));
  if (flags != 0)
    ossl::require(X509_VERIFY_PARAM_set_flags(parameters, flags) == 1, "setting the verification flags");
  if (request.purpose != 0) {
    ossl::require(X509_STORE_CTX_set_purpose(context.get(), request.purpose) == 1,
                  "setting the verification purpose");
  }
  return run(context.get());
}

ChainReport verify_prepared(X509_STORE_CTX* context) {
  if (context == nullptr) throw Error(Errc::Internal, "verify_prepared was given no context");
  return run(context);
}

}  // namespace krtool::cert
