#!/usr/bin/python3
"""End-to-end tests of `krtool serve --route '... proxy:URL[,headers=FAMILIES]'`: the dev server terminates
mutual TLS and forwards to an application behind it (here a Python HTTP server that records what it
receives), with the client certificate in X-Client-Cert (base64 DER, as ASP.NET Core's certificate
forwarding reads it), X-Forwarded-Client-Cert (Envoy's XFCC), RFC 9440's Client-Cert and
Client-Cert-Chain, and nginx's X-SSL-Client-* headers, checked against the certificate itself with
python3-cryptography and against the identity fields of `krtool import --json`, the claims and the JSON
access log. A client's own copies of those headers never reach the upstream.
"""

import base64
import gzip
import hashlib
import http.server
import json
import os
import socket
import ssl
import sys
import threading
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import (  # noqa: E402
    CertSet, Response, Server, Suite, TlsConnection, client_context, run_krtool, shorten, start_failure)

suite = Suite("serve_proxy_test")
certs = CertSet(suite.work)
TRUST = ["--client-cert-mode", "allow", "--trust-ca", certs.ca.pem, "--auth-trust-ca", certs.ca.pem,
         "--revocation-mode", "nocheck"]


class Upstream:
    """A plain HTTP application on 127.0.0.1 that records each request and answers 201 with a JSON
    echo, an extra header and a cookie pair (two Set-Cookie headers)."""

    def __init__(self):
        self.requests = []
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                upstream.requests.append({"method": self.command, "target": self.path, "body": body,
                                          "headers": [(k.lower(), v) for k, v in self.headers.items()]})
                if self.path.endswith("/reset"):  # closes without an answer
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if self.path.endswith("/interim"):  # a 103 Early Hints before the real answer
                    self.send_response_only(103)
                    self.send_header("Link", "</style.css>; rel=preload")
                    self.end_headers()
                if self.path.endswith("/gzip"):  # encoded whatever the request asked for
                    out = gzip.compress(b"plain text, once")
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                    return
                out = json.dumps({"seen": self.path}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Upstream", "recorder")
                self.send_header("Set-Cookie", "a=1")
                self.send_header("Set-Cookie", "b=2")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_DELETE = answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def last(self):
        return self.requests[-1] if self.requests else None


def header(request, name):
    values = [v for k, v in request["headers"] if k == name.lower()]
    return values[0] if len(values) == 1 else (values or None)


def serve(upstream_url, *routes, extra=()):
    args = ["--cert", certs.server.pem, "--key", certs.server.key, *TRUST, *extra]
    for route in routes:
        args += ["--route", route.replace("UPSTREAM", upstream_url)]
    return Server(args, suite.work, suite=suite, name="proxy")


def get(server, path, cert=None, headers=None, method="GET"):
    context = client_context(cert=cert, cafile=certs.ca.pem)
    with TlsConnection("localhost", server.port, context) as connection:
        return connection.get(path, headers=headers, method=method)


def test_certificate_is_forwarded():
    with Upstream() as upstream, serve(f"http://127.0.0.1:{upstream.port}",
                                       "GET /api auth=Certificate proxy:UPSTREAM") as server:
        spoof = {"X-Client-Cert": "spoofed", "X-Forwarded-Client-Cert": "Hash=0;Subject=\"CN=root\"",
                 "X-Forwarded-For": "10.6.6.6"}
        answer = get(server, "/api/orders?id=7&x=%2F", cert=certs.valid, headers=spoof)
        if not suite.check(isinstance(answer, Response) and answer.status == 201, "proxied: the upstream's 201",
                           repr(answer)):
            return
        suite.eq(answer.json(), {"seen": "/api/orders?id=7&x=%2F"}, "proxied: the upstream's body")
        suite.eq(answer.headers.get("x-upstream"), "recorder", "proxied: the upstream's headers come back")
        seen = upstream.last()
        suite.eq(seen["target"], "/api/orders?id=7&x=%2F", "the path and query reach the upstream undecoded")

        with open(certs.valid.pem, "rb") as f:
            certificate = x509.load_pem_x509_certificate(f.read())
        der = certificate.public_bytes(Encoding.DER)
        suite.eq(header(seen, "X-Client-Cert"), base64.b64encode(der).decode(),
                 "X-Client-Cert is the client certificate's DER in base64, replacing the client's copy")
        xfcc = header(seen, "X-Forwarded-Client-Cert")
        suite.check(isinstance(xfcc, str), "one X-Forwarded-Client-Cert", repr(xfcc))
        if isinstance(xfcc, str):
            fields = dict(part.split("=", 1) for part in xfcc.split(";"))
            suite.eq(fields.get("Hash"), hashlib.sha256(der).hexdigest(), "XFCC Hash is the SHA-256 of the DER")
            suite.eq(fields.get("Subject"), '"CN=alice, O=krtool e2e"', "XFCC Subject is the DN, quoted")
            pem = urllib.parse.unquote(fields.get("Cert", "").strip('"'))
            suite.eq(x509.load_pem_x509_certificate(pem.encode()), certificate, "XFCC Cert is the url-encoded PEM")
        suite.eq(header(seen, "X-Forwarded-For"), "127.0.0.1", "X-Forwarded-For is the real client, not the claim")
        suite.eq(header(seen, "X-Forwarded-Proto"), "https", "X-Forwarded-Proto")
        suite.eq(header(seen, "X-Forwarded-Host"), f"localhost:{server.port}", "X-Forwarded-Host is the client's Host")
        suite.eq(header(seen, "Host"), f"127.0.0.1:{upstream.port}", "Host is the upstream's")
        for added in ("remote_addr", "remote_port", "local_addr", "local_port"):
            suite.eq(header(seen, added), None, f"the server's own {added.upper()} is not forwarded as a header")


def test_no_certificate_and_spoofing():
    with Upstream() as upstream, serve(f"http://127.0.0.1:{upstream.port}",
                                       "POST /open proxy:UPSTREAM") as server:
        spoof = {"X-Client-Cert": base64.b64encode(b"forged").decode(), "Content-Type": "text/plain",
                 "Connection": "X-Secret", "X-Secret": "hop-by-hop", "Accept-Encoding": "gzip"}
        context = client_context(cafile=certs.ca.pem)
        with TlsConnection("localhost", server.port, context) as connection:
            connection.http.request("POST", "/open/submit", body="a=b&c=d", headers=spoof)
            answer = connection.http.getresponse()
            answer.read()
        suite.eq(answer.status, 201, "a public proxied route needs no certificate")
        suite.eq(sorted(v for k, v in answer.getheaders() if k.lower() == "set-cookie"), ["a=1", "b=2"],
                 "both Set-Cookie headers come back")
        seen = upstream.last()
        if not suite.check(seen is not None, "the upstream got the request"):
            return
        suite.eq(seen["method"], "POST", "the method is forwarded")
        suite.eq(seen["body"], "a=b&c=d", "the body is forwarded")
        suite.eq(header(seen, "Content-Type"), "text/plain", "the Content-Type is forwarded")
        suite.eq(header(seen, "X-Client-Cert"), None, "without a certificate, no X-Client-Cert, even a client's")
        suite.eq(header(seen, "X-Forwarded-Client-Cert"), None, "without a certificate, no XFCC")
        suite.eq(header(seen, "X-Secret"), None, "a header the Connection header names is hop-by-hop")
        suite.eq(header(seen, "Accept-Encoding"), None, "Accept-Encoding is not forwarded (no double encoding)")


def test_authentication_comes_first():
    # AllowAny at the TLS layer, so that the self-signed certificate reaches the HTTP layer's scheme.
    with Upstream() as upstream, serve(f"http://127.0.0.1:{upstream.port}",
                                       "GET /api auth=Certificate proxy:UPSTREAM",
                                       extra=("--client-cert-validation", "AllowAny")) as server:
        answer = get(server, "/api/x")
        suite.eq(getattr(answer, "status", None), 401, "no certificate on a protected proxied route: 401")
        answer = get(server, "/api/x", cert=certs.selfsigned)
        suite.eq(getattr(answer, "status", None), 401, "a self-signed certificate the scheme refuses: 401")
        suite.eq(upstream.requests, [], "the upstream never sees a request the auth layer refused")


def test_upstream_base_path_and_failures():
    with Upstream() as upstream:
        with serve(f"http://127.0.0.1:{upstream.port}/app/", "GET /v1 proxy:UPSTREAM") as server:
            answer = get(server, "/v1/items")
            suite.eq(getattr(answer, "status", None), 201, "an upstream with a path")
            suite.eq(upstream.last()["target"], "/app/v1/items", "the upstream's path goes first")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with serve(f"http://127.0.0.1:{port}", "GET /down proxy:UPSTREAM") as server:
        answer = get(server, "/down")
        suite.eq(getattr(answer, "status", None), 502, "an unreachable upstream is 502")
        if isinstance(answer, Response):
            suite.contains(answer.json().get("error", ""), f"the upstream http://127.0.0.1:{port} failed",
                           "the 502 says which upstream")


def test_subject_cannot_inject_headers():
    """A client certificate whose CN holds a line break (signed by the trusted CA, so both layers accept
    it) must not add a header of its own to the upstream request."""
    import datetime
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    with open(certs.ca.pem, "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    with open(certs.ca.key, "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "evil\r\nX-Injected: yes\u009b31m")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem_path = os.path.join(suite.work, "injector.pem")
    key_path = os.path.join(suite.work, "injector.key")
    with open(pem_path, "wb") as f:
        f.write(cert.public_bytes(Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    class Injector:
        pem, key = pem_path, key_path

    with Upstream() as upstream, serve(f"http://127.0.0.1:{upstream.port}",
                                       "GET /api auth=Certificate proxy:UPSTREAM") as server:
        answer = get(server, "/api/x", cert=Injector)
        suite.eq(getattr(answer, "status", None), 201, "a CN with a line break is still forwarded", )
        seen = upstream.last()
        if seen is None:
            return
        suite.eq(header(seen, "X-Injected"), None, "the CN's line break did not become a header")
        xfcc = header(seen, "X-Forwarded-Client-Cert") or ""
        suite.check("\r" not in xfcc and "\n" not in xfcc, "XFCC holds no raw line break", repr(xfcc[:200]))
        get(server, "/api/%0Afake%20log%20line", cert=certs.valid)
        server.wait_for_log(lambda line: "fake log line" in line, timeout=5.0)
        log = server.stderr_lines
        suite.check(not any(line.startswith(("X-Injected", "fake log line")) for line in log),
                    "neither the CN nor a decoded path starts a log line of its own", shorten("\n".join(log), 2000))
        suite.check(any('evil\\x0D\\x0AX-Injected' in line for line in log),
                    "the access log shows the CN's line break as \\x0D\\x0A", shorten("\n".join(log), 2000))
        suite.check(any("yes\\xC2\\x9B31m" in line for line in log) and not any("\u009b" in line for line in log),
                    "the access log shows the CN's C1 control (CSI) as \\xC2\\x9B", shorten("\n".join(log), 2000))
        suite.check(any("/api/\\x0Afake log line" in line for line in log),
                    "the access log shows the path's line break as \\x0A", shorten("\n".join(log), 2000))


def raw_request(server, request, cert=None):
    """Sends REQUEST (bytes, sent as is) over TLS and returns (status or None, whole answer bytes)."""
    context = client_context(cert=cert, cafile=certs.ca.pem)
    chunks = []
    with socket.create_connection(("localhost", server.port), timeout=15) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(request)
            for _ in range(1000):  # bounded: the server closes after one answer (Connection: close)
                try:
                    chunk = tls.recv(65536)
                except (ssl.SSLError, ConnectionResetError):
                    break
                if not chunk:
                    break
                chunks.append(chunk)
    answer = b"".join(chunks)
    first = answer.split(b"\r\n", 1)[0].split()
    return (int(first[1]) if len(first) > 1 and first[1].isdigit() else None), answer


def test_malformed_and_smuggled_headers():
    with Upstream() as upstream, serve(f"http://127.0.0.1:{upstream.port}",
                                       "GET /api auth=Certificate proxy:UPSTREAM") as server:
        cases = (
            (b"X-A: a\rX-Client-Cert: FORGED\r\n", "a bare CR inside a value"),
            (b"X-Client-Cert : FORGED\r\n", "a space before the colon"),
            (b"X-A: a\x01b\r\n", "a control character in a value"),
        )
        for line, what in cases:
            status, answer = raw_request(server, b"GET /api/x HTTP/1.1\r\nHost: localhost\r\n" + line +
                                         b"Connection: close\r\n\r\n", cert=certs.valid)
            suite.eq(status, 400, f"{what}: 400", )
        suite.eq(upstream.requests, [], "no malformed request reached the upstream")

        spoof = {"X_Client_Cert": "FORGED", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example",
                 "Forwarded": "for=10.6.6.6", "X-Real-IP": "10.6.6.6", "X-ARR-ClientCert": "FORGED",
                 "X-Forwarded-Port": "1"}
        answer = get(server, "/api/y", cert=certs.valid, headers=spoof)
        suite.eq(getattr(answer, "status", None), 201, "spoofed claims: still proxied")
        seen = upstream.last()
        if seen is None:
            return
        for name in ("x_client_cert", "forwarded", "x-real-ip", "x-arr-clientcert", "x-forwarded-port"):
            suite.eq(header(seen, name), None, f"the client's {name} is not forwarded")
        suite.eq(header(seen, "X-Forwarded-Proto"), "https", "the client's X-Forwarded-Proto is replaced")
        suite.eq(header(seen, "X-Forwarded-Host"), f"localhost:{server.port}", "the client's X-Forwarded-Host is replaced")


def test_paths_bodies_and_answers():
    with Upstream() as upstream, serve(f"http://127.0.0.1:{upstream.port}", "* /open proxy:UPSTREAM",
                                       "GET /admin auth=Certificate proxy:UPSTREAM") as server:
        for target in (b"/open/../admin/x", b"/open/%2e%2e/admin/x", b"/open/./x"):
            status, _ = raw_request(server, b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            suite.eq(status, 400, f"GET {target.decode()}: a dot segment is 400, never a way round /admin's scheme")
        suite.eq(upstream.requests, [], "no dot-segment path reached the upstream")

        body = (b"--XYZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhello\r\n"
                b"--XYZ--\r\n")
        status, answer = raw_request(server, b"POST /open/upload HTTP/1.1\r\nHost: localhost\r\n"
                                     b"Content-Type: multipart/form-data; boundary=XYZ\r\n" +
                                     f"Content-Length: {len(body)}\r\n".encode() + b"Connection: close\r\n\r\n" + body)
        suite.eq(status, 415, "a multipart body is refused, not forwarded empty")
        suite.contains(answer.decode(errors="replace"), "--data-binary", "the 415 says what to send instead")

        answer = get(server, "/open/gzip")
        suite.eq(getattr(answer, "status", None), 200, "an encoded upstream answer")
        if isinstance(answer, Response):
            suite.eq(answer.body, b"plain text, once", "the body reaches the client decoded once, not twice")
            suite.eq(answer.headers.get("content-encoding"), None, "and without the upstream's Content-Encoding")

        answer = get(server, "/open/interim")
        suite.eq(getattr(answer, "status", None), 201, "an upstream's 103 is skipped, not passed on as the final answer")
        if isinstance(answer, Response):
            suite.eq(answer.json(), {"seen": "/open/interim"}, "the final answer after the 103 is passed on")
        answer = get(server, "/open/reset")
        suite.eq(getattr(answer, "status", None), 502, "an upstream that closes without answering is 502, not 504")
        if isinstance(answer, Response):
            suite.contains(answer.json().get("error", ""), "failed", "the 502 says the upstream failed")


def test_usage_errors():
    for route, fragment in (
        ("GET /x proxy:https://127.0.0.1:1", "the upstream must be an http:// URL"),
        ("GET /x proxy:127.0.0.1:9000", "is not a URL"),
        ("GET /x proxy:", "needs a value after the colon"),
        ("GET /x proxy:http://127.0.0.1:9000/app?k=v", "the upstream URL must not have a query"),
    ):
        rc, err = start_failure(["--self-signed", "--route", route], suite.work)
        suite.eq(rc, 2, f"{route}: exit 2")
        suite.contains(err, fragment, f"{route}: says why")


def identity_of(cert):
    """The identity fields `krtool import --json` gives for a certificate file."""
    result = run_krtool(["import", cert.pem, "--json"], suite.work)
    document = json.loads(result.stdout)
    return {k: document[k] for k in ("subject", "issuer", "serialNumber", "thumbprint", "thumbprintSha256",
                                     "notBefore", "notAfter")}


def sf_bytes(item):
    """An RFC 8941 byte sequence (:base64:) decoded; None when the item is not one."""
    item = item.strip()
    if len(item) < 2 or item[0] != ":" or item[-1] != ":":
        return None
    return base64.b64decode(item[1:-1])


def test_identity_headers_all_families():
    """The default sends every family; the values are the same identity fields everywhere."""
    chain_file = os.path.join(suite.work, "alice-with-ca.pem")
    with open(certs.valid.pem) as leaf_file, open(certs.ca.pem) as ca_file, open(chain_file, "w") as out:
        out.write(leaf_file.read() + ca_file.read())

    class AliceWithChain:
        pem, key = chain_file, certs.valid.key

    with Upstream() as upstream, serve(f"http://127.0.0.1:{upstream.port}", "GET /api auth=Certificate proxy:UPSTREAM",
                                       "GET /who auth=Certificate json:{\"claims\":\"{claims}\"}",
                                       extra=("--log-format", "json")) as server:
        answer = get(server, "/api/me", cert=AliceWithChain)
        if not suite.check(isinstance(answer, Response) and answer.status == 201, "proxied with a chain", repr(answer)):
            return
        seen = upstream.last()
        with open(certs.valid.pem, "rb") as f:
            leaf = x509.load_pem_x509_certificate(f.read())
        with open(certs.ca.pem, "rb") as f:
            ca = x509.load_pem_x509_certificate(f.read())
        identity = identity_of(certs.valid)
        suite.eq(sf_bytes(header(seen, "Client-Cert") or ""), leaf.public_bytes(Encoding.DER),
                 "RFC 9440 Client-Cert is the certificate's DER as a byte sequence")
        chain = [sf_bytes(item) for item in (header(seen, "Client-Cert-Chain") or "").split(",")]
        suite.eq(chain, [ca.public_bytes(Encoding.DER)], "RFC 9440 Client-Cert-Chain is the rest of what the client sent")
        suite.eq(header(seen, "X-SSL-Client-Verify"), "SUCCESS", "nginx: X-SSL-Client-Verify SUCCESS")
        escaped = urllib.parse.unquote(header(seen, "X-SSL-Client-Escaped-Cert") or "")
        suite.eq(x509.load_pem_x509_certificate(escaped.encode()) if "BEGIN" in escaped else None, leaf,
                 "nginx: X-SSL-Client-Escaped-Cert is the url-encoded PEM")
        for name, field, transform in (("X-SSL-Client-S-DN", "subject", str), ("X-SSL-Client-I-DN", "issuer", str),
                                       ("X-SSL-Client-Serial", "serialNumber", str),
                                       ("X-SSL-Client-Fingerprint", "thumbprint", str.lower),
                                       ("X-SSL-Client-Fingerprint-SHA256", "thumbprintSha256", str.lower)):
            suite.eq(header(seen, name), transform(identity[field]), f"nginx: {name} is import --json's {field}")
        suite.eq(header(seen, "X-SSL-Client-Fingerprint"), hashlib.sha1(leaf.public_bytes(Encoding.DER)).hexdigest(),
                 "nginx: the fingerprint is the SHA-1 of the DER")
        suite.check(header(seen, "X-Client-Cert") is not None and header(seen, "X-Forwarded-Client-Cert") is not None,
                    "the default also sends X-Client-Cert and XFCC")

        claims = get(server, "/who", cert=certs.valid)
        if isinstance(claims, Response):
            text = claims.body.decode()
            for field, claim in (("thumbprint", "thumbprint"), ("issuer", "issuer"), ("serialNumber", "serialnumber")):
                suite.contains(text, identity[field], f"the {claim} claim holds import --json's {field}")
        line = server.wait_for_log(lambda l: l.startswith("{") and '"/api/me"' in l, timeout=5.0)
        if suite.check(line is not None, "a JSON access-log line for the proxied request", server.stderr_text()):
            suite.eq(json.loads(line)["clientCertificate"], identity,
                     "the JSON access log's clientCertificate has import --json's identity fields, same names")


def test_identity_header_families_chosen():
    with Upstream() as upstream, serve(f"http://127.0.0.1:{upstream.port}",
                                       "GET /rfc auth=Certificate proxy:UPSTREAM,headers=rfc9440",
                                       "GET /ngx auth=Certificate proxy:UPSTREAM,headers=nginx+aspnet") as server:
        get(server, "/rfc/x", cert=certs.valid)
        seen = upstream.last()
        if seen is None:
            return
        suite.check(header(seen, "Client-Cert") is not None, "headers=rfc9440: Client-Cert sent")
        suite.eq(header(seen, "Client-Cert-Chain"), None, "headers=rfc9440: no Client-Cert-Chain when the client sent only its own")
        for name in ("X-Client-Cert", "X-Forwarded-Client-Cert", "X-SSL-Client-Verify", "X-SSL-Client-S-DN"):
            suite.eq(header(seen, name), None, f"headers=rfc9440: no {name}")
        get(server, "/ngx/x", cert=certs.valid)
        seen = upstream.last()
        suite.check(header(seen, "X-SSL-Client-S-DN") is not None and header(seen, "X-Client-Cert") is not None,
                    "headers=nginx+aspnet: both families")
        suite.eq((header(seen, "Client-Cert"), header(seen, "X-Forwarded-Client-Cert")), (None, None),
                 "headers=nginx+aspnet: not the others")
    rc, err = start_failure(["--self-signed", "--route", "GET /x proxy:http://127.0.0.1:9000,headers=nginx+bogus"],
                            suite.work)
    suite.eq(rc, 2, "headers=nginx+bogus: exit 2")
    suite.contains(err, "'bogus' is not a header family", "headers=nginx+bogus: names the bad family")


def test_forged_identity_headers_stripped():
    forged = {"Client-Cert": ":Zm9yZ2Vk:", "Client-Cert-Chain": ":Zm9yZ2Vk:", "X-SSL-Client-Verify": "SUCCESS",
              "X-SSL-Client-S-DN": "CN=admin", "X-SSL-Client-Fingerprint": "00", "X-SSL-Client-Custom": "x"}
    with Upstream() as upstream, serve(f"http://127.0.0.1:{upstream.port}", "GET /open proxy:UPSTREAM",
                                       extra=("--client-cert-validation", "AllowAny")) as server:
        get(server, "/open/a", headers=forged)
        seen = upstream.last()
        if not suite.check(seen is not None, "the upstream got the request"):
            return
        suite.eq(header(seen, "X-SSL-Client-Verify"), "NONE", "no certificate: the server's own X-SSL-Client-Verify NONE")
        for name in ("Client-Cert", "Client-Cert-Chain", "X-SSL-Client-S-DN", "X-SSL-Client-Fingerprint",
                     "X-SSL-Client-Custom"):
            suite.eq(header(seen, name), None, f"the client's forged {name} is dropped")
        get(server, "/open/b", cert=certs.selfsigned, headers=forged)
        seen = upstream.last()
        verdict = header(seen, "X-SSL-Client-Verify") or ""
        suite.check(verdict.startswith("FAILED:") and "self" in verdict,
                    "a self-signed certificate let through by AllowAny: FAILED:<reason>", verdict)
        suite.eq(header(seen, "X-SSL-Client-S-DN"), "CN=mallory, O=self", "its own subject, not the forged one")


sys.exit(suite.run([
    ("the certificate is forwarded", test_certificate_is_forwarded),
    ("no certificate, and a client's copies dropped", test_no_certificate_and_spoofing),
    ("authentication comes first", test_authentication_comes_first),
    ("an upstream path, and an unreachable upstream", test_upstream_base_path_and_failures),
    ("a subject cannot inject headers", test_subject_cannot_inject_headers),
    ("malformed and smuggled headers", test_malformed_and_smuggled_headers),
    ("paths, bodies and answers", test_paths_bodies_and_answers),
    ("usage errors", test_usage_errors),
    ("identity headers, every family", test_identity_headers_all_families),
    ("identity headers, chosen families", test_identity_header_families_chosen),
    ("forged identity headers are stripped", test_forged_identity_headers_stripped),
], only=sys.argv[1:]))
