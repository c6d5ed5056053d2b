// The "policies" key and route objects' "auth" list and "policy" in a --config file, and what
// build_server_options makes of them.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "krtool/error.hpp"
#include "krtool/server/build_server.hpp"
#include "krtool/server/serve_config.hpp"
#include "support/error_from.hpp"

namespace krtool::test {
namespace {

server::ServeConfig from_json(const std::string& text) {
  return server::serve_config_from_json(nlohmann::json::parse(text), "config 'serve.json'", "");
}

}  // namespace

TEST_CASE("policies are lists of rule strings or one-key rule objects", "[server][config][policy]") {
  const server::ServeConfig config = from_json(R"({
    "policies": {
      "ops": ["subject O=Acme, OU=ops", {"eku": "clientAuth"}],
      "pinned": [{"thumbprint": ["3F2A6F0C5C8E4B1D2A3B4C5D6E7F8091A2B3C4D5", "00112233445566778899AABBCCDDEEFF00112233"]}]
    },
    "routes": [{"method": "GET", "path": "/ops", "auth": ["Certificate", "Partner"], "policy": "ops"}]
  })");
  CHECK(config.policies ==
        std::vector<std::string>{"ops: subject O=Acme, OU=ops; eku clientAuth",
                                 "pinned: thumbprint 3F2A6F0C5C8E4B1D2A3B4C5D6E7F8091A2B3C4D5, "
                                 "00112233445566778899AABBCCDDEEFF00112233"});
  CHECK(config.routes == std::vector<std::string>{"GET /ops auth=Certificate,Partner policy=ops"});

  const server::PolicySet set = server::build_policies(config);
  REQUIRE(set.policies.size() == 2);
  CHECK(set.notes.description.front() == "policy: ops: subject O=Acme, OU=ops; eku clientAuth");
}

TEST_CASE("a bad policy in a config file names the key, the rule and the fix", "[server][config][policy]") {
  const Error typo = error_from([] { from_json(R"({"policies": {"ops": ["isuer is CN=Dev CA"]}})"); });
  CHECK(typo.code() == Errc::Usage);
  CHECK(std::string(typo.what()) ==
        "config 'serve.json' policies.ops: policy 'ops': rule 'isuer is CN=Dev CA': 'isuer' is not a rule");
  CHECK_THAT(typo.hint(), Catch::StartsWith("did you mean 'issuer'?"));

  const Error not_list = error_from([] { from_json(R"({"policies": {"ops": "subject O=Acme"}})"); });
  CHECK(std::string(not_list.what()) ==
        "config 'serve.json': 'policies.ops' must be a list of rules, not a string");

  const Error two_keys =
      error_from([] { from_json(R"({"policies": {"ops": [{"eku": "clientAuth", "subject": "O=Acme"}]}})"); });
  CHECK_THAT(two_keys.what(),
             Catch::Contains("'policies.ops[0]' must be a rule string or an object of one key"));

  const Error semicolon =
      error_from([] { from_json(R"({"policies": {"ops": ["subject O=A; eku clientAuth"]}})"); });
  CHECK_THAT(semicolon.what(), Catch::Contains("a rule cannot contain ';'"));

  const Error policy_alone =
      error_from([] { from_json(R"({"routes": [{"path": "/ops", "policy": "ops"}]})"); });
  CHECK_THAT(policy_alone.what(), Catch::Contains("'policy=ops' needs auth=SCHEME"));
}

TEST_CASE("a policy defined twice is refused", "[server][config][policy]") {
  server::ServeConfig config;
  config.policies = {"ops: eku clientAuth", "ops: subject O=Acme"};
  const Error twice = error_from([&] { server::build_policies(config); });
  CHECK(twice.code() == Errc::Usage);
  CHECK_THAT(twice.what(), Catch::Contains("policy 'ops' is defined twice"));
}

}  // namespace krtool::test
