// The policy compiler: turns --client-cert-validation-code and --client-cert-validation-code-path into
// a ClientCertPolicy. C++ code is wrapped (a body becomes the contract's validate function), compiled
// once with $CXX into a shared object kept in a per-user cache, and loaded; a prebuilt .so is loaded as
// it is. The rules are documented in docs/client-certificate-authentication.md, "Writing validation code".
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "krtool/tls/policy.hpp"

namespace krtool::tls {

// ValidationCode is what serve was given: exactly one of a body (--client-cert-validation-code) and a
// file (--client-cert-validation-code-path: .cpp, .cc, .cxx or .so).
struct ValidationCode {
  std::string body;
  std::filesystem::path path;
};

// CompilerOptions: how to compile. Empty fields take their defaults from the environment.
struct CompilerOptions {
  std::vector<std::string>
      compiler;  // default: $CXX split on spaces, else "c++"; the first word is found on PATH
  std::filesystem::path cache_folder;  // default: default_cache_folder()
  std::chrono::seconds timeout{120};   // a compiler still running then is killed
};

enum class PolicyOrigin {
  Compiled,  // compiled now
  Cached,    // compiled earlier: the cache held it, no compiler ran
  Prebuilt,  // a .so the user built
};

struct LoadedPolicy {
  std::shared_ptr<const ClientCertPolicy> policy;
  PolicyOrigin origin = PolicyOrigin::Compiled;
  std::filesystem::path library;              // the shared object in use
  std::filesystem::path compiler;             // resolved, when the code is C++
  std::chrono::milliseconds compile_time{0};  // when compiled now

  // describe says where the code in force came from, for serve's start-up lines:
  // "validation code (--client-cert-validation-code): compiled with /usr/bin/c++ in 1.32 s, cached as ...".
  std::string describe() const;
};

// load_validation_code compiles (or finds in the cache) and loads the code. Errors:
//   Usage: an unsupported extension; no compiler found; the code does not compile (the compiler's
//          messages, with line numbers counted from the code's first line); the compiler timed out.
//   Input: the file cannot be read; the cache folder or the library is writable by others or not
//          yours; the library does not load or does not export krtool_validate_v1.
LoadedPolicy load_validation_code(const ValidationCode& code, const CompilerOptions& options = {});

// check_validation_language accepts --client-cert-validation-language cpp (also c++, cxx,
// case-insensitive); anything else (CSharp, VBNet) is Error(Usage).
// `name` is what the error calls the setting: the flag, or the --config key that set it.
void check_validation_language(std::string_view language,
                               std::string_view name = "--client-cert-validation-language");

// default_cache_folder is $XDG_CACHE_HOME/krtool when XDG_CACHE_HOME is an absolute path, else
// $HOME/.cache/krtool. Error(Usage) when neither variable can be used.
std::filesystem::path default_cache_folder();

// is_whole_file reports whether C++ code defines the validate function itself (a whole file) rather
// than being its body: it holds `bool validate(` (any spacing) or KRTOOL_VALIDATION_ENTRY.
bool is_whole_file(std::string_view code);

// translation_unit is the C++ that is compiled for `code`, read from `name` (the file's path, or
// "client-cert-validation-code"): for a body, the contract's function around it (after <algorithm>,
// <array>, <set>, <stdexcept> and the header's own <chrono>, <string>, <string_view>, <vector>); for a whole
// file, the header, the file, and KRTOOL_VALIDATION_ENTRY(validate) unless it has one. `#line 1 "NAME"` makes
// the compiler count lines from the code's first line.
std::string translation_unit(std::string_view code, std::string_view name);

}  // namespace krtool::tls
