#include "krtool/server/routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "krtool/error.hpp"
#include "server/ca_route.hpp"
#include "util/text.hpp"

namespace krtool::server {
namespace {

constexpr std::array<std::string_view, 8> kMethods = {"GET",   "POST", "PUT",     "DELETE",
                                                      "PATCH", "HEAD", "OPTIONS", "*"};

constexpr const char* kGrammarHint =
    "write 'METHOD PATH [auth=SCHEME] [policy=NAME] [json:TEMPLATE | file:PATH | dir:PATH | "
    "status:CODE | proxy:URL | crl:CA | ocsp:CA]', "
    "e.g. "
    "--route 'GET /hello auth=Certificate json:{\"user\": \"{user.name}\"}'";

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

using util::starts_with_ignoring_case;
using util::upper;

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// next_word splits the first whitespace-separated word off `rest`.
std::string_view next_word(std::string_view& rest) {
  rest = trim(rest);
  size_t end = 0;
  while (end < rest.size() && !is_space(rest[end])) ++end;
  const std::string_view word = rest.substr(0, end);
  rest.remove_prefix(end);
  rest = trim(rest);
  return word;
}

struct RouteError {
  std::string_view origin;
  std::string_view spec;

  [[noreturn]] void fail(const std::string& problem, std::string hint = kGrammarHint) const {
    throw Error(Errc::Usage, fmt::format("{} '{}': {}", origin, spec, problem), std::move(hint));
  }
};

int parse_status(std::string_view text, const RouteError& error) {
  int status = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), status);
  if (ec != std::errc() || end != text.data() + text.size() || status < 100 || status > 599) {
    error.fail(fmt::format("'status:{}' is not an HTTP status code", text),
               "give a code between 100 and 599, e.g. status:204");
  }
  return status;
}

struct HandlerPrefix {
  std::string_view prefix;
  RouteSpec::HandlerKind kind;
};
constexpr std::array<HandlerPrefix, 7> kHandlerPrefixes = {{
    {"json:", RouteSpec::HandlerKind::JsonTemplate},
    {"file:", RouteSpec::HandlerKind::File},
    {"dir:", RouteSpec::HandlerKind::Folder},
    {"status:", RouteSpec::HandlerKind::Status},
    {"proxy:", RouteSpec::HandlerKind::Proxy},
    {"crl:", RouteSpec::HandlerKind::Crl},
    {"ocsp:", RouteSpec::HandlerKind::Ocsp},
}};

std::string_view prefix_of(RouteSpec::HandlerKind kind) {
  for (const HandlerPrefix& entry : kHandlerPrefixes) {
    if (entry.kind == kind) return entry.prefix;
  }
  return "";
}

void read_handler(std::string_view text, RouteSpec& route, const RouteError& error) {
  for (const HandlerPrefix& entry : kHandlerPrefixes) {
    if (!starts_with_ignoring_case(text, entry.prefix)) continue;
    route.handler = entry.kind;
    // The argument is the rest of the spec: a template holds spaces, and so may a file name.
    route.argument = std::string(trim(text.substr(entry.prefix.size())));
    if (route.argument.empty()) {
      error.fail(fmt::format("'{}' needs a value after the colon", entry.prefix));
    }
    if (entry.kind == RouteSpec::HandlerKind::Status) parse_status(route.argument, error);
    if (entry.kind == RouteSpec::HandlerKind::Crl || entry.kind == RouteSpec::HandlerKind::Ocsp) {
      try {
        detail::parse_ca_route_argument(route.argument, entry.prefix);
      } catch (const Error& e) {
        error.fail(e.what(), e.hint());
      }
    }
    return;
  }
  error.fail(fmt::format("'{}' is not a handler", next_word(text)));
}

// read_access reads 'auth=A[,B…]' and 'policy=NAME', in either order, before the handler.
void read_access(std::string_view& rest, RouteSpec& route, const RouteError& error) {
  for (;;) {
    if (starts_with_ignoring_case(rest, "auth=")) {
      std::string_view auth = next_word(rest);
      auth.remove_prefix(5);
      if (auth.empty()) {
        error.fail("'auth=' needs a scheme name", "write auth=Certificate (the --auth-scheme name)");
      }
      const std::vector<std::string> schemes = split_schemes(auth);
      if (std::any_of(schemes.begin(), schemes.end(),
                      [](const std::string& scheme) { return scheme.empty(); })) {
        error.fail(fmt::format("'auth={}' needs scheme names separated by commas", auth),
                   "write auth=Certificate (the --auth-scheme name), or auth=A,B to try A, then B");
      }
      route.scheme = std::string(auth);
    } else if (starts_with_ignoring_case(rest, "policy=")) {
      std::string_view policy = next_word(rest);
      policy.remove_prefix(7);
      if (policy.empty()) error.fail("'policy=' needs a policy name", "write policy=NAME (a --policy name)");
      route.policy = std::string(policy);
    } else {
      break;
    }
  }
  if (!route.policy.empty() && route.scheme.empty()) {
    error.fail(fmt::format("'policy={}' needs auth=SCHEME: a policy authorizes an authenticated client",
                           route.policy),
               fmt::format("write auth=Certificate policy={}", route.policy));
  }
}

std::shared_ptr<const Handler> make_handler(const RouteSpec& route) {
  switch (route.handler) {
    case RouteSpec::HandlerKind::JsonTemplate:
      return json_template_handler(route.argument);
    case RouteSpec::HandlerKind::File:
      return static_file_handler(route.argument);
    case RouteSpec::HandlerKind::Folder:
      return static_folder_handler(route.argument, route.path);
    case RouteSpec::HandlerKind::Status:
      return status_handler(std::stoi(route.argument));
    case RouteSpec::HandlerKind::Proxy:
      return proxy_handler(route.argument);
    case RouteSpec::HandlerKind::Crl:
      return crl_handler(route.argument);
    case RouteSpec::HandlerKind::Ocsp:
      return ocsp_handler(route.argument, route.path);
    case RouteSpec::HandlerKind::IdentityEcho:
      break;
  }
  return identity_echo_handler();
}

}  // namespace

RouteSpec parse_route_spec(std::string_view spec, std::string_view origin) {
  const RouteError error{origin, spec};
  std::string_view rest = spec;
  RouteSpec route;

  const std::string_view method = next_word(rest);
  if (method.empty()) error.fail("the route is empty");
  route.method = upper(method);
  if (std::find(kMethods.begin(), kMethods.end(), route.method) == kMethods.end()) {
    error.fail(fmt::format("'{}' is not an HTTP method", method),
               "use GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS or * (any method)");
  }

  route.path = std::string(next_word(rest));
  if (route.path.empty()) error.fail("the route has no path");
  if (route.path.front() != '/') error.fail("the path must start with '/'");

  read_access(rest, route, error);

  if (!rest.empty()) read_handler(rest, route, error);
  return route;
}

std::string format_route_spec(const RouteSpec& spec) {
  std::string text = fmt::format("{} {}", spec.method, spec.path);
  if (!spec.scheme.empty()) text += fmt::format(" auth={}", spec.scheme);
  if (!spec.policy.empty()) text += fmt::format(" policy={}", spec.policy);
  if (spec.handler != RouteSpec::HandlerKind::IdentityEcho) {
    text += fmt::format(" {}{}", prefix_of(spec.handler), spec.argument);
  }
  return text;
}

Route parse_route(std::string_view spec, std::string_view origin) {
  const RouteSpec parsed = parse_route_spec(spec, origin);
  Route route;
  route.method = parsed.method;
  route.path = parsed.path;
  route.prefix = parsed.handler == RouteSpec::HandlerKind::Folder ||
                 parsed.handler == RouteSpec::HandlerKind::Proxy ||
                 parsed.handler == RouteSpec::HandlerKind::Ocsp;
  route.scheme = parsed.scheme;
  route.policy = parsed.policy;
  try {
    route.handler = make_handler(parsed);
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{} '{}': {}", origin, spec, e.what()), e.hint());
  }
  return route;
}

Route parse_route(std::string_view spec) { return parse_route(spec, "--route"); }

std::vector<std::string> split_schemes(std::string_view schemes) {
  std::vector<std::string> names;
  if (schemes.empty()) return names;
  for (;;) {
    const size_t comma = schemes.find(',');
    names.emplace_back(trim(schemes.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    schemes.remove_prefix(comma + 1);
  }
  return names;
}

}  // namespace krtool::server
