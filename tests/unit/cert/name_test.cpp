#include "krtool/cert/name.hpp"

#include <catch2/catch.hpp>

#include "krtool/error.hpp"

using krtool::cert::format_dn;
using krtool::cert::parse_dn;

namespace {
std::string openssl_oneline(X509_NAME* name) {
  char buffer[256];
  X509_NAME_oneline(name, buffer, sizeof buffer);
  return buffer;
}
}  // namespace

TEST_CASE("a subject is encoded with its last RDN first, as .NET does", "[cert][name]") {
  auto name = parse_dn("CN=alice, O=Acme, C=US");
  CHECK(openssl_oneline(name.get()) == "/C=US/O=Acme/CN=alice");
  CHECK(format_dn(name.get()) == "CN=alice, O=Acme, C=US");
}

TEST_CASE("format_dn uses .NET's short keys and OID spelling for unknown attributes", "[cert][name]") {
  auto name =
      parse_dn("E=a@b.example, CN=x, OU=Dev, L=Paris, S=IDF, STREET=1 Main St, DC=example, 2.5.4.65=pseudo");
  CHECK(format_dn(name.get()) ==
        "E=a@b.example, CN=x, OU=Dev, L=Paris, S=IDF, STREET=1 Main St, DC=example, OID.2.5.4.65=pseudo");
}

TEST_CASE("values with separators are quoted on output and read back unchanged", "[cert][name]") {
  auto name = parse_dn(R"(CN="Smith, John", O="Acme ""Labs""")");
  const std::string text = format_dn(name.get());
  CHECK(text == R"(CN="Smith, John", O="Acme ""Labs""")");
  CHECK(format_dn(parse_dn(text).get()) == text);
}

TEST_CASE("keys are case-insensitive and ST, EMAIL are accepted as synonyms", "[cert][name]") {
  CHECK(format_dn(parse_dn("cn=a, st=Bavaria, email=x@y.example").get()) == "CN=a, S=Bavaria, E=x@y.example");
}

TEST_CASE("multi-valued RDNs join with +", "[cert][name]") {
  auto name = parse_dn("CN=a + OU=b, O=c");
  CHECK(X509_NAME_entry_count(name.get()) == 3);
  CHECK(format_dn(name.get()) == "CN=a + OU=b, O=c");
}

TEST_CASE("malformed names are usage errors that name the flag", "[cert][name]") {
  auto code_of = [](std::string_view text) {
    try {
      parse_dn(text, "--subject");
    } catch (const krtool::Error& e) {
      CHECK(std::string(e.what()).find("--subject") != std::string::npos);
      return e.code();
    }
    return krtool::Errc::Internal;
  };
  CHECK(code_of("CN") == krtool::Errc::Usage);
  CHECK(code_of("Q=x") == krtool::Errc::Usage);
  CHECK(code_of("CN=a,,O=b") == krtool::Errc::Usage);
  CHECK(code_of("CN=\"open") == krtool::Errc::Usage);
  CHECK(code_of("C=USA") == krtool::Errc::Usage);
}

// Found by fuzz/dn_fuzz.cpp: the parser fenced quoted spans with \x01 bytes and then deleted every \x01,
// so a name holding that byte lost it; and a value beginning with a carriage return printed unquoted, so
// that reading the printed name back trimmed it away.
TEST_CASE("every byte of a value survives parsing, quoted or not", "[cert][name]") {
  const std::string value = std::string("a\x01") + "b";
  auto name = parse_dn("CN=" + value + ", O=\" \x01 \"");
  CHECK(format_dn(name.get()) == "CN=" + value + ", O=\" \x01 \"");
}

TEST_CASE("values that begin or end with white space are quoted, as .NET quotes them", "[cert][name]") {
  for (const std::string space : {" ", "\t", "\n", "\v", "\f", "\r"}) {
    INFO("white space byte " << static_cast<int>(space[0]));
    auto name = parse_dn("CN=\"" + space + "lead\", O=\"trail" + space + "\"");
    const std::string text = format_dn(name.get());
    CHECK(text == "CN=\"" + space + "lead\", O=\"trail" + space + "\"");
    CHECK(format_dn(parse_dn(text).get()) == text);
  }
  // The fuzzer's input: an O= value that starts with a carriage return after bytes the parser dropped.
  const std::string found = std::string("CN=a + OU=b, O=\x01\r") + std::string(3, '\0') + " U\x04\bCC";
  const std::string text = format_dn(parse_dn(found).get());
  CHECK(format_dn(parse_dn(text).get()) == text);
}

// Found by fuzz/dn_fuzz.cpp in CI: OpenSSL reads "2.7..5" as 2.7.0.5, and the printer cut OIDs longer
// than 127 characters, so a name printed differently from what was encoded.
TEST_CASE("dotted OIDs are read strictly and printed whole", "[cert][name]") {
  const auto code_of = [](const std::string& text) {
    try {
      (void)parse_dn(text);
    } catch (const krtool::Error& e) {
      return e.code();
    }
    return krtool::Errc::Internal;
  };
  for (const char* bad : {"2.7..5=x", "2.7.5.=x", ".2.7=x", "2=x", "3.1=x", "1.40=x", "1.05=x", "OID.=x"}) {
    INFO(bad);
    CHECK(code_of(bad) == krtool::Errc::Usage);
  }
  CHECK(format_dn(parse_dn("OID.1.39=x, 2.999.1=y").get()) == "OID.1.39=x, OID.2.999.1=y");

  std::string long_oid = "1.3.6.1.4.1";
  while (long_oid.size() < 120) long_oid += ".123456";
  const std::string text = "OID." + long_oid + "=z";
  CHECK(format_dn(parse_dn(text).get()) == text);
  CHECK(code_of("OID." + long_oid + ".12345=z") == krtool::Errc::Usage);  // past 128 characters
}
