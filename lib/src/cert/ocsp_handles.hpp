// Owners for the OCSP types, kept out of krtool/ossl.hpp so that the headers every file includes do
// not pull in <openssl/ocsp.h>.
#pragma once

#include <openssl/ocsp.h>

#include "krtool/ossl.hpp"

namespace krtool::ossl {

template <>
struct Deleter<OCSP_REQUEST> {
  void operator()(OCSP_REQUEST* p) const noexcept { OCSP_REQUEST_free(p); }
};
template <>
struct Deleter<OCSP_RESPONSE> {
  void operator()(OCSP_RESPONSE* p) const noexcept { OCSP_RESPONSE_free(p); }
};
template <>
struct Deleter<OCSP_BASICRESP> {
  void operator()(OCSP_BASICRESP* p) const noexcept { OCSP_BASICRESP_free(p); }
};
template <>
struct Deleter<OCSP_CERTID> {
  void operator()(OCSP_CERTID* p) const noexcept { OCSP_CERTID_free(p); }
};

}  // namespace krtool::ossl
