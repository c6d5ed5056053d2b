#include <openssl/ocsp.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "cert/ocsp_handles.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/cert/ca_database.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/server/routes.hpp"
#include "support/temp_dir.hpp"
#include "unit/cert/revocation_fixtures.hpp"

using namespace krtool;
using krtool::test::ec_spec;

namespace {

// A CA on disk (ca.pem + ca.key) with its database, and two clients, one of them revoked.
struct CaOnDisk {
  test::TempDir dir;
  cert::CertBundle ca = cert::create_certificate(ec_spec("Routes CA", true));
  cert::CertBundle alice = cert::create_certificate(ec_spec("alice", false), &ca);
  cert::CertBundle bob = cert::create_certificate(ec_spec("bob", false), &ca);
  std::string ca_file = (dir / "ca.pem").string();

  CaOnDisk() {
    std::ofstream(dir / "ca.pem") << formats::encode_pem_certificate(ca.certificate.get());
    std::ofstream(dir / "ca.key") << formats::encode_pem_key(ca.key.get(), std::nullopt);
    cert::CaDatabase db(ca.certificate.get());
    db.record(alice.certificate.get(), "alice.pem");
    db.record(bob.certificate.get(), "bob.pem");
    db.save(ca_file);
    revoke(bob.certificate.get());
  }
  void revoke(X509* certificate) const {
    auto db = cert::CaDatabase::load(ca_file, ca.certificate.get());
    db->revoke(cert::serial_hex(certificate), test::kT0, cert::RevocationReason::KeyCompromise);
    db->save(ca_file);
  }
};

server::RequestView request(std::string method, std::string path, std::string body = {}) {
  server::RequestView view;
  view.method = std::move(method);
  view.path = path;
  view.target = std::move(path);
  view.body = std::move(body);
  return view;
}

ossl::UniquePtr<X509_CRL> parse_crl(const std::string& der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  return ossl::UniquePtr<X509_CRL>(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(der.size())));
}

std::string ocsp_request(X509* certificate, X509* issuer) {
  ossl::UniquePtr<OCSP_REQUEST> ocsp(OCSP_REQUEST_new());
  REQUIRE(OCSP_request_add0_id(ocsp.get(), OCSP_cert_to_id(EVP_sha1(), certificate, issuer)) != nullptr);
  unsigned char* raw = nullptr;
  const int length = i2d_OCSP_REQUEST(ocsp.get(), &raw);
  const ossl::UniquePtr<unsigned char> owned(raw);
  return std::string(reinterpret_cast<char*>(raw), static_cast<size_t>(length));
}

int ocsp_status(const std::string& der, X509* certificate, X509* issuer) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  ossl::UniquePtr<OCSP_RESPONSE> response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
  REQUIRE(response != nullptr);
  REQUIRE(OCSP_response_status(response.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL);
  ossl::UniquePtr<OCSP_BASICRESP> basic(OCSP_response_get1_basic(response.get()));
  ossl::UniquePtr<OCSP_CERTID> id(OCSP_cert_to_id(EVP_sha1(), certificate, issuer));
  int status = -1;
  REQUIRE(OCSP_resp_find_status(basic.get(), id.get(), &status, nullptr, nullptr, nullptr, nullptr) == 1);
  return status;
}

}  // namespace

TEST_CASE("crl: and ocsp: routes read the CA argument and refuse unknown options",
          "[server][routes][revocation]") {
  const server::RouteSpec crl = server::parse_route_spec("GET /crl crl:ca.pem,password-env=CA_PW");
  CHECK(crl.handler == server::RouteSpec::HandlerKind::Crl);
  CHECK(crl.argument == "ca.pem,password-env=CA_PW");
  const server::RouteSpec ocsp = server::parse_route_spec("* /ocsp ocsp:ca.pem,responder=r.pem");
  CHECK(ocsp.handler == server::RouteSpec::HandlerKind::Ocsp);
  CHECK(server::format_route_spec(ocsp) == "* /ocsp ocsp:ca.pem,responder=r.pem");
  CHECK_THROWS_WITH(server::parse_route_spec("GET /crl crl:ca.pem,responder=r.pem"),
                    Catch::Contains("'responder' is not an option of crl:"));
  CHECK_THROWS_WITH(server::parse_route_spec("GET /ocsp ocsp:ca.pem,colour=blue"), Catch::Contains("colour"));
}

TEST_CASE("a crl: route serves the CA's current CRL and makes it again when the database changes",
          "[server][routes][revocation]") {
  CaOnDisk ca;
  const server::Route route = server::parse_route("GET /crl crl:" + ca.ca_file);
  CHECK_THAT(route.handler->describe(), Catch::Contains("CRL of"));
  const server::HandlerResponse first = route.handler->handle(request("GET", "/crl"));
  CHECK(first.status == 200);
  CHECK(first.content_type == "application/pkix-crl");
  const ossl::UniquePtr<X509_CRL> crl = parse_crl(first.body);
  REQUIRE(crl != nullptr);
  CHECK(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.ca.certificate.get())) == 1);
  X509_REVOKED* entry = nullptr;
  CHECK(X509_CRL_get0_by_cert(crl.get(), &entry, ca.bob.certificate.get()) == 1);
  CHECK(X509_CRL_get0_by_cert(crl.get(), &entry, ca.alice.certificate.get()) == 0);
  CHECK(route.handler->handle(request("GET", "/crl")).body == first.body);  // cached

  ca.revoke(ca.alice.certificate.get());
  const ossl::UniquePtr<X509_CRL> again = parse_crl(route.handler->handle(request("GET", "/crl")).body);
  REQUIRE(again != nullptr);
  CHECK(X509_CRL_get0_by_cert(again.get(), &entry, ca.alice.certificate.get()) == 1);
}

TEST_CASE("an ocsp: route answers POST and GET from the database", "[server][routes][revocation]") {
  CaOnDisk ca;
  const server::Route route = server::parse_route("* /ocsp ocsp:" + ca.ca_file);
  CHECK(route.prefix);
  X509* issuer = ca.ca.certificate.get();
  const server::HandlerResponse posted =
      route.handler->handle(request("POST", "/ocsp", ocsp_request(ca.bob.certificate.get(), issuer)));
  CHECK(posted.content_type == "application/ocsp-response");
  CHECK(ocsp_status(posted.body, ca.bob.certificate.get(), issuer) == V_OCSP_CERTSTATUS_REVOKED);

  const std::string der = ocsp_request(ca.alice.certificate.get(), issuer);
  std::string base64(4 * ((der.size() + 2) / 3) + 1, '\0');
  base64.resize(static_cast<size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()),
                                                    reinterpret_cast<const unsigned char*>(der.data()),
                                                    static_cast<int>(der.size()))));
  std::string escaped;
  for (const char c : base64)
    escaped += c == '/' ? "%2F" : c == '+' ? "%2B" : c == '=' ? "%3D" : std::string(1, c);
  const server::HandlerResponse got = route.handler->handle(request("GET", "/ocsp/" + escaped));
  CHECK(ocsp_status(got.body, ca.alice.certificate.get(), issuer) == V_OCSP_CERTSTATUS_GOOD);
  CHECK(route.handler->handle(request("DELETE", "/ocsp")).status == 405);
}

TEST_CASE("a crl: route for a CA without its key stops serve at start-up", "[server][routes][revocation]") {
  CaOnDisk ca;
  std::filesystem::remove(ca.dir / "ca.key");
  try {
    server::parse_route("GET /crl crl:" + ca.ca_file);
    FAIL("a CA without a key was accepted");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("/crl") && Catch::Contains("no private key"));
  }
}
