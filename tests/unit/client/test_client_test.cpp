// The test client used from C++, against the development server embedded in the same process: what a
// library user writes to check an mTLS endpoint in their own tests. Real TLS over loopback.
#include "krtool/client/test_client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "krtool/cert/builder.hpp"
#include "krtool/error.hpp"
#include "krtool/formats/encode.hpp"
#include "krtool/server/build_server.hpp"
#include "support/error_from.hpp"
#include "support/temp_dir.hpp"

namespace {

using krtool::client::Outcome;

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// MtlsFixture: a CA, a client certificate it issued (alice.pem + alice.key), and an embedded server with
// --self-signed, --client-cert-mode require, --trust-ca ca.pem and --auth-trust-ca ca.pem; its
// development root is in root.pem.
struct MtlsFixture {
  krtool::test::TempDir dir;
  std::unique_ptr<krtool::server::DevServer> server;

  MtlsFixture() {
    krtool::cert::CertificateSpec ca_spec;
    ca_spec.subject = "CN=Unit CA";
    ca_spec.is_ca = true;
    const krtool::cert::CertBundle ca = krtool::cert::create_certificate(ca_spec);
    krtool::cert::CertificateSpec client_spec;
    client_spec.subject = "CN=alice";
    client_spec.purpose = krtool::cert::Purpose::Client;
    const krtool::cert::CertBundle alice = krtool::cert::create_certificate(client_spec, &ca);
    write_file(dir / "ca.pem", krtool::formats::encode_pem_certificate(ca.certificate.get()));
    write_file(dir / "alice.pem", krtool::formats::encode_pem_certificate(alice.certificate.get()));
    write_file(dir / "alice.key", krtool::formats::encode_pem_key(alice.key.get(), std::nullopt));

    krtool::server::ServeConfig config;
    config.port = 0;
    config.self_signed = true;
    config.client_cert_mode = "require";
    config.trust_ca_files = {(dir / "ca.pem").string()};
    krtool::server::SchemeConfig scheme;  // the scheme trusts the same CA, and no CRL is published
    scheme.trust_ca_files = config.trust_ca_files;
    scheme.revocation_mode = "nocheck";
    config.schemes = {scheme};
    krtool::server::BuiltServer built =
        krtool::server::build_server_options(config, nullptr, [](const std::string&) {});
    write_file(dir / "root.pem",
               krtool::formats::encode_pem_certificate(built.development_root->certificate.get()));
    server = std::make_unique<krtool::server::DevServer>(std::move(built.options));
    server->start();
  }

  krtool::client::TestClientOptions options(const std::string& path) const {
    krtool::client::TestClientOptions options;
    options.url = server->url() + path;
    options.cacert_file = dir / "root.pem";
    return options;
  }
};

// closed_port returns a loopback port that was just free: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

TEST_CASE("test-client gets through with the client certificate the server trusts", "[client][tls]") {
  MtlsFixture fixture;
  krtool::client::TestClientOptions options = fixture.options("/secure/cert/hello");
  options.cert_file = fixture.dir / "alice.pem";
  options.key_file = fixture.dir / "alice.key";
  const krtool::client::TestClientReport report = krtool::client::run_test_client(options);
  INFO(report.diagnosis.cause);
  CHECK(report.outcome == Outcome::Ok);
  CHECK(report.http.status == 200);
  CHECK(report.http.body.find("CN=alice") != std::string::npos);
  CHECK(report.tls.client_certificate_requested);
  CHECK(report.tls.client_certificate_sent);
  CHECK(report.tls.acceptable_cas == std::vector<std::string>{"CN=Unit CA"});
  CHECK(report.tls.issuer_acceptable == true);
  CHECK(krtool::client::exit_code(report.outcome) == 0);
}

TEST_CASE("test-client without a certificate reports the TLS layer's demand, not a read error",
          "[client][tls]") {
  MtlsFixture fixture;
  const krtool::client::TestClientReport report =
      krtool::client::run_test_client(fixture.options("/secure/cert/hello"));
  CHECK(report.outcome == Outcome::ClientCertRequired);
  REQUIRE(report.tls.alert.has_value());
  CHECK(report.tls.alert->code == 116);
  CHECK(report.tls.alert->from_server);
  CHECK(krtool::client::exit_code(report.outcome) == 4);
  const nlohmann::json document = krtool::client::to_json(report);
  CHECK(document["outcome"] == "client-cert-required");
  CHECK(document["tls"]["alert"]["name"] == "certificate_required");
  CHECK(document["status"].is_null());
}

TEST_CASE("test-client reports a closed port as connect-failed with exit 5", "[client][tcp]") {
  krtool::client::TestClientOptions options;
  options.url = "https://127.0.0.1:" + std::to_string(closed_port()) + "/";
  const krtool::client::TestClientReport report = krtool::client::run_test_client(options);
  CHECK(report.outcome == Outcome::ConnectFailed);
  CHECK(report.diagnosis.cause.find("connection refused") != std::string::npos);
  CHECK(krtool::client::exit_code(report.outcome) == 5);
  CHECK(krtool::client::to_json(report)["tls"].is_null());
}

TEST_CASE("test-client rejects malformed URLs and --resolve entries as usage errors", "[client][usage]") {
  for (const std::string url : {"localhost:5000/", "https://", "https://host:0/", "https://host:70000/",
                                "ftp://host/", "https://[::1/"}) {
    krtool::client::TestClientOptions options;
    options.url = url;
    INFO(url);
    CHECK(krtool::test::error_from([&] { krtool::client::run_test_client(options); }).code() ==
          krtool::Errc::Usage);
  }
  CHECK_THROWS_AS(krtool::client::parse_host_override("localhost:5000"), krtool::Error);
  CHECK_THROWS_AS(krtool::client::parse_host_override("localhost:5000:example.com"), krtool::Error);
  const krtool::client::HostOverride entry = krtool::client::parse_host_override("api.test:443:[::1]");
  CHECK(entry.host == "api.test");
  CHECK(entry.port == 443);
  CHECK(entry.address == "::1");
}
