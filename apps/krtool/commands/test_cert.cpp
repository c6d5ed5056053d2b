// krtool test-cert: Test-KrCertificate and Get-KrCertificatePurpose. The verdict is a result, not an
// error: exit 0 when the certificate passes, 1 with the first failed check's reason otherwise.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "common.hpp"
#include "help_format.hpp"
#include "krtool/cert/crl.hpp"
#include "krtool/cert/validate.hpp"
#include "krtool/formats/load.hpp"

namespace krtool::app {
namespace {

struct TestCertOptions {
  std::string file;
  std::string key_file;
  PasswordFlags password;
  std::vector<std::string> chain_files;
  std::vector<std::string> trust_ca_files;
  std::vector<std::string> purposes;
  bool strict_purpose = false;
  bool deny_self_signed = false;
  bool allow_weak_algorithms = false;
  bool check_revocation = false;
  std::vector<std::string> crl_files;
  bool json = false;
};

void print_text(const cert::ValidationResult& result) {
  if (result.valid) {
    std::cout << "valid: " << result.subject << '\n';
  } else {
    std::cout << "invalid: " << result.reason << '\n';
    std::cout << "certificate: " << result.subject << '\n';
  }
  std::cout << "thumbprint: " << result.thumbprint << '\n';
  std::cout << "purposes: ";
  if (result.purposes.empty()) std::cout << "(no EKU)";
  for (size_t i = 0; i < result.purposes.size(); ++i) std::cout << (i > 0 ? ", " : "") << result.purposes[i];
  std::cout << "\nchain:\n";
  for (size_t depth = 0; depth < result.chain.size(); ++depth) {
    std::cout << fmt::format("  {} {}\n", depth, result.chain[depth]);
  }
  std::cout.flush();
}

int run_test_cert(const TestCertOptions& options) {
  cert::ValidationOptions validation;
  // Purposes are checked before any file is read, so that a typo is a usage error, not a verdict.
  for (const std::string& purpose : options.purposes) {
    validation.expected_purposes.push_back(cert::parse_expected_purpose(purpose));
  }
  validation.strict_purpose = options.strict_purpose;
  validation.deny_self_signed = options.deny_self_signed;
  validation.allow_weak_algorithms = options.allow_weak_algorithms;
  validation.check_revocation = options.check_revocation;
  if (!options.crl_files.empty() && !options.check_revocation) {
    warn("--crl is ignored without --check-revocation");
  }

  formats::LoadOptions load;
  load.password = read_password(options.password.source());
  load.key_path = options.key_file;
  load.prompt = terminal_prompt;
  cert::CertBundle bundle = formats::load_bundle(options.file, load);

  // Certificates that came with the file count as --chain: intermediates, never trust anchors, so a
  // file cannot vouch for itself by carrying its own root.
  for (auto& member : bundle.chain) validation.chain.push_back(std::move(member));
  for (const std::string& file : options.chain_files) {
    for (auto& member : formats::load_certificates(file)) validation.chain.push_back(std::move(member));
  }
  for (const std::string& file : options.trust_ca_files) {
    for (auto& root : formats::load_certificates(file)) validation.trust_ca.push_back(std::move(root));
  }
  for (const std::string& file : options.crl_files) {
    for (auto& crl : cert::load_crls(file)) validation.crls.push_back(std::move(crl));
  }

  const cert::ValidationResult result = cert::validate_certificate(bundle.certificate.get(), validation);
  if (options.json) {
    print_json(cert::to_json(result));
  } else {
    print_text(result);
  }
  return result.valid ? 0 : 1;
}

}  // namespace

void setup_test_cert(CLI::App& parent, Runner& runner) {
  auto options = std::make_shared<TestCertOptions>();
  CLI::App* command = parent.add_subcommand(
      "test-cert", "Check a certificate's validity, chain, purpose and algorithms (Test-KrCertificate)");
  command->add_option("file", options->file, "Certificate file: PFX/P12, PEM or DER")
      ->required()
      ->option_text("FILE");
  command->add_option("--key", options->key_file, "Private key file, when separate from FILE")
      ->option_text("FILE")
      ->group("Input");
  options->password.add_to(command, "", "the certificate file or key", "Input");

  // One value per flag occurrence, so that a repeated flag never swallows the positional FILE.
  const auto repeatable = [command](const std::string& name, std::vector<std::string>& into,
                                    const std::string& help, const std::string& text,
                                    const std::string& group) {
    return command->add_option(name, into, help)->allow_extra_args(false)->option_text(text)->group(group);
  };
  repeatable("--chain", options->chain_files,
             "Intermediate certificates; untrusted, like those in FILE: only --trust-ca anchors (repeatable)",
             "FILE", "Chain");
  repeatable("--trust-ca", options->trust_ca_files,
             "Trusted root certificates; without --trust-ca the system store is used (repeatable)", "FILE",
             "Chain");
  repeatable("--purpose", options->purposes,
             "Expected EKU: server, client or an OID (repeatable, or comma-separated)", "server|client|OID",
             "Checks")
      ->delimiter(',');
  command
      ->add_flag("--strict-purpose", options->strict_purpose,
                 "The certificate's EKU must equal the expected purposes, not just include them")
      ->group("Checks");
  command->add_flag("--deny-self-signed", options->deny_self_signed, "Reject self-signed certificates")
      ->group("Checks");
  command
      ->add_flag("--allow-weak-algorithms", options->allow_weak_algorithms,
                 "Accept SHA-1/MD5 signatures, RSA/DSA keys under 2048 bits and EC keys under 256 bits")
      ->group("Checks");
  command
      ->add_flag("--check-revocation", options->check_revocation,
                 "Check the certificate against the --crl files; without a CRL from its issuer it fails")
      ->group("Revocation");
  repeatable("--crl", options->crl_files, "CRL file (PEM or DER) for --check-revocation (repeatable)", "FILE",
             "Revocation");
  command->add_flag("--json", options->json, "Print one JSON document: valid, reason, purposes, chain")
      ->group("Output");
  command->footer(examples_footer({
      "krtool test-cert alice.pem --trust-ca localhost-root.pem --purpose client",
      "krtool test-cert localhost.pem --trust-ca localhost-root.pem --purpose server --json",
      "krtool test-cert expired.pem --deny-self-signed",
  }));

  command->callback([&runner, options] { runner.action = [options] { return run_test_cert(*options); }; });
}

}  // namespace krtool::app
