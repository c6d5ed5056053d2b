// krtool: every subcommand, one program.
#include "cli.hpp"
#include "command.hpp"

namespace {

using krtool::app::CommandSpec;

constexpr CommandSpec kCommands[] = {
    {"new-selfsigned", "Certificates", "make a certificate: self-signed, a CA, signed by a CA, or a dev pair",
     krtool::app::setup_new_selfsigned},
    {"new-csr", "Certificates", "make a private key and a certificate signing request",
     krtool::app::setup_new_csr},
    {"import", "Certificates", "read a PFX, PEM or DER file, check its key and describe it",
     krtool::app::setup_import},
    {"export", "Certificates", "convert a certificate between PFX, PEM and DER", krtool::app::setup_export},
    {"test-cert", "Certificates", "check a certificate's validity, chain, purpose and algorithms",
     krtool::app::setup_test_cert},
    {"serve", "Server", "run the development HTTPS server with client-certificate authentication",
     krtool::app::setup_serve},
    {"policy", "Server",
     "policy test: dry-run the TLS layer, schemes and authorization policies for a certificate",
     krtool::app::setup_policy},
    {"test-client", "Client", "call an HTTPS URL with a client certificate and explain each layer's decision",
     krtool::app::setup_test_client},
    {"new-lab", "Certificates",
     "write a lab: a CA, a server and a client per rejection path, with expectations",
     krtool::app::setup_new_lab},
    {"caroot", "Certificates", "print the folder of the persistent development root",
     krtool::app::setup_caroot},
    {"revoke", "Certificates", "revoke certificates in a development CA's database",
     krtool::app::setup_revoke},
    {"new-crl", "Certificates", "make a CRL for a development CA from its database",
     krtool::app::setup_new_crl},
    {"trust", "Certificates", "install, remove or check a CA in the system, NSS and Java trust stores",
     krtool::app::setup_trust},
    {"help", "Help", "show this list, or a command's options and examples", krtool::app::setup_help},
    {"version", "Help", "show the versions of krtool and OpenSSL", krtool::app::setup_version},
};

}  // namespace

int main(int argc, char** argv) { return krtool::app::run_cli(argc, argv, kCommands); }
