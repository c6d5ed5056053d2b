#include <catch2/catch.hpp>

#include "unit/server/server_fixtures.hpp"

using namespace krtool;
using namespace krtool::server;
using krtool::server_test::body_of;
using krtool::server_test::error_from;

namespace {

// A request as the HTTP layer hands it over after certificate authentication succeeded.
struct AuthenticatedRequest {
  cert::CertBundle client = server_test::make_client_certificate();
  auth::Principal principal = server_test::principal_for(client.certificate.get());
  RequestView view = [this] {
    RequestView v = server_test::request("GET", "/me");
    v.certificate = client.certificate.get();
    v.principal = &principal;
    v.tls_protocol = "TLSv1.3";
    return v;
  }();
};

}  // namespace

TEST_CASE("a JSON template renders every placeholder from the certificate, the user and the request",
          "[server][template]") {
  const AuthenticatedRequest request;
  const cert::CertificateInfo info = cert::describe(request.client.certificate.get());
  const auto handler = json_template_handler(R"({
    "subject": "{cert.subject}", "issuer": "{cert.issuer}", "thumbprint": "{cert.thumbprint}",
    "sha256": "{cert.thumbprintSha256}", "serial": "{cert.serialNumber}",
    "from": "{cert.notBefore}", "to": "{cert.notAfter}",
    "name": "{user.name}", "type": "{user.authenticationType}",
    "method": "{request.method}", "path": "{request.path}", "tls": "{tls.protocol}"
  })");
  const HandlerResponse response = handler->handle(request.view);
  CHECK(response.status == 200);
  CHECK(response.content_type == "application/json");
  const nlohmann::json body = body_of(response);
  CHECK(body["subject"] == "CN=alice, O=Acme");
  CHECK(body["issuer"] == "CN=alice, O=Acme");
  CHECK(body["thumbprint"] == info.thumbprint);
  CHECK(body["sha256"] == info.thumbprint_sha256);
  CHECK(body["serial"] == info.serial_number);
  CHECK(body["from"] == format_rfc3339(info.not_before));
  CHECK(body["to"] == format_rfc3339(info.not_after));
  CHECK(body["name"] == "CN=alice, O=Acme");
  CHECK(body["type"] == "Certificate");
  CHECK(body["method"] == "GET");
  CHECK(body["path"] == "/me");
  CHECK(body["tls"] == "TLSv1.3");
}

TEST_CASE("placeholders inside longer strings, in arrays and in nested objects are all rendered",
          "[server][template]") {
  const AuthenticatedRequest request;
  const auto handler = json_template_handler(
      R"({"greeting": "Hello {user.name} via {user.authenticationType}!", "list": [{"n": "{request.path}"}, 3, null]})");
  const nlohmann::json body = body_of(handler->handle(request.view));
  CHECK(body["greeting"] == "Hello CN=alice, O=Acme via Certificate!");
  CHECK(body["list"] == nlohmann::json::parse(R"([{"n": "/me"}, 3, null])"));
}

TEST_CASE("the template keeps the order of its keys", "[server][template]") {
  const AuthenticatedRequest request;
  const std::string body = json_template_handler(R"({"z": 1, "a": 2, "m": 3})")->handle(request.view).body;
  CHECK(body.find("\"z\"") < body.find("\"a\""));
  CHECK(body.find("\"a\"") < body.find("\"m\""));
}

TEST_CASE("a string that is exactly {claims} becomes the principal's claims", "[server][template]") {
  const AuthenticatedRequest request;
  const nlohmann::json body =
      body_of(json_template_handler(R"({"claims": "{claims}"})")->handle(request.view));
  REQUIRE(body["claims"].is_array());
  REQUIRE(body["claims"].size() == 5);
  CHECK(body["claims"][0] ==
        nlohmann::json({{"type", auth::kNameIdentifierClaim}, {"value", "CN=alice, O=Acme"}}));
  CHECK(body["claims"][2]["type"] == "thumbprint");
  CHECK(body["claims"][2]["value"] == request.principal.claims[2].value);
}

TEST_CASE("{user.isAuthenticated} is a boolean alone and text inside a string", "[server][template]") {
  const auto handler =
      json_template_handler(R"({"alone": "{user.isAuthenticated}", "text": "auth={user.isAuthenticated}"})");
  const AuthenticatedRequest authenticated;
  const nlohmann::json yes = body_of(handler->handle(authenticated.view));
  CHECK(yes["alone"] == true);
  CHECK(yes["text"] == "auth=true");
  const nlohmann::json no = body_of(handler->handle(server_test::request("GET", "/me")));
  CHECK(no["alone"] == false);
  CHECK(no["text"] == "auth=false");
}

TEST_CASE("without a certificate or a user, exact placeholders are null and embedded ones empty",
          "[server][template]") {
  const auto handler = json_template_handler(
      R"({"subject": "{cert.subject}", "name": "{user.name}", "claims": "{claims}", "tls": "{tls.protocol}",
          "line": "[{cert.thumbprint}|{user.name}]"})");
  const nlohmann::json body = body_of(handler->handle(server_test::request("GET", "/public")));
  CHECK(body["subject"].is_null());
  CHECK(body["name"].is_null());
  CHECK(body["claims"].is_null());
  CHECK(body["tls"].is_null());
  CHECK(body["line"] == "[|]");
}

TEST_CASE("braces that are not a placeholder stay as they are", "[server][template]") {
  const AuthenticatedRequest request;
  const auto handler = json_template_handler(
      R"({"a": "{}", "b": "{ not one }", "c": "{x}", "d": "{{cert.subject}}", "e": "{claims} and more", "f": "{a.}"})");
  const nlohmann::json body = body_of(handler->handle(request.view));
  CHECK(body["a"] == "{}");
  CHECK(body["b"] == "{ not one }");
  CHECK(body["c"] == "{x}");
  CHECK(body["d"] == "{CN=alice, O=Acme}");
  CHECK(body["e"] == "{claims} and more");
  CHECK(body["f"] == "{a.}");
}

TEST_CASE("an unknown placeholder is a usage error when the handler is made, with the near miss",
          "[server][template][errors]") {
  const Error e = error_from([] { json_template_handler(R"({"s": ["{cert.subjet}"]})"); });
  CHECK(e.code() == Errc::Usage);
  CHECK(std::string(e.what()) == "the JSON template uses an unknown placeholder '{cert.subjet}'");
  CHECK_THAT(e.hint(), Catch::StartsWith("did you mean '{cert.subject}'?"));
  CHECK_THAT(e.hint(), Catch::Contains("{user.isAuthenticated}"));
}

TEST_CASE("a template that is not JSON is a usage error carrying the parser's message",
          "[server][template][errors]") {
  const Error e = error_from([] { json_template_handler("{\"a\": \"{cert.subject}\""); });
  CHECK(e.code() == Errc::Usage);
  CHECK_THAT(e.what(),
             Catch::StartsWith("the JSON template is not valid JSON: parse error at line 1, column 23"));
  CHECK_THAT(e.what(), !Catch::Contains("json.exception"));
}

// Found by fuzz/json_template_fuzz.cpp: a number too large for a double made nlohmann throw out_of_range,
// which escaped json_template_handler as an internal error instead of the template's usage error.
TEST_CASE("a number too large for JSON's doubles is a usage error in the template", "[server][template]") {
  const Error e =
      error_from([] { json_template_handler(R"({"a": 99999999999999999999999999e99999999999})"); });
  CHECK(e.code() == Errc::Usage);
  CHECK(std::string(e.what()) ==
        "the JSON template is not valid JSON: number overflow parsing "
        "'99999999999999999999999999e99999999999'");
}
