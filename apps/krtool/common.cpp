#include "common.hpp"

#include <fmt/format.h>

#include <iostream>

namespace krtool::app {

void PasswordFlags::add_to(CLI::App* command, std::string_view flag_prefix, std::string_view what,
                           const std::string& group) {
  prefix = std::string(flag_prefix);
  const std::string p = prefix;
  auto* v = command->add_option("--" + p + "password", value, fmt::format("Password for {}", what));
  auto* f = command->add_option("--" + p + "password-file", file,
                                fmt::format("Read the password for {} from the first line of FILE", what));
  auto* e = command->add_option("--" + p + "password-env", env,
                                fmt::format("Read the password for {} from environment variable VAR", what));
  auto* n = command->add_flag("--" + p + "no-password", none, fmt::format("{} has an empty password", what));
  v->option_text("VALUE")->group(group);
  f->option_text("FILE")->group(group);
  e->option_text("VAR")->group(group);
  n->group(group);
  v->excludes(f, e, n);
  f->excludes(e, n);
  e->excludes(n);
}

PasswordSource PasswordFlags::source() const {
  if (!value.empty()) return PasswordSource::value(value, "--" + prefix + "password");
  if (!file.empty()) return PasswordSource::file(file, "--" + prefix + "password-file");
  if (!env.empty()) return PasswordSource::env(env, "--" + prefix + "password-env");
  if (none) return PasswordSource::empty("--" + prefix + "no-password");
  return {};
}

void print_json(const nlohmann::json& document) {
  std::cout << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  std::cout.flush();
}

void warn(std::string_view message) { std::cerr << "krtool: warning: " << message << '\n'; }

}  // namespace krtool::app
