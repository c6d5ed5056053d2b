// The list of trusted issuers that a server's CertificateRequest names (SSL_CTX_set_client_CA_list),
// built so that every X509_NAME has exactly one owner at every step: the unique_ptr from X509_NAME_dup
// until a push succeeds, the stack after it, and the stack's own unique_ptr until SSL_CTX takes it.
#pragma once

#include <vector>

#include "krtool/ossl.hpp"

namespace krtool::tls {

// push_owned hands `name` to `names`, which frees it from then on. When the push fails (a null stack,
// no memory), `name` is freed on the way out and Error(Internal) carries OpenSSL's reason.
void push_owned(STACK_OF(X509_NAME) * names, ossl::UniquePtr<X509_NAME> name);

// ca_name_list copies the subjects of `cas`, in order; Error(Internal) when OpenSSL cannot.
ossl::UniquePtr<STACK_OF(X509_NAME)> ca_name_list(const std::vector<ossl::UniquePtr<X509>>& cas);

}  // namespace krtool::tls
