// The proxy: handler. The dev server terminates mutual TLS and hands the request to an application
// behind it, as nginx, Envoy or IIS ARR do in production, so that application's certificate
// forwarding (ASP.NET Core's AddCertificateForwarding, an XFCC parser) can be developed against it.
// The headers that carry the certificate are only ever the server's own: a client's copies are dropped.
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "http/fetch.hpp"
#include "http/token.hpp"
#include "http/url.hpp"
#include "krtool/cert/identity.hpp"
#include "krtool/error.hpp"
#include "krtool/ossl.hpp"
#include "krtool/server/routes.hpp"
#include "server/response_json.hpp"
#include "util/text.hpp"

namespace krtool::server {
namespace {

using util::lower;

// Headers that belong to one connection (RFC 9110 section 7.6.1), the ones the HTTP clients set
// themselves, and Accept-Encoding: the upstream is asked for an unencoded answer (one it encodes anyway
// is decoded on arrival), and the dev server compresses its answer as it does any other, never twice.
constexpr std::array<std::string_view, 12> kNotForwarded = {"connection",
                                                            "keep-alive",
                                                            "proxy-connection",
                                                            "proxy-authenticate",
                                                            "proxy-authorization",
                                                            "te",
                                                            "trailer",
                                                            "transfer-encoding",
                                                            "upgrade",
                                                            "host",
                                                            "content-length",
                                                            "accept-encoding"};

// The headers through which the server speaks for the client, and the other common spellings of the
// same claims (IIS ARR's certificate header, RFC 7239's Forwarded, nginx's X-Real-IP, RFC 9440's
// Client-Cert); never taken from the client, whichever families the route sends. Every X-SSL-Client-*
// header (nginx's and Apache's conventions) is dropped too.
constexpr std::array<std::string_view, 11> kServerSet = {
    "x-client-cert",    "x-forwarded-client-cert", "x-arr-clientcert", "x-forwarded-for", "x-forwarded-proto",
    "x-forwarded-host", "x-forwarded-port",        "forwarded",        "x-real-ip",       "client-cert",
    "client-cert-chain"};
constexpr std::string_view kServerSetPrefix = "x-ssl-client-";

// The header families a proxy: route sends (headers=aspnet+xfcc+rfc9440+nginx; all by default).
enum Family : unsigned {
  kAspNet = 1u << 0,   // X-Client-Cert: ASP.NET Core's AddCertificateForwarding
  kXfcc = 1u << 1,     // X-Forwarded-Client-Cert: Envoy's
  kRfc9440 = 1u << 2,  // Client-Cert, Client-Cert-Chain
  kNginx = 1u << 3,    // X-SSL-Client-Escaped-Cert and nginx's verdict variables
};
constexpr unsigned kAllFamilies = kAspNet | kXfcc | kRfc9440 | kNginx;

unsigned parse_families(std::string_view text, std::string_view route) {
  unsigned families = 0;
  while (!text.empty()) {
    const std::size_t plus = text.find('+');
    const std::string name = lower(text.substr(0, plus));
    if (name == "aspnet")
      families |= kAspNet;
    else if (name == "xfcc")
      families |= kXfcc;
    else if (name == "rfc9440")
      families |= kRfc9440;
    else if (name == "nginx")
      families |= kNginx;
    else if (name == "all")
      families |= kAllFamilies;
    else if (name == "none")
      families |= 0;
    else {
      throw Error(Errc::Usage, fmt::format("proxy:{}: '{}' is not a header family", route, name),
                  "write headers=aspnet+xfcc+rfc9440+nginx (any of them joined with '+'), all or none");
    }
    text = plus == std::string_view::npos ? std::string_view{} : text.substr(plus + 1);
  }
  return families;
}

// is_clean_value tells whether a header value can be sent on, whatever the server's parser let through:
// a bare CR inside a value may be read by an upstream as the end of the line and the start of a header
// of the client's choosing (X-Client-Cert included).
bool is_clean_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7f;
  });
}

// has_dot_segment tells whether a decoded path has a "." or ".." segment. Routes match the path as it
// is, and an upstream that resolves /public/../admin would serve a route whose scheme never ran.
bool has_dot_segment(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::string_view segment =
        path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (segment == "." || segment == "..") return true;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

bool listed(const auto& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// connection_options are the header names a Connection header lists: hop-by-hop too.
std::vector<std::string> connection_options(const http::HeaderList& headers) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers) {
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

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::string base64_der(X509* certificate) {
  const int length = i2d_X509(certificate, nullptr);
  ossl::require(length > 0, "encoding the client certificate");
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* cursor = reinterpret_cast<unsigned char*>(der.data());
  ossl::require(i2d_X509(certificate, &cursor) == length, "encoding the client certificate");
  return base64(der);
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

// xfcc_quoted quotes a value for XFCC: '"' and '\' escaped with '\', control characters as \xHH (a
// certificate's subject may hold any byte, and a line break in a CN must not start a header of its own
// in the upstream request).
std::string xfcc_quoted(std::string_view text) {
  return "\"" + util::escape_controls(util::escape_quotes(text)) + "\"";
}

std::string header_value(const RequestView& request, std::string_view wanted) {
  for (const auto& [name, value] : request.headers) {
    if (lower(name) == wanted) return value;
  }
  return "";
}

// nginx's $ssl_client_verify: SUCCESS, NONE, or FAILED:reason (a policy such as AllowAny let through a
// certificate the chain check refused).
std::string verify_verdict(const RequestView& request) {
  if (request.certificate == nullptr) return "NONE";
  if (request.chain_error.empty()) return "SUCCESS";
  return "FAILED:" + request.chain_error;
}

void add_identity_headers(const RequestView& request, unsigned families, http::HeaderList& headers) {
  if ((families & kNginx) != 0) headers.emplace_back("X-SSL-Client-Verify", verify_verdict(request));
  if (request.certificate == nullptr) return;
  X509* certificate = request.certificate;
  const cert::Identity id = cert::identity(certificate);
  if ((families & kAspNet) != 0) headers.emplace_back("X-Client-Cert", base64_der(certificate));
  if ((families & kXfcc) != 0) {
    headers.emplace_back("X-Forwarded-Client-Cert",
                         fmt::format("Hash={};Subject={};Cert={}", lower(id.thumbprint_sha256),
                                     xfcc_quoted(id.subject), xfcc_quoted(url_encode(pem(certificate)))));
  }
  if ((families & kRfc9440) != 0) {
    // RFC 9440: structured-field byte sequences; the chain without the client's own certificate.
    headers.emplace_back("Client-Cert", ":" + base64_der(certificate) + ":");
    std::string chain;
    for (int i = 1; request.chain != nullptr && i < sk_X509_num(request.chain); ++i) {
      chain += (chain.empty() ? ":" : ", :") + base64_der(sk_X509_value(request.chain, i)) + ":";
    }
    if (!chain.empty()) headers.emplace_back("Client-Cert-Chain", chain);
  }
  if ((families & kNginx) != 0) {
    // The values are the identity's (cert::Identity), under nginx's variable names; the DNs in .NET's
    // order, as everywhere in krtool, where nginx prints RFC 2253's. Escaped for a header value.
    headers.emplace_back("X-SSL-Client-Escaped-Cert", url_encode(pem(certificate)));
    headers.emplace_back("X-SSL-Client-S-DN", util::escape_controls(id.subject));
    headers.emplace_back("X-SSL-Client-I-DN", util::escape_controls(id.issuer));
    headers.emplace_back("X-SSL-Client-Serial", id.serial_number);
    headers.emplace_back("X-SSL-Client-Fingerprint", lower(id.thumbprint));
    headers.emplace_back("X-SSL-Client-Fingerprint-SHA256", lower(id.thumbprint_sha256));
  }
}

class ProxyHandler final : public Handler {
 public:
  explicit ProxyHandler(std::string argument) : upstream_(std::move(argument)) {
    // proxy:URL[,headers=FAMILIES]: the last ",headers=" ends the URL.
    if (const std::size_t at = upstream_.rfind(",headers="); at != std::string::npos) {
      families_ = parse_families(std::string_view(upstream_).substr(at + 9), upstream_);
      upstream_.resize(at);
    }
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
    if (url_.target.find_first_of("?#") != std::string::npos) {
      throw Error(Errc::Usage, fmt::format("proxy:{}: the upstream URL must not have a query", upstream_),
                  "give the upstream as http://HOST:PORT[/PATH]; the request's own query is forwarded");
    }
    if (url_.target.size() > 1 && url_.target.back() == '/') url_.target.pop_back();
    if (url_.target == "/") url_.target.clear();
  }

  HandlerResponse handle(const RequestView& request) const override {
    // A name that is not a token ("X-Client-Cert : v") is read by some frameworks and lets others
    // swallow later headers.
    for (const auto& [name, value] : request.headers) {
      if (!http::is_token(name) || !is_clean_value(value)) {
        return detail::error_response(400,
                                      fmt::format("header '{}' is malformed: not forwarded to {}",
                                                  http::is_token(name) ? name : "(not a token)", upstream_));
      }
    }
    if (has_dot_segment(request.path) || !is_clean_value(request.target)) {
      return detail::error_response(
          400, "the path has a '.' or '..' segment or a control character: not forwarded");
    }
    if (lower(header_value(request, "content-type")).starts_with("multipart/form-data")) {
      // A documented refusal (the guide's proxy section), kept from the days when the server's HTTP
      // library took multipart bodies apart before a handler saw them. krtool's own request parser
      // (http1_request) passes every body on as received; lifting the refusal takes a test that such a
      // body reaches the upstream byte for byte, and the guide's word.
      return detail::error_response(415,
                                    fmt::format("multipart/form-data bodies are not forwarded to {}; send "
                                                "the file as the body (curl --data-binary @FILE)",
                                                upstream_));
    }
    http::ForwardRequest forwarded;
    forwarded.method = request.method;
    // The request line's target, undecoded; an absolute-form target (http://host/...) is not passed on.
    const bool origin_form = !request.target.empty() && request.target.front() == '/';
    forwarded.target = url_.target + (origin_form ? request.target : request.path);
    forwarded.body = request.body;
    const std::vector<std::string> hop_by_hop = connection_options(request.headers);
    for (const auto& [name, value] : request.headers) {
      const std::string key = lower(name);
      // A name with '_' is dropped as nginx does: CGI-style servers read X_Client_Cert as X-Client-Cert.
      if (key.find('_') != std::string::npos) continue;
      if (listed(kNotForwarded, key) || listed(kServerSet, key) || listed(hop_by_hop, key) ||
          key.starts_with(kServerSetPrefix))
        continue;
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
    add_identity_headers(request, families_, forwarded.headers);

    const http::ForwardResult result = http::forward(url_.host, url_.port, forwarded, kProxyTimeout);
    switch (result.failure) {
      case http::ForwardResult::Failure::None:
        break;
      case http::ForwardResult::Failure::TimedOut:
        return detail::error_response(
            504, fmt::format("the upstream {} did not answer in time: {}", upstream_, result.error));
      case http::ForwardResult::Failure::Unreachable:
      case http::ForwardResult::Failure::TooLarge:
        return detail::error_response(502,
                                      fmt::format("the upstream {} failed: {}", upstream_, result.error));
    }
    if (result.status < 200) {
      return detail::error_response(
          502, fmt::format("the upstream {} answered {} as its final response", upstream_, result.status));
    }

    HandlerResponse response;
    response.status = result.status;
    response.content_type.clear();
    response.body = result.body;
    const std::vector<std::string> response_hop_by_hop = connection_options(result.headers);
    for (const auto& [name, value] : result.headers) {
      const std::string key = lower(name);
      // The body arrives decoded (see http::forward), and the dev server encodes its answer itself.
      if (listed(kNotForwarded, key) || listed(response_hop_by_hop, key) || key == "content-encoding")
        continue;
      if (key == "content-type") {
        response.content_type = value;
        continue;
      }
      response.headers.emplace_back(name, value);
    }
    return response;
  }

  std::string describe() const override { return fmt::format("proxy to {}", upstream_); }
  bool may_block() const override { return true; }

 private:
  std::string upstream_;
  http::Url url_;
  unsigned families_ = kAllFamilies;
};

}  // namespace

std::shared_ptr<const Handler> proxy_handler(const std::string& upstream) {
  return std::make_shared<ProxyHandler>(upstream);
}

}  // namespace krtool::server
