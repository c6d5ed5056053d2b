#!/usr/bin/python3
"""End-to-end matrix of `krtool serve`: client-certificate mode x client certificate x TLS validation policy
x route x allowed certificate types, each cell's outcome computed by `expected_outcome` from the semantics
(kestrun.md §6, §7, §11) and asserted exactly: a TLS failure (no HTTP response), a 401 with an empty body,
or a 200 with the right JSON, and the server's access-log line with both layers' verdicts. Then the TLS
rejections under TLS 1.2 and TLS 1.3, cross-checks with curl and `openssl s_client`, and the guide's
troubleshooting table, one named test per row.
"""

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import (  # noqa: E402
    CLAIM_NAME, CLAIM_NAMEIDENTIFIER, LOOPBACK, CertSet, Response, Server, Suite, TlsConnection, TlsFailure,
    client_context, curl, rfc3339, s_client, shorten, start_failure)

suite = Suite("serve_matrix_test")
certs = CertSet(suite.work)
W = suite.work

MODES = ("none", "allow", "require")
STRICT = "strict"
POLICIES = (STRICT, "AllowAny", "AllowSelfSignedForDevelopment", "AllowMissingOrSelfSignedForDevelopment")
CLIENTS = (None, "valid", "selfsigned", "expired", "serveronly", "untrusted")
ROUTES = ("public", "protected")

# The scheme configurations: which types it allows, and its custom trust store (None: the system store,
# which holds neither of our CAs).
SCHEMES = {
    "chained": {"allowed": {"chained"}, "trust": "ca",
                "args": ["--auth-trust-ca", "ca.pem", "--revocation-mode", "nocheck"]},
    "all+trust": {"allowed": {"chained", "selfsigned"}, "trust": "ca",
                  "args": ["--allowed-certificate-types", "all", "--auth-trust-ca", "ca.pem",
                           "--revocation-mode", "nocheck"]},
    "all": {"allowed": {"chained", "selfsigned"}, "trust": None,
            "args": ["--allowed-certificate-types", "all", "--revocation-mode", "nocheck"]},
}

NOW = time.time()


def issued_by(cert, ca):
    return cert.issuer == ca.subject and not cert.self_signed


def tls_chain_ok(cert):
    """Whether OpenSSL, trusting only ca.pem (--trust-ca) and checking the sslclient purpose, builds the
    client's chain without errors: issued by our CA, within its validity, and, if it has an EKU, one that
    holds clientAuth. Self-signed, expired, server-only and other-CA certificates are all chain errors."""
    return (issued_by(cert, certs.ca) and cert.not_before.timestamp() <= NOW <= cert.not_after.timestamp()
            and cert.client_auth_eku)


class Expect:
    def __init__(self, kind, status=None, presented=None, tls_verdict=None, auth_verdict=None, reason=None):
        self.kind = kind                  # "tls-failure" or "http"
        self.status = status
        self.presented = presented        # the client certificate the server sees, or None
        self.tls_verdict = tls_verdict    # the access log's tls="..."
        self.auth_verdict = auth_verdict  # the access log's auth="..." (a prefix for failures)
        self.reason = reason              # for a 401 with a certificate: the scheme's failure

    def __repr__(self):
        if self.kind == "tls-failure":
            return "TLS failure"
        return f"{self.status} (tls={self.tls_verdict}, auth={self.auth_verdict})"


def expected_outcome(mode, policy, scheme, client, route):
    """The oracle: what a cell must give.

    TLS layer first (kestrun.md §11, §6):
      - mode none never requests a certificate, so none is presented whatever the client holds;
      - allow/require request one; none sent: require fails the handshake (whatever the policy: the
        callback is never called without a certificate), allow goes on without one;
      - a certificate sent: without a policy (strict) it is accepted only when its chain has no errors;
        with a policy the policy alone decides: AllowAny accepts any certificate, the two development
        policies accept errors exactly None or exactly RemoteCertificateChainErrors (our only kinds).
      - a TLS failure means no HTTP response at all.
    Then the HTTP layer (§7), public routes never need a certificate; a protected route:
      - no certificate -> NoResult -> 401;
      - the handler's checks in order, first failure -> 401: type (Subject == Issuer is self-signed) against
        the allowed types; the validity period; the clientAuth EKU; the chain against the scheme's trust
        store (skipped for a self-signed certificate when self-signed is allowed and there is no custom
        trust store);
      - otherwise 200 with the principal.
    """
    cert = certs.clients[client] if client else None
    if mode == "none" or cert is None:
        if mode == "require":
            return Expect("tls-failure")
        presented, tls_verdict = None, "no certificate"
    else:
        chain_ok = tls_chain_ok(cert)
        errors = "None" if chain_ok else "RemoteCertificateChainErrors"
        accepted = chain_ok if policy == STRICT else True
        if not accepted:
            return Expect("tls-failure")
        presented = client
        tls_verdict = f"accepted ({errors})" if policy == STRICT else f"accepted by {policy} ({errors})"

    if route == "public":
        return Expect("http", 200, presented, tls_verdict, "public")
    if cert is None or presented is None:
        return Expect("http", 401, None, tls_verdict, "Certificate: no certificate (401)")
    rules = SCHEMES[scheme]
    failure = None
    if cert.self_signed and "selfsigned" not in rules["allowed"]:
        failure = "Certificate type not allowed: SelfSigned"
    elif not cert.self_signed and "chained" not in rules["allowed"]:
        failure = "Certificate type not allowed: Chained"
    elif not cert.not_before.timestamp() <= NOW <= cert.not_after.timestamp():
        failure = "Certificate is not within its validity period"
    elif not cert.client_auth_eku:
        failure = "Certificate does not have Client Authentication usage"
    else:
        skip_chain = cert.self_signed and rules["trust"] is None and "selfsigned" in rules["allowed"]
        trusted = rules["trust"] == "ca" and issued_by(cert, certs.ca)
        if not skip_chain and not trusted:
            failure = "Certificate chain validation failed: "
    if failure:
        return Expect("http", 401, presented, tls_verdict, f"Certificate: failed: {failure}", failure)
    return Expect("http", 200, presented, tls_verdict, "Certificate: success")


# Why strict validation refuses each bad certificate, as the server's `tls: rejected` line says, and the
# alert OpenSSL turns that error into.
# Each reason as the chain engine writes it: .NET's X509ChainStatus name, then OpenSSL's reason.
STRICT_REJECTION = {
    "selfsigned": ("UntrustedRoot: self-signed certificate (depth 0", 48),
    "expired": ("NotTimeValid: certificate has expired (depth 0", 45),
    "serveronly": ("NotValidForUsage: unsuitable certificate purpose (depth 0", 43),
    # The client sends its CA along, so OpenSSL meets an untrusted self-signed root in the chain: the
    # certificates a peer sends are intermediates, never anchors.
    "untrusted": ("UntrustedRoot: self-signed certificate in certificate chain (depth 1", 48),
}
# What Python reports for that alert when it arrives during a TLS 1.2 handshake.
PYTHON_ALERT = {48: "TLSV1_ALERT_UNKNOWN_CA", 45: "SSLV3_ALERT_CERTIFICATE_EXPIRED",
                43: "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE", 40: "SSLV3_ALERT_HANDSHAKE_FAILURE"}

CONTEXTS = {client: client_context(certs.clients[client] if client else None, cafile=certs.ca.pem)
            for client in CLIENTS}


def server_args(mode, policy, scheme, protocols=None):
    args = [*certs.server_args(), "--client-cert-mode", mode, "--trust-ca", certs.ca.pem, *SCHEMES[scheme]["args"]]
    if policy != STRICT:
        args += ["--client-cert-validation", policy]
    if protocols:
        args += ["--ssl-protocols", protocols]
    return args


# ---------------------------------------------------------------------------------------------------
# One cell


def check_hello(body, cert, what):
    hello = body.json()
    suite.eq(hello.get("message"), "Hello from client certificate authentication", f"{what}: hello message")
    suite.eq(hello.get("thumbprint"), cert.thumbprint, f"{what}: hello thumbprint is the client's")
    suite.eq(hello.get("subject"), cert.subject, f"{what}: hello subject")
    suite.eq(hello.get("issuer"), cert.issuer, f"{what}: hello issuer")
    suite.eq(hello.get("validFrom"), rfc3339(cert.not_before), f"{what}: hello validFrom")
    suite.eq(hello.get("validTo"), rfc3339(cert.not_after), f"{what}: hello validTo")


def check_info(body, cert, what):
    info = body.json()
    suite.eq(info.get("authenticationType"), "Certificate", f"{what}: info authenticationType")
    suite.eq(info.get("isAuthenticated"), True, f"{what}: info isAuthenticated")
    suite.eq(info.get("name"), cert.subject, f"{what}: info name is the subject DN")
    claims = [(c.get("type"), c.get("value")) for c in info.get("claims", [])]
    suite.eq(claims, [(CLAIM_NAMEIDENTIFIER, cert.subject), (CLAIM_NAME, cert.subject),
                      ("thumbprint", cert.thumbprint), ("issuer", cert.issuer), ("serialnumber", cert.serial)],
             f"{what}: the five claims")
    suite.eq(info.get("certificate"), {"subject": cert.subject, "issuer": cert.issuer,
                                       "thumbprint": cert.thumbprint, "serialNumber": cert.serial},
             f"{what}: info certificate")


def check_access_line(server, port, path, expect, protocol, what):
    line = server.access_line(port, "GET", path)
    if not suite.check(line is not None, f"{what}: access-log line for GET {path}",
                       f"no line for {LOOPBACK}:{port}; log tail: {shorten(server.log()[-5:])}"):
        return
    suite.contains(line, f" GET {path} {expect.status} ", f"{what}: access-log status")
    if protocol:
        suite.contains(line, f" {protocol} ", f"{what}: access-log protocol")
    suite.contains(line, f'tls="{expect.tls_verdict}"', f"{what}: access-log TLS verdict")
    suite.contains(line, f'auth="{expect.auth_verdict}', f"{what}: access-log auth verdict")
    presented = certs.clients[expect.presented] if expect.presented else None
    cert_field = f'cert="{presented.subject}" {presented.thumbprint}' if presented else "cert=-"
    suite.contains(line, cert_field, f"{what}: access-log client certificate")


def run_cell(server, config, client, route, protocol, rejected_ports):
    mode, policy, scheme = config[:3]
    what = f"[{' '.join(config)}] client={client or 'none'} route={route}"
    expect = expected_outcome(mode, policy, scheme, client, route)
    paths = ["/info"] if route == "public" else ["/secure/cert/hello", "/secure/cert/info"]
    with TlsConnection(server.host, server.port, CONTEXTS[client]) as connection:
        answers = []
        for path in paths:
            answers.append(connection.get(path))
            if isinstance(answers[-1], TlsFailure):
                break
        port = connection.local_port
        version = connection.version

    if expect.kind == "tls-failure":
        got = answers[0]
        if not suite.check(isinstance(got, TlsFailure), f"{what}: expected a TLS failure", f"got {got!r}"):
            return
        rejected_ports.append(port)
        cert = certs.clients[client] if client else None
        if cert is not None:
            fragment, alert = STRICT_REJECTION[client]
            line = server.tls_line(port, "tls: rejected client certificate")
            suite.contains(line, f"'{cert.subject}' from {LOOPBACK}:{port}: RemoteCertificateChainErrors by strict "
                                 f"validation [{fragment}", f"{what}: server log says why TLS rejected it")
        else:
            alert = {"tls12": 40, "tls13": 116}.get(protocol)
            line = server.tls_line(port, "failed: sent alert")
            suite.check(line is not None, f"{what}: server log names the failed handshake",
                        f"no 'tls: handshake with {LOOPBACK}:{port} failed' line")
        if protocol in ("tls12", "tls13"):
            suite.check(server.tls_line(port, f"sent alert {alert} ") is not None,
                        f"{what}: the server sent alert {alert}", shorten([l for l in server.log() if "tls:" in l][-3:]))
        if protocol == "tls12":
            suite.eq(got.alert, PYTHON_ALERT[alert], f"{what}: the TLS 1.2 client got the alert in the handshake")
        return

    for path, got in zip(paths, answers):
        if not suite.check(isinstance(got, Response), f"{what}: expected HTTP {expect.status} on {path}",
                           f"got {got!r}"):
            return
        suite.eq(got.status, expect.status, f"{what}: status of {path}")
        if expect.status == 401:
            suite.eq(got.body, b"", f"{what}: 401 body is empty")
            suite.check("www-authenticate" not in got.headers, f"{what}: 401 has no WWW-Authenticate")
            suite.check("krtool-auth-failure" not in got.headers, f"{what}: no diagnostics header without --diagnostics")
        elif path == "/info":
            suite.eq(got.json().get("message"), "Client Certificate Authentication Demo", f"{what}: /info message")
        elif path == "/secure/cert/hello":
            check_hello(got, certs.clients[expect.presented], what)
        else:
            check_info(got, certs.clients[expect.presented], what)
        expected_version = {"tls12": "TLSv1.2", "tls13": "TLSv1.3", None: "TLSv1.3"}[protocol]
        suite.eq(version, expected_version, f"{what}: negotiated protocol")
        check_access_line(server, port, path, expect, expected_version, what)


def run_config(config, protocol=None):
    """One server for one configuration, every client and route against it."""
    mode, policy, scheme = config
    name = f"serve {mode}/{policy}/{scheme}" + (f"/{protocol}" if protocol else "")
    server = Server(server_args(mode, policy, scheme, protocol), W, suite, name)
    with server:
        rejected_ports = []
        for client in CLIENTS:
            for route in ROUTES:
                suite.guard(f"{name} client={client} route={route}", run_cell, server,
                            (*config, protocol or "default"), client, route, protocol, rejected_ports)
    # A connection refused at TLS never becomes a request.
    for port in rejected_ports:
        suite.check(not any(f" {LOOPBACK}:{port} GET " in line for line in server.log()),
                    f"{name}: no access-log line for the rejected connection from port {port}")
    return name


def test_matrix():
    configs = [(m, p, s) for m in MODES for p in POLICIES for s in SCHEMES]
    # Every TLS verdict (mode x policy) again with one protocol at a time; the scheme plays no part there.
    protocol_configs = [((m, p, "chained"), proto) for proto in ("tls12", "tls13")
                        for m in ("allow", "require") for p in POLICIES]
    jobs = [(c, None) for c in configs] + protocol_configs
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(suite.guard, f"matrix {c} {p}", run_config, c, p) for c, p in jobs]
        for future in futures:
            future.result(timeout=600)
    cells = len(jobs) * len(CLIENTS) * len(ROUTES)
    tally = {}
    for config, _ in jobs:
        for client in CLIENTS:
            for route in ROUTES:
                expect = expected_outcome(*config, client, route)
                key = "TLS failure" if expect.kind == "tls-failure" else str(expect.status)
                tally[key] = tally.get(key, 0) + 1
    suite.check(all(tally.get(k, 0) > 50 for k in ("TLS failure", "200", "401")),
                "matrix: every kind of outcome is well represented", repr(tally))
    print(f"matrix: {len(jobs)} servers, {cells} cells ({', '.join(f'{k}: {v}' for k, v in sorted(tally.items()))}) "
          f"in {time.monotonic() - started:.1f}s", flush=True)


# ---------------------------------------------------------------------------------------------------
# Cross-checks with curl and openssl s_client


def curl_cert_args(client):
    cert = certs.clients[client] if client else None
    return ["--cert", cert.pem, "--key", cert.key] if cert else []


def test_curl_agrees():
    """curl (OpenSSL underneath, but its own client code) sees the same outcome as the oracle."""
    configs = (("allow", STRICT, "chained"), ("require", STRICT, "chained"),
               ("allow", "AllowSelfSignedForDevelopment", "all"))
    with ThreadPoolExecutor(max_workers=3) as pool:
        for future in [pool.submit(suite.guard, f"curl {c}", curl_config, c) for c in configs]:
            future.result(timeout=600)


def curl_config(config):
    with Server(server_args(*config), W, suite, f"curl {'/'.join(config)}") as server:
        for client in CLIENTS:
            for route, path in (("public", "/info"), ("protected", "/secure/cert/hello")):
                what = f"curl [{' '.join(config)}] client={client or 'none'} {path}"
                expect = expected_outcome(*config, client, route)
                rc, status, body, err = curl(["--cacert", certs.ca.pem, *curl_cert_args(client),
                                              f"{server.url}{path}"])
                if expect.kind == "tls-failure":
                    suite.check(rc != 0 and status is None, f"{what}: TLS failure", f"rc={rc} status={status}")
                    continue
                suite.check(rc == 0, f"{what}: curl succeeded", err)
                suite.eq(status, expect.status, f"{what}: status")
                if expect.status == 200 and route == "protected":
                    suite.contains(body, certs.clients[client].thumbprint, f"{what}: thumbprint in the body")
                if expect.status == 401:
                    suite.eq(body, "", f"{what}: empty 401 body")


def test_s_client_agrees():
    """openssl s_client shows the alerts themselves."""
    request = "GET /secure/cert/hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    with Server(server_args("require", STRICT, "chained"), W, suite, "s_client require/strict") as server:
        base = ["-CAfile", certs.ca.pem]
        rc, out = s_client(server.host, server.port, [*base, "-tls1_2"], request)
        suite.check(rc != 0 and "alert handshake failure" in out and "HTTP/1.1" not in out,
                    "s_client TLS 1.2, require, no certificate: alert handshake failure", shorten(out))
        rc, out = s_client(server.host, server.port, [*base, "-tls1_3"], request)
        suite.check(rc != 0 and "alert certificate required" in out and "HTTP/1.1" not in out,
                    "s_client TLS 1.3, require, no certificate: alert certificate required", shorten(out))
        for version in ("-tls1_2", "-tls1_3"):
            rc, out = s_client(server.host, server.port,
                               [*base, version, "-cert", certs.selfsigned.pem, "-key", certs.selfsigned.key], request)
            suite.check(rc != 0 and "alert unknown ca" in out and "HTTP/1.1" not in out,
                        f"s_client {version}, strict, self-signed client: alert unknown ca", shorten(out))
            rc, out = s_client(server.host, server.port,
                               [*base, version, "-cert", certs.expired.pem, "-key", certs.expired.key], request)
            suite.check(rc != 0 and "alert certificate expired" in out and "HTTP/1.1" not in out,
                        f"s_client {version}, strict, expired client: alert certificate expired", shorten(out))
            rc, out = s_client(server.host, server.port,
                               [*base, version, "-cert", certs.valid.pem, "-key", certs.valid.key], request)
            suite.check("HTTP/1.1 200 OK" in out and certs.valid.thumbprint in out,
                        f"s_client {version}, strict, valid client: 200 with its thumbprint", shorten(out))
        # The CertificateRequest names the --trust-ca issuer, so clients can choose a certificate by it.
        rc, out = s_client(server.host, server.port, [*base, "-tls1_2", "-cert", certs.valid.pem, "-key",
                                                      certs.valid.key], request)
        suite.contains(out, "Acceptable client certificate CA names", "s_client: the server lists acceptable CAs")
        suite.contains(out, "CN = E2E Dev CA", "s_client: the acceptable CA is the --trust-ca one")


# ---------------------------------------------------------------------------------------------------
# The guide's troubleshooting table, one test per row


def first_read_alert(server, context):
    """Handshake, then read before sending anything: a TLS 1.3 rejection arrives as an alert on that
    first read (sending a request first lets the server's reset race the alert). Returns (error or
    'no error', local port)."""
    with TlsConnection(server.host, server.port, context, timeout=10) as connection:
        if connection.failure is not None:
            return connection.failure, connection.local_port
        try:
            data = connection.sock.recv(1)
            return f"read {data!r}", connection.local_port
        except Exception as error:  # noqa: BLE001 - the error is what the test looks at
            return TlsFailure(error, "first read"), connection.local_port


def test_row1_client_handshake_fails():
    """Row 1: client 'The decryption operation failed' = the TLS handshake rejected the client
    certificate. krtool: a self-signed client against strict validation; TLS 1.2 shows the alert in the
    handshake, TLS 1.3 on the first read; the server log says 'tls: rejected client certificate'. Fix: a
    development callback lets the same certificate through TLS."""
    what = "troubleshooting 1 (client cert rejected at TLS)"
    for proto, py_version in (("tls12", "TLSv1_2"), ("tls13", "TLSv1_3")):
        with Server(server_args("allow", STRICT, "all", proto), W, suite, f"{what} {proto}") as server:
            failure, port = first_read_alert(server, CONTEXTS["selfsigned"])
            if suite.check(isinstance(failure, TlsFailure), f"{what} {proto}: no HTTP, the connection fails",
                           repr(failure)):
                suite.eq(failure.alert, "TLSV1_ALERT_UNKNOWN_CA", f"{what} {proto}: the client sees alert unknown CA")
                suite.eq(failure.stage, "handshake" if proto == "tls12" else "first read",
                         f"{what} {proto}: where the client sees it")
            line = server.tls_line(port, "tls: rejected client certificate")
            suite.contains(line, f"'{certs.selfsigned.subject}' from {LOOPBACK}:{port}: RemoteCertificateChainErrors "
                                 f"by strict validation [UntrustedRoot: self-signed certificate", f"{what} {proto}: server log line")
            suite.check(server.tls_line(port, "sent alert 48 (unknown CA)") is not None,
                        f"{what} {proto}: server log names the alert")
        fix = server_args("allow", "AllowSelfSignedForDevelopment", "all", proto)
        with Server(fix, W, suite, f"{what} fix {proto}") as server:
            with TlsConnection(server.host, server.port, CONTEXTS["selfsigned"]) as connection:
                got = connection.get("/secure/cert/hello")
            suite.check(isinstance(got, Response) and got.status == 200,
                        f"{what} {proto}: with AllowSelfSignedForDevelopment (and types all) it is 200", repr(got))


def test_row2_server_chain_validation():
    """Row 2: server 'RemoteCertificateValidationCallback' = an untrusted client certificate fails chain
    validation. krtool: a certificate from another CA is refused by strict validation and the server log
    gives the chain error; fix: trust that CA (--trust-ca at TLS, --auth-trust-ca in the scheme)."""
    what = "troubleshooting 2 (chain validation fails for another CA's client)"
    with Server(server_args("allow", STRICT, "chained"), W, suite, what) as server:
        got, port = None, None
        with TlsConnection(server.host, server.port, CONTEXTS["untrusted"]) as connection:
            got, port = connection.get("/secure/cert/hello"), connection.local_port
        suite.check(isinstance(got, TlsFailure), f"{what}: no HTTP response", repr(got))
        line = server.tls_line(port, "tls: rejected client certificate")
        suite.contains(line, f"'{certs.untrusted.subject}' from {LOOPBACK}:{port}: RemoteCertificateChainErrors by "
                             "strict validation [UntrustedRoot: self-signed certificate in certificate chain",
                       f"{what}: server log")
    fixed = [*certs.server_args(), "--client-cert-mode", "allow", "--trust-ca", certs.ca.pem, "--trust-ca",
             certs.other_ca.pem, "--auth-trust-ca", certs.ca.pem, "--auth-trust-ca", certs.other_ca.pem,
             "--revocation-mode", "nocheck"]
    with Server(fixed, W, suite, f"{what} fix") as server:
        with TlsConnection(server.host, server.port, CONTEXTS["untrusted"]) as connection:
            got, port = connection.get("/secure/cert/hello"), connection.local_port
        if suite.check(isinstance(got, Response) and got.status == 200, f"{what}: trusting the CA gives 200",
                       repr(got)):
            suite.eq(got.json().get("thumbprint"), certs.untrusted.thumbprint, f"{what}: the identity")
        suite.contains(server.access_line(port, "GET", "/secure/cert/hello"), 'tls="accepted (None)"',
                       f"{what}: TLS verdict after the fix")


def test_row3_callback_given_the_wrong_way():
    """Row 3: 'There is no Runspace available' = the TLS callback was given in a form the server cannot
    run (a PowerShell script block). krtool's equivalents stop serve before it listens, saying what to use:
    an unknown callback name lists the built-ins; the guide's C# snippet given as code does not compile as
    C++ and the compiler's message names its line; two callbacks at once name both flags. Fix: a built-in
    callback, which works."""
    what = "troubleshooting 3 (callback in a form serve cannot run)"
    base = [*certs.server_args(), "--client-cert-mode", "allow"]
    rc, err = start_failure([*base, "--client-cert-validation", "{ $true }"], W)
    suite.eq(rc, 2, f"{what}: unknown callback name exits 2")
    suite.contains(err, "AllowSelfSignedForDevelopment", f"{what}: the message lists the built-ins")
    csharp = "if (certificate is null) return true; // AllowCertificate mode\n\nreturn sslPolicyErrors == SslPolicyErrors.None;"
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(W, "cache"))
    rc, err = start_failure([*base, "--client-cert-validation-code", csharp], W, env=env)
    suite.eq(rc, 2, f"{what}: C# code exits 2")
    suite.contains(err, "--client-cert-validation-code: the validation code does not compile",
                   f"{what}: the message names the flag")
    suite.contains(err, "client-cert-validation-code:1:", f"{what}: the compiler's message names line 1")
    rc, err = start_failure([*base, "--client-cert-validation", "AllowAny", "--client-cert-validation-code",
                             "return true;"], W)
    suite.eq(rc, 2, f"{what}: two callbacks exit 2")
    suite.check("--client-cert-validation " in err + " " and "--client-cert-validation-code" in err,
                f"{what}: both flags named", err)
    with Server([*base, "--client-cert-validation", "AllowAny", "--allowed-certificate-types", "all",
                 "--revocation-mode", "nocheck"], W, suite, f"{what} fix") as server:
        with TlsConnection(server.host, server.port, CONTEXTS["selfsigned"]) as connection:
            got = connection.get("/secure/cert/hello")
        suite.check(isinstance(got, Response) and got.status == 200, f"{what}: the built-in AllowAny works",
                    repr(got))


def test_row4_public_route_needs_certificate():
    """Row 4: public endpoints require a client certificate = the mode is require. krtool: /info without a
    certificate fails the handshake under TLS 1.2 and 1.3, and the server log says why; fix: allow mode
    serves /info without a certificate and protects /secure with 401."""
    what = "troubleshooting 4 (/info needs a cert because mode is require)"
    for proto, alert in (("tls12", "sent alert 40 (handshake failure)"), ("tls13", "sent alert 116 (certificate required)")):
        with Server(server_args("require", STRICT, "chained", proto), W, suite, f"{what} {proto}") as server:
            failure, port = first_read_alert(server, CONTEXTS[None])
            if suite.check(isinstance(failure, TlsFailure), f"{what} {proto}: no HTTP for /info", repr(failure)):
                expected_alert = "SSLV3_ALERT_HANDSHAKE_FAILURE" if proto == "tls12" else "TLSV13_ALERT_CERTIFICATE_REQUIRED"
                suite.eq(failure.alert, expected_alert, f"{what} {proto}: the client's alert")
            with TlsConnection(server.host, server.port, CONTEXTS[None]) as connection:
                got = connection.get("/info")
            suite.check(isinstance(got, TlsFailure), f"{what} {proto}: GET /info gets no response", repr(got))
            line = server.tls_line(port, "failed: sent alert")
            suite.contains(line, f"tls: handshake with {LOOPBACK}:{port} failed: {alert}: no client certificate "
                                 "was sent and --client-cert-mode is require", f"{what} {proto}: server log explains")
    with Server(server_args("allow", STRICT, "chained"), W, suite, f"{what} fix") as server:
        with TlsConnection(server.host, server.port, CONTEXTS[None]) as connection:
            info = connection.get("/info")
            hello = connection.get("/secure/cert/hello")
        suite.check(isinstance(info, Response) and info.status == 200, f"{what}: allow mode serves /info", repr(info))
        suite.check(isinstance(hello, Response) and hello.status == 401, f"{what}: allow mode, /secure is 401",
                    repr(hello))


def test_row5_401_with_a_certificate():
    """Row 5: 401 on a protected route with a certificate = the scheme rejects it, or the route's scheme
    is not the one configured. krtool: (a) TLS accepts a self-signed certificate through a development
    callback but the scheme allows only chained ones: 401, and --diagnostics tells the client why;
    (b) a route naming an unregistered scheme stops serve; (c) two schemes, the route names the strict
    one: 401 there, 200 on the route of the lenient one (align the names)."""
    what = "troubleshooting 5 (401 with a certificate)"
    args = [*server_args("allow", "AllowSelfSignedForDevelopment", "chained"), "--diagnostics"]
    with Server(args, W, suite, f"{what} (a)") as server:
        with TlsConnection(server.host, server.port, CONTEXTS["selfsigned"]) as connection:
            got, port = connection.get("/secure/cert/hello"), connection.local_port
        if suite.check(isinstance(got, Response), f"{what} (a): an HTTP answer", repr(got)):
            suite.eq(got.status, 401, f"{what} (a): status")
            suite.eq(got.body, b"", f"{what} (a): empty body")
            suite.eq(got.headers.get("krtool-auth-failure"), "Certificate type not allowed: SelfSigned",
                     f"{what} (a): Krtool-Auth-Failure header")
        line = server.access_line(port, "GET", "/secure/cert/hello")
        suite.contains(line, 'tls="accepted by AllowSelfSignedForDevelopment (RemoteCertificateChainErrors)"',
                       f"{what} (a): TLS accepted it")
        suite.contains(line, 'auth="Certificate: failed: Certificate type not allowed: SelfSigned (401)"',
                       f"{what} (a): the scheme did not")

    rc, err = start_failure([*certs.server_args(), "--client-cert-mode", "allow", "--auth-scheme", "mTLS",
                             "--route", "GET /secure auth=Certificate"], W)
    suite.eq(rc, 2, f"{what} (b): unregistered scheme exits 2")
    suite.contains(err, "Authentication scheme 'Certificate' is not registered.", f"{what} (b): message")
    suite.contains(err, "mTLS", f"{what} (b): the hint names the registered scheme")

    config = os.path.join(W, "two-schemes.json")
    with open(config, "w") as f:
        f.write("""{
  "https": {"clientCertificateMode": "allow", "clientCertificateValidation": "AllowSelfSignedForDevelopment"},
  "schemes": [{"name": "Strict", "trustCa": ["ca.pem"], "revocationMode": "nocheck"},
              {"name": "Dev", "allowedCertificateTypes": "all", "revocationMode": "nocheck"}],
  "routes": ["GET /strict auth=Strict", "GET /dev auth=Dev"],
  "diagnostics": true
}""")
    with Server([*certs.server_args(), "--config", config], W, suite, f"{what} (c)") as server:
        with TlsConnection(server.host, server.port, CONTEXTS["selfsigned"]) as connection:
            strict = connection.get("/strict")
            dev = connection.get("/dev")
        suite.check(isinstance(strict, Response) and strict.status == 401, f"{what} (c): /strict is 401", repr(strict))
        suite.check(isinstance(dev, Response) and dev.status == 200, f"{what} (c): /dev is 200", repr(dev))
        if isinstance(dev, Response) and dev.status == 200:
            echo = dev.json()
            suite.eq((echo.get("user"), echo.get("authenticationType")), (certs.selfsigned.subject, "Dev"),
                     f"{what} (c): /dev's identity echo names the user and the scheme")


def main():
    tests = [("matrix", test_matrix), ("curl", test_curl_agrees), ("s_client", test_s_client_agrees),
             ("row1", test_row1_client_handshake_fails), ("row2", test_row2_server_chain_validation),
             ("row3", test_row3_callback_given_the_wrong_way), ("row4", test_row4_public_route_needs_certificate),
             ("row5", test_row5_401_with_a_certificate)]
    return suite.run(tests, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
