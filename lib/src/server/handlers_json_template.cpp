// The json: handler. The template is parsed once; per request its strings are rendered with values
// from the client certificate, the principal and the request. A string that is exactly one
// placeholder keeps the value's JSON type ({user.isAuthenticated} is a boolean, a missing value is
// null); inside a longer string every value is text.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <optional>

#include "krtool/cert/describe.hpp"
#include "krtool/error.hpp"
#include "krtool/server/routes.hpp"
#include "krtool/util/did_you_mean.hpp"
#include "server/response_json.hpp"
#include "util/json_depth.hpp"

namespace krtool::server {
namespace {

using Json = nlohmann::ordered_json;

enum class Placeholder {
  CertSubject,
  CertIssuer,
  CertThumbprint,
  CertThumbprintSha256,
  CertSerialNumber,
  CertNotBefore,
  CertNotAfter,
  UserName,
  UserAuthenticationType,
  UserIsAuthenticated,
  RequestMethod,
  RequestPath,
  TlsProtocol,
};

struct PlaceholderName {
  std::string_view name;
  Placeholder placeholder;
};
constexpr std::array<PlaceholderName, 13> kPlaceholders = {{
    {"cert.subject", Placeholder::CertSubject},
    {"cert.issuer", Placeholder::CertIssuer},
    {"cert.thumbprint", Placeholder::CertThumbprint},
    {"cert.thumbprintSha256", Placeholder::CertThumbprintSha256},
    {"cert.serialNumber", Placeholder::CertSerialNumber},
    {"cert.notBefore", Placeholder::CertNotBefore},
    {"cert.notAfter", Placeholder::CertNotAfter},
    {"user.name", Placeholder::UserName},
    {"user.authenticationType", Placeholder::UserAuthenticationType},
    {"user.isAuthenticated", Placeholder::UserIsAuthenticated},
    {"request.method", Placeholder::RequestMethod},
    {"request.path", Placeholder::RequestPath},
    {"tls.protocol", Placeholder::TlsProtocol},
}};

constexpr std::string_view kClaims = "{claims}";

std::vector<std::string> known_placeholders() {
  std::vector<std::string> names;
  for (const PlaceholderName& entry : kPlaceholders) names.push_back(fmt::format("{{{}}}", entry.name));
  names.emplace_back(kClaims);
  return names;
}

bool is_word(std::string_view text) {
  if (text.empty() || std::isalpha(static_cast<unsigned char>(text.front())) == 0) return false;
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
}

// looks_like_placeholder is the `{word.word}` shape; other braces (JSON in a string, "{}") are text.
bool looks_like_placeholder(std::string_view inside) {
  const size_t dot = inside.find('.');
  return dot != std::string_view::npos && is_word(inside.substr(0, dot)) && is_word(inside.substr(dot + 1));
}

[[noreturn]] void unknown_placeholder(std::string_view name) {
  const std::string typed = fmt::format("{{{}}}", name);
  const std::vector<std::string> known = known_placeholders();
  const std::string near = util::closest_name(typed, known);
  std::string hint = near.empty() ? "" : fmt::format("did you mean '{}'? ", near);
  hint += fmt::format("the placeholders are {}", fmt::join(known, ", "));
  throw Error(Errc::Usage, fmt::format("the JSON template uses an unknown placeholder '{}'", typed), hint);
}

Placeholder lookup(std::string_view name) {
  for (const PlaceholderName& entry : kPlaceholders) {
    if (entry.name == name) return entry.placeholder;
  }
  unknown_placeholder(name);
}

// A piece of a template string: literal text, or a placeholder.
struct Piece {
  std::string_view text;
  std::optional<Placeholder> placeholder;
};

// split_pieces cuts a template string into literal text and placeholders; an unknown placeholder
// throws, so splitting every string once at creation validates the template.
std::vector<Piece> split_pieces(std::string_view text) {
  std::vector<Piece> pieces;
  size_t literal_start = 0;
  size_t open = text.find('{');
  while (open != std::string_view::npos) {
    const size_t close = text.find('}', open + 1);
    if (close == std::string_view::npos) break;
    const std::string_view inside = text.substr(open + 1, close - open - 1);
    if (!looks_like_placeholder(inside)) {
      open = text.find('{', open + 1);
      continue;
    }
    if (open > literal_start) pieces.push_back({text.substr(literal_start, open - literal_start), {}});
    pieces.push_back({{}, lookup(inside)});
    literal_start = close + 1;
    open = text.find('{', literal_start);
  }
  if (literal_start < text.size()) pieces.push_back({text.substr(literal_start), {}});
  return pieces;
}

void validate(const Json& node) {
  if (node.is_string()) {
    split_pieces(node.get_ref<const std::string&>());
  } else if (node.is_structured()) {
    for (const Json& child : node) validate(child);
  }
}

// RenderContext holds one request's values; the certificate is described at most once per request.
class RenderContext {
 public:
  explicit RenderContext(const RequestView& request) : request_(request) {}

  // value is the placeholder's text, or nullopt when the request has no such value.
  std::optional<std::string> value(Placeholder placeholder) {
    const auth::Principal* principal = request_.principal;
    switch (placeholder) {
      case Placeholder::CertSubject:
        return certificate_field([](const cert::CertificateInfo& c) { return c.subject; });
      case Placeholder::CertIssuer:
        return certificate_field([](const cert::CertificateInfo& c) { return c.issuer; });
      case Placeholder::CertThumbprint:
        return certificate_field([](const cert::CertificateInfo& c) { return c.thumbprint; });
      case Placeholder::CertThumbprintSha256:
        return certificate_field([](const cert::CertificateInfo& c) { return c.thumbprint_sha256; });
      case Placeholder::CertSerialNumber:
        return certificate_field([](const cert::CertificateInfo& c) { return c.serial_number; });
      case Placeholder::CertNotBefore:
        return certificate_field([](const cert::CertificateInfo& c) { return format_rfc3339(c.not_before); });
      case Placeholder::CertNotAfter:
        return certificate_field([](const cert::CertificateInfo& c) { return format_rfc3339(c.not_after); });
      case Placeholder::UserName:
        return principal ? std::optional(principal->name) : std::nullopt;
      case Placeholder::UserAuthenticationType:
        return principal ? std::optional(principal->authentication_type) : std::nullopt;
      case Placeholder::UserIsAuthenticated:
        return principal ? "true" : "false";
      case Placeholder::RequestMethod:
        return request_.method;
      case Placeholder::RequestPath:
        return request_.path;
      case Placeholder::TlsProtocol:
        return request_.tls_protocol.empty() ? std::nullopt : std::optional(request_.tls_protocol);
    }
    return std::nullopt;
  }

  Json claims() const {
    return request_.principal ? detail::claims_array(*request_.principal) : Json(nullptr);
  }

 private:
  std::optional<std::string> certificate_field(
      const std::function<std::string(const cert::CertificateInfo&)>& field) {
    if (request_.certificate == nullptr) return std::nullopt;
    if (!info_) info_ = cert::describe(request_.certificate);
    return field(*info_);
  }

  const RequestView& request_;
  std::optional<cert::CertificateInfo> info_;
};

Json render_string(const std::string& text, RenderContext& context) {
  if (text == kClaims) return context.claims();
  const std::vector<Piece> pieces = split_pieces(text);
  if (pieces.size() == 1 && pieces.front().placeholder) {
    const Placeholder placeholder = *pieces.front().placeholder;
    const std::optional<std::string> value = context.value(placeholder);
    if (placeholder == Placeholder::UserIsAuthenticated) return *value == "true";
    return value ? Json(*value) : Json(nullptr);
  }
  std::string out;
  for (const Piece& piece : pieces) {
    out += piece.placeholder ? context.value(*piece.placeholder).value_or("") : std::string(piece.text);
  }
  return out;
}

Json render(const Json& node, RenderContext& context) {
  if (node.is_string()) return render_string(node.get_ref<const std::string&>(), context);
  if (!node.is_structured()) return node;
  Json out = node.is_object() ? Json::object() : Json::array();
  if (node.is_object()) {
    for (const auto& [key, child] : node.items()) out[key] = render(child, context);
  } else {
    for (const Json& child : node) out.push_back(render(child, context));
  }
  return out;
}

class JsonTemplateHandler final : public Handler {
 public:
  explicit JsonTemplateHandler(Json document) : template_(std::move(document)) {}

  HandlerResponse handle(const RequestView& request) const override {
    RenderContext context(request);
    return detail::json_response(render(template_, context));
  }

  std::string describe() const override { return "json template"; }

 private:
  Json template_;
};

}  // namespace

std::shared_ptr<const Handler> json_template_handler(std::string_view json_template) {
  if (const auto deep = util::json_too_deep(json_template, /*comments=*/false)) {
    throw Error(Errc::Usage,
                fmt::format("the JSON template nests arrays and objects more than {} deep (at column {} of "
                            "line {})",
                            util::kMaxJsonDepth, deep->column, deep->line),
                "a response template needs a few levels; flatten it");
  }
  Json document;
  try {
    document = Json::parse(json_template);
  } catch (const Json::exception& e) {
    // A syntax error, or a number too large for a double (out_of_range.406). what() starts with
    // "[json.exception.parse_error.101] ", which says nothing to a user.
    std::string_view reason = e.what();
    if (const size_t end = reason.find("] "); end != std::string_view::npos) reason.remove_prefix(end + 2);
    throw Error(Errc::Usage, fmt::format("the JSON template is not valid JSON: {}", reason),
                "quote the template for the shell, e.g. --route 'GET /me json:{\"name\": \"{user.name}\"}'");
  }
  validate(document);
  return std::make_shared<JsonTemplateHandler>(std::move(document));
}

}  // namespace krtool::server
