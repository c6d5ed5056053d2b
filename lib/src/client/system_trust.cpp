// SSL_CTX_set_default_verify_paths loads OpenSSL's default bundle file whole (on Debian
// /usr/lib/ssl/cert.pem, which is /etc/ssl/certs/ca-certificates.crt: some 140 certificates, 30 ms
// here, more than the rest of a test-client call) and adds the hashed folder (/etc/ssl/certs), from
// which OpenSSL reads one CA by its subject hash when a chain needs it. Debian's update-ca-certificates
// writes the same CAs to both, so a hashed folder alone is enough. A bundle named in $SSL_CERT_FILE is
// still loaded, and a folder without hash links (other layouts) falls back to OpenSSL's defaults.
#include "client/system_trust.hpp"

#include <fmt/format.h>
#include <openssl/x509.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "krtool/error.hpp"
#include "krtool/ossl.hpp"

namespace krtool::client {
namespace {

// is_hash_link tells whether a file name is one of OpenSSL's hashed names: 8 hex digits, '.', a digit.
bool is_hash_link(std::string_view name) {
  if (name.size() < 10 || name[8] != '.') return false;
  for (std::size_t i = 0; i < 8; ++i) {
    if (std::isxdigit(static_cast<unsigned char>(name[i])) == 0) return false;
  }
  return name.find_first_not_of("0123456789", 9) == std::string_view::npos;
}

// has_hash_links tells whether any folder of a ':'-separated list holds a hashed name.
bool has_hash_links(std::string_view folders) {
  while (!folders.empty()) {
    const std::size_t colon = folders.find(':');
    const std::filesystem::path folder(std::string(folders.substr(0, colon)));
    folders = colon == std::string_view::npos ? std::string_view{} : folders.substr(colon + 1);
    std::error_code error;
    for (std::filesystem::directory_iterator entry(folder, error), end; !error && entry != end;
         entry.increment(error)) {
      if (is_hash_link(entry->path().filename().native())) return true;
    }
  }
  return false;
}

std::string from_environment(const char* variable, const char* fallback) {
  const char* value = std::getenv(variable);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

void use_system_trust(SSL_CTX* context) {
  const std::string folders = from_environment(X509_get_default_cert_dir_env(), X509_get_default_cert_dir());
  if (!has_hash_links(folders)) {
    ossl::require(SSL_CTX_set_default_verify_paths(context) == 1, "loading the system's trusted CAs");
    return;
  }
  X509_STORE* store = SSL_CTX_get_cert_store(context);
  ossl::require(X509_STORE_load_path(store, folders.c_str()) == 1,
                fmt::format("using the system's trusted CAs in {}", folders));
  const char* bundle = std::getenv(X509_get_default_cert_file_env());
  if (bundle != nullptr && *bundle != '\0' && X509_STORE_load_file(store, bundle) != 1) {
    ossl::fail(Errc::Input,
               fmt::format("loading the CA bundle {}={}", X509_get_default_cert_file_env(), bundle),
               "point it at a PEM file of CA certificates, unset it, or pass --cacert FILE");
  }
}

}  // namespace krtool::client
