// json:TEMPLATE routes: the template is checked when the route is made, then rendered per request with
// a real client certificate and its principal, and with neither.
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "fuzz_input.hpp"
#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/server/routes.hpp"

namespace {

struct Client {
  krtool::cert::CertBundle bundle = [] {
    krtool::cert::CertificateSpec spec;
    spec.subject = "CN=alice \"quoted\", O=Acme\\, Inc.";
    spec.names = {"alice.example"};
    spec.purpose = krtool::cert::Purpose::Client;
    spec.key.type = krtool::cert::KeyType::Ecdsa;
    return krtool::cert::create_certificate(spec);
  }();
  krtool::auth::Principal principal = [this] {
    const krtool::cert::CertificateInfo info = krtool::cert::describe(bundle.certificate.get());
    return krtool::auth::Principal{"Certificate", info.subject, {{"thumbprint", info.thumbprint}}};
  }();
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Client client;
  krtool::fuzz::rejecting([&] {
    const auto handler = krtool::server::json_template_handler(krtool::fuzz::text_of(data, size));
    krtool::server::RequestView request;
    request.method = "GET";
    request.path = "/p\"a\\th\n";
    for (const bool authenticated : {false, true}) {
      if (authenticated) {
        request.certificate = client.bundle.certificate.get();
        request.principal = &client.principal;
        request.tls_protocol = "TLSv1.3";
      }
      const krtool::server::HandlerResponse response = handler->handle(request);
      // Whatever the template, the answer is one JSON document.
      if (!nlohmann::json::accept(response.body)) std::abort();
    }
  });
  return 0;
}
