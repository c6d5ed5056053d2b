// Certificate signing requests, as New-KrCertificateRequest makes them.
#pragma once

#include <string>
#include <vector>

#include "krtool/cert/key.hpp"

namespace krtool::cert {

struct CsrSpec {
  std::vector<std::string> names;  // SAN entries, each by its kind (cert/alt_names.hpp)
  std::string subject;             // a full DN in .NET order; overrides the parts below
  std::string country, organization, organizational_unit, common_name;  // CN defaults to names[0]
  KeySpec key;
  unsigned key_usage = 0;  // KU_* bits requested (critical); 0 requests none
};

struct CsrResult {
  ossl::UniquePtr<X509_REQ> request;
  ossl::UniquePtr<EVP_PKEY> key;
};

CsrResult create_request(const CsrSpec& spec);

// load_request reads a PEM or DER CSR and checks its self-signature; Error(Input) names `source`.
ossl::UniquePtr<X509_REQ> load_request(std::string_view bytes, std::string_view source);
std::string request_to_pem(X509_REQ* request);

}  // namespace krtool::cert
