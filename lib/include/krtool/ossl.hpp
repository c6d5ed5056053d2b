// Ownership of OpenSSL objects (BoringSSL's bssl::UniquePtr, written out for OpenSSL 3): every object
// goes into an ossl::UniquePtr on the line that creates it, and no *_free call appears elsewhere.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/error.hpp"

namespace krtool::ossl {

template <typename T>
struct Deleter;  // left undefined: a UniquePtr of a type without a deleter does not compile

#define KRTOOL_OSSL_DELETER(T, fn)                  \
  template <>                                       \
  struct Deleter<T> {                               \
    void operator()(T* p) const noexcept { fn(p); } \
  }

KRTOOL_OSSL_DELETER(BIO, BIO_free_all);
KRTOOL_OSSL_DELETER(EVP_PKEY, EVP_PKEY_free);
KRTOOL_OSSL_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free);
KRTOOL_OSSL_DELETER(EVP_MD_CTX, EVP_MD_CTX_free);
KRTOOL_OSSL_DELETER(X509, X509_free);
KRTOOL_OSSL_DELETER(X509_REQ, X509_REQ_free);
KRTOOL_OSSL_DELETER(X509_CRL, X509_CRL_free);
KRTOOL_OSSL_DELETER(X509_REVOKED, X509_REVOKED_free);
KRTOOL_OSSL_DELETER(X509_NAME, X509_NAME_free);
KRTOOL_OSSL_DELETER(X509_EXTENSION, X509_EXTENSION_free);
KRTOOL_OSSL_DELETER(X509_STORE, X509_STORE_free);
KRTOOL_OSSL_DELETER(X509_STORE_CTX, X509_STORE_CTX_free);
KRTOOL_OSSL_DELETER(X509_SIG, X509_SIG_free);
KRTOOL_OSSL_DELETER(PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free);
KRTOOL_OSSL_DELETER(PKCS12, PKCS12_free);
// ASN1_INTEGER, ASN1_TIME, ASN1_OCTET_STRING, ASN1_BIT_STRING and ASN1_IA5STRING are all ASN1_STRING.
KRTOOL_OSSL_DELETER(ASN1_STRING, ASN1_STRING_free);
KRTOOL_OSSL_DELETER(ASN1_OBJECT, ASN1_OBJECT_free);
KRTOOL_OSSL_DELETER(BIGNUM, BN_free);
KRTOOL_OSSL_DELETER(GENERAL_NAMES, GENERAL_NAMES_free);
KRTOOL_OSSL_DELETER(EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free);
KRTOOL_OSSL_DELETER(CRL_DIST_POINTS, CRL_DIST_POINTS_free);
KRTOOL_OSSL_DELETER(BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free);
KRTOOL_OSSL_DELETER(SSL_CTX, SSL_CTX_free);
KRTOOL_OSSL_DELETER(SSL, SSL_free);
KRTOOL_OSSL_DELETER(OSSL_PROVIDER, OSSL_PROVIDER_unload);

template <>
struct Deleter<STACK_OF(X509)> {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_pop_free(s, X509_free); }
};
template <>
struct Deleter<STACK_OF(X509_CRL)> {
  void operator()(STACK_OF(X509_CRL) * s) const noexcept { sk_X509_CRL_pop_free(s, X509_CRL_free); }
};
template <>
struct Deleter<STACK_OF(X509_EXTENSION)> {
  void operator()(STACK_OF(X509_EXTENSION) * s) const noexcept {
    sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
  }
};
template <>
struct Deleter<STACK_OF(X509_NAME)> {
  void operator()(STACK_OF(X509_NAME) * s) const noexcept { sk_X509_NAME_pop_free(s, X509_NAME_free); }
};
template <>
struct Deleter<char> {  // strings that OpenSSL allocated (X509_NAME_oneline, i2s_*, ...)
  void operator()(char* p) const noexcept { OPENSSL_free(p); }
};
template <>
struct Deleter<unsigned char> {
  void operator()(unsigned char* p) const noexcept { OPENSSL_free(p); }
};

#undef KRTOOL_OSSL_DELETER

template <typename T>
using UniquePtr = std::unique_ptr<T, Deleter<T>>;

// up_ref takes a new reference on a borrowed (get0) object so that the caller may keep it.
inline UniquePtr<X509> up_ref(X509* x) {
  if (x != nullptr) X509_up_ref(x);
  return UniquePtr<X509>(x);
}
inline UniquePtr<X509_CRL> up_ref(X509_CRL* c) {
  if (c != nullptr) X509_CRL_up_ref(c);
  return UniquePtr<X509_CRL>(c);
}
inline UniquePtr<EVP_PKEY> up_ref(EVP_PKEY* k) {
  if (k != nullptr) EVP_PKEY_up_ref(k);
  return UniquePtr<EVP_PKEY>(k);
}

// drain_errors empties OpenSSL's thread-local error queue and returns its reasons joined by "; "
// (empty when the queue was empty). Every krtool error that stems from OpenSSL carries this text.
std::string drain_errors();

// fail throws Error(code, "<action>: <OpenSSL's reasons>", hint) after draining the error queue.
[[noreturn]] void fail(Errc code, std::string_view action, std::string hint = {});

// require throws through fail() unless `ok`; write the success condition out at each call site,
// since OpenSSL's return conventions differ from function to function.
inline void require(bool ok, std::string_view action, Errc code = Errc::Internal) {
  if (!ok) fail(code, action);
}

// Memory BIOs: a read-only view of bytes, and a sink whose contents can be taken out.
UniquePtr<BIO> memory_bio(std::string_view bytes);
UniquePtr<BIO> sink_bio();
std::string bio_contents(BIO* bio);

}  // namespace krtool::ossl
