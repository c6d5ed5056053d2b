#include "krtool/cert/bundle.hpp"

namespace krtool::cert {

bool key_matches_certificate(EVP_PKEY* key, X509* certificate) {
  if (key == nullptr || certificate == nullptr) return false;
  // X509_check_private_key compares the public halves; it queues an error on mismatch, which is an
  // answer here, not a failure.
  const bool match = X509_check_private_key(certificate, key) == 1;
  ossl::drain_errors();
  return match;
}

}  // namespace krtool::cert
