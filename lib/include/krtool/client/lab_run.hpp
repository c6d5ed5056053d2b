// test-client --lab: every client of a lab (cert/lab.hpp) against one server, each outcome compared
// with what the lab's manifest expects of that kind of server, and each difference explained in terms
// of the server's configuration.
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "krtool/client/test_client.hpp"

namespace krtool::client {

struct LabRunOptions {
  std::filesystem::path dir;
  std::string url;
  std::string profile = "strict";  // a key of the manifest's "expected" (cert::lab_profiles())
  // The server's certificate is checked against the lab's root unless cacert_file or insecure is given.
  std::filesystem::path cacert_file;
  bool insecure = false;
  std::chrono::milliseconds timeout{10'000};
};

// LabLayers is one side of a comparison: what happened (or should) at the TLS and HTTP layers.
struct LabLayers {
  bool tls_accepted = true;
  std::string alert;  // "" when none
  std::optional<int> status;
  std::string outcome;
};

struct LabRow {
  std::string name, purpose, subject;
  LabLayers expected, actual;
  std::string expected_why;
  bool pass = false;
  // skipped: this machine's OpenSSL would not send the certificate (RSA 1024 below its security
  // level), so the server was not asked; it counts as neither pass nor mismatch.
  bool skipped = false;
  std::string mismatch;   // which layer decided differently and what that says about the server
  std::string diagnosis;  // test-client's cause, for rows that did not end in 200
  TestClientReport report;
};

struct LabRun {
  std::string url, profile;
  std::vector<LabRow> rows;
  bool all_passed() const;
  bool unreachable() const;  // no client reached the server (every row connect-failed or not-tls)
};

// run_lab reads DIR/lab.json and calls `url` once per client. Throws Error(Usage) for an unknown
// profile (naming the manifest's) and Error(Input) for a missing or damaged lab.
LabRun run_lab(const LabRunOptions& options);

nlohmann::json to_json(const LabRun& run);

}  // namespace krtool::client
