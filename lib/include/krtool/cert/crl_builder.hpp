// build_crl makes the CRL of a CA: signed by its key, numbered, with the revoked entries and their
// reasons. Time is a parameter so that tests (and "a CRL that expired yesterday") need no clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "krtool/cert/bundle.hpp"
#include "krtool/cert/revocation.hpp"
#include "krtool/util/time.hpp"

namespace krtool::cert {

struct CrlSpec {
  TimePoint this_update;
  TimePoint next_update;
  std::uint64_t crl_number = 1;  // the cRLNumber extension; callers keep it increasing
  std::vector<Revocation> revoked;
};

// build_crl signs a v2 CRL with the CA's key (the digest new-selfsigned signs with), carrying
// cRLNumber and authorityKeyIdentifier, and a reasonCode on every entry whose reason is not
// unspecified (RFC 5280 5.3.1 says to leave it out then). Error(Input) when the bundle has no key or
// its certificate is not a CA allowed to sign CRLs; Error(Usage) when next_update is not after
// this_update or a time cannot be written.
ossl::UniquePtr<X509_CRL> build_crl(const CertBundle& ca, const CrlSpec& spec);

// crl_der / crl_pem encode a CRL ("-----BEGIN X509 CRL-----").
std::string crl_der(X509_CRL* crl);
std::string crl_pem(X509_CRL* crl);

}  // namespace krtool::cert
