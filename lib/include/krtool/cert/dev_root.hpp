// The development root that stays (mkcert's CAROOT): `new-selfsigned --development`, `serve
// --self-signed` and `new-lab` sign with one root CA kept in a folder, so that whatever trusted it
// yesterday still trusts today's certificates. The folder is $KRTOOL_CAROOT, else
// $XDG_DATA_HOME/krtool, else ~/.local/share/krtool; it holds root-ca.pem (certificate, 0644) and
// root-ca.key (PKCS#8, 0600) in a 0700 folder.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "krtool/cert/bundle.hpp"

namespace krtool::cert {

inline constexpr const char* kDevelopmentRootCertificate = "root-ca.pem";
inline constexpr const char* kDevelopmentRootKey = "root-ca.key";

// development_root_folder resolves the folder without touching the disk. Throws Error(Usage) when
// neither KRTOOL_CAROOT, XDG_DATA_HOME nor HOME is set.
std::filesystem::path development_root_folder();

struct DevelopmentRootOptions {
  std::string name = "krtool Development Root CA";  // CN of a root made now
  bool name_given = false;  // an existing root with another name is then an error, not a surprise
  int valid_days = 3650;
  bool new_root = false;  // replace the stored root; the old one is kept as root-ca.<time>.pem/.key
};

struct DevelopmentRoot {
  CertBundle root;
  std::filesystem::path folder, certificate_file, key_file;
  bool created = false;                       // made by this call
  std::optional<std::filesystem::path> kept;  // with new_root: where the replaced root went
};

// development_root loads the stored root, or makes and stores one when there is none (or new_root).
// Concurrent first uses make one root: creation runs under an exclusive lock on <folder>/.lock, and
// the two files appear together. Throws Error(Input) for a damaged, half-present or expired root, or a
// folder that others can read, each with the fix (--new-root, chmod 700).
DevelopmentRoot development_root(const DevelopmentRootOptions& options);

}  // namespace krtool::cert
