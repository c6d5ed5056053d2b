#include "krtool/cert/name.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "krtool/error.hpp"
#include "util/text.hpp"

namespace krtool::cert {
namespace {

struct KeyName {
  const char* dotnet;  // the key .NET prints
  int nid;
};

// The keys .NET's X500DistinguishedName prints, in the spelling it prints them.
constexpr KeyName kKeys[] = {
    {"CN", NID_commonName},
    {"OU", NID_organizationalUnitName},
    {"O", NID_organizationName},
    {"L", NID_localityName},
    {"S", NID_stateOrProvinceName},
    {"C", NID_countryName},
    {"E", NID_pkcs9_emailAddress},
    {"STREET", NID_streetAddress},
    {"DC", NID_domainComponent},
    {"SERIALNUMBER", NID_serialNumber},
    {"T", NID_title},
    {"G", NID_givenName},
    {"SN", NID_surname},
    {"I", NID_initials},
};

using util::upper;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

// is_dotted_oid accepts what X.660 allows and nothing looser: two or more arcs of digits without
// leading zeros, the first 0, 1 or 2, the second below 40 under 0 and 1. OpenSSL's parser reads "1..2"
// as 1.0.2, which would print back as a different name.
bool is_dotted_oid(std::string_view oid) {
  constexpr size_t kLongestOid = 128;  // far beyond any registered OID; keeps a typo from growing without end
  if (oid.empty() || oid.size() > kLongestOid) return false;
  std::vector<std::string_view> arcs;
  for (size_t start = 0;;) {
    const size_t dot = oid.find('.', start);
    arcs.push_back(oid.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (arcs.size() < 2) return false;
  for (std::string_view arc : arcs) {
    if (arc.empty() || (arc.size() > 1 && arc.front() == '0')) return false;
    if (!std::all_of(arc.begin(), arc.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  }
  if (arcs[0].size() != 1 || arcs[0][0] > '2') return false;
  return arcs[0][0] == '2' || arcs[1].size() == 1 || (arcs[1].size() == 2 && arcs[1][0] < '4');
}

// object_for_key maps a .NET key (CN, OU, ...) or a dotted OID to its object. An OID OpenSSL has no
// name for is encoded as it is, without registering it in OpenSSL's global table.
ossl::UniquePtr<ASN1_OBJECT> object_for_key(std::string_view key) {
  const std::string k = upper(key);
  int nid = NID_undef;
  for (const KeyName& entry : kKeys) {
    if (k == entry.dotnet) nid = entry.nid;
  }
  if (k == "ST") nid = NID_stateOrProvinceName;
  if (k == "EMAIL" || k == "EMAILADDRESS") nid = NID_pkcs9_emailAddress;
  if (k == "GN" || k == "GIVENNAME") nid = NID_givenName;
  if (k == "TITLE") nid = NID_title;
  if (nid != NID_undef) return ossl::UniquePtr<ASN1_OBJECT>(OBJ_nid2obj(nid));
  std::string oid(key);
  if (k.rfind("OID.", 0) == 0) oid = oid.substr(4);
  if (!is_dotted_oid(oid)) return nullptr;
  ossl::UniquePtr<ASN1_OBJECT> object(OBJ_txt2obj(oid.c_str(), 1));
  if (object == nullptr) ossl::drain_errors();
  return object;
}

struct Attribute {
  std::string key;
  std::string value;
  bool joins_previous = false;  // '+' joined it to the RDN before it (a multi-valued RDN)
};

// split_attributes reads "K=V, K=\"V, with comma\"; K=V+K=V" into attributes, honouring double quotes
// (with "" inside) and backslash escapes.
std::vector<Attribute> split_attributes(std::string_view text, std::string_view flag) {
  std::vector<Attribute> out;
  std::string current;
  // quoted marks the bytes of `current` that were inside double quotes: trimming stops at them, so
  // that "CN=\" a \"" keeps its spaces. (A byte value used as a fence would eat that byte in a name.)
  std::vector<bool> quoted;
  bool in_quotes = false;
  bool joins_next = false;
  auto push = [&](char c) {
    current.push_back(c);
    quoted.push_back(in_quotes);
  };
  // trimmed is [begin, end) of `current` without the unquoted white space at either end.
  auto trimmed = [&](size_t begin, size_t end) {
    auto blank = [&](size_t i) {
      return !quoted[i] && std::isspace(static_cast<unsigned char>(current[i])) != 0;
    };
    while (begin < end && blank(begin)) ++begin;
    while (end > begin && blank(end - 1)) --end;
    return std::pair<size_t, size_t>(begin, end);
  };
  auto flush = [&](bool plus) {
    const auto [item_begin, item_end] = trimmed(0, current.size());
    const std::string_view item = std::string_view(current).substr(item_begin, item_end - item_begin);
    if (item.empty()) {
      throw Error(Errc::Usage, fmt::format("{}: empty component in '{}'", flag, text),
                  "write the name as \"CN=alice, O=Acme, C=US\"");
    }
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      throw Error(Errc::Usage, fmt::format("{}: '{}' in '{}' has no '='", flag, item, text),
                  "each component is KEY=VALUE, e.g. CN=alice");
    }
    Attribute a;
    a.key = std::string(trim(item.substr(0, eq)));
    const auto [value_begin, value_end] = trimmed(item_begin + eq + 1, item_end);
    a.value = current.substr(value_begin, value_end - value_begin);
    a.joins_previous = joins_next;
    out.push_back(std::move(a));
    current.clear();
    quoted.clear();
    joins_next = plus;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          push('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        push(c);
      }
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      push(text[++i]);
    } else if (c == ',' || c == ';') {
      flush(false);
    } else if (c == '+') {
      flush(true);
    } else {
      push(c);
    }
  }
  if (in_quotes) {
    throw Error(Errc::Usage, fmt::format("{}: unterminated quote in '{}'", flag, text), "close the \"...\"");
  }
  flush(false);
  return out;
}

std::string quote_if_needed(const std::string& value) {
  // As .NET's X500NameEncoder: quoted when it holds a separator or a quote, or begins or ends with white
  // space (space, or \t \n \v \f \r), which the parser would otherwise trim away.
  auto quotable_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  const bool special = value.empty() ? false
                                     : value.find_first_of(",+=\"\n<>#;") != std::string::npos ||
                                           quotable_space(value.front()) || quotable_space(value.back());
  if (!special) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string key_for_nid(const ASN1_OBJECT* object) {
  const int nid = OBJ_obj2nid(object);
  for (const KeyName& entry : kKeys) {
    if (nid == entry.nid) return entry.dotnet;
  }
  // Asked for its length first: a fixed buffer would cut a long OID short, and the name would print
  // as one that is not in the certificate.
  const int length = OBJ_obj2txt(nullptr, 0, object, 1);
  if (length <= 0) {
    ossl::drain_errors();
    return "OID.?";
  }
  std::string oid(static_cast<size_t>(length) + 1, '\0');
  OBJ_obj2txt(oid.data(), length + 1, object, 1);
  oid.resize(static_cast<size_t>(length));
  return "OID." + oid;
}

std::string entry_value(const X509_NAME_ENTRY* entry) {
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
  if (length < 0) {
    ossl::drain_errors();
    return {};
  }
  ossl::UniquePtr<unsigned char> owned(utf8);
  return std::string(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
}

}  // namespace

ossl::UniquePtr<X509_NAME> parse_dn(std::string_view text, std::string_view flag) {
  const std::vector<Attribute> attributes = split_attributes(text, flag);
  // Group into RDNs, then encode the last RDN first, as .NET does.
  std::vector<std::vector<const Attribute*>> rdns;
  for (const Attribute& a : attributes) {
    if (a.joins_previous && !rdns.empty()) {
      rdns.back().push_back(&a);
    } else {
      rdns.push_back({&a});
    }
  }
  ossl::UniquePtr<X509_NAME> name(X509_NAME_new());
  ossl::require(name != nullptr, "allocating a name");
  for (auto rdn = rdns.rbegin(); rdn != rdns.rend(); ++rdn) {
    bool first = true;
    for (const Attribute* a : *rdn) {
      const ossl::UniquePtr<ASN1_OBJECT> object = object_for_key(a->key);
      if (object == nullptr) {
        throw Error(Errc::Usage, fmt::format("{}: unknown name key '{}' in '{}'", flag, a->key, text),
                    "use CN, OU, O, L, S, C, E, STREET, DC, SERIALNUMBER, T, G, SN, I or a dotted OID");
      }
      const int set = first ? 0 : -1;  // -1 joins the RDN just added: a multi-valued RDN
      if (X509_NAME_add_entry_by_OBJ(name.get(), object.get(), MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(a->value.data()),
                                     static_cast<int>(a->value.size()), -1, set) != 1) {
        ossl::fail(Errc::Usage, fmt::format("{}: cannot encode {}={}", flag, a->key, a->value),
                   OBJ_obj2nid(object.get()) == NID_countryName
                       ? "C takes a two-letter country code such as US"
                       : "");
      }
      first = false;
    }
  }
  return name;
}

bool self_signed_by_name(X509* certificate) {
  return format_dn(X509_get_subject_name(certificate)) == format_dn(X509_get_issuer_name(certificate));
}

std::string format_dn(const X509_NAME* name) {
  // RDNs most specific (last) first; the attributes of a multi-valued RDN keep their encoded order.
  std::vector<std::vector<const X509_NAME_ENTRY*>> rdns;
  int previous_set = -1;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    if (rdns.empty() || X509_NAME_ENTRY_set(entry) != previous_set) rdns.emplace_back();
    previous_set = X509_NAME_ENTRY_set(entry);
    rdns.back().push_back(entry);
  }
  std::string out;
  for (auto rdn = rdns.rbegin(); rdn != rdns.rend(); ++rdn) {
    if (!out.empty()) out += ", ";
    for (size_t i = 0; i < rdn->size(); ++i) {
      if (i > 0) out += " + ";
      out += key_for_nid(X509_NAME_ENTRY_get_object((*rdn)[i]));
      out += '=';
      out += quote_if_needed(entry_value((*rdn)[i]));
    }
  }
  return out;
}

std::string common_name(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return {};
  return entry_value(X509_NAME_get_entry(name, index));
}

}  // namespace krtool::cert
