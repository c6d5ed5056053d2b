// The two handlers that need no argument beyond a number: status:CODE, and the identity echo that a
// route without a handler answers with (what the server saw of the caller, for debugging mTLS).
#include <fmt/format.h>

#include "krtool/error.hpp"
#include "krtool/server/routes.hpp"
#include "server/response_json.hpp"

namespace krtool::server {
namespace {

class StatusHandler final : public Handler {
 public:
  explicit StatusHandler(int status) : status_(status) {}

  HandlerResponse handle(const RequestView&) const override {
    HandlerResponse response;
    response.status = status_;
    response.content_type.clear();  // no body, so no Content-Type either
    return response;
  }
  std::string describe() const override { return fmt::format("status {}", status_); }

 private:
  int status_;
};

class IdentityEchoHandler final : public Handler {
 public:
  HandlerResponse handle(const RequestView& request) const override {
    const auth::Principal* principal = request.principal;
    nlohmann::ordered_json body;
    body["path"] = request.path;
    body["method"] = request.method;
    body["authenticated"] = principal != nullptr;
    body["user"] = principal ? nlohmann::ordered_json(principal->name) : nullptr;
    body["authenticationType"] = principal ? nlohmann::ordered_json(principal->authentication_type) : nullptr;
    body["certificate"] = detail::certificate_summary(request.certificate);
    return detail::json_response(body);
  }
  std::string describe() const override { return "identity echo"; }
};

}  // namespace

std::shared_ptr<const Handler> status_handler(int status) {
  if (status < 100 || status > 599) {
    throw Error(Errc::Usage, fmt::format("{} is not an HTTP status code", status),
                "give a code between 100 and 599, e.g. status:204");
  }
  return std::make_shared<StatusHandler>(status);
}

std::shared_ptr<const Handler> identity_echo_handler() { return std::make_shared<IdentityEchoHandler>(); }

}  // namespace krtool::server
