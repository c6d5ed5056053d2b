// krtool/validation.hpp: what TLS validation code for `krtool serve` sees, and the boundary it is
// loaded through. Self-contained and C++17, so that a policy compiles with a plain `c++ -std=c++17`.
//
// Validation code is the body (or a file defining) of
//   bool validate(const krtool::Certificate* certificate, const krtool::Chain& chain,
//                 krtool::SslPolicyErrors sslPolicyErrors)
// which decides, once per handshake, whether the client certificate is accepted (Kestrel's
// ClientCertificateValidation callback). See docs/client-certificate-authentication.md,
// "Writing validation code".
//
// Between krtool and the compiled code there is only a C ABI: krtool passes a table of plain function
// pointers (krtool_validation_api_v1) and opaque handles, and the code exports one C function,
// krtool_validate_v1, which KRTOOL_VALIDATION_ENTRY defines. No C++ object crosses the boundary, so
// a policy built with another compiler or standard library than krtool's still loads.
#ifndef KRTOOL_VALIDATION_HPP
#define KRTOOL_VALIDATION_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// ---------------------------------------------------------------------------------------------------
// The C ABI, version 1. Fields are only ever added at the end; `size` tells the code how many krtool
// filled, and a new incompatible layout gets a new name (krtool_validation_api_v2, krtool_validate_v2).

#define KRTOOL_VALIDATION_ABI_VERSION 1u

extern "C" {

// Opaque: krtool's per-handshake view of one certificate, and of the chain built for the client's.
typedef struct krtool_certificate_handle krtool_certificate_handle;
typedef struct krtool_chain_handle krtool_chain_handle;

// krtool_validation_api_v1 is filled by krtool. Strings are NUL-terminated UTF-8 that stay valid until
// krtool_validate_v1 returns; krtool computes each one on first use and keeps it for the handshake.
// A function that cannot produce its value (OpenSSL failed) returns NULL, -1 for the int ones and
// INT64_MIN for the times.
typedef struct krtool_validation_api_v1 {
  uint32_t abi_version;  // KRTOOL_VALIDATION_ABI_VERSION
  uint32_t size;         // sizeof(krtool_validation_api_v1) as krtool was built

  const char* (*subject)(const krtool_certificate_handle* certificate);        // "CN=alice, O=Acme"
  const char* (*issuer)(const krtool_certificate_handle* certificate);         // same spelling
  const char* (*thumbprint)(const krtool_certificate_handle* certificate);     // SHA-1, uppercase hex
  const char* (*serial_number)(const krtool_certificate_handle* certificate);  // uppercase hex
  int64_t (*not_before)(const krtool_certificate_handle* certificate);         // Unix seconds
  int64_t (*not_after)(const krtool_certificate_handle* certificate);          // Unix seconds
  size_t (*dns_name_count)(const krtool_certificate_handle* certificate);
  const char* (*dns_name)(const krtool_certificate_handle* certificate, size_t index);
  int (*is_self_signed)(const krtool_certificate_handle* certificate);  // 1 subject == issuer, 0 not
  int (*has_enhanced_key_usage)(const krtool_certificate_handle* certificate, const char* oid);  // 1/0
  // der returns the encoding's length and points *bytes at it (NULL and 0 on failure).
  size_t (*der)(const krtool_certificate_handle* certificate, const unsigned char** bytes);

  size_t (*chain_size)(const krtool_chain_handle* chain);
  const krtool_certificate_handle* (*chain_element)(const krtool_chain_handle* chain, size_t index);
  size_t (*chain_status_count)(const krtool_chain_handle* chain);
  // The index-th problem: .NET's X509ChainStatusFlags name ("UntrustedRoot"), and OpenSSL's reason.
  const char* (*chain_status)(const krtool_chain_handle* chain, size_t index);
  const char* (*chain_status_information)(const krtool_chain_handle* chain, size_t index);
} krtool_validation_api_v1;

// The one symbol a policy exports (KRTOOL_VALIDATION_ENTRY defines it). `certificate` is NULL when the
// client presented none; `ssl_policy_errors` holds SslPolicyErrors bits. Returns 1 to accept, 0 to
// reject, -1 when the code threw, after copying the exception's text (NUL-terminated, truncated to
// error_size) into `error`.
typedef int (*krtool_validate_v1_fn)(const krtool_validation_api_v1* api,
                                     const krtool_certificate_handle* certificate,
                                     const krtool_chain_handle* chain, unsigned ssl_policy_errors,
                                     char* error, size_t error_size);

}  // extern "C"

// ---------------------------------------------------------------------------------------------------
// The C++ view that validation code uses. It lives in an inline namespace, so that two versions of this
// header in one process (krtool's and a policy's) never share a mangled name.

namespace krtool {

// SslPolicyErrors is .NET's System.Net.Security.SslPolicyErrors, a flag enum: what went wrong with the
// client certificate before any policy looked at it.
enum class SslPolicyErrors : unsigned {
  None = 0,
  RemoteCertificateNotAvailable = 1,
  RemoteCertificateNameMismatch = 2,
  RemoteCertificateChainErrors = 4,
};
constexpr SslPolicyErrors operator|(SslPolicyErrors a, SslPolicyErrors b) {
  return static_cast<SslPolicyErrors>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr SslPolicyErrors operator&(SslPolicyErrors a, SslPolicyErrors b) {
  return static_cast<SslPolicyErrors>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}

inline namespace validation_v1 {

// Certificate is one certificate of the handshake: the client's (the `certificate` argument) or a
// member of the chain. Made by krtool for the duration of one call; do not keep it, or anything it
// returned by pointer, past the call (the values it returns by value are yours).
class Certificate {
 public:
  Certificate(const krtool_validation_api_v1* api, const krtool_certificate_handle* handle) noexcept
      : api_(api), handle_(handle) {}

  // The DNs as .NET prints them: the most specific RDN first, ", " between RDNs ("CN=alice, O=Acme").
  std::string subject() const { return text(api_->subject(handle_), "subject"); }
  std::string issuer() const { return text(api_->issuer(handle_), "issuer"); }
  // SHA-1 of the DER encoding, 40 uppercase hex digits without separators, as .NET's Thumbprint.
  std::string thumbprint() const { return text(api_->thumbprint(handle_), "thumbprint"); }
  // The serial number's bytes in uppercase hex, a leading 00 kept, as .NET's SerialNumber.
  std::string serial_number() const { return text(api_->serial_number(handle_), "serial number"); }
  std::chrono::system_clock::time_point not_before() const {
    return instant(api_->not_before(handle_), "notBefore");
  }
  std::chrono::system_clock::time_point not_after() const {
    return instant(api_->not_after(handle_), "notAfter");
  }
  // The DNS names of the subject alternative name extension, in the certificate's order.
  std::vector<std::string> dns_names() const {
    std::vector<std::string> names;
    const size_t count = api_->dns_name_count(handle_);
    names.reserve(count);
    for (size_t i = 0; i < count; ++i) names.push_back(text(api_->dns_name(handle_, i), "DNS name"));
    return names;
  }
  // Whether subject and issuer are the same string (Kestrun's test: no signature check).
  bool is_self_signed() const { return flag(api_->is_self_signed(handle_), "self-signed test"); }
  // Whether the extended key usage extension lists `oid` ("1.3.6.1.5.5.7.3.2" is clientAuth). A
  // certificate without the extension lists none, so this is false for every OID.
  bool has_enhanced_key_usage(std::string_view oid) const {
    const std::string terminated(oid);
    return flag(api_->has_enhanced_key_usage(handle_, terminated.c_str()), "extended key usage");
  }
  // The DER encoding, for checks this class does not offer (parse it with your own library).
  std::vector<unsigned char> der() const {
    const unsigned char* bytes = nullptr;
    const size_t length = api_->der(handle_, &bytes);
    if (bytes == nullptr) fail("DER encoding");
    return std::vector<unsigned char>(bytes, bytes + length);
  }

 private:
  [[noreturn]] static void fail(const char* what) {
    throw std::runtime_error(std::string("krtool could not read the certificate's ") + what);
  }
  static std::string text(const char* value, const char* what) {
    if (value == nullptr) fail(what);
    return value;
  }
  static std::chrono::system_clock::time_point instant(int64_t unix_seconds, const char* what) {
    if (unix_seconds == INT64_MIN) fail(what);
    return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
  }
  static bool flag(int value, const char* what) {
    if (value < 0) fail(what);
    return value == 1;
  }

  const krtool_validation_api_v1* api_;
  const krtool_certificate_handle* handle_;
};

// ChainStatus is one problem found while building the chain, as .NET's X509ChainStatus: `status` is
// the X509ChainStatusFlags name ("UntrustedRoot", "PartialChain", "NotTimeValid", "NotValidForUsage",
// "Revoked", ...; "" when .NET has no close match) and `information` is OpenSSL's reason with the
// depth and subject ("self-signed certificate (depth 0, 'CN=mallory')").
struct ChainStatus {
  std::string status;
  std::string information;
};

// Chain is the chain krtool built for the client's certificate against --trust-ca (or the system
// store): chain[0] is the client's certificate, then its issuers as far as they were found, the
// anchor last. It is empty when no certificate was presented.
class Chain {
 public:
  Chain(const krtool_validation_api_v1* api, const krtool_chain_handle* handle) : api_(api), handle_(handle) {
    const size_t count = handle != nullptr ? api->chain_size(handle) : 0;
    elements_.reserve(count);
    for (size_t i = 0; i < count; ++i) elements_.emplace_back(api, api->chain_element(handle, i));
  }

  size_t size() const noexcept { return elements_.size(); }
  bool empty() const noexcept { return elements_.empty(); }
  const Certificate& operator[](size_t index) const { return elements_.at(index); }
  std::vector<Certificate>::const_iterator begin() const noexcept { return elements_.begin(); }
  std::vector<Certificate>::const_iterator end() const noexcept { return elements_.end(); }

  // status() lists every problem found, once per distinct problem; empty when the chain verified
  // (then sslPolicyErrors is None), as .NET's X509Chain.ChainStatus.
  std::vector<ChainStatus> status() const {
    std::vector<ChainStatus> statuses;
    const size_t count = handle_ != nullptr ? api_->chain_status_count(handle_) : 0;
    for (size_t i = 0; i < count; ++i) {
      const char* status = api_->chain_status(handle_, i);
      const char* information = api_->chain_status_information(handle_, i);
      if (status == nullptr || information == nullptr) {
        throw std::runtime_error("krtool could not read the chain's status");
      }
      statuses.push_back(ChainStatus{status, information});
    }
    return statuses;
  }

 private:
  const krtool_validation_api_v1* api_;
  const krtool_chain_handle* handle_;
  std::vector<Certificate> elements_;
};

namespace detail {

inline void copy_message(const char* message, char* error, size_t error_size) noexcept {
  if (error == nullptr || error_size == 0) return;
  const size_t length = std::strlen(message) < error_size - 1 ? std::strlen(message) : error_size - 1;
  std::memcpy(error, message, length);
  error[length] = '\0';
}

// call_validate is krtool_validate_v1's body: it checks that krtool speaks this header's ABI, wraps
// the handles, and turns every exception into -1 and a message, since none may cross the C boundary.
template <typename Validate>
int call_validate(Validate&& validate, const krtool_validation_api_v1* api,
                  const krtool_certificate_handle* certificate, const krtool_chain_handle* chain,
                  unsigned ssl_policy_errors, char* error, size_t error_size) noexcept {
  if (api == nullptr || api->abi_version != KRTOOL_VALIDATION_ABI_VERSION ||
      api->size < sizeof(krtool_validation_api_v1)) {
    copy_message(
        "this policy was built with a newer krtool/validation.hpp than the krtool loading it; "
        "rebuild it with this krtool's header",
        error, error_size);
    return -1;
  }
  try {
    const Certificate client(api, certificate);
    const Chain built(api, chain);
    const bool accepted = validate(certificate != nullptr ? &client : nullptr, built,
                                   static_cast<SslPolicyErrors>(ssl_policy_errors));
    return accepted ? 1 : 0;
  } catch (const std::exception& e) {
    copy_message(e.what(), error, error_size);
  } catch (...) {
    copy_message("unknown exception", error, error_size);
  }
  return -1;
}

}  // namespace detail
}  // namespace validation_v1
}  // namespace krtool

#if defined(_WIN32)
#define KRTOOL_VALIDATION_EXPORT __declspec(dllexport)
#else
#define KRTOOL_VALIDATION_EXPORT __attribute__((visibility("default")))
#endif

// KRTOOL_VALIDATION_ENTRY(fn) defines the exported krtool_validate_v1 that calls
// `bool fn(const krtool::Certificate*, const krtool::Chain&, krtool::SslPolicyErrors)`; use it once, at
// namespace scope, after fn.
#define KRTOOL_VALIDATION_ENTRY(fn)                                                                   \
  extern "C" KRTOOL_VALIDATION_EXPORT int krtool_validate_v1(                                         \
      const krtool_validation_api_v1* api, const krtool_certificate_handle* certificate,              \
      const krtool_chain_handle* chain, unsigned ssl_policy_errors, char* error, size_t error_size) { \
    return ::krtool::detail::call_validate(fn, api, certificate, chain, ssl_policy_errors, error,     \
                                           error_size);                                               \
  }

#endif  // KRTOOL_VALIDATION_HPP
