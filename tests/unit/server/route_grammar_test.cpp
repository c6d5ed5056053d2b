#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include "unit/server/server_fixtures.hpp"

using namespace krtool;
using namespace krtool::server;
using krtool::server_test::error_from;

TEST_CASE("a route reads its method, path, scheme and a JSON template that holds spaces",
          "[server][routes]") {
  const Route route = parse_route(R"(get /me auth=Certificate json:{"name": "{user.name}", "ok": true})");
  CHECK(route.method == "GET");
  CHECK(route.path == "/me");
  CHECK(route.scheme == "Certificate");
  CHECK_FALSE(route.prefix);
  REQUIRE(route.handler);
  CHECK(route.handler->describe() == "json template");
}

TEST_CASE("a route without auth= is public and without a handler echoes the caller", "[server][routes]") {
  const Route route = parse_route("POST /whoami");
  CHECK(route.method == "POST");
  CHECK(route.scheme.empty());
  CHECK(route.handler->describe() == "identity echo");
}

TEST_CASE("the method * matches any method", "[server][routes]") {
  CHECK(parse_route("* /any status:204").method == "*");
}

TEST_CASE("status: answers that code with an empty body", "[server][routes]") {
  const Route route = parse_route("DELETE /gone auth=Certificate status:410");
  const HandlerResponse response = route.handler->handle(server_test::request("DELETE", "/gone"));
  CHECK(response.status == 410);
  CHECK(response.body.empty());
  CHECK(response.content_type.empty());
}

TEST_CASE("dir: makes a prefix route over an existing folder", "[server][routes]") {
  test::TempDir dir;
  const Route route = parse_route(fmt::format("GET /static dir:{}", dir.path().string()));
  CHECK(route.prefix);
  CHECK(route.path == "/static");
  CHECK(route.handler->describe() == fmt::format("folder {}", dir.path().string()));
}

TEST_CASE("proxy: makes a prefix route to an http:// upstream", "[server][routes]") {
  const Route route = parse_route("* /api auth=Certificate proxy:http://127.0.0.1:9000");
  CHECK(route.method == "*");
  CHECK(route.prefix);
  CHECK(route.scheme == "Certificate");
  REQUIRE(route.handler);
  CHECK(route.handler->describe() == "proxy to http://127.0.0.1:9000");
  const Error tls = error_from([] { parse_route("GET /x proxy:https://127.0.0.1:9000"); });
  CHECK(tls.code() == Errc::Usage);
  CHECK_THAT(tls.what(), Catch::Contains("the upstream must be an http:// URL"));
}

TEST_CASE("file: keeps a path with spaces", "[server][routes]") {
  const RouteSpec spec = parse_route_spec("GET /a file:my files/a b.txt");
  CHECK(spec.handler == RouteSpec::HandlerKind::File);
  CHECK(spec.argument == "my files/a b.txt");
  CHECK(parse_route("GET /a file:my files/a b.txt").handler->describe() == "file my files/a b.txt");
}

TEST_CASE("format_route_spec gives back the grammar that parse_route_spec read", "[server][routes]") {
  for (const char* text : {"GET /a", "PUT /b auth=Cert", "GET /c auth=Cert json:{\"a\": \"{cert.subject}\"}",
                           "GET /d status:204", "GET /e dir:site", "* /f file:a.txt",
                           "POST /g auth=Certificate proxy:http://127.0.0.1:9000/app"}) {
    INFO(text);
    CHECK(format_route_spec(parse_route_spec(text)) == text);
  }
}

TEST_CASE("a path that does not start with / is a usage error naming the route", "[server][routes][errors]") {
  const Error e = error_from([] { parse_route("GET nopath"); });
  CHECK(e.code() == Errc::Usage);
  CHECK(std::string(e.what()) == "--route 'GET nopath': the path must start with '/'");
  CHECK_THAT(e.hint(), Catch::Contains("METHOD PATH [auth=SCHEME]"));
}

TEST_CASE("route grammar errors say what is wrong", "[server][routes][errors]") {
  struct Case {
    const char* spec;
    const char* problem;
  };
  for (const Case& c :
       {Case{"", "the route is empty"}, Case{"   ", "the route is empty"},
        Case{"GET", "the route has no path"}, Case{"FETCH /a", "'FETCH' is not an HTTP method"},
        Case{"GET /a auth=", "'auth=' needs a scheme name"},
        Case{"GET /a redirect:http://x", "'redirect:http://x' is not a handler"},
        Case{"GET /a auth=Certificate extra words", "'extra' is not a handler"},
        Case{"GET /a status:abc", "'status:abc' is not an HTTP status code"},
        Case{"GET /a status:99", "'status:99' is not an HTTP status code"},
        Case{"GET /a status:600", "'status:600' is not an HTTP status code"},
        Case{"GET /a status:204x", "'status:204x' is not an HTTP status code"},
        Case{"GET /a json:", "'json:' needs a value after the colon"},
        Case{"GET /a file:  ", "'file:' needs a value after the colon"}}) {
    INFO(c.spec);
    const Error e = error_from([&] { parse_route(c.spec); });
    CHECK(e.code() == Errc::Usage);
    CHECK(std::string(e.what()) == fmt::format("--route '{}': {}", c.spec, c.problem));
    CHECK_FALSE(e.hint().empty());
  }
}

TEST_CASE("a handler that cannot be made is reported with the route and its origin",
          "[server][routes][errors]") {
  const Error bad_json =
      error_from([] { parse_route("GET /a json:{\"a\": }", "config 'x.json' routes[0]"); });
  CHECK(bad_json.code() == Errc::Usage);
  CHECK_THAT(bad_json.what(),
             Catch::StartsWith("config 'x.json' routes[0] 'GET /a json:{\"a\": }': the JSON template "
                               "is not valid JSON: parse error at line 1, column 7"));

  const Error missing = error_from([] { parse_route("GET /s dir:/nonexistent/krtool-folder"); });
  CHECK(missing.code() == Errc::Usage);
  CHECK(std::string(missing.what()) ==
        "--route 'GET /s dir:/nonexistent/krtool-folder': the folder '/nonexistent/krtool-folder' does not "
        "exist");
}
