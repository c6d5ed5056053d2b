#include "krtool/cert/lab.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "krtool/cert/builder.hpp"
#include "krtool/cert/ca_database.hpp"
#include "krtool/cert/crl_builder.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/cert/dev_root.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/cert/revocation.hpp"
#include "krtool/error.hpp"
#include "krtool/util/ascii.hpp"
#include "krtool/util/files.hpp"
#include "krtool/util/time.hpp"

namespace krtool::cert {
namespace fs = std::filesystem;
namespace {

using std::chrono::days;

constexpr const char* kOrganization = "Krtool Lab";
constexpr const char* kDomain = "lab.krtool.test";
constexpr const char* kProtectedPath = "/secure/cert/hello";
constexpr const char* kRelaxed[] = {"AllowAny", "AllowSelfSignedForDevelopment",
                                    "AllowMissingOrSelfSignedForDevelopment"};

// Whether the printed serve command mounts the intermediate's CRL and OCSP responder at the addresses
// the revoked client names (serve's crl:/ocsp: handlers, issue 14). With them the client-certificate
// mode is allow, so that CRL and OCSP fetchers, which present no certificate, reach those routes; every
// lab client presents one, so the TLS layer decides each as require would.
constexpr bool kServeMountsRevocation = true;

enum class IssuedBy { Root, Intermediate, Untrusted, Itself };

// ClientPlan is one row of the lab: who the client is, what is wrong with it, and what a strict TLS
// layer says about that (empty alert: nothing, it is a good certificate).
struct ClientPlan {
  const char* name;
  const char* purpose;
  const char* person;  // CN; the e-mail and URI SANs come from its first name
  const char* unit;
  IssuedBy issuer;
  bool send_intermediate;
  const char* alert;    // a strict TLS layer's alert; "" when it accepts
  int scheme_status;    // the Certificate scheme's answer once the TLS layer let it through
  const char* problem;  // what is wrong, as a server's log would say it
  bool weak = false;    // RSA 1024
};

// The rows, in the order the lab lists them. Alerts are OpenSSL's for the chain error (what nginx,
// krtool serve and any OpenSSL server send); statuses are the Certificate scheme's (Kestrun's).
const ClientPlan kPlans[] = {
    {"valid", "a good client certificate issued by the root", "Alice Andersen", "Engineering", IssuedBy::Root,
     false, "", 200, ""},
    {"valid-chain", "a good client certificate issued by the intermediate; the intermediate is sent with it",
     "Bob Brown", "Operations", IssuedBy::Intermediate, true, "", 200, ""},
    {"missing-intermediate",
     "issued by the intermediate but sent alone: the server cannot build the chain to the root", "Carol Chen",
     "Operations", IssuedBy::Intermediate, false, "unknown_ca", 401,
     "unable to get local issuer certificate (the intermediate was not sent)"},
    {"expired", "expired yesterday", "Dave Dubois", "Engineering", IssuedBy::Root, false,
     "certificate_expired", 401, "certificate has expired"},
    {"not-yet-valid", "valid only from tomorrow", "Erin Evans", "Engineering", IssuedBy::Root, false,
     "bad_certificate", 401, "certificate is not yet valid"},
    {"server-auth-only", "extended key usage serverAuth only, no clientAuth", "Frank Fischer", "Engineering",
     IssuedBy::Root, false, "unsupported_certificate", 401,
     "unsupported certificate purpose (no Client Authentication usage)"},
    {"no-digital-signature", "key usage without digitalSignature, so it may not sign the handshake",
     "Grace Garcia", "Engineering", IssuedBy::Root, false, "unsupported_certificate", 200,
     "unsupported certificate purpose (key usage lacks digitalSignature)"},
    {"untrusted-ca", "issued by a CA the server does not trust", "Heidi Hansen", "Contractors",
     IssuedBy::Untrusted, false, "unknown_ca", 401,
     "unable to get local issuer certificate (untrusted issuer)"},
    {"self-signed", "self-signed, with the same subject as 'valid': only the issuer tells them apart",
     "Alice Andersen", "Engineering", IssuedBy::Itself, false, "unknown_ca", 401,
     "self-signed certificate (an impostor of 'valid')"},
    {"revoked", "issued by the intermediate and revoked; its CRL and OCSP addresses point at the lab's serve",
     "Ivan Ivanov", "Operations", IssuedBy::Intermediate, true, "certificate_revoked", 401,
     "certificate revoked"},
    {"weak-rsa1024", "an RSA 1024 key, below OpenSSL's default security level", "Mallory Moore", "Legacy",
     IssuedBy::Root, false, "bad_certificate", 401, "the key is too small (RSA 1024)", true},
};

std::string first_name(const std::string& person) { return util::lower(person.substr(0, person.find(' '))); }

std::string subject_of(const ClientPlan& plan) {
  return fmt::format("CN={}, OU={}, O={}, C=US", plan.person, plan.unit, kOrganization);
}

CertBundle make_ca(const std::string& name, const CertBundle* issuer) {
  CertificateSpec spec;
  spec.subject = fmt::format("CN={}, O={}", name, kOrganization);
  spec.is_ca = true;
  spec.valid_days = 3650;
  spec.key = KeySpec{KeyType::Ecdsa, 2048, Curve::P256};
  return create_certificate(spec, issuer);
}

// weak_certificate signs an RSA 1024 key, which create_certificate refuses to make: through a request
// for that key, as a CA would sign a legacy client's CSR.
CertBundle weak_certificate(const CertificateSpec& spec, const CertBundle& issuer) {
  ossl::UniquePtr<EVP_PKEY> key(EVP_RSA_gen(1024));
  ossl::require(key != nullptr, "generating an RSA 1024 key");
  ossl::UniquePtr<X509_REQ> request(X509_REQ_new());
  ossl::require(request != nullptr && X509_REQ_set_pubkey(request.get(), key.get()) == 1,
                "making a request for the RSA 1024 key");
  CertBundle bundle = sign_request(request.get(), spec, issuer);
  bundle.key = std::move(key);
  return bundle;
}

struct Made {
  const ClientPlan* plan;
  CertBundle bundle;  // chain = exactly what the client sends
};

Made make_client(const ClientPlan& plan, const CertBundle& root, const CertBundle& intermediate,
                 const CertBundle& untrusted, int port) {
  const std::string first = first_name(plan.person);
  CertificateSpec spec;
  spec.subject = subject_of(plan);
  spec.names = {fmt::format("{}@{}", first, kDomain), fmt::format("https://{}/people/{}", kDomain, first)};
  spec.purpose = Purpose::Client;
  spec.key = KeySpec{KeyType::Ecdsa, 2048, Curve::P256};
  const std::string name = plan.name;
  const TimePoint now = now_seconds();
  if (name == "expired") {
    spec.not_before = now - days(30);
    spec.not_after = now - days(1);
  } else if (name == "not-yet-valid") {
    spec.not_before = now + days(1);
    spec.not_after = now + days(31);
  } else if (name == "server-auth-only") {
    spec.purpose = Purpose::Server;
  } else if (name == "no-digital-signature") {
    spec.key_usage = KU_KEY_ENCIPHERMENT | KU_NON_REPUDIATION;
  } else if (name == "revoked") {
    spec.crl_urls = {fmt::format("https://localhost:{}/crl/intermediate.crl", port)};
    spec.ocsp_urls = {fmt::format("https://localhost:{}/ocsp/intermediate", port)};
  }
  const CertBundle* issuer = nullptr;
  switch (plan.issuer) {
    case IssuedBy::Root:
      issuer = &root;
      break;
    case IssuedBy::Intermediate:
      issuer = &intermediate;
      break;
    case IssuedBy::Untrusted:
      issuer = &untrusted;
      break;
    case IssuedBy::Itself:
      break;
  }
  Made made{&plan, plan.weak ? weak_certificate(spec, *issuer) : create_certificate(spec, issuer)};
  made.bundle.chain.clear();
  if (plan.send_intermediate) made.bundle.chain.push_back(ossl::up_ref(intermediate.certificate.get()));
  return made;
}

nlohmann::json describe_short(X509* certificate) {
  const CertificateInfo info = describe(certificate);
  return {{"subject", info.subject},
          {"issuer", info.issuer},
          {"thumbprint", info.thumbprint},
          {"thumbprintSha256", info.thumbprint_sha256},
          {"serialNumber", info.serial_number},
          {"notBefore", format_rfc3339(info.not_before)},
          {"notAfter", format_rfc3339(info.not_after)}};
}

nlohmann::json expectation(const ClientPlan& plan, const std::string& profile) {
  const bool good = std::string(plan.alert).empty();
  nlohmann::json e;
  if (profile == "strict" && !good) {
    e = {{"tls", "rejected"},
         {"alert", plan.alert},
         {"status", nullptr},
         {"outcome", "client-cert-rejected"},
         {"why", fmt::format("the TLS layer refuses it: {}", plan.problem)}};
  } else if (profile == "nginx") {
    e = {{"tls", "accepted"},
         {"alert", nullptr},
         {"status", good ? 200 : 400},
         {"outcome", good ? "ok" : "client-cert-rejected"},
         {"why", good ? std::string("a good certificate")
                      : fmt::format("nginx completes the handshake and answers 400 (its 495 'The SSL "
                                    "certificate error'): {}",
                                    plan.problem)}};
  } else {
    const int status = good ? 200 : plan.scheme_status;
    std::string why = "a good certificate";
    if (!good && status == 200) {
      // The scheme checks the extended key usage, not the key usage, as ASP.NET Core does.
      why = fmt::format(
          "the {} callback lets it through the TLS layer, and the Certificate scheme, which "
          "checks the extended key usage but not the key usage (as ASP.NET Core), accepts it: "
          "only a strict TLS layer refuses it",
          profile);
    } else if (!good) {
      why =
          fmt::format("the {} callback lets it through the TLS layer; the Certificate scheme refuses it: {}",
                      profile, plan.problem);
    }
    e = {{"tls", "accepted"},
         {"alert", nullptr},
         {"status", status},
         {"outcome", status == 200 ? "ok" : "http-status"},
         {"why", why}};
  }
  return e;
}

// LabCa is a CA of the lab with its database (ca_database.hpp): what it issued and what it revoked,
// from which its CRL is made.
struct LabCa {
  const CertBundle& bundle;
  CaDatabase db;
  explicit LabCa(const CertBundle& ca) : bundle(ca), db(ca.certificate.get()) {}

  std::string crl_pem_text(TimePoint next_update) {
    CrlSpec spec;
    spec.this_update = now_seconds() - std::chrono::minutes(5);
    spec.next_update = next_update;
    db.count_crl();  // as new-crl counts the CRLs it makes, so that the next number is higher
    spec.crl_number = db.crl_number();
    spec.revoked = db.revocations();
    return crl_pem(build_crl(bundle, spec).get());
  }
};

// Staging is the folder the lab is written into before it takes DIR's name: the lab appears whole.
class Staging {
 public:
  explicit Staging(const fs::path& dir) {
    const fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
    std::string pattern = (parent / fmt::format(".{}.tmp-XXXXXX", dir.filename().string())).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw Error(Errc::Input,
                  fmt::format("cannot make a folder beside '{}': {}", dir.string(), std::strerror(errno)),
                  "check that the parent folder exists and is writable");
    }
    path_ = pattern;
    ::chmod(path_.c_str(), 0755);
  }
  ~Staging() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  const fs::path& path() const { return path_; }

  // publish renames the staging folder to `dir`; with force an existing `dir` is moved aside first and
  // removed only once the new lab is in place.
  void publish(const fs::path& dir, bool force) {
    std::error_code error;
    fs::path old;
    if (fs::exists(dir, error)) {
      if (!force) throw Error(Errc::Usage, fmt::format("'{}' already exists", dir.string()), "add --force");
      old = path_;
      old += ".old";
      fs::rename(dir, old, error);
      if (error) {
        throw Error(Errc::Input, fmt::format("cannot replace '{}': {}", dir.string(), error.message()),
                    "check the permissions of its parent folder");
      }
    }
    fs::rename(path_, dir, error);
    if (error) {
      if (!old.empty()) fs::rename(old, dir);
      throw Error(Errc::Input, fmt::format("cannot write '{}': {}", dir.string(), error.message()),
                  "check the permissions of its parent folder");
    }
    path_.clear();
    if (!old.empty()) fs::remove_all(old, error);
  }

 private:
  fs::path path_;
};

}  // namespace

std::vector<std::string> lab_profiles() {
  std::vector<std::string> profiles = {"strict"};
  profiles.insert(profiles.end(), std::begin(kRelaxed), std::end(kRelaxed));
  profiles.push_back("nginx");
  return profiles;
}

nlohmann::json create_lab(const LabOptions& options) {
  if (options.dir.empty()) throw Error(Errc::Usage, "new-lab: no folder given", "krtool new-lab lab");
  if (options.port < 1 || options.port > 65535) {
    throw Error(Errc::Usage, fmt::format("--port {}: not a TCP port", options.port), "e.g. --port 8443");
  }
  std::error_code exists_error;
  if (fs::exists(options.dir, exists_error) && !options.force) {
    throw Error(Errc::Usage, fmt::format("'{}' already exists", options.dir.string()),
                "choose another folder, or add --force to replace the lab in it");
  }

  nlohmann::json manifest;
  manifest["version"] = 1;
  manifest["createdAt"] = format_rfc3339(now_seconds());
  manifest["password"] = kLabPassword;
  manifest["port"] = options.port;
  manifest["path"] = kProtectedPath;
  manifest["profiles"] = lab_profiles();

  CertBundle root;
  const bool development = !options.new_root;
  if (development) {
    DevelopmentRoot stored = development_root(DevelopmentRootOptions{});
    root = std::move(stored.root);
    manifest["root"] = describe_short(root.certificate.get());
    manifest["root"]["development"] = true;
    manifest["root"]["caroot"] = stored.folder.string();
  } else {
    root = make_ca("Krtool Lab Root CA", nullptr);
    manifest["root"] = describe_short(root.certificate.get());
    manifest["root"]["development"] = false;
  }
  const CertBundle intermediate = make_ca("Krtool Lab Intermediate CA", &root);
  const CertBundle untrusted = make_ca("Krtool Lab Untrusted CA", nullptr);

  CertificateSpec server_spec;
  server_spec.names = {"localhost", "127.0.0.1", "::1"};
  server_spec.subject = fmt::format("CN=localhost, O={}", kOrganization);
  server_spec.purpose = Purpose::Server;
  server_spec.key = KeySpec{KeyType::Ecdsa, 2048, Curve::P256};
  CertBundle server = create_certificate(server_spec, &intermediate);
  server.chain.resize(1);  // the intermediate; clients hold the root

  std::vector<Made> clients;
  for (const ClientPlan& plan : kPlans) {
    if (plan.weak && !options.allow_weak) continue;
    clients.push_back(make_client(plan, root, intermediate, untrusted, options.port));
  }
  // The intermediate's database records what it issued and the revocation; the development root's,
  // in KRTOOL_CAROOT, is left alone: the lab writes nothing outside DIR.
  LabCa root_ca(root), intermediate_ca(intermediate);
  intermediate_ca.db.record(server.certificate.get(), "server/server.pem");
  for (const Made& made : clients) {
    if (made.plan->issuer != IssuedBy::Intermediate && (made.plan->issuer != IssuedBy::Root || development))
      continue;
    LabCa& ca = made.plan->issuer == IssuedBy::Root ? root_ca : intermediate_ca;
    ca.db.record(made.bundle.certificate.get(), fmt::format("clients/{}.pem", made.plan->name));
    if (std::string(made.plan->name) == "revoked") {
      ca.db.revoke(serial_hex(made.bundle.certificate.get()), now_seconds() - std::chrono::minutes(1),
                   RevocationReason::KeyCompromise);
    }
  }

  Staging staging(options.dir);
  for (const char* folder : {"ca", "server", "clients", "crl"}) fs::create_directory(staging.path() / folder);
  files::OutputSet out(/*force=*/false);
  const auto add = [&](const std::string& relative, std::string bytes, files::FileMode mode,
                       std::string what) {
    out.add(staging.path() / relative, std::move(bytes), mode, std::move(what));
    return relative;
  };
  using files::FileMode;

  manifest["root"]["files"]["certificate"] =
      add("ca/root.pem", formats::encode_pem_certificate(root.certificate.get()), FileMode::Public, "root");
  if (!development) {
    manifest["root"]["files"]["key"] = add(
        "ca/root.key", formats::encode_pem_key(root.key.get(), std::nullopt), FileMode::Private, "root key");
  }
  manifest["intermediate"] = describe_short(intermediate.certificate.get());
  manifest["intermediate"]["files"] = {
      {"certificate",
       add("ca/intermediate.pem", formats::encode_pem_certificate(intermediate.certificate.get()),
           FileMode::Public, "intermediate")},
      {"key", add("ca/intermediate.key", formats::encode_pem_key(intermediate.key.get(), std::nullopt),
                  FileMode::Private, "intermediate key")}};
  manifest["untrustedCa"] = describe_short(untrusted.certificate.get());
  manifest["untrustedCa"]["files"] = {
      {"certificate", add("ca/untrusted-ca.pem", formats::encode_pem_certificate(untrusted.certificate.get()),
                          FileMode::Public, "untrusted CA")}};

  const TimePoint next_update = now_seconds() + days(30);
  manifest["crls"] = nlohmann::json::array();
  manifest["crls"].push_back(
      {{"issuer", manifest["root"]["subject"]},
       {"file", add("crl/root.crl", root_ca.crl_pem_text(next_update), FileMode::Public, "root CRL")},
       {"nextUpdate", format_rfc3339(next_update)}});
  manifest["crls"].push_back({{"issuer", manifest["intermediate"]["subject"]},
                              {"file", add("crl/intermediate.crl", intermediate_ca.crl_pem_text(next_update),
                                           FileMode::Public, "intermediate CRL")},
                              {"url", fmt::format("https://localhost:{}/crl/intermediate.crl", options.port)},
                              {"nextUpdate", format_rfc3339(next_update)}});

  manifest["intermediate"]["files"]["database"] =
      add("ca/intermediate.db.json", intermediate_ca.db.to_json(), FileMode::Public, "intermediate database");
  if (!development) {
    manifest["root"]["files"]["database"] =
        add("ca/root.db.json", root_ca.db.to_json(), FileMode::Public, "root database");
  }

  manifest["server"] = describe_short(server.certificate.get());
  manifest["server"]["names"] = server_spec.names;
  manifest["server"]["files"] = {
      {"certificate", add("server/server.pem", formats::encode_pem_certificates(server, true),
                          FileMode::Public, "server certificate")},
      {"key", add("server/server.key", formats::encode_pem_key(server.key.get(), std::nullopt),
                  FileMode::Private, "server key")},
      {"pfx", add("server/server.pfx", formats::encode_pfx(server, kLabPassword, options.pfx_profile),
                  FileMode::Private, "server PFX")}};

  manifest["clients"] = nlohmann::json::array();
  for (const Made& made : clients) {
    const std::string base = fmt::format("clients/{}", made.plan->name);
    nlohmann::json row = describe_short(made.bundle.certificate.get());
    row["name"] = made.plan->name;
    row["purpose"] = made.plan->purpose;
    row["chainSent"] = nlohmann::json::array();
    for (const auto& member : made.bundle.chain)
      row["chainSent"].push_back(format_dn(X509_get_subject_name(member.get())));
    row["files"] = {
        {"certificate", add(base + ".pem", formats::encode_pem_certificates(made.bundle, true),
                            FileMode::Public, "client certificate")},
        {"key", add(base + ".key", formats::encode_pem_key(made.bundle.key.get(), std::nullopt),
                    FileMode::Private, "client key")},
        {"encryptedKey", add(base + ".enc.key", formats::encode_pem_key(made.bundle.key.get(), kLabPassword),
                             FileMode::Private, "encrypted client key")},
        {"pfx", add(base + ".pfx", formats::encode_pfx(made.bundle, kLabPassword, options.pfx_profile),
                    FileMode::Private, "client PFX")}};
    for (const std::string& profile : lab_profiles())
      row["expected"][profile] = expectation(*made.plan, profile);
    manifest["clients"].push_back(std::move(row));
  }
  add("lab.json", manifest.dump(2) + "\n", FileMode::Public, "lab manifest");
  out.commit();
  staging.publish(options.dir, options.force);
  return manifest;
}

nlohmann::json load_lab_manifest(const fs::path& dir) {
  const fs::path file = dir / "lab.json";
  const std::string text = files::read_file(file, "lab manifest");
  nlohmann::json manifest = nlohmann::json::parse(text, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object() || !manifest.contains("clients") ||
      !manifest["clients"].is_array()) {
    throw Error(Errc::Input, fmt::format("'{}' is not a krtool lab manifest", file.string()),
                fmt::format("make the lab again: krtool new-lab {} --force", dir.string()));
  }
  return manifest;
}

std::vector<std::string> lab_serve_arguments(const nlohmann::json& manifest, const fs::path& dir,
                                             const std::string& profile) {
  const auto at = [&](const std::string& relative) { return (dir / relative).string(); };
  std::vector<std::string> args = {"serve",
                                   "--cert",
                                   at(manifest["server"]["files"]["pfx"]),
                                   "--password",
                                   manifest["password"],
                                   "--port",
                                   std::to_string(manifest["port"].get<int>()),
                                   "--client-cert-mode",
                                   kServeMountsRevocation ? "allow" : "require",
                                   "--trust-ca",
                                   at(manifest["root"]["files"]["certificate"]),
                                   "--auth-trust-ca",
                                   at(manifest["root"]["files"]["certificate"]),
                                   "--check-certificate-revocation",
                                   "--revocation-mode",
                                   "offline"};
  for (const auto& crl : manifest["crls"]) {
    args.push_back("--crl");
    args.push_back(at(crl["file"]));
  }
  args.push_back("--route");
  args.push_back(fmt::format("GET {} auth=Certificate", manifest["path"].get<std::string>()));
  if (kServeMountsRevocation) {
    const std::string intermediate = at(manifest["intermediate"]["files"]["certificate"]);
    for (const char* route : {"GET /crl/intermediate.crl crl:{}", "GET /ocsp/intermediate ocsp:{}",
                              "POST /ocsp/intermediate ocsp:{}"}) {
      args.push_back("--route");
      args.push_back(fmt::format(fmt::runtime(route), intermediate));
    }
  }
  if (profile != "strict") {
    args.push_back("--client-cert-validation");
    args.push_back(profile);
  }
  return args;
}

}  // namespace krtool::cert
