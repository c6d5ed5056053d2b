// Fixtures for the server tests: a real client certificate made by cert::create_certificate, the
// principal that the certificate scheme would make from it, and small file helpers.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/cert/builder.hpp"
#include "krtool/cert/describe.hpp"
#include "krtool/error.hpp"
#include "krtool/server/routes.hpp"
#include "server/pipeline.hpp"
#include "support/error_from.hpp"

namespace krtool::server_test {

using test::error_from;

inline cert::CertBundle make_client_certificate() {
  cert::CertificateSpec spec;
  spec.subject = "CN=alice, O=Acme";
  spec.names = {"alice.example"};
  spec.purpose = cert::Purpose::Client;
  spec.key.type = cert::KeyType::Ecdsa;  // quick to make; no test here is about the key
  return cert::create_certificate(spec);
}

// principal_for mirrors the claims of Kestrun's handler (reference §7), in its order.
inline auth::Principal principal_for(X509* certificate) {
  const cert::CertificateInfo info = cert::describe(certificate);
  return auth::Principal{"Certificate",
                         info.subject,
                         {{auth::kNameIdentifierClaim, info.subject},
                          {auth::kNameClaim, info.subject},
                          {"thumbprint", info.thumbprint},
                          {"issuer", info.issuer},
                          {"serialnumber", info.serial_number}}};
}

inline server::RequestView request(std::string method, std::string path) {
  server::RequestView view;
  view.method = std::move(method);
  view.path = std::move(path);
  return view;
}

// handle runs one request through `pipeline`, presenting `client`'s certificate when given.
inline server::PipelineOutcome handle(const server::RequestPipeline& pipeline, const std::string& method,
                                      const std::string& path, const cert::CertBundle* client = nullptr) {
  server::RequestView view = request(method, path);
  view.target = path;
  view.remote_address = "127.0.0.1";
  view.certificate = client != nullptr ? client->certificate.get() : nullptr;
  return pipeline.handle(view, nullptr);
}

// header_of is the value of a response's header `name`, "" when it has none.
inline std::string header_of(const server::HandlerResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

inline nlohmann::json body_of(const server::HandlerResponse& response) {
  return nlohmann::json::parse(response.body);
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

}  // namespace krtool::server_test
