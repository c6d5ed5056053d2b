// Shared by the CA database, CRL and OCSP tests: small ECDSA certificates and a fixed instant, so
// that times in CRLs and OCSP answers can be compared exactly.
#pragma once

#include <string>

#include "krtool/cert/builder.hpp"
#include "krtool/util/time.hpp"

namespace krtool::test {

inline cert::CertificateSpec ec_spec(std::string name, bool is_ca) {
  cert::CertificateSpec spec;
  spec.names = {std::move(name)};
  spec.key.type = cert::KeyType::Ecdsa;
  spec.is_ca = is_ca;
  return spec;
}

inline const TimePoint kT0 = parse_time_or_offset("2026-03-01T10:00:00Z", TimePoint{}, "test");

}  // namespace krtool::test
