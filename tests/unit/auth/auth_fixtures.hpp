// Fixtures for the certificate-authentication tests: a CA hierarchy made with cert::create_certificate,
// CRLs signed with OpenSSL's X509_CRL API, and an in-memory publisher that answers Online revocation
// mode's CRL fetches.
#pragma once

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/ossl.hpp"
#include "krtool/util/time.hpp"

namespace krtool::test {

// The scheme does not care about key types; ECDSA keys are quick to generate, RSA ones are not.
inline cert::CertificateSpec client_spec(const std::string& name,
                                         cert::Purpose purpose = cert::Purpose::Client) {
  cert::CertificateSpec spec;
  spec.names = {name};
  spec.purpose = purpose;
  spec.key.type = cert::KeyType::Ecdsa;
  return spec;
}

inline cert::CertificateSpec ca_spec(const std::string& subject) {
  cert::CertificateSpec spec;
  spec.subject = subject;
  spec.key.type = cert::KeyType::Ecdsa;
  spec.is_ca = true;
  spec.valid_days = 3650;
  return spec;
}

// leaf_with_distribution_points is a client leaf whose one CRL distribution point lists `urls`, in
// order: cert::create_certificate writes one extension per URL, which OpenSSL rejects as duplicates.
inline cert::CertBundle leaf_with_distribution_points(const std::string& name, const cert::CertBundle& issuer,
                                                      const std::vector<std::string>& urls) {
  cert::CertBundle leaf = cert::create_certificate(client_spec(name), &issuer);
  std::string value;
  for (const std::string& url : urls) value += (value.empty() ? "URI:" : ",URI:") + url;
  ossl::UniquePtr<X509_EXTENSION> points(
      X509V3_EXT_conf_nid(nullptr, nullptr, NID_crl_distribution_points, value.c_str()));
  REQUIRE(points != nullptr);
  REQUIRE(X509_add_ext(leaf.certificate.get(), points.get(), -1) == 1);
  REQUIRE(X509_sign(leaf.certificate.get(), issuer.key.get(), EVP_sha256()) > 0);
  // Read the re-signed certificate back so that no extension data OpenSSL cached before the edit remains.
  unsigned char* der = nullptr;
  const int length = i2d_X509(leaf.certificate.get(), &der);
  REQUIRE(length > 0);
  ossl::UniquePtr<unsigned char> owned(der);
  const unsigned char* cursor = owned.get();
  leaf.certificate.reset(d2i_X509(nullptr, &cursor, length));
  REQUIRE(leaf.certificate != nullptr);
  return leaf;
}

// presented_chain is what a TLS client sends after its leaf: here, the bundle's issuers.
inline ossl::UniquePtr<STACK_OF(X509)> presented_chain(const cert::CertBundle& bundle) {
  ossl::UniquePtr<STACK_OF(X509)> chain(sk_X509_new_null());
  REQUIRE(chain != nullptr);
  for (const auto& member : bundle.chain) {
    ossl::UniquePtr<X509> reference = ossl::up_ref(member.get());
    REQUIRE(sk_X509_push(chain.get(), reference.get()) > 0);
    reference.release();  // the stack owns it now
  }
  return chain;
}

inline std::vector<ossl::UniquePtr<X509>> trust_only(X509* certificate) {
  std::vector<ossl::UniquePtr<X509>> store;
  store.push_back(ossl::up_ref(certificate));
  return store;
}

inline ossl::UniquePtr<ASN1_TIME> asn1_time(TimePoint at) {
  ossl::UniquePtr<ASN1_TIME> time(ASN1_TIME_set(nullptr, to_time_t(at)));
  REQUIRE(time != nullptr);
  return time;
}

// make_crl is `issuer`'s CRL listing `revoked`, issued a minute ago and due again at `next_update`
// (nullopt: a CRL without nextUpdate, which RFC 5280 allows).
inline ossl::UniquePtr<X509_CRL> make_crl(const cert::CertBundle& issuer, const std::vector<X509*>& revoked,
                                          std::optional<TimePoint> next_update) {
  const TimePoint issued = now_seconds() - std::chrono::minutes(1);
  ossl::UniquePtr<X509_CRL> crl(X509_CRL_new());
  REQUIRE(crl != nullptr);
  REQUIRE(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) == 1);
  REQUIRE(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.certificate.get())) == 1);
  REQUIRE(X509_CRL_set1_lastUpdate(crl.get(), asn1_time(issued).get()) == 1);
  if (next_update) REQUIRE(X509_CRL_set1_nextUpdate(crl.get(), asn1_time(*next_update).get()) == 1);
  for (X509* certificate : revoked) {
    ossl::UniquePtr<X509_REVOKED> entry(X509_REVOKED_new());
    REQUIRE(entry != nullptr);
    REQUIRE(X509_REVOKED_set_serialNumber(entry.get(), X509_get_serialNumber(certificate)) == 1);
    REQUIRE(X509_REVOKED_set_revocationDate(entry.get(), asn1_time(issued).get()) == 1);
    REQUIRE(X509_CRL_add0_revoked(crl.get(), entry.get()) == 1);
    entry.release();  // the CRL owns it now
  }
  REQUIRE(X509_CRL_sort(crl.get()) == 1);
  REQUIRE(X509_CRL_sign(crl.get(), issuer.key.get(), EVP_sha256()) > 0);
  return crl;
}

inline ossl::UniquePtr<X509_CRL> make_crl(const cert::CertBundle& issuer,
                                          const std::vector<X509*>& revoked = {}) {
  return make_crl(issuer, revoked, now_seconds() + std::chrono::hours(24));
}

inline std::vector<ossl::UniquePtr<X509_CRL>> crl_list(ossl::UniquePtr<X509_CRL> crl) {
  std::vector<ossl::UniquePtr<X509_CRL>> crls;
  crls.push_back(std::move(crl));
  return crls;
}

// CrlPublisher stands in for the web servers at CRL distribution points: the scheme's CrlFetcher asks
// it, and it answers with what was published under that URL's path (HTTP 404 otherwise), recording
// every request so that tests can count fetches. The URLs name the discard port on 127.0.0.1, so a
// scheme that used a real HTTP GET instead would be refused at once, not reach another machine.
// Thread-safe: a scheme fetches from every thread that authenticates. The real GET over loopback is
// tested end to end (tests/e2e/serve_revocation_test.py).
class CrlPublisher {
 public:
  CrlPublisher() = default;
  CrlPublisher(const CrlPublisher&) = delete;
  CrlPublisher& operator=(const CrlPublisher&) = delete;

  static std::string url(const std::string& name) { return std::string(kOrigin) + "/" + name; }

  void publish(const std::string& name, X509_CRL* crl) {
    unsigned char* der = nullptr;
    const int length = i2d_X509_CRL(crl, &der);
    REQUIRE(length > 0);
    ossl::UniquePtr<unsigned char> owned(der);
    publish_text(name, std::string(reinterpret_cast<const char*>(owned.get()), static_cast<size_t>(length)));
  }
  void publish_text(const std::string& name, std::string bytes) {
    const std::lock_guard<std::mutex> lock(mutex_);
    files_["/" + name] = std::move(bytes);
  }

  // requests lists the paths asked for, in order.
  std::vector<std::string> requests() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

  // fetcher answers for this publisher, which must outlive the scheme that uses it.
  auth::RevocationFetcher fetcher() {
    return [this](const auth::RevocationRequest& request, std::chrono::milliseconds) {
      const std::string& url = request.url;
      // Not REQUIRE: the scheme fetches on whichever thread authenticates, and Catch2 asserts on one.
      if (url.rfind(kOrigin, 0) != 0) throw std::logic_error("CrlPublisher was asked for " + url);
      const std::string path = url.substr(std::string_view(kOrigin).size());
      const std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(path);
      const auto found = files_.find(path);
      return found == files_.end() ? auth::RevocationResponse{404, "not found"}
                                   : auth::RevocationResponse{200, found->second};
    };
  }

 private:
  static constexpr std::string_view kOrigin = "http://127.0.0.1:9";
  mutable std::mutex mutex_;
  std::map<std::string, std::string> files_;
  std::vector<std::string> requests_;
};

// TestClock is the CRL cache's clock: the system's time moved on by what a test says has passed.
class TestClock {
 public:
  void advance(std::chrono::seconds by) { offset_ += by.count(); }
  std::function<TimePoint()> clock() const {
    return [this] { return now_seconds() + std::chrono::seconds(offset_.load()); };
  }

 private:
  std::atomic<long long> offset_{0};
};

}  // namespace krtool::test
