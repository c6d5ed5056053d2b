// Online revocation mode's OCSP client: the certificate scheme asks the responder in the leaf's AIA
// first (answered here from memory with responses that OpenSSL's OCSP API builds and signs, as a real
// responder does), believes only a fresh answer about the certificate asked, signed by its issuer or a
// delegated responder, caches it until nextUpdate (by a clock the test moves on), and falls back to the
// CRL distribution point when no answer is believed.
#include "auth/ocsp.hpp"

#include <openssl/ocsp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "auth_fixtures.hpp"
#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/cert/builder.hpp"

using namespace krtool;
using namespace krtool::auth;
using namespace krtool::test;
using cert::CertBundle;
using cert::create_certificate;
using Outcome = AuthResult::Outcome;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

constexpr const char* kResponderUrl = "http://127.0.0.1:9/ocsp";

std::string der_of(X509* certificate) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate, &der);
  REQUIRE(length > 0);
  ossl::UniquePtr<unsigned char> owned(der);
  return std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
}

// ocsp_signer is a certificate `issuer` signs for id-kp-OCSPSigning (with_eku) or without any EKU.
CertBundle ocsp_signer(const std::string& name, const CertBundle& issuer, bool with_eku) {
  cert::CertificateSpec spec = client_spec("responder");
  spec.subject = "CN=" + name;
  CertBundle signer = create_certificate(spec, &issuer);
  const int index = X509_get_ext_by_NID(signer.certificate.get(), NID_ext_key_usage, -1);
  if (index >= 0) X509_EXTENSION_free(X509_delete_ext(signer.certificate.get(), index));
  if (with_eku) {
    ossl::UniquePtr<X509_EXTENSION> usage(
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_ext_key_usage, "OCSPSigning"));
    REQUIRE(usage != nullptr);
    REQUIRE(X509_add_ext(signer.certificate.get(), usage.get(), -1) == 1);
  }
  REQUIRE(X509_sign(signer.certificate.get(), issuer.key.get(), EVP_sha256()) > 0);
  const std::string der = der_of(signer.certificate.get());
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  signer.certificate.reset(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  REQUIRE(signer.certificate != nullptr);
  return signer;
}

// OcspResponder answers OCSP POSTs to kResponderUrl for `ca`, signing with `signer` (the CA itself unless
// told otherwise), and hands other requests (CRL GETs) to a CrlPublisher. What it answers can be made
// wrong in the ways a test needs. Thread-safe like CrlPublisher.
class OcspResponder {
 public:
  explicit OcspResponder(const CertBundle& ca) : ca_(ca), signer_(&ca) {}

  void revoke(X509* certificate) {
    const std::lock_guard<std::mutex> lock(mutex_);
    revoked_.insert(der_of(certificate));
  }
  void sign_with(const CertBundle& signer) { signer_ = &signer; }
  void answer_about(X509* other) { about_ = other; }
  void set_times(TimePoint this_update, std::optional<TimePoint> next_update) {
    this_update_ = this_update;
    next_update_ = next_update;
  }
  void wrong_nonce() { wrong_nonce_ = true; }
  void go_offline() { offline_ = true; }
  int asked() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return asked_;
  }

  RevocationFetcher fetcher(CrlPublisher& crls) {
    return [this, crl_fetcher = crls.fetcher()](const RevocationRequest& request,
                                                std::chrono::milliseconds timeout) {
      if (request.url != kResponderUrl) return crl_fetcher(request, timeout);
      if (request.method != "POST" || request.content_type != "application/ocsp-request")
        throw std::logic_error("the responder was asked with " + request.method + " " + request.content_type);
      if (offline_)
        throw Error(Errc::Network, "fetching 'http://127.0.0.1:9/ocsp' failed: could not connect");
      const std::lock_guard<std::mutex> lock(mutex_);
      ++asked_;
      return RevocationResponse{200, answer(request.body)};
    };
  }

 private:
  std::string answer(const std::string& request_der) const {
    const auto* cursor = reinterpret_cast<const unsigned char*>(request_der.data());
    ossl::UniquePtr<OCSP_REQUEST> request(
        d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(request_der.size())));
    if (request == nullptr || OCSP_request_onereq_count(request.get()) != 1)
      throw std::logic_error("not a one-certificate OCSP request");
    OCSP_CERTID* asked_id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(request.get(), 0));
    ossl::UniquePtr<OCSP_CERTID> other_id;
    if (about_ != nullptr) other_id.reset(OCSP_cert_to_id(EVP_sha1(), about_, ca_.certificate.get()));

    bool revoked = false;
    for (const std::string& der : revoked_) {
      const auto* c = reinterpret_cast<const unsigned char*>(der.data());
      ossl::UniquePtr<X509> certificate(d2i_X509(nullptr, &c, static_cast<long>(der.size())));
      ossl::UniquePtr<OCSP_CERTID> id(OCSP_cert_to_id(EVP_sha1(), certificate.get(), ca_.certificate.get()));
      if (OCSP_id_cmp(id.get(), asked_id) == 0) revoked = true;
    }
    ossl::UniquePtr<OCSP_BASICRESP> basic(OCSP_BASICRESP_new());
    auto this_update = asn1_time(this_update_);
    auto revoked_at = asn1_time(this_update_ - hours(1));
    std::optional<ossl::UniquePtr<ASN1_TIME>> next_update;
    if (next_update_) next_update = asn1_time(*next_update_);
    if (OCSP_basic_add1_status(basic.get(), other_id != nullptr ? other_id.get() : asked_id,
                               revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
                               revoked ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : 0,
                               revoked ? revoked_at.get() : nullptr, this_update.get(),
                               next_update ? next_update->get() : nullptr) == nullptr)
      throw std::logic_error("OCSP_basic_add1_status failed");
    if (wrong_nonce_) {
      if (OCSP_basic_add1_nonce(basic.get(), nullptr, -1) != 1)
        throw std::logic_error("adding a nonce failed");
    } else if (OCSP_copy_nonce(basic.get(), request.get()) != 1) {
      throw std::logic_error("copying the nonce failed");
    }
    if (OCSP_basic_sign(basic.get(), signer_->certificate.get(), signer_->key.get(), EVP_sha256(), nullptr,
                        0) != 1)
      throw std::logic_error("OCSP_basic_sign failed");
    ossl::UniquePtr<OCSP_RESPONSE> response(
        OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
    unsigned char* der = nullptr;
    const int length = i2d_OCSP_RESPONSE(response.get(), &der);
    if (length <= 0) throw std::logic_error("encoding the OCSP response failed");
    ossl::UniquePtr<unsigned char> owned(der);
    return std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  }

  const CertBundle& ca_;
  const CertBundle* signer_;
  X509* about_ = nullptr;
  TimePoint this_update_ = now_seconds() - minutes(1);
  std::optional<TimePoint> next_update_ = now_seconds() + hours(1);
  bool wrong_nonce_ = false;
  std::atomic<bool> offline_{false};
  mutable std::mutex mutex_;
  std::set<std::string> revoked_;
  int asked_ = 0;
};

// Pki is a root CA the scheme trusts, its responder, its CRL publisher and its client leaves, each
// naming the responder and the distribution point root.crl.
struct Pki {
  CertBundle root = create_certificate(ca_spec("CN=OCSP Test CA"));
  OcspResponder responder{root};
  CrlPublisher crls;
  TestClock clock;

  CertBundle leaf(const std::string& name) const {
    cert::CertificateSpec spec = client_spec(name);
    spec.ocsp_urls = {kResponderUrl};
    spec.crl_urls = {CrlPublisher::url("root.crl")};
    return create_certificate(spec, &root);
  }

  CertificateScheme scheme() {
    CertificateSchemeOptions options;
    options.custom_trust_store = trust_only(root.certificate.get());
    options.revocation_mode = RevocationMode::Online;
    options.revocation_fetcher = responder.fetcher(crls);
    options.revocation_clock = clock.clock();
    return CertificateScheme(std::move(options));
  }
};

AuthResult authenticate(const CertificateScheme& scheme, const CertBundle& client) {
  const auto chain = presented_chain(client);
  return scheme.authenticate(client.certificate.get(), chain.get());
}

std::string revoked_failure(const std::string& name) {
  return "Certificate chain validation failed: Revoked: certificate revoked (depth 0, 'CN=" + name + "')";
}

}  // namespace

TEST_CASE("online mode accepts a certificate that the issuer's OCSP responder calls good",
          "[auth][revocation][ocsp]") {
  Pki pki;
  const CertBundle alice = pki.leaf("alice");
  const TimePoint next_update = now_seconds() + hours(1);
  pki.responder.set_times(now_seconds() - minutes(1), next_update);
  const CertificateScheme scheme = pki.scheme();
  const AuthResult result = authenticate(scheme, alice);
  CHECK(result.failure.empty());
  CHECK(result.outcome == Outcome::Success);
  CHECK(result.revocation ==
        std::string("OCSP at ") + kResponderUrl + ", good, cached until " + format_rfc3339(next_update));
  CHECK(pki.responder.asked() == 1);
  CHECK(pki.crls.requests().empty());  // the CRL is only the fallback
}

TEST_CASE("online mode rejects a certificate that the OCSP responder calls revoked, and says why",
          "[auth][revocation][ocsp]") {
  Pki pki;
  const CertBundle alice = pki.leaf("alice");
  pki.responder.revoke(alice.certificate.get());
  const CertificateScheme scheme = pki.scheme();
  const AuthResult result = authenticate(scheme, alice);
  CHECK(result.failure == revoked_failure("alice"));
  CHECK_THAT(result.revocation, Catch::StartsWith(std::string("OCSP at ") + kResponderUrl + ", revoked at "));
  CHECK_THAT(result.revocation, Catch::Contains("(reason keyCompromise)"));
}

TEST_CASE("online mode believes a delegated responder that the issuer certified for OCSP signing",
          "[auth][revocation][ocsp]") {
  Pki pki;
  const CertBundle alice = pki.leaf("alice");
  const CertBundle delegated = ocsp_signer("OCSP Responder", pki.root, true);
  pki.responder.sign_with(delegated);
  pki.responder.revoke(alice.certificate.get());
  const CertificateScheme scheme = pki.scheme();
  CHECK(authenticate(scheme, alice).failure == revoked_failure("alice"));
  CHECK(pki.crls.requests().empty());
}

TEST_CASE("online mode does not believe an OCSP answer that the issuer's key did not authorise",
          "[auth][revocation][ocsp]") {
  Pki pki;
  const CertBundle alice = pki.leaf("alice");
  const CertBundle stranger_ca = create_certificate(ca_spec("CN=Stranger CA"));
  const CertBundle stranger = ocsp_signer("Stranger Responder", stranger_ca, true);
  const CertBundle no_eku = ocsp_signer("Unauthorised Responder", pki.root, false);
  struct Case {
    const char* what;
    const CertBundle* signer;
    std::string why;
  };
  const Case cases[] = {
      {"a stranger's responder", &stranger,
       "it is signed by 'CN=Stranger Responder', which is neither the issuer 'CN=OCSP Test CA' nor a "
       "responder "
       "the issuer certified"},
      {"a stranger CA itself", &stranger_ca, "it is signed by 'CN=Stranger CA', which is neither"},
      {"an issued certificate without OCSPSigning", &no_eku,
       "its signer 'CN=Unauthorised Responder' was issued by the issuer but lacks the OCSPSigning extended "
       "key "
       "usage"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    pki.responder.sign_with(*c.signer);
    const CertificateScheme scheme = pki.scheme();
    // No CRL is published, so the status stays unknown: fail closed, naming both sources.
    const AuthResult result = authenticate(scheme, alice);
    CHECK(result.outcome == Outcome::Failure);
    CHECK_THAT(result.failure,
               Catch::StartsWith(std::string("Certificate chain validation failed: RevocationStatusUnknown, "
                                             "OfflineRevocation: OCSP answer from '") +
                                 kResponderUrl + "' not believed: " + c.why));
    CHECK_THAT(result.failure,
               Catch::Contains("CRL: '" + CrlPublisher::url("root.crl") + "' answered HTTP 404"));
  }
}

TEST_CASE("online mode does not believe an OCSP answer about another certificate",
          "[auth][revocation][ocsp]") {
  Pki pki;
  const CertBundle alice = pki.leaf("alice");
  const CertBundle bob = pki.leaf("bob");
  pki.responder.answer_about(bob.certificate.get());
  pki.crls.publish("root.crl", make_crl(pki.root, {alice.certificate.get()}).get());
  const CertificateScheme scheme = pki.scheme();
  // The CRL, fetched as the fallback, settles it.
  const AuthResult result = authenticate(scheme, alice);
  CHECK(result.failure == revoked_failure("alice"));
  CHECK_THAT(result.revocation,
             Catch::StartsWith("CRL at " + CrlPublisher::url("root.crl") + ", revoked, cached"));
  CHECK(pki.responder.asked() == 1);
}

TEST_CASE("online mode does not believe a stale OCSP answer or one with another nonce",
          "[auth][revocation][ocsp]") {
  const TimePoint now = now_seconds();
  struct Case {
    const char* what;
    TimePoint this_update;
    std::optional<TimePoint> next_update;
    bool wrong_nonce;
    std::string why;
  };
  const Case cases[] = {
      {"nextUpdate past", now - hours(2), now - hours(1), false, "it is stale: its nextUpdate "},
      {"thisUpdate in the future", now + hours(1), now + hours(2), false, "it is stale: its thisUpdate "},
      {"another nonce", now - minutes(1), now + hours(1), true, "its nonce is not the one asked with"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Pki pki;
    const CertBundle alice = pki.leaf("alice");
    pki.responder.set_times(c.this_update, c.next_update);
    if (c.wrong_nonce) pki.responder.wrong_nonce();
    const CertificateScheme scheme = pki.scheme();
    const AuthResult result = authenticate(scheme, alice);
    CHECK_THAT(result.failure, Catch::Contains(std::string("OCSP answer from '") + kResponderUrl +
                                               "' not believed: " + c.why));
    CHECK_THAT(result.failure,
               Catch::StartsWith("Certificate chain validation failed: RevocationStatusUnknown"));
  }
}

TEST_CASE("online mode falls back to the CRL when the OCSP responder is unreachable",
          "[auth][revocation][ocsp]") {
  Pki pki;
  const CertBundle alice = pki.leaf("alice");
  const CertBundle bob = pki.leaf("bob");
  pki.responder.go_offline();
  pki.crls.publish("root.crl", make_crl(pki.root, {bob.certificate.get()}).get());
  const CertificateScheme scheme = pki.scheme();
  const AuthResult good = authenticate(scheme, alice);
  CHECK(good.outcome == Outcome::Success);
  CHECK_THAT(good.revocation,
             Catch::StartsWith("CRL at " + CrlPublisher::url("root.crl") + ", good, cached until "));
  CHECK(authenticate(scheme, bob).failure == revoked_failure("bob"));
}

TEST_CASE("online mode fails closed when neither the OCSP responder nor the CRL answers",
          "[auth][revocation][ocsp]") {
  Pki pki;
  const CertBundle alice = pki.leaf("alice");
  pki.responder.go_offline();
  const CertificateScheme scheme = pki.scheme();
  const AuthResult result = authenticate(scheme, alice);
  CHECK(result.outcome == Outcome::Failure);
  CHECK(result.failure ==
        "Certificate chain validation failed: RevocationStatusUnknown, OfflineRevocation: OCSP: fetching "
        "'http://127.0.0.1:9/ocsp' failed: could not connect; CRL: '" +
            CrlPublisher::url("root.crl") + "' answered HTTP 404 instead of a CRL");
  CHECK(result.revocation.empty());
}

TEST_CASE("online mode keeps an OCSP answer until its nextUpdate", "[auth][revocation][ocsp]") {
  Pki pki;
  const CertBundle alice = pki.leaf("alice");
  pki.responder.set_times(now_seconds() - minutes(1), now_seconds() + hours(1));
  const CertificateScheme scheme = pki.scheme();
  REQUIRE(authenticate(scheme, alice).outcome == Outcome::Success);

  pki.responder.revoke(alice.certificate.get());
  pki.clock.advance(minutes(59));
  CHECK(authenticate(scheme, alice).outcome == Outcome::Success);
  CHECK(pki.responder.asked() == 1);

  pki.clock.advance(minutes(2));
  CHECK(authenticate(scheme, alice).failure == revoked_failure("alice"));
  CHECK(pki.responder.asked() == 2);
}

TEST_CASE("online mode asks again for an OCSP answer without nextUpdate", "[auth][revocation][ocsp]") {
  // RFC 6960: no nextUpdate means newer information is available at any time; krtool's ocsp: route
  // answers so, and a revocation must count from the next request on.
  Pki pki;
  const CertBundle alice = pki.leaf("alice");
  pki.responder.set_times(now_seconds() - minutes(1), std::nullopt);
  const CertificateScheme scheme = pki.scheme();
  const AuthResult first = authenticate(scheme, alice);
  REQUIRE(first.outcome == Outcome::Success);
  CHECK_THAT(first.revocation, Catch::Contains(", good, not cached (no nextUpdate)"));
  CHECK(authenticate(scheme, alice).outcome == Outcome::Success);
  CHECK(pki.responder.asked() == 2);

  pki.responder.revoke(alice.certificate.get());
  CHECK(authenticate(scheme, alice).failure == revoked_failure("alice"));
  CHECK(pki.responder.asked() == 3);
}

TEST_CASE("an OCSP answer is judged at the time given", "[auth][ocsp]") {
  // judge_ocsp_response directly: the same good answer is fresh now and stale two hours on.
  const CertBundle root = create_certificate(ca_spec("CN=Judge CA"));
  const CertBundle alice = create_certificate(client_spec("alice"), &root);
  OcspResponder responder(root);
  CrlPublisher unused;
  const RevocationFetcher ask = responder.fetcher(unused);
  const OcspQuery query = make_ocsp_query(alice.certificate.get(), root.certificate.get());
  const std::string der = ask(RevocationRequest{kResponderUrl, "POST", query.der, "application/ocsp-request"},
                              std::chrono::seconds(1))
                              .body;
  CHECK(judge_ocsp_response(der, query, root.certificate.get(), now_seconds()).status ==
        OcspAnswer::Status::Good);
  const OcspAnswer later = judge_ocsp_response(der, query, root.certificate.get(), now_seconds() + hours(2));
  CHECK(later.status == OcspAnswer::Status::Unknown);
  CHECK_THAT(later.detail, Catch::StartsWith("it is stale: its nextUpdate"));
  CHECK(judge_ocsp_response("not DER", query, root.certificate.get(), now_seconds()).detail ==
        "the answer is not an OCSP response");
}
