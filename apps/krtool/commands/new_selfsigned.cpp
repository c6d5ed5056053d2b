// krtool new-selfsigned: New-KrSelfSignedCertificate. Self-signed leaves and CAs, certificates signed
// by a CA (--issuer, also for a CSR), and the development root + localhost leaf (--development).
#include <fmt/format.h>

#include <iostream>

#include "command.hpp"
#include "common.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/cert/csr.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/util/files.hpp"
#include "output_files.hpp"

namespace krtool::app {
namespace {

struct NewSelfSignedOptions {
  std::vector<std::string> dns;
  std::string subject;
  std::string key_type = "rsa";
  int key_length = 2048;
  std::string curve = "p256";
  int valid_days = 365;
  std::string not_before, not_after;
  std::string purpose = "both";
  std::vector<std::string> key_usage;
  bool ca = false;
  std::string issuer, issuer_key;
  PasswordFlags issuer_password;
  std::string csr;
  bool development = false;
  std::string root_name = "krtool Development Root CA";
  int leaf_valid_days = 30;
  int root_valid_days = 3650;
  std::string root_out;
  std::vector<std::string> crl_urls, ocsp_urls;
  std::string out, format, pfx_profile = "modern";
  PasswordFlags password;
  bool force = false;
  bool json = false;
  // Which flags were given, for the conflicts that CLI11 cannot express.
  bool key_length_given = false, curve_given = false, key_type_given = false;
};

// output_password asks for the output password the way the contract says: the flags, else a prompt on a
// terminal, else none (a PFX then has an empty password, which the caller warns about).
std::optional<std::string> output_password(const PasswordFlags& flags, bool needed_for_pfx) {
  if (auto password = read_password(flags.source())) return password;
  if (needed_for_pfx) return terminal_prompt("the new PFX file (empty for none)", true);
  return std::nullopt;
}

cert::CertBundle load_issuer(const NewSelfSignedOptions& o) {
  formats::LoadOptions load;
  load.password = read_password(o.issuer_password.source());
  load.prompt = terminal_prompt;
  load.key_path = o.issuer_key;
  load.sibling_key = true;
  return formats::load_bundle(o.issuer, load);
}

cert::CertificateSpec certificate_spec(const NewSelfSignedOptions& o) {
  cert::CertificateSpec spec;
  spec.names = o.dns;
  spec.subject = o.subject;
  spec.key = cert::key_spec_from_flags(o.key_type, o.key_length, o.key_length_given, o.curve, o.curve_given);
  spec.valid_days = o.valid_days;
  const TimePoint now = now_seconds();
  if (!o.not_before.empty()) spec.not_before = parse_time_or_offset(o.not_before, now, "--not-before");
  if (!o.not_after.empty()) spec.not_after = parse_time_or_offset(o.not_after, now, "--not-after");
  spec.purpose = cert::parse_purpose(o.purpose);
  for (const std::string& usage : o.key_usage) {
    if (usage == "none" || usage == "None") continue;  // Kestrun: None means the default
    spec.key_usage |= cert::parse_key_usage(usage);
  }
  spec.is_ca = o.ca;
  spec.crl_urls = o.crl_urls;
  spec.ocsp_urls = o.ocsp_urls;
  return spec;
}

std::filesystem::path default_out(const NewSelfSignedOptions& o, const cert::CertBundle& bundle) {
  if (!o.out.empty()) return o.out;
  std::string name = cert::common_name(X509_get_subject_name(bundle.certificate.get()));
  return default_output_base(name) + (o.format.empty() ? ".pem" : "." + o.format);
}

void print_written(const files::OutputSet& outputs, const cert::CertBundle& leaf,
                   const cert::CertBundle* root, bool json, bool pfx_without_password) {
  const cert::CertificateInfo info = cert::describe(leaf.certificate.get(), leaf.key != nullptr);
  if (json) {
    nlohmann::json document;
    document["written"] = nlohmann::json::array();
    for (const auto& path : outputs.paths()) document["written"].push_back(path.string());
    document["certificate"] = cert::to_json(info);
    if (root != nullptr) document["root"] = cert::to_json(cert::describe(root->certificate.get(), true));
    document["pfxPasswordEmpty"] = pfx_without_password;
    print_json(document);
    return;
  }
  for (const auto& path : outputs.paths()) std::cout << "Wrote " << path.string() << '\n';
  std::cout << "Subject:    " << info.subject << '\n'
            << "Issuer:     " << info.issuer << '\n'
            << "Thumbprint: " << info.thumbprint << '\n'
            << "Valid:      " << format_rfc3339(info.not_before) << " to " << format_rfc3339(info.not_after)
            << '\n';
  if (!info.dns_names.empty() || !info.ip_addresses.empty()) {
    std::vector<std::string> names = info.dns_names;
    names.insert(names.end(), info.ip_addresses.begin(), info.ip_addresses.end());
    std::cout << "Names:      " << fmt::format("{}", fmt::join(names, ", ")) << '\n';
  }
  if (root != nullptr) {
    std::cout << "Root CA:    " << cert::format_dn(X509_get_subject_name(root->certificate.get()))
              << " (thumbprint " << cert::thumbprint(root->certificate.get()) << ")\n";
  }
}

int run_development(const NewSelfSignedOptions& o) {
  cert::DevelopmentSpec spec;
  spec.root_name = o.root_name;
  spec.leaf_valid_days = o.leaf_valid_days;
  spec.root_valid_days = o.root_valid_days;
  if (!o.dns.empty()) spec.names = o.dns;
  spec.leaf_key = certificate_spec(o).key;
  cert::DevelopmentPair pair = cert::create_development_pair(spec);

  const std::filesystem::path out =
      o.out.empty() ? std::filesystem::path("localhost.pem") : std::filesystem::path(o.out);
  const formats::Format format = resolve_format(out, o.format);
  const std::optional<std::string> password = output_password(o.password, format == formats::Format::Pfx);
  std::filesystem::path root_out = o.root_out;
  if (root_out.empty()) {
    root_out = out.parent_path() / (out.stem().string() + "-root" + out.extension().string());
  }
  files::OutputSet outputs(o.force);
  BundleOutput leaf_output{out, o.format, formats::parse_pfx_profile(o.pfx_profile), password, true, true};
  add_bundle_files(outputs, pair.leaf, leaf_output);
  BundleOutput root_output{root_out, o.format, formats::parse_pfx_profile(o.pfx_profile),
                           password, true,     false};
  add_bundle_files(outputs, pair.root, root_output);
  outputs.commit();
  const bool empty_pfx_password = format == formats::Format::Pfx && password.value_or("").empty();
  if (empty_pfx_password) warn("the PFX files have an empty password; pass --password to protect them");
  warn(
      fmt::format("the development root '{}' is not trusted by anything yet: give {} to clients "
                  "(curl --cacert, krtool test-client --cacert)",
                  o.root_name, root_out.string()));
  print_written(outputs, pair.leaf, &pair.root, o.json, empty_pfx_password);
  return 0;
}

int run_new_selfsigned(const NewSelfSignedOptions& o) {
  if (o.development) return run_development(o);
  cert::CertificateSpec spec = certificate_spec(o);
  cert::CertBundle bundle;
  if (!o.csr.empty()) {
    const cert::CertBundle issuer = load_issuer(o);
    ossl::UniquePtr<X509_REQ> request = cert::load_request(files::read_file(o.csr, "request"), o.csr);
    bundle = cert::sign_request(request.get(), spec, issuer);
  } else if (!o.issuer.empty()) {
    const cert::CertBundle issuer = load_issuer(o);
    bundle = cert::create_certificate(spec, &issuer);
  } else {
    bundle = cert::create_certificate(spec);
  }
  const std::filesystem::path out = default_out(o, bundle);
  const formats::Format format = resolve_format(out, o.format);
  if (format == formats::Format::Pfx && !bundle.key) {
    throw Error(Errc::Usage,
                "a certificate signed from a CSR has no private key here, so it cannot go into a PFX",
                "write PEM (--out cert.pem); the key stays with whoever made the CSR");
  }
  const std::optional<std::string> password = output_password(o.password, format == formats::Format::Pfx);
  files::OutputSet outputs(o.force);
  add_bundle_files(
      outputs, bundle,
      BundleOutput{out, o.format, formats::parse_pfx_profile(o.pfx_profile), password, true, true});
  outputs.commit();
  const bool empty_pfx_password = format == formats::Format::Pfx && password.value_or("").empty();
  if (empty_pfx_password)
    warn(fmt::format("'{}' has an empty password; pass --password to protect it", out.string()));
  print_written(outputs, bundle, nullptr, o.json, empty_pfx_password);
  return 0;
}

}  // namespace

void setup_new_selfsigned(CLI::App& parent, Runner& runner) {
  auto options = std::make_shared<NewSelfSignedOptions>();
  NewSelfSignedOptions& o = *options;
  CLI::App* cmd = parent.add_subcommand(
      "new-selfsigned",
      "Make a certificate: self-signed, a CA, signed by a CA, or a development root + localhost leaf");
  cmd->add_option("--dns", o.dns, "A DNS name or IP address (repeatable); the first gives CN=<name>")
      ->option_text("NAME");
  auto* subject =
      cmd->add_option("--subject", o.subject, "Subject DN, most specific first: \"CN=alice, O=Acme, C=US\"");
  auto* key_type = cmd->add_option("--key-type", o.key_type, "rsa, ecdsa or ed25519 (default rsa)")
                       ->option_text("rsa|ecdsa|ed25519");
  auto* key_length =
      cmd->add_option("--key-length", o.key_length, "RSA key length: 2048, 3072 or 4096 (default 2048)")
          ->option_text("2048|3072|4096");
  auto* curve = cmd->add_option("--curve", o.curve, "ECDSA curve: p256, p384 or p521 (default p256)")
                    ->option_text("p256|p384|p521");
  auto* valid_days = cmd->add_option("--valid-days", o.valid_days, "Lifetime in days (default 365)");
  auto* not_before = cmd->add_option("--not-before", o.not_before,
                                     "Start: RFC 3339 time or offset such as -2d (default now - 5 minutes)");
  auto* not_after =
      cmd->add_option("--not-after", o.not_after, "End: RFC 3339 time or offset such as +30d or -1d");
  auto* purpose = cmd->add_option("--purpose", o.purpose,
                                  "Extended key usage: server, client, both or none (default both)")
                      ->option_text("server|client|both|none");
  cmd->add_option(
      "--key-usage", o.key_usage,
      "Key usage flag (repeatable): DigitalSignature, KeyEncipherment, KeyCertSign, CrlSign, ...");
  auto* ca =
      cmd->add_flag("--ca", o.ca, "Make a certificate authority (keyCertSign + cRLSign, no EKU, no SAN)");
  auto* issuer = cmd->add_option("--issuer", o.issuer,
                                 "Sign with this CA (PFX, or PEM with its key) instead of self-signing");
  auto* issuer_key =
      cmd->add_option("--issuer-key", o.issuer_key, "The CA's key when it is in a separate file");
  o.issuer_password.add_to(cmd, "issuer-", "the issuer");
  auto* csr = cmd->add_option("--csr", o.csr, "Sign this certificate signing request (needs --issuer)");
  auto* development = cmd->add_flag("--development", o.development,
                                    "Make a development root CA and a localhost leaf signed by it");
  auto* root_name = cmd->add_option("--root-name", o.root_name,
                                    "CN of the development root (default 'krtool Development Root CA')");
  auto* leaf_days =
      cmd->add_option("--leaf-valid-days", o.leaf_valid_days, "Development leaf lifetime (default 30)");
  auto* root_days =
      cmd->add_option("--root-valid-days", o.root_valid_days, "Development root lifetime (default 3650)");
  auto* root_out =
      cmd->add_option("--root-out", o.root_out, "Where the development root goes (default <out>-root.<ext>)");
  cmd->add_option("--crl-url", o.crl_urls, "CRL distribution point URL to embed (repeatable)");
  cmd->add_option("--ocsp-url", o.ocsp_urls, "OCSP responder URL to embed (repeatable)");
  cmd->add_option("--out", o.out, "Output file; .pfx/.p12, .pem/.crt (key to <base>.key) or .der/.cer")
      ->check(non_empty_path());
  cmd->add_option("--format", o.format, "pfx, pem or der (default: from the extension of --out)")
      ->option_text("pfx|pem|der");
  cmd->add_option(
         "--pfx-profile", o.pfx_profile,
         "PFX for an importer: modern (AES-256, SHA-256 MAC), legacy (3DES, SHA-1 MAC), java or macos")
      ->option_text("modern|legacy|java|macos");
  o.password.add_to(cmd, "", "the PFX file or the PEM key");
  cmd->add_flag("--force", o.force, "Overwrite existing files");
  cmd->add_flag("--json", o.json, "Print the result as JSON");

  development->excludes(ca, issuer, csr, subject, valid_days, not_before, not_after, purpose);
  for (auto* dev_only : {root_name, leaf_days, root_days, root_out}) dev_only->needs(development);
  csr->needs(issuer);
  csr->excludes(key_type, key_length, curve);
  issuer_key->needs(issuer);
  (void)ca;
  cmd->callback([&runner, options, key_length, curve, key_type] {
    options->key_length_given = key_length->count() > 0;
    options->curve_given = curve->count() > 0;
    options->key_type_given = key_type->count() > 0;
    runner.action = [options] { return run_new_selfsigned(*options); };
  });
}

}  // namespace krtool::app
