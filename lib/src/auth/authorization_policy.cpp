#include "krtool/auth/authorization_policy.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/error.hpp"
#include "krtool/util/did_you_mean.hpp"
#include "util/text.hpp"

namespace krtool::auth {

namespace {

using util::equals_ignoring_case;
using util::lower;
using util::upper;

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// split_list splits "a, b,c" at commas, trimming each item; a backslash keeps a comma in an item.
std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::string current;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == ',') {
      current += ',';
      ++i;
    } else if (text[i] == ',') {
      items.emplace_back(trim(current));
      current.clear();
    } else {
      current += text[i];
    }
  }
  items.emplace_back(trim(current));
  return items;
}

enum class Kind { Issuer, Subject, Thumbprint, Pin, San, Eku, Claim };

struct KindName {
  Kind kind;
  std::string_view name;
  std::string_view connective;  // the optional word after the name
  std::string_view example;
};
constexpr std::array<KindName, 7> kKinds = {{
    {Kind::Issuer, "issuer", "is", "issuer is CN=Dev CA, O=Acme"},
    {Kind::Subject, "subject", "matches", "subject O=Acme, OU=ops"},
    {Kind::Thumbprint, "thumbprint", "in", "thumbprint in 3F2A…(40 hex digits)"},
    {Kind::Pin, "pin", "in", "pin in sha256//BASE64 (curl --pinnedpubkey's spelling)"},
    {Kind::San, "san", "matches", "san dns:*.acme.test, email:ops@acme.test, uri:spiffe://acme/ops"},
    {Kind::Eku, "eku", "", "eku clientAuth"},
    {Kind::Claim, "claim", "", "claim name=CN=alice"},
}};

// Attribute is one DN attribute: its OID (dotted, so that any attribute compares) and its UTF-8 value.
struct Attribute {
  std::string oid;
  std::string value;
  std::string text;  // as .NET prints it: "O=Acme"
};

std::vector<Attribute> attributes_of(const X509_NAME* name) {
  std::vector<Attribute> out;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    Attribute attribute;
    char oid[128];
    OBJ_obj2txt(oid, sizeof oid, X509_NAME_ENTRY_get_object(entry), 1);
    attribute.oid = oid;
    unsigned char* raw = nullptr;
    const int length = ASN1_STRING_to_UTF8(&raw, X509_NAME_ENTRY_get_data(entry));
    const ossl::UniquePtr<unsigned char> utf8(raw);
    ossl::require(length >= 0, "reading a name attribute", Errc::Input);
    attribute.value.assign(reinterpret_cast<const char*>(utf8.get()), static_cast<size_t>(length));
    // One attribute alone, printed by the one formatter that knows .NET's keys.
    ossl::UniquePtr<X509_NAME> single(X509_NAME_new());
    ossl::require(single != nullptr && X509_NAME_add_entry(single.get(), entry, -1, 0) == 1,
                  "copying a name attribute");
    attribute.text = cert::format_dn(single.get());
    out.push_back(std::move(attribute));
  }
  return out;
}

std::string hex_only(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ':' || c == ' ') continue;  // "3F:2A…" as openssl prints it
    out += util::upper(c);
  }
  return out;
}

// dns_matches compares case-insensitively; a pattern "*.acme.test" matches exactly one label in front.
bool dns_matches(std::string_view pattern, std::string_view name) {
  if (pattern.size() > 2 && pattern.substr(0, 2) == "*.") {
    const size_t dot = name.find('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    return equals_ignoring_case(name.substr(dot + 1), pattern.substr(2));
  }
  return equals_ignoring_case(pattern, name);
}

struct SanEntry {
  std::string kind;  // "dns", "email", "uri"
  std::string value;
};

std::vector<SanEntry> san_entries(X509* certificate) {
  std::vector<SanEntry> out;
  int critical = 0;
  ossl::UniquePtr<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, &critical, nullptr)));
  if (names == nullptr) {
    if (critical == -1) return out;
    ossl::fail(Errc::Input, "reading the certificate's subject alternative names",
               "re-issue the certificate");
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    const char* kind = name->type == GEN_DNS     ? "dns"
                       : name->type == GEN_EMAIL ? "email"
                       : name->type == GEN_URI   ? "uri"
                                                 : nullptr;
    if (kind == nullptr) continue;
    const ASN1_IA5STRING* text = name->d.ia5;
    out.push_back({kind, std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                                     static_cast<size_t>(ASN1_STRING_length(text)))});
  }
  return out;
}

std::string join_or_none(const std::vector<std::string>& items) {
  return items.empty() ? std::string("none") : fmt::format("{}", fmt::join(items, ", "));
}

}  // namespace

class AuthorizationRule {
 public:
  Kind kind;
  std::string text;                    // normalized: "subject O=Acme"
  std::vector<Attribute> attributes;   // issuer, subject
  std::vector<std::string> items;      // thumbprint, pin, san (kind:pattern), eku (OIDs)
  std::vector<std::string> item_text;  // eku: as written, for messages
  std::string claim_type, claim_value;

  RuleVerdict evaluate(X509* certificate, const Principal& principal) const {
    RuleVerdict verdict{text, false, ""};
    const auto pass = [&](std::string detail) {
      verdict.passed = true;
      verdict.detail = std::move(detail);
      return verdict;
    };
    const auto fail = [&](std::string detail) {
      verdict.detail = std::move(detail);
      return verdict;
    };
    switch (kind) {
      case Kind::Issuer: {
        const std::vector<Attribute> issuer = attributes_of(X509_get_issuer_name(certificate));
        const auto key = [](const Attribute& a) { return a.oid + '\0' + a.value; };
        std::vector<std::string> want, have;
        for (const Attribute& a : attributes) want.push_back(key(a));
        for (const Attribute& a : issuer) have.push_back(key(a));
        std::sort(want.begin(), want.end());
        std::sort(have.begin(), have.end());
        const std::string issuer_text = cert::format_dn(X509_get_issuer_name(certificate));
        if (want == have) return pass(fmt::format("the issuer is '{}'", issuer_text));
        return fail(fmt::format("the certificate's issuer is '{}'", issuer_text));
      }
      case Kind::Subject: {
        const std::vector<Attribute> subject = attributes_of(X509_get_subject_name(certificate));
        for (const Attribute& wanted : attributes) {
          std::vector<std::string> same_type;
          bool found = false;
          for (const Attribute& a : subject) {
            if (a.oid != wanted.oid) continue;
            same_type.push_back(a.text);
            found = found || a.value == wanted.value;
          }
          if (found) continue;
          const std::string key = wanted.text.substr(0, wanted.text.find('='));
          if (same_type.empty()) return fail(fmt::format("the certificate's subject has no {}", key));
          return fail(fmt::format("the certificate's subject has {}", fmt::join(same_type, ", ")));
        }
        return pass(fmt::format("the subject is '{}'", cert::format_dn(X509_get_subject_name(certificate))));
      }
      case Kind::Thumbprint: {
        const std::string thumbprint = cert::thumbprint(certificate);
        if (std::find(items.begin(), items.end(), thumbprint) != items.end())
          return pass(fmt::format("thumbprint {}", thumbprint));
        return fail(fmt::format("the certificate's thumbprint {} is not in the list", thumbprint));
      }
      case Kind::Pin: {
        const std::string pin = spki_pin(certificate);
        if (std::find(items.begin(), items.end(), pin) != items.end()) return pass(pin);
        return fail(fmt::format("the certificate's key is {}, which is not in the list", pin));
      }
      case Kind::San: {
        const std::vector<SanEntry> entries = san_entries(certificate);
        std::vector<std::string> present;
        for (const SanEntry& entry : entries) {
          present.push_back(entry.kind + ":" + entry.value);
          for (const std::string& item : items) {
            const size_t colon = item.find(':');
            const std::string_view item_kind = std::string_view(item).substr(0, colon);
            const std::string_view pattern = std::string_view(item).substr(colon + 1);
            if (item_kind != entry.kind) continue;
            const bool match = entry.kind == "dns"     ? dns_matches(pattern, entry.value)
                               : entry.kind == "email" ? equals_ignoring_case(pattern, entry.value)
                                                       : pattern == entry.value;
            if (match) return pass(fmt::format("{}:{} matches {}", entry.kind, entry.value, item));
          }
        }
        return fail(fmt::format("no subject alternative name matches; the certificate has {}",
                                join_or_none(present)));
      }
      case Kind::Eku: {
        const std::vector<std::string> present = cert::enhanced_key_usage_oids(certificate);
        std::vector<std::string> names;
        for (const std::string& oid : present) names.push_back(cert::eku_friendly_name(oid));
        for (size_t i = 0; i < items.size(); ++i) {
          if (std::find(present.begin(), present.end(), items[i]) == present.end()) {
            return fail(fmt::format("the certificate's extended key usage has no {}; it has {}", item_text[i],
                                    join_or_none(names)));
          }
        }
        return pass(fmt::format("extended key usage {}", join_or_none(names)));
      }
      case Kind::Claim: {
        std::vector<std::string> values;
        for (const Claim& claim : principal.claims) {
          const size_t slash = claim.type.find_last_of('/');
          const bool type_matches = claim.type == claim_type || (slash != std::string::npos &&
                                                                 claim.type.substr(slash + 1) == claim_type);
          if (!type_matches) continue;
          if (claim.value == claim_value) return pass(fmt::format("{}={}", claim_type, claim.value));
          values.push_back(claim.value);
        }
        if (values.empty()) return fail(fmt::format("the principal has no claim '{}'", claim_type));
        return fail(fmt::format("the principal's claim {} is '{}'", claim_type, fmt::join(values, "', '")));
      }
    }
    return fail("unknown rule");
  }
};

namespace {

struct RuleError {
  std::string_view origin;
  std::string_view policy;
  std::string_view rule;

  [[noreturn]] void fail(const std::string& problem, const std::string& hint) const {
    throw Error(Errc::Usage, fmt::format("{}: policy '{}': rule '{}': {}", origin, policy, rule, problem),
                hint);
  }
};

std::vector<std::string> kind_names() {
  std::vector<std::string> names;
  for (const KindName& entry : kKinds) names.emplace_back(entry.name);
  return names;
}

std::vector<Attribute> parse_attributes(std::string_view text, const RuleError& error, const KindName& kind) {
  if (text.find('=') == std::string_view::npos) {
    error.fail(fmt::format("'{}' is not a distinguished name", text),
               fmt::format("write '{}'", kind.example));
  }
  ossl::UniquePtr<X509_NAME> name;
  try {
    name = cert::parse_dn(text, fmt::format("{} rule", kind.name));
  } catch (const Error& e) {
    error.fail(e.what(),
               fmt::format("write '{}'; keys are CN, OU, O, L, S, C, E, DC or an OID", kind.example));
  }
  return attributes_of(name.get());
}

std::unique_ptr<AuthorizationRule> parse_rule(std::string_view text, const RuleError& error) {
  text = trim(text);
  size_t end = 0;
  while (end < text.size() && !is_space(text[end])) ++end;
  const std::string word = lower(text.substr(0, end));
  std::string_view rest = trim(text.substr(end));

  const auto found =
      std::find_if(kKinds.begin(), kKinds.end(), [&](const KindName& k) { return k.name == word; });
  if (found == kKinds.end()) {
    const std::string near = util::closest_name(word, kind_names());
    error.fail(fmt::format("'{}' is not a rule", word),
               fmt::format("{}rules are: {}", near.empty() ? "" : fmt::format("did you mean '{}'? ", near),
                           fmt::join(kind_names(), ", ")));
  }
  const KindName& kind = *found;
  // The connective word is optional: "issuer is CN=x" and "issuer CN=x" are the same rule.
  if (!kind.connective.empty() && rest.size() > kind.connective.size() &&
      equals_ignoring_case(rest.substr(0, kind.connective.size()), kind.connective) &&
      is_space(rest[kind.connective.size()])) {
    rest = trim(rest.substr(kind.connective.size()));
  }
  if (!kind.connective.empty() && equals_ignoring_case(rest, kind.connective)) rest = {};
  if (rest.empty()) error.fail("it has no value", fmt::format("write '{}'", kind.example));

  auto rule = std::make_unique<AuthorizationRule>();
  rule->kind = kind.kind;
  const std::string connective = kind.connective.empty() ? "" : std::string(kind.connective) + " ";
  rule->text = fmt::format("{} {}{}", kind.name, kind.kind == Kind::Subject ? "" : connective, rest);
  switch (kind.kind) {
    case Kind::Issuer:
    case Kind::Subject:
      rule->attributes = parse_attributes(rest, error, kind);
      break;
    case Kind::Thumbprint:
      for (const std::string& item : split_list(rest)) {
        const std::string hex = hex_only(item);
        if (hex.size() != 40 || !std::all_of(hex.begin(), hex.end(), [](char c) {
              return std::isxdigit(static_cast<unsigned char>(c));
            })) {
          error.fail(fmt::format("'{}' is not a SHA-1 thumbprint", item),
                     "give 40 hex digits, as `krtool import --json` prints in \"thumbprint\"");
        }
        rule->items.push_back(hex);
      }
      break;
    case Kind::Pin:
      for (const std::string& item : split_list(rest)) {
        std::string_view base64 = item;
        if (util::starts_with_ignoring_case(base64, "sha256//")) base64.remove_prefix(8);
        // A SHA-256 in base64 is 44 characters with one '=' of padding: 33 bytes decoded, the last zero.
        // EVP_DecodeBlock writes three bytes for every four it reads, however many: the length is
        // checked before it decodes into a buffer sized for 44.
        unsigned char digest[33];
        const int decoded =
            base64.size() == 44
                ? EVP_DecodeBlock(digest, reinterpret_cast<const unsigned char*>(base64.data()), 44)
                : -1;
        if (decoded != 33 || base64.back() != '=') {
          error.fail(fmt::format("'{}' is not a SHA-256 key pin", item),
                     "give sha256// and the base64 of the SHA-256 of the public key (44 characters), as "
                     "`openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst "
                     "-sha256 -binary | base64` prints it");
        }
        rule->items.push_back("sha256//" + std::string(base64));
      }
      break;
    case Kind::San:
      for (const std::string& item : split_list(rest)) {
        const size_t colon = item.find(':');
        const std::string prefix = colon == std::string::npos ? "" : lower(item.substr(0, colon));
        if (prefix != "dns" && prefix != "email" && prefix != "uri") {
          error.fail(fmt::format("'{}' does not say which kind of name it is", item),
                     "start each name with dns:, email: or uri:, e.g. 'san dns:*.acme.test'");
        }
        const std::string pattern = item.substr(colon + 1);
        if (pattern.empty())
          error.fail(fmt::format("'{}' has no name after the colon", item),
                     fmt::format("write '{}'", kind.example));
        if (prefix != "dns" && pattern.find('*') != std::string::npos) {
          error.fail(fmt::format("'{}': only dns: names take a wildcard", item),
                     "write the whole address or URI");
        }
        if (prefix == "dns" && pattern.find('*') != std::string::npos &&
            (pattern.rfind("*.", 0) != 0 || pattern.find('*', 1) != std::string::npos)) {
          error.fail(fmt::format("'{}': a wildcard stands only for the leftmost label", item),
                     "write dns:*.acme.test");
        }
        rule->items.push_back(prefix + ":" + pattern);
      }
      break;
    case Kind::Eku:
      for (const std::string& item : split_list(rest)) {
        ossl::UniquePtr<ASN1_OBJECT> object(OBJ_txt2obj(item.c_str(), 0));
        if (object == nullptr || item.empty()) {
          ossl::drain_errors();
          error.fail(fmt::format("'{}' is not an extended key usage", item),
                     "name one (clientAuth, serverAuth, codeSigning, emailProtection, timeStamping, "
                     "OCSPSigning) or give a dotted OID such as 1.3.6.1.5.5.7.3.2");
        }
        char oid[128];
        OBJ_obj2txt(oid, sizeof oid, object.get(), 1);
        rule->items.emplace_back(oid);
        rule->item_text.push_back(item);
      }
      break;
    case Kind::Claim: {
      const size_t equals = rest.find('=');
      if (equals == std::string_view::npos || equals == 0) {
        error.fail("it needs TYPE=VALUE", "write 'claim TYPE=VALUE', e.g. 'claim issuer=CN=Dev CA'");
      }
      rule->claim_type = std::string(trim(rest.substr(0, equals)));
      rule->claim_value = std::string(trim(rest.substr(equals + 1)));
      break;
    }
  }
  return rule;
}

bool valid_policy_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

bool PolicyVerdict::authorized() const {
  return std::all_of(rules.begin(), rules.end(), [](const RuleVerdict& r) { return r.passed; });
}

std::string PolicyVerdict::failure() const {
  for (const RuleVerdict& rule : rules) {
    if (!rule.passed) return fmt::format("policy {}: {}: {}", policy, rule.rule, rule.detail);
  }
  return "";
}

AuthorizationPolicy::AuthorizationPolicy(std::string name, const std::vector<std::string>& rules,
                                         std::string_view origin)
    : name_(std::move(name)) {
  if (!valid_policy_name(name_)) {
    throw Error(Errc::Usage, fmt::format("{}: '{}' is not a policy name", origin, name_),
                "name a policy with letters, digits, '-', '_' or '.', e.g. --policy 'ops: subject O=Acme'");
  }
  if (rules.empty()) {
    throw Error(Errc::Usage, fmt::format("{}: policy '{}' has no rule", origin, name_),
                "give at least one rule, e.g. --policy 'ops: subject O=Acme'; a route that needs only "
                "authentication takes auth= without policy=");
  }
  for (const std::string& text : rules) {
    rules_.push_back(parse_rule(text, RuleError{origin, name_, trim(text)}));
  }
}

AuthorizationPolicy::~AuthorizationPolicy() = default;
AuthorizationPolicy::AuthorizationPolicy(AuthorizationPolicy&&) noexcept = default;

std::vector<std::string> AuthorizationPolicy::rules() const {
  std::vector<std::string> texts;
  for (const auto& rule : rules_) texts.push_back(rule->text);
  return texts;
}

PolicyVerdict AuthorizationPolicy::evaluate(X509* certificate, const Principal& principal) const {
  PolicyVerdict verdict;
  verdict.policy = name_;
  for (const auto& rule : rules_) {
    if (certificate == nullptr) {
      verdict.rules.push_back({rule->text, false, "no client certificate"});
      continue;
    }
    try {
      verdict.rules.push_back(rule->evaluate(certificate, principal));
    } catch (const std::exception& e) {
      ossl::drain_errors();
      verdict.rules.push_back({rule->text, false, e.what()});
    }
  }
  return verdict;
}

AuthorizationPolicy parse_policy(std::string_view spec, std::string_view origin) {
  const size_t colon = spec.find(':');
  if (colon == std::string_view::npos) {
    throw Error(Errc::Usage, fmt::format("{} '{}': the policy has no name", origin, spec),
                "write 'NAME: RULE; RULE…', e.g. --policy 'ops: subject O=Acme; eku clientAuth'");
  }
  std::vector<std::string> rules;
  for (std::string_view rest = spec.substr(colon + 1); !rest.empty();) {
    const size_t semicolon = rest.find(';');
    const std::string_view rule = trim(rest.substr(0, semicolon));
    if (!rule.empty()) rules.emplace_back(rule);
    if (semicolon == std::string_view::npos) break;
    rest.remove_prefix(semicolon + 1);
  }
  return AuthorizationPolicy(std::string(trim(spec.substr(0, colon))), rules, origin);
}

const std::vector<std::string>& policy_rule_kinds() {
  static const std::vector<std::string> names = kind_names();
  return names;
}

std::string spki_pin(X509* certificate) {
  unsigned char* raw = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certificate), &raw);
  const ossl::UniquePtr<unsigned char> der(raw);
  ossl::require(length > 0, "encoding the certificate's public key", Errc::Input);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  ossl::require(
      EVP_Digest(der.get(), static_cast<size_t>(length), digest, &digest_length, EVP_sha256(), nullptr) == 1,
      "hashing the certificate's public key");
  unsigned char base64[64];
  const int written = EVP_EncodeBlock(base64, digest, static_cast<int>(digest_length));
  return "sha256//" + std::string(reinterpret_cast<const char*>(base64), static_cast<size_t>(written));
}

}  // namespace krtool::auth
