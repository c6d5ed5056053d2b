// The ocsp: handler: an RFC 6960 responder for one CA over HTTP (appendix A): POST with an
// application/ocsp-request body, or GET with the DER request base64- and then URL-encoded after the
// route's path. Answers come from the CA's database as it is at the moment of the request.
#include <fmt/format.h>
#include <openssl/evp.h>

#include "krtool/cert/ocsp_responder.hpp"
#include "krtool/error.hpp"
#include "krtool/server/routes.hpp"
#include "server/ca_route.hpp"
#include "server/response_json.hpp"

namespace krtool::server {
namespace {

// Answers carry no nextUpdate: the responder reads the database at each request, so a revocation counts
// from the moment `krtool revoke` saves it, and a checker that caches until nextUpdate has nothing to
// keep (an answer valid for an hour would hide a revocation for that hour).
constexpr std::chrono::seconds kOcspValidity{0};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// get_request takes the DER request out of a GET target: what follows the route's path, URL-decoded
// ('/', '+' and '=' of base64 may come escaped or not), then base64-decoded. Empty when it is not that.
std::string get_request(std::string_view target, std::string_view route_path) {
  target = target.substr(0, target.find('?'));
  if (target.size() <= route_path.size()) return {};
  std::string_view encoded = target.substr(route_path.size());
  if (encoded.front() == '/') encoded.remove_prefix(1);
  // base64 of kMaxOcspRequestBytes, escaped, is well under three times its size.
  if (encoded.empty() || encoded.size() > 3 * 2 * cert::kMaxOcspRequestBytes) return {};
  std::string base64;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size() && hex_digit(encoded[i + 1]) >= 0 &&
        hex_digit(encoded[i + 2]) >= 0) {
      base64.push_back(static_cast<char>(hex_digit(encoded[i + 1]) * 16 + hex_digit(encoded[i + 2])));
      i += 2;
    } else {
      base64.push_back(encoded[i]);
    }
  }
  if (base64.size() % 4 != 0) return {};
  std::string der(base64.size() / 4 * 3, '\0');
  const int length =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()),
                      reinterpret_cast<const unsigned char*>(base64.data()), static_cast<int>(base64.size()));
  if (length < 0) return {};
  // EVP_DecodeBlock counts the padding's zero bytes too.
  size_t padding = 0;
  while (padding < 2 && padding < base64.size() && base64[base64.size() - 1 - padding] == '=') ++padding;
  der.resize(static_cast<size_t>(length) - padding);
  return der;
}

class OcspHandler final : public Handler {
 public:
  OcspHandler(const std::string& argument, std::string route_path)
      : argument_(detail::parse_ca_route_argument(argument, "ocsp:")),
        route_path_(std::move(route_path)),
        source_(argument_, argument_.responder.empty()),
        responder_(source_.ca(), signer(), kOcspValidity) {}

  HandlerResponse handle(const RequestView& request) const override {
    std::string der;
    if (request.method == "POST") {
      der = request.body;
    } else if (request.method == "GET") {
      der = get_request(request.target, route_path_);
    } else {
      return detail::error_response(405, "an OCSP request comes by POST, or by GET after the path");
    }
    const cert::OcspLookup lookup = [database = database()](const std::string& serial) {
      cert::OcspStatus status;
      if (!database) return status;  // unknown, since the database could not be read
      if (const cert::Revocation* revoked = database->find_revocation(serial)) {
        status.kind = cert::OcspStatus::Kind::Revoked;
        status.revoked_at = revoked->revoked_at;
        status.reason = revoked->reason;
      } else if (database->find_issued(serial) != nullptr || !database->tracks_issuance()) {
        // A database that does not track issuance cannot tell a stranger's serial from one it never
        // heard of: "good" then says only "not revoked", which is what RFC 6960 2.2 makes it mean.
        status.kind = cert::OcspStatus::Kind::Good;
      }
      return status;
    };
    HandlerResponse response;
    response.content_type = "application/ocsp-response";
    response.body = responder_.respond(der, lookup, now_seconds());
    return response;
  }

  std::string describe() const override {
    return fmt::format("OCSP responder for {}{} (database {})", argument_.ca,
                       argument_.responder.empty() ? "" : fmt::format(", signed by {}", argument_.responder),
                       cert::CaDatabase::path_for(argument_.ca).string());
  }

 private:
  cert::CertBundle signer() const {
    if (argument_.responder.empty()) {
      cert::CertBundle ca;
      ca.certificate = ossl::up_ref(source_.ca().certificate.get());
      ca.key = ossl::up_ref(source_.ca().key.get());
      return ca;
    }
    return detail::load_signing_bundle(argument_.responder, argument_, true);
  }

  std::shared_ptr<const cert::CaDatabase> database() const {
    try {
      return source_.database().database;
    } catch (const Error&) {
      return nullptr;
    }
  }

  detail::CaRouteArgument argument_;
  std::string route_path_;
  detail::CaSource source_;
  cert::OcspResponder responder_;
};

}  // namespace

std::shared_ptr<const Handler> ocsp_handler(const std::string& argument, const std::string& route_path) {
  return std::make_shared<OcspHandler>(argument, route_path);
}

}  // namespace krtool::server
