// krtool new-csr: New-KrCertificateRequest. A key and a certificate signing request for it, to be
// signed by `krtool new-selfsigned --issuer CA --csr FILE` or any other CA.
#include <fmt/format.h>

#include <iostream>

#include "command.hpp"
#include "common.hpp"
#include "help_format.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/cert/csr.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/util/files.hpp"
#include "output_files.hpp"

namespace krtool::app {
namespace {

struct NewCsrOptions {
  std::vector<std::string> dns;
  std::string subject, country, org, org_unit, common_name;
  std::string key_type = "rsa";
  int key_length = 2048;
  std::string curve = "p256";
  std::vector<std::string> key_usage;
  std::string out;
  PasswordFlags password;
  bool force = false;
  bool json = false;
  bool key_length_given = false, curve_given = false;
};

int run_new_csr(const NewCsrOptions& o) {
  cert::CsrSpec spec;
  spec.names = o.dns;
  spec.subject = o.subject;
  spec.country = o.country;
  spec.organization = o.org;
  spec.organizational_unit = o.org_unit;
  spec.common_name = o.common_name;
  spec.key = cert::key_spec_from_flags(o.key_type, o.key_length, o.key_length_given, o.curve, o.curve_given);
  for (const std::string& usage : o.key_usage) spec.key_usage |= cert::parse_key_usage(usage);

  cert::CsrResult result = cert::create_request(spec);
  std::filesystem::path out = o.out;
  if (out.empty()) {
    out = default_output_base(cert::common_name(X509_REQ_get_subject_name(result.request.get()))) + ".csr";
  }
  const std::filesystem::path key_out = files::sibling_path(out, ".key");
  if (key_out == out) {
    throw Error(Errc::Usage, fmt::format("--out '{}' would be overwritten by the key", out.string()),
                "name the request with another extension, e.g. --out request.csr");
  }
  files::OutputSet outputs(o.force);
  outputs.add(out, cert::request_to_pem(result.request.get()), files::FileMode::Public, "request");
  outputs.add(key_out, formats::encode_pem_key(result.key.get(), read_password(o.password.source())),
              files::FileMode::Private, "private key");
  outputs.commit();

  const std::string subject = cert::format_dn(X509_REQ_get_subject_name(result.request.get()));
  if (o.json) {
    nlohmann::json document;
    document["written"] = {out.string(), key_out.string()};
    document["subject"] = subject;
    document["keyType"] = cert::describe_key(result.key.get());
    print_json(document);
  } else {
    std::cout << "Wrote " << out.string() << "\nWrote " << key_out.string() << "\nSubject: " << subject
              << "\nKey:     " << cert::describe_key(result.key.get())
              << "\nSign it with: krtool new-selfsigned --issuer CA.pfx --csr " << out.string()
              << " --out CERT.pem\n";
  }
  return 0;
}

}  // namespace

void setup_new_csr(CLI::App& parent, Runner& runner) {
  auto options = std::make_shared<NewCsrOptions>();
  NewCsrOptions& o = *options;
  CLI::App* cmd = parent.add_subcommand("new-csr", "Make a private key and a certificate signing request");
  const auto in = [](CLI::Option* option, const char* group, const char* value = nullptr) {
    option->group(group);
    if (value != nullptr) option->option_text(value);
    return option;
  };
  constexpr const char* kSubject = "Subject and names";
  in(cmd->add_option("--dns", o.dns,
                     "A DNS name or IP address for the SAN (repeatable); the first gives the CN"),
     kSubject, "NAME");
  auto* subject = in(cmd->add_option("--subject", o.subject,
                                     "Full subject DN, most specific first: \"CN=alice, O=Acme, C=US\""),
                     kSubject, "DN");
  auto* country = in(cmd->add_option("--country", o.country, "C= of the subject"), kSubject, "CC");
  auto* org = in(cmd->add_option("--org", o.org, "O= of the subject"), kSubject, "NAME");
  auto* org_unit = in(cmd->add_option("--org-unit", o.org_unit, "OU= of the subject"), kSubject, "NAME");
  auto* cn =
      in(cmd->add_option("--common-name", o.common_name, "CN= of the subject (default: the first --dns)"),
         kSubject, "NAME");
  subject->excludes(country, org, org_unit, cn);
  in(cmd->add_option("--key-type", o.key_type, "Key algorithm"), "Key", "rsa|ecdsa|ed25519");
  auto* key_length = in(cmd->add_option("--key-length", o.key_length, "RSA key length (4096 takes seconds)"),
                        "Key", "2048|3072|4096");
  auto* curve = in(cmd->add_option("--curve", o.curve, "ECDSA curve"), "Key", "p256|p384|p521");
  in(cmd->add_option("--key-usage", o.key_usage,
                     "Key usage to request (repeatable): DigitalSignature, NonRepudiation, KeyEncipherment, "
                     "DataEncipherment, KeyAgreement, KeyCertSign, CrlSign, EncipherOnly, DecipherOnly"),
     "Key", "USAGE");
  in(cmd->add_option("--out", o.out, "The request file (PEM); the key goes to <base>.key (default <CN>.csr)")
         ->check(non_empty_path()),
     "Output", "FILE");
  in(cmd->add_flag("--force", o.force, "Overwrite existing files"), "Output");
  in(cmd->add_flag("--json", o.json, "Print the result as JSON"), "Output");
  o.password.add_to(cmd, "", "the private key (encrypted PKCS#8)");
  cmd->footer(examples_footer({
      "krtool new-csr --dns api.example.test --key-type ecdsa --out api.csr",
      "krtool new-csr --common-name bob --org Acme --country US --out bob.csr",
      "krtool new-selfsigned --issuer localhost-root.pem --csr api.csr --purpose server --out api.pem",
  }));
  cmd->callback([&runner, options, key_length, curve] {
    options->key_length_given = key_length->count() > 0;
    options->curve_given = curve->count() > 0;
    runner.action = [options] { return run_new_csr(*options); };
  });
}

}  // namespace krtool::app
