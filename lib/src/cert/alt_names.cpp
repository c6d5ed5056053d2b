#include "krtool/cert/alt_names.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "krtool/error.hpp"

namespace krtool::cert {
namespace {

void check_dns_name(const std::string& name, std::string_view flag) {
  const bool ok = std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '*';
  });
  if (!ok) {
    throw Error(Errc::Usage,
                fmt::format("{}: '{}' is not a valid DNS name, IP address, e-mail or URI", flag, name),
                "DNS names use letters, digits, '-', '.' and a leading '*.' for a wildcard");
  }
}

GENERAL_NAME* make_general_name(const std::string& name, std::string_view flag) {
  const NameKind kind = classify_name(name);
  ossl::UniquePtr<ASN1_STRING> value;
  if (kind == NameKind::Ip) {
    value.reset(a2i_IPADDRESS(name.c_str()));
    if (value == nullptr) ossl::fail(Errc::Usage, fmt::format("{}: encoding IP address '{}'", flag, name));
  } else {
    if (kind == NameKind::Dns) check_dns_name(name, flag);
    value.reset(ASN1_IA5STRING_new());
    ossl::require(
        value != nullptr && ASN1_STRING_set(value.get(), name.data(), static_cast<int>(name.size())) == 1,
        fmt::format("encoding name '{}'", name));
  }
  GENERAL_NAME* entry = GENERAL_NAME_new();
  ossl::require(entry != nullptr, "allocating a subject alternative name");
  const int type = kind == NameKind::Ip      ? GEN_IPADD
                   : kind == NameKind::Dns   ? GEN_DNS
                   : kind == NameKind::Email ? GEN_EMAIL
                                             : GEN_URI;
  GENERAL_NAME_set0_value(entry, type, value.release());
  return entry;
}

}  // namespace

bool is_ip_address(std::string_view text) {
  const std::string terminated(text);
  unsigned char scratch[sizeof(in6_addr)];
  return inet_pton(AF_INET, terminated.c_str(), scratch) == 1 ||
         inet_pton(AF_INET6, terminated.c_str(), scratch) == 1;
}

NameKind classify_name(std::string_view name) {
  if (is_ip_address(name)) return NameKind::Ip;
  if (name.find("://") != std::string_view::npos) return NameKind::Uri;
  if (name.find('@') != std::string_view::npos) return NameKind::Email;
  return NameKind::Dns;
}

ossl::UniquePtr<GENERAL_NAMES> subject_alt_names(const std::vector<std::string>& names,
                                                 std::string_view flag) {
  ossl::UniquePtr<GENERAL_NAMES> out(sk_GENERAL_NAME_new_null());
  ossl::require(out != nullptr, "allocating subject alternative names");
  for (const std::string& name : names) {
    GENERAL_NAME* entry = make_general_name(name, flag);
    if (sk_GENERAL_NAME_push(out.get(), entry) <= 0) {
      GENERAL_NAME_free(entry);
      ossl::fail(Errc::Internal, "adding a subject alternative name");
    }
  }
  return out;
}

}  // namespace krtool::cert
