// Certificate revocation lists read from files, for offline revocation checks (test-cert --crl).
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "krtool/ossl.hpp"

namespace krtool::cert {

// load_crls reads every CRL in a PEM file (one or more "X509 CRL" blocks) or the one CRL of a DER
// file. Throws Error(Input) naming the file when it is missing, unreadable or holds no CRL.
std::vector<ossl::UniquePtr<X509_CRL>> load_crls(const std::filesystem::path& path);

// load_crls_from_bytes is load_crls for bytes already in memory; `source` names them in errors.
std::vector<ossl::UniquePtr<X509_CRL>> load_crls_from_bytes(std::string_view bytes, std::string_view source);

}  // namespace krtool::cert
