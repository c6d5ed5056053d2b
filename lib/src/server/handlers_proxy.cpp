// The proxy: handler. The dev server terminates mutual TLS and hands the request to an application
// behind it, as nginx, Envoy or IIS ARR do in production, so that application's certificate
// forwarding (ASP.NET Core's AddCertificateForwarding, an XFCC parser) can be developed against it.
// The headers that carry the certificate are only ever the server's own: a client's copies are dropped.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "http/fetch.hpp"
#include "http/url.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/ossl.hpp"
#include "krtool/server/routes.hpp"
#include "server/response_json.hpp"

namespace krtool::server {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Headers that belong to one connection (RFC 9110 section 7.6.1), the ones the HTTP clients set
// themselves, and Accept-Encoding: the upstream answers unencoded, and the dev server compresses its
// answer as it does any other, never twice.
constexpr std::array<std::string_view, 12> kNotForwarded = {
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
    "trailer",    "transfer-encoding", "upgrade", "host", "content-length", "accept-encoding"};

// The headers through which the server speaks for the client; never taken from the client.
constexpr std::array<std::string_view, 5> kServerSet = {"x-client-cert", "x-forwarded-client-cert", "x-forwarded-for",
                                                        "x-forwarded-proto", "x-forwarded-host"};

bool listed(const auto& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// connection_options are the header names a Connection header lists: hop-by-hop too.
std::vector<std::string> connection_options(const RequestView& request) {
  std::vector<std::string> out;
  for (const auto& [name, value] : request.headers) {
    if (lower(name) != "connection") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      std::string token = lower(rest.substr(0, comma));
      token.erase(0, token.find_first_not_of(" \t"));
      token.erase(token.find_last_not_of(" \t") + 1);
      if (!token.empty()) out.push_back(token);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  return out;
}

std::string base64_der(X509* certificate) {
  const int length = i2d_X509(certificate, nullptr);
  ossl::require(length > 0, "encoding the client certificate");
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* cursor = reinterpret_cast<unsigned char*>(der.data());
  ossl::require(i2d_X509(certificate, &cursor) == length, "encoding the client certificate");
  std::string out(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(der.data()), length);
  out.resize(static_cast<std::size_t>(written));
  return out;
}

// url_encode escapes all but RFC 3986's unreserved characters, as Envoy does the PEM in XFCC's Cert.
std::string url_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string pem(X509* certificate) {
  const ossl::UniquePtr<BIO> sink = ossl::sink_bio();
  ossl::require(PEM_write_bio_X509(sink.get(), certificate) == 1, "encoding the client certificate as PEM");
  return ossl::bio_contents(sink.get());
}

// xfcc_quoted quotes a value for XFCC: inside double quotes, '"' and '\' are escaped with '\'. A
// certificate's subject may hold any byte, so control characters are written \xHH: a line break in
// a CN must not start a header of its own in the upstream request.
std::string xfcc_quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02X}", byte);
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string header_value(const RequestView& request, std::string_view wanted) {
  for (const auto& [name, value] : request.headers) {
    if (lower(name) == wanted) return value;
  }
  return "";
}

class ProxyHandler final : public Handler {
 public:
  explicit ProxyHandler(std::string upstream) : upstream_(std::move(upstream)) {
    auto parsed = http::parse_url(upstream_);
    if (auto* why = std::get_if<std::string>(&parsed)) {
      throw Error(Errc::Usage, fmt::format("proxy:{} is not a URL: {}", upstream_, *why),
                  "give the upstream as http://HOST:PORT[/PATH], e.g. proxy:http://127.0.0.1:9000");
    }
    url_ = std::get<http::Url>(parsed);
    if (url_.tls) {
      throw Error(Errc::Usage, fmt::format("proxy:{}: the upstream must be an http:// URL", upstream_),
                  "krtool serve terminates TLS and forwards in plain HTTP, as a TLS-terminating proxy does; "
                  "run the application behind it on http://127.0.0.1:PORT");
    }
    if (url_.target.size() > 1 && url_.target.back() == '/') url_.target.pop_back();
    if (url_.target == "/") url_.target.clear();
  }

  HandlerResponse handle(const RequestView& request) const override {
    http::ForwardRequest forwarded;
    forwarded.method = request.method;
    // The request line's target, undecoded; an absolute-form target (http://host/...) is not passed on.
    const bool origin_form = !request.target.empty() && request.target.front() == '/';
    forwarded.target = url_.target + (origin_form ? request.target : request.path);
    forwarded.body = request.body;
    const std::vector<std::string> hop_by_hop = connection_options(request);
    for (const auto& [name, value] : request.headers) {
      const std::string key = lower(name);
      if (listed(kNotForwarded, key) || listed(kServerSet, key) || listed(hop_by_hop, key)) continue;
      if (key == "content-type") {
        forwarded.content_type = value;
        continue;
      }
      forwarded.headers.emplace_back(name, value);
    }
    forwarded.headers.emplace_back("X-Forwarded-For", request.remote_address);
    forwarded.headers.emplace_back("X-Forwarded-Proto", request.tls_protocol.empty() ? "http" : "https");
    if (const std::string host = header_value(request, "host"); !host.empty()) {
      forwarded.headers.emplace_back("X-Forwarded-Host", host);
    }
    if (request.certificate != nullptr) {
      forwarded.headers.emplace_back("X-Client-Cert", base64_der(request.certificate));
      forwarded.headers.emplace_back(
          "X-Forwarded-Client-Cert",
          fmt::format("Hash={};Subject={};Cert={}", lower(cert::thumbprint_sha256(request.certificate)),
                      xfcc_quoted(cert::format_dn(X509_get_subject_name(request.certificate))),
                      xfcc_quoted(url_encode(pem(request.certificate)))));
    }

    const http::ForwardResult result = http::forward(url_.host, url_.port, forwarded, kProxyTimeout);
    switch (result.failure) {
      case http::ForwardResult::Failure::None:
        break;
      case http::ForwardResult::Failure::TimedOut:
        return detail::error_response(504, fmt::format("the upstream {} did not answer in time: {}", upstream_, result.error));
      case http::ForwardResult::Failure::Unreachable:
      case http::ForwardResult::Failure::TooLarge:
        return detail::error_response(502, fmt::format("the upstream {} failed: {}", upstream_, result.error));
    }

    HandlerResponse response;
    response.status = result.status;
    response.content_type.clear();
    response.body = result.body;
    for (const auto& [name, value] : result.headers) {
      const std::string key = lower(name);
      if (listed(kNotForwarded, key)) continue;
      if (key == "content-type") {
        response.content_type = value;
        continue;
      }
      response.headers.emplace_back(name, value);
    }
    return response;
  }

  std::string describe() const override { return fmt::format("proxy to {}", upstream_); }

 private:
  std::string upstream_;
  http::Url url_;
};

}  // namespace

std::shared_ptr<const Handler> proxy_handler(const std::string& upstream) {
  return std::make_shared<ProxyHandler>(upstream);
}

}  // namespace krtool::server
