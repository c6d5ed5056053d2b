#include "tls/ca_name_list.hpp"

namespace krtool::tls {

void push_owned(STACK_OF(X509_NAME) * names, ossl::UniquePtr<X509_NAME> name) {
  ossl::require(name != nullptr, "building the CA name list: no name to add");
  if (sk_X509_NAME_push(names, name.get()) <= 0) {
    // OpenSSL queues no reason for a null stack, so that case is named here.
    ossl::fail(Errc::Internal, names == nullptr ? "building the CA name list: there is no list to add to"
                                                : "building the CA name list");
  }
  name.release();  // the stack owns it now
}

ossl::UniquePtr<STACK_OF(X509_NAME)> ca_name_list(const std::vector<ossl::UniquePtr<X509>>& cas) {
  ossl::UniquePtr<STACK_OF(X509_NAME)> names(sk_X509_NAME_new_null());
  ossl::require(names != nullptr, "allocating the CA name list");
  for (const auto& ca : cas) {
    ossl::UniquePtr<X509_NAME> name(X509_NAME_dup(X509_get_subject_name(ca.get())));
    ossl::require(name != nullptr, "copying a trusted CA's subject for the CA name list");
    push_owned(names.get(), std::move(name));
  }
  return names;
}

}  // namespace krtool::tls
