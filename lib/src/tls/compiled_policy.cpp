#include "tls/compiled_policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/util/files.hpp"
#include "krtool/util/time.hpp"
#include "krtool/validation.hpp"
#include "util/shared_library.hpp"

// krtool's side of the opaque handles: one certificate of one handshake, with each value computed on
// first use and kept for the rest of the call, so a policy that reads only subject() pays only for it.
struct krtool_certificate_handle {
  X509* certificate = nullptr;
  std::optional<std::string> subject, issuer, thumbprint, serial_number;
  std::optional<std::vector<std::string>> dns_names, enhanced_key_usage_oids;
  std::optional<std::string> der;
};

struct krtool_chain_handle {
  std::vector<krtool_certificate_handle> elements;  // leaf first, as built
  const std::vector<krtool::cert::ChainProblem>* problems = nullptr;
};

namespace krtool::tls {
namespace {

// Every function of the table catches everything: no exception may cross into the policy's frames.
// A failure reads as NULL / -1 / INT64_MIN, which the header's wrappers turn into an exception.
template <typename Compute>
const char* cached_text(std::optional<std::string>& slot, Compute compute) noexcept {
  try {
    if (!slot) slot = compute();
    return slot->c_str();
  } catch (...) {
    return nullptr;
  }
}

const std::vector<std::string>* cached_list(std::optional<std::vector<std::string>>& slot,
                                            std::vector<std::string> (*compute)(X509*),
                                            X509* certificate) noexcept {
  try {
    if (!slot) slot = compute(certificate);
    return &*slot;
  } catch (...) {
    return nullptr;
  }
}

krtool_certificate_handle& mutable_handle(const krtool_certificate_handle* handle) {
  // The handles are krtool's own, made non-const for each call; the API hands them out as const so
  // that the policy cannot change them, while krtool fills their caches.
  return *const_cast<krtool_certificate_handle*>(handle);
}

const char* subject(const krtool_certificate_handle* h) noexcept {
  auto& c = mutable_handle(h);
  return cached_text(c.subject, [&] { return cert::format_dn(X509_get_subject_name(c.certificate)); });
}
const char* issuer(const krtool_certificate_handle* h) noexcept {
  auto& c = mutable_handle(h);
  return cached_text(c.issuer, [&] { return cert::format_dn(X509_get_issuer_name(c.certificate)); });
}
const char* thumbprint(const krtool_certificate_handle* h) noexcept {
  auto& c = mutable_handle(h);
  return cached_text(c.thumbprint, [&] { return cert::thumbprint(c.certificate); });
}
const char* serial_number(const krtool_certificate_handle* h) noexcept {
  auto& c = mutable_handle(h);
  return cached_text(c.serial_number, [&] { return cert::serial_number(c.certificate); });
}

int64_t unix_seconds(const ASN1_TIME* time, std::string_view what) noexcept {
  try {
    return static_cast<int64_t>(to_time_t(from_asn1_time(time, what)));
  } catch (...) {
    return INT64_MIN;
  }
}
int64_t not_before(const krtool_certificate_handle* h) noexcept {
  return unix_seconds(X509_get0_notBefore(h->certificate), "the certificate's notBefore");
}
int64_t not_after(const krtool_certificate_handle* h) noexcept {
  return unix_seconds(X509_get0_notAfter(h->certificate), "the certificate's notAfter");
}

size_t dns_name_count(const krtool_certificate_handle* h) noexcept {
  auto& c = mutable_handle(h);
  const auto* names = cached_list(c.dns_names, cert::dns_names, c.certificate);
  return names != nullptr ? names->size() : 0;
}
const char* dns_name(const krtool_certificate_handle* h, size_t index) noexcept {
  auto& c = mutable_handle(h);
  const auto* names = cached_list(c.dns_names, cert::dns_names, c.certificate);
  return names != nullptr && index < names->size() ? (*names)[index].c_str() : nullptr;
}

int is_self_signed(const krtool_certificate_handle* h) noexcept {
  const char* s = subject(h);
  const char* i = issuer(h);
  if (s == nullptr || i == nullptr) return -1;
  return std::string_view(s) == std::string_view(i) ? 1 : 0;  // ordinal, as Kestrun compares
}

int has_enhanced_key_usage(const krtool_certificate_handle* h, const char* oid) noexcept {
  auto& c = mutable_handle(h);
  const auto* oids = cached_list(c.enhanced_key_usage_oids, cert::enhanced_key_usage_oids, c.certificate);
  if (oids == nullptr || oid == nullptr) return -1;
  return std::find(oids->begin(), oids->end(), std::string_view(oid)) != oids->end() ? 1 : 0;
}

size_t der(const krtool_certificate_handle* h, const unsigned char** bytes) noexcept {
  auto& c = mutable_handle(h);
  const char* encoded = cached_text(c.der, [&] {
    unsigned char* out = nullptr;
    const int length = i2d_X509(c.certificate, &out);
    ossl::UniquePtr<unsigned char> owned(out);
    ossl::require(length > 0, "encoding a certificate");
    return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(length));
  });
  *bytes = reinterpret_cast<const unsigned char*>(encoded);
  return encoded != nullptr ? c.der->size() : 0;
}

size_t chain_size(const krtool_chain_handle* chain) noexcept { return chain->elements.size(); }
const krtool_certificate_handle* chain_element(const krtool_chain_handle* chain, size_t index) noexcept {
  return index < chain->elements.size() ? &chain->elements[index] : nullptr;
}
size_t chain_status_count(const krtool_chain_handle* chain) noexcept { return chain->problems->size(); }
const char* chain_status(const krtool_chain_handle* chain, size_t index) noexcept {
  return index < chain->problems->size() ? (*chain->problems)[index].status.c_str() : nullptr;
}
const char* chain_status_information(const krtool_chain_handle* chain, size_t index) noexcept {
  return index < chain->problems->size() ? (*chain->problems)[index].text.c_str() : nullptr;
}

constexpr krtool_validation_api_v1 kApi = {
    KRTOOL_VALIDATION_ABI_VERSION,
    sizeof(krtool_validation_api_v1),
    subject,
    issuer,
    thumbprint,
    serial_number,
    not_before,
    not_after,
    dns_name_count,
    dns_name,
    is_self_signed,
    has_enhanced_key_usage,
    der,
    chain_size,
    chain_element,
    chain_status_count,
    chain_status,
    chain_status_information,
};

class CompiledPolicy final : public ClientCertPolicy {
 public:
  CompiledPolicy(std::shared_ptr<const SharedLibrary> library, krtool_validate_v1_fn validate,
                 std::string name)
      : library_(std::move(library)), validate_(validate), name_(std::move(name)) {}

  std::string name() const override { return name_; }
  // Code can accept anything, but krtool cannot tell what it does; as in Kestrun, compiled code is
  // not flagged as relaxed. serve's start-up lines name the code in force instead.
  bool is_relaxed() const override { return false; }
  bool is_validation_code() const override { return true; }

  bool accepts(X509* certificate, const ChainVerdict& verdict) const override {
    krtool_chain_handle chain;
    chain.problems = &verdict.problems;
    const int length = verdict.chain != nullptr ? sk_X509_num(verdict.chain) : 0;
    chain.elements.resize(static_cast<size_t>(std::max(length, 0)));
    for (int i = 0; i < length; ++i)
      chain.elements[static_cast<size_t>(i)].certificate = sk_X509_value(verdict.chain, i);
    // The leaf heads the built chain: share its handle, and so its cached values.
    krtool_certificate_handle separate;
    const krtool_certificate_handle* client = nullptr;
    if (certificate != nullptr && !chain.elements.empty() &&
        chain.elements.front().certificate == certificate) {
      client = &chain.elements.front();
    } else if (certificate != nullptr) {
      separate.certificate = certificate;
      client = &separate;
    }
    char error[2048] = "";
    const int result =
        validate_(&kApi, client, &chain, static_cast<unsigned>(verdict.errors), error, sizeof error);
    if (result == 1) return true;
    if (result == 0) return false;
    error[sizeof error - 1] = '\0';
    if (result == -1) throw std::runtime_error(error[0] != '\0' ? error : "an exception without a message");
    throw std::runtime_error(fmt::format(
        "krtool_validate_v1 returned {}, which is neither 1 (accept), 0 (reject) nor -1 (threw)", result));
  }

 private:
  std::shared_ptr<const SharedLibrary> library_;  // keeps validate_ loaded
  krtool_validate_v1_fn validate_;
  std::string name_;
};

}  // namespace

std::unique_ptr<ClientCertPolicy> load_compiled_policy(const std::filesystem::path& library,
                                                       std::string name) {
  files::require_safe_to_load(library, "validation code library");
  auto loaded = std::make_shared<const SharedLibrary>(library, "validation code library");
  auto* validate = reinterpret_cast<krtool_validate_v1_fn>(loaded->symbol("krtool_validate_v1"));
  if (validate == nullptr) {
    throw Error(
        Errc::Input,
        fmt::format("validation code library '{}' does not export krtool_validate_v1", library.string()),
        "define it with KRTOOL_VALIDATION_ENTRY(validate) from <krtool/validation.hpp> and build with "
        "c++ -std=c++17 -shared -fPIC");
  }
  return std::make_unique<CompiledPolicy>(std::move(loaded), validate, std::move(name));
}

}  // namespace krtool::tls
