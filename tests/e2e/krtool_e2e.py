"""Shared helpers for the Python end-to-end tests of `krtool serve`.

Each *_test.py script builds a Suite, makes its certificates with `krtool new-selfsigned` in a fresh
temporary folder, starts servers with `Server` (always `--port 0` on a loopback address), talks to them
with Python's ssl module, curl and `openssl s_client`, and ends with `suite.finish()`, which prints
`NAME: N passed, M failed` and gives the exit code. Every wait is bounded in time.
"""

import atexit
import datetime
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KRTOOL = os.path.realpath(os.environ.get("KRTOOL_BIN", ""))
if not os.environ.get("KRTOOL_BIN") or not os.access(KRTOOL, os.X_OK):
    sys.exit("KRTOOL_BIN must point at the built krtool")

LOOPBACK = "127.0.0.1"
CLAIM_NAMEIDENTIFIER = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
CLAIM_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"


# ---------------------------------------------------------------------------------------------------
# Counting checks


class Suite:
    """Counts named checks; a failed check prints what was expected and what came."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self._lock = threading.Lock()
        self.started = time.monotonic()
        self.work = tempfile.mkdtemp(prefix=f"krtool-{name}.", dir=os.environ.get("TMPDIR", "/tmp"))
        atexit.register(shutil.rmtree, self.work, True)  # also when a set-up step crashes

    def check(self, condition, what, detail=""):
        with self._lock:
            if condition:
                self.passed += 1
            else:
                self.failed += 1
                print(f"FAIL: {what}" + (f"\n  {detail}" if detail else ""), file=sys.stderr, flush=True)
        return bool(condition)

    def eq(self, actual, expected, what):
        return self.check(actual == expected, what, f"expected {expected!r}, got {actual!r}")

    def contains(self, text, fragment, what):
        return self.check(text is not None and fragment in text, what, f"{fragment!r} not in {shorten(text)!r}")

    def guard(self, what, function, *args):
        """Runs one test function; an exception in it is a failure of that test, not of the script."""
        try:
            function(*args)
        except Exception as error:  # noqa: BLE001 - any crash of a test is reported as its failure
            import traceback

            self.check(False, f"{what}: raised {type(error).__name__}: {error}", traceback.format_exc())

    def elapsed(self):
        return time.monotonic() - self.started

    def run(self, tests, only=()):
        """Runs the named (name, function) tests, only those named on the command line when any are."""
        for name, test in tests:
            if only and name not in only:
                continue
            started = time.monotonic()
            self.guard(name, test)
            print(f"  {name}: {time.monotonic() - started:.1f}s", flush=True)
        return self.finish()

    def finish(self):
        shutil.rmtree(self.work, ignore_errors=True)
        print(f"{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 and self.passed > 0 else 1


def shorten(text, limit=600):
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[:limit] + "..."


# ---------------------------------------------------------------------------------------------------
# Running krtool


def run_krtool(args, cwd, timeout=60, env=None):
    """Runs `krtool ARGS` to completion; returns the CompletedProcess (text mode)."""
    return subprocess.run([KRTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env, stdin=subprocess.DEVNULL)


class TestClientRun:
    """One `krtool test-client ARGS --json` run in `cwd`: its exit code, its JSON document and its stderr."""

    def __init__(self, args, cwd, timeout=60, json_output=True, env=None):
        argv = ["test-client", *args] + (["--json"] if json_output else [])
        self.args = args
        self.result = run_krtool(argv, cwd, timeout=timeout, env=env)
        self.rc = self.result.returncode
        self.stdout = self.result.stdout
        self.stderr = self.result.stderr
        self.doc = None
        if json_output:
            try:
                self.doc = json.loads(self.stdout)
            except ValueError:
                self.doc = None

    def get(self, *path):
        node = self.doc
        for key in path:
            if node is None:
                return None
            node = node.get(key) if isinstance(node, dict) else None
        return node

    def describe(self):
        return f"rc={self.rc} stdout={shorten(self.stdout, 1500)} stderr={shorten(self.stderr)}"


def check_outcome(suite, call, outcome, rc, what):
    """Checks a TestClientRun's outcome, its exit code and that the document is the contract's shape."""
    ok = suite.check(call.doc is not None, f"{what}: one JSON document on stdout", call.describe())
    if not ok:
        return False
    suite.eq(call.get("outcome"), outcome, f"{what}: outcome")
    suite.eq(call.rc, rc, f"{what}: exit code")
    for field in ("url", "outcome", "status", "body", "headers", "diagnosis", "tls"):
        suite.check(field in call.doc, f"{what}: JSON field '{field}'", call.describe())
    if outcome != "ok":
        suite.check(bool(call.get("diagnosis", "cause")), f"{what}: a cause", call.describe())
    return True


class HttpPublisher:
    """A plain HTTP server on 127.0.0.1 standing in for a CA's publication point: GET serves `files` (path ->
    bytes, e.g. a CRL; 404 otherwise), POST answers with `post_body` (e.g. a canned OCSP response). Records
    every request as "METHOD PATH"."""

    def __init__(self):
        self.files = {}
        self.post_body = None
        self.requests = []
        publisher = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, body, content_type):
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def do_GET(self):  # noqa: N802 - http.server's naming
                publisher.requests.append(f"GET {self.path}")
                self._answer(publisher.files.get(self.path), "application/pkix-crl")

            def do_POST(self):  # noqa: N802
                publisher.requests.append(f"POST {self.path}")
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self._answer(publisher.post_body, "application/ocsp-response")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    """A loopback port that was free a moment ago (bound, then closed), for servers that cannot take port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


class Server:
    """One `krtool serve --port 0 ...` process.

    start() waits (bounded) for `Now listening on: URL` on stdout, or for the process to exit; stderr (the
    warnings, the start-up description and the access log) is collected line by line by a reader thread.
    stop() sends SIGINT (or the signal given) and, when a suite was given, checks the exit code is 0.
    """

    START_TIMEOUT = 30.0

    def __init__(self, args, cwd, suite=None, name="serve", env=None, port_args=("--port", "0")):
        self.args = [*port_args, *args]
        self.cwd = cwd
        self.suite = suite
        self.name = name
        self.env = env
        self.process = None
        self.url = None
        self.host = None
        self.port = None
        self.stdout_lines = []
        self.stderr_lines = []
        self.returncode = None
        self._cond = threading.Condition()
        self._readers = []

    # -- life cycle

    def start(self):
        """Returns True once listening, False when the process exited first (see returncode, stderr)."""
        self.process = subprocess.Popen([KRTOOL, "serve", *self.args], cwd=self.cwd, env=self.env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, bufsize=1)
        for stream, lines in ((self.process.stdout, self.stdout_lines), (self.process.stderr, self.stderr_lines)):
            reader = threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            reader.start()
            self._readers.append(reader)
        deadline = time.monotonic() + self.START_TIMEOUT
        with self._cond:
            while True:
                for line in self.stdout_lines:
                    if line.startswith("Now listening on: "):
                        self._set_url(line[len("Now listening on: "):].strip())
                        self._await_startup_lines(deadline)
                        return True
                if self.process.poll() is not None and all(not r.is_alive() for r in self._readers):
                    self.returncode = self.process.returncode
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._kill()
                    raise RuntimeError(f"{self.name}: no 'Now listening on:' within {self.START_TIMEOUT}s; "
                                       f"stderr: {shorten(self.stderr_text())}")
                self._cond.wait(min(remaining, 0.2))

    def _await_startup_lines(self, deadline):
        """serve writes its warnings and description to stderr before the listening line goes to stdout, the
        route lines last; the streams are read by separate threads, so wait (bounded, holding the condition)
        until stderr's reader has caught up to a route line, and tests can read the start-up lines at once."""
        while not any(line.startswith("krtool: route: ") for line in self.stderr_lines):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None:
                return
            self._cond.wait(min(remaining, 0.2))

    def _read(self, stream, lines):
        for line in stream:
            with self._cond:
                lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _set_url(self, url):
        self.url = url
        rest = url.split("://", 1)[1]
        host, _, port = rest.rpartition(":")
        self.host = host.strip("[]")
        self.port = int(port)

    def __enter__(self):
        if not self.start():
            raise RuntimeError(f"{self.name}: serve exited with {self.returncode} before listening: "
                               f"{shorten(self.stderr_text())}")
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self, sig=signal.SIGINT, timeout=20.0):
        """Signals the server, waits (bounded) for it to exit; returns the exit code."""
        if self.process is None or self.returncode is not None:
            return self.returncode
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.returncode = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill()
            self.returncode = "hung"
        for reader in self._readers:
            reader.join(timeout=5)
        if self.suite is not None:
            self.suite.eq(self.returncode, 0, f"{self.name}: exit code after {signal.Signals(sig).name}")
        return self.returncode

    def _kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    # -- output

    def stderr_text(self):
        with self._cond:
            return "\n".join(self.stderr_lines)

    def log(self):
        with self._cond:
            return list(self.stderr_lines)

    def wait_for_log(self, predicate, timeout=5.0):
        """The first stderr line for which predicate(line) holds, waiting at most `timeout`; else None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            checked = 0
            while True:
                for line in self.stderr_lines[checked:]:
                    if predicate(line):
                        return line
                checked = len(self.stderr_lines)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.process.poll() is not None and
                                      all(not r.is_alive() for r in self._readers)):
                    return None
                self._cond.wait(min(remaining, 0.2))

    def access_line(self, local_port, method, path, timeout=5.0):
        """The access-log line of the request METHOD PATH sent from our local port (text format)."""
        needle = f" {LOOPBACK}:{local_port} {method} {path} "
        return self.wait_for_log(lambda line: needle in line, timeout)

    def tls_line(self, local_port, fragment, timeout=5.0):
        """A `tls: ...` line naming our local port and holding `fragment`."""
        peer = f"{LOOPBACK}:{local_port}"
        return self.wait_for_log(lambda line: line.startswith("tls: ") and peer in line and fragment in line,
                                 timeout)


class ForeignServer:
    """A server nobody here wrote (nginx, Go, Caddy, HAProxy, Apache, stunnel, Node, Java), run in the
    foreground on LOOPBACK:port. start() waits (bounded) until the port accepts a TCP connection, or raises
    with the process's output when it exits first; stop() terminates it, then kills it if it lingers. The
    output goes to a log file in `folder`, read back for error messages."""

    def __init__(self, name, argv, port, folder, env=None, start_timeout=30.0):
        self.name = name
        self.argv = argv
        self.port = port
        self.folder = folder
        self.env = env
        self.start_timeout = start_timeout
        self.process = None
        self.log_path = os.path.join(folder, f"{name}.out")

    def start(self):
        os.makedirs(self.folder, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.argv, cwd=self.folder, env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {shorten(self.output())}")
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not listen on {self.port} within {self.start_timeout}s: "
                           f"{shorten(self.output())}")

    def output(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, path="/", host="localhost"):
        return f"https://{host}:{self.port}{path}"


def nginx(home, certificate, key, client_ca, verify, extra=""):
    """Debian's nginx (installed by scripts/bootstrap) with ssl_verify_client VERIFY on a free port, in the
    foreground, its files and logs in `home`; `extra` adds directives to the server block. Its one location
    answers 200 with the client's DN."""
    os.makedirs(home, exist_ok=True)
    port = free_port()
    conf = os.path.join(home, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
daemon off;
master_process off;
pid {home}/nginx.pid;
error_log {home}/error.log info;
events {{ worker_connections 64; }}
http {{
  access_log {home}/access.log;
  client_body_temp_path {home}/body;
  proxy_temp_path {home}/proxy;
  fastcgi_temp_path {home}/fastcgi;
  uwsgi_temp_path {home}/uwsgi;
  scgi_temp_path {home}/scgi;
  server {{
    listen {LOOPBACK}:{port} ssl;
    ssl_certificate {certificate};
    ssl_certificate_key {key};
    ssl_client_certificate {client_ca};
    ssl_verify_client {verify};
    {extra}
    location / {{ return 200 "hello $ssl_client_s_dn\\n"; }}
  }}
}}
""")
    return ForeignServer(f"nginx-{verify}", ["nginx", "-p", home, "-c", conf], port, home)


def start_failure(args, cwd, timeout=30.0, env=None, port_args=("--port", "0")):
    """Runs `krtool serve --port 0 ARGS` expecting it to refuse to start. Returns (returncode, stderr);
    returncode is 'started' if it listened after all (it is then stopped)."""
    server = Server(args, cwd, env=env, port_args=port_args)
    server.START_TIMEOUT = timeout
    if server.start():
        server.stop()
        return "started", server.stderr_text()
    return server.returncode, server.stderr_text()


# ---------------------------------------------------------------------------------------------------
# Certificates


class Cert:
    """A certificate file (PEM with a sibling .key) and what .NET would say about it."""

    def __init__(self, name, pem, key):
        self.name = name
        self.pem = pem
        self.key = key
        with open(pem, "rb") as f:
            data = f.read()
        # The file may hold the chain after the leaf; the first certificate is the leaf.
        end = b"-----END CERTIFICATE-----"
        self.x509 = x509.load_pem_x509_certificate(data[:data.index(end) + len(end)])
        self.thumbprint = self.x509.fingerprint(hashes.SHA1()).hex().upper()
        self.subject = dotnet_dn(self.x509.subject)
        self.issuer = dotnet_dn(self.x509.issuer)
        serial = self.x509.serial_number
        # .NET prints the DER INTEGER's bytes, so a leading 00 stays when the high bit is set.
        self.serial = serial.to_bytes((serial.bit_length() + 8) // 8, "big").hex().upper()
        self.not_before = self.x509.not_valid_before.replace(tzinfo=datetime.timezone.utc)
        self.not_after = self.x509.not_valid_after.replace(tzinfo=datetime.timezone.utc)
        try:
            usages = self.x509.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            self.client_auth_eku = ExtendedKeyUsageOID.CLIENT_AUTH in list(usages)
        except x509.ExtensionNotFound:
            self.client_auth_eku = False
        self.self_signed = self.subject == self.issuer  # ordinal, as Kestrun's handler compares

    def __repr__(self):
        return f"Cert({self.name})"


_SHORT_NAMES = {
    NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU", NameOID.ORGANIZATION_NAME: "O",
    NameOID.LOCALITY_NAME: "L", NameOID.STATE_OR_PROVINCE_NAME: "S", NameOID.COUNTRY_NAME: "C",
    NameOID.EMAIL_ADDRESS: "E",
}


def dotnet_dn(name):
    """A DN as .NET prints it: most specific RDN first, ', ' between RDNs (simple values only)."""
    parts = []
    for rdn in reversed(name.rdns):
        parts.append(" + ".join(f"{_SHORT_NAMES.get(a.oid, 'OID.' + a.oid.dotted_string)}={a.value}" for a in rdn))
    return ", ".join(parts)


def new_cert(cwd, name, *args):
    """`krtool new-selfsigned ARGS --out NAME.pem` (ECDSA keys: fast to make and to handshake with)."""
    result = run_krtool(["new-selfsigned", "--key-type", "ecdsa", *args, "--out", f"{name}.pem"], cwd)
    if result.returncode != 0:
        raise RuntimeError(f"new-selfsigned {name} failed ({result.returncode}): {result.stderr}")
    return Cert(name, os.path.join(cwd, f"{name}.pem"), os.path.join(cwd, f"{name}.key"))


class CertSet:
    """The certificates the serve tests share, made once with `krtool new-selfsigned`:
    ca (a CA), server (issued by ca for localhost/127.0.0.1/::1), and the client certificates
    valid (ca-issued, clientAuth), selfsigned, expired (ca-issued, ended yesterday),
    serveronly (ca-issued, serverAuth EKU only), untrusted (issued by other_ca, a second CA)."""

    def __init__(self, cwd):
        self.dir = cwd
        with ThreadPoolExecutor(max_workers=2) as pool:
            ca = pool.submit(new_cert, cwd, "ca", "--ca", "--subject", "CN=E2E Dev CA, O=krtool e2e")
            other_ca = pool.submit(new_cert, cwd, "other_ca", "--ca", "--subject", "CN=E2E Other CA, O=elsewhere")
            self.ca = ca.result()
            self.other_ca = other_ca.result()
            jobs = {
                "server": ("--issuer", "ca.pem", "--dns", "localhost", "--dns", "127.0.0.1", "--dns", "::1",
                           "--purpose", "server"),
                "valid": ("--issuer", "ca.pem", "--subject", "CN=alice, O=krtool e2e", "--purpose", "client"),
                "selfsigned": ("--subject", "CN=mallory, O=self", "--purpose", "both"),
                "expired": ("--issuer", "ca.pem", "--subject", "CN=old-bob, O=krtool e2e", "--not-before", "-10d",
                            "--not-after", "-1d"),
                "serveronly": ("--issuer", "ca.pem", "--subject", "CN=web-server, O=krtool e2e", "--purpose",
                               "server"),
                "untrusted": ("--issuer", "other_ca.pem", "--subject", "CN=eve, O=elsewhere", "--purpose", "client"),
            }
            futures = {name: pool.submit(new_cert, cwd, name, *args) for name, args in jobs.items()}
            for name, future in futures.items():
                setattr(self, name, future.result())
        self.clients = {name: getattr(self, name) for name in
                        ("valid", "selfsigned", "expired", "serveronly", "untrusted")}

    def server_args(self):
        return ["--cert", self.server.pem, "--key", self.server.key]


# ---------------------------------------------------------------------------------------------------
# TLS clients


def client_context(cert=None, cafile=None, min_version=None, max_version=None):
    """A client context that verifies the server against cafile (or not at all without one) and presents
    `cert` (a Cert) when the server asks."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cafile:
        context.load_verify_locations(cafile)
        context.check_hostname = True
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if min_version:
        context.minimum_version = min_version
    if max_version:
        context.maximum_version = max_version
    if cert is not None:
        context.load_cert_chain(cert.pem, cert.key)
    return context


# Errors that mean "the TLS layer refused": an alert, or the connection dropped before any HTTP answer
# (with TLS 1.3 the rejection comes after the client's handshake is over and a reset may beat the alert).
TLS_FAILURES = (ssl.SSLError, ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected,
                ConnectionAbortedError)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> value
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"Response({self.status}, {shorten(self.body, 200)!r})"


class TlsFailure:
    """No HTTP response: the error the client saw (alert name when there was one)."""

    def __init__(self, error, stage):
        self.error = error
        self.stage = stage  # "handshake" or "request"
        self.alert = getattr(error, "reason", None) if isinstance(error, ssl.SSLError) else None
        self.status = None

    def __repr__(self):
        return f"TlsFailure({self.stage}: {type(self.error).__name__}: {self.error})"


class TlsConnection:
    """One TCP connection to the server, upgraded to TLS, carrying keep-alive HTTP/1.1 requests.

    The local port is known before the handshake, so that the server's log lines about this connection
    (rejections included) can be found."""

    def __init__(self, host, port, context, timeout=15.0, session=None, server_hostname=None):
        self.host = host
        self.port = port
        self.failure = None
        self.sock = None
        raw = socket.create_connection((host, port), timeout=timeout)
        self.local_port = raw.getsockname()[1]
        try:
            self.sock = context.wrap_socket(raw, server_hostname=server_hostname or host, session=session)
        except TLS_FAILURES as error:
            raw.close()
            self.failure = TlsFailure(error, "handshake")
        self.http = None
        if self.sock is not None:
            self.http = http.client.HTTPConnection(host, port, timeout=timeout)
            self.http.sock = self.sock

    @property
    def version(self):
        return self.sock.version() if self.sock else None

    @property
    def session(self):
        return self.sock.session if self.sock else None

    @property
    def session_reused(self):
        return self.sock.session_reused if self.sock else None

    def get(self, path, headers=None, method="GET"):
        """A Response, or the TlsFailure when no HTTP answer came."""
        if self.failure is not None:
            return self.failure
        try:
            self.http.request(method, path, headers=headers or {})
            answer = self.http.getresponse()
            body = answer.read()
            return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, body)
        except TLS_FAILURES as error:
            self.failure = TlsFailure(error, "request")
            return self.failure

    def close(self):
        if self.http is not None:
            self.http.close()
        elif self.sock is not None:
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def https_get(server, path, context, **kwargs):
    """One request on a new connection: (Response or TlsFailure, local port)."""
    with TlsConnection(server.host, server.port, context, **kwargs) as connection:
        return connection.get(path), connection.local_port


def curl(args, timeout=30):
    """curl -sS ARGS -w '\\n%{http_code}': (exit code, status or None, body, stderr)."""
    result = subprocess.run(["curl", "-sS", "--max-time", str(int(timeout)), *args, "-w", "\n%{http_code}"],
                            capture_output=True, text=True, timeout=timeout + 10, stdin=subprocess.DEVNULL)
    body, _, code = result.stdout.rpartition("\n")
    status = int(code) if code.isdigit() and code != "000" else None
    return result.returncode, status, body, result.stderr


def s_client(host, port, extra_args, request=None, timeout=20):
    """`openssl s_client -connect HOST:PORT EXTRA` with REQUEST on stdin; (exit code, combined output)."""
    args = ["openssl", "s_client", "-connect", f"{host}:{port}", "-ign_eof", *extra_args]
    result = subprocess.run(args, input=request or "", capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout + result.stderr


def rfc3339(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
