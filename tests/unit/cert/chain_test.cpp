// The chain engine (krtool/cert/chain.hpp): trust comes only from the anchors the caller names, every
// problem is reported with OpenSSL's code, .NET's X509ChainStatus name and a text, and a purpose is
// checked only when asked for. Certificates come from cert::create_certificate; CRLs from OpenSSL's
// X509_CRL API (the authentication tests' make_crl).
#include "krtool/cert/chain.hpp"

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "../auth/auth_fixtures.hpp"
#include "krtool/cert/builder.hpp"

using namespace krtool;
using namespace krtool::cert;
using std::chrono::hours;

namespace {

// Pki is a root CA, an intermediate it signed, and a client leaf the intermediate signed; `other` is
// an unrelated root.
struct Pki {
  CertBundle root = create_certificate(test::ca_spec("CN=Chain Root CA"));
  CertBundle intermediate = create_certificate(test::ca_spec("CN=Chain Intermediate CA"), &root);
  CertBundle leaf = create_certificate(test::client_spec("leaf.example"), &intermediate);
  CertBundle other = create_certificate(test::ca_spec("CN=Other Root CA"));
};

ossl::UniquePtr<STACK_OF(X509)> stack_of(const std::vector<X509*>& certificates) {
  ossl::UniquePtr<STACK_OF(X509)> stack(sk_X509_new_null());
  REQUIRE(stack != nullptr);
  for (X509* certificate : certificates) {
    ossl::UniquePtr<X509> reference = ossl::up_ref(certificate);
    REQUIRE(sk_X509_push(stack.get(), reference.get()) > 0);
    reference.release();
  }
  return stack;
}

std::vector<ossl::UniquePtr<X509>> anchors(X509* certificate) {
  std::vector<ossl::UniquePtr<X509>> trusted;
  trusted.push_back(ossl::up_ref(certificate));
  return trusted;
}

std::vector<std::string> statuses(const ChainReport& report) {
  std::vector<std::string> names;
  for (const ChainProblem& problem : report.problems) names.push_back(problem.status);
  return names;
}

// Verifier holds what a request borrows.
struct Verifier {
  ossl::UniquePtr<X509_STORE> trust;
  ossl::UniquePtr<STACK_OF(X509)> untrusted;
  ChainRequest request;

  Verifier(X509* leaf, X509* anchor, const std::vector<X509*>& intermediates)
      : trust(trust_store(anchors(anchor))), untrusted(stack_of(intermediates)) {
    request.certificate = leaf;
    request.trust = trust.get();
    request.untrusted = untrusted.get();
  }
  ChainReport run() const { return verify_chain(request); }
};

}  // namespace

TEST_CASE("a leaf chains through an untrusted intermediate to the trusted root", "[cert][chain]") {
  const Pki pki;
  const Verifier verifier(pki.leaf.certificate.get(), pki.root.certificate.get(),
                          {pki.intermediate.certificate.get()});
  const ChainReport report = verifier.run();
  CHECK(report.ok());
  REQUIRE(report.chain.size() == 3);
  CHECK(X509_cmp(report.chain[0].get(), pki.leaf.certificate.get()) == 0);
  CHECK(X509_cmp(report.chain[1].get(), pki.intermediate.certificate.get()) == 0);
  CHECK(X509_cmp(report.chain[2].get(), pki.root.certificate.get()) == 0);
}

TEST_CASE("a root that came with the certificate is an untrusted intermediate, not an anchor",
          "[cert][chain][trust]") {
  const Pki pki;
  // The file (or the peer) carries the whole chain up to its own root; the user trusts another CA.
  const Verifier verifier(pki.leaf.certificate.get(), pki.other.certificate.get(),
                          {pki.intermediate.certificate.get(), pki.root.certificate.get()});
  const ChainReport report = verifier.run();
  REQUIRE_FALSE(report.ok());
  CHECK(report.problems.front().error == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
  CHECK(report.problems.front().status == "UntrustedRoot");
  CHECK(report.problems.front().text ==
        "self-signed certificate in certificate chain (depth 2, 'CN=Chain Root CA')");
}

TEST_CASE("a missing intermediate is a partial chain that names the issuer to look for", "[cert][chain]") {
  const Pki pki;
  const Verifier verifier(pki.leaf.certificate.get(), pki.root.certificate.get(), {});
  const ChainReport report = verifier.run();
  REQUIRE(report.problems.size() == 1);  // "unable to verify the first certificate" says it again
  CHECK(report.problems.front().error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  CHECK(to_string(report.problems.front()) ==
        "PartialChain: unable to get local issuer certificate (depth 0, 'CN=leaf.example', issued by "
        "'CN=Chain Intermediate CA')");
}

TEST_CASE("an expired leaf is NotTimeValid, and the verification time decides", "[cert][chain][time]") {
  const Pki pki;
  Verifier verifier(pki.leaf.certificate.get(), pki.root.certificate.get(),
                    {pki.intermediate.certificate.get()});
  verifier.request.at = now_seconds() + hours(24 * 400);  // the leaf lives a year; the CAs ten
  const ChainReport report = verifier.run();
  CHECK(statuses(report) == std::vector<std::string>{"NotTimeValid"});
  CHECK(report.problems.front().error == X509_V_ERR_CERT_HAS_EXPIRED);
  CHECK(report.problems.front().text == "certificate has expired (depth 0, 'CN=leaf.example')");
  CHECK(validity_problem(pki.leaf.certificate.get(), now_seconds() + hours(24 * 400))->error ==
        X509_V_ERR_CERT_HAS_EXPIRED);
  CHECK_FALSE(validity_problem(pki.leaf.certificate.get(), now_seconds()));
}

TEST_CASE("a leaf checked before its start is NotTimeValid, not yet valid", "[cert][chain][time]") {
  const Pki pki;
  Verifier verifier(pki.leaf.certificate.get(), pki.root.certificate.get(),
                    {pki.intermediate.certificate.get()});
  verifier.request.at = now_seconds() - hours(1);  // the CAs were backdated five minutes, like the leaf
  const ChainReport report = verifier.run();
  REQUIRE_FALSE(report.ok());
  CHECK(report.problems.front().error == X509_V_ERR_CERT_NOT_YET_VALID);
  CHECK(report.problems.front().status == "NotTimeValid");
  CHECK(validity_problem(pki.leaf.certificate.get(), now_seconds() - hours(1))->error ==
        X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST_CASE("a wrong extended key usage is a chain problem only when a purpose is asked for",
          "[cert][chain][purpose]") {
  const Pki pki;
  const CertBundle server_only =
      create_certificate(test::client_spec("server.example", Purpose::Server), &pki.intermediate);
  Verifier verifier(server_only.certificate.get(), pki.root.certificate.get(),
                    {pki.intermediate.certificate.get()});
  CHECK(verifier.run().ok());

  verifier.request.purpose = X509_PURPOSE_SSL_CLIENT;
  const ChainReport report = verifier.run();
  CHECK(statuses(report) == std::vector<std::string>{"NotValidForUsage"});
  CHECK(report.problems.front().error == X509_V_ERR_INVALID_PURPOSE);

  Verifier client(pki.leaf.certificate.get(), pki.root.certificate.get(),
                  {pki.intermediate.certificate.get()});
  client.request.purpose = X509_PURPOSE_SSL_CLIENT;
  CHECK(client.run().ok());
}

TEST_CASE("with CRLs the leaf's revocation is checked, and a missing CRL fails closed",
          "[cert][chain][revocation]") {
  const Pki pki;
  const CertBundle revoked = create_certificate(test::client_spec("revoked.example"), &pki.intermediate);
  std::vector<ossl::UniquePtr<X509_CRL>> crls;
  crls.push_back(test::make_crl(pki.intermediate, {revoked.certificate.get()}));

  Verifier bad(revoked.certificate.get(), pki.root.certificate.get(), {pki.intermediate.certificate.get()});
  CHECK(bad.run().ok());  // no CRLs given: revocation is not checked
  bad.request.crls = &crls;
  const ChainReport report = bad.run();
  CHECK(statuses(report) == std::vector<std::string>{"Revoked"});
  CHECK(report.problems.front().text == "certificate revoked (depth 0, 'CN=revoked.example')");

  Verifier good(pki.leaf.certificate.get(), pki.root.certificate.get(), {pki.intermediate.certificate.get()});
  good.request.crls = &crls;
  CHECK(good.run().ok());

  const std::vector<ossl::UniquePtr<X509_CRL>> none;
  good.request.crls = &none;
  const ChainReport unknown = good.run();
  CHECK(statuses(unknown) == std::vector<std::string>{"RevocationStatusUnknown"});
  CHECK(unknown.problems.front().error == X509_V_ERR_UNABLE_TO_GET_CRL);
}

TEST_CASE("a self-signed leaf is trusted as itself only when the caller says so", "[cert][chain][trust]") {
  const CertBundle self = create_certificate(test::client_spec("self.example"));
  const Pki pki;
  Verifier verifier(self.certificate.get(), pki.root.certificate.get(), {});
  const ChainReport untrusted = verifier.run();
  CHECK(statuses(untrusted) == std::vector<std::string>{"UntrustedRoot"});
  CHECK(untrusted.problems.front().error == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);

  verifier.request.leaf_is_anchor = true;
  verifier.request.trust = nullptr;
  const ChainReport anchored = verifier.run();
  CHECK(anchored.ok());
  CHECK(anchored.chain.size() == 1);
}

TEST_CASE("verify_prepared reports what verify_chain reports, on a context another layer made",
          "[cert][chain]") {
  const Pki pki;
  const ossl::UniquePtr<X509_STORE> trust = trust_store(anchors(pki.other.certificate.get()));
  const ossl::UniquePtr<STACK_OF(X509)> sent =
      stack_of({pki.intermediate.certificate.get(), pki.root.certificate.get()});
  ossl::UniquePtr<X509_STORE_CTX> context(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_CTX_init(context.get(), trust.get(), pki.leaf.certificate.get(), sent.get()) == 1);
  const ChainReport prepared = verify_prepared(context.get());

  const Verifier verifier(pki.leaf.certificate.get(), pki.other.certificate.get(),
                          {pki.intermediate.certificate.get(), pki.root.certificate.get()});
  const ChainReport direct = verifier.run();
  REQUIRE(prepared.problems.size() == direct.problems.size());
  for (size_t i = 0; i < direct.problems.size(); ++i) {
    CHECK(to_string(prepared.problems[i]) == to_string(direct.problems[i]));
  }
  CHECK(X509_STORE_CTX_get_error(context.get()) != X509_V_OK);  // left for the caller to report
}

TEST_CASE("problems are distinct per .NET status, or per text when .NET has no name", "[cert][chain]") {
  std::vector<ChainProblem> problems;
  CHECK(add_distinct_problem(problems,
                             chain_problem(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0, nullptr)));
  CHECK_FALSE(
      add_distinct_problem(problems, chain_problem(X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, 0, nullptr)));
  CHECK(add_distinct_problem(problems, chain_problem(X509_V_ERR_HOSTNAME_MISMATCH, 0, nullptr)));
  CHECK_FALSE(add_distinct_problem(problems, chain_problem(X509_V_ERR_HOSTNAME_MISMATCH, 0, nullptr)));
  CHECK(add_distinct_problem(problems, chain_problem(X509_V_ERR_HOSTNAME_MISMATCH, 1, nullptr)));
  REQUIRE(problems.size() == 3);
  CHECK(to_string(problems[1]) == "hostname mismatch (depth 0)");  // no .NET chain status: text alone
  CHECK(problems[0].status == "PartialChain");
}
