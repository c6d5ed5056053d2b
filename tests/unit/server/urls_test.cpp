// Kestrel's URL list: what --urls, the config's endpoint.urls and $ASPNETCORE_URLS accept and refuse.
#include "krtool/server/urls.hpp"

#include <catch2/catch.hpp>

#include "krtool/error.hpp"
#include "support/error_from.hpp"

using Catch::Matchers::Contains;
using krtool::Errc;
using krtool::Error;
using krtool::server::Endpoint;
using krtool::server::endpoint_url;
using krtool::server::parse_urls;
using krtool::test::error_from;

TEST_CASE("a Kestrel URL list becomes one endpoint per URL, in order", "[server][urls]") {
  const std::vector<Endpoint> endpoints = parse_urls("https://127.0.0.1:8443; http://[::1]:8080/", "--urls");
  REQUIRE(endpoints.size() == 2);
  CHECK(endpoints[0].address == "127.0.0.1");
  CHECK(endpoints[0].port == 8443);
  CHECK(endpoints[0].https);
  CHECK(endpoints[1].address == "::1");
  CHECK(endpoints[1].port == 8080);
  CHECK_FALSE(endpoints[1].https);
  CHECK(endpoint_url(endpoints[1]) == "http://[::1]:8080");
}

TEST_CASE("URL defaults and host spellings follow Kestrel", "[server][urls]") {
  CHECK(parse_urls("HTTPS://127.0.0.1", "--urls").front().port == 443);
  CHECK(parse_urls("http://127.0.0.1", "--urls").front().port == 80);
  CHECK(parse_urls("http://*:5000", "--urls").front().address == "0.0.0.0");
  CHECK(parse_urls("http://+:5000", "--urls").front().address == "0.0.0.0");
  const std::vector<Endpoint> localhost = parse_urls("https://LocalHost:5001", "--urls");
  REQUIRE(localhost.size() == 2);  // both loopbacks; the IPv6 one may be skipped
  CHECK(localhost[0].address == "127.0.0.1");
  CHECK_FALSE(localhost[0].skip_if_unavailable);
  CHECK(localhost[1].address == "::1");
  CHECK(localhost[1].skip_if_unavailable);
  CHECK(parse_urls(";http://127.0.0.1:0;;", "--urls").size() == 1);  // empty entries are skipped
}

TEST_CASE("a URL that cannot be listened on is a usage error naming where it came from", "[server][urls]") {
  const auto refused = [](const char* list, const char* expected) {
    INFO(list);
    const Error e = error_from([&] { parse_urls(list, "$ASPNETCORE_URLS"); });
    CHECK(e.code() == Errc::Usage);
    CHECK_THAT(e.what(), Contains("$ASPNETCORE_URLS") && Contains(expected));
    CHECK_FALSE(e.hint().empty());
  };
  refused("ftp://127.0.0.1:21", "is not an http:// or https:// URL");
  refused("127.0.0.1:8080", "is not an http:// or https:// URL");
  refused("http://example.com:8080", "names the host 'example.com'");
  refused("http://127.0.0.1:8080/api", "has a path");
  refused("http://127.0.0.1:99999", "no port from 0 to 65535");
  refused("http://127.0.0.1:", "no port from 0 to 65535");
  refused("http://[::1:8080", "unclosed '['");
  refused("http://[nope]:8080", "no IPv6 address");
  refused("http://:8080", "names no host");
  refused("http://localhost:0", "free port on localhost");
  refused("  ;  ", "no URL given");
  std::string many;
  for (int i = 0; i < 17; ++i) many += "http://127.0.0.1:0;";
  refused(many.c_str(), "more than 16 URLs");
}
