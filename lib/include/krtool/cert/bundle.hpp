// CertBundle is what krtool reads from and writes to certificate files: a certificate, its private key
// when there is one, and the rest of its chain.
#pragma once

#include <vector>

#include "krtool/ossl.hpp"

namespace krtool::cert {

struct CertBundle {
  ossl::UniquePtr<X509> certificate;
  ossl::UniquePtr<EVP_PKEY> key;             // null when the file held no private key
  std::vector<ossl::UniquePtr<X509>> chain;  // the other certificates, issuer first
};

// key_matches_certificate reports whether `key` is the private half of `certificate`'s public key.
bool key_matches_certificate(EVP_PKEY* key, X509* certificate);

}  // namespace krtool::cert
