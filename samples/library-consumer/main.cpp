// A C++ program using the installed libkrtool (docs/library.md walks through it): it makes a CA and a
// client certificate with the library, starts the embedded development server on a free port with
// client certificates required, calls its protected route once with the test client, and stops it.
// Usage: krtool-library-consumer [FOLDER]   (FOLDER receives ca.pem, client.pem, client.key, root.pem;
// default: a new folder under the system's temporary folder)
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <krtool/cert/builder.hpp>
#include <krtool/cert/describe.hpp>
#include <krtool/client/test_client.hpp>
#include <krtool/error.hpp>
#include <krtool/formats/encode.hpp>
#include <krtool/server/build_server.hpp>
#include <krtool/server/dev_server.hpp>
#include <krtool/util/files.hpp>
#include <string>

namespace {

using krtool::files::FileMode;

std::filesystem::path make_folder(int argc, char** argv) {
  if (argc > 1) {
    std::filesystem::create_directories(argv[1]);
    return argv[1];
  }
  std::string pattern = (std::filesystem::temp_directory_path() / "krtool-consumer.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw krtool::Error(krtool::Errc::Internal, "cannot make a temporary folder from " + pattern,
                        "set TMPDIR to a writable folder, or pass one as the first argument");
  }
  return pattern;
}

int run(const std::filesystem::path& folder) {
  // 1. Certificates: a CA, and a client certificate it signs. ECDSA P-256 keys are made in a
  //    millisecond; the default, RSA 2048 as Kestrun's, takes longer.
  krtool::cert::CertificateSpec ca_spec;
  ca_spec.subject = "CN=Consumer CA";
  ca_spec.is_ca = true;
  ca_spec.key.type = krtool::cert::KeyType::Ecdsa;
  const krtool::cert::CertBundle ca = krtool::cert::create_certificate(ca_spec);
  krtool::cert::CertificateSpec client_spec;
  client_spec.subject = "CN=consumer-client";
  client_spec.purpose = krtool::cert::Purpose::Client;
  client_spec.key.type = krtool::cert::KeyType::Ecdsa;
  const krtool::cert::CertBundle client = krtool::cert::create_certificate(client_spec, &ca);
  // The library writes as krtool does: atomically, keys 0600, never over an existing file.
  krtool::files::OutputSet outputs(/*force=*/true);
  outputs.add(folder / "ca.pem", krtool::formats::encode_pem_certificate(ca.certificate.get()),
              FileMode::Public, "CA certificate");
  outputs.add(folder / "client.pem", krtool::formats::encode_pem_certificate(client.certificate.get()),
              FileMode::Public, "client certificate");
  outputs.add(folder / "client.key", krtool::formats::encode_pem_key(client.key.get(), std::nullopt),
              FileMode::Private, "client key");
  outputs.commit();
  std::cout << "certificate: CN=consumer-client issued by CN=Consumer CA, thumbprint "
            << krtool::cert::thumbprint(client.certificate.get()) << "\n";

  // 2. The server, configured as `krtool serve --self-signed --port 0 --client-cert-mode require
  //    --trust-ca ca.pem --auth-trust-ca ca.pem --revocation-mode nocheck` would be.
  krtool::server::ServeConfig config;
  config.port = 0;  // a free port, read back from server.port()
  config.self_signed = true;
  config.client_cert_mode = "require";
  config.trust_ca_files = {(folder / "ca.pem").string()};
  krtool::server::SchemeConfig scheme;
  scheme.trust_ca_files = config.trust_ca_files;
  scheme.revocation_mode = "nocheck";  // the CA publishes no CRL
  config.schemes = {scheme};
  krtool::server::BuiltServer built = krtool::server::build_server_options(
      config, /*prompt=*/nullptr,
      [](const std::string& line) { std::cerr << "server log: " << line << "\n"; });
  krtool::files::write_file(
      folder / "root.pem", krtool::formats::encode_pem_certificate(built.development_root->certificate.get()),
      FileMode::Public, /*force=*/true, "development root");
  krtool::server::DevServer server(std::move(built.options));
  server.start();
  std::cout << "server: listening on " << server.url() << "\n";

  // 3. One call to a protected route with the client certificate, trusting the server's development root.
  krtool::client::TestClientOptions call;
  call.url = server.url() + "/secure/cert/hello";
  call.cacert_file = folder / "root.pem";
  call.cert_file = folder / "client.pem";
  call.key_file = folder / "client.key";
  const krtool::client::TestClientReport report = krtool::client::run_test_client(call);
  std::cout << "call: GET /secure/cert/hello -> " << report.http.status << " ("
            << krtool::client::to_string(report.outcome) << ")\n";
  if (report.outcome != krtool::client::Outcome::Ok) {
    std::cout << "diagnosis: " << report.diagnosis.cause << "\n";
  } else if (report.http.body.find("CN=consumer-client") != std::string::npos) {
    std::cout << "the server saw our certificate: CN=consumer-client\n";
  }

  server.stop();
  std::cout << "server: stopped\n";
  return report.outcome == krtool::client::Outcome::Ok ? 0 : krtool::client::exit_code(report.outcome);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(make_folder(argc, argv));
  } catch (const krtool::Error& error) {
    std::cerr << "krtool-library-consumer: error: " << error.what() << "\n";
    if (!error.hint().empty()) std::cerr << "  hint: " << error.hint() << "\n";
    return krtool::exit_code(error.code());
  }
}
