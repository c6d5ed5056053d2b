#!/usr/bin/python3
"""End-to-end test of the development CA's revocation loop with krtool alone and openssl as the judge:
new-selfsigned --ca starts a database, --issuer records into it, revoke marks a client revoked, new-crl
makes a CRL that `openssl crl -verify` accepts and `openssl verify -crl_check` applies, and serve's
crl: and ocsp: routes publish the same state on loopback, to `curl` + `openssl crl` and `openssl ocsp`.
"""

import base64
import json
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import Server, Suite, run_krtool  # noqa: E402

suite = Suite("revoke_test")
W = suite.work


def krtool(*args):
    return run_krtool(list(args), W)


def openssl(*args):
    return subprocess.run(["openssl", *args], cwd=W, capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


def make_ca_and_clients():
    ok = krtool("new-selfsigned", "--ca", "--subject", "CN=Revoke E2E CA", "--key-type", "ecdsa", "--out", "ca.pem")
    suite.eq(ok.returncode, 0, f"make the CA: {ok.stderr}")
    suite.check(os.path.exists(os.path.join(W, "ca.db.json")), "new-selfsigned --ca starts ca.db.json")
    for name in ("alice", "bob"):
        ok = krtool("new-selfsigned", "--issuer", "ca.pem", "--subject", f"CN={name}", "--key-type", "ecdsa",
                    "--purpose", "client", "--out", f"{name}.pem")
        suite.eq(ok.returncode, 0, f"issue {name}: {ok.stderr}")
    db = json.load(open(os.path.join(W, "ca.db.json")))
    suite.eq([entry["subject"] for entry in db["issued"]], ["CN=alice", "CN=bob"], "the database lists both clients")
    suite.eq(db["issued"][0]["file"], "alice.pem", "with the file each went to")


def test_revoke_and_new_crl():
    make_ca_and_clients()
    revoked = krtool("revoke", "--issuer", "ca.pem", "bob.pem", "--reason", "keyCompromise", "--json")
    suite.eq(revoked.returncode, 0, f"revoke bob: {revoked.stderr}")
    record = json.loads(revoked.stdout)["revoked"][0]
    suite.eq((record["subject"], record["reason"]), ("CN=bob", "keyCompromise"), "--json prints the record")
    bob_serial = openssl("x509", "-in", "bob.pem", "-noout", "-serial").stdout.strip().split("=")[1]
    suite.eq(record["serial"], bob_serial, "the serial as openssl prints it")

    again = krtool("revoke", "--issuer", "ca.pem", bob_serial)
    suite.eq(again.returncode, 3, "revoking twice is exit 3")
    suite.contains(again.stderr, "already revoked", "and says so")
    never = krtool("revoke", "--issuer", "ca.pem", "0x0abcdef0")
    suite.eq(never.returncode, 3, "a serial the CA never issued is exit 3")
    suite.contains(never.stderr, "never issued serial 0ABCDEF0", "and says which")
    other = krtool("new-selfsigned", "--ca", "--subject", "CN=Other CA", "--key-type", "ecdsa", "--out", "other.pem")
    suite.eq(other.returncode, 0, "make another CA")
    stranger = krtool("revoke", "--issuer", "other.pem", "alice.pem")
    suite.eq(stranger.returncode, 3, "a certificate of another CA is exit 3")
    suite.contains(stranger.stderr, "not issued by CA 'CN=Other CA'", "and names the CA")

    made = krtool("new-crl", "--issuer", "ca.pem", "--next-update", "7d", "--out", "ca.crl", "--json")
    suite.eq(made.returncode, 0, f"new-crl: {made.stderr}")
    first_number = json.loads(made.stdout)["crlNumber"]
    verified = openssl("crl", "-in", "ca.crl", "-inform", "DER", "-noout", "-verify", "-CAfile", "ca.pem")
    suite.contains(verified.stderr + verified.stdout, "verify OK", "openssl crl -verify accepts the CRL")
    text = openssl("crl", "-in", "ca.crl", "-inform", "DER", "-noout", "-text").stdout
    suite.contains(text, f"Serial Number: {bob_serial}", "the CRL lists bob")
    suite.contains(text, "Key Compromise", "with his reason")
    pem = openssl("crl", "-in", "ca.crl", "-inform", "DER", "-out", "ca-crl.pem")
    suite.eq(pem.returncode, 0, "convert the CRL to PEM for openssl verify")
    alice_ok = openssl("verify", "-crl_check", "-CAfile", "ca.pem", "-CRLfile", "ca-crl.pem", "alice.pem")
    suite.eq(alice_ok.returncode, 0, f"openssl verify -crl_check accepts alice: {alice_ok.stdout}{alice_ok.stderr}")
    bob_refused = openssl("verify", "-crl_check", "-CAfile", "ca.pem", "-CRLfile", "ca-crl.pem", "bob.pem")
    suite.check(bob_refused.returncode != 0, "openssl verify -crl_check refuses bob")
    suite.contains(bob_refused.stdout + bob_refused.stderr, "certificate revoked", "because he is revoked")

    second = krtool("new-crl", "--issuer", "ca.pem", "--out", "ca2.pem", "--json")
    suite.eq(second.returncode, 0, f"a second CRL, PEM by extension: {second.stderr}")
    suite.check(json.loads(second.stdout)["crlNumber"] > first_number, "its CRL number is larger")
    suite.contains(open(os.path.join(W, "ca2.pem")).read(), "-----BEGIN X509 CRL-----", "and it is PEM")
    exists = krtool("new-crl", "--issuer", "ca.pem", "--out", "ca.crl")
    suite.eq(exists.returncode, 2, "an existing CRL is not overwritten without --force")


def ocsp_status(server, certificate, *extra):
    return openssl("ocsp", "-issuer", "ca.pem", "-cert", certificate, "-url", f"http://127.0.0.1:{server.port}/ocsp",
                   "-CAfile", "ca.pem", *extra)


def test_serve_publishes_crl_and_ocsp():
    routes = ["--route", "GET /crl crl:ca.pem", "--route", "* /ocsp ocsp:ca.pem"]
    with Server(routes, W, suite) as server:
        suite.contains("\n".join(server.stderr_lines), "route: * /ocsp* -> public", "the responder is a public prefix route")
        fetched = subprocess.run(["curl", "-sS", "-o", "served.crl", "-w", "%{content_type}",
                                  f"http://127.0.0.1:{server.port}/crl"], cwd=W, capture_output=True, text=True,
                                 timeout=30)
        suite.eq(fetched.stdout, "application/pkix-crl", "the CRL is served as application/pkix-crl")
        verified = openssl("crl", "-in", "served.crl", "-inform", "DER", "-noout", "-verify", "-CAfile", "ca.pem")
        suite.contains(verified.stderr + verified.stdout, "verify OK", "openssl crl -verify accepts the served CRL")
        suite.contains(openssl("crl", "-in", "served.crl", "-inform", "DER", "-noout", "-text").stdout,
                       "Key Compromise", "it lists bob's revocation")

        good = ocsp_status(server, "alice.pem")
        suite.contains(good.stderr, "Response verify OK", "openssl ocsp verifies the answer for alice")
        suite.contains(good.stdout, "alice.pem: good", "alice is good")
        revoked = ocsp_status(server, "bob.pem")
        suite.contains(revoked.stderr, "Response verify OK", "openssl ocsp verifies the answer for bob")
        suite.contains(revoked.stdout, "bob.pem: revoked", "bob is revoked")
        suite.contains(revoked.stdout, "Reason: keyCompromise", "with the reason")
        # GET (RFC 6960 A.1): the DER request, base64 and URL-encoded, after the route's path.
        openssl("ocsp", "-issuer", "ca.pem", "-cert", "alice.pem", "-no_nonce", "-reqout", "req.der")
        encoded = urllib.parse.quote(base64.b64encode(open(os.path.join(W, "req.der"), "rb").read()).decode(), safe="")
        subprocess.run(["curl", "-sS", "-o", "get.der", f"http://127.0.0.1:{server.port}/ocsp/{encoded}"], cwd=W,
                       timeout=30)
        by_get = openssl("ocsp", "-respin", "get.der", "-issuer", "ca.pem", "-cert", "alice.pem", "-CAfile", "ca.pem",
                         "-no_nonce")
        suite.contains(by_get.stderr, "Response verify OK", "a GET request is answered and verified")
        suite.contains(by_get.stdout, "alice.pem: good", "alice is good by GET too")

        # A revocation while serve runs shows at once: the database is read again when it changes.
        now_revoked = krtool("revoke", "--issuer", "ca.pem", "alice.pem", "--reason", "superseded")
        suite.eq(now_revoked.returncode, 0, "revoke alice while serving")
        after = ocsp_status(server, "alice.pem")
        suite.contains(after.stdout, "alice.pem: revoked", "the responder answers revoked at once")
        fetched = subprocess.run(["curl", "-sS", "-o", "served2.crl", f"http://127.0.0.1:{server.port}/crl"], cwd=W,
                                 timeout=30)
        suite.contains(openssl("crl", "-in", "served2.crl", "-inform", "DER", "-noout", "-text").stdout,
                       "Superseded", "the served CRL is made again")

        malformed = subprocess.run(["curl", "-sS", "-o", "-", "-X", "POST", "--data-binary", "not DER",
                                    "-H", "Content-Type: application/ocsp-request",
                                    f"http://127.0.0.1:{server.port}/ocsp"], cwd=W, capture_output=True, timeout=30)
        # OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } -> 30 03 0a 01 01 (malformedRequest)
        suite.eq(malformed.stdout.hex(), "30030a0101", "a malformed request gets malformedRequest")


sys.exit(suite.run([("revoke and new-crl", test_revoke_and_new_crl),
                    ("serve publishes the CRL and OCSP", test_serve_publishes_crl_and_ocsp)], only=sys.argv[1:]))
