// What compiled validation code sees and what its answers do: each test compiles real C++ with the
// system's compiler and calls it with certificates made by krtool's own builder.
#include <catch2/catch.hpp>

#include "krtool/cert/describe.hpp"
#include "krtool/util/time.hpp"
#include "unit/tls/validation_fixtures.hpp"

namespace krtool::test {
namespace {

constexpr const char* kGuideSnippet = R"(if (certificate == nullptr) return true;   // allow mode
return sslPolicyErrors == SslPolicyErrors::None
    || sslPolicyErrors == SslPolicyErrors::RemoteCertificateChainErrors;   // dev only
)";

// A body that reports every value it can read, by throwing them: the message comes back through the
// C ABI as the exception's text.
constexpr const char* kReportEverything = R"(
auto seconds = [](std::chrono::system_clock::time_point t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
};
std::string names;
for (const std::string& name : certificate->dns_names()) names += name + ",";
std::string statuses;
for (const ChainStatus& s : chain.status()) statuses += s.status + "=" + s.information + ";";
throw std::runtime_error(
    certificate->subject() + "|" + certificate->issuer() + "|" + certificate->thumbprint() + "|" +
    certificate->serial_number() + "|" + seconds(certificate->not_before()) + "|" + seconds(certificate->not_after()) +
    "|" + names + "|" + std::to_string(certificate->is_self_signed()) + "|" +
    std::to_string(certificate->has_enhanced_key_usage("1.3.6.1.5.5.7.3.2")) +
    std::to_string(certificate->has_enhanced_key_usage("1.3.6.1.5.5.7.3.1")) + "|" +
    std::to_string(certificate->der().size()) + "|" + std::to_string(chain.size()) + "|" + chain[0].subject() + "|" +
    chain[chain.size() - 1].subject() + "|" + statuses + "|" + std::to_string(static_cast<unsigned>(sslPolicyErrors)));
)";

std::string unix_seconds(TimePoint t) { return std::to_string(to_time_t(t)); }

}  // namespace

TEST_CASE("validation code reads a certificate's values as .NET prints them", "[tls][validation]") {
  const cert::CertBundle ca = make_ca("CN=Unit CA, O=krtool");
  const cert::CertBundle leaf =
      make_leaf("CN=alice, O=Acme", {"alice.example", "alice.test"}, cert::Purpose::Client, &ca);
  const cert::CertificateInfo info = cert::describe(leaf.certificate.get());
  ChainFixture chain({leaf.certificate.get(), ca.certificate.get()},
                     SslPolicyErrors::RemoteCertificateChainErrors,
                     {cert::ChainProblem{X509_V_ERR_CERT_UNTRUSTED, "UntrustedRoot",
                                         "certificate not trusted (depth 1, CN=Unit CA, O=krtool)"}});
  unsigned char* der = nullptr;
  const int der_length = i2d_X509(leaf.certificate.get(), &der);
  ossl::UniquePtr<unsigned char> owned(der);
  REQUIRE(der_length > 0);

  const tls::LoadedPolicy loaded = CodeLab::shared_body(kReportEverything);
  const std::string reported =
      thrown_by([&] { loaded.policy->accepts(leaf.certificate.get(), chain.verdict); });

  CHECK(reported ==
        info.subject + "|" + info.issuer + "|" + info.thumbprint + "|" + info.serial_number + "|" +
            unix_seconds(info.not_before) + "|" + unix_seconds(info.not_after) +
            "|alice.example,alice.test,|0|10|" + std::to_string(der_length) + "|2|CN=alice, O=Acme|" +
            "CN=Unit CA, O=krtool|UntrustedRoot=certificate not trusted (depth 1, CN=Unit CA, O=krtool);|4");
}

TEST_CASE("a self-signed certificate is self-signed to validation code, and an EKU-less one has no usage",
          "[tls][validation]") {
  cert::CertificateSpec spec;
  spec.subject = "CN=mallory";
  spec.purpose = cert::Purpose::None;
  spec.key.type = cert::KeyType::Ecdsa;
  const cert::CertBundle self = cert::create_certificate(spec);
  ChainFixture chain({self.certificate.get()}, SslPolicyErrors::RemoteCertificateChainErrors);

  const tls::LoadedPolicy loaded = CodeLab::shared_body(
      "return certificate->is_self_signed() && !certificate->has_enhanced_key_usage(\"1.3.6.1.5.5.7.3.2\")"
      " && certificate->dns_names().empty() && chain.size() == 1;");
  CHECK(loaded.policy->accepts(self.certificate.get(), chain.verdict));
}

TEST_CASE("the guide's snippet accepts no certificate, None and chain errors, and nothing else",
          "[tls][validation]") {
  const cert::CertBundle leaf = make_leaf("CN=test-client", {"test-client"}, cert::Purpose::Both);
  const tls::LoadedPolicy loaded = CodeLab::shared_body(kGuideSnippet);
  const auto decide = [&](X509* certificate, SslPolicyErrors errors) {
    ChainFixture chain(certificate != nullptr ? std::vector<X509*>{certificate} : std::vector<X509*>{},
                       errors);
    return loaded.policy->accepts(certificate, chain.verdict);
  };
  CHECK(decide(nullptr, SslPolicyErrors::RemoteCertificateNotAvailable));
  CHECK(decide(leaf.certificate.get(), SslPolicyErrors::None));
  CHECK(decide(leaf.certificate.get(), SslPolicyErrors::RemoteCertificateChainErrors));
  CHECK_FALSE(decide(leaf.certificate.get(), SslPolicyErrors::RemoteCertificateNameMismatch));
  CHECK_FALSE(decide(leaf.certificate.get(), SslPolicyErrors::RemoteCertificateChainErrors |
                                                 SslPolicyErrors::RemoteCertificateNameMismatch));
}

TEST_CASE("a subject allow-list accepts the listed client and rejects another", "[tls][validation]") {
  const cert::CertBundle alice = make_leaf("CN=alice, O=Acme", {"alice"}, cert::Purpose::Client);
  const cert::CertBundle eve = make_leaf("CN=eve, O=Acme", {"eve"}, cert::Purpose::Client);
  const tls::LoadedPolicy loaded = CodeLab::shared_body(R"(
static const std::vector<std::string> allowed = {"CN=alice, O=Acme", "CN=bob, O=Acme"};
return certificate != nullptr &&
       std::find(allowed.begin(), allowed.end(), certificate->subject()) != allowed.end();
)");
  ChainFixture alice_chain({alice.certificate.get()}, SslPolicyErrors::RemoteCertificateChainErrors);
  ChainFixture eve_chain({eve.certificate.get()}, SslPolicyErrors::RemoteCertificateChainErrors);
  CHECK(loaded.policy->accepts(alice.certificate.get(), alice_chain.verdict));
  CHECK_FALSE(loaded.policy->accepts(eve.certificate.get(), eve_chain.verdict));
  CHECK(loaded.policy->name() == "validation code (--client-cert-validation-code)");
  CHECK_FALSE(loaded.policy->is_relaxed());
}

TEST_CASE("an exception thrown by validation code surfaces as a std::exception with its message",
          "[tls][validation]") {
  const cert::CertBundle leaf = make_leaf("CN=alice", {"alice"}, cert::Purpose::Client);
  ChainFixture chain({leaf.certificate.get()}, SslPolicyErrors::None);

  const tls::LoadedPolicy throws_std =
      CodeLab::shared_body(R"(throw std::invalid_argument("no service for " + certificate->subject());)");
  CHECK(thrown_by([&] { throws_std.policy->accepts(leaf.certificate.get(), chain.verdict); }) ==
        "no service for CN=alice");

  const tls::LoadedPolicy throws_int = CodeLab::shared_body("if (certificate) throw 42; return true;");
  CHECK(thrown_by([&] { throws_int.policy->accepts(leaf.certificate.get(), chain.verdict); }) ==
        "unknown exception");

  const tls::LoadedPolicy out_of_range = CodeLab::shared_body("return chain[7].subject().empty();");
  CHECK_THROWS_AS(out_of_range.policy->accepts(leaf.certificate.get(), chain.verdict), std::exception);
}

TEST_CASE("a policy's answer is its own on every call: the same code accepts and rejects by input",
          "[tls][validation]") {
  const cert::CertBundle leaf = make_leaf("CN=alice", {"alice"}, cert::Purpose::Client);
  const tls::LoadedPolicy loaded =
      CodeLab::shared_body("return chain.status().empty() && sslPolicyErrors == SslPolicyErrors::None;");
  ChainFixture clean({leaf.certificate.get()}, SslPolicyErrors::None);
  ChainFixture dirty({leaf.certificate.get()}, SslPolicyErrors::RemoteCertificateChainErrors,
                     {cert::ChainProblem{X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "UntrustedRoot",
                                         "self-signed certificate"}});
  for (int round = 0; round < 3; ++round) {
    CHECK(loaded.policy->accepts(leaf.certificate.get(), clean.verdict));
    CHECK_FALSE(loaded.policy->accepts(leaf.certificate.get(), dirty.verdict));
  }
}

}  // namespace krtool::test
