#include <catch2/catch.hpp>

#include "unit/server/server_fixtures.hpp"

using namespace krtool;
using namespace krtool::server;
using krtool::server_test::body_of;
using krtool::server_test::error_from;

TEST_CASE("the identity echo shows the authenticated user and the certificate", "[server][handlers]") {
  const cert::CertBundle client = server_test::make_client_certificate();
  const auth::Principal principal = server_test::principal_for(client.certificate.get());
  RequestView view = server_test::request("POST", "/whoami");
  view.certificate = client.certificate.get();
  view.principal = &principal;

  const nlohmann::json body = body_of(identity_echo_handler()->handle(view));
  CHECK(body["path"] == "/whoami");
  CHECK(body["method"] == "POST");
  CHECK(body["authenticated"] == true);
  CHECK(body["user"] == "CN=alice, O=Acme");
  CHECK(body["authenticationType"] == "Certificate");
  CHECK(body["certificate"]["subject"] == "CN=alice, O=Acme");
  CHECK(body["certificate"]["issuer"] == "CN=alice, O=Acme");
  CHECK(body["certificate"]["thumbprint"] == cert::thumbprint(client.certificate.get()));
  CHECK(body["certificate"]["serialNumber"] == cert::serial_number(client.certificate.get()));
}

TEST_CASE("the identity echo of an anonymous request has nulls", "[server][handlers]") {
  const nlohmann::json body = body_of(identity_echo_handler()->handle(server_test::request("GET", "/")));
  CHECK(body["authenticated"] == false);
  CHECK(body["user"].is_null());
  CHECK(body["authenticationType"].is_null());
  CHECK(body["certificate"].is_null());
}

TEST_CASE("a certificate without authentication is echoed but not authenticated", "[server][handlers]") {
  const cert::CertBundle client = server_test::make_client_certificate();
  RequestView view = server_test::request("GET", "/");
  view.certificate = client.certificate.get();
  const nlohmann::json body = body_of(identity_echo_handler()->handle(view));
  CHECK(body["authenticated"] == false);
  CHECK(body["certificate"]["thumbprint"] == cert::thumbprint(client.certificate.get()));
}

TEST_CASE("the status handler takes only HTTP status codes", "[server][handlers][errors]") {
  CHECK(status_handler(100)->handle(server_test::request("GET", "/")).status == 100);
  CHECK(status_handler(599)->describe() == "status 599");
  CHECK(error_from([] { status_handler(99); }).code() == Errc::Usage);
  CHECK(error_from([] { status_handler(600); }).code() == Errc::Usage);
}
