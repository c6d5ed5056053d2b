// krtool export: Export-KrCertificate. Converts between PFX, PEM (certificate and chain, key in a
// sibling <base>.key) and DER.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "command.hpp"
#include "common.hpp"
#include "help_format.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/util/files.hpp"
#include "output_files.hpp"

namespace krtool::app {
namespace {

namespace fs = std::filesystem;
using formats::Format;

struct ExportOptions {
  std::string file;
  std::string out;
  std::string format;
  std::string key;
  std::string pfx_profile;
  bool include_key = false;
  bool force = false;
  bool json = false;
  PasswordFlags password;
  PasswordFlags out_password;
};

// ExportPlan is what the flags ask for, settled before any file is read.
struct ExportPlan {
  Format format;
  formats::PfxProfile profile = formats::PfxProfile::Modern;
  fs::path certificate_path;
  fs::path key_path;  // empty unless a PEM key is written beside the certificate
  bool writes_key = false;
};

ExportPlan plan_export(const ExportOptions& options) {
  ExportPlan plan{
      resolve_format(options.out, options.format), formats::PfxProfile::Modern, options.out, {}, false};
  if (!options.pfx_profile.empty()) {
    plan.profile = formats::parse_pfx_profile(options.pfx_profile);
    if (plan.format != Format::Pfx) {
      throw Error(Errc::Usage,
                  fmt::format("--pfx-profile applies to PFX output, but this export writes {}",
                              formats::format_name(plan.format)),
                  "drop --pfx-profile, or write a .pfx/.p12 file");
    }
  }
  if (options.include_key && plan.format == Format::Der) {
    throw Error(Errc::Usage,
                "--include-key cannot be used with DER output: a DER file holds only the certificate",
                "write PEM (--format pem) to get the key in <base>.key, or PFX to get both in one file");
  }
  plan.writes_key = plan.format == Format::Pfx || (plan.format == Format::Pem && options.include_key);
  if (plan.format == Format::Pem && options.include_key)
    plan.key_path = files::sibling_path(options.out, ".key");
  const PasswordSource out_password = options.out_password.source();
  if (out_password.specified() && !plan.writes_key) {
    throw Error(Errc::Usage,
                fmt::format("{} protects a private key, but this export writes none", out_password.flag),
                "add --include-key to write the key beside a PEM certificate, or write a PFX");
  }
  return plan;
}

// check_outputs reports an existing output or a missing folder before a password is asked for.
void check_outputs(const ExportPlan& plan, bool force) {
  files::OutputSet outputs(force);
  outputs.add(plan.certificate_path, {}, files::FileMode::Public, "output");
  if (!plan.key_path.empty()) outputs.add(plan.key_path, {}, files::FileMode::Private, "key output");
  outputs.check();
}

std::string chain_note(const cert::CertBundle& bundle) {
  if (bundle.chain.empty()) return "";
  return fmt::format(" + {} chain certificate{}", bundle.chain.size(), bundle.chain.size() == 1 ? "" : "s");
}

int run_export(const ExportOptions& options) {
  const ExportPlan plan = plan_export(options);
  check_outputs(plan, options.force);

  std::optional<std::string> prompted;
  formats::LoadOptions load;
  load.password = read_password(options.password.source());
  load.key_path = options.key;
  // alice.pem's key is in alice.key, as krtool writes it and serve reads it; looked for only when the
  // output needs a key, so that a certificate-only export never asks for the key's password.
  // A Java PFX of a PEM certificate is a trust store unless the key is asked for (--key, --include-key):
  // a CA's key lying beside it must not end up in every client's trust store.
  const bool java_pfx = plan.format == Format::Pfx && plan.profile == formats::PfxProfile::Java;
  load.sibling_key = plan.writes_key && (!java_pfx || options.include_key);
  load.prompt = [&prompted](std::string_view purpose, bool confirm) {
    prompted = terminal_prompt(purpose, confirm);
    return prompted;
  };
  const cert::CertBundle bundle = formats::load_bundle(options.file, load);
  if (plan.writes_key && !bundle.key && !java_pfx) {
    throw Error(
        Errc::Input,
        fmt::format("'{}' holds no private key, and {} needs one", options.file,
                    plan.format == Format::Pfx ? "a PFX output" : "--include-key"),
        "give the key with --key FILE, or export the certificate alone (PEM without --include-key, or DER)");
  }

  const std::optional<std::string> out_password = read_password(options.out_password.source());
  files::OutputSet outputs(options.force);
  std::vector<std::string> lines;
  switch (plan.format) {
    case Format::Pfx: {
      // A PFX keeps the password that opened the input unless the --out-password flags say otherwise.
      const std::string password = out_password.value_or(load.password.value_or(prompted.value_or("")));
      if (password.empty() && !options.out_password.source().specified()) {
        warn(
            fmt::format("'{}' is protected by an empty password; set one with --out-password-file or "
                        "--out-password-env",
                        options.out));
      }
      outputs.add(plan.certificate_path, formats::encode_pfx(bundle, password, plan.profile),
                  files::FileMode::Private, "PFX output");
      lines.push_back(fmt::format("Wrote '{}' (PKCS#12, {}; certificate{}{})", options.out,
                                  formats::pfx_profile_description(plan.profile), chain_note(bundle),
                                  bundle.key ? " and private key" : ", trusted for Java"));
      break;
    }
    case Format::Pem:
      outputs.add(plan.certificate_path, formats::encode_pem_certificates(bundle, true),
                  files::FileMode::Public, "certificate output");
      lines.push_back(fmt::format("Wrote '{}' (PEM certificate{})", options.out, chain_note(bundle)));
      if (!plan.key_path.empty()) {
        const std::optional<std::string> key_password = pem_key_password(out_password);
        outputs.add(plan.key_path, formats::encode_pem_key(bundle.key.get(), key_password),
                    files::FileMode::Private, "key output");
        lines.push_back(fmt::format("Wrote '{}' (PEM private key, PKCS#8, {})", plan.key_path.string(),
                                    key_password ? "encrypted with AES-256-CBC" : "not encrypted"));
      }
      break;
    case Format::Der:
      outputs.add(plan.certificate_path, formats::encode_der_certificate(bundle.certificate.get()),
                  files::FileMode::Public, "certificate output");
      lines.push_back(fmt::format("Wrote '{}' (DER certificate)", options.out));
      break;
  }
  outputs.commit();

  const cert::CertificateInfo info = cert::describe(bundle.certificate.get(), bundle.key != nullptr);
  if (options.json) {
    nlohmann::json document = cert::to_json(info);
    nlohmann::json written = nlohmann::json::array();
    for (const fs::path& path : outputs.paths()) written.push_back(path.string());
    document["written"] = written;
    document["format"] = formats::format_name(plan.format);
    if (plan.format == Format::Pfx) {
      document["pfxProfile"] = formats::pfx_profile_name(plan.profile);
    }
    print_json(document);
    return 0;
  }
  for (const std::string& line : lines) std::cout << line << '\n';
  std::cout << "  Subject:    " << info.subject << '\n' << "  Thumbprint: " << info.thumbprint << '\n';
  std::cout.flush();
  return 0;
}

}  // namespace

void setup_export(CLI::App& parent, Runner& runner) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* command = parent.add_subcommand(
      "export", "Convert a certificate between PFX/P12, PEM (certificate + <base>.key) and DER");
  command
      ->add_option("FILE", options->file,
                   "The certificate file to convert (format detected from its content)")
      ->required()
      ->option_text("FILE");
  options->password.add_to(command, "", "the input PFX or encrypted key", "Input");
  command->add_option("--key", options->key, "A separate private key file for the input (PEM or DER)")
      ->option_text("FILE")
      ->group("Input");
  command->add_option("--out", options->out, "The file to write; its extension picks the format")
      ->check(non_empty_path())
      ->option_text("FILE")
      ->required()
      ->group("Output");
  command->add_option("--format", options->format, "Output format (default: from the extension of --out)")
      ->option_text("pfx|pem|der")
      ->group("Output");
  command
      ->add_flag("--include-key", options->include_key,
                 "PEM: also write the private key to <base>.key (PFX always holds the key)")
      ->group("Output");
  command
      ->add_option("--pfx-profile", options->pfx_profile,
                   "PFX for an importer: modern (AES-256-CBC, SHA-256 MAC; default), legacy (3DES, SHA-1 "
                   "MAC), java (keytool; without --include-key or --key a PEM certificate becomes a trust "
                   "store) or macos")
      ->option_text("modern|legacy|java|macos")
      ->group("Output");
  command->add_flag("--force", options->force, "Overwrite existing output files")->group("Output");
  command->add_flag("--json", options->json, "Print what was written as one JSON document")->group("Output");
  options->out_password.add_to(command, "out-", "the output PFX or PEM key", "Output password");
  command->footer(examples_footer({
      "krtool export alice.pem --out alice.pfx --out-password-env ALICE_PFX_PASSWORD",
      "krtool export alice.pem --out alice.der",
      "krtool export alice.pfx --password-env ALICE_PFX_PASSWORD --out alice-full.pem --include-key "
      "--out-no-password",
  }));
  command->callback([&runner, options] { runner.action = [options] { return run_export(*options); }; });
}

}  // namespace krtool::app
