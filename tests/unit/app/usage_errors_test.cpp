// CLI11's errors in krtool's words: each kind of parse error, raised by a real CLI11 parse of a command
// shaped like krtool's, becomes one line that names the flag and a hint with the fix.
#include "usage_errors.hpp"

#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>
#include <vector>

namespace {

using krtool::app::UsageProblem;

// Cli is a small krtool: a `serve` and a `test-client` with the kinds of options the real ones have.
struct Cli {
  CLI::App app{"krtool", "krtool"};
  int port = 5000;
  std::string mode, url, cert, tls_max, csr, issuer, file, config;
  bool self_signed = false, force = false;
  int expect_status = 0;
  std::vector<std::string> routes;

  Cli() {
    app.require_subcommand(1, 1);
    CLI::App* serve = app.add_subcommand("serve", "serve");
    serve->add_option("--port", port, "Port")->option_text("PORT");
    serve->add_option("--client-cert-mode", mode, "Mode")->option_text("none|allow|require");
    auto* cert_option = serve->add_option("--cert", cert, "Certificate")->option_text("FILE");
    auto* self_signed_flag = serve->add_flag("--self-signed", self_signed, "Self-signed");
    cert_option->excludes(self_signed_flag);
    serve->add_flag("--force", force, "Force");
    auto* csr_option = serve->add_option("--csr", csr, "CSR")->option_text("FILE");
    auto* issuer_option = serve->add_option("--issuer", issuer, "Issuer")->option_text("FILE");
    csr_option->needs(issuer_option);
    CLI::App* client = app.add_subcommand("test-client", "test-client");
    client->add_option("url", url, "URL")->required()->option_text("URL");
    client->add_option("--tls-max", tls_max, "TLS")
        ->check(CLI::IsMember({"1.2", "1.3"}))
        ->option_text("1.2|1.3");
    client->add_option("--expect-status", expect_status, "Status")
        ->check(CLI::Range(100, 599))
        ->option_text("N");
    CLI::App* policy = app.add_subcommand("policy", "policy");  // a command with a command of its own
    policy->require_subcommand(1);
    CLI::App* test = policy->add_subcommand("test", "test");
    test->add_option("file", file, "File")->required()->option_text("FILE");
    test->add_option("--config", config, "Config")->required()->option_text("FILE");
    test->add_option("--route", routes, "Route")->option_text("ROUTE");
  }

  // problem parses `args` and translates the error it must raise.
  UsageProblem problem(std::initializer_list<std::string> args) {
    std::vector<std::string> reversed(args);
    std::reverse(reversed.begin(), reversed.end());
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      const CLI::App* command = &app;
      if (!app.get_subcommands().empty()) command = app.get_subcommands().front();
      std::vector<std::string> extras = command->remaining();
      for (const std::string& extra : app.remaining()) extras.push_back(extra);
      return krtool::app::describe_parse_error(e, *command, extras);
    }
    FAIL("the command line parsed without an error");
    return {};
  }
};

// No phrase of CLI11's reaches the user.
void check_krtool_words(const UsageProblem& problem) {
  for (const char* phrase :
       {"Could not convert", "At Most", "At least", "were not expected", "was not expected", "is required",
        "Excludes", "excludes", "Run with --help", "requires", "not in range", "Expected exactly"}) {
    INFO(problem.message << " / " << problem.hint);
    CHECK(problem.message.find(phrase) == std::string::npos);
    CHECK(problem.hint.find(phrase) == std::string::npos);
  }
  CHECK_FALSE(problem.hint.empty());
}

}  // namespace

TEST_CASE("a word where a port goes is not a number, and the hint gives the range", "[app][usage]") {
  const UsageProblem p = Cli().problem({"serve", "--port", "abc"});
  CHECK(p.message == "--port: 'abc' is not a number");
  CHECK(p.hint == "give a port from 0 to 65535; see 'krtool serve --help'");
  check_krtool_words(p);
}

TEST_CASE("two flags that exclude each other are named together", "[app][usage]") {
  const UsageProblem p = Cli().problem({"serve", "--cert", "a.pem", "--self-signed"});
  CHECK((p.message == "--cert and --self-signed cannot be used together" ||
         p.message == "--self-signed and --cert cannot be used together"));
  CHECK(p.hint.find("keep one of them") != std::string::npos);
  check_krtool_words(p);
}

TEST_CASE("a mistyped flag is named as unknown, with the nearest flag; its value is not blamed",
          "[app][usage]") {
  const UsageProblem p = Cli().problem({"serve", "--client-cert-mod", "allow"});
  CHECK(p.message == "krtool serve has no flag --client-cert-mod");
  CHECK(p.hint == "did you mean --client-cert-mode? See 'krtool serve --help'");
  check_krtool_words(p);
  const UsageProblem with_equals = Cli().problem({"serve", "--prot=8443"});
  CHECK(with_equals.message == "krtool serve has no flag --prot");
  CHECK(with_equals.hint.find("did you mean --port?") != std::string::npos);
}

TEST_CASE("a flag far from every flag gets no guess", "[app][usage]") {
  const UsageProblem p = Cli().problem({"serve", "--zzzzzzzz"});
  CHECK(p.hint == "see 'krtool serve --help'");
}

TEST_CASE("a missing positional argument is named by its value name", "[app][usage]") {
  const UsageProblem p = Cli().problem({"test-client"});
  CHECK(p.message == "krtool test-client needs URL");
  check_krtool_words(p);
}

TEST_CASE("a flag that needs another says which, and how to write it", "[app][usage]") {
  const UsageProblem p = Cli().problem({"serve", "--csr", "a.csr"});
  CHECK(p.message == "--csr needs --issuer");
  CHECK(p.hint.find("add --issuer FILE") != std::string::npos);
  check_krtool_words(p);
}

TEST_CASE("a flag given twice is told to be given once", "[app][usage]") {
  const UsageProblem p = Cli().problem({"serve", "--port", "1", "--port", "2"});
  CHECK(p.message == "--port was given 2 times; it takes one value");
  CHECK(p.hint.find("give --port once") != std::string::npos);
  check_krtool_words(p);
}

TEST_CASE("a flag without its value says what goes there", "[app][usage]") {
  const UsageProblem p = Cli().problem({"serve", "--port"});
  CHECK(p.message == "--port needs a value");
  CHECK(p.hint.find("write it as --port PORT") != std::string::npos);
  check_krtool_words(p);
}

TEST_CASE("a value out of range gives the range, a value not in a list gives the list", "[app][usage]") {
  const UsageProblem range = Cli().problem({"test-client", "https://x/", "--expect-status", "700"});
  CHECK(range.message == "--expect-status: 700 is out of range");
  CHECK(range.hint.find("give a value from 100 to 599") != std::string::npos);
  check_krtool_words(range);
  const UsageProblem member = Cli().problem({"test-client", "https://x/", "--tls-max", "1.4"});
  CHECK(member.message == "--tls-max: '1.4' is not a valid value");
  CHECK(member.hint.find("give one of 1.2|1.3") != std::string::npos);
  check_krtool_words(member);
}

TEST_CASE("a value given to a flag that takes none is refused in krtool's words", "[app][usage]") {
  const UsageProblem p = Cli().problem({"serve", "--force=maybe"});
  CHECK(p.message.find("--force") != std::string::npos);
  check_krtool_words(p);
}

TEST_CASE("an argument nothing takes is named", "[app][usage]") {
  const UsageProblem p = Cli().problem({"serve", "stray"});
  CHECK(p.message == "unexpected argument 'stray'");
  check_krtool_words(p);
}

TEST_CASE("a mistyped command gets the nearest command", "[app][usage]") {
  const krtool::app::CommandSpec commands[] = {{"serve", "Server", "run", nullptr},
                                               {"test-client", "Client", "call", nullptr}};
  const UsageProblem p = krtool::app::unknown_command("serv", commands);
  CHECK(p.message == "'serv' is not a krtool command");
  CHECK(p.hint.find("did you mean 'serve'?") != std::string::npos);
  CHECK(krtool::app::unknown_command("frobnicate", commands).hint.find("did you mean") == std::string::npos);
}

TEST_CASE("a command with commands of its own, given none, names them and writes one out", "[app][usage]") {
  const UsageProblem p = Cli().problem({"policy"});
  CHECK(p.message == "krtool policy needs a command: test");
  CHECK(p.hint == "write 'krtool policy test FILE --config FILE'; see 'krtool policy --help'");
  check_krtool_words(p);
  CHECK(Cli().problem({"policy", "--json"}).message == "krtool policy needs a command: test");
}

TEST_CASE("a mistyped command of a command gets the nearest of its commands", "[app][usage]") {
  const UsageProblem p = Cli().problem({"policy", "tset"});
  CHECK(p.message == "'tset' is not a command of krtool policy");
  CHECK(p.hint == "did you mean 'test'? See 'krtool policy --help'");
  check_krtool_words(p);
  const UsageProblem far = Cli().problem({"policy", "frobnicate"});
  CHECK(far.message == "'frobnicate' is not a command of krtool policy");
  CHECK(far.hint == "its commands: test; see 'krtool policy --help'");
}
