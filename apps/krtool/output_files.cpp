#include "output_files.hpp"

#include <fmt/format.h>

#include "krtool/error.hpp"

namespace krtool::app {

formats::Format resolve_format(const std::filesystem::path& out, const std::string& format_flag) {
  if (!format_flag.empty()) return formats::format_from_name(format_flag, "--format");
  if (auto format = formats::format_from_extension(out)) return *format;
  throw Error(Errc::Usage,
              fmt::format("--out '{}': cannot tell the format from the extension '{}'", out.string(),
                          out.extension().string()),
              "use .pfx/.p12, .pem/.crt or .der/.cer, or give --format pfx|pem|der");
}

void add_bundle_files(files::OutputSet& outputs, const cert::CertBundle& bundle,
                      const BundleOutput& options) {
  const formats::Format format = resolve_format(options.out, options.format_flag);
  switch (format) {
    case formats::Format::Pfx:
      if (!bundle.key) {
        throw Error(
            Errc::Usage,
            fmt::format("--out '{}': a PFX needs the private key, and there is none", options.out.string()),
            "write PEM or DER instead, or give the key with --key");
      }
      outputs.add(options.out,
                  formats::encode_pfx(bundle, options.password.value_or(""), options.pfx_profile),
                  files::FileMode::Private, "PFX file");
      return;
    case formats::Format::Pem:
      outputs.add(options.out, formats::encode_pem_certificates(bundle, options.include_chain),
                  files::FileMode::Public, "certificate");
      break;
    case formats::Format::Der:
      outputs.add(options.out, formats::encode_der_certificate(bundle.certificate.get()),
                  files::FileMode::Public, "certificate");
      break;
  }
  if (options.include_key && bundle.key) {
    outputs.add(files::sibling_path(options.out, ".key"),
                formats::encode_pem_key(bundle.key.get(), options.password), files::FileMode::Private,
                "private key");
  }
}

std::string default_output_base(std::string name) {
  std::string out;
  for (char c : name) {
    if (c == '*') {
      out += "_wildcard";
    } else if (c == ':' || c == '/' || c == ' ' || c == '=' || c == ',') {
      out += '_';
    } else {
      out += c;
    }
  }
  return out.empty() ? "certificate" : out;
}

}  // namespace krtool::app
