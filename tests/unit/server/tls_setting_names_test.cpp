// The TLS layer names its settings in errors and log lines as the user wrote them: serve's flag when
// the setting came from (or would come from) the command line, the file and key when --config set it.
// build_tls_layer passes ServeConfig::name_of's answers down; the TLS layer knows no flag.
#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "krtool/server/build_server.hpp"
#include "support/handshake.hpp"
#include "support/temp_dir.hpp"
#include "unit/auth/auth_fixtures.hpp"
#include "unit/server/server_fixtures.hpp"

using namespace krtool;
using namespace krtool::server;
using Catch::Matchers::Contains;
using krtool::test::error_from;

namespace {

const PasswordPrompt kNoPrompt = nullptr;

// write_crl writes an empty CRL of a fresh CA, in PEM: what --crl reads.
std::string write_crl(const test::TempDir& dir) {
  const cert::CertBundle ca = cert::create_certificate(test::ca_spec("CN=Names CA"));
  const ossl::UniquePtr<X509_CRL> crl = test::make_crl(ca);
  const std::string path = (dir / "ca.crl").string();
  ossl::UniquePtr<BIO> out(BIO_new_file(path.c_str(), "w"));
  REQUIRE(out != nullptr);
  REQUIRE(PEM_write_bio_X509_CRL(out.get(), crl.get()) == 1);
  return path;
}

struct Names {
  std::string mode, crl;
};

// A require-mode, self-signed server that checks revocation against `crl`, set from the command line
// (with the origins serve's flags give) or from a --config file.
ServeConfig config_from(const std::string& origin, const std::string& crl) {
  if (origin == "flags") {
    ServeConfig config;
    config.self_signed = true;
    config.client_cert_mode = "require";
    config.check_certificate_revocation = true;
    config.crl_files = {crl};
    config.origins[std::string(field::kClientCertMode)] = "--client-cert-mode";
    config.origins[std::string(field::kCheckRevocation)] = "--check-certificate-revocation";
    config.origins[std::string(field::kCrl)] = "--crl";
    config.origins[std::string(field::kTlsRevocationMode)] = "--tls-revocation-mode";
    return config;
  }
  nlohmann::json document = {
      {"endpoint", {{"selfSigned", true}}},
      {"https",
       {{"clientCertificateMode", "require"}, {"checkCertificateRevocation", true}, {"crl", {crl}}}}};
  return serve_config_from_json(document, "config 'serve.json'", {});
}

}  // namespace

TEST_CASE("the TLS layer names the mode and the CRLs as the user set them", "[server][build][tls][names]") {
  const std::string origin = GENERATE("flags", "config");
  const Names names = origin == "flags" ? Names{"--client-cert-mode", "--crl"}
                                        : Names{"config 'serve.json' https.clientCertificateMode",
                                                "config 'serve.json' https.crl"};
  CAPTURE(origin);
  const test::TempDir dir;
  std::vector<std::string> lines;
  const TlsLayer layer = build_tls_layer(config_from(origin, write_crl(dir)), kNoPrompt,
                                         [&lines](const std::string& line) { lines.push_back(line); });
  REQUIRE(layer.config != nullptr);

  REQUIRE_FALSE(layer.notes.description.empty());
  CHECK_THAT(layer.notes.description[0], Contains("; revocation checked against " + names.crl));
  CHECK(layer.config->options().names.mode == names.mode);
  CHECK(layer.config->options().names.crls == names.crl);

  // A real handshake without a client certificate: the log line names the mode's setting.
  const ossl::UniquePtr<SSL_CTX> context = layer.config->make_context();
  const test::HandshakeOutcome outcome = test::run_handshake(context.get(), test::ClientHello{});
  CHECK_FALSE(outcome.completed);
  REQUIRE(lines.size() == 1);  // the alert's line
  CHECK_THAT(lines[0], Contains("no client certificate was sent and " + names.mode + " is require"));
}
