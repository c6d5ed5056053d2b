#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/error.hpp"
#include "util/text.hpp"

namespace krtool::auth {
namespace {

using util::lower;

// The .NET names are the short spellings with their capitals (X509RevocationMode.NoCheck), so one
// comparison ignoring case accepts both; to_string prints the .NET one, as Kestrun's logs do.
template <typename Enum>
struct Spelling {
  Enum value;
  const char* name;    // krtool's
  const char* dotnet;  // .NET's
};
constexpr Spelling<AllowedCertificateTypes> kTypeSpellings[] = {
    {AllowedCertificateTypes::Chained, "chained", "Chained"},
    {AllowedCertificateTypes::SelfSigned, "selfsigned", "SelfSigned"},
    {AllowedCertificateTypes::All, "all", "All"}};
constexpr Spelling<RevocationMode> kRevocationSpellings[] = {{RevocationMode::NoCheck, "nocheck", "NoCheck"},
                                                             {RevocationMode::Online, "online", "Online"},
                                                             {RevocationMode::Offline, "offline", "Offline"}};

template <typename Enum, std::size_t N>
std::vector<std::string> words_of(const Spelling<Enum> (&spellings)[N]) {
  std::vector<std::string> words;
  for (const Spelling<Enum>& s : spellings) words.emplace_back(s.name);
  for (const Spelling<Enum>& s : spellings) words.emplace_back(s.dotnet);
  return words;
}

template <typename Enum, std::size_t N>
std::optional<Enum> parse_spelling(const Spelling<Enum> (&spellings)[N], std::string_view text) {
  const std::string t = lower(text);
  for (const Spelling<Enum>& s : spellings) {
    if (t == s.name) return s.value;
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string dotnet_name(const Spelling<Enum> (&spellings)[N], Enum value, std::string_view type) {
  for (const Spelling<Enum>& s : spellings) {
    if (s.value == value) return s.dotnet;
  }
  return fmt::format("{}({})", type, static_cast<int>(value));
}

}  // namespace

std::vector<std::string> allowed_types_words() { return words_of(kTypeSpellings); }
std::vector<std::string> revocation_mode_words() { return words_of(kRevocationSpellings); }

AllowedCertificateTypes parse_allowed_types(std::string_view text, std::string_view flag) {
  if (const auto types = parse_spelling(kTypeSpellings, text)) return *types;
  throw Error(Errc::Usage, fmt::format("{}: unknown certificate type '{}'", flag, text),
              "choose chained, selfsigned or all");
}

RevocationMode parse_revocation_mode(std::string_view text, std::string_view flag) {
  if (const auto mode = parse_spelling(kRevocationSpellings, text)) return *mode;
  throw Error(Errc::Usage, fmt::format("{}: unknown revocation mode '{}'", flag, text),
              "choose nocheck, online or offline");
}

std::string to_string(AllowedCertificateTypes types) {
  return dotnet_name(kTypeSpellings, types, "AllowedCertificateTypes");
}

std::string to_string(RevocationMode mode) {
  return dotnet_name(kRevocationSpellings, mode, "RevocationMode");
}

}  // namespace krtool::auth
