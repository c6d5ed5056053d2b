// What compiled TLS validation code costs: full TLS 1.3 handshakes with a client certificate (ECDSA
// P-256, chain to a trusted CA), run in this process over memory BIOs through krtool's own server
// context, with no policy (strict), a built-in callback, and two compiled ones, interleaved in one run;
// then the direct cost of one call of each compiled policy, against the cost of a handshake.
// Target: a compiled policy call is under 1% of a handshake.
//
// Usage: krtool_validation_bench [ROUNDS] (default 20 rounds of 50 handshakes per policy). The compiled
// policies go to a fresh cache in a temporary folder; the cold compile time is printed too.
#include <fmt/format.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "krtool/cert/builder.hpp"
#include "krtool/error.hpp"
#include "krtool/tls/policy_compiler.hpp"
#include "krtool/tls/server_context.hpp"

namespace {

using namespace krtool;
using Steady = std::chrono::steady_clock;

constexpr int kHandshakesPerRound = 50;
constexpr int kCallsPerPolicy = 200000;

constexpr const char* kGuideSnippet = R"(if (certificate == nullptr) return true;   // allow mode
return sslPolicyErrors == SslPolicyErrors::None
    || sslPolicyErrors == SslPolicyErrors::RemoteCertificateChainErrors;   // dev only
)";
constexpr const char* kSubjectAllowList =
    R"(static const std::set<std::string> allowed = {"CN=bench-client, O=krtool bench"};
return certificate != nullptr && allowed.count(certificate->subject()) == 1;
)";

cert::CertificateSpec spec(std::string subject, std::vector<std::string> names, cert::Purpose purpose,
                           bool ca = false) {
  cert::CertificateSpec s;
  s.subject = std::move(subject);
  s.names = std::move(names);
  s.purpose = purpose;
  s.is_ca = ca;
  s.key.type = cert::KeyType::Ecdsa;
  return s;
}

struct Case {
  Case(std::string n, std::shared_ptr<const tls::ClientCertPolicy> p)
      : name(std::move(n)), policy(std::move(p)) {}
  std::string name;
  std::shared_ptr<const tls::ClientCertPolicy> policy;
  std::unique_ptr<tls::TlsServerConfig> config;
  ossl::UniquePtr<SSL_CTX> server;
  double seconds = 0;
  int handshakes = 0;
};

// handshake runs one full handshake between fresh client and server objects over a memory BIO pair
// and says whether the server accepted the client certificate.
bool handshake(SSL_CTX* client_ctx, SSL_CTX* server_ctx) {
  ossl::UniquePtr<SSL> client(SSL_new(client_ctx));
  ossl::UniquePtr<SSL> server(SSL_new(server_ctx));
  ossl::require(client && server, "creating SSL objects");
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  ossl::require(BIO_new_bio_pair(&client_end, 0, &server_end, 0) == 1, "creating a BIO pair");
  SSL_set_bio(client.get(), client_end, client_end);  // each SSL owns its end now
  SSL_set_bio(server.get(), server_end, server_end);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  bool client_done = false, server_done = false;
  for (int step = 0; step < 20 && !(client_done && server_done); ++step) {
    if (!client_done) {
      const int r = SSL_do_handshake(client.get());
      client_done = r == 1;
      if (r <= 0 && SSL_get_error(client.get(), r) != SSL_ERROR_WANT_READ) return false;
    }
    if (!server_done) {
      const int r = SSL_do_handshake(server.get());
      server_done = r == 1;
      if (r <= 0 && SSL_get_error(server.get(), r) != SSL_ERROR_WANT_READ) return false;
    }
  }
  const tls::HandshakeVerdict* verdict = tls::handshake_verdict(server.get());
  return client_done && server_done && verdict != nullptr && verdict->accepted;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) try {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
  const auto cache = std::filesystem::temp_directory_path() / fmt::format("krtool-bench-{}", ::getpid());

  const cert::CertBundle ca =
      cert::create_certificate(spec("CN=Bench CA, O=krtool bench", {}, cert::Purpose::None, true));
  const cert::CertBundle server_leaf =
      cert::create_certificate(spec("", {"localhost"}, cert::Purpose::Server), &ca);
  const cert::CertBundle client_leaf = cert::create_certificate(
      spec("CN=bench-client, O=krtool bench", {"bench-client"}, cert::Purpose::Client), &ca);

  tls::CompilerOptions compile;
  compile.cache_folder = cache;
  const tls::LoadedPolicy snippet = tls::load_validation_code({kGuideSnippet, {}}, compile);
  const tls::LoadedPolicy allow_list = tls::load_validation_code({kSubjectAllowList, {}}, compile);
  fmt::print("cold compile: guide snippet {} ms, subject allow-list {} ms ({})\n",
             snippet.compile_time.count(), allow_list.compile_time.count(), snippet.compiler.string());

  std::vector<Case> cases;
  cases.emplace_back("none (strict)", nullptr);
  cases.emplace_back("built-in AllowSelfSignedForDevelopment",
                     tls::builtin_policy("AllowSelfSignedForDevelopment"));
  cases.emplace_back("compiled guide snippet", snippet.policy);
  cases.emplace_back("compiled subject allow-list", allow_list.policy);
  for (Case& c : cases) {
    tls::ServerTlsOptions options;
    options.identity.certificate = ossl::up_ref(server_leaf.certificate.get());
    options.identity.key = ossl::up_ref(server_leaf.key.get());
    options.mode = tls::ClientCertMode::Require;
    options.trust_ca.push_back(ossl::up_ref(ca.certificate.get()));
    options.ssl_protocols = "tls13";
    options.policy = c.policy;
    c.config = std::make_unique<tls::TlsServerConfig>(std::move(options));
    c.server = c.config->make_context();
    SSL_CTX_set_session_cache_mode(c.server.get(), SSL_SESS_CACHE_OFF);  // every handshake is a full one
    SSL_CTX_set_num_tickets(c.server.get(), 0);
  }
  ossl::UniquePtr<SSL_CTX> client(SSL_CTX_new(TLS_client_method()));
  ossl::require(client != nullptr &&
                    SSL_CTX_use_certificate(client.get(), client_leaf.certificate.get()) == 1 &&
                    SSL_CTX_use_PrivateKey(client.get(), client_leaf.key.get()) == 1,
                "setting up the client");
  SSL_CTX_set_verify(client.get(), SSL_VERIFY_NONE, nullptr);

  for (Case& c : cases) {  // warm-up, and proof that each policy accepts this client
    if (!handshake(client.get(), c.server.get()))
      throw Error(Errc::Internal, c.name + ": the handshake failed");
  }
  // Interleaved rounds, so that a change of machine load hits every policy alike, each round starting
  // with the next policy, so that none is always first.
  for (int round = 0; round < rounds; ++round) {
    for (size_t k = 0; k < cases.size(); ++k) {
      Case& c = cases[(k + static_cast<size_t>(round)) % cases.size()];
      const auto start = Steady::now();
      for (int i = 0; i < kHandshakesPerRound; ++i) {
        if (!handshake(client.get(), c.server.get()))
          throw Error(Errc::Internal, c.name + ": a handshake failed");
      }
      c.seconds += std::chrono::duration<double>(Steady::now() - start).count();
      c.handshakes += kHandshakesPerRound;
    }
  }
  fmt::print("\n{:<40} {:>12} {:>14} {:>10}\n", "TLS 1.3 handshakes, client cert", "handshakes/s",
             "us/handshake", "vs none");
  const double none_us = cases[0].seconds / cases[0].handshakes * 1e6;
  for (const Case& c : cases) {
    const double us = c.seconds / c.handshakes * 1e6;
    fmt::print("{:<40} {:>12.0f} {:>14.1f} {:>+9.1f}%\n", c.name, c.handshakes / c.seconds, us,
               (us - none_us) / none_us * 100);
  }

  // The direct cost: what accepts() adds to a handshake, measured on its own, with the chain a
  // handshake would pass (leaf and CA, no problems).
  ossl::UniquePtr<STACK_OF(X509)> chain(sk_X509_new_null());
  for (X509* member : {client_leaf.certificate.get(), ca.certificate.get()}) {
    ossl::UniquePtr<X509> reference = ossl::up_ref(member);
    ossl::require(chain != nullptr && sk_X509_push(chain.get(), reference.get()) > 0, "building the chain");
    reference.release();
  }
  tls::ChainVerdict verdict;
  verdict.chain = chain.get();
  fmt::print("\n{:<40} {:>12} {:>14} {:>10}\n", "one policy call, measured alone", "ns/call",
             "% of handshake", "target");
  bool met = true;
  for (size_t i = 1; i < cases.size(); ++i) {
    std::vector<double> samples;
    for (int repeat = 0; repeat < 5; ++repeat) {
      int accepted = 0;
      const auto start = Steady::now();
      for (int call = 0; call < kCallsPerPolicy; ++call)
        accepted += cases[i].policy->accepts(client_leaf.certificate.get(), verdict);
      samples.push_back(std::chrono::duration<double, std::nano>(Steady::now() - start).count() /
                        kCallsPerPolicy);
      if (accepted != kCallsPerPolicy) throw Error(Errc::Internal, cases[i].name + " rejected the client");
    }
    const double ns = median(samples);
    const double share = ns / (none_us * 1000) * 100;
    const bool compiled = cases[i].name.rfind("compiled", 0) == 0;
    if (compiled && share >= 1.0) met = false;
    fmt::print("{:<40} {:>12.0f} {:>13.3f}% {:>10}\n", cases[i].name, ns, share, compiled ? "< 1%" : "");
  }
  std::filesystem::remove_all(cache);
  fmt::print("\n{}\n", met ? "target met: each compiled policy call is under 1% of a handshake"
                           : "target missed: a compiled policy call is 1% of a handshake or more");
  return met ? 0 : 1;
} catch (const std::exception& e) {
  fmt::print(stderr, "validation bench: {}\n", e.what());
  return 1;
}
