#!/usr/bin/python3
"""End-to-end tests of operating `krtool serve`: the listening line and ports, the --config file and its
errors, the safety rules for relaxed settings, signals with requests in flight, the JSON access log, TLS
session resumption with a client certificate, --self-signed with --export-root, the route handlers, and
the timeouts. Only loopback traffic; a server bound to 0.0.0.0 is reached through 127.0.0.1.
"""

import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import (  # noqa: E402
    CLAIM_NAME, KRTOOL, LOOPBACK, CertSet, Response, Server, Suite, TlsConnection, TlsFailure, client_context, curl,
    shorten, start_failure)

suite = Suite("serve_operations_test")
certs = CertSet(suite.work)
W = suite.work
STRICT_ALLOW = [*certs.server_args(), "--client-cert-mode", "allow", "--trust-ca", certs.ca.pem,
                "--auth-trust-ca", certs.ca.pem, "--revocation-mode", "nocheck"]
VALID = client_context(certs.valid, cafile=certs.ca.pem)
ANONYMOUS = client_context(None, cafile=certs.ca.pem)


def write(path, text, mode="w"):
    full = os.path.join(W, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, mode) as f:
        f.write(text)
    return full


def get(server, path, context=VALID, **kwargs):
    with TlsConnection(server.host, server.port, context, **kwargs) as connection:
        return connection.get(path)


def is_response(got, status):
    return isinstance(got, Response) and got.status == status


def expect_usage_error(args, fragments, what, code=2, cwd=None, port_args=("--port", "0")):
    rc, err = start_failure(args, cwd or W, port_args=port_args)
    suite.eq(rc, code, f"{what}: exit code")
    suite.check(err.startswith("krtool: error: ") or "\nkrtool: error: " in err, f"{what}: 'krtool: error:' line", err)
    suite.check("  hint: " in err, f"{what}: a hint", err)
    for fragment in fragments:
        suite.contains(err, fragment, f"{what}: message names {fragment!r}")
    return err


# ---------------------------------------------------------------------------------------------------


def test_listening_line_and_ports():
    with Server(STRICT_ALLOW, W, suite, "port 0") as server:
        suite.check(server.url.startswith("https://127.0.0.1:") and server.port > 0,
                    "--port 0: 'Now listening on:' gives https://127.0.0.1:<real port>", server.url)
        suite.eq(server.stdout_lines, [f"Now listening on: {server.url}"], "stdout holds only the listening line")
        got = get(server, "/info", ANONYMOUS)
        if suite.check(is_response(got, 200), "the printed port answers", repr(got)):
            # The tutorial's /info tells the caller how to call the server: with its real address.
            example = got.json().get("testInstructions", {}).get("example", "")
            suite.contains(example, f"{server.url}/secure/cert/hello", "/info's example uses the real port, not :0")

    env = dict(os.environ, PORT="0")
    server = Server(STRICT_ALLOW, W, suite, "$PORT=0", env=env, port_args=())
    with server:
        suite.check(server.port > 0, "$PORT=0 without --port picks a free port", server.url)

    with Server([], W, suite, "plain HTTP") as server:
        suite.check(server.url.startswith("http://127.0.0.1:"), "no certificate: an http:// URL", server.url)
        suite.contains(server.stderr_text(), "plain HTTP", "no certificate: a warning says plain HTTP")
        import http.client

        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
        connection.request("GET", "/info")
        answer = connection.getresponse()
        suite.eq(answer.status, 200, "plain HTTP: /info answers")
        answer.read()
        connection.request("GET", "/secure/cert/hello")
        answer = connection.getresponse()
        suite.eq(answer.status, 401, "plain HTTP: a protected route is 401")
        answer.read()
        connection.close()

    if ipv6_loopback_available():
        with Server([*STRICT_ALLOW, "--address", "::1"], W, suite, "::1") as server:
            suite.check(server.url.startswith("https://[::1]:"), "--address ::1: the URL brackets the address",
                        server.url)
            got = get(server, "/secure/cert/hello", VALID)
            suite.check(is_response(got, 200), "::1: a client certificate over IPv6 loopback", repr(got))
    else:
        print("  (no IPv6 loopback here: the ::1 test is skipped)", flush=True)

    expect_usage_error([*STRICT_ALLOW, "--port", "70000"], ["70000"], "--port 70000", port_args=())


def ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_config_file():
    conf = write("conf/serve.json", """{
  // comments are allowed
  "endpoint": {"address": "127.0.0.1", "port": 0, "cert": "../server.pem", "key": "../server.key"},
  "https": {"clientCertificateMode": "require", "trustCa": ["../ca.pem"]},
  "schemes": [{"name": "Corp", "trustCa": ["../ca.pem"], "revocationMode": "nocheck"}],
  "routes": ["GET /info",
             {"method": "GET", "path": "/me", "auth": "Corp",
              "json": {"name": "{user.name}", "type": "{user.authenticationType}", "ok": "{user.isAuthenticated}"}}],
  "logFormat": "json"
}""")
    # Started from another folder: the file's relative paths are taken from the file's own folder.
    server = Server(["--config", conf], "/", suite, "config file", port_args=())
    with server:
        suite.check(server.port > 0, "config: endpoint.port 0 gives a real port", server.url)
        got = get(server, "/me", VALID)
        if suite.check(is_response(got, 200), "config: the file's route and scheme serve /me", repr(got)):
            suite.eq(got.json(), {"name": certs.valid.subject, "type": "Corp", "ok": True},
                     "config: the JSON template from the file")
        got = get(server, "/info", ANONYMOUS)
        suite.check(isinstance(got, TlsFailure), "config: clientCertificateMode require applies", repr(got))
        line = server.wait_for_log(lambda l: l.startswith("{") and '"/me"' in l)
        suite.check(line is not None and json.loads(line).get("auth") == "Corp: success",
                    "config: logFormat json applies", shorten(line))

    overridden = Server(["--config", conf, "--client-cert-mode", "allow", "--log-format", "text",
                         "--route", "GET /who auth=Corp json:{\"type\": \"{user.authenticationType}\"}"],
                        "/", suite, "config file + flags", port_args=())
    with overridden as server:
        got = get(server, "/who", ANONYMOUS)
        suite.check(is_response(got, 401), "flags override: --client-cert-mode allow lets a bare client in",
                    repr(got))
        got = get(server, "/who", VALID)
        suite.check(is_response(got, 200) and got.json() == {"type": "Corp"},
                    "flags override: --route replaces the file's routes, the file's scheme stays", repr(got))
        suite.eq(get(server, "/me", VALID).status, 404, "flags override: the file's /me is gone")
        line = server.wait_for_log(lambda l: " GET /who 200 " in l)
        suite.check(line is not None and not line.startswith("{"), "flags override: --log-format text",
                    shorten(server.log()[-3:]))

    bad_json = write("bad.json", '{"endpoint": {"port": 0,}\n}')
    expect_usage_error(["--config", bad_json], ["not valid JSON", "line 1"], "config: invalid JSON", code=3)


def test_config_errors():
    top = write("top-key.json", '{"clientCertificateMode": "allow"}')
    expect_usage_error(["--config", top], ["unknown key 'clientCertificateMode'", "belongs inside \"https\""],
                       "config: unknown top-level key")
    nested = write("nested-key.json", '{"https": {"clientCertMode": "allow"}}')
    expect_usage_error(["--config", nested], ["unknown key 'https.clientCertMode'", "clientCertificateMode"],
                       "config: unknown key in https")
    typo = write("typo-key.json", '{"https": {"clientCertificateMod": "allow"}}')
    expect_usage_error(["--config", typo], ["unknown key 'https.clientCertificateMod'",
                                            "did you mean 'clientCertificateMode'"], "config: a typo gets a suggestion")
    scheme = write("scheme-key.json", '{"schemes": [{"name": "A", "trustCA": ["ca.pem"]}]}')
    expect_usage_error(["--config", scheme], ["unknown key 'schemes[0].trustCA'"], "config: unknown key in a scheme")

    route = write("route-scheme.json", '{"routes": ["GET /x auth=Nope"]}')
    expect_usage_error([*certs.server_args(), "--config", route], ["Authentication scheme 'Nope' is not registered."],
                       "config: a route with an unknown scheme")
    expect_usage_error([*certs.server_args(), "--route", "GET /x auth=Nope"],
                       ["Authentication scheme 'Nope' is not registered.", "Certificate"],
                       "--route with an unknown scheme")

    both = write("two-callbacks.json", '{"https": {"clientCertificateValidation": "AllowAny", '
                                       '"clientCertificateValidationCode": "return true;"}}')
    expect_usage_error([*certs.server_args(), "--config", both],
                       ["https.clientCertificateValidation'", "https.clientCertificateValidationCode'"],
                       "config: two validation callbacks")
    expect_usage_error([*certs.server_args(), "--client-cert-mode", "allow", "--client-cert-validation", "AllowAny",
                        "--client-cert-validation-code-path", "check.cpp"],
                       ["--client-cert-validation and", "--client-cert-validation-code-path"],
                       "two validation flags")
    expect_usage_error([*certs.server_args(), "--client-cert-mode", "allow", "--client-cert-validation-code",
                        "return true;", "--client-cert-validation-code-path", "check.cpp"],
                       ["--client-cert-validation-code and", "--client-cert-validation-code-path"],
                       "two validation code flags")
    expect_usage_error(["--client-cert-mode", "allow"], ["needs HTTPS"], "client-cert mode without a certificate")

    # An error names a field as the user set it: the key in their file, or the flag they typed. A field
    # nobody set is named by its flag, which is how the hint's fix would be given.
    mode = write("mode-without-cert.json", '{"https": {"clientCertificateMode": "allow"}}')
    err = expect_usage_error(["--config", mode], [f"config '{mode}' https.clientCertificateMode allow needs HTTPS",
                                                  "set --cert or --self-signed"], "config: an error names the key")
    suite.check("--client-cert-mode" not in err, "config: the key's error does not name the flag", err)
    err = expect_usage_error(["--client-cert-mode", "allow"], ["--client-cert-mode allow needs HTTPS"],
                             "flag: an error names the flag")
    suite.check("clientCertificateMode" not in err, "flag: the flag's error does not name the key", err)
    err = expect_usage_error(["--config", mode, "--client-cert-mode", "require"],
                             ["--client-cert-mode require needs HTTPS"], "flag over config: the flag is named")
    suite.check("clientCertificateMode" not in err, "flag over config: the overridden key is not named", err)
    offline = write("offline.json", '{"schemes": [{"name": "Certificate", "revocationMode": "offline"}]}')
    expect_usage_error([*certs.server_args(), "--config", offline],
                       ["schemes[0].revocationMode offline needs a CRL", "with --crl"], "config: a scheme's key")
    expect_usage_error([*certs.server_args(), "--revocation-mode", "offline"],
                       ["--revocation-mode offline needs a CRL", "with --crl"], "flag: a scheme's flag")
    connections = write("connections.json", '{"endpoint": {"port": 0}}')
    expect_usage_error(["--config", connections, "--max-connections", "0"], ["--max-connections is 0"],
                       "flag: a limit below 1")
    expect_usage_error([*certs.server_args(), "--client-cert-mode", "sometimes"], ["sometimes"], "unknown mode")


def test_relaxed_settings():
    relaxed = [*certs.server_args(), "--client-cert-mode", "allow", "--client-cert-validation",
               "AllowSelfSignedForDevelopment", "--allowed-certificate-types", "all", "--revocation-mode", "nocheck"]
    with Server(relaxed, W, suite, "relaxed on loopback") as server:
        for fragment in ("TLS validation callback AllowSelfSignedForDevelopment", "allowed certificate types All",
                         "revocation mode NoCheck"):
            # The warnings precede the listening line, but stderr and stdout are read by different threads.
            line = server.wait_for_log(lambda text, fragment=fragment: fragment in text)
            suite.contains(line, "krtool: warning: relaxed for development: ", "relaxed: warning lines")
            suite.contains(line, fragment, f"relaxed: the warning names {fragment!r}")
    strict = [*certs.server_args(), "--client-cert-mode", "allow", "--trust-ca", certs.ca.pem,
              "--auth-trust-ca", certs.ca.pem]
    with Server(strict, W, suite, "strict on loopback") as server:
        suite.check("relaxed" not in server.stderr_text(), "strict settings: no relaxed warning", server.stderr_text())

    expect_usage_error([*relaxed, "--address", "0.0.0.0"],
                       ["0.0.0.0", "AllowSelfSignedForDevelopment", "allowed certificate types All"],
                       "relaxed on 0.0.0.0 is refused")
    expect_usage_error([*strict, "--address", "0.0.0.0", "--diagnostics"], ["--diagnostics"],
                       "--diagnostics on 0.0.0.0 is refused")
    with Server([*relaxed, "--address", "0.0.0.0", "--allow-insecure-public"], W, suite,
                "relaxed on 0.0.0.0 with --allow-insecure-public") as server:
        suite.check(server.url.startswith("https://0.0.0.0:"), "--allow-insecure-public: it listens", server.url)
        with TlsConnection(LOOPBACK, server.port, client_context(certs.selfsigned, cafile=certs.ca.pem),
                           server_hostname="localhost") as connection:
            got = connection.get("/secure/cert/hello")
        suite.check(is_response(got, 200), "--allow-insecure-public: reachable through 127.0.0.1", repr(got))
    # Strict: no callback, chained only, revocation online (the default), so no flag is needed.
    with Server([*strict, "--address", "0.0.0.0"], W, suite, "strict on 0.0.0.0") as server:
        with TlsConnection(LOOPBACK, server.port, VALID, server_hostname="localhost") as connection:
            got = connection.get("/info")
            port = connection.local_port
        suite.check(is_response(got, 200), "strict settings on 0.0.0.0 need no flag (via 127.0.0.1)", repr(got))
        suite.contains(server.access_line(port, "GET", "/info"), 'tls="accepted (None)"',
                       "strict on 0.0.0.0: the client certificate passed strict TLS")


def interrupted_download(server, path, after_bytes, interrupt, deadline_seconds=60):
    """Downloads PATH; once after_bytes arrived, stops reading, calls interrupt() and waits half a second
    while the server is blocked writing the rest (a small receive window and far more data than the
    kernel buffers hold), then reads the rest. Returns (head, body)."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    raw.settimeout(20)
    raw.connect((server.host, server.port))
    sock = VALID.wrap_socket(raw, server_hostname=server.host)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(16384)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    deadline = time.monotonic() + deadline_seconds
    interrupted = False
    chunks = [body]
    received = len(body)
    while received < length and time.monotonic() < deadline:
        if not interrupted and received >= after_bytes:
            interrupt()
            interrupted = True
            time.sleep(0.5)
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    sock.close()
    return head, b"".join(chunks)


def test_signals_finish_requests_in_flight():
    big = os.path.join(W, "big.bin")
    payload = os.urandom(1024 * 1024) * 12  # 12 MiB: far more than the socket buffers hold
    with open(big, "wb") as f:
        f.write(payload)
    digest = hashlib.sha256(payload).hexdigest()
    for sig in (signal.SIGTERM, signal.SIGINT):
        name = signal.Signals(sig).name
        server = Server([*STRICT_ALLOW, "--route", f"GET /big file:{big}", "--route", "GET /info"], W, None,
                        f"{name} in flight")
        if not server.start():
            suite.check(False, f"{name}: server started", server.stderr_text())
            continue
        sent_at = []

        def send_signal():
            server.process.send_signal(sig)
            sent_at.append(time.monotonic())

        try:
            head, body = interrupted_download(server, "/big", 1024 * 1024, send_signal)
        except Exception as error:  # noqa: BLE001
            head, body = repr(error).encode(), b""
        suite.check(head.startswith(b"HTTP/1.1 200"), f"{name}: the in-flight download started", shorten(head))
        suite.check(bool(sent_at), f"{name}: the signal was sent mid-transfer")
        suite.check(len(body) == len(payload) and hashlib.sha256(body).hexdigest() == digest,
                    f"{name}: the request in flight completed whole", f"{len(body)} of {len(payload)} bytes")
        rc = server.stop(timeout=30)  # already signalled; this waits for the exit
        suite.eq(rc, 0, f"{name}: exit code 0")
        suite.contains(server.stderr_text(), f"krtool: stopping ({name})", f"{name}: says it is stopping")
        line = server.wait_for_log(lambda l: " GET /big 200 " in l, timeout=1)
        suite.check(line is not None, f"{name}: the finished request is in the access log")


def test_signal_right_after_listening():
    """A signal that arrives as soon as `Now listening on:` is printed (a script that starts the server,
    reads the URL and decides to stop) must still stop it: the line promises the server is ready. The
    signal goes out the moment the line is read, up to 12 times; the first server that does not exit
    within 8 s ends the test (and is killed)."""
    outcomes = []
    for attempt in range(12):
        sig = signal.SIGINT if attempt % 2 == 0 else signal.SIGTERM
        process = subprocess.Popen([KRTOOL, "serve", "--port", "0", *certs.server_args()], cwd=W,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   text=True)
        try:
            line = process.stdout.readline()
            process.send_signal(sig)
            outcomes.append(process.wait(timeout=8) if line.startswith("Now listening on: ") else f"no line: {line!r}")
        except subprocess.TimeoutExpired:
            outcomes.append(f"still running 8 s after {signal.Signals(sig).name}")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            process.stdout.close()
        if outcomes[-1] != 0:
            break
    suite.eq(outcomes, [0] * 12, "a signal right after the listening line stops the server (exit 0 every time)")


def test_json_log():
    with Server([*STRICT_ALLOW, "--log-format", "json"], W, suite, "json log") as server:
        get(server, "/info", ANONYMOUS)
        get(server, "/secure/cert/hello", ANONYMOUS)
        get(server, "/secure/cert/info", VALID)
        rejected = get(server, "/secure/cert/hello", client_context(certs.selfsigned, cafile=certs.ca.pem))
        suite.check(isinstance(rejected, TlsFailure), "json log: the self-signed client is refused", repr(rejected))
        server.wait_for_log(lambda l: '"/secure/cert/info"' in l)
        server.wait_for_log(lambda l: "rejected client certificate" in l)
    entries = []
    for line in server.log():
        if line.startswith("krtool: "):
            continue  # start-up description and warnings are for people
        try:
            entry = json.loads(line)
            suite.check(isinstance(entry, dict), "json log: each line is one object", line)
            entries.append(entry)
        except ValueError:
            suite.check(False, "json log: every log line is JSON", line)
    by_path = {}
    for entry in entries:
        if "path" in entry:
            by_path.setdefault(entry["path"], []).append(entry)
    info = by_path.get("/info", [{}])[0]
    suite.eq((info.get("status"), info.get("tls"), info.get("auth")), (200, "no certificate", "public"),
             "json log: /info entry")
    hello = by_path.get("/secure/cert/hello", [{}])[0]
    suite.eq((hello.get("status"), hello.get("tls"), hello.get("auth")),
             (401, "no certificate", "Certificate: no certificate (401)"), "json log: 401 entry")
    ok = by_path.get("/secure/cert/info", [{}])[0]
    suite.eq((ok.get("status"), ok.get("tls"), ok.get("auth"), ok.get("method"), ok.get("protocol")),
             (200, "accepted (None)", "Certificate: success", "GET", "TLSv1.3"), "json log: 200 entry")
    logged = ok.get("clientCertificate") or {}
    suite.eq({key: logged.get(key) for key in ("subject", "thumbprint", "issuer", "serialNumber")},
             {"subject": certs.valid.subject, "thumbprint": certs.valid.thumbprint, "issuer": certs.ca.subject,
              "serialNumber": certs.valid.serial}, "json log: the client certificate's identity fields")
    suite.check(str(ok.get("remote", "")).startswith(f"{LOOPBACK}:") and isinstance(ok.get("durationMs"), (int, float))
                and str(ok.get("time", "")).endswith("Z"), "json log: remote, durationMs, time", repr(ok))
    tls_events = [e for e in entries if e.get("event") == "tls"]
    suite.check(any("rejected client certificate 'CN=mallory, O=self'" in e.get("message", "") for e in tls_events),
                "json log: the TLS rejection is a JSON event too", repr(tls_events))


def test_session_resumption():
    with Server(STRICT_ALLOW, W, suite, "resumption") as server:
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            what = f"resumption {version.name}"
            context = client_context(certs.valid, cafile=certs.ca.pem, min_version=version, max_version=version)
            with TlsConnection(server.host, server.port, context) as first:
                got = first.get("/secure/cert/hello")
                session = first.session
                first_reused = first.session_reused
            suite.check(is_response(got, 200), f"{what}: first connection 200", repr(got))
            suite.eq(first_reused, False, f"{what}: the first connection is a full handshake")
            with TlsConnection(server.host, server.port, context, session=session) as second:
                again = second.get("/secure/cert/hello")
                info = second.get("/secure/cert/info")
                reused = second.session_reused
                port = second.local_port
            suite.eq(reused, True, f"{what}: the second connection resumed the session")
            if suite.check(is_response(again, 200), f"{what}: resumed connection still 200", repr(again)):
                suite.eq(again.json().get("thumbprint"), certs.valid.thumbprint, f"{what}: same thumbprint")
            if suite.check(is_response(info, 200), f"{what}: resumed /secure/cert/info 200", repr(info)):
                claims = {c["type"]: c["value"] for c in info.json().get("claims", [])}
                suite.eq(claims.get(CLAIM_NAME), certs.valid.subject, f"{what}: same identity claim")
            suite.contains(server.access_line(port, "GET", "/secure/cert/hello"), 'tls="resumed"',
                           f"{what}: the log says resumed")
        # A session made without a certificate stays anonymous when resumed.
        context = client_context(None, cafile=certs.ca.pem, max_version=ssl.TLSVersion.TLSv1_2)
        with TlsConnection(server.host, server.port, context) as first:
            first.get("/info")
            session = first.session
        with TlsConnection(server.host, server.port, context, session=session) as second:
            got = second.get("/secure/cert/hello")
            reused = second.session_reused
        suite.check(reused and is_response(got, 401), "resumption: an anonymous session stays anonymous (401)",
                    f"reused={reused} {got!r}")


def test_self_signed_export_root():
    root = os.path.join(W, "root.pem")
    with Server(["--self-signed", "--export-root", root], W, suite,
                "self-signed") as server:
        suite.check(os.path.isfile(root), "--export-root writes the root")
        suite.contains(server.stderr_text(), "development root", "--self-signed: stderr names the root")
        rc, status, body, err = curl(["--cacert", root, f"{server.url}/info"])
        suite.check(rc == 0 and status == 200, "curl --cacert root.pem verifies the server (127.0.0.1)",
                    f"rc={rc} {err}")
        rc, status, body, err = curl(["--cacert", root, "--resolve", f"localhost:{server.port}:127.0.0.1",
                                      f"https://localhost:{server.port}/info"])
        suite.check(rc == 0 and status == 200, "curl --cacert root.pem verifies the server (localhost)",
                    f"rc={rc} {err}")
        rc, status, body, err = curl([f"{server.url}/info"])
        suite.check(rc == 60, "without the root, curl refuses the server certificate (exit 60)", f"rc={rc} {err}")
    rc, err = start_failure(["--self-signed", "--export-root", root], W)
    suite.check(rc not in ("started", 0) and "--force" in err, "--export-root does not overwrite without --force",
                err)
    expect_usage_error([*certs.server_args(), "--export-root", os.path.join(W, "x.pem")], ["--export-root"],
                       "--export-root without --self-signed")


def test_route_handlers():
    page = write("page.html", "<h1>hello</h1>\n")
    write("public/a.txt", "alpha\n")
    write("public/sub/b.json", '{"b": 1}')
    write("secret.txt", "do not serve\n")
    os.symlink(os.path.join(W, "secret.txt"), os.path.join(W, "public", "link.txt"))
    template = ('{"user": "{user.name}", "thumbprint": "{cert.thumbprint}", "claims": "{claims}", '
                '"path": "{request.path}", "method": "{request.method}", "tls": "{tls.protocol}", '
                '"ok": "{user.isAuthenticated}", "text": "subject is {cert.subject}!"}')
    args = [*STRICT_ALLOW, "--route", f"GET /whoami auth=Certificate json:{template}",
            "--route", "GET /health status:204", "--route", f"GET /page file:{page}",
            "--route", "GET /static dir:public", "--route", "POST /admin auth=Certificate status:201",
            "--route", "GET /echo auth=Certificate", "--route", "GET /open"]
    with Server(args, W, suite, "routes") as server:
        with TlsConnection(server.host, server.port, VALID) as connection:
            whoami = connection.get("/whoami")
            health = connection.get("/health")
            page_got = connection.get("/page")
            a = connection.get("/static/a.txt")
            b = connection.get("/static/sub/b.json")
            missing = connection.get("/static/missing.txt")
            escape = connection.get("/static/../secret.txt")
            escape_encoded = connection.get("/static/%2e%2e/secret.txt")
            link = connection.get("/static/link.txt")
            admin = connection.get("/admin", method="POST")
            echo = connection.get("/echo")
            wrong_method = connection.get("/health", method="DELETE")
            nowhere = connection.get("/nowhere")
        if suite.check(is_response(whoami, 200), "json: answers", repr(whoami)):
            body = whoami.json()
            suite.eq(body.get("user"), certs.valid.subject, "json: {user.name}")
            suite.eq(body.get("thumbprint"), certs.valid.thumbprint, "json: {cert.thumbprint}")
            suite.eq([c.get("type") for c in body.get("claims", [])][1], CLAIM_NAME, "json: {claims} is the array")
            suite.eq((body.get("path"), body.get("method"), body.get("tls")), ("/whoami", "GET", "TLSv1.3"),
                     "json: request and TLS placeholders")
            suite.eq(body.get("ok"), True, "json: a lone placeholder keeps its type")
            suite.eq(body.get("text"), f"subject is {certs.valid.subject}!", "json: placeholders inside text")
            suite.contains(whoami.headers.get("content-type"), "application/json", "json: content type")
        suite.check(is_response(health, 204) and health.body == b"", "status:204 answers 204 without a body",
                    repr(health))
        suite.check(is_response(page_got, 200) and page_got.body == b"<h1>hello</h1>\n", "file: serves the file",
                    repr(page_got))
        suite.contains(getattr(page_got, "headers", {}).get("content-type"), "text/html", "file: content type")
        suite.check(is_response(a, 200) and a.body == b"alpha\n", "dir: serves a file", repr(a))
        suite.check(is_response(b, 200) and b.body == b'{"b": 1}', "dir: serves a nested file", repr(b))
        for name, got in (("missing", missing), ("..", escape), ("%2e%2e", escape_encoded), ("link outside", link)):
            suite.check(is_response(got, 404) and b"do not serve" not in got.body, f"dir: {name} is 404", repr(got))
        suite.check(is_response(admin, 201), "POST status:201 with auth and a certificate", repr(admin))
        if suite.check(is_response(echo, 200), "identity echo answers", repr(echo)):
            suite.eq((echo.json().get("authenticated"), echo.json().get("user")), (True, certs.valid.subject),
                     "identity echo: the user")
        suite.check(is_response(wrong_method, 405), "a known path with another method is 405", repr(wrong_method))
        suite.check(is_response(nowhere, 404), "an unknown path is 404", repr(nowhere))
        with TlsConnection(server.host, server.port, ANONYMOUS) as connection:
            whoami = connection.get("/whoami")
            admin = connection.get("/admin", method="POST")
            opened = connection.get("/open")
            page_got = connection.get("/page")
        suite.check(is_response(whoami, 401) and whoami.body == b"", "json route with auth: 401 without a cert",
                    repr(whoami))
        suite.check(is_response(admin, 401), "status route with auth: 401 without a cert", repr(admin))
        suite.check(is_response(opened, 200) and opened.json().get("authenticated") is False,
                    "a public route without a handler echoes an anonymous caller", repr(opened))
        suite.check(is_response(page_got, 200), "a public file route needs no cert", repr(page_got))
    expect_usage_error([*STRICT_ALLOW, "--route", "GET /x json:{\"a\": \"{cert.subjekt}\"}"], ["{cert.subjekt}"],
                       "json: an unknown placeholder stops serve")
    expect_usage_error([*STRICT_ALLOW, "--route", "GET /x dir:no-such-folder"], ["no-such-folder"],
                       "dir: a missing folder stops serve")
    expect_usage_error([*STRICT_ALLOW, "--route", "FETCH /x"], ["FETCH"], "an unknown method stops serve")


def test_timeouts():
    with Server([*STRICT_ALLOW, "--handshake-timeout", "1", "--keep-alive-timeout", "1"], W, suite,
                "timeouts") as server:
        with socket.create_connection((server.host, server.port), timeout=15) as silent:
            started = time.monotonic()
            try:
                data = silent.recv(1)
            except (ConnectionResetError, socket.timeout) as error:
                data = repr(error)
            waited = time.monotonic() - started
        suite.check(data == b"" and waited < 8, "--handshake-timeout 1 drops a silent client",
                    f"recv gave {data!r} after {waited:.1f}s")
        with TlsConnection(server.host, server.port, VALID) as connection:
            got = connection.get("/info")
            started = time.monotonic()
            connection.sock.settimeout(15)
            try:
                data = connection.sock.recv(1)
            except (ssl.SSLError, ConnectionResetError, socket.timeout) as error:
                data = repr(error)
            waited = time.monotonic() - started
        suite.check(is_response(got, 200) and data == b"" and waited < 8,
                    "--keep-alive-timeout 1 closes an idle keep-alive connection", f"{data!r} after {waited:.1f}s")

    # readTimeout bounds the whole request head; the handshake (10 s) and keep-alive (5 s) timeouts are
    # longer, so a 408 within 4 s is the read timeout's doing.
    read_timeout = write("read-timeout.json", '{"readTimeout": 1}')
    with Server(["--config", read_timeout], W, suite, "readTimeout") as server:
        with socket.create_connection((server.host, server.port), timeout=15) as stalled:
            stalled.sendall(b"GET /info HTTP/1.1\r\n")
            started = time.monotonic()
            data = b""
            for _ in range(100):
                try:
                    chunk = stalled.recv(4096)
                except (ConnectionResetError, socket.timeout):
                    break
                if not chunk:
                    break
                data += chunk
                if b"\r\n\r\n" in data:
                    break
            waited = time.monotonic() - started
        suite.check(data.startswith(b"HTTP/1.1 408") and waited < 4,
                    "config readTimeout 1 drops a client that stops in the middle of its request",
                    f"{data!r} after {waited:.1f}s")


def test_abrupt_close_is_not_a_handshake_failure():
    """A client that drops a finished keep-alive connection without close_notify (Python's http.client,
    browsers, load balancers) did not fail a handshake; the log must not say it did."""
    with Server(STRICT_ALLOW, W, suite, "abrupt close") as server:
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            context = client_context(certs.valid, cafile=certs.ca.pem, max_version=version, min_version=version)
            connection = TlsConnection(server.host, server.port, context)
            got = connection.get("/secure/cert/hello")
            suite.check(is_response(got, 200), f"abrupt close {version.name}: 200 first", repr(got))
            connection.close()  # no close_notify
        time.sleep(1.0)
    failures = [line for line in server.log() if line.startswith("tls: handshake with") and "failed" in line]
    suite.eq(failures, [], "abrupt close after a finished exchange: no 'tls: handshake ... failed' line")


def main():
    tests = [("ports", test_listening_line_and_ports), ("config", test_config_file),
             ("config-errors", test_config_errors), ("relaxed", test_relaxed_settings),
             ("signals", test_signals_finish_requests_in_flight), ("early-signal", test_signal_right_after_listening),
             ("json-log", test_json_log),
             ("resumption", test_session_resumption), ("self-signed", test_self_signed_export_root),
             ("routes", test_route_handlers), ("timeouts", test_timeouts),
             ("abrupt-close", test_abrupt_close_is_not_a_handshake_failure)]
    return suite.run(tests, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
