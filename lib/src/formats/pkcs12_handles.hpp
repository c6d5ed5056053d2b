// Ownership of the PKCS#12 building blocks that only the PFX writer and inspector take apart; kept
// out of krtool/ossl.hpp, which every file includes.
#pragma once

#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>

#include "krtool/ossl.hpp"

namespace krtool::ossl {

template <>
struct Deleter<STACK_OF(PKCS7)> {
  void operator()(STACK_OF(PKCS7) * s) const noexcept { sk_PKCS7_pop_free(s, PKCS7_free); }
};
template <>
struct Deleter<STACK_OF(PKCS12_SAFEBAG)> {
  void operator()(STACK_OF(PKCS12_SAFEBAG) * s) const noexcept {
    sk_PKCS12_SAFEBAG_pop_free(s, PKCS12_SAFEBAG_free);
  }
};
template <>
struct Deleter<PBEPARAM> {
  void operator()(PBEPARAM* p) const noexcept { PBEPARAM_free(p); }
};
template <>
struct Deleter<PBE2PARAM> {
  void operator()(PBE2PARAM* p) const noexcept { PBE2PARAM_free(p); }
};
template <>
struct Deleter<PBKDF2PARAM> {
  void operator()(PBKDF2PARAM* p) const noexcept { PBKDF2PARAM_free(p); }
};

}  // namespace krtool::ossl
