#include "krtool/cert/ocsp_responder.hpp"

#include <catch2/catch.hpp>

#include "cert/ocsp_handles.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/cert/key.hpp"
#include "krtool/error.hpp"
#include "unit/cert/revocation_fixtures.hpp"

using namespace krtool;
using namespace krtool::cert;
using krtool::test::ec_spec;
using krtool::test::kT0;

namespace {

// responder_certificate issues a delegated responder: a leaf of `ca` with id-kp-OCSPSigning (added
// after the fact and signed again, since new-selfsigned has no such purpose).
CertBundle responder_certificate(const CertBundle& ca, bool ocsp_signing) {
  CertificateSpec spec = ec_spec("ocsp-responder", false);
  spec.purpose = Purpose::None;
  CertBundle responder = create_certificate(spec, &ca);
  if (ocsp_signing) {
    ossl::UniquePtr<X509_EXTENSION> eku(
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_ext_key_usage, "OCSPSigning"));
    REQUIRE(X509_add_ext(responder.certificate.get(), eku.get(), -1) == 1);
  }
  REQUIRE(X509_sign(responder.certificate.get(), ca.key.get(), signing_digest(ca.key.get())) > 0);
  return responder;
}

std::string request_for(X509* certificate, X509* issuer, const std::string& nonce) {
  ossl::UniquePtr<OCSP_REQUEST> request(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), certificate, issuer);
  REQUIRE(OCSP_request_add0_id(request.get(), id) != nullptr);
  if (!nonce.empty()) {
    REQUIRE(OCSP_request_add1_nonce(request.get(),
                                    reinterpret_cast<unsigned char*>(const_cast<char*>(nonce.data())),
                                    static_cast<int>(nonce.size())) == 1);
  }
  unsigned char* raw = nullptr;
  const int length = i2d_OCSP_REQUEST(request.get(), &raw);
  REQUIRE(length > 0);
  const ossl::UniquePtr<unsigned char> owned(raw);
  return std::string(reinterpret_cast<char*>(raw), static_cast<size_t>(length));
}

ossl::UniquePtr<OCSP_RESPONSE> parse(const std::string& der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  ossl::UniquePtr<OCSP_RESPONSE> response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
  REQUIRE(response != nullptr);
  return response;
}

struct Answer {
  int status = -1, reason = -1;
  TimePoint revoked_at{}, this_update{}, next_update{};
  bool verified = false, nonce_echoed = false;
};

// answer_for reads the single response for `certificate` the way a client does: the signature
// checked against a store holding only the CA, the nonce compared.
Answer answer_for(const std::string& der, X509* certificate, X509* ca, const std::string& nonce_request) {
  const ossl::UniquePtr<OCSP_RESPONSE> response = parse(der);
  REQUIRE(OCSP_response_status(response.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL);
  const ossl::UniquePtr<OCSP_BASICRESP> basic(OCSP_response_get1_basic(response.get()));
  REQUIRE(basic != nullptr);
  ossl::UniquePtr<X509_STORE> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca);
  ossl::UniquePtr<STACK_OF(X509)> certs(sk_X509_new_null());
  sk_X509_push(certs.get(), ossl::up_ref(ca).release());
  Answer answer;
  answer.verified = OCSP_basic_verify(basic.get(), certs.get(), store.get(), 0) == 1;
  ossl::drain_errors();
  const auto* cursor = reinterpret_cast<const unsigned char*>(nonce_request.data());
  ossl::UniquePtr<OCSP_REQUEST> request(
      d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(nonce_request.size())));
  answer.nonce_echoed = OCSP_check_nonce(request.get(), basic.get()) == 1;
  ossl::UniquePtr<OCSP_CERTID> id(OCSP_cert_to_id(EVP_sha1(), certificate, ca));
  ASN1_GENERALIZEDTIME *revoked = nullptr, *this_update = nullptr, *next_update = nullptr;
  REQUIRE(OCSP_resp_find_status(basic.get(), id.get(), &answer.status, &answer.reason, &revoked, &this_update,
                                &next_update) == 1);
  if (revoked != nullptr) answer.revoked_at = from_asn1_time(revoked, "revocationTime");
  answer.this_update = from_asn1_time(this_update, "thisUpdate");
  answer.next_update = from_asn1_time(next_update, "nextUpdate");
  return answer;
}

}  // namespace

TEST_CASE("the OCSP responder answers good, revoked with time and reason, and unknown", "[cert][ocsp]") {
  const CertBundle ca = create_certificate(ec_spec("Dev CA", true));
  const CertBundle good = create_certificate(ec_spec("alice", false), &ca);
  const CertBundle revoked = create_certificate(ec_spec("bob", false), &ca);
  const CertBundle unknown = create_certificate(ec_spec("carol", false), &ca);
  const OcspLookup lookup = [&](const std::string& serial) {
    if (serial == serial_hex(good.certificate.get())) return OcspStatus{OcspStatus::Kind::Good, {}, {}};
    if (serial == serial_hex(revoked.certificate.get()))
      return OcspStatus{OcspStatus::Kind::Revoked, kT0 - std::chrono::hours(1),
                        RevocationReason::KeyCompromise};
    return OcspStatus{};
  };
  const OcspResponder responder(ca, ca, std::chrono::hours(2));
  CHECK_FALSE(responder.delegated());

  const std::string good_request = request_for(good.certificate.get(), ca.certificate.get(), "nonce-1234");
  const Answer good_answer = answer_for(responder.respond(good_request, lookup, kT0), good.certificate.get(),
                                        ca.certificate.get(), good_request);
  CHECK(good_answer.verified);
  CHECK(good_answer.nonce_echoed);
  CHECK(good_answer.status == V_OCSP_CERTSTATUS_GOOD);
  CHECK(good_answer.this_update == kT0);
  CHECK(good_answer.next_update == kT0 + std::chrono::hours(2));

  const std::string revoked_request = request_for(revoked.certificate.get(), ca.certificate.get(), "");
  const Answer revoked_answer = answer_for(responder.respond(revoked_request, lookup, kT0),
                                           revoked.certificate.get(), ca.certificate.get(), revoked_request);
  CHECK(revoked_answer.verified);
  CHECK(revoked_answer.status == V_OCSP_CERTSTATUS_REVOKED);
  CHECK(revoked_answer.reason == OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  CHECK(revoked_answer.revoked_at == kT0 - std::chrono::hours(1));

  const std::string unknown_request = request_for(unknown.certificate.get(), ca.certificate.get(), "");
  CHECK(answer_for(responder.respond(unknown_request, lookup, kT0), unknown.certificate.get(),
                   ca.certificate.get(), unknown_request)
            .status == V_OCSP_CERTSTATUS_UNKNOWN);
}

TEST_CASE("the OCSP responder answers unknown for another CA's certificate without asking the database",
          "[cert][ocsp]") {
  const CertBundle ca = create_certificate(ec_spec("Dev CA", true));
  const CertBundle other_ca = create_certificate(ec_spec("Dev CA", true));  // same name, another key
  const CertBundle stranger = create_certificate(ec_spec("eve", false), &other_ca);
  int asked = 0;
  const OcspLookup lookup = [&](const std::string&) {
    ++asked;
    return OcspStatus{OcspStatus::Kind::Good, {}, {}};
  };
  const std::string request = request_for(stranger.certificate.get(), other_ca.certificate.get(), "");
  const ossl::UniquePtr<OCSP_RESPONSE> response = parse(OcspResponder(ca, ca).respond(request, lookup, kT0));
  const ossl::UniquePtr<OCSP_BASICRESP> basic(OCSP_response_get1_basic(response.get()));
  REQUIRE(basic != nullptr);
  int status = -1, reason = -1;
  ossl::UniquePtr<OCSP_CERTID> id(
      OCSP_cert_to_id(EVP_sha1(), stranger.certificate.get(), other_ca.certificate.get()));
  REQUIRE(OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, nullptr, nullptr, nullptr) == 1);
  CHECK(status == V_OCSP_CERTSTATUS_UNKNOWN);
  CHECK(asked == 0);
}

TEST_CASE("a malformed or oversized OCSP request gets malformedRequest", "[cert][ocsp]") {
  const CertBundle ca = create_certificate(ec_spec("Dev CA", true));
  const OcspResponder responder(ca, ca);
  const OcspLookup lookup = [](const std::string&) { return OcspStatus{}; };
  for (const std::string& bad :
       {std::string(), std::string("not DER"), std::string(kMaxOcspRequestBytes + 1, '0')}) {
    CHECK(OCSP_response_status(parse(responder.respond(bad, lookup, kT0)).get()) ==
          OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  }
}

TEST_CASE("a delegated OCSP responder signs for its CA and must carry OCSPSigning", "[cert][ocsp]") {
  const CertBundle ca = create_certificate(ec_spec("Dev CA", true));
  const CertBundle leaf = create_certificate(ec_spec("alice", false), &ca);
  const CertBundle delegate = responder_certificate(ca, true);
  const OcspResponder responder(ca, delegate);
  CHECK(responder.delegated());
  const OcspLookup lookup = [](const std::string&) { return OcspStatus{OcspStatus::Kind::Good, {}, {}}; };
  const std::string request = request_for(leaf.certificate.get(), ca.certificate.get(), "n");
  const Answer answer = answer_for(responder.respond(request, lookup, kT0), leaf.certificate.get(),
                                   ca.certificate.get(), request);
  CHECK(answer.verified);
  CHECK(answer.status == V_OCSP_CERTSTATUS_GOOD);

  CHECK_THROWS_WITH(OcspResponder(ca, responder_certificate(ca, false)), Catch::Contains("OCSPSigning"));
  const CertBundle other_ca = create_certificate(ec_spec("Other CA", true));
  CHECK_THROWS_WITH(OcspResponder(ca, responder_certificate(other_ca, true)),
                    Catch::Contains("not issued by CA"));
  CertBundle keyless;
  keyless.certificate = ossl::up_ref(ca.certificate.get());
  CHECK_THROWS_WITH(OcspResponder(ca, keyless), Catch::Contains("no private key"));
}
