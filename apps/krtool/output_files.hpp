// Turning a CertBundle into the files a user asked for: the format comes from --format or the
// extension of --out; PEM puts the key in a sibling <base>.key; PFX holds key, certificate and chain.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "krtool/cert/bundle.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/util/files.hpp"

namespace krtool::app {

struct BundleOutput {
  std::filesystem::path out;
  std::string format_flag;  // --format, may be empty
  formats::PfxProfile pfx_profile = formats::PfxProfile::Modern;
  std::optional<std::string> password;  // protects the PFX or encrypts the PEM key
  bool include_key = true;
  bool include_chain = true;
};

// resolve_format picks the format from --format, else from the extension, else fails with a hint; a
// --format that contradicts a known extension (--out x.pfx --format pem) is a usage error.
formats::Format resolve_format(const std::filesystem::path& out, const std::string& format_flag);

// pem_key_password: an empty password means a plain PKCS#8 key in PEM (what Go, Python, nginx and
// openssl s_server can load), never a key encrypted with the empty string. A PFX keeps its empty one.
std::optional<std::string> pem_key_password(const std::optional<std::string>& password);

// non_empty_path refuses --out '' at parse time, instead of a name made up from other flags.
CLI::Validator non_empty_path();

// add_bundle_files adds the files for `bundle` to `outputs`.
void add_bundle_files(files::OutputSet& outputs, const cert::CertBundle& bundle, const BundleOutput& options);

// default_output_base turns a certificate name into a file name as mkcert does ("*.dev" → "_wildcard.dev").
std::string default_output_base(std::string name);

}  // namespace krtool::app
