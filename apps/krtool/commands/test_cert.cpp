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
#include "krtool/formats/pfx_info.hpp"
#include "krtool/util/files.hpp"

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
  bool pfx_compat = false;
};

// run_pfx_compat answers "which importers refuse this PFX, and why". Listing them is the result, so it
// exits 0 whatever they say; a file that is not a PFX is bad input.
int run_pfx_compat(const TestCertOptions& options) {
  const std::string bytes = files::read_file(options.file, "PFX file");
  if (formats::detect_format(bytes) != formats::Format::Pfx) {
    throw Error(
        Errc::Input, fmt::format("--pfx-compat reads a PKCS#12 file, and '{}' is not one", options.file),
        "give a .pfx/.p12 file; PEM and DER files have no PKCS#12 encryption for importers to refuse");
  }
  std::optional<std::string> password = read_password(options.password.source());
  formats::PfxInfo info = formats::inspect_pfx(bytes, options.file, password);
  if (!info.opened && !password) {
    password = terminal_prompt(fmt::format("PKCS#12 file '{}'", options.file), false);
    if (password) info = formats::inspect_pfx(bytes, options.file, password);
  }
  const std::vector<formats::ImporterVerdict> verdicts = formats::pfx_compatibility(info);
  if (options.json) {
    print_json(
        {{"file", options.file}, {"pfx", formats::to_json(info)}, {"importers", formats::to_json(verdicts)}});
    return 0;
  }
  const nlohmann::json described = formats::to_json(info);
  const auto encryption = [](const nlohmann::json& e) -> std::string {
    if (e.is_null()) return "(none)";
    if (e["cipher"].is_null()) return e["scheme"].get<std::string>();
    return fmt::format(
        "{} ({}{}, {} iterations)", e["cipher"].get<std::string>(), e["scheme"].get<std::string>(),
        e["kdf"].is_null() ? "" : ", " + e["kdf"].get<std::string>(), e["iterations"].get<long>());
  };
  std::cout << fmt::format(
      "{}\n  keys:         {}\n  certificates: {}\n  MAC:          {}\n", options.file,
      info.opened ? encryption(described["keyEncryption"]) : "(unknown: give the password)",
      encryption(described["certificateEncryption"]),
      info.has_mac ? fmt::format("{}, {} iterations", info.mac_digest, info.mac_iterations) : "(none)");
  for (const formats::ImporterVerdict& verdict : verdicts) {
    std::cout << fmt::format("{:<8} {}\n", verdict.accepts ? "reads" : "REFUSES", verdict.name);
    for (const std::string& reason : verdict.reasons) std::cout << "         " << reason << '\n';
  }
  std::cout.flush();
  return 0;
}

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
  if (options.pfx_compat) return run_pfx_compat(options);
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
  command
      ->add_flag("--pfx-compat", options->pfx_compat,
                 "Instead of validating: list which importers (OpenSSL 3, .NET, Java, macOS, old Windows) "
                 "refuse the PFX FILE, and why")
      ->excludes("--trust-ca")
      ->excludes("--chain")
      ->excludes("--check-revocation")
      ->group("Checks");
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
