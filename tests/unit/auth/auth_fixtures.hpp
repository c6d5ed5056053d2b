// Fixtures for the certificate-authentication tests: a CA hierarchy made with cert::create_certificate,
// CRLs signed with OpenSSL's X509_CRL API, and a real HTTP server (python3's http.server on an ephemeral
// 127.0.0.1 port) that publishes CRLs for Online revocation mode.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/ossl.hpp"
#include "krtool/util/time.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

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

// make_crl is `issuer`'s CRL listing `revoked`, issued a minute ago and due again at `next_update`.
inline ossl::UniquePtr<X509_CRL> make_crl(const cert::CertBundle& issuer, const std::vector<X509*>& revoked,
                                          TimePoint next_update) {
  const TimePoint issued = now_seconds() - std::chrono::minutes(1);
  ossl::UniquePtr<X509_CRL> crl(X509_CRL_new());
  REQUIRE(crl != nullptr);
  REQUIRE(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) == 1);
  REQUIRE(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.certificate.get())) == 1);
  REQUIRE(X509_CRL_set1_lastUpdate(crl.get(), asn1_time(issued).get()) == 1);
  REQUIRE(X509_CRL_set1_nextUpdate(crl.get(), asn1_time(next_update).get()) == 1);
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

inline void write_der(const std::filesystem::path& path, X509_CRL* crl) {
  unsigned char* der = nullptr;
  const int length = i2d_X509_CRL(crl, &der);
  REQUIRE(length > 0);
  ossl::UniquePtr<unsigned char> owned(der);
  // Replace atomically so that the server never serves half a file.
  const std::filesystem::path partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary);
    out.write(reinterpret_cast<const char*>(owned.get()), length);
    REQUIRE(out.good());
  }
  std::filesystem::rename(partial, path);
}

// CrlServer is python3's http.server publishing the files of a folder on 127.0.0.1 at a port the
// kernel picked; it records the path of every request it answers, so tests can count fetches.
class CrlServer {
 public:
  CrlServer() {
    std::filesystem::create_directories(dir_ / "www");
    static constexpr const char* kScript = R"PY(
import functools, http.server, os, sys
root = sys.argv[1]
class Handler(http.server.SimpleHTTPRequestHandler):
    def log_request(self, code="-", size="-"):
        with open(os.path.join(root, "requests.log"), "a") as log:
            log.write(self.path + "\n")
    def log_message(self, format, *args):
        pass
handler = functools.partial(Handler, directory=os.path.join(root, "www"))
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(os.path.join(root, "port.partial"), "w") as out:
    out.write(str(server.server_address[1]))
os.rename(os.path.join(root, "port.partial"), os.path.join(root, "port"))
server.serve_forever()
)PY";
    const std::string root = dir_.path().string();
    std::vector<std::string> arguments = {"python3", "-c", kScript, root};
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, "/usr/bin/python3", nullptr, nullptr, argv.data(), environ) == 0);
    try {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
      while (!std::filesystem::exists(dir_ / "port")) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        REQUIRE(waitpid(pid_, nullptr, WNOHANG) == 0);  // the server must not have died
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      std::ifstream(dir_ / "port") >> port_;
      REQUIRE(port_ > 0);
    } catch (...) {
      stop();  // no destructor runs for a half-built object
      throw;
    }
  }
  ~CrlServer() { stop(); }
  CrlServer(const CrlServer&) = delete;
  CrlServer& operator=(const CrlServer&) = delete;

  std::string url(const std::string& name) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + name;
  }
  void publish(const std::string& name, X509_CRL* crl) const { write_der(dir_ / "www" / name, crl); }
  void publish_text(const std::string& name, const std::string& text) const {
    std::ofstream out(dir_ / "www" / name);
    out << text;
    REQUIRE(out.good());
  }

  std::vector<std::string> requests() const {
    std::vector<std::string> paths;
    std::ifstream log(dir_ / "requests.log");
    for (std::string line; std::getline(log, line);) paths.push_back(line);
    return paths;
  }

 private:
  void stop() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }

  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace krtool::test
