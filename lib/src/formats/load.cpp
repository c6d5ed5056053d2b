#include "krtool/formats/load.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "krtool/error.hpp"
#include "krtool/util/files.hpp"

namespace krtool::formats {
namespace {

using ossl::UniquePtr;

constexpr std::string_view kPemBegin = "-----BEGIN ";
constexpr std::string_view kPemEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

constexpr const char* kPasswordHint =
    "give the password with --password, --password-file or --password-env (--no-password for an empty one)";
constexpr const char* kFormatsHint =
    "krtool reads PKCS#12 (.pfx/.p12), PEM (.pem/.crt, with CERTIFICATE blocks) and DER certificates "
    "(.der/.cer); check that this is the certificate and not, say, a CSR or a public key";

// Passwords holds the password for everything one load opens (the PFX, an encrypted key): the one the
// caller gave, else the answer to a single prompt, so that a user is asked at most once.
class Passwords {
 public:
  explicit Passwords(const LoadOptions& options) : known_(options.password), prompt_(options.prompt) {}

  const std::optional<std::string>& known() const { return known_; }

  // ask prompts once per load; nullopt when there is no prompt or it could not ask.
  std::optional<std::string> ask(std::string_view purpose) {
    if (asked_ || !prompt_) return std::nullopt;
    asked_ = true;
    known_ = prompt_(purpose, false);
    return known_;
  }

 private:
  std::optional<std::string> known_;
  PasswordPrompt prompt_;
  bool asked_ = false;
};

// Contents is what one file held, before the leaf is chosen.
struct Contents {
  std::vector<UniquePtr<X509>> certificates;  // file order; a PFX puts the key's certificate first
  UniquePtr<EVP_PKEY> key;
  std::vector<std::string> other_blocks;  // PEM labels krtool does not use, for messages
};

[[noreturn]] void throw_wrong_password(std::string_view what) {
  ossl::drain_errors();  // "bad decrypt" or "mac verify failure" adds nothing to "wrong password"
  throw Error(Errc::Input, fmt::format("wrong password for {}", what),
              fmt::format("check the password; {}", kPasswordHint));
}

[[noreturn]] void throw_missing_password(std::string_view what) {
  ossl::drain_errors();
  throw Error(Errc::Input, fmt::format("{} is password-protected and no password was given", what),
              kPasswordHint);
}

// Attempt tries to open a key with a password (nullopt = none) and reports whether it needed one.
template <typename Attempt>
UniquePtr<EVP_PKEY> open_key(Attempt attempt, std::string_view what, Passwords& passwords) {
  bool needed_password = false;
  if (UniquePtr<EVP_PKEY> key = attempt(passwords.known(), needed_password)) return key;
  if (!needed_password) {
    ossl::fail(Errc::Input, fmt::format("cannot read {}: it is corrupt", what),
               "the key block is damaged: export the key again");
  }
  if (passwords.known()) throw_wrong_password(what);
  ossl::drain_errors();
  const std::optional<std::string> typed = passwords.ask(what);
  if (!typed) throw_missing_password(what);
  if (UniquePtr<EVP_PKEY> key = attempt(typed, needed_password)) return key;
  throw_wrong_password(what);
}

// PemPassword is the user data of OpenSSL's PEM password callback.
struct PemPassword {
  const std::optional<std::string>* password;
  bool asked = false;
};

int pem_password_callback(char* buffer, int size, int /*rwflag*/, void* user) {
  auto* state = static_cast<PemPassword*>(user);
  state->asked = true;
  if (!state->password->has_value()) return -1;
  const std::string& password = **state->password;
  if (password.size() > static_cast<size_t>(size)) return -1;
  std::memcpy(buffer, password.data(), password.size());
  return static_cast<int>(password.size());
}

// read_pem_key opens one PEM key block: PKCS#8 plain or encrypted, or a traditional RSA/EC key,
// encrypted with a Proc-Type header or not.
UniquePtr<EVP_PKEY> read_pem_key(std::string_view block, std::string_view what, Passwords& passwords) {
  auto attempt = [block](const std::optional<std::string>& password, bool& needed_password) {
    UniquePtr<BIO> bio = ossl::memory_bio(block);
    PemPassword state{&password};
    UniquePtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, pem_password_callback, &state));
    needed_password = state.asked;
    return key;
  };
  return open_key(attempt, what, passwords);
}

// read_der_key opens a DER key: PKCS#8 or traditional, or encrypted PKCS#8 (EncryptedPrivateKeyInfo).
UniquePtr<EVP_PKEY> read_der_key(std::string_view bytes, std::string_view what, Passwords& passwords) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const long size = static_cast<long>(bytes.size());
  ERR_set_mark();
  const unsigned char* p = data;
  UniquePtr<EVP_PKEY> plain(d2i_AutoPrivateKey(nullptr, &p, size));
  if (plain) {
    ERR_pop_to_mark();
    return plain;
  }
  p = data;
  UniquePtr<X509_SIG> encrypted(d2i_X509_SIG(nullptr, &p, size));
  ERR_pop_to_mark();
  if (!encrypted) return nullptr;
  auto attempt = [&encrypted](const std::optional<std::string>& password, bool& needed_password) {
    needed_password = true;
    if (!password) return UniquePtr<EVP_PKEY>();
    UniquePtr<PKCS8_PRIV_KEY_INFO> info(
        PKCS8_decrypt(encrypted.get(), password->c_str(), static_cast<int>(password->size())));
    if (!info) return UniquePtr<EVP_PKEY>();
    return UniquePtr<EVP_PKEY>(EVP_PKCS82PKEY(info.get()));
  };
  return open_key(attempt, what, passwords);
}

// PemBlock is one "-----BEGIN LABEL-----" ... "-----END LABEL-----" block, with its lines.
struct PemBlock {
  std::string label;
  std::string_view text;
};

std::vector<PemBlock> split_pem(std::string_view bytes, std::string_view source) {
  std::vector<PemBlock> blocks;
  size_t position = 0;
  while ((position = bytes.find(kPemBegin, position)) != std::string_view::npos) {
    const size_t label_start = position + kPemBegin.size();
    const size_t label_end = bytes.find(kDashes, label_start);
    const size_t line_end = bytes.find('\n', label_start);
    if (label_end == std::string_view::npos || label_end > line_end) {
      throw Error(Errc::Input, fmt::format("'{}' has a malformed PEM BEGIN line", source),
                  "the file is damaged: export it again");
    }
    std::string label(bytes.substr(label_start, label_end - label_start));
    const std::string end_line = fmt::format("{}{}{}", kPemEnd, label, kDashes);
    const size_t end = bytes.find(end_line, label_end);
    if (end == std::string_view::npos) {
      throw Error(Errc::Input,
                  fmt::format("'{}' is truncated or corrupt: its {} block has no END line", source, label),
                  "the file was cut short: copy or export it again");
    }
    const size_t block_end = end + end_line.size();
    blocks.push_back(PemBlock{std::move(label), bytes.substr(position, block_end - position)});
    position = block_end;
  }
  return blocks;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_certificate_label(std::string_view label) {
  return label == "CERTIFICATE" || label == "X509 CERTIFICATE" || label == "TRUSTED CERTIFICATE";
}
bool is_key_label(std::string_view label) { return ends_with(label, "PRIVATE KEY"); }

UniquePtr<X509> read_pem_certificate(const PemBlock& block, std::string_view source, size_t index) {
  UniquePtr<BIO> bio = ossl::memory_bio(block.text);
  UniquePtr<X509> certificate(block.label == "TRUSTED CERTIFICATE"
                                  ? PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr)
                                  : PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!certificate) {
    ossl::fail(Errc::Input, fmt::format("certificate {} in '{}' is corrupt", index, source),
               "the PEM block is damaged: export the certificate again");
  }
  return certificate;
}

// read_pem skips the key blocks when `keys` is false: a key given with --key replaces them, and an
// encrypted one should not be decrypted (or prompted for) in vain.
Contents read_pem(std::string_view bytes, std::string_view source, Passwords& passwords, bool keys) {
  Contents contents;
  size_t certificate_index = 0;
  for (const PemBlock& block : split_pem(bytes, source)) {
    if (is_certificate_label(block.label)) {
      contents.certificates.push_back(read_pem_certificate(block, source, ++certificate_index));
    } else if (is_key_label(block.label) && keys && !contents.key) {
      contents.key = read_pem_key(block.text, fmt::format("the private key in '{}'", source), passwords);
    } else {
      contents.other_blocks.push_back(block.label);
    }
  }
  return contents;
}

bool pfx_mac_verifies(PKCS12* pfx, const char* password) {
  const int length = password == nullptr ? 0 : static_cast<int>(std::strlen(password));
  return PKCS12_verify_mac(pfx, password, length) == 1;
}

// An empty password is written two ways (no password at all, or an empty string), and files made by
// different tools use either, so both are tried.
bool pfx_opens_with(PKCS12* pfx, const std::string& password) {
  if (!PKCS12_mac_present(pfx)) return true;
  if (password.empty()) return pfx_mac_verifies(pfx, nullptr) || pfx_mac_verifies(pfx, "");
  return pfx_mac_verifies(pfx, password.c_str());
}

// pfx_password checks the MAC first, so that a wrong or missing password is told apart from a file
// that cannot be decrypted.
std::string pfx_password(PKCS12* pfx, std::string_view what, Passwords& passwords) {
  if (passwords.known()) {
    if (pfx_opens_with(pfx, *passwords.known())) return *passwords.known();
    throw_wrong_password(what);
  }
  if (pfx_opens_with(pfx, "")) return "";
  ossl::drain_errors();
  const std::optional<std::string> typed = passwords.ask(what);
  if (!typed) throw_missing_password(what);
  if (pfx_opens_with(pfx, *typed)) return *typed;
  throw_wrong_password(what);
}

struct ParsedPfx {
  bool ok = false;
  UniquePtr<EVP_PKEY> key;
  UniquePtr<X509> certificate;
  UniquePtr<STACK_OF(X509)> others;
};

ParsedPfx parse_pfx(PKCS12* pfx, const std::string& password) {
  EVP_PKEY* key = nullptr;
  X509* certificate = nullptr;
  STACK_OF(X509)* others = nullptr;
  const bool ok = PKCS12_parse(pfx, password.c_str(), &key, &certificate, &others) == 1;
  return ParsedPfx{ok, UniquePtr<EVP_PKEY>(key), UniquePtr<X509>(certificate),
                   UniquePtr<STACK_OF(X509)>(others)};
}

UniquePtr<PKCS12> decode_pfx(std::string_view bytes) {
  UniquePtr<BIO> bio = ossl::memory_bio(bytes);
  return UniquePtr<PKCS12>(d2i_PKCS12_bio(bio.get(), nullptr));
}

Contents read_pfx(std::string_view bytes, std::string_view source, Passwords& passwords) {
  const std::string what = fmt::format("PKCS#12 file '{}'", source);
  UniquePtr<PKCS12> pfx = decode_pfx(bytes);
  if (!pfx) {
    ossl::fail(Errc::Input, fmt::format("{} is truncated or corrupt", what),
               "the file was cut short or damaged: copy or export it again");
  }
  const std::string password = pfx_password(pfx.get(), what, passwords);
  ParsedPfx parsed = parse_pfx(pfx.get(), password);
  if (!parsed.ok) {
    // Files from `openssl pkcs12 -legacy`, older Windows and Java use RC2-40, which OpenSSL 3 keeps
    // in its legacy provider; the MAC already proved the password, so this is the likely cause.
    ossl::drain_errors();
    ensure_legacy_provider();
    parsed = parse_pfx(pfx.get(), password);
  }
  if (!parsed.ok) {
    ossl::fail(Errc::Input, fmt::format("cannot decrypt {}", what),
               "the file is damaged or uses an algorithm OpenSSL cannot decrypt: export it again");
  }
  Contents contents;
  contents.key = std::move(parsed.key);
  if (parsed.certificate) contents.certificates.push_back(std::move(parsed.certificate));
  // PKCS12_parse collects the other certificates in reverse file order.
  std::vector<UniquePtr<X509>> others;
  while (parsed.others && sk_X509_num(parsed.others.get()) > 0) {
    others.emplace_back(sk_X509_pop(parsed.others.get()));
  }
  for (UniquePtr<X509>& other : others) contents.certificates.push_back(std::move(other));
  return contents;
}

UniquePtr<X509> decode_der_certificate(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  return UniquePtr<X509>(d2i_X509(nullptr, &p, static_cast<long>(bytes.size())));
}

// DerHeader is the outer tag and length of DER bytes, read by hand so that truncated input can be
// recognised and described.
struct DerHeader {
  bool sequence = false;
  size_t header_size = 0;
  std::optional<size_t> content_size;  // nullopt for BER's indefinite length
};

std::optional<DerHeader> read_der_header(std::string_view bytes) {
  if (bytes.size() < 2 || static_cast<unsigned char>(bytes[0]) != 0x30) return std::nullopt;
  const auto first = static_cast<unsigned char>(bytes[1]);
  if (first < 0x80) return DerHeader{true, 2, first};
  const size_t count = first & 0x7fu;
  if (count == 0) return DerHeader{true, 2, std::nullopt};
  if (count > 4 || bytes.size() < 2 + count) return std::nullopt;
  size_t length = 0;
  for (size_t i = 0; i < count; ++i) length = (length << 8) | static_cast<unsigned char>(bytes[2 + i]);
  return DerHeader{true, 2 + count, length};
}

// A PFX starts with SEQUENCE { INTEGER 3, ... }.
bool has_pkcs12_signature(std::string_view bytes, const DerHeader& header) {
  return bytes.substr(header.header_size, 3) == std::string_view("\x02\x01\x03", 3);
}

bool holds_der_private_key(std::string_view bytes) {
  ERR_set_mark();
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* p = data;
  UniquePtr<EVP_PKEY> key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(bytes.size())));
  p = data;
  UniquePtr<X509_SIG> encrypted(key ? nullptr : d2i_X509_SIG(nullptr, &p, static_cast<long>(bytes.size())));
  ERR_pop_to_mark();
  return key || encrypted;
}

[[noreturn]] void throw_key_without_certificate(std::string_view source) {
  throw Error(Errc::Input, fmt::format("'{}' holds a private key but no certificate", source),
              fmt::format("pass the certificate as FILE and this key with --key '{}'", source));
}

// throw_unreadable explains bytes that are none of the three formats: cut short, a bare key, or
// something else entirely.
[[noreturn]] void throw_unreadable(std::string_view bytes, std::string_view source) {
  if (const std::optional<DerHeader> header = read_der_header(bytes)) {
    const bool short_read =
        header->content_size && header->header_size + *header->content_size > bytes.size();
    const std::string sizes = short_read
                                  ? fmt::format(" (it declares {} bytes but holds {})",
                                                header->header_size + *header->content_size, bytes.size())
                                  : std::string();
    if (has_pkcs12_signature(bytes, *header)) {
      throw Error(Errc::Input, fmt::format("PKCS#12 file '{}' is truncated or corrupt{}", source, sizes),
                  "the file was cut short or damaged: copy or export it again");
    }
    if (holds_der_private_key(bytes)) throw_key_without_certificate(source);
    if (short_read) {
      throw Error(Errc::Input, fmt::format("DER file '{}' is truncated{}", source, sizes),
                  "the file was cut short: copy or export it again");
    }
  }
  throw Error(Errc::Input,
              fmt::format("'{}' is not a certificate file krtool can read (PEM, PKCS#12 or DER)", source),
              kFormatsHint);
}

Contents read_contents(std::string_view bytes, std::string_view source, Passwords& passwords, bool keys) {
  const std::optional<Format> format = detect_format(bytes);
  if (!format) throw_unreadable(bytes, source);
  switch (*format) {
    case Format::Pem:
      return read_pem(bytes, source, passwords, keys);
    case Format::Pfx:
      return read_pfx(bytes, source, passwords);
    case Format::Der: {
      Contents contents;
      contents.certificates.push_back(decode_der_certificate(bytes));
      ossl::require(contents.certificates.back() != nullptr, "decoding a DER certificate", Errc::Input);
      return contents;
    }
  }
  throw_unreadable(bytes, source);
}

// read_key_file reads the file given with --key: PEM, DER, or even a PFX that holds the key.
UniquePtr<EVP_PKEY> read_key_file(std::string_view bytes, std::string_view source, Passwords& passwords) {
  const std::string what = fmt::format("the private key in '{}'", source);
  const std::optional<Format> format = detect_format(bytes);
  UniquePtr<EVP_PKEY> key;
  std::string held;
  if (format == Format::Pem) {
    for (const PemBlock& block : split_pem(bytes, source)) {
      if (is_key_label(block.label)) return read_pem_key(block.text, what, passwords);
      held += held.empty() ? block.label : ", " + block.label;
    }
  } else if (format == Format::Pfx) {
    if ((key = read_pfx(bytes, source, passwords).key)) return key;
    held = "a PKCS#12 file without a key";
  } else if (format == Format::Der) {
    held = "a DER certificate";
  } else if ((key = read_der_key(bytes, what, passwords))) {
    return key;
  }
  if (held.empty()) {
    throw Error(Errc::Input, fmt::format("key file '{}' holds no private key krtool can read", source),
                "--key takes a PEM (PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA or EC PRIVATE KEY) or DER key");
  }
  throw Error(Errc::Input, fmt::format("key file '{}' holds no private key (it holds: {})", source, held),
              "--key takes the private key file that belongs to the certificate");
}

bool same_certificate(X509* a, X509* b) { return X509_cmp(a, b) == 0; }

// order_chain puts the leaf's issuer first, then that issuer's issuer, and so on; certificates that
// are not on that path follow in file order.
std::vector<UniquePtr<X509>> order_chain(X509* leaf, std::vector<UniquePtr<X509>> rest) {
  std::vector<UniquePtr<X509>> ordered;
  X509* current = leaf;
  for (;;) {
    auto issuer = std::find_if(rest.begin(), rest.end(), [current](const UniquePtr<X509>& candidate) {
      return X509_check_issued(candidate.get(), current) == X509_V_OK;
    });
    if (issuer == rest.end()) break;
    ordered.push_back(std::move(*issuer));
    rest.erase(issuer);
    current = ordered.back().get();
  }
  for (UniquePtr<X509>& other : rest) ordered.push_back(std::move(other));
  return ordered;
}

[[noreturn]] void throw_mismatch(std::string_view certificate_source, std::string_view key_source) {
  const std::string hint =
      "a certificate and its key are made together: pass the key that was generated with this "
      "certificate (compare `openssl x509 -pubkey -noout -in CERT` with `openssl pkey -pubout -in KEY`)";
  if (key_source == certificate_source) {
    throw Error(Errc::Input,
                fmt::format("the private key in '{}' does not match any certificate in it", key_source),
                hint);
  }
  throw Error(Errc::Input,
              fmt::format("key '{}' does not match certificate '{}'", key_source, certificate_source), hint);
}

cert::CertBundle assemble(Contents contents, std::string_view source, std::string_view key_source) {
  if (contents.certificates.empty()) {
    if (contents.key && key_source == source) throw_key_without_certificate(source);
    std::string held;
    for (const std::string& label : contents.other_blocks) held += held.empty() ? label : ", " + label;
    throw Error(Errc::Input,
                held.empty() ? fmt::format("'{}' holds no certificate", source)
                             : fmt::format("'{}' holds no certificate (it holds: {})", source, held),
                kFormatsHint);
  }
  size_t leaf_index = 0;
  if (contents.key) {
    const auto match = std::find_if(contents.certificates.begin(), contents.certificates.end(),
                                    [&contents](const UniquePtr<X509>& c) {
                                      return cert::key_matches_certificate(contents.key.get(), c.get());
                                    });
    ossl::drain_errors();  // a mismatch leaves "key values mismatch" behind
    if (match == contents.certificates.end()) throw_mismatch(source, key_source);
    leaf_index = static_cast<size_t>(match - contents.certificates.begin());
  }
  cert::CertBundle bundle;
  bundle.certificate = std::move(contents.certificates[leaf_index]);
  bundle.key = std::move(contents.key);
  std::vector<UniquePtr<X509>> rest;
  for (size_t i = 0; i < contents.certificates.size(); ++i) {
    // A full-chain file repeats the leaf; the chain holds the other certificates only.
    if (i == leaf_index || same_certificate(contents.certificates[i].get(), bundle.certificate.get()))
      continue;
    rest.push_back(std::move(contents.certificates[i]));
  }
  bundle.chain = order_chain(bundle.certificate.get(), std::move(rest));
  return bundle;
}

}  // namespace

std::optional<Format> detect_format(std::string_view bytes) {
  if (bytes.find(kPemBegin) != std::string_view::npos) return Format::Pem;
  ERR_set_mark();
  const bool is_pfx = decode_pfx(bytes) != nullptr;
  const bool is_der = !is_pfx && decode_der_certificate(bytes) != nullptr;
  ERR_pop_to_mark();
  if (is_pfx) return Format::Pfx;
  if (is_der) return Format::Der;
  return std::nullopt;
}

std::string format_name(Format format) {
  switch (format) {
    case Format::Pfx:
      return "PKCS#12";
    case Format::Pem:
      return "PEM";
    case Format::Der:
      return "DER";
  }
  return "unknown";
}

cert::CertBundle load_bundle(const std::filesystem::path& path, const LoadOptions& options) {
  const std::string bytes = files::read_file(path, "certificate");
  if (options.key_path.empty() && options.sibling_key) {
    // krtool writes a PEM certificate's key beside it in <base>.key, so krtool reads it from there too.
    const std::filesystem::path sibling = files::sibling_path(path, ".key");
    if (bytes.find("-----BEGIN") != std::string::npos &&
        bytes.find("PRIVATE KEY-----") == std::string::npos && sibling != path &&
        std::filesystem::exists(sibling)) {
      LoadOptions with_key = options;
      with_key.key_path = sibling;
      return load_bundle_from_bytes(bytes, path.string(), with_key);
    }
  }
  return load_bundle_from_bytes(bytes, path.string(), options);
}

cert::CertBundle load_bundle_from_bytes(std::string_view bytes, std::string_view source,
                                        const LoadOptions& options) {
  Passwords passwords(options);
  Contents contents = read_contents(bytes, source, passwords, options.key_path.empty());
  std::string key_source(source);
  if (!options.key_path.empty()) {
    key_source = options.key_path.string();
    const std::string key_bytes = files::read_file(options.key_path, "key");
    contents.key = read_key_file(key_bytes, key_source, passwords);
  }
  return assemble(std::move(contents), source, key_source);
}

std::vector<UniquePtr<X509>> load_certificates(const std::filesystem::path& path) {
  const std::string source = path.string();
  const std::string bytes = files::read_file(path, "certificate");
  // Trust lists and chains carry no secrets, so a password-protected PFX is refused, not prompted for.
  LoadOptions options;
  Passwords passwords(options);
  Contents contents;
  const std::optional<Format> format = detect_format(bytes);
  if (format == Format::Pem) {
    size_t index = 0;
    for (const PemBlock& block : split_pem(bytes, source)) {
      if (is_certificate_label(block.label)) {
        contents.certificates.push_back(read_pem_certificate(block, source, ++index));
      }
    }
  } else if (format == Format::Pfx) {
    UniquePtr<PKCS12> pfx = decode_pfx(bytes);
    ossl::require(pfx != nullptr, "decoding a PKCS#12 file", Errc::Input);
    if (!pfx_opens_with(pfx.get(), "")) {
      ossl::drain_errors();
      throw Error(Errc::Input, fmt::format("PKCS#12 file '{}' is password-protected", source),
                  fmt::format("certificate lists are read without a password: convert it first with "
                              "krtool export '{}' --out certificates.pem --password-file FILE",
                              source));
    }
    contents = read_pfx(bytes, source, passwords);
  } else {
    contents = read_contents(bytes, source, passwords, false);
  }
  if (contents.certificates.empty()) {
    throw Error(Errc::Input, fmt::format("'{}' holds no certificate", source), kFormatsHint);
  }
  return std::move(contents.certificates);
}

void ensure_legacy_provider() {
  // Loading any provider explicitly stops OpenSSL from loading the default one implicitly, so both
  // are loaded and kept until exit.
  static std::mutex mutex;
  static UniquePtr<OSSL_PROVIDER> default_provider;
  static UniquePtr<OSSL_PROVIDER> legacy_provider;
  const std::lock_guard<std::mutex> lock(mutex);
  if (legacy_provider) return;
  UniquePtr<OSSL_PROVIDER> loaded_default(OSSL_PROVIDER_load(nullptr, "default"));
  ossl::require(loaded_default != nullptr, "loading OpenSSL's default provider");
  UniquePtr<OSSL_PROVIDER> loaded_legacy(OSSL_PROVIDER_load(nullptr, "legacy"));
  if (!loaded_legacy) {
    ossl::fail(Errc::Input,
               "loading OpenSSL's legacy provider, which legacy PKCS#12 encryption (RC2-40) needs",
               "install OpenSSL's legacy module (ossl-modules/legacy.so) or point OPENSSL_MODULES at it, "
               "or export the file again with modern encryption");
  }
  default_provider = std::move(loaded_default);
  legacy_provider = std::move(loaded_legacy);
}

}  // namespace krtool::formats
