#include "output_files.hpp"

#include <fmt/format.h>

#include "krtool/error.hpp"

namespace krtool::app {

formats::Format resolve_format(const std::filesystem::path& out, const std::string& format_flag) {
  const std::optional<formats::Format> by_extension = formats::format_from_extension(out);
  if (!format_flag.empty()) {
    const formats::Format chosen = formats::format_from_name(format_flag, "--format");
    if (by_extension && *by_extension != chosen) {
      throw Error(
          Errc::Usage,
          fmt::format("--format {} contradicts --out '{}', whose extension '{}' means {}", format_flag,
                      out.string(), out.extension().string(), formats::format_name(*by_extension)),
          fmt::format("drop --format, or name the output with an extension for {} (or none)",
                      formats::format_name(chosen)));
    }
    return chosen;
  }
  if (by_extension) return *by_extension;
  throw Error(Errc::Usage,
              fmt::format("--out '{}': cannot tell the format from the extension '{}'", out.string(),
                          out.extension().string()),
              "use .pfx/.p12, .pem/.crt or .der/.cer, or give --format pfx|pem|der");
}

std::optional<std::string> pem_key_password(const std::optional<std::string>& password) {
  if (password && password->empty()) return std::nullopt;
  return password;
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
                formats::encode_pem_key(bundle.key.get(), pem_key_password(options.password)),
                files::FileMode::Private, "private key");
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

CLI::Validator non_empty_path() {
  return CLI::Validator(
      [](std::string& value) {
        return value.empty() ? std::string("an empty path names no file; give a file name such as server.pem")
                             : std::string();
      },
      "", "non-empty path");
}

}  // namespace krtool::app
