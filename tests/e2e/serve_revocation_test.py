#!/usr/bin/python3
"""End-to-end test of Online revocation mode (the default of `krtool serve`'s authentication scheme): the
server fetches the CRL named in the client certificate's distribution point with a real HTTP GET from a
Python HTTP server on 127.0.0.1, accepts a certificate the CRL does not list, rejects one it revokes, and
keeps the CRL until its nextUpdate instead of fetching it per request. The unit tests answer the fetch
from memory (tests/unit/auth/revocation_test.cpp); this is the one test of the real GET.
"""

import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import HttpPublisher, Server, Suite, client_context, https_get, new_cert  # noqa: E402

suite = Suite("serve_revocation_test")


def make_crl(ca, revoked_serials):
    """The CA's CRL listing `revoked_serials`, valid for a day, DER as CAs publish it."""
    key = serialization.load_pem_private_key(open(ca.key, "rb").read(), password=None)
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.x509.subject)
               .last_update(now - datetime.timedelta(minutes=1)).next_update(now + datetime.timedelta(days=1)))
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build())
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_online_revocation_fetches_the_crl_over_http():
    publisher = HttpPublisher()
    try:
        w = suite.work
        ca = new_cert(w, "ca", "--ca", "--subject", "CN=Revocation E2E CA")
        server_cert = new_cert(w, "server", "--issuer", "ca.pem", "--dns", "127.0.0.1", "--purpose", "server")
        crl_url = f"{publisher.base}/ca.crl"
        alice = new_cert(w, "alice", "--issuer", "ca.pem", "--subject", "CN=alice", "--purpose", "client",
                         "--crl-url", crl_url)
        bob = new_cert(w, "bob", "--issuer", "ca.pem", "--subject", "CN=bob", "--purpose", "client",
                       "--crl-url", crl_url)
        publisher.files["/ca.crl"] = make_crl(ca, [bob.x509.serial_number])

        args = ["--cert", server_cert.pem, "--key", server_cert.key, "--client-cert-mode", "require",
                "--trust-ca", ca.pem, "--auth-trust-ca", ca.pem, "--diagnostics"]  # revocation: Online
        with Server(args, w, suite) as server:
            for round_ in (1, 2):
                response, _ = https_get(server, "/secure/cert/hello", client_context(alice, ca.pem))
                suite.eq(getattr(response, "status", response), 200, f"alice, not revoked, round {round_}: 200")
                response, _ = https_get(server, "/secure/cert/hello", client_context(bob, ca.pem))
                suite.eq(getattr(response, "status", response), 401, f"bob, revoked, round {round_}: 401")
                suite.contains(getattr(response, "headers", {}).get("krtool-auth-failure"),
                               "Revoked: certificate revoked (depth 0, 'CN=bob')", f"bob, round {round_}: the reason")
        suite.eq(publisher.requests, ["GET /ca.crl"], "one GET of the CRL, cached until its nextUpdate")
    finally:
        publisher.close()


sys.exit(suite.run([("online revocation fetches the CRL over HTTP", test_online_revocation_fetches_the_crl_over_http)],
                   only=sys.argv[1:]))
