// Kestrun's tutorial 8.8, served when no route is given: public GET /info, and GET /secure/cert/hello
// and GET /secure/cert/info behind the certificate scheme, with the tutorial's JSON (reference §9).
#include <fmt/format.h>

#include "krtool/cert/describe.hpp"
#include "krtool/server/routes.hpp"
#include "server/response_json.hpp"
#include "util/text.hpp"

namespace krtool::server {
namespace {

using Json = nlohmann::ordered_json;

// The tutorial's scripts keep this branch although the scheme answers 401 first; it matters only if
// the route is mounted without a scheme.
HandlerResponse no_certificate() { return detail::error_response(401, "No client certificate provided"); }

class InfoHandler final : public Handler {
 public:
  explicit InfoHandler(std::string base_url) : base_url_(std::move(base_url)) {}

  HandlerResponse handle(const RequestView& request) const override {
    Json body;
    body["message"] = "Client Certificate Authentication Demo";
    body["endpoints"] = Json::array({
        {{"path", "/secure/cert/hello"},
         {"method", "GET"},
         {"description", "Returns certificate information"},
         {"requiresAuth", true}},
        {{"path", "/secure/cert/info"},
         {"method", "GET"},
         {"description", "Returns detailed authentication and claims information"},
         {"requiresAuth", true}},
    });
    body["testInstructions"] = {
        {"clientCertPath", "client.pfx"},
        {"password", "test"},
        {"example",
         fmt::format("krtool test-client {}/secure/cert/hello --cert client.pfx --password test -k",
                     url_seen_by(request))},
    };
    return detail::json_response(body);
  }
  std::string describe() const override { return "tutorial info"; }

 private:
  // url_seen_by prefers the Host the client used: the base URL was fixed before the port was bound
  // (it says :0 with --port 0), and the client may have come through another name.
  std::string url_seen_by(const RequestView& request) const {
    for (const auto& [name, value] : request.headers) {
      if (util::equals_ignoring_case(name, "Host") && !value.empty()) {
        const size_t scheme_end = base_url_.find("://");
        return fmt::format(
            "{}://{}", scheme_end == std::string::npos ? "https" : base_url_.substr(0, scheme_end), value);
      }
    }
    return base_url_;
  }

  std::string base_url_;
};

class HelloHandler final : public Handler {
 public:
  HandlerResponse handle(const RequestView& request) const override {
    if (request.certificate == nullptr) return no_certificate();
    const cert::CertificateInfo info = cert::describe(request.certificate);
    Json body;
    body["message"] = "Hello from client certificate authentication";
    body["subject"] = info.subject;
    body["issuer"] = info.issuer;
    body["thumbprint"] = info.thumbprint;
    body["validFrom"] = format_rfc3339(info.not_before);
    body["validTo"] = format_rfc3339(info.not_after);
    return detail::json_response(body);
  }
  std::string describe() const override { return "tutorial hello"; }
};

class CertificateInfoHandler final : public Handler {
 public:
  HandlerResponse handle(const RequestView& request) const override {
    if (request.certificate == nullptr) return no_certificate();
    const auth::Principal* principal = request.principal;
    Json body;
    body["authenticationType"] = principal ? Json(principal->authentication_type) : Json(nullptr);
    body["isAuthenticated"] = principal != nullptr;
    body["name"] = principal ? Json(principal->name) : Json(nullptr);
    body["claims"] = principal ? detail::claims_array(*principal) : Json::array();
    body["certificate"] = detail::certificate_summary(request.certificate);
    return detail::json_response(body);
  }
  std::string describe() const override { return "tutorial certificate info"; }
};

Route get(std::string path, std::string scheme, std::shared_ptr<const Handler> handler) {
  return Route{"GET", std::move(path), false, std::move(scheme), std::move(handler), ""};
}

}  // namespace

std::vector<Route> tutorial_routes(const std::string& scheme, const std::string& base_url) {
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return {
      get("/info", "", std::make_shared<InfoHandler>(base)),
      get("/secure/cert/hello", scheme, std::make_shared<HelloHandler>()),
      get("/secure/cert/info", scheme, std::make_shared<CertificateInfoHandler>()),
  };
}

}  // namespace krtool::server
