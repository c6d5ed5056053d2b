// --help as krtool lays it out: options under their headings with value names and defaults, each
// exclusion stated once per heading, and the examples at the end.
#include "help_format.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace {

struct Command {
  CLI::App app{"krtool", "krtool"};
  std::string address = "127.0.0.1", password, password_file, password_env, route, csr, issuer;
  int valid_days = 365;
  bool no_password = false, development = false;
  std::string root_name = "Dev Root";

  Command() {
    app.formatter(std::make_shared<krtool::app::HelpFormatter>());
    app.option_defaults()->always_capture_default();
    CLI::App* cmd = app.add_subcommand("serve", "Run a development HTTPS server");
    cmd->add_option("--address", address, "Address to bind")->option_text("ADDRESS")->group("Endpoint");
    cmd->add_option("--valid-days", valid_days, "Lifetime in days")->option_text("DAYS")->group("Endpoint");
    auto* v = cmd->add_option("--password", password, "Password")->option_text("VALUE")->group("Passwords");
    auto* f = cmd->add_option("--password-file", password_file, "From a file")
                  ->option_text("FILE")
                  ->group("Passwords");
    auto* e = cmd->add_option("--password-env", password_env, "From the environment")
                  ->option_text("VAR")
                  ->group("Passwords");
    auto* n = cmd->add_flag("--no-password", no_password, "Empty")->group("Passwords");
    v->excludes(f, e, n);
    f->excludes(e, n);
    e->excludes(n);
    auto* dev = cmd->add_flag("--development", development, "Development pair")->group("Development");
    cmd->add_option("--root-name", root_name, "Root CN")
        ->option_text("NAME")
        ->group("Development")
        ->needs(dev);
    cmd->add_option("--route", route, "A route (default: the tutorial's three)")
        ->option_text("ROUTE")
        ->group("Routes");
    dev->excludes(cmd->get_option("--address"));
    cmd->footer(krtool::app::examples_footer({"krtool serve --self-signed", "krtool serve --port 0"}));
  }

  std::string help() {
    std::vector<std::string> args{"--help", "serve"};
    try {
      app.parse(args);
    } catch (const CLI::CallForHelp&) {
    }
    return app.help();
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("help lists options under their headings, in the order they were defined", "[app][help]") {
  const std::string help = Command().help();
  INFO(help);
  CHECK(contains(help, "Usage: krtool serve [OPTIONS]"));
  const size_t endpoint = help.find("\nEndpoint:\n"), passwords = help.find("\nPasswords:\n"),
               development = help.find("\nDevelopment:\n"), routes = help.find("\nRoutes:\n");
  REQUIRE(endpoint != std::string::npos);
  REQUIRE(passwords != std::string::npos);
  CHECK(endpoint < passwords);
  CHECK(passwords < development);
  CHECK(development < routes);
  CHECK(help.find("--password-file FILE") > passwords);
}

TEST_CASE("help names values by what goes there and shows each default once", "[app][help]") {
  const std::string help = Command().help();
  INFO(help);
  CHECK(contains(help, "--address ADDRESS"));
  CHECK(contains(help, "Address to bind (default 127.0.0.1)"));
  CHECK(contains(help, "Lifetime in days (default 365)"));
  CHECK(contains(help, "A route (default: the tutorial's three)"));  // not a second, empty default
  CHECK_FALSE(contains(help, " TEXT"));
  CHECK_FALSE(contains(help, " INT"));
  CHECK_FALSE(contains(help, "(default )"));
}

TEST_CASE("help states exclusions once per heading, not on every option", "[app][help]") {
  const std::string help = Command().help();
  INFO(help);
  CHECK(count(help, "at most one of: --password, --password-file, --password-env, --no-password") == 1);
  CHECK(count(help, "--development cannot be used with --address") +
            count(help, "--address cannot be used with --development") ==
        1);
  CHECK(contains(help, "--root-name needs --development"));
  CHECK_FALSE(contains(help, "Excludes"));
  CHECK_FALSE(contains(help, "Needs:"));
}

TEST_CASE("help ends with the command's examples, as docgen reads them from the footer", "[app][help]") {
  Command command;
  const std::string help = command.help();
  CHECK(contains(help, "Examples:\n  krtool serve --self-signed\n  krtool serve --port 0\n"));
  CHECK(command.app.get_subcommand("serve")->get_footer() ==
        "Examples:\n  krtool serve --self-signed\n  krtool serve --port 0");
}

TEST_CASE("krtool's usage lists the commands under their groups, one line each, and two examples",
          "[app][help]") {
  const krtool::app::CommandSpec commands[] = {
      {"new-selfsigned", "Certificates", "make a certificate", nullptr},
      {"serve", "Server", "run the server", nullptr},
      {"import", "Certificates", "read a certificate", nullptr},
      {"test-client", "Client", "call a URL", nullptr}};
  const std::string usage = krtool::app::usage_text(commands);
  INFO(usage);
  CHECK(contains(
      usage, "Certificates:\n  new-selfsigned  make a certificate\n  import          read a certificate\n"));
  CHECK(contains(usage, "Server:\n  serve           run the server\n"));
  CHECK(contains(usage, "Client:\n  test-client     call a URL\n"));
  CHECK(count(usage, "\n  krtool ") == 2);
}

TEST_CASE("a command with commands of its own lists them, and says where their options are", "[app][help]") {
  CLI::App app{"krtool", "krtool"};
  app.formatter(std::make_shared<krtool::app::HelpFormatter>());
  CLI::App* policy = app.add_subcommand("policy", "Authorization policies");
  policy->require_subcommand(1);
  policy->add_subcommand("test", "Dry run of the policies");
  policy->add_subcommand("explain", "Say what a rule means");
  std::vector<std::string> args{"--help", "policy"};
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
  }
  const std::string help = app.help();
  INFO(help);
  CHECK(contains(help, "Usage: krtool policy COMMAND [OPTIONS]\n"));
  CHECK(
      contains(help, "\nCommands:\n  test     Dry run of the policies\n  explain  Say what a rule means\n"));
  CHECK(contains(help, "\nRun 'krtool policy COMMAND --help' for a command's options.\n"));
  CHECK(Command().help().find("COMMAND") == std::string::npos);  // a command without commands says none
}
