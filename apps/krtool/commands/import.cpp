// krtool import: Import-KrCertificate. Reads a certificate file by its content, checks that key and
// certificate belong together, and describes the certificate.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "command.hpp"
#include "common.hpp"
#include "help_format.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/formats/pfx_info.hpp"
#include "krtool/util/files.hpp"

namespace krtool::app {
namespace {

struct ImportOptions {
  std::string file;
  std::string key;
  PasswordFlags password;
  bool json = false;
};

int run_import(const ImportOptions& options) {
  formats::LoadOptions load;
  load.password = read_password(options.password.source());
  load.key_path = options.key;
  std::optional<std::string> typed;
  load.prompt = [&typed](std::string_view purpose, bool confirm) {
    typed = terminal_prompt(purpose, confirm);
    return typed;
  };
  const cert::CertBundle bundle = formats::load_bundle(options.file, load);

  if (options.json) {
    nlohmann::json document = cert::bundle_to_json(bundle);
    // A PFX also says how it is protected: which importers take it depends on that (test-cert --pfx-compat).
    const std::string bytes = files::read_file(options.file, "certificate file");
    if (formats::detect_format(bytes) == formats::Format::Pfx) {
      document["pfx"] =
          formats::to_json(formats::inspect_pfx(bytes, options.file, load.password ? load.password : typed));
    }
    print_json(document);
    return 0;
  }
  std::cout << cert::to_text(cert::describe(bundle.certificate.get(), bundle.key != nullptr));
  if (!bundle.chain.empty()) {
    std::cout << fmt::format("Chain ({} more certificate{}, issuer first):\n", bundle.chain.size(),
                             bundle.chain.size() == 1 ? "" : "s");
    for (const ossl::UniquePtr<X509>& certificate : bundle.chain) {
      std::cout << "  " << cert::format_dn(X509_get_subject_name(certificate.get())) << '\n';
    }
  }
  std::cout.flush();
  return 0;
}

}  // namespace

void setup_import(CLI::App& parent, Runner& runner) {
  auto options = std::make_shared<ImportOptions>();
  CLI::App* command = parent.add_subcommand(
      "import", "Read a PFX/P12, PEM or DER certificate file, check its key and describe the certificate");
  command->add_option("FILE", options->file, "The certificate file (format detected from its content)")
      ->required()
      ->option_text("FILE");
  command->add_option("--key", options->key, "A separate private key file (PEM or DER)")
      ->option_text("FILE")
      ->group("Input");
  options->password.add_to(command, "", "the PFX or the encrypted key");
  command->add_flag("--json", options->json, "Print the description as one JSON document")->group("Output");
  command->footer(examples_footer({"krtool import localhost.pem", "krtool import alice.pem --json",
                                   "krtool import alice.pfx --password-env ALICE_PFX_PASSWORD"}));
  command->callback([&runner, options] { runner.action = [options] { return run_import(*options); }; });
}

}  // namespace krtool::app
