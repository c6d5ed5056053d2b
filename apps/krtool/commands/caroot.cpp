// krtool caroot: where the development root lives (mkcert -CAROOT). It only reports; the root is made
// by the first command that needs it.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "command.hpp"
#include "common.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/cert/dev_root.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/util/time.hpp"

namespace krtool::app {
namespace {

struct CarootOptions {
  bool json = false;
};

int run_caroot(const CarootOptions& o) {
  const std::filesystem::path folder = cert::development_root_folder();
  const std::filesystem::path certificate = folder / cert::kDevelopmentRootCertificate;
  const std::filesystem::path key = folder / cert::kDevelopmentRootKey;
  std::error_code ignored;
  const bool exists = std::filesystem::exists(certificate, ignored);
  if (!o.json) {
    std::cout << folder.string() << std::endl;
    return 0;
  }
  nlohmann::json document{{"folder", folder.string()},
                          {"certificate", certificate.string()},
                          {"key", key.string()},
                          {"exists", exists}};
  if (exists) {
    const auto certificates = formats::load_certificates(certificate);
    if (!certificates.empty()) {
      const cert::CertificateInfo info = cert::describe(certificates.front().get());
      document["subject"] = info.subject;
      document["thumbprint"] = info.thumbprint;
      document["thumbprintSha256"] = info.thumbprint_sha256;
      document["notAfter"] = format_rfc3339(info.not_after);
    }
  }
  print_json(document);
  return 0;
}

}  // namespace

void setup_caroot(CLI::App& parent, Runner& runner) {
  auto options = std::make_shared<CarootOptions>();
  CLI::App* command = parent.add_subcommand("caroot",
                                            "Print the folder of the development root ($KRTOOL_CAROOT, else "
                                            "$XDG_DATA_HOME/krtool), as mkcert -CAROOT");
  command->add_flag("--json", options->json, "Print the folder, the root's files and its thumbprint as JSON");
  command->callback([&runner, options] { runner.action = [options] { return run_caroot(*options); }; });
}

}  // namespace krtool::app
