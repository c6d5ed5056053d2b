#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/error.hpp"
#include "util/text.hpp"

namespace krtool::auth {
namespace {

using util::lower;

}  // namespace

// The short spellings are the .NET names folded to lower case, so one comparison accepts both.
AllowedCertificateTypes parse_allowed_types(std::string_view text, std::string_view flag) {
  const std::string t = lower(text);
  if (t == "chained") return AllowedCertificateTypes::Chained;
  if (t == "selfsigned") return AllowedCertificateTypes::SelfSigned;
  if (t == "all") return AllowedCertificateTypes::All;
  throw Error(Errc::Usage, fmt::format("{}: unknown certificate type '{}'", flag, text),
              "choose chained, selfsigned or all");
}

RevocationMode parse_revocation_mode(std::string_view text, std::string_view flag) {
  const std::string t = lower(text);
  if (t == "nocheck") return RevocationMode::NoCheck;
  if (t == "online") return RevocationMode::Online;
  if (t == "offline") return RevocationMode::Offline;
  throw Error(Errc::Usage, fmt::format("{}: unknown revocation mode '{}'", flag, text),
              "choose nocheck, online or offline");
}

std::string to_string(AllowedCertificateTypes types) {
  switch (types) {
    case AllowedCertificateTypes::Chained:
      return "Chained";
    case AllowedCertificateTypes::SelfSigned:
      return "SelfSigned";
    case AllowedCertificateTypes::All:
      return "All";
  }
  return fmt::format("AllowedCertificateTypes({})", static_cast<int>(types));
}

std::string to_string(RevocationMode mode) {
  switch (mode) {
    case RevocationMode::NoCheck:
      return "NoCheck";
    case RevocationMode::Online:
      return "Online";
    case RevocationMode::Offline:
      return "Offline";
  }
  return fmt::format("RevocationMode({})", static_cast<int>(mode));
}

}  // namespace krtool::auth
