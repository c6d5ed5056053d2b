// krtool new-selfsigned: New-KrSelfSignedCertificate. Self-signed leaves and CAs, certificates signed
// by a CA (--issuer, also for a CSR), and the development root + localhost leaf (--development).
#include <fmt/format.h>

#include <iostream>

#include "command.hpp"
#include "common.hpp"
#include "help_format.hpp"
#include "issuer.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/cert/ca_database.hpp"
#include "krtool/cert/csr.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/cert/dev_root.hpp"
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
  bool root_name_given = false;
  bool new_root = false;
};

// output_password asks for the output password the way the contract says: the flags, else a prompt on a
// terminal, else none (a PFX then has an empty password, which the caller warns about).
std::optional<std::string> output_password(const PasswordFlags& flags, bool needed_for_pfx) {
  if (auto password = read_password(flags.source())) return password;
  if (needed_for_pfx) return terminal_prompt("the new PFX file (empty for none)", true);
  return std::nullopt;
}

cert::CertBundle load_issuer(const NewSelfSignedOptions& o) {
  return load_issuer_bundle(o.issuer, o.issuer_key, o.issuer_password, true);
}

// add_empty_database puts a new CA's database beside it, in the same output set: a CA made by krtool
// remembers what it issues from the start (and --force replaces an old CA's database with it).
void add_empty_database(files::OutputSet& outputs, const std::filesystem::path& ca_out, X509* ca) {
  outputs.add(cert::CaDatabase::path_for(ca_out), cert::CaDatabase(ca).to_json(), files::FileMode::Public,
              "CA database");
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
  spec.leaf_valid_days = o.leaf_valid_days;
  if (!o.dns.empty()) spec.names = o.dns;
  spec.leaf_key = certificate_spec(o).key;
  cert::DevelopmentRootOptions root_options;
  root_options.name = o.root_name;
  root_options.name_given = o.root_name_given;
  root_options.valid_days = o.root_valid_days;
  root_options.new_root = o.new_root;
  const cert::DevelopmentRoot stored = cert::development_root(root_options);
  if (stored.kept) warn(fmt::format("the previous development root was kept as {}", stored.kept->string()));
  if (stored.created) warn(fmt::format("made a new development root in {}", stored.folder.string()));
  cert::DevelopmentPair pair;
  pair.leaf = cert::create_development_leaf(spec, stored.root);
  pair.root.certificate = ossl::up_ref(stored.root.certificate.get());
  pair.root.key = ossl::up_ref(stored.root.key.get());

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
  cert::CaDatabase root_db(pair.root.certificate.get());
  root_db.record(pair.leaf.certificate.get(), out.string());
  outputs.add(cert::CaDatabase::path_for(root_out), root_db.to_json(), files::FileMode::Public,
              "CA database");
  outputs.commit();
  const bool empty_pfx_password = format == formats::Format::Pfx && password.value_or("").empty();
  if (empty_pfx_password) warn("the PFX files have an empty password; pass --password to protect them");
  if (stored.created) {
    warn(fmt::format(
        "the development root '{}' is not trusted by anything yet: give {} to clients "
        "(curl --cacert, krtool test-client --cacert)",
        cert::common_name(X509_get_subject_name(stored.root.certificate.get())), root_out.string()));
  }
  print_written(outputs, pair.leaf, &pair.root, o.json, empty_pfx_password);
  return 0;
}

int run_new_selfsigned(const NewSelfSignedOptions& o) {
  if (o.development) return run_development(o);
  cert::CertificateSpec spec = certificate_spec(o);
  cert::CertBundle bundle;
  // The issuer's database, when it has one, is read before anything is written, so that a damaged
  // or foreign database stops the command with nothing done.
  std::optional<cert::CaDatabase> issuer_db;
  std::optional<cert::CaDatabaseLock> issuer_lock;
  if (!o.issuer.empty()) {
    issuer_lock.emplace(o.issuer);
    const cert::CertBundle issuer = load_issuer(o);
    issuer_db = cert::CaDatabase::load(o.issuer, issuer.certificate.get());
    if (!o.csr.empty()) {
      ossl::UniquePtr<X509_REQ> request = cert::load_request(files::read_file(o.csr, "request"), o.csr);
      bundle = cert::sign_request(request.get(), spec, issuer);
    } else {
      bundle = cert::create_certificate(spec, &issuer);
    }
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
  if (o.ca) add_empty_database(outputs, out, bundle.certificate.get());
  if (issuer_db) issuer_db->record(bundle.certificate.get(), out.string());
  outputs.commit();
  // The issuer's database last: the certificate files exist before the database lists them, never
  // the other way round. A CA without a database (made elsewhere) gets none: it could not tell what
  // it issued before.
  if (issuer_db) issuer_db->save(o.issuer);
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
  const auto in = [](CLI::Option* option, const char* group, const char* value = nullptr) {
    option->group(group);
    if (value != nullptr) option->option_text(value);
    return option;
  };
  constexpr const char* kNames = "Subject and names";
  in(cmd->add_option("--dns", o.dns, "A DNS name or IP address (repeatable); the first gives CN=<name>"),
     kNames, "NAME");
  auto* subject = in(
      cmd->add_option("--subject", o.subject, "Subject DN, most specific first: \"CN=alice, O=Acme, C=US\""),
      kNames, "DN");
  auto* key_type = in(cmd->add_option("--key-type", o.key_type, "Key algorithm"), "Key", "rsa|ecdsa|ed25519");
  auto* key_length = in(cmd->add_option("--key-length", o.key_length, "RSA key length (4096 takes seconds)"),
                        "Key", "2048|3072|4096");
  auto* curve = in(cmd->add_option("--curve", o.curve, "ECDSA curve"), "Key", "p256|p384|p521");
  auto* valid_days =
      in(cmd->add_option("--valid-days", o.valid_days, "Lifetime in days"), "Validity", "DAYS");
  auto* not_before =
      in(cmd->add_option("--not-before", o.not_before,
                         "Start: RFC 3339 time or offset such as -2d (default now - 5 minutes)"),
         "Validity", "TIME");
  auto* not_after =
      in(cmd->add_option("--not-after", o.not_after, "End: RFC 3339 time or offset such as +30d or -1d"),
         "Validity", "TIME");
  constexpr const char* kExtensions = "Extensions";
  auto* purpose = in(cmd->add_option("--purpose", o.purpose, "Extended key usage"), kExtensions,
                     "server|client|both|none");
  in(cmd->add_option(
         "--key-usage", o.key_usage,
         "Key usage (repeatable; default: what the purpose needs): DigitalSignature, NonRepudiation, "
         "KeyEncipherment, DataEncipherment, KeyAgreement, KeyCertSign, CrlSign, EncipherOnly, DecipherOnly"),
     kExtensions, "USAGE");
  auto* ca =
      in(cmd->add_flag("--ca", o.ca, "Make a certificate authority (keyCertSign + cRLSign, no EKU, no SAN)"),
         kExtensions);
  constexpr const char* kIssuer = "Issuer";
  auto* issuer = in(cmd->add_option("--issuer", o.issuer,
                                    "Sign with this CA (PFX, or PEM with its key) instead of self-signing"),
                    kIssuer, "FILE");
  auto* issuer_key =
      in(cmd->add_option("--issuer-key", o.issuer_key, "The CA's key when it is in a separate file"), kIssuer,
         "FILE");
  o.issuer_password.add_to(cmd, "issuer-", "the issuer", kIssuer);
  auto* csr = in(cmd->add_option("--csr", o.csr, "Sign this certificate signing request"), kIssuer, "FILE");
  constexpr const char* kDevelopment = "Development pair";
  auto* development = in(cmd->add_flag("--development", o.development,
                                       "Make a development root CA and a localhost leaf signed by it"),
                         kDevelopment);
  auto* root_name =
      in(cmd->add_option("--root-name", o.root_name, "CN of the development root"), kDevelopment, "NAME");
  auto* leaf_days = in(cmd->add_option("--leaf-valid-days", o.leaf_valid_days, "Development leaf lifetime"),
                       kDevelopment, "DAYS");
  auto* root_days = in(cmd->add_option("--root-valid-days", o.root_valid_days, "Development root lifetime"),
                       kDevelopment, "DAYS");
  auto* new_root = in(cmd->add_flag("--new-root", o.new_root,
                                    "Replace the stored development root (the old one is kept beside it)"),
                      kDevelopment);
  auto* root_out = in(
      cmd->add_option("--root-out", o.root_out, "Where the development root goes (default <out>-root.<ext>)"),
      kDevelopment, "FILE");
  in(cmd->add_option("--crl-url", o.crl_urls, "CRL distribution point URL to embed (repeatable)"),
     kExtensions, "URL");
  in(cmd->add_option("--ocsp-url", o.ocsp_urls, "OCSP responder URL to embed (repeatable)"), kExtensions,
     "URL");
  constexpr const char* kOutput = "Output";
  in(cmd->add_option("--out", o.out,
                     "Output file; .pfx/.p12, .pem/.crt (key to <base>.key) or .der/.cer (default <CN>.pem)")
         ->check(non_empty_path()),
     kOutput, "FILE");
  in(cmd->add_option("--format", o.format, "Output format (default: from the extension of --out)"), kOutput,
     "pfx|pem|der");
  in(cmd->add_option(
         "--pfx-profile", o.pfx_profile,
         "PFX for an importer: modern (AES-256, SHA-256 MAC), legacy (3DES, SHA-1 MAC), java or macos"),
     kOutput, "modern|legacy|java|macos");
  in(cmd->add_flag("--force", o.force, "Overwrite existing files"), kOutput);
  in(cmd->add_flag("--json", o.json, "Print the result as JSON"), kOutput);
  o.password.add_to(cmd, "", "the PFX file or the PEM key");
  cmd->footer(examples_footer({
      "krtool new-selfsigned --development --out localhost.pem",
      "krtool new-selfsigned --issuer localhost-root.pem --subject \"CN=alice, O=Acme\" --purpose client "
      "--key-type ecdsa --out alice.pem",
      "krtool new-selfsigned --ca --subject \"CN=Dev CA\" --key-type ecdsa --out dev-ca.pem",
      "krtool new-selfsigned --dns expired.test --not-before -30d --not-after -1d --key-type ecdsa --out "
      "expired.pem",
  }));

  development->excludes(ca, issuer, csr, subject, valid_days, not_before, not_after, purpose);
  for (auto* dev_only : {root_name, leaf_days, root_days, root_out, new_root}) dev_only->needs(development);
  csr->needs(issuer);
  csr->excludes(key_type, key_length, curve);
  issuer_key->needs(issuer);
  (void)ca;
  cmd->callback([&runner, options, key_length, curve, key_type, root_name] {
    options->root_name_given = root_name->count() > 0;
    options->key_length_given = key_length->count() > 0;
    options->curve_given = curve->count() > 0;
    options->key_type_given = key_type->count() > 0;
    runner.action = [options] { return run_new_selfsigned(*options); };
  });
}

}  // namespace krtool::app
