#!/usr/bin/python3
"""End-to-end test of Online revocation mode against real peers on 127.0.0.1: `openssl ocsp` as the OCSP
responder named in the client certificates' AIA (an `openssl ca`-style index.txt written here), and a
Python http.server publishing the CRL at their distribution point. The scheme asks the responder first
and falls back to the CRL; a revoked client gets 401 with the reason in the access log and in the
Krtool-Auth-Failure header (--diagnostics), a good one 200, and the log names where the status came from.
An answer that is not believable (signed by a stranger, about another certificate) is not believed, and
when no source answers, the status is RevocationStatusUnknown and the call fails closed.
"""

import datetime
import os
import select
import signal
import ssl
import subprocess
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import HttpPublisher as Publisher  # noqa: E402
from krtool_e2e import Server, Suite, client_context, free_port, https_get, new_cert  # noqa: E402

suite = Suite("serve_online_revocation_test")
ROUTE = "/secure/cert/hello"
# The alert OpenSSL sends for "unable to get certificate CRL", which is what an unknown status is.
UNKNOWN_STATUS_ALERT = "TLSV1_ALERT_UNKNOWN_CA"


class OcspResponder:
    """`openssl ocsp -index index.txt -port P -rsigner SIGNER -rkey KEY -CA CA` on a port that was free,
    answering at most `requests` requests; stopped (SIGTERM, bounded wait) on exit."""

    def __init__(self, folder, port, ca, signer, requests=8):
        self.argv = ["openssl", "ocsp", "-index", os.path.join(folder, "index.txt"), "-port", str(port),
                     "-rsigner", signer.pem, "-rkey", signer.key, "-CA", ca.pem, "-ndays", "1",
                     "-nrequest", str(requests)]
        self.port = port

    def __enter__(self):
        # Ready once it says so on stderr. Not by connecting: the responder serves one connection at a
        # time, and would wait on a probe that sends nothing.
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        said = b""
        deadline = time.monotonic() + 10
        while b"waiting for OCSP client connections" not in said:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None:
                self.__exit__()
                raise RuntimeError(f"openssl ocsp did not start listening: {said!r}")
            if select.select([self.process.stderr], [], [], remaining)[0]:
                said += os.read(self.process.stderr.fileno(), 4096)
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def asn1_time(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%y%m%d%H%M%SZ")


def serial_hex(cert):
    """The serial as OpenSSL's BN_bn2hex writes it (uppercase, whole bytes): how index.txt and krtool name it."""
    text = f"{cert.x509.serial_number:X}"
    return text if len(text) % 2 == 0 else "0" + text


def write_index(folder, good, revoked):
    """An `openssl ca` database: V lines for `good`, R lines (keyCompromise an hour ago) for `revoked`."""
    now = datetime.datetime.now(datetime.timezone.utc)
    lines = []
    for cert, state in [(c, "V") for c in good] + [(c, "R") for c in revoked]:
        expiry = asn1_time(cert.not_after)  # Debian 12's cryptography has no not_valid_after_utc
        when = f"{asn1_time(now - datetime.timedelta(hours=1))},keyCompromise" if state == "R" else ""
        subject = "/" + "/".join(a.rfc4514_string() for a in cert.x509.subject)
        lines.append(f"{state}\t{expiry}\t{when}\t{serial_hex(cert)}\tunknown\t{subject}\n")
    with open(os.path.join(folder, "index.txt"), "w") as index:
        index.writelines(lines)


def make_crl(ca, revoked, next_update_in=datetime.timedelta(days=1)):
    """The CA's DER CRL listing `revoked`, issued a minute ago, due again after `next_update_in`."""
    key = serialization.load_pem_private_key(open(ca.key, "rb").read(), password=None)
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.x509.subject)
               .last_update(now - datetime.timedelta(hours=2)).next_update(now + next_update_in))
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(cert.x509.serial_number).revocation_date(now).build())
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


class Pki:
    """A CA, the server's certificate and two clients (alice good, bob revoked) naming `ocsp_url` and
    `crl_url`, in a folder of their own."""

    def __init__(self, name, ocsp_url, crl_url):
        self.folder = os.path.join(suite.work, name)
        os.makedirs(self.folder, exist_ok=True)
        w = self.folder
        self.ca = new_cert(w, "ca", "--ca", "--subject", f"CN={name} CA")
        self.server = new_cert(w, "server", "--issuer", "ca.pem", "--dns", "127.0.0.1", "--purpose", "server")
        urls = ["--ocsp-url", ocsp_url, "--crl-url", crl_url]
        self.alice = new_cert(w, "alice", "--issuer", "ca.pem", "--subject", "CN=alice", "--purpose", "client", *urls)
        self.bob = new_cert(w, "bob", "--issuer", "ca.pem", "--subject", "CN=bob", "--purpose", "client", *urls)
        write_index(w, [self.alice], [self.bob])

    def serve(self):
        args = ["--cert", self.server.pem, "--key", self.server.key, "--client-cert-mode", "require",
                "--trust-ca", self.ca.pem, "--auth-trust-ca", self.ca.pem, "--diagnostics"]  # revocation: Online
        return Server(args, self.folder, suite)

    def call(self, server, client):
        """(status, Krtool-Auth-Failure, access-log line) of one GET by `client`."""
        response, port = https_get(server, ROUTE, client_context(client, self.ca.pem))
        status = getattr(response, "status", response)
        failure = getattr(response, "headers", {}).get("krtool-auth-failure", "")
        return status, failure, server.access_line(port, "GET", ROUTE) or ""


def test_ocsp_answers_first():
    publisher = Publisher()
    port = free_port()
    try:
        pki = Pki("ocsp", f"http://127.0.0.1:{port}/", f"{publisher.base}/ca.crl")
        with OcspResponder(pki.folder, port, pki.ca, pki.ca), pki.serve() as server:
            for round_ in (1, 2):
                status, _, line = pki.call(server, pki.alice)
                suite.eq(status, 200, f"alice, good, round {round_}: 200")
                suite.contains(line, f"revocation: OCSP at http://127.0.0.1:{port}/, good, cached until ",
                               f"alice, round {round_}: the log names the responder")
                status, failure, line = pki.call(server, pki.bob)
                suite.eq(status, 401, f"bob, revoked, round {round_}: 401")
                for text, where in ((failure, "Krtool-Auth-Failure"), (line, "the access log")):
                    suite.contains(text, "Revoked: certificate revoked (depth 0, 'CN=bob')", f"bob: {where}: Revoked")
                    suite.contains(text, f"OCSP at http://127.0.0.1:{port}/, revoked at ", f"bob: {where}: the source")
                    suite.contains(text, "(reason keyCompromise)", f"bob: {where}: the reason")
        suite.eq(publisher.requests, [], "the CRL is not fetched when the responder answers")
    finally:
        publisher.close()


def test_unreachable_responder_falls_back_to_the_crl():
    publisher = Publisher()
    try:
        pki = Pki("fallback", f"http://127.0.0.1:{free_port()}/", f"{publisher.base}/ca.crl")
        publisher.files["/ca.crl"] = make_crl(pki.ca, [pki.bob])
        with pki.serve() as server:
            status, _, line = pki.call(server, pki.alice)
            suite.eq(status, 200, "alice: 200 from the CRL")
            suite.contains(line, f"revocation: CRL at {publisher.base}/ca.crl, good, cached until ",
                           "alice: the log names the CRL")
            status, failure, _ = pki.call(server, pki.bob)
            suite.eq(status, 401, "bob: 401 from the CRL")
            suite.contains(failure, f"Revoked: certificate revoked (depth 0, 'CN=bob') [revocation: CRL at "
                                    f"{publisher.base}/ca.crl, revoked", "bob: the reason names the CRL")
    finally:
        publisher.close()


def test_no_source_fails_closed():
    pki = Pki("nosource", f"http://127.0.0.1:{free_port()}/", f"http://127.0.0.1:{free_port()}/ca.crl")
    with pki.serve() as server:
        status, failure, line = pki.call(server, pki.alice)
        suite.eq(status, 401, "alice, no responder and no CRL: 401")
        suite.contains(failure, "RevocationStatusUnknown, OfflineRevocation: OCSP: fetching 'http://127.0.0.1:",
                       "the reason: RevocationStatusUnknown, naming the responder")
        suite.contains(failure, "CRL: fetching 'http://127.0.0.1:", "the reason names the CRL too")
        suite.contains(line, "RevocationStatusUnknown", "the access log has the reason")


def test_expired_crl_is_no_answer():
    publisher = Publisher()
    try:
        pki = Pki("expired", f"http://127.0.0.1:{free_port()}/", f"{publisher.base}/ca.crl")
        publisher.files["/ca.crl"] = make_crl(pki.ca, [], next_update_in=-datetime.timedelta(hours=1))
        with pki.serve() as server:
            status, failure, _ = pki.call(server, pki.alice)
            suite.eq(status, 401, "alice, only an expired CRL: 401")
            suite.contains(failure, f"RevocationStatusUnknown: OCSP: fetching 'http://127.0.0.1:",
                           "the reason names the unreachable responder")
            suite.contains(failure, f"CRL at '{publisher.base}/ca.crl': CRL has expired", "and the expired CRL")
    finally:
        publisher.close()


def test_unbelievable_answers_are_not_believed():
    publisher = Publisher()
    port = free_port()
    try:
        pki = Pki("stranger", f"http://127.0.0.1:{port}/", f"{publisher.base}/ca.crl")
        stranger = new_cert(pki.folder, "stranger", "--ca", "--subject", "CN=Stranger Responder")
        with OcspResponder(pki.folder, port, pki.ca, stranger), pki.serve() as server:
            status, failure, _ = pki.call(server, pki.alice)
            suite.eq(status, 401, "an answer signed by a stranger: 401")
            suite.contains(failure, "not believed: it is signed by 'CN=Stranger Responder', which is neither the "
                                    "issuer", "the reason names the stranger")
            suite.contains(failure, f"CRL: '{publisher.base}/ca.crl' answered HTTP 404", "and the CRL tried next")

        # bob's own answer (fetched without a nonce), replayed for every question: about another certificate.
        with OcspResponder(pki.folder, port, pki.ca, pki.ca, requests=1):
            fetched = subprocess.run(["openssl", "ocsp", "-issuer", pki.ca.pem, "-cert", pki.bob.pem, "-url",
                                      f"http://127.0.0.1:{port}/", "-no_nonce", "-noverify", "-respout", "bob.der",
                                      "-timeout", "5"], cwd=pki.folder, capture_output=True, text=True, timeout=20)
            suite.check(fetched.returncode == 0, "openssl ocsp fetched bob's answer", fetched.stderr)
        publisher.post_body = open(os.path.join(pki.folder, "bob.der"), "rb").read()
        carol = new_cert(pki.folder, "carol", "--issuer", "ca.pem", "--subject", "CN=carol", "--purpose", "client",
                         "--ocsp-url", f"{publisher.base}/ocsp", "--crl-url", f"{publisher.base}/ca.crl")
        with pki.serve() as server:
            status, failure, _ = pki.call(server, carol)
            suite.eq(status, 401, "an answer about another certificate: 401")
            suite.contains(failure, f"OCSP answer from '{publisher.base}/ocsp' not believed: it is about another "
                                    f"certificate (serial {serial_hex(pki.bob)})", "the reason names it")
    finally:
        publisher.close()


def test_tls_layer_online():
    """--check-certificate-revocation without --crl is online, as Kestrel's CheckCertificateRevocation: the
    handshake of a revoked client ends with alert 44 certificate_revoked, an unknown status fails closed."""
    publisher = Publisher()
    port = free_port()
    try:
        pki = Pki("tls", f"http://127.0.0.1:{port}/", f"{publisher.base}/ca.crl")
        nowhere = new_cert(pki.folder, "dave", "--issuer", "ca.pem", "--subject", "CN=dave", "--purpose", "client",
                           "--ocsp-url", f"http://127.0.0.1:{free_port()}/", "--crl-url",
                           f"http://127.0.0.1:{free_port()}/ca.crl")
        args = ["--cert", pki.server.pem, "--key", pki.server.key, "--client-cert-mode", "require",
                "--trust-ca", pki.ca.pem, "--check-certificate-revocation"]
        with OcspResponder(pki.folder, port, pki.ca, pki.ca), Server(args, pki.folder, suite) as server:
            suite.contains(server.stderr_text(), "revocation checked online", "start-up: the TLS layer checks online")
            tls12 = ssl.TLSVersion.TLSv1_2
            response, local = https_get(server, "/info", client_context(pki.alice, pki.ca.pem, max_version=tls12))
            suite.eq(getattr(response, "status", response), 200, "TLS layer: alice, good: 200")
            suite.contains(server.access_line(local, "GET", "/info"),
                           f'tls="accepted (None) [revocation: OCSP at http://127.0.0.1:{port}/, good, cached until ',
                           "TLS layer: the access log names the responder")
            response, local = https_get(server, "/info", client_context(pki.bob, pki.ca.pem, max_version=tls12))
            suite.eq(getattr(response, "alert", None), "SSLV3_ALERT_CERTIFICATE_REVOKED",
                     "TLS layer: bob, revoked: alert 44 certificate_revoked")
            line = server.tls_line(local, "CN=bob") or ""
            suite.contains(line, "[Revoked: certificate revoked (depth 0, 'CN=bob')]", "TLS layer: the log says Revoked")
            suite.contains(line, f"[revocation: OCSP at http://127.0.0.1:{port}/, revoked at ", "and where from")
            response, local = https_get(server, "/info", client_context(nowhere, pki.ca.pem, max_version=tls12))
            suite.eq(getattr(response, "alert", None), UNKNOWN_STATUS_ALERT,
                     "TLS layer: dave, no responder and no CRL: refused (fail closed)")
            suite.contains(server.tls_line(local, "CN=dave") or "", "RevocationStatusUnknown, OfflineRevocation",
                           "TLS layer: the log says RevocationStatusUnknown")
    finally:
        publisher.close()


sys.exit(suite.run([
    ("OCSP is asked first: good 200, revoked 401 with the source", test_ocsp_answers_first),
    ("an unreachable responder falls back to the CRL", test_unreachable_responder_falls_back_to_the_crl),
    ("no responder and no CRL: RevocationStatusUnknown, fail closed", test_no_source_fails_closed),
    ("an expired CRL is no answer", test_expired_crl_is_no_answer),
    ("an answer signed by a stranger or about another certificate is not believed",
     test_unbelievable_answers_are_not_believed),
    ("the TLS layer checks online: alert 44 for a revoked client", test_tls_layer_online),
], only=sys.argv[1:]))
