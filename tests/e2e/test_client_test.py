"""End-to-end tests of `krtool test-client`: every outcome of the contract's table, each against a real
server (krtool serve in each client-certificate mode, `openssl s_server -Verify`, nginx with
`ssl_verify_client on` and `optional`, a plain HTTP server and a closed port), the TLS rejections under
both TLS 1.2 and TLS 1.3, and the JSON fields. Each troubleshooting row of docs/troubleshooting.md names
the test here that reproduces it.

Run: KRTOOL_BIN=build/bin/krtool /usr/bin/python3 tests/e2e/test_client_test.py [TEST ...]
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import (KRTOOL, LOOPBACK, CertSet, ForeignServer, Server, Suite, TestClientRun,  # noqa: E402
                        check_outcome, free_port, nginx, run_krtool, shorten)

suite = Suite("test_client")
certs = None  # made once in main()
CLAIM_HELLO = "Hello"


# ---------------------------------------------------------------------------------------------------
# Running test-client


def Call(args, **kwargs):
    return TestClientRun(args, certs.dir, **kwargs)


def expect_outcome(call, outcome, rc, what):
    return check_outcome(suite, call, outcome, rc, what)


def expect_in(text, fragment, what):
    suite.contains(text, fragment, what)


# ---------------------------------------------------------------------------------------------------
# Servers besides krtool serve


class OpensslServer:
    """`openssl s_server -Verify 1 -verify_return_error -www` on a loopback port it picks itself."""

    def __init__(self, *extra):
        self.args = ["openssl", "s_server", "-accept", f"{LOOPBACK}:0", "-cert", certs.server.pem, "-key",
                     certs.server.key, "-CAfile", certs.ca.pem, "-Verify", "1", "-verify_return_error", "-www",
                     "-naccept", "50", *extra]
        self.process = None
        self.port = None

    def __enter__(self):
        self.process = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, bufsize=1)
        deadline = time.monotonic() + 20
        lines = []
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("ACCEPT"):
                self.port = int(line.strip().rsplit(":", 1)[1])
                threading.Thread(target=self._drain, daemon=True).start()
                return self
        self.process.kill()
        raise RuntimeError(f"openssl s_server did not start: {''.join(lines)}")

    def _drain(self):
        for _ in self.process.stdout:
            pass

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait(timeout=10)

    def url(self, path="/"):
        return f"https://localhost:{self.port}{path}"


def nginx_server(verify):
    """Debian's nginx with ssl_verify_client VERIFY, trusting the suite's CA, in a folder of its own."""
    return nginx(os.path.join(suite.work, f"nginx-{verify}"), certs.server.pem, certs.server.key, certs.ca.pem,
                 verify)


class ScriptedHttpServer:
    """A plain HTTP server that records each raw request and answers with the bytes it was given. With
    whole_request=False it answers as soon as any bytes arrive (a TLS ClientHello has no blank line)."""

    def __init__(self, answer, whole_request=True):
        self.answer = answer
        self.whole_request = whole_request
        self.requests = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind((LOOPBACK, 0))
        self.listener.listen(4)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(2)
                data = b""
                try:
                    while not data or (self.whole_request and b"\r\n\r\n" not in data):
                        chunk = connection.recv(4096)  # the headers, then the body their Content-Length gives
                        if not chunk:
                            break
                        data += chunk
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                    while self.whole_request and len(body) < length:
                        chunk = connection.recv(4096)
                        if not chunk:
                            break
                        body += chunk
                    self.requests.append(head + b"\r\n\r\n" + body)
                    connection.sendall(self.answer)
                except OSError:
                    pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"


def plain_http_server():
    """A plain HTTP server that answers anything, a TLS ClientHello included, with a 400 at once, as
    nginx and most HTTP servers do."""
    return ScriptedHttpServer(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                              whole_request=False)


def krtool_server(*args, name="serve"):
    """krtool serve with the CA-issued server certificate and the arguments given."""
    return Server([*certs.server_args(), *args], certs.dir, suite=suite, name=name)


def secure_url(server, path="/secure/cert/hello"):
    return f"https://localhost:{server.port}{path}"


# ---------------------------------------------------------------------------------------------------
# Outcomes against krtool serve


def test_ok_with_a_client_certificate():
    with krtool_server("--client-cert-mode", "require", "--trust-ca", certs.ca.pem, "--auth-trust-ca",
                       certs.ca.pem, "--revocation-mode", "nocheck") as server:
        call = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.valid.pem])
        if not expect_outcome(call, "ok", 0, "ok: require mode, trusted client"):
            return
        suite.eq(call.get("status"), 200, "ok: status")
        suite.eq(json.loads(call.get("body"))["subject"], certs.valid.subject, "ok: the body names the client")
        suite.check(isinstance(call.get("headers"), dict) and "Content-Type" in call.get("headers"),
                    "ok: headers as an object", call.describe())
        tls = call.get("tls")
        suite.eq(tls["protocol"], "TLSv1.3", "ok: protocol")
        suite.check(bool(tls["cipher"]), "ok: a cipher", call.describe())
        suite.eq(tls["clientCertificateRequested"], True, "ok: the server requested a certificate")
        suite.eq(tls["acceptableCAs"], [certs.ca.subject], "ok: the acceptable CA names")
        suite.eq(tls["clientCertificateSent"], True, "ok: the certificate was sent")
        suite.eq(tls["issuerAcceptable"], True, "ok: its issuer is acceptable")
        suite.eq(tls["alert"], None, "ok: no alert")
        suite.eq(tls["serverCertificate"]["subject"], certs.server.subject, "ok: the server's certificate")
        suite.eq(tls["serverCertificate"]["verified"], True, "ok: the server's certificate verified")
        suite.eq(tls["clientCertificate"]["thumbprint"], certs.valid.thumbprint, "ok: our certificate's thumbprint")
        suite.eq(call.get("diagnosis", "fix"), None, "ok: nothing to fix")


def test_client_cert_required(tls_max):
    with krtool_server("--client-cert-mode", "require", "--trust-ca", certs.ca.pem) as server:
        call = Call([secure_url(server), "--cacert", certs.ca.pem, "--tls-max", tls_max])
        what = f"client-cert-required (TLS {tls_max})"
        if not expect_outcome(call, "client-cert-required", 4, what):
            return
        alert = call.get("tls", "alert")
        expected = {"1.3": (116, "certificate_required", True), "1.2": (40, "handshake_failure", False)}[tls_max]
        suite.eq((alert["code"], alert["name"], alert["afterHandshake"]) if alert else None, expected, f"{what}: alert")
        suite.eq(alert["sentBy"] if alert else None, "server", f"{what}: the server sent the alert")
        suite.eq(call.get("tls", "clientCertificateSent"), False, f"{what}: nothing was sent")
        suite.eq(call.get("status"), None, f"{what}: no HTTP status")
        expect_in(call.get("diagnosis", "fix"), "--cert FILE", f"{what}: the fix names --cert")
        expect_in(call.get("diagnosis", "fix"), certs.ca.subject, f"{what}: the fix names the acceptable CA")


def test_client_cert_rejected(tls_max):
    with krtool_server("--client-cert-mode", "require", "--trust-ca", certs.ca.pem) as server:
        what = f"client-cert-rejected (TLS {tls_max})"
        call = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.selfsigned.pem, "--tls-max", tls_max])
        if not expect_outcome(call, "client-cert-rejected", 4, what):
            return
        alert = call.get("tls", "alert") or {}
        suite.eq((alert.get("code"), alert.get("name")), (48, "unknown_ca"), f"{what}: alert 48 unknown_ca")
        suite.eq(alert.get("afterHandshake"), tls_max == "1.3", f"{what}: after the handshake only under TLS 1.3")
        suite.eq(call.get("tls", "clientCertificateSent"), True, f"{what}: the certificate was sent")
        suite.eq(call.get("tls", "issuerAcceptable"), False, f"{what}: its issuer is not acceptable")
        cause = call.get("diagnosis", "cause")
        expect_in(cause, f"'{certs.selfsigned.subject}'", f"{what}: the cause names the certificate")
        expect_in(cause, "unknown_ca", f"{what}: the cause names the alert")
        expect_in(cause, f"does not trust the issuer '{certs.selfsigned.issuer}' (self-signed)", f"{what}: why")
        expect_in(call.get("diagnosis", "fix"), "--trust-ca", f"{what}: the fix in krtool's terms")
        expect_in(call.get("diagnosis", "fix"), "AllowSelfSignedForDevelopment", f"{what}: the development fix")
        expect_in(" ".join(call.get("notes") or []), "browsers, Go and .NET", f"{what}: the note on other clients")
        log = server.wait_for_log(lambda line: line.startswith("tls: rejected client certificate"))
        expect_in(log, certs.selfsigned.subject, f"{what}: the server's log agrees")


def test_expired_and_untrusted_issuer_are_named():
    with krtool_server("--client-cert-mode", "require", "--trust-ca", certs.ca.pem) as server:
        expired = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.expired.pem])
        if expect_outcome(expired, "client-cert-rejected", 4, "expired client certificate"):
            suite.eq(expired.get("tls", "alert", "code"), 45, "expired: alert 45 certificate_expired")
            expect_in(expired.get("diagnosis", "cause"), "validity period", "expired: the cause says why")
        untrusted = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.untrusted.pem])
        if expect_outcome(untrusted, "client-cert-rejected", 4, "untrusted issuer"):
            expect_in(untrusted.get("diagnosis", "cause"), f"does not trust the issuer '{certs.other_ca.subject}'",
                      "untrusted: the cause names the issuer")
            expect_in(untrusted.get("diagnosis", "fix"), certs.ca.subject, "untrusted: the fix names the CA it accepts")


def test_wrong_purpose_is_unsupported_certificate():
    with krtool_server("--client-cert-mode", "require", "--trust-ca", certs.ca.pem) as server:
        call = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.serveronly.pem])
        if expect_outcome(call, "client-cert-rejected", 4, "a server-only certificate"):
            suite.eq(call.get("tls", "alert", "code"), 43, "server-only: alert 43 unsupported_certificate")
            expect_in(call.get("diagnosis", "cause"), "not meant for client authentication", "server-only: why")
            expect_in(call.get("diagnosis", "fix"), "--purpose client", "server-only: the fix")


def test_policy_rejection_is_bad_certificate():
    """Validation code that refuses a certificate whose chain is sound: the alert is 42 bad_certificate."""
    cache = os.path.join(suite.work, "validation-cache")
    os.makedirs(cache, mode=0o700, exist_ok=True)
    code = 'return certificate != nullptr && certificate->subject() == "CN=nobody";'
    server = Server([*certs.server_args(), "--client-cert-mode", "require", "--trust-ca", certs.ca.pem,
                     "--client-cert-validation-code", code], certs.dir, suite=suite, name="policy serve",
                    env=dict(os.environ, XDG_CACHE_HOME=cache))
    with server:
        call = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.valid.pem])
        if expect_outcome(call, "client-cert-rejected", 4, "policy rejection"):
            suite.eq(call.get("tls", "alert", "code"), 42, "policy rejection: alert 42 bad_certificate")
            expect_in(call.get("diagnosis", "cause"), "validation callback refused the certificate",
                      "policy rejection: the cause")
            expect_in(call.get("diagnosis", "fix"), "server's log", "policy rejection: the fix points at the log")
        log = server.wait_for_log(lambda line: line.startswith("tls: rejected client certificate"))
        expect_in(log, "validation code", "policy rejection: the server's log names the policy")


def test_auth_layer_refusal_with_diagnostics():
    with krtool_server("--client-cert-mode", "require", "--client-cert-validation",
                       "AllowSelfSignedForDevelopment", "--diagnostics") as server:
        call = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.selfsigned.pem])
        if not expect_outcome(call, "http-status", 1, "401 from the auth layer (--diagnostics)"):
            return
        suite.eq(call.get("status"), 401, "auth refusal: status 401")
        suite.eq(call.get("headers", "Krtool-Auth-Failure"), "Certificate type not allowed: SelfSigned",
                 "auth refusal: the server's reason header")
        cause = call.get("diagnosis", "cause")
        expect_in(cause, "TLS layer accepted the certificate", "auth refusal: TLS accepted it")
        expect_in(cause, "Certificate type not allowed: SelfSigned", "auth refusal: the scheme's reason")
        expect_in(call.get("diagnosis", "fix"), "--allowed-certificate-types", "auth refusal: the fix")
        suite.eq(call.get("diagnosis", "layer"), "http", "auth refusal: the layer is http")


def test_auth_layer_refusal_without_diagnostics():
    with krtool_server("--client-cert-mode", "require", "--client-cert-validation",
                       "AllowSelfSignedForDevelopment") as server:
        chained = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.valid.pem])
        if expect_outcome(chained, "http-status", 1, "401 without --diagnostics"):
            suite.eq(chained.get("headers", "Krtool-Auth-Failure"), None, "no reason header without --diagnostics")
            expect_in(chained.get("diagnosis", "fix"), "--diagnostics", "401: the fix suggests --diagnostics")
            expect_in(chained.get("diagnosis", "fix"), "--auth-trust-ca", "401: the fix lists the scheme's trust")
        selfsigned = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.selfsigned.pem])
        if expect_outcome(selfsigned, "http-status", 1, "401 for a self-signed certificate"):
            expect_in(selfsigned.get("diagnosis", "fix"), "--allowed-certificate-types",
                      "401: the fix is read from the certificate: it is self-signed")


def test_auth_layer_trust_and_revocation():
    with krtool_server("--client-cert-mode", "require", "--trust-ca", certs.ca.pem, "--diagnostics") as server:
        call = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.valid.pem])
        if expect_outcome(call, "http-status", 1, "401: the scheme does not trust what TLS trusts"):
            expect_in(call.get("diagnosis", "cause"), "UntrustedRoot", "401 trust: the scheme's reason")
            expect_in(call.get("diagnosis", "fix"), "--auth-trust-ca", "401 trust: the fix")
    with krtool_server("--client-cert-mode", "require", "--trust-ca", certs.ca.pem, "--auth-trust-ca", certs.ca.pem,
                       "--diagnostics") as server:
        call = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.valid.pem])
        if expect_outcome(call, "http-status", 1, "401: online revocation finds no CRL"):
            expect_in(call.get("diagnosis", "cause"), "RevocationStatusUnknown", "401 revocation: the scheme's reason")
            expect_in(call.get("diagnosis", "fix"), "--revocation-mode nocheck", "401 revocation: the fix")


def test_mode_none_never_asks():
    with krtool_server() as server:
        call = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.valid.pem])
        if expect_outcome(call, "http-status", 1, "401 in mode none"):
            suite.eq(call.get("tls", "clientCertificateRequested"), False, "mode none: nothing requested")
            expect_in(call.get("diagnosis", "cause"), "never asked", "mode none: the cause")
            expect_in(call.get("diagnosis", "fix"), "--client-cert-mode allow or require", "mode none: the fix")


def test_allow_mode_without_certificate():
    with krtool_server("--client-cert-mode", "allow", "--trust-ca", certs.ca.pem) as server:
        public = Call([secure_url(server, "/info"), "--cacert", certs.ca.pem])
        expect_outcome(public, "ok", 0, "allow mode: a public route needs no certificate")
        protected = Call([secure_url(server), "--cacert", certs.ca.pem])
        if expect_outcome(protected, "http-status", 1, "allow mode: 401 without a certificate"):
            suite.eq(protected.get("tls", "clientCertificateRequested"), True, "allow mode: requested")
            expect_in(protected.get("diagnosis", "cause"), "none was sent", "allow mode: the cause")


def test_expect_status():
    with krtool_server() as server:
        missing = Call([secure_url(server, "/no-such-route"), "--cacert", certs.ca.pem])
        if expect_outcome(missing, "http-status", 1, "404"):
            expect_in(missing.get("diagnosis", "fix"), "check the path", "404: the fix")
        expected = Call([secure_url(server, "/no-such-route"), "--cacert", certs.ca.pem, "--expect-status", "404"])
        expect_outcome(expected, "ok", 0, "--expect-status 404 on a 404")
        unexpected = Call([secure_url(server, "/info"), "--cacert", certs.ca.pem, "--expect-status", "201"])
        if expect_outcome(unexpected, "http-status", 1, "--expect-status 201 on a 200"):
            expect_in(unexpected.get("diagnosis", "cause"), "expected 201", "--expect-status: the cause")


def test_server_cert_untrusted():
    with krtool_server() as server:
        call = Call([secure_url(server, "/info")])  # the system store does not know the test CA
        if expect_outcome(call, "server-cert-untrusted", 4, "server-cert-untrusted: unknown issuer"):
            suite.eq(call.get("tls", "alert", "sentBy"), "client", "untrusted server: krtool sent the alert")
            expect_in(call.get("diagnosis", "cause"), certs.server.subject, "untrusted server: names the certificate")
            expect_in(call.get("diagnosis", "fix"), "--cacert", "untrusted server: the fix")
        insecure = Call([secure_url(server, "/info"), "-k"])
        if expect_outcome(insecure, "ok", 0, "-k carries on"):
            suite.eq(insecure.get("tls", "serverCertificate", "verified"), False, "-k: reported as not verified")
            expect_in(" ".join(insecure.get("notes") or []), "-k ignored it", "-k: a note says so")
        mismatch = Call([f"https://127.0.0.1:{server.port}/info", "--cacert", certs.ca.pem, "--servername",
                         "wrong.example"])
        if expect_outcome(mismatch, "server-cert-untrusted", 4, "server-cert-untrusted: name mismatch"):
            expect_in(mismatch.get("diagnosis", "fix"), "--servername", "name mismatch: the fix")


def test_server_chain_problems_from_the_chain_engine():
    """The server's chain is judged by the chain engine: every problem is reported with its .NET name, and a
    root the server sends along is an untrusted certificate like the rest of its chain, never an anchor."""
    statuses = lambda call: [problem["status"] for problem in call.get("tls", "serverCertificate", "chainStatus") or []]
    with OpensslServer("-cert_chain", certs.ca.pem) as server:
        own_root = Call([server.url("/"), "--cacert", certs.other_ca.pem])
        if expect_outcome(own_root, "server-cert-untrusted", 4, "a server sending its own root: untrusted"):
            suite.eq(statuses(own_root), ["UntrustedRoot"], "its own root: UntrustedRoot and nothing else")
            suite.eq(own_root.get("tls", "serverCertificate", "chainStatus")[0]["error"], 19,
                     "its own root: X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN")
        expect_outcome(Call([server.url("/"), "--cacert", certs.ca.pem]), "client-cert-required", 4,
                       "the same server with its root given to --cacert: past the server's certificate")
    # An expired certificate for another name, chaining to a root krtool does not trust.
    with OpensslServer("-cert", certs.expired.pem, "-key", certs.expired.key, "-cert_chain", certs.ca.pem) as server:
        several = Call([f"https://127.0.0.1:{server.port}/", "--cacert", certs.other_ca.pem])
        if expect_outcome(several, "server-cert-untrusted", 4, "a chain with several problems: untrusted"):
            found = statuses(several)
            for status in ("UntrustedRoot", "RemoteCertificateNameMismatch", "NotTimeValid"):
                suite.check(status in found, f"several problems: {status} is reported", str(found))
            expect_in(several.get("diagnosis", "cause"), "UntrustedRoot", "several problems: the cause names the first")


def test_system_trust():
    """Without --cacert the system's CAs decide: a hashed $SSL_CERT_DIR is read as needed, a bundle in
    $SSL_CERT_FILE is honoured, and a bundle that cannot be loaded is an input error, not a silent miss."""
    def hashed_folder(name, ca_pem):
        folder = os.path.join(suite.work, name)
        os.makedirs(folder, exist_ok=True)
        shutil.copy(ca_pem, os.path.join(folder, "ca.pem"))
        subprocess.run(["openssl", "rehash", folder], check=True, capture_output=True)
        return folder

    def system(**variables):
        env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_DIR", "SSL_CERT_FILE")}
        env.update(variables)
        return env

    ours = hashed_folder("system-trust-ours", certs.ca.pem)
    theirs = hashed_folder("system-trust-other", certs.other_ca.pem)
    unhashed = os.path.join(suite.work, "system-trust-unhashed")
    os.makedirs(unhashed, exist_ok=True)
    with krtool_server() as server:
        url = secure_url(server, "/info")
        expect_outcome(Call([url], env=system(SSL_CERT_DIR=ours)), "ok", 0, "system trust: a hashed folder with the CA")
        expect_outcome(Call([url], env=system(SSL_CERT_DIR=theirs)), "server-cert-untrusted", 4,
                       "system trust: a hashed folder without the CA")
        expect_outcome(Call([url], env=system(SSL_CERT_DIR=theirs, SSL_CERT_FILE=certs.ca.pem)), "ok", 0,
                       "system trust: $SSL_CERT_FILE beside a hashed folder")
        expect_outcome(Call([url], env=system(SSL_CERT_DIR=unhashed, SSL_CERT_FILE=certs.ca.pem)), "ok", 0,
                       "system trust: a folder without hash links falls back to OpenSSL's defaults")
        missing = os.path.join(suite.work, "no-such-bundle.pem")
        bad = Call([url], env=system(SSL_CERT_DIR=theirs, SSL_CERT_FILE=missing), json_output=False)
        suite.eq(bad.rc, 3, "system trust: an unloadable $SSL_CERT_FILE exits 3")
        expect_in(bad.stderr, f"krtool: error: loading the CA bundle SSL_CERT_FILE={missing}", "the error names it")
        expect_in(bad.stderr, "hint: ", "an unloadable $SSL_CERT_FILE: a hint")


def test_resolve_and_servername():
    with krtool_server() as server:
        call = Call([f"https://api.krtool.test:{server.port}/info", "--cacert", certs.ca.pem, "--resolve",
                     f"api.krtool.test:{server.port}:127.0.0.1", "--servername", "localhost"])
        if expect_outcome(call, "ok", 0, "--resolve and --servername"):
            suite.eq(call.get("connectedTo"), f"127.0.0.1:{server.port}", "--resolve: the address used")


def test_request_options():
    with krtool_server("--route", 'POST /echo json:{"method":"POST"}', "--route", "GET /info") as server:
        call = Call([secure_url(server, "/echo"), "--cacert", certs.ca.pem, "-d", "a=1", "-H", "X-Test: yes"])
        if expect_outcome(call, "ok", 0, "-d posts"):
            suite.eq(json.loads(call.get("body")), {"method": "POST"}, "-d: the route's answer")
        line = server.wait_for_log(lambda text: " POST /echo " in text)
        suite.check(line is not None, "-d: the server logged a POST", server.stderr_text())
        head = Call([secure_url(server, "/info"), "--cacert", certs.ca.pem, "-X", "HEAD"])
        if expect_outcome(head, "ok", 0, "-X HEAD"):
            suite.eq(head.get("body"), "", "-X HEAD: no body")


def test_request_reaches_the_server():
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    with ScriptedHttpServer(ok) as server:
        call = Call([server.url("/echo?x=1"), "-d", "a=1", "-H", "X-Test: yes"])
        expect_outcome(call, "ok", 0, "request over http://")
        raw = server.requests[0].decode() if server.requests else ""
        expect_in(raw, "POST /echo?x=1 HTTP/1.1\r\n", "-d: POST with the path and query")
        expect_in(raw, f"Host: 127.0.0.1:{server.port}\r\n", "the Host header")
        expect_in(raw, "X-Test: yes\r\n", "-H: the header arrived")
        expect_in(raw, "Content-Type: application/x-www-form-urlencoded\r\n", "-d: form-encoded, as curl")
        expect_in(raw, "Content-Length: 3\r\n", "-d: the body's length")
        suite.check(raw.endswith("\r\n\r\na=1"), "-d: the body arrived", repr(raw))
        framed = Call([server.url("/"), "-d", "xyz", "-H", "Content-Length: 3", "-H", "Content-Type: text/plain"])
        expect_outcome(framed, "ok", 0, "a user's Content-Length")
        raw = server.requests[1].decode() if len(server.requests) > 1 else ""
        suite.eq(raw.lower().count("content-length:"), 1, "a user's Content-Length is not doubled")
        suite.eq(raw.lower().count("content-type:"), 1, "a user's Content-Type replaces the default")


def test_interim_response_is_skipped():
    answer = (b"HTTP/1.1 100 Continue\r\n\r\n"
              b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nfinal")
    with ScriptedHttpServer(answer) as server:
        call = Call([server.url()])
        if expect_outcome(call, "ok", 0, "100 Continue then 200"):
            suite.eq((call.get("status"), call.get("body")), (200, "final"), "the final answer is reported")


def test_other_authentication_schemes_are_named():
    answer = (b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"lab\"\r\n"
              b"Content-Length: 0\r\nConnection: close\r\n\r\n")
    with ScriptedHttpServer(answer) as server:
        call = Call([server.url()])
        if expect_outcome(call, "http-status", 1, "401 with WWW-Authenticate: Basic"):
            expect_in(call.get("diagnosis", "cause"), "asks for 'Basic' authentication", "the scheme is named")
            expect_in(call.get("diagnosis", "cause"), "plain HTTP", "and that no certificate could be sent")


# ---------------------------------------------------------------------------------------------------
# Foreign servers


def test_openssl_s_server(tls_max):
    what = f"openssl s_server (TLS {tls_max})"
    with OpensslServer() as server:
        good = Call([server.url(), "--cacert", certs.ca.pem, "--cert", certs.valid.pem, "--tls-max", tls_max])
        expect_outcome(good, "ok", 0, f"{what}: trusted client")
        none = Call([server.url(), "--cacert", certs.ca.pem, "--tls-max", tls_max])
        expect_outcome(none, "client-cert-required", 4, f"{what}: no certificate")
        bad = Call([server.url(), "--cacert", certs.ca.pem, "--cert", certs.selfsigned.pem, "--tls-max", tls_max])
        if expect_outcome(bad, "client-cert-rejected", 4, f"{what}: self-signed certificate"):
            suite.eq(bad.get("tls", "alert", "name"), "unknown_ca", f"{what}: alert named")


def test_nginx_verify_on():
    with nginx_server("on") as server:
        none = Call([server.url(), "--cacert", certs.ca.pem])
        if expect_outcome(none, "client-cert-required", 4, "nginx on: no certificate"):
            suite.eq(none.get("status"), 400, "nginx on: nginx answers 400")
            expect_in(none.get("diagnosis", "cause"), "No required SSL certificate was sent", "nginx on: its page named")
        bad = Call([server.url(), "--cacert", certs.ca.pem, "--cert", certs.untrusted.pem])
        if expect_outcome(bad, "client-cert-rejected", 4, "nginx on: untrusted certificate"):
            suite.eq(bad.get("status"), 400, "nginx on: 400 for a bad certificate")
            expect_in(bad.get("diagnosis", "cause"), "The SSL certificate error", "nginx on: its page named")
            expect_in(bad.get("diagnosis", "cause"), f"its issuer '{certs.other_ca.subject}'", "nginx on: the issuer")
            expect_in(bad.get("diagnosis", "fix"), "ssl_client_certificate", "nginx on: the fix in nginx's terms")
        good = Call([server.url(), "--cacert", certs.ca.pem, "--cert", certs.valid.pem])
        if expect_outcome(good, "ok", 0, "nginx on: trusted client"):
            expect_in(good.get("body"), "CN=alice", "nginx on: nginx saw the client's DN")


def test_nginx_verify_optional():
    with nginx_server("optional") as server:
        none = Call([server.url(), "--cacert", certs.ca.pem])
        if expect_outcome(none, "ok", 0, "nginx optional: no certificate is fine"):
            suite.eq(none.get("tls", "clientCertificateRequested"), True, "nginx optional: requested anyway")
        bad = Call([server.url(), "--cacert", certs.ca.pem, "--cert", certs.selfsigned.pem])
        expect_outcome(bad, "client-cert-rejected", 4, "nginx optional: a bad certificate is still an error")


def test_not_tls():
    with plain_http_server() as server:
        call = Call([f"https://127.0.0.1:{server.port}/"])
        if expect_outcome(call, "not-tls", 4, "not-tls: a plain HTTP server"):
            expect_in(call.get("diagnosis", "cause"), "plain HTTP", "not-tls: the cause")
            expect_in(call.get("diagnosis", "fix"), f"http://127.0.0.1:{server.port}/", "not-tls: the fix")
    with Server([], certs.dir, suite=suite, name="plain serve") as plain:
        call = Call([f"https://127.0.0.1:{plain.port}/info"])
        expect_outcome(call, "not-tls", 4, "not-tls: krtool serve without a certificate")
        fine = Call([f"http://127.0.0.1:{plain.port}/info"])
        if expect_outcome(fine, "ok", 0, "http:// to a plain server"):
            suite.eq(fine.get("tls"), None, "http://: no TLS report")


def test_connect_failed():
    port = free_port()  # bound and closed: nothing listens there now
    call = Call([f"https://127.0.0.1:{port}/"])
    if expect_outcome(call, "connect-failed", 5, "connect-failed: closed port"):
        expect_in(call.get("diagnosis", "cause"), "connection refused", "connect-failed: the cause")
        expect_in(call.get("diagnosis", "fix"), f"--port {port}", "connect-failed: the fix")
        suite.eq(call.get("tls"), None, "connect-failed: no TLS report")


def test_timeout_is_connect_failed():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOOPBACK, 0))
    listener.listen(1)  # accepts TCP but never answers the ClientHello
    try:
        call = Call([f"https://127.0.0.1:{listener.getsockname()[1]}/", "--timeout", "1"])
        if expect_outcome(call, "connect-failed", 5, "a silent server times out"):
            expect_in(call.get("diagnosis", "cause"), "never answered the ClientHello", "timeout: the cause")
    finally:
        listener.close()


def test_client_cert_unusable():
    bad = os.path.join(certs.dir, "random.bin")
    with open(bad, "wb") as f:
        f.write(os.urandom(600))
    pfx = os.path.join(certs.dir, "alice.pfx")
    made = run_krtool(["export", certs.valid.pem, "--key", certs.valid.key, "--out", pfx, "--out-password", "right"],
                      certs.dir)
    suite.eq(made.returncode, 0, f"export a PFX for the password test: {made.stderr}")
    port = free_port()  # nothing listens: an unusable certificate must stop test-client before it connects
    cases = [
        ("a missing file", ["--cert", os.path.join(certs.dir, "missing.pem")], "missing.pem"),
        ("random bytes", ["--cert", bad], "random.bin"),
        ("a wrong password", ["--cert", pfx, "--password", "wrong"], "password"),
        ("a key that does not match", ["--cert", certs.valid.pem, "--key", certs.selfsigned.key], "match"),
    ]
    for what, args, fragment in cases:
        call = Call([f"https://127.0.0.1:{port}/", *args])
        if expect_outcome(call, "client-cert-unusable", 3, f"client-cert-unusable: {what}"):
            expect_in(call.get("diagnosis", "cause"), fragment, f"client-cert-unusable: {what}: the cause")
            suite.eq(call.get("connectedTo"), None, f"client-cert-unusable: {what}: no connection was made")
    right = Call([f"https://127.0.0.1:{port}/", "--cert", pfx, "--password", "right"])
    expect_outcome(right, "connect-failed", 5, "the right PFX password gets as far as connecting")


def test_usage_errors():
    for what, args in [("a URL without a scheme", ["localhost:5000/"]),
                       ("a bad port", ["https://localhost:99999/"]),
                       ("a bad header", ["https://localhost:5000/", "-H", "no colon"]),
                       ("a bad --resolve", ["https://localhost:5000/", "--resolve", "localhost:5000:not-an-ip"]),
                       ("--key without --cert", ["https://localhost:5000/", "--key", "x.key"]),
                       ("a space in the URL", ["https://localhost:5000/a b"]),
                       ("a line break in the URL", ["https://localhost:5000/x\r\nX-Evil: 1"])]:
        call = Call(args, json_output=False)
        suite.eq(call.rc, 2, f"usage: {what}: exit 2")
        expect_in(call.stderr, "krtool: error: ", f"usage: {what}: the error line")
        expect_in(call.stderr, "hint: ", f"usage: {what}: a hint")


def test_text_report_and_transcript():
    with krtool_server("--client-cert-mode", "require", "--trust-ca", certs.ca.pem) as server:
        env = dict(os.environ, NO_COLOR="1")
        call = Call([secure_url(server), "--cacert", certs.ca.pem, "--cert", certs.selfsigned.pem, "-v"],
                    json_output=False, env=env)
        suite.eq(call.rc, 4, "text: exit code")
        for fragment in ("outcome: client-cert-rejected", "cause: the server's TLS layer rejected the certificate",
                         "fix: ", "tls   sent the client certificate", "alert 48 unknown_ca from the server"):
            expect_in(call.stdout, fragment, f"text report: '{fragment}'")
        suite.check("\033[" not in call.stdout, "text: no colour when stdout is not a terminal", call.stdout)
        for fragment in ("> ClientHello", "< CertificateRequest", "> Certificate (the client certificate)",
                         "< alert 48 unknown_ca (fatal)"):
            expect_in(call.stderr, fragment, f"-v transcript: '{fragment}'")


def run_on_terminal(args, env):
    """Runs krtool with stdout on a pseudo-terminal; returns what it printed there."""
    import pty

    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen([KRTOOL, *args], stdin=subprocess.DEVNULL, stdout=follower,
                                   stderr=subprocess.DEVNULL, env=env)
        os.close(follower)
        follower = None
        chunks = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=30)
        return b"".join(chunks).decode(errors="replace")
    finally:
        if follower is not None:
            os.close(follower)
        os.close(leader)


def test_colour_only_on_a_terminal():
    with krtool_server() as server:
        args = ["test-client", secure_url(server, "/info"), "--cacert", certs.ca.pem]
        plain_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        coloured = run_on_terminal(args, plain_env)
        suite.check("\033[32m" in coloured and "outcome:" in coloured, "a terminal gets colour", repr(coloured))
        uncoloured = run_on_terminal(args, dict(plain_env, NO_COLOR="1"))
        suite.check("outcome:" in uncoloured and "\033[" not in uncoloured, "NO_COLOR turns colour off",
                    repr(uncoloured))


def test_ci_smoke_sample():
    """samples/ci-smoke.sh is the CI snippet docs/troubleshooting.md shows; it must keep working."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = os.path.join(root, "samples", "ci-smoke.sh")
    result = subprocess.run(["bash", script], cwd=suite.work, capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, KRTOOL_BIN=KRTOOL), stdin=subprocess.DEVNULL)
    suite.eq(result.returncode, 0, f"ci-smoke.sh exits 0: {shorten(result.stdout)} {shorten(result.stderr)}")
    expect_in(result.stdout, "outcome: ok", "ci-smoke.sh: the test-client report")
    with open(os.path.join(root, "docs", "troubleshooting.md")) as f:
        docs = f.read()
    with open(script) as f:
        body = f.read().split("\n# --- snippet ---\n", 1)[-1].strip()
    suite.check(body and body in docs, "docs/troubleshooting.md shows samples/ci-smoke.sh's snippet verbatim")


def main():
    global certs
    if shutil.which("nginx") is None:
        print("test_client: nginx is missing; run scripts/bootstrap", file=sys.stderr)
        return 1
    certs = CertSet(suite.work)
    tests = [
        ("ok with a client certificate", test_ok_with_a_client_certificate),
        ("client-cert-required TLS 1.3", lambda: test_client_cert_required("1.3")),
        ("client-cert-required TLS 1.2", lambda: test_client_cert_required("1.2")),
        ("client-cert-rejected TLS 1.3", lambda: test_client_cert_rejected("1.3")),
        ("client-cert-rejected TLS 1.2", lambda: test_client_cert_rejected("1.2")),
        ("expired and untrusted issuers are named", test_expired_and_untrusted_issuer_are_named),
        ("a server-only certificate is unsupported_certificate", test_wrong_purpose_is_unsupported_certificate),
        ("a policy rejection is bad_certificate", test_policy_rejection_is_bad_certificate),
        ("401 from the auth layer with --diagnostics", test_auth_layer_refusal_with_diagnostics),
        ("401 from the auth layer without --diagnostics", test_auth_layer_refusal_without_diagnostics),
        ("401: the scheme's trust and revocation", test_auth_layer_trust_and_revocation),
        ("mode none never asks", test_mode_none_never_asks),
        ("allow mode without a certificate", test_allow_mode_without_certificate),
        ("--expect-status", test_expect_status),
        ("server-cert-untrusted", test_server_cert_untrusted),
        ("the server's chain, judged by the chain engine", test_server_chain_problems_from_the_chain_engine),
        ("the system's CAs without --cacert", test_system_trust),
        ("--resolve and --servername", test_resolve_and_servername),
        ("request options", test_request_options),
        ("the request reaches the server as given", test_request_reaches_the_server),
        ("an interim 100 Continue is skipped", test_interim_response_is_skipped),
        ("other authentication schemes are named", test_other_authentication_schemes_are_named),
        ("openssl s_server TLS 1.3", lambda: test_openssl_s_server("1.3")),
        ("openssl s_server TLS 1.2", lambda: test_openssl_s_server("1.2")),
        ("nginx ssl_verify_client on", test_nginx_verify_on),
        ("nginx ssl_verify_client optional", test_nginx_verify_optional),
        ("not-tls", test_not_tls),
        ("connect-failed", test_connect_failed),
        ("a silent server times out", test_timeout_is_connect_failed),
        ("client-cert-unusable", test_client_cert_unusable),
        ("usage errors", test_usage_errors),
        ("text report and -v transcript", test_text_report_and_transcript),
        ("colour only on a terminal", test_colour_only_on_a_terminal),
        ("the CI smoke sample", test_ci_smoke_sample),
    ]
    return suite.run(tests, only=sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
