#include "server/ca_route.hpp"

#include <fmt/format.h>

#include <system_error>

#include "krtool/error.hpp"
#include "krtool/formats/load.hpp"
#include "krtool/util/password.hpp"

namespace krtool::server::detail {

CaRouteArgument parse_ca_route_argument(std::string_view text, std::string_view handler) {
  CaRouteArgument argument;
  size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string_view part =
        text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    if (first) {
      argument.ca = std::string(part);
      first = false;
      continue;
    }
    const size_t equals = part.find('=');
    const std::string_view name = part.substr(0, equals);
    const std::string value(equals == std::string_view::npos ? std::string_view() : part.substr(equals + 1));
    const std::string hint = fmt::format("write {}CA.pem[,password-file=FILE|,password-env=NAME]{}", handler,
                                         handler == "ocsp:" ? "[,responder=RESPONDER.pem]" : "");
    if (value.empty())
      throw Error(Errc::Usage, fmt::format("'{}' in {}{} needs a value", name, handler, text), hint);
    if (name == "responder" && handler == "ocsp:") {
      argument.responder = value;
    } else if (name == "password-file") {
      argument.password_file = value;
    } else if (name == "password-env") {
      argument.password_env = value;
    } else {
      throw Error(Errc::Usage, fmt::format("'{}' is not an option of {}", name, handler), hint);
    }
  }
  if (argument.ca.empty()) throw Error(Errc::Usage, fmt::format("{} needs the CA file", handler));
  return argument;
}

std::string format_ca_route_argument(const CaRouteArgument& argument) {
  std::string text = argument.ca;
  if (!argument.responder.empty()) text += ",responder=" + argument.responder;
  if (!argument.password_file.empty()) text += ",password-file=" + argument.password_file;
  if (!argument.password_env.empty()) text += ",password-env=" + argument.password_env;
  return text;
}

cert::CertBundle load_signing_bundle(const std::string& file, const CaRouteArgument& argument,
                                     bool with_key) {
  formats::LoadOptions load;
  if (!argument.password_file.empty()) {
    load.password = read_password(PasswordSource::file(argument.password_file, "password-file="));
  } else if (!argument.password_env.empty()) {
    load.password = read_password(PasswordSource::env(argument.password_env, "password-env="));
  }
  load.sibling_key = with_key;
  try {
    return formats::load_bundle(file, load);
  } catch (const Error& e) {
    if (load.password) throw;
    throw Error(e.code(), e.what(),
                e.hint().empty()
                    ? "an encrypted key takes its password from the route: "
                      "crl:ca.pem,password-env=CA_PASSWORD or ,password-file=FILE"
                    : e.hint() + "; in a route: crl:ca.pem,password-env=NAME or ,password-file=FILE");
  }
}

CaSource::CaSource(const CaRouteArgument& argument, bool with_key)
    : ca_file_(argument.ca), ca_(load_signing_bundle(argument.ca, argument, with_key)) {
  (void)database();
}

CaSource::Snapshot CaSource::database() const {
  const std::filesystem::path path = cert::CaDatabase::path_for(ca_file_);
  std::error_code error;
  const bool exists = std::filesystem::exists(path, error);
  const auto time =
      exists ? std::filesystem::last_write_time(path, error) : std::filesystem::file_time_type{};
  const std::uintmax_t size = exists ? std::filesystem::file_size(path, error) : 0;
  const std::lock_guard<std::mutex> lock(mutex_);
  if (current_.database && time == seen_time_ && size == seen_size_) return current_;
  std::optional<cert::CaDatabase> loaded = cert::CaDatabase::load(ca_file_, ca_.certificate.get());
  // No database yet: nothing is revoked, and nothing can be said about what was issued.
  if (!loaded) loaded.emplace(ca_.certificate.get(), false);
  current_.database = std::make_shared<const cert::CaDatabase>(std::move(*loaded));
  ++current_.generation;
  seen_time_ = time;
  seen_size_ = size;
  return current_;
}

}  // namespace krtool::server::detail
