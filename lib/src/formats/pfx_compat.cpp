// Which importers refuse a PKCS#12 file, from what each is known to read. The rules are the ones the
// PFX profiles table in docs/certificates.md states; tests/e2e/pfx_profiles_test.py checks the ones a
// real importer on Debian can confirm (OpenSSL 3 with and without -legacy, keytool).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "krtool/formats/pfx_info.hpp"

namespace krtool::formats {
namespace {

// .NET's PKCS#12 loader (since the 2023 security updates) refuses files whose key derivations add up to
// more than this many iterations unless the application raises Pkcs12UnspecifiedPasswordIterationLimit.
constexpr long kDotnetIterationLimit = 600000;

bool in_legacy_provider(const std::string& cipher) {
  return cipher.starts_with("RC2") || cipher.starts_with("RC4") || cipher == "DES-CBC";
}

std::set<std::string> ciphers_where(const PfxInfo& info, auto predicate) {
  std::set<std::string> out;
  for (const PfxBag& bag : info.bags) {
    if (!bag.encryption.cipher.empty() && predicate(bag.encryption)) out.insert(bag.encryption.cipher);
  }
  return out;
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

void refuse(ImporterVerdict& verdict, std::string reason) {
  verdict.accepts = false;
  verdict.reasons.push_back(std::move(reason));
}

}  // namespace

std::vector<ImporterVerdict> pfx_compatibility(const PfxInfo& info) {
  const std::set<std::string> legacy_ciphers =
      ciphers_where(info, [](const PfxEncryption& e) { return in_legacy_provider(e.cipher); });
  const std::set<std::string> pbes2_ciphers =
      ciphers_where(info, [](const PfxEncryption& e) { return e.scheme == "PBES2"; });
  const bool sha1_mac = !info.has_mac || info.mac_digest == "SHA-1";

  ImporterVerdict openssl{"openssl3", "OpenSSL 3 (default provider)", true, {}};
  if (!legacy_ciphers.empty()) {
    refuse(openssl, fmt::format("{} is only in OpenSSL 3's legacy provider: `openssl pkcs12 -legacy` reads "
                                "it, the default does not (\"unsupported\" / \"Algorithm (RC2-40-CBC) "
                                "unsupported\")",
                                joined(legacy_ciphers)));
  }
  ImporterVerdict openssl_legacy{"openssl3-legacy", "OpenSSL 3 with -legacy", true, {}};

  ImporterVerdict dotnet{".net", ".NET (X509Certificate2, Kestrel)", true, {}};
  long iterations = info.mac_iterations;
  for (const PfxBag& bag : info.bags) iterations += bag.encryption.iterations;
  if (iterations > kDotnetIterationLimit) {
    refuse(dotnet, fmt::format("{} iterations in all, above .NET's default limit of {} "
                               "(Pkcs12UnspecifiedPasswordIterationLimit)",
                               iterations, kDotnetIterationLimit));
  }

  ImporterVerdict java{"java", "Java keytool / KeyStore (JDK 17)", true, {}};
  const bool has_key =
      std::any_of(info.bags.begin(), info.bags.end(), [](const PfxBag& bag) { return bag.type == "key"; });
  const bool java_trusted =
      std::any_of(info.bags.begin(), info.bags.end(), [](const PfxBag& bag) { return bag.java_trusted; });
  if (info.opened && !has_key && !java_trusted) {
    refuse(java,
           "it holds certificates only, and none carries Java's trusted-key-usage attribute: keytool "
           "lists 0 entries (write it with --pfx-profile java)");
  }
  if (info.opened && info.empty_password) {
    refuse(java, "the password is empty: keytool asks for one and Java's KeyStore cannot open the keys");
  }

  ImporterVerdict macos{"macos", "macOS keychain (before macOS 14)", true, {}};
  if (!pbes2_ciphers.empty()) {
    refuse(macos, fmt::format("{} under PBES2: the macOS Security framework reads only PKCS#12 PBE (3DES, "
                              "RC2) and says the password is wrong",
                              joined(pbes2_ciphers)));
  }
  if (!sha1_mac) refuse(macos, fmt::format("the MAC uses {}: macOS checks only SHA-1 MACs", info.mac_digest));
  if (info.opened && info.empty_password) {
    refuse(macos, "the password is empty: Keychain Access refuses to import a PFX without a password");
  }

  ImporterVerdict windows{"windows-legacy", "Windows before 10 1709 / Server 2019", true, {}};
  if (!pbes2_ciphers.empty()) {
    refuse(windows, fmt::format("{} under PBES2: Windows before 10 1709 and Server 2016 read only PKCS#12 "
                                "PBE (3DES, RC2) and say the password is wrong",
                                joined(pbes2_ciphers)));
  }
  if (!sha1_mac)
    refuse(windows, fmt::format("the MAC uses {}: older Windows checks only SHA-1 MACs", info.mac_digest));

  return {openssl, openssl_legacy, dotnet, java, macos, windows};
}

nlohmann::json to_json(const std::vector<ImporterVerdict>& verdicts) {
  nlohmann::json out = nlohmann::json::array();
  for (const ImporterVerdict& verdict : verdicts) {
    out.push_back({{"id", verdict.id},
                   {"name", verdict.name},
                   {"accepts", verdict.accepts},
                   {"reasons", verdict.reasons}});
  }
  return out;
}

}  // namespace krtool::formats
