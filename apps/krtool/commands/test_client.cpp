// krtool test-client: Invoke-RestMethod -Certificate with curl's flags, and a report of what each layer
// decided. The outcome is the result, not an error: its exit code is the contract's.
#include "krtool/client/test_client.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "command.hpp"
#include "common.hpp"
#include "help_format.hpp"
#include "krtool/client/lab_run.hpp"
#include "krtool/error.hpp"
#include "terminal.hpp"

namespace krtool::app {
namespace {

struct TestClientFlags {
  client::TestClientOptions options;
  std::string cert_file, key_file, cacert_file;
  PasswordFlags password;
  std::vector<std::string> headers, resolve;
  std::string data;
  double timeout_seconds = 10;
  int expect_status = 0;
  bool verbose = false;
  bool json = false;
  std::string lab;
  std::string server_profile = "strict";
  CLI::Option* data_option = nullptr;
  CLI::Option* expect_option = nullptr;
};

std::string read_data(const std::string& data) {
  if (data.empty() || data.front() != '@') return data;
  const std::string path = data.substr(1);
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw Error(Errc::Input, fmt::format("-d '{}': cannot read '{}'", data, path),
                "check the file after '@'");
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

std::pair<std::string, std::string> parse_header(const std::string& text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    throw Error(Errc::Usage, fmt::format("-H '{}': expected 'Name: value'", text),
                "e.g. -H 'Accept: application/json'");
  }
  std::string value = text.substr(colon + 1);
  value.erase(0, value.find_first_not_of(" \t"));
  return {text.substr(0, colon), value};
}

std::string describe_certificate(const client::CertificateSummary& certificate) {
  return fmt::format("'{}' (issued by {})", certificate.subject,
                     certificate.self_signed ? std::string("itself") : "'" + certificate.issuer + "'");
}

// print_layers prints what happened at each layer, in the order the layers ran.
void print_layers(const client::TestClientReport& report, const Style& style) {
  const client::TlsReport& tls = report.tls;
  const auto line = [](std::string_view layer, const std::string& text) {
    std::cout << fmt::format("  {:<5} {}\n", layer, text);
  };
  if (!report.connected_to.empty()) line("tcp", "connected to " + report.connected_to);
  if (tls.attempted) {
    if (!tls.protocol.empty()) {
      line("tls", tls.handshake_completed ? fmt::format("{}, {}", tls.protocol, tls.cipher)
                                          : fmt::format("{}, handshake not completed", tls.protocol));
    }
    if (tls.server_certificate) {
      line("tls", fmt::format("server certificate {}: {}", describe_certificate(*tls.server_certificate),
                              tls.server_verify_error.empty() ? std::string("verified")
                                                              : "NOT verified: " + tls.server_verify_error));
    }
    if (tls.client_certificate_requested) {
      line("tls", fmt::format("the server requested a client certificate; acceptable CAs: {}",
                              tls.acceptable_cas.empty()
                                  ? std::string("(none named)")
                                  : fmt::format("'{}'", fmt::join(tls.acceptable_cas, "', '"))));
    } else if (tls.handshake_completed) {
      line("tls", "the server did not request a client certificate");
    }
    if (tls.client_certificate_sent && tls.client_certificate) {
      line("tls", "sent the client certificate " + describe_certificate(*tls.client_certificate));
    } else if (tls.client_certificate_requested) {
      line("tls", "sent no client certificate");
    }
    if (tls.alert) {
      line("tls", fmt::format("alert {} {} {}{}", tls.alert->code, tls.alert->name,
                              tls.alert->from_server ? "from the server" : "sent by krtool",
                              tls.alert->after_handshake ? ", after the handshake" : ""));
    }
  }
  if (report.http.received) line("http", fmt::format("{} {}", report.http.status, report.http.reason));
  const bool ok = report.outcome == client::Outcome::Ok;
  std::cout << fmt::format("{} {}\n", style.paint("outcome:", "1"),
                           style.paint(client::to_string(report.outcome), ok ? "32" : "31;1"));
  if (!ok) {
    std::cout << fmt::format("{} {}\n", style.paint("cause:", "1"), report.diagnosis.cause);
    if (!report.diagnosis.fix.empty())
      std::cout << fmt::format("{} {}\n", style.paint("fix:", "1"), report.diagnosis.fix);
  }
  for (const std::string& note : report.notes)
    std::cout << fmt::format("{} {}\n", style.paint("note:", "33"), note);
}

void print_text(const client::TestClientReport& report) {
  const Style style = style_for(STDOUT_FILENO);
  if (report.http.received) {
    std::cout << fmt::format("HTTP {} {}\n", report.http.status, report.http.reason);
    std::cout << report.http.body;
    if (!report.http.body.empty() && report.http.body.back() != '\n') std::cout << '\n';
    if (report.http.body_truncated) std::cout << "(body truncated)\n";
    std::cout << '\n';
  }
  print_layers(report, style);
  std::cout.flush();
}

// run_lab prints one row per lab client, expected against actual, and explains each difference.
int run_lab(const TestClientFlags& flags) {
  client::LabRunOptions options;
  options.dir = flags.lab;
  options.url = flags.options.url;
  options.profile = flags.server_profile;
  options.cacert_file = flags.cacert_file;
  options.insecure = flags.options.insecure;
  options.timeout = flags.options.timeout;
  const client::LabRun run = client::run_lab(options);
  if (flags.json) {
    print_json(client::to_json(run));
  } else {
    const Style style = style_for(STDOUT_FILENO);
    const auto text = [](const client::LabLayers& l) {
      std::string t = l.tls_accepted ? std::string("TLS accepted") : "TLS alert " + l.alert;
      if (l.status) t += fmt::format(", HTTP {}", *l.status);
      return t;
    };
    std::cout << fmt::format("lab {} against {} (expectations: {} server)\n\n", flags.lab, run.url,
                             run.profile);
    std::cout << fmt::format("{:<22} {:<34} {:<34} {}\n", "CLIENT", "EXPECTED", "ACTUAL", "RESULT");
    for (const client::LabRow& row : run.rows) {
      std::cout << fmt::format("{:<22} {:<34} {:<34} {}\n", row.name, text(row.expected), text(row.actual),
                               row.skipped ? style.paint("skip", "33")
                               : row.pass  ? style.paint("pass", "32")
                                           : style.paint("FAIL", "31;1"));
      if (!row.pass || row.skipped) std::cout << "    " << row.mismatch << '\n';
    }
    const auto failed =
        std::count_if(run.rows.begin(), run.rows.end(), [](const auto& r) { return !r.pass; });
    std::cout << fmt::format("\n{} of {} clients as expected\n", run.rows.size() - failed, run.rows.size());
    std::cout.flush();
  }
  if (run.unreachable()) return client::exit_code(run.rows.front().report.outcome);
  return run.all_passed() ? 0 : 1;
}

int run_test_client(TestClientFlags& flags) {
  client::TestClientOptions& options = flags.options;
  options.cert_file = flags.cert_file;
  options.key_file = flags.key_file;
  options.cacert_file = flags.cacert_file;
  options.password = read_password(flags.password.source());
  options.prompt = terminal_prompt;
  for (const std::string& header : flags.headers) options.headers.push_back(parse_header(header));
  for (const std::string& entry : flags.resolve)
    options.resolve.push_back(client::parse_host_override(entry));
  if (flags.data_option->count() > 0) options.data = read_data(flags.data);
  if (flags.expect_option->count() > 0) options.expect_status = flags.expect_status;
  if (!(flags.timeout_seconds > 0) || flags.timeout_seconds > 3600) {
    throw Error(
        Errc::Usage,
        fmt::format("--timeout {}: give a number of seconds between 0 and 3600", flags.timeout_seconds),
        "e.g. --timeout 5");
  }
  options.timeout = std::chrono::milliseconds(static_cast<long>(flags.timeout_seconds * 1000));
  if (!flags.lab.empty()) return run_lab(flags);

  const client::TestClientReport report = client::run_test_client(options);
  if (flags.verbose) {
    for (const std::string& line : report.transcript) std::cerr << line << '\n';
  }
  if (flags.json) {
    print_json(client::to_json(report));
  } else {
    print_text(report);
  }
  return client::exit_code(report.outcome);
}

}  // namespace

void setup_test_client(CLI::App& parent, Runner& runner) {
  auto flags = std::make_shared<TestClientFlags>();
  CLI::App* command = parent.add_subcommand(
      "test-client",
      "Call an HTTPS URL with an optional client certificate and explain what each layer decided");
  command->add_option("url", flags->options.url, "The URL to call (https:// or http://)")
      ->required()
      ->option_text("URL");
  constexpr const char* kIdentity = "Client certificate";
  command
      ->add_option("--cert", flags->cert_file,
                   "Client certificate: PFX, PEM or DER (PEM may hold the key too)")
      ->option_text("FILE")
      ->group(kIdentity);
  command->add_option("--key", flags->key_file, "The client certificate's private key, when not in --cert")
      ->option_text("FILE")
      ->group(kIdentity);
  flags->password.add_to(command, "", "the client certificate's PFX or key", kIdentity);
  constexpr const char* kServer = "Server certificate";
  auto* cacert = command
                     ->add_option("--cacert", flags->cacert_file,
                                  "Trust these CAs for the server's certificate instead of the system store")
                     ->option_text("FILE")
                     ->group(kServer);
  command
      ->add_flag("-k,--skip-certificate-check,--insecure", flags->options.insecure,
                 "Do not fail on the server's certificate (it is still checked and reported)")
      ->excludes(cacert)
      ->group(kServer);
  command
      ->add_option("--servername", flags->options.servername,
                   "Name sent in SNI and checked in the server's certificate (default: the URL's host)")
      ->option_text("NAME")
      ->group(kServer);
  command->add_option("--tls-max", flags->options.tls_max, "Highest TLS version to offer (default 1.3)")
      ->check(CLI::IsMember({"1.2", "1.3"}))
      ->option_text("1.2|1.3")
      ->group(kServer);
  constexpr const char* kRequest = "Request";
  command->add_option("-X,--method", flags->options.method, "HTTP method (default GET, or POST with -d)")
      ->option_text("METHOD")
      ->group(kRequest);
  command->add_option("-H,--header", flags->headers, "Extra header 'Name: value' (repeatable)")
      ->option_text("'K: V'")
      ->group(kRequest);
  flags->data_option = command->add_option("-d,--data", flags->data, "Request body; @FILE reads it from FILE")
                           ->option_text("BODY")
                           ->group(kRequest);
  command->add_option("--resolve", flags->resolve, "Connect to ADDRESS for HOST:PORT, as curl (repeatable)")
      ->option_text("HOST:PORT:ADDRESS")
      ->group(kRequest);
  command->add_option("--timeout", flags->timeout_seconds, "Give up after SECONDS in all (default 10)")
      ->option_text("SECONDS")
      ->group(kRequest);
  flags->expect_option = command
                             ->add_option("--expect-status", flags->expect_status,
                                          "The status that counts as success (default: any 2xx)")
                             ->check(CLI::Range(100, 599))
                             ->option_text("N")
                             ->group("Output");
  command->add_flag("-v,--verbose", flags->verbose, "Print the TLS handshake, message by message, on stderr")
      ->group("Output");
  command->add_flag("--json", flags->json, "Print one JSON document")->group("Output");
  auto* lab = command
                  ->add_option("--lab", flags->lab,
                               "Call the URL with every client of this lab (krtool new-lab) and compare each "
                               "outcome with the lab's expectations")
                  ->option_text("DIR")
                  ->group("Lab");
  command
      ->add_option("--server-profile", flags->server_profile,
                   "With --lab: what kind of server to expect (default strict)")
      ->option_text(
          "strict|AllowAny|AllowSelfSignedForDevelopment|AllowMissingOrSelfSignedForDevelopment|nginx")
      ->group("Lab")
      ->needs(lab);
  for (const char* single : {"--cert", "--key", "--expect-status"})
    lab->excludes(command->get_option(single));
  command->footer(examples_footer({
      "krtool test-client https://localhost:5000/secure/cert/hello --cacert localhost-root.pem --cert "
      "alice.pem",
      "krtool test-client https://localhost:5000/secure/cert/hello --cacert localhost-root.pem "
      "--expect-status 401",
      "krtool test-client https://127.0.0.1:5000/info -k --json",
  }));
  command->callback([flags, &runner] { runner.action = [flags] { return run_test_client(*flags); }; });
}

}  // namespace krtool::app
