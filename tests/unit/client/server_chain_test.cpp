// test-client's verdict on the server's certificate comes from the chain engine, as every other
// layer's does: all problems at once, each with its .NET name; the certificates the server sends are
// intermediates, never anchors; trust comes from --cacert or the system's hashed folder, read as a
// chain needs it. Real TLS over loopback against a bare OpenSSL server (tls_peer.hpp).
#include <fmt/format.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <optional>

#include "krtool/cert/builder.hpp"
#include "krtool/client/test_client.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/util/time.hpp"
#include "support/temp_dir.hpp"
#include "tls_peer.hpp"

namespace {

using krtool::cert::CertBundle;
using krtool::cert::CertificateSpec;
using krtool::client::Outcome;
using krtool::client::TestClientReport;

CertificateSpec ecdsa_spec(const std::string& subject, std::vector<std::string> names) {
  CertificateSpec spec;
  spec.subject = subject;
  spec.names = std::move(names);
  spec.purpose = krtool::cert::Purpose::Server;
  spec.key.type = krtool::cert::KeyType::Ecdsa;  // quick to make
  return spec;
}

CertBundle authority(const std::string& subject, const CertBundle* issuer = nullptr) {
  CertificateSpec spec = ecdsa_spec(subject, {});
  spec.is_ca = true;
  spec.valid_days = 3650;
  return krtool::cert::create_certificate(spec, issuer);
}

void write_pem(const std::filesystem::path& path, X509* certificate) {
  std::ofstream out(path, std::ios::binary);
  out << krtool::formats::encode_pem_certificate(certificate);
}

// Pki: the server's root and an intermediate under it, and a CA that has nothing to do with the server
// (what --cacert names when the user trusts the wrong CA). Made once: key generation is the slow part.
struct Pki {
  CertBundle server_root = authority("CN=Server Root, O=krtool tests");
  CertBundle intermediate = authority("CN=Server Issuing CA, O=krtool tests", &server_root);
  CertBundle other_ca = authority("CN=Other CA, O=elsewhere");
};

const Pki& pki() {
  static const Pki made;
  return made;
}

std::vector<std::string> statuses(const TestClientReport& report) {
  std::vector<std::string> out;
  for (const auto& problem : report.tls.server_chain_problems) out.push_back(problem.status);
  return out;
}

bool has_status(const TestClientReport& report, const std::string& status, int error) {
  const auto& problems = report.tls.server_chain_problems;
  return std::any_of(problems.begin(), problems.end(), [&](const krtool::cert::ChainProblem& problem) {
    return problem.status == status && problem.error == error && !problem.text.empty();
  });
}

// EnvironmentVariable sets (or, with nullopt, removes) a variable for one test, and restores it.
class EnvironmentVariable {
 public:
  EnvironmentVariable(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* previous = ::getenv(name)) previous_ = previous;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~EnvironmentVariable() {
    if (previous_) {
      ::setenv(name_, previous_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  EnvironmentVariable(const EnvironmentVariable&) = delete;
  EnvironmentVariable& operator=(const EnvironmentVariable&) = delete;

 private:
  const char* name_;
  std::optional<std::string> previous_;
};

// hashed_folder makes an OpenSSL hashed folder (as update-ca-certificates writes /etc/ssl/certs)
// holding `anchor` under its subject hash and nothing else.
std::filesystem::path hashed_folder(const krtool::test::TempDir& dir, const std::string& name, X509* anchor) {
  const std::filesystem::path folder = dir / name;
  std::filesystem::create_directories(folder);
  write_pem(folder / fmt::format("{:08x}.0", X509_subject_name_hash(anchor)), anchor);
  return folder;
}

}  // namespace

TEST_CASE("test-client reports every problem of the server's chain with its .NET name", "[client][tls]") {
  // Expired, issued for another host, and chaining to a root the client does not trust, which the
  // server sends along.
  CertificateSpec spec = ecdsa_spec("CN=elsewhere.example", {"elsewhere.example"});
  spec.not_before = krtool::now_seconds() - std::chrono::hours(24 * 10);
  spec.not_after = krtool::now_seconds() - std::chrono::hours(24);
  const CertBundle leaf = krtool::cert::create_certificate(spec, &pki().server_root);
  krtool::test::TlsPeer peer(leaf, {pki().server_root.certificate.get()});
  krtool::test::TempDir dir;
  write_pem(dir / "other-ca.pem", pki().other_ca.certificate.get());

  krtool::client::TestClientOptions options;
  options.url = peer.url();
  options.cacert_file = dir / "other-ca.pem";

  SECTION("the handshake stops at the first, and the report names them all") {
    const TestClientReport report = krtool::client::run_test_client(options);
    INFO(report.diagnosis.cause);
    CHECK(report.outcome == Outcome::ServerCertUntrusted);
    CHECK(krtool::client::exit_code(report.outcome) == 4);
    CHECK(statuses(report) ==
          std::vector<std::string>{"UntrustedRoot", "RemoteCertificateNameMismatch", "NotTimeValid"});
    CHECK(has_status(report, "UntrustedRoot", X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN));
    CHECK(has_status(report, "RemoteCertificateNameMismatch", X509_V_ERR_IP_ADDRESS_MISMATCH));
    CHECK(has_status(report, "NotTimeValid", X509_V_ERR_CERT_HAS_EXPIRED));
    CHECK_FALSE(report.tls.server_certificate_verified);
    CHECK(report.tls.server_verify_error.rfind("UntrustedRoot: ", 0) == 0);
    // The first problem picks the alert, as OpenSSL's own check would have.
    REQUIRE(report.tls.alert.has_value());
    CHECK_FALSE(report.tls.alert->from_server);
    CHECK(report.tls.alert->code == SSL_AD_UNKNOWN_CA);
    CHECK(peer.handshakes() == 0);
    // The diagnosis names them all, with a fix for each kind.
    for (const char* named : {"UntrustedRoot: ", "; RemoteCertificateNameMismatch: ", "; NotTimeValid: "})
      CHECK(report.diagnosis.cause.find(named) != std::string::npos);
    for (const char* fix : {"--servername", "renew the server's certificate", "--cacert"})
      CHECK(report.diagnosis.fix.find(fix) != std::string::npos);

    const nlohmann::json server = krtool::client::to_json(report)["tls"]["serverCertificate"];
    CHECK(server["subject"] == "CN=elsewhere.example");
    CHECK(server["verified"] == false);
    REQUIRE(server["chainStatus"].size() == 3);
    CHECK(server["chainStatus"][1]["status"] == "RemoteCertificateNameMismatch");
    CHECK(server["chainStatus"][1]["error"] == X509_V_ERR_IP_ADDRESS_MISMATCH);
    CHECK(server["chainStatus"][2]["text"].get<std::string>().find("certificate has expired") !=
          std::string::npos);
  }

  SECTION("-k reports the same problems and carries on") {
    options.cacert_file.clear();
    options.insecure = true;
    const TestClientReport report = krtool::client::run_test_client(options);
    INFO(report.diagnosis.cause);
    CHECK(report.outcome == Outcome::Ok);
    CHECK(report.http.status == 200);
    CHECK(peer.handshakes() == 1);
    CHECK_FALSE(report.tls.server_certificate_verified);
    // Without --cacert the system's CAs are the anchors, and the server's root is not one of them.
    CHECK(statuses(report) ==
          std::vector<std::string>{"UntrustedRoot", "RemoteCertificateNameMismatch", "NotTimeValid"});
    CHECK(std::any_of(report.notes.begin(), report.notes.end(), [](const std::string& note) {
      return note.find("-k ignored it: UntrustedRoot") != std::string::npos;
    }));
  }
}

TEST_CASE("a root the server sends is not an anchor: --cacert decides", "[client][tls]") {
  const CertBundle leaf =
      krtool::cert::create_certificate(ecdsa_spec("CN=127.0.0.1", {"127.0.0.1"}), &pki().server_root);
  krtool::test::TlsPeer peer(leaf, {pki().server_root.certificate.get()});
  krtool::test::TempDir dir;
  write_pem(dir / "other-ca.pem", pki().other_ca.certificate.get());
  write_pem(dir / "server-root.pem", pki().server_root.certificate.get());
  krtool::client::TestClientOptions options;
  options.url = peer.url();

  SECTION("--cacert naming another CA: untrusted, though the server sent its root") {
    options.cacert_file = dir / "other-ca.pem";
    const TestClientReport report = krtool::client::run_test_client(options);
    INFO(report.diagnosis.cause);
    CHECK(report.outcome == Outcome::ServerCertUntrusted);
    CHECK(statuses(report) == std::vector<std::string>{"UntrustedRoot"});
    CHECK(has_status(report, "UntrustedRoot", X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN));
    CHECK(report.diagnosis.cause.find("'CN=Server Root, O=krtool tests'") != std::string::npos);
  }
  SECTION("--cacert naming the server's root: verified") {
    options.cacert_file = dir / "server-root.pem";
    const TestClientReport report = krtool::client::run_test_client(options);
    INFO(report.diagnosis.cause);
    CHECK(report.outcome == Outcome::Ok);
    CHECK(report.tls.server_certificate_verified);
    CHECK(report.tls.server_chain_problems.empty());
    CHECK(report.tls.server_verify_error.empty());
  }
}

TEST_CASE("an intermediate the server sends completes the chain to the --cacert root", "[client][tls]") {
  const CertBundle leaf =
      krtool::cert::create_certificate(ecdsa_spec("CN=127.0.0.1", {"127.0.0.1"}), &pki().intermediate);
  krtool::test::TempDir dir;
  write_pem(dir / "server-root.pem", pki().server_root.certificate.get());
  krtool::client::TestClientOptions options;
  options.cacert_file = dir / "server-root.pem";

  SECTION("sent: verified") {
    krtool::test::TlsPeer peer(leaf, {pki().intermediate.certificate.get()});
    options.url = peer.url();
    const TestClientReport report = krtool::client::run_test_client(options);
    INFO(report.diagnosis.cause);
    CHECK(report.outcome == Outcome::Ok);
    CHECK(report.tls.server_certificate_verified);
  }
  SECTION("not sent: a partial chain, naming the missing issuer") {
    krtool::test::TlsPeer peer(leaf, {});
    options.url = peer.url();
    const TestClientReport report = krtool::client::run_test_client(options);
    CHECK(report.outcome == Outcome::ServerCertUntrusted);
    CHECK(statuses(report) == std::vector<std::string>{"PartialChain"});
    CHECK(report.tls.server_verify_error.find("issued by 'CN=Server Issuing CA, O=krtool tests'") !=
          std::string::npos);
  }
}

TEST_CASE("without --cacert the anchors come from the hashed folder and $SSL_CERT_FILE", "[client][tls]") {
  const CertBundle leaf =
      krtool::cert::create_certificate(ecdsa_spec("CN=127.0.0.1", {"127.0.0.1"}), &pki().intermediate);
  krtool::test::TlsPeer peer(leaf, {pki().intermediate.certificate.get()});
  krtool::test::TempDir dir;
  krtool::client::TestClientOptions options;
  options.url = peer.url();
  const EnvironmentVariable no_bundle("SSL_CERT_FILE", std::nullopt);

  SECTION("$SSL_CERT_DIR holding the root (looked up by its hash as the chain needs it): verified") {
    const EnvironmentVariable folder(
        "SSL_CERT_DIR", hashed_folder(dir, "with-root", pki().server_root.certificate.get()).string());
    const TestClientReport report = krtool::client::run_test_client(options);
    INFO(report.diagnosis.cause);
    CHECK(report.outcome == Outcome::Ok);
    CHECK(report.tls.server_certificate_verified);
  }
  SECTION("$SSL_CERT_DIR without it: the server's intermediate is no anchor") {
    const EnvironmentVariable folder("SSL_CERT_DIR",
                                     hashed_folder(dir, "other", pki().other_ca.certificate.get()).string());
    const TestClientReport report = krtool::client::run_test_client(options);
    CHECK(report.outcome == Outcome::ServerCertUntrusted);
    CHECK(statuses(report) == std::vector<std::string>{"PartialChain"});
  }
  SECTION("$SSL_CERT_FILE naming the root, beside a hashed folder without it: verified") {
    const EnvironmentVariable folder("SSL_CERT_DIR",
                                     hashed_folder(dir, "other", pki().other_ca.certificate.get()).string());
    write_pem(dir / "bundle.pem", pki().server_root.certificate.get());
    const EnvironmentVariable bundle("SSL_CERT_FILE", (dir / "bundle.pem").string());
    const TestClientReport report = krtool::client::run_test_client(options);
    INFO(report.diagnosis.cause);
    CHECK(report.outcome == Outcome::Ok);
    CHECK(report.tls.server_certificate_verified);
  }
}
