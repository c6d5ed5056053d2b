#include "krtool/tls/policy_compiler.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <regex>

#include "krtool/error.hpp"
#include "krtool/util/files.hpp"
#include "krtool/util/progress.hpp"
#include "tls/compiled_policy.hpp"
#include "tls/validation_header.hpp"
#include "util/process.hpp"
#include "util/text.hpp"

namespace fs = std::filesystem;

namespace krtool::tls {
namespace {

constexpr std::string_view kBodyName = "client-cert-validation-code";
// The compiler's messages are shown in full up to this many lines; the first errors are the ones that
// matter, later ones often follow from them.
constexpr size_t kMaxMessageLines = 60;

const std::vector<std::string>& compile_flags() {
  static const std::vector<std::string> flags = {"-std=c++17", "-O2", "-fPIC", "-shared",
                                                 "-fvisibility=hidden"};
  return flags;
}

using util::lower;

std::string flag_of(const ValidationCode& code) {
  return code.path.empty() ? "--client-cert-validation-code"
                           : fmt::format("--client-cert-validation-code-path '{}'", code.path.string());
}

std::string policy_name(const ValidationCode& code) {
  return code.path.empty() ? "validation code (--client-cert-validation-code)"
                           : fmt::format("validation code '{}'", code.path.string());
}

// A C string literal for #line: the file name as given, with quotes and backslashes escaped.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

std::string hex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0x0F]);
  }
  return out;
}

// Sha256 hashes the parts of a cache key; each part is length-prefixed so that no two different
// lists of parts hash the same bytes.
class Sha256 {
 public:
  Sha256() : context_(EVP_MD_CTX_new()) {
    ossl::require(context_ != nullptr && EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) == 1,
                  "starting a SHA-256 digest");
  }
  Sha256& add(std::string_view part) {
    const std::string length = fmt::format("{}:", part.size());
    ossl::require(EVP_DigestUpdate(context_.get(), length.data(), length.size()) == 1 &&
                      EVP_DigestUpdate(context_.get(), part.data(), part.size()) == 1,
                  "computing a SHA-256 digest");
    return *this;
  }
  std::string hex_digest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    ossl::require(EVP_DigestFinal_ex(context_.get(), digest, &length) == 1, "finishing a SHA-256 digest");
    return hex(digest, length);
  }

 private:
  ossl::UniquePtr<EVP_MD_CTX> context_;
};

struct Compiler {
  std::vector<std::string> command;  // command[0] resolved to an absolute path
  std::string identity;              // path, size and modification time, for the cache key
};

std::vector<std::string> split_on_spaces(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t end = i;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    if (end > i) words.emplace_back(text.substr(i, end - i));
    i = end;
  }
  return words;
}

Compiler find_compiler(const CompilerOptions& options, const std::string& flag) {
  std::vector<std::string> command = options.compiler;
  std::string source = "the compiler option";
  if (command.empty()) {
    const char* cxx = std::getenv("CXX");
    if (cxx != nullptr && *cxx != '\0') {
      command = split_on_spaces(cxx);
      source = fmt::format("$CXX ('{}')", cxx);
    }
  }
  if (command.empty()) {
    command = {"c++"};
    source = "c++ ($CXX is not set)";
  }
  const std::optional<fs::path> resolved = process::find_program(command.front());
  if (!resolved) {
    throw Error(
        Errc::Usage,
        fmt::format("{}: no C++ compiler to build the validation code: {} was not found or is not executable",
                    flag, source),
        "install one (apt-get install g++) or point $CXX at one; or use a built-in callback "
        "(--client-cert-validation AllowSelfSignedForDevelopment), or a prebuilt policy "
        "(--client-cert-validation-code-path policy.so)");
  }
  std::error_code ec;
  const fs::path real = fs::canonical(*resolved, ec);
  struct stat info {};
  if (ec || ::stat(real.c_str(), &info) != 0) {
    throw Error(Errc::Usage, fmt::format("{}: cannot inspect the compiler '{}'", flag, resolved->string()),
                "check $CXX");
  }
  command.front() = resolved->string();
  return Compiler{command, fmt::format("{} {} {}.{:09}", real.string(), static_cast<long long>(info.st_size),
                                       static_cast<long long>(info.st_mtim.tv_sec), info.st_mtim.tv_nsec)};
}

// prepare_cache_folder creates the folder (mode 0700) or checks that the existing one is the user's
// alone; the compiled code in it is loaded into serve.
fs::path prepare_cache_folder(const CompilerOptions& options) {
  const fs::path folder = options.cache_folder.empty() ? default_cache_folder() : options.cache_folder;
  std::error_code ec;
  fs::create_directories(folder.parent_path(), ec);
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
    throw Error(Errc::Input,
                fmt::format("cannot create the validation code cache '{}': {}", folder.string(),
                            std::strerror(errno)),
                "set $XDG_CACHE_HOME to a folder you can write to");
  }
  files::require_safe_folder(folder, "validation code cache");
  return folder;
}

// write_if_changed keeps a cache file's bytes as given, replacing it atomically when they differ.
void write_if_changed(const fs::path& path, std::string_view bytes, const std::string& what) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    try {
      if (files::read_file(path, what) == bytes) return;
    } catch (const Error&) {
      // unreadable: rewrite it
    }
  }
  files::write_file(path, std::string(bytes), files::FileMode::Private, /*force=*/true, what);
}

// include_folder writes the embedded header into the cache, so compiling never depends on where, or
// whether, krtool's headers are installed.
fs::path include_folder(const fs::path& cache) {
  const std::string_view header = validation_header_text();
  const fs::path folder = cache / fmt::format("include-{}", Sha256().add(header).hex_digest().substr(0, 16));
  std::error_code ec;
  fs::create_directories(folder / "krtool", ec);
  for (const fs::path& created : {folder, folder / "krtool"}) {
    if (!ec) fs::permissions(created, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  if (ec) {
    throw Error(Errc::Input,
                fmt::format("cannot create '{}': {}", (folder / "krtool").string(), ec.message()),
                "check the permissions of the validation code cache");
  }
  write_if_changed(folder / "krtool" / "validation.hpp", header, "validation header");
  return folder;
}

std::string message_lines(std::string_view output) {
  std::string out;
  size_t lines = 0, start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string_view::npos) end = output.size();
    if (lines == kMaxMessageLines) {
      const auto remaining = std::count(output.begin() + static_cast<long>(start), output.end(), '\n') + 1;
      out += fmt::format("\n  ... ({} more lines)", remaining);
      break;
    }
    out += fmt::format("\n  {}", output.substr(start, end - start));
    ++lines;
    start = end + 1;
  }
  return out;
}

std::atomic<unsigned> g_temp_counter{0};

void compile(const Compiler& compiler, const fs::path& source, const fs::path& include,
             const fs::path& library, const CompilerOptions& options, const std::string& flag) {
  const fs::path temp = library.parent_path() / fmt::format(".{}.{}.{}.tmp", library.filename().string(),
                                                            ::getpid(), g_temp_counter++);
  std::vector<std::string> argv = compiler.command;
  argv.insert(argv.end(), compile_flags().begin(), compile_flags().end());
  argv.push_back("-I" + include.string());
  argv.insert(argv.end(), {"-o", temp.string(), source.string()});
  const process::Outcome outcome = process::run(argv, options.timeout);
  std::error_code ec;
  if (outcome.timed_out) {
    fs::remove(temp, ec);
    throw Error(Errc::Usage,
                fmt::format("{}: the compiler did not finish within {} s", flag, options.timeout.count()),
                "check that $CXX is a working C++ compiler and that the code does not make it loop");
  }
  if (!outcome.exited || outcome.exit_status != 0) {
    fs::remove(temp, ec);
    const std::string how = outcome.exited ? fmt::format("exited with status {}", outcome.exit_status)
                                           : fmt::format("was killed by signal {}", outcome.signal);
    throw Error(Errc::Usage,
                fmt::format("{}: the validation code does not compile ({} {}):{}", flag,
                            compiler.command.front(), how, message_lines(outcome.output)),
                "fix the lines shown (numbered from the code's first line); the API is in "
                "docs/client-certificate-authentication.md, \"Writing validation code\"");
  }
  if (::chmod(temp.c_str(), 0700) != 0 || ::rename(temp.c_str(), library.c_str()) != 0) {
    const int err = errno;
    fs::remove(temp, ec);
    throw Error(Errc::Input,
                fmt::format("cannot store the compiled validation code as '{}': {}", library.string(),
                            std::strerror(err)),
                "check the permissions of the validation code cache");
  }
}

LoadedPolicy load_prebuilt(const ValidationCode& code) {
  LoadedPolicy loaded;
  loaded.origin = PolicyOrigin::Prebuilt;
  loaded.library = code.path;
  loaded.policy = load_compiled_policy(code.path, policy_name(code));
  return loaded;
}

}  // namespace

void check_validation_language(std::string_view language, std::string_view name) {
  const std::string l = lower(language);
  if (l == "cpp" || l == "c++" || l == "cxx") return;
  throw Error(Errc::Usage, fmt::format("{}: krtool compiles C++, not '{}'", name, language),
              "use --client-cert-validation-language cpp (or leave it out) and write the callback in C++");
}

fs::path default_cache_folder() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg == '/')
    return fs::path(xdg) / "krtool";  // relative values are ignored, per the XDG spec
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home == '/') return fs::path(home) / ".cache" / "krtool";
  throw Error(
      Errc::Usage,
      "no folder for the validation code cache: neither $XDG_CACHE_HOME nor $HOME is an absolute path",
      "set XDG_CACHE_HOME=/path/to/cache");
}

bool is_whole_file(std::string_view code) {
  static const std::regex kDefinesValidate(R"(\bbool\s+validate\s*\(|\bKRTOOL_VALIDATION_ENTRY\b)");
  return std::regex_search(code.begin(), code.end(), kDefinesValidate);
}

std::string translation_unit(std::string_view code, std::string_view name) {
  std::string unit = "#include <krtool/validation.hpp>\n";
  if (is_whole_file(code)) {
    static const std::regex kHasEntry(R"(\bKRTOOL_VALIDATION_ENTRY\b)");
    unit += fmt::format("#line 1 {}\n{}\n", quoted(name), code);
    if (!std::regex_search(code.begin(), code.end(), kHasEntry)) {
      unit += "#line 1 \"krtool-generated-entry\"\nKRTOOL_VALIDATION_ENTRY(validate)\n";
    }
    return unit;
  }
  // A body cannot include anything itself, so it gets the standard headers a policy commonly needs.
  unit +=
      "#include <algorithm>\n#include <array>\n#include <set>\n#include <stdexcept>\n"
      "using namespace krtool;\n"
      "static bool validate(const krtool::Certificate* certificate, const krtool::Chain& chain,\n"
      "                     krtool::SslPolicyErrors sslPolicyErrors) {\n";
  unit += fmt::format("#line 1 {}\n{}\n", quoted(name), code);
  unit += "#line 1 \"krtool-generated-entry\"\n}\nKRTOOL_VALIDATION_ENTRY(validate)\n";
  return unit;
}

std::string LoadedPolicy::describe() const {
  const std::string name = policy ? policy->name() : "validation code";
  switch (origin) {
    case PolicyOrigin::Compiled:
      return fmt::format("{}: compiled with {} in {:.2f} s, cached as {}", name, compiler.string(),
                         static_cast<double>(compile_time.count()) / 1000.0, library.string());
    case PolicyOrigin::Cached:
      return fmt::format("{}: loaded from the cache {} (compiled earlier with {}; no compiler ran)", name,
                         library.string(), compiler.string());
    case PolicyOrigin::Prebuilt:
      return fmt::format("{}: loaded the prebuilt library as it is", name);
  }
  return name;
}

LoadedPolicy load_validation_code(const ValidationCode& code, const CompilerOptions& options) {
  if (code.body.empty() == code.path.empty()) {
    throw Error(Errc::Usage, "give either validation code or a validation code file",
                "--client-cert-validation-code 'BODY' or --client-cert-validation-code-path FILE");
  }
  const std::string flag = flag_of(code);
  std::string text = code.body;
  std::string name(kBodyName);
  if (!code.path.empty()) {
    const std::string extension = lower(code.path.extension().string());
    if (extension == ".so") return load_prebuilt(code);
    if (extension != ".cpp" && extension != ".cc" && extension != ".cxx") {
      throw Error(
          Errc::Usage,
          fmt::format(
              "{}: unsupported extension '{}'; krtool compiles .cpp, .cc and .cxx files and loads .so files",
              flag, code.path.extension().string()),
          "write the callback in C++ (.cpp, .cc, .cxx), or give a shared object (.so) built with "
          "KRTOOL_VALIDATION_ENTRY");
    }
    text = files::read_file(code.path, "validation code");
    name = code.path.string();
  }

  const Compiler compiler = find_compiler(options, flag);
  const std::string unit = translation_unit(text, name);
  Sha256 key;
  key.add("krtool validation code").add(unit).add(validation_header_text()).add(compiler.identity);
  for (const std::string& word : compiler.command) key.add(word);
  for (const std::string& f : compile_flags()) key.add(f);
  const std::string digest = key.hex_digest();

  const fs::path cache = prepare_cache_folder(options);
  const fs::path library = cache / (digest + ".so");
  LoadedPolicy loaded;
  loaded.library = library;
  loaded.compiler = compiler.command.front();
  std::error_code ec;
  if (fs::exists(library, ec)) {
    loaded.origin = PolicyOrigin::Cached;
  } else {
    const auto started = std::chrono::steady_clock::now();
    const fs::path source = cache / (digest + ".cpp");
    write_if_changed(source, unit, "generated validation source");
    const progress::Step step(fmt::format("compiling the validation code ({})", flag));
    compile(compiler, source, include_folder(cache), library, options, flag);
    loaded.origin = PolicyOrigin::Compiled;
    loaded.compile_time =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  }
  loaded.policy = load_compiled_policy(library, policy_name(code));
  return loaded;
}

}  // namespace krtool::tls
