#include <catch2/catch.hpp>

#include "unit/server/server_fixtures.hpp"

using namespace krtool;
using namespace krtool::server;
using krtool::server_test::body_of;

namespace {

const Route& find_route(const std::vector<Route>& routes, const std::string& path) {
  for (const Route& route : routes) {
    if (route.path == path) return route;
  }
  FAIL("no route " << path);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("the tutorial mounts public /info and two routes protected by the scheme", "[server][tutorial]") {
  const std::vector<Route> routes = tutorial_routes("Cert", "https://127.0.0.1:5000");
  REQUIRE(routes.size() == 3);
  for (const Route& route : routes) {
    INFO(route.path);
    CHECK(route.method == "GET");
    CHECK_FALSE(route.prefix);
  }
  CHECK(find_route(routes, "/info").scheme.empty());
  CHECK(find_route(routes, "/secure/cert/hello").scheme == "Cert");
  CHECK(find_route(routes, "/secure/cert/info").scheme == "Cert");
}

TEST_CASE("/info lists the endpoints and how to call them against this server", "[server][tutorial]") {
  const std::vector<Route> routes = tutorial_routes("Certificate", "https://127.0.0.1:5443/");
  const nlohmann::json body =
      body_of(find_route(routes, "/info").handler->handle(server_test::request("GET", "/info")));
  CHECK(body["message"] == "Client Certificate Authentication Demo");
  REQUIRE(body["endpoints"].size() == 2);
  CHECK(body["endpoints"][0]["path"] == "/secure/cert/hello");
  CHECK(body["endpoints"][1]["path"] == "/secure/cert/info");
  for (const nlohmann::json& endpoint : body["endpoints"]) {
    CHECK(endpoint["method"] == "GET");
    CHECK(endpoint["requiresAuth"] == true);
    CHECK_FALSE(endpoint["description"].get<std::string>().empty());
  }
  CHECK(body["testInstructions"]["clientCertPath"] == "client.pfx");
  CHECK(body["testInstructions"]["password"] == "test");
  CHECK(body["testInstructions"]["example"] ==
        "krtool test-client https://127.0.0.1:5443/secure/cert/hello --cert client.pfx --password test -k");
}

TEST_CASE("/info's example uses the Host the client called, since --port 0 is only known after binding",
          "[server][tutorial]") {
  const std::vector<Route> routes = tutorial_routes("Certificate", "https://127.0.0.1:0");
  RequestView view = server_test::request("GET", "/info");
  view.headers.emplace_back("host", "127.0.0.1:40123");
  const nlohmann::json body = body_of(find_route(routes, "/info").handler->handle(view));
  CHECK(body["testInstructions"]["example"] ==
        "krtool test-client https://127.0.0.1:40123/secure/cert/hello --cert client.pfx --password test -k");
}

TEST_CASE("/secure/cert/hello describes the client certificate with ISO 8601 UTC dates",
          "[server][tutorial]") {
  const cert::CertBundle client = server_test::make_client_certificate();
  const auth::Principal principal = server_test::principal_for(client.certificate.get());
  RequestView view = server_test::request("GET", "/secure/cert/hello");
  view.certificate = client.certificate.get();
  view.principal = &principal;
  const std::vector<Route> routes = tutorial_routes("Certificate", "https://localhost:5000");
  const HandlerResponse response = find_route(routes, "/secure/cert/hello").handler->handle(view);
  CHECK(response.status == 200);
  const nlohmann::json body = body_of(response);
  const cert::CertificateInfo info = cert::describe(client.certificate.get());
  CHECK(body["message"] == "Hello from client certificate authentication");
  CHECK(body["subject"] == "CN=alice, O=Acme");
  CHECK(body["issuer"] == "CN=alice, O=Acme");
  CHECK(body["thumbprint"] == info.thumbprint);
  CHECK(body["validFrom"] == format_rfc3339(info.not_before));
  CHECK(body["validTo"] == format_rfc3339(info.not_after));
  CHECK_THAT(body["validTo"].get<std::string>(), Catch::Matches(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"));
}

TEST_CASE("/secure/cert/info shows the principal, its claims and the certificate", "[server][tutorial]") {
  const cert::CertBundle client = server_test::make_client_certificate();
  const auth::Principal principal = server_test::principal_for(client.certificate.get());
  RequestView view = server_test::request("GET", "/secure/cert/info");
  view.certificate = client.certificate.get();
  view.principal = &principal;
  const std::vector<Route> routes = tutorial_routes("Certificate", "https://localhost:5000");
  const nlohmann::json body = body_of(find_route(routes, "/secure/cert/info").handler->handle(view));
  CHECK(body["authenticationType"] == "Certificate");
  CHECK(body["isAuthenticated"] == true);
  CHECK(body["name"] == "CN=alice, O=Acme");
  REQUIRE(body["claims"].size() == principal.claims.size());
  for (size_t i = 0; i < principal.claims.size(); ++i) {
    CHECK(body["claims"][i]["type"] == principal.claims[i].type);
    CHECK(body["claims"][i]["value"] == principal.claims[i].value);
  }
  CHECK(body["certificate"] ==
        nlohmann::json({{"subject", "CN=alice, O=Acme"},
                        {"issuer", "CN=alice, O=Acme"},
                        {"thumbprint", cert::thumbprint(client.certificate.get())},
                        {"serialNumber", cert::serial_number(client.certificate.get())}}));
}

TEST_CASE("the tutorial's protected routes answer 401 when mounted without a certificate",
          "[server][tutorial]") {
  const std::vector<Route> routes = tutorial_routes("Certificate", "https://localhost:5000");
  for (const char* path : {"/secure/cert/hello", "/secure/cert/info"}) {
    INFO(path);
    const HandlerResponse response =
        find_route(routes, path).handler->handle(server_test::request("GET", path));
    CHECK(response.status == 401);
    CHECK(body_of(response) == nlohmann::json({{"error", "No client certificate provided"}}));
  }
}
