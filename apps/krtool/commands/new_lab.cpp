// krtool new-lab DIR: a root, an intermediate, a localhost server certificate and one client per way a
// server can refuse one (cert/lab.hpp), then the commands that serve the lab and exercise it.
#include <fmt/format.h>

#include <iostream>

#include "command.hpp"
#include "common.hpp"
#include "krtool/cert/lab.hpp"

namespace krtool::app {
namespace {

struct NewLabOptions {
  std::string dir;
  bool new_root = false;
  bool allow_weak = false;
  std::string pfx_profile = "modern";
  int port = 8443;
  bool force = false;
  bool json = false;
};

// shell_quote leaves plain words alone and single-quotes the rest, so a printed line pastes as it is.
std::string shell_quote(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of(
                                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_./:=@%+,-") == std::string::npos;
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string command_line(const std::vector<std::string>& words) {
  std::string line = "krtool";
  for (const std::string& word : words) line += " " + shell_quote(word);
  return line;
}

std::string expected_text(const nlohmann::json& e) {
  if (e.value("tls", "") != "accepted") return "TLS alert " + e.value("alert", std::string("?"));
  return fmt::format("TLS accepted, HTTP {}", e["status"].is_number() ? e["status"].get<int>() : 0);
}

void print_lab(const nlohmann::json& manifest, const std::filesystem::path& dir) {
  const auto at = [&](const nlohmann::json& relative) {
    return (dir / relative.get<std::string>()).string();
  };
  const std::string url =
      fmt::format("https://localhost:{}{}", manifest["port"].get<int>(), manifest["path"].get<std::string>());
  const std::string root = at(manifest["root"]["files"]["certificate"]);
  std::cout << fmt::format("Wrote the lab in {}: {} clients, root '{}'{}\n\n", dir.string(),
                           manifest["clients"].size(), manifest["root"]["subject"].get<std::string>(),
                           manifest["root"].value("development", false)
                               ? " (the development root, krtool caroot)"
                               : " (made for this lab)");
  std::cout << "Serve it strictly:\n  " << command_line(cert::lab_serve_arguments(manifest, dir, "strict"))
            << "\nRun every client against it (exit 1 on any row that differs):\n  "
            << command_line({"test-client", "--lab", dir.string(), url}) << "\n\n";
  std::cout << fmt::format("{:<22} {:<34} {}\n", "CLIENT", "A STRICT SERVER", "WHAT IT IS");
  for (const auto& client : manifest["clients"]) {
    std::cout << fmt::format("{:<22} {:<34} {}\n", client["name"].get<std::string>(),
                             expected_text(client["expected"]["strict"]),
                             client["purpose"].get<std::string>());
  }
  std::cout << "\nEach client by hand (the PFX and encrypted keys' password is "
            << manifest["password"].get<std::string>() << "):\n";
  for (const auto& client : manifest["clients"]) {
    const std::string certificate = at(client["files"]["certificate"]);
    const std::string key = at(client["files"]["key"]);
    std::cout << fmt::format("# {}\n", client["name"].get<std::string>());
    std::cout << fmt::format("krtool test-client {} --cert {} --key {} --cacert {}\n", url, certificate, key,
                             root);
    std::cout << fmt::format("curl --cert {} --key {} --cacert {} {}\n", certificate, key, root, url);
    std::cout << fmt::format(
        "openssl s_client -connect localhost:{} -cert {} -key {} -CAfile {} </dev/null\n",
        manifest["port"].get<int>(), certificate, key, root);
  }
  std::cout.flush();
}

int run_new_lab(const NewLabOptions& o) {
  cert::LabOptions options;
  options.dir = o.dir;
  options.new_root = o.new_root;
  options.allow_weak = o.allow_weak;
  options.pfx_profile = formats::parse_pfx_profile(o.pfx_profile);
  options.port = o.port;
  options.force = o.force;
  nlohmann::json manifest = cert::create_lab(options);
  if (o.json) {
    manifest["dir"] = o.dir;
    const std::vector<std::string> serve = cert::lab_serve_arguments(manifest, o.dir, "strict");
    manifest["serveCommand"] = command_line(serve);
    manifest["serveArguments"] = serve;
    print_json(manifest);
    return 0;
  }
  print_lab(manifest, o.dir);
  return 0;
}

}  // namespace

void setup_new_lab(CLI::App& parent, Runner& runner) {
  auto options = std::make_shared<NewLabOptions>();
  NewLabOptions& o = *options;
  CLI::App* cmd = parent.add_subcommand(
      "new-lab",
      "Make a root, an intermediate, a localhost server and one client certificate per rejection path");
  cmd->add_option("DIR", o.dir, "The folder to make (it must not exist, unless --force)")->required();
  cmd->add_flag("--new-root", o.new_root, "Make a root for this lab instead of using the development root")
      ->group("Certificates");
  cmd->add_flag("--allow-weak", o.allow_weak, "Add an RSA 1024 client (refused by OpenSSL's default level)")
      ->group("Certificates");
  cmd->add_option("--pfx-profile", o.pfx_profile, "PFX encryption of the clients and server (default modern)")
      ->option_text("modern|legacy")
      ->group("Certificates");
  cmd->add_option("--port", o.port,
                  "The port the lab's serve listens on, in printed commands and URLs (default 8443)")
      ->option_text("N")
      ->group("Certificates");
  cmd->add_flag("--force", o.force, "Replace DIR if it exists (only once the new lab is complete)")
      ->group("Output");
  cmd->add_flag("--json", o.json, "Print lab.json (and the serve command) as one JSON document")
      ->group("Output");
  cmd->callback([&runner, options] { runner.action = [options] { return run_new_lab(*options); }; });
}

}  // namespace krtool::app
