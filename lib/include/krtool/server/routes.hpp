// Routes of the development server: a method, a path, the authentication scheme that protects it (none
// for a public route) and a handler. A handler sees the request as the HTTP layer saw it: the
// authenticated principal (if any) and the client certificate (if any).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/ossl.hpp"

namespace krtool::server {

// RequestView is what a handler may read. Pointers are borrowed for the duration of handle().
struct RequestView {
  std::string method;
  std::string path;            // decoded, without the query
  std::string target;          // as the request line had it: path and query, not decoded
  std::string remote_address;  // the client's IP address
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  const auth::Principal* principal = nullptr;  // null on a public route or without authentication
  X509* certificate = nullptr;                 // the client certificate, null when none was presented
  STACK_OF(X509) * chain = nullptr;            // what the client sent, its certificate first (may be null)
  std::string chain_error;   // why the TLS layer's chain check of `certificate` failed ("" when it passed;
                             // a validation policy such as AllowAny may have accepted it all the same)
  std::string tls_protocol;  // "TLSv1.3", "" for plain HTTP
};

struct HandlerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class Handler {
 public:
  virtual ~Handler() = default;
  // handle must be thread-safe: requests on several connections run at once.
  virtual HandlerResponse handle(const RequestView& request) const = 0;
  virtual std::string describe() const = 0;  // for the start-up listing: "json template", "file ./a.txt"
  // may_block() says that handle() may wait on something slow (an upstream): the server then calls it
  // off its event loop.
  virtual bool may_block() const { return false; }
};

struct Route {
  std::string method;  // "GET", "POST", ... or "*" for any
  std::string path;    // exact, or a prefix when `prefix` (static folders)
  bool prefix = false;
  // the authentication schemes that protect the route, as ASP.NET's AuthenticationSchemes spells them:
  // "Certificate", or "A,B" to try A, then B (split_schemes); "" = public
  std::string scheme;
  std::shared_ptr<const Handler> handler;
  std::string policy;  // the authorization policy an authenticated client must pass; "" = none
};

// parse_route reads the --route grammar: 'METHOD PATH [auth=SCHEME[,SCHEME…] [policy=NAME]] [HANDLER]',
// where auth= lists the schemes to try in order (the first success wins), policy= names the
// authorization policy (it needs auth=), and HANDLER is
//   json:TEMPLATE   a JSON document whose strings may hold placeholders (see render_template)
//   file:PATH       a static file;  dir:PATH  a static folder served below PATH (the route is a prefix)
//   status:CODE     an empty answer with that status
//   proxy:URL       forward to an http:// upstream, with the client certificate in headers (the route is
//                   a prefix; see proxy_handler)
//   crl:CA          the CA's current CRL (crl_handler);  ocsp:CA  its OCSP responder (ocsp_handler; the
//                   route is a prefix, for GET requests after the path)
// and defaults to a JSON echo of the request's identity. Error(Usage) names the route and what is wrong.
Route parse_route(std::string_view spec);

// parse_route with `origin` naming where the spec came from in errors ("--route", "config 'x.json'
// routes[2]"); parse_route(spec) is parse_route(spec, "--route").
Route parse_route(std::string_view spec, std::string_view origin);

// split_schemes splits a route's "A,B" into its scheme names, trimmed; "" gives none.
std::vector<std::string> split_schemes(std::string_view schemes);

// RouteSpec is the grammar's parts before any handler is made: parse_route_spec only checks the
// syntax (method, path, auth=, policy=, handler kind, status code), so that a config file can rewrite a file:
// or dir: path and format_route_spec can give the grammar string back.
struct RouteSpec {
  enum class HandlerKind { IdentityEcho, JsonTemplate, File, Folder, Status, Proxy, Crl, Ocsp };
  std::string method;  // upper case, or "*"
  std::string path;
  std::string scheme;  // "" = public; "A,B" for several
  std::string policy;  // "" = none
  HandlerKind handler = HandlerKind::IdentityEcho;
  std::string argument;  // the template, the file or folder path, the status code, the upstream URL, or
                         // the CA argument of crl:/ocsp:
};
RouteSpec parse_route_spec(std::string_view spec, std::string_view origin = "--route");
std::string format_route_spec(const RouteSpec& spec);

// json_template_handler renders a template per request. Placeholders: {cert.subject}, {cert.issuer},
// {cert.thumbprint}, {cert.thumbprintSha256}, {cert.serialNumber}, {cert.notBefore}, {cert.notAfter},
// {user.name}, {user.authenticationType}, {user.isAuthenticated}, {request.method}, {request.path},
// {tls.protocol}; a string that is exactly "{claims}" becomes the array of {type, value}. Unknown
// placeholders are Error(Usage) when the handler is made, not when a request comes.
std::shared_ptr<const Handler> json_template_handler(std::string_view json_template);
std::shared_ptr<const Handler> static_file_handler(std::string path);
std::shared_ptr<const Handler> static_folder_handler(std::string folder, std::string route_prefix);
std::shared_ptr<const Handler> status_handler(int status);
std::shared_ptr<const Handler> identity_echo_handler();

// proxy_handler forwards each request to the http:// `upstream` (its path, if any, goes before the
// request's path and query) and answers what the upstream answered, the way a TLS-terminating proxy
// hands mutual TLS to an application behind it:
// - the client certificate goes in X-Client-Cert (base64 DER: ASP.NET Core's certificate forwarding)
//   and X-Forwarded-Client-Cert (Hash, Subject and url-encoded PEM Cert: the fields of Envoy's XFCC);
// - X-Forwarded-For, -Proto and -Host say who asked, how, and for which host;
// - the client's own copies of those (and of X-ARR-ClientCert, Forwarded, X-Real-IP, any name with
//   '_') are dropped, so a client cannot claim a certificate it did not present; a malformed header
//   or a path with a dot segment is 400 and a multipart body 415, never forwarded; hop-by-hop headers
//   and Accept-Encoding are not forwarded.
// An unreachable or broken upstream is 502 and a slow one 504, each with {"error": ...}. Error(Usage)
// when `upstream` is not an http:// URL without a query.
std::shared_ptr<const Handler> proxy_handler(const std::string& upstream);

// crl_handler serves the CRL of a development CA made from its database (krtool/cert/ca_database.hpp),
// DER as application/pkix-crl, made again when the database changes. `argument` is
// "CA[,password-file=FILE|,password-env=NAME]": the CA file with its key, and where the password of an
// encrypted key comes from. Error(Input) at once when the CA cannot sign a CRL.
std::shared_ptr<const Handler> crl_handler(const std::string& argument);

// ocsp_handler is an RFC 6960 responder for a development CA: POST (application/ocsp-request) to
// `route_path`, or GET with the base64 request after it; good, revoked (time and reason) or unknown
// from the CA's database; the nonce echoed; answers valid for an hour. `argument` is
// "CA[,responder=FILE][,password-file=FILE|,password-env=NAME]": answers are signed by the CA, or by
// the delegated responder (issued by the CA with id-kp-OCSPSigning), whose key the password opens.
std::shared_ptr<const Handler> ocsp_handler(const std::string& argument, const std::string& route_path);

// kProxyTimeout bounds the whole exchange with the upstream, from connecting to the answer's last byte.
inline constexpr std::chrono::seconds kProxyTimeout{30};

// tutorial_routes are the tutorial's three: public GET /info, and GET /secure/cert/hello and
// GET /secure/cert/info protected by `scheme`, with the JSON shapes of the contract.
std::vector<Route> tutorial_routes(const std::string& scheme, const std::string& base_url);

}  // namespace krtool::server
