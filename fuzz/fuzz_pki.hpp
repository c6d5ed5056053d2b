// The certificates the OCSP targets make once per process: small ECDSA keys, and validity from 2000 to
// 2100, so that whatever time an input names, a certificate is judged by its other merits.
#pragma once

#include <string>
#include <utility>

#include "krtool/cert/builder.hpp"
#include "krtool/util/time.hpp"

namespace krtool::fuzz {

inline cert::CertificateSpec ec_spec(std::string name, bool is_ca) {
  cert::CertificateSpec spec;
  spec.names = {std::move(name)};
  spec.key.type = cert::KeyType::Ecdsa;
  spec.is_ca = is_ca;
  spec.not_before = from_time_t(946684800);  // 2000-01-01
  spec.not_after = from_time_t(4102444800);  // 2100-01-01
  return spec;
}

}  // namespace krtool::fuzz
