// krtool policy test: a dry run of serve's decisions (TLS layer, schemes, authorization policies, a
// route) for one certificate file, without a server. The verdict is a result, not an error: exit 0 when
// the request would reach the route's handler, 1 otherwise.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "common.hpp"
#include "help_format.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/server/policy_test.hpp"
#include "krtool/server/serve_config.hpp"

namespace krtool::app {
namespace {

struct PolicyTestOptions {
  std::string file;
  PasswordFlags password;
  std::string config_file;
  std::string route;
  std::vector<std::string> policies;
  bool json = false;
};

int run_policy_test(const PolicyTestOptions& o) {
  // Flags are read before files, so that a malformed --route is a usage error whatever else is wrong.
  server::PolicyTestRequest request;
  if (!o.route.empty()) request = server::parse_policy_test_route(o.route);
  server::ServeConfig config = server::load_serve_config(o.config_file);
  if (!o.policies.empty()) {
    config.policies = o.policies;  // as in serve, the flag replaces the file's policies
    config.origins[std::string(server::field::kPolicies)] = "--policy";
  }

  formats::LoadOptions load;
  load.password = read_password(o.password.source());
  load.prompt = terminal_prompt;
  const cert::CertBundle bundle = formats::load_bundle(o.file, load);
  // The file's other certificates are what the client would send with it: intermediates, never anchors.
  ossl::UniquePtr<STACK_OF(X509)> chain(sk_X509_new_null());
  ossl::require(chain != nullptr, "allocating the chain");
  for (const auto& member : bundle.chain) {
    ossl::UniquePtr<X509> reference = ossl::up_ref(member.get());
    ossl::require(sk_X509_push(chain.get(), reference.get()) > 0, "building the chain");
    reference.release();  // the stack owns it now
  }

  const server::PolicyTestReport report =
      server::run_policy_test(config, bundle.certificate.get(), chain.get(), request, terminal_prompt);
  if (o.json) {
    print_json(report.to_json());
  } else {
    std::cout << report.to_text() << std::flush;
  }
  return report.allowed ? 0 : 1;
}

}  // namespace

void setup_policy(CLI::App& parent, Runner& runner) {
  CLI::App* policy = parent.add_subcommand("policy", "Authorization policies: check them without a server");
  policy->require_subcommand(1);
  // policy has one command so far: its examples are test's.
  const std::string examples = examples_footer({
      "krtool policy test alice.pem --config authz.json --route 'GET /ops'",
      "krtool policy test alice.pem --config authz.json --policy 'ops: subject CN=alice' --json",
  });
  policy->footer(examples);
  auto options = std::make_shared<PolicyTestOptions>();
  PolicyTestOptions& o = *options;
  CLI::App* test = policy->add_subcommand(
      "test",
      "Dry run: what the TLS layer, each scheme and each policy of a serve --config say about a certificate");
  test->add_option("file", o.file,
                   "Client certificate: PEM, DER or PFX; other certificates in it are its chain")
      ->required()
      ->option_text("FILE");
  o.password.add_to(test, "", "the certificate file");
  test->add_option("--config", o.config_file,
                   "serve's --config JSON file: TLS settings, schemes, policies, routes")
      ->required()
      ->option_text("FILE")
      ->group("Server");
  test->add_option("--route", o.route,
                   "Try this request: 'METHOD PATH'; without it, every policy is evaluated")
      ->option_text("'METHOD PATH'")
      ->group("Server");
  test->add_option("--policy", o.policies, "'NAME: RULE; RULE…' replacing the file's policies (repeatable)")
      ->allow_extra_args(false)
      ->option_text("'NAME: RULES'")
      ->group("Server");
  test->add_flag("--json", o.json,
                 "Print one JSON document: certificate, tls, schemes, policies, route, allowed")
      ->group("Output");
  test->footer(examples);
  test->callback([&runner, options] { runner.action = [options] { return run_policy_test(*options); }; });
}

}  // namespace krtool::app
