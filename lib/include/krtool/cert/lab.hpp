// The mTLS lab (`krtool new-lab DIR`): a root and an intermediate CA, a localhost server certificate,
// and one client certificate per way a server can refuse one, each with the outcome a correct server
// gives at each layer, written with a manifest (lab.json) that `krtool test-client --lab` replays.
// The lab exists to test the rejection paths of a server, not only the happy one.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "krtool/formats/encode.hpp"

namespace krtool::cert {

// The server profiles the manifest has expectations for: "strict" (a chain without errors at the TLS
// layer, then the Certificate scheme), the three built-in relaxed callbacks (the TLS layer accepts,
// the scheme alone decides), and "nginx" (ssl_verify_client on: the handshake completes and nginx
// answers 400 for a certificate that failed verification).
std::vector<std::string> lab_profiles();

// LabExpectation is what one server profile does with one client.
struct LabExpectation {
  bool tls_accepted = true;
  std::string alert;          // the TLS alert name when refused, e.g. "unknown_ca"
  std::optional<int> status;  // the HTTP status when the handshake completed
  std::string outcome;        // test-client's outcome: "ok", "client-cert-rejected", "http-status"
  std::string why;            // what a server that gives this answer decided, in one sentence
};

struct LabOptions {
  std::filesystem::path dir;
  bool new_root = false;    // a root for this lab only, instead of the development root
  bool allow_weak = false;  // add the RSA 1024 client
  formats::PfxProfile pfx_profile = formats::PfxProfile::Modern;
  int port = 8443;  // where `krtool serve` of the lab listens: the revoked client's CRL and OCSP URLs
  bool force = false;
};

// The password of every encrypted key and PFX in a lab; it is in lab.json too: lab keys are test data.
inline constexpr const char* kLabPassword = "krtool-lab";

// create_lab makes every certificate, key, CRL and lab.json and writes them as a set: into a temporary
// folder beside DIR, renamed to DIR at the end (with force an existing DIR is replaced only then).
// Returns the manifest it wrote. Throws Error(Usage) when DIR exists without force.
nlohmann::json create_lab(const LabOptions& options);

// load_lab_manifest reads DIR/lab.json; Error(Input) naming the file when it is missing or not a lab.
nlohmann::json load_lab_manifest(const std::filesystem::path& dir);

// lab_serve_arguments are the `krtool serve` arguments (after "krtool") that serve the lab in `dir`
// strictly; a relaxed `profile` adds --client-cert-validation PROFILE.
std::vector<std::string> lab_serve_arguments(const nlohmann::json& manifest, const std::filesystem::path& dir,
                                             const std::string& profile);

}  // namespace krtool::cert
