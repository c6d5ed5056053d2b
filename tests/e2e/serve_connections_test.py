#!/usr/bin/python3
"""End-to-end tests of how `krtool serve` owns its connections (issue 11), with real peers: curl, Python's
ssl and socket modules, and a Python HTTP upstream behind a `proxy:` route.

Each test is a statement of the issue's behaviour:
- TLS alerts reach the client every time (never a reset that hides them);
- a POST/PUT/PATCH/DELETE without a body is answered at once;
- 256 keep-alive clients are all served throughout a run (none starved), also with --threads 1;
- whole-phase deadlines cut a slowloris off, and SIGTERM is not held up by one;
- limits: 431 (header count and size), 414 (URI), 413 (declared or received body, chunked too) decided
  without reading what the client sends, and 400 for a Content-Length that is not a number;
- pipelined requests are answered in order; ambiguous framing is 400 and the connection closes, and what
  follows never reaches an upstream as a request of its own;
- a connection that ends after an answer ends gracefully: the client reads the whole answer, no reset;
- SIGHUP reloads the server certificate without dropping open connections; a broken one is kept out;
- compiled validation code that never returns fails its handshake at the deadline, the server keeps
  serving others, and SIGTERM still ends it.

Tests that reproduce a row of docs/troubleshooting.md ("Errors from krtool serve's connections") say so;
the row's last column names the test. Every wait is bounded; the whole script runs well under 4 minutes.
"""

import hashlib
import http.server
import json
import os
import selectors
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import (  # noqa: E402
    KRTOOL, CertSet, Response, Server, Suite, TlsConnection, client_context, new_cert, shorten)

threading.stack_size(512 * 1024)  # a few dozen client threads
suite = Suite("serve_connections_test")
certs = CertSet(suite.work)
W = suite.work
VALID = client_context(certs.valid, cafile=certs.ca.pem)
ANONYMOUS = client_context(None, cafile=certs.ca.pem)
TRUST = ["--trust-ca", certs.ca.pem, "--auth-trust-ca", certs.ca.pem, "--revocation-mode", "nocheck"]
ALLOW = [*certs.server_args(), "--client-cert-mode", "allow", *TRUST]
BODY_LIMIT = 8 * 1024 * 1024  # serve's body limit (413 beyond it)
# In a sanitizer build (CI's second tree) memory says nothing: ASan keeps freed blocks in quarantine and
# pads every allocation. The memory bounds are checked in the ordinary build, which CI runs first.
SANITIZED = os.environ.get("KRTOOL_SANITIZED") == "1"


def check_rss_growth(growth_mib, bound_mib, what):
    if SANITIZED:
        print(f"    {what}: not checked in a sanitizer build (+{growth_mib:.1f} MiB)", flush=True)
        return
    suite.check(growth_mib < bound_mib, f"{what}: the server's RSS grows under {bound_mib:.0f} MiB",
                f"+{growth_mib:.1f} MiB")
# Routes the framing and limit tests use: three distinct GET answers (to see the order of pipelined
# answers), a public POST that takes a body, and the guide's bodyless admin routes.
ROUTES = ["GET /info", 'GET /one json:{"n": 1}', 'GET /two json:{"n": 2}', 'GET /three json:{"n": 3}',
          "POST /upload status:204"] + [f"{m} /admin auth=Certificate status:204" for m in
                                        ("POST", "PUT", "PATCH", "DELETE")]


def route_args(routes=ROUTES):
    args = []
    for route in routes:
        args += ["--route", route]
    return args


def serve(args, name, **kwargs):
    return Server(args, W, suite, name, **kwargs)


# ---------------------------------------------------------------------------------------------------
# A connection carrying hand-written bytes


def parse_answer(buffer):
    """One whole HTTP/1.1 answer at the start of `buffer`: (Response, bytes after it), or None while
    incomplete. Interim 1xx answers are skipped."""
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = buffer[:end].decode("latin-1").split("\r\n")
        parts = head[0].split(" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        rest = buffer[end + 4:]
        if 100 <= status < 200:
            buffer = rest
            continue
        if status in (204, 304):
            return Response(status, headers, b""), rest
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                line_end = rest.find(b"\r\n")
                if line_end < 0:
                    return None
                size = int(rest[:line_end].split(b";")[0], 16)
                if len(rest) < line_end + 2 + size + 2:
                    return None
                body += rest[line_end + 2:line_end + 2 + size]
                rest = rest[line_end + 2 + size + 2:]
                if size == 0:
                    return Response(status, headers, body), rest
        length = int(headers.get("content-length", "0") or 0)
        if len(rest) < length:
            return None
        return Response(status, headers, rest[:length]), rest[length:]


class Wire:
    """One connection (TLS unless context is None) on which a test writes raw bytes and reads the server's
    answers as they come, so that framing, pipelining and the way the connection ends are seen as sent."""

    def __init__(self, server, context=VALID, timeout=10.0):
        raw = socket.create_connection((server.host, server.port), timeout=timeout)
        self.local_port = raw.getsockname()[1]
        self.sock = context.wrap_socket(raw, server_hostname="localhost") if context is not None else raw
        self.buffer = b""
        self.ended = None  # how the server ended the connection: "eof", "reset: ...", "alert: ..."

    def send(self, data):
        self.sock.sendall(data)

    def _read(self, deadline):
        """Reads once; False when the connection has ended (self.ended says how)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError()
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError) as error:
            self.ended = f"reset: {error}"
            return False
        except ssl.SSLError as error:
            self.ended = f"alert: {error}"
            return False
        if not chunk:
            self.ended = "eof"
            return False
        self.buffer += chunk
        return True

    def answer(self, timeout=5.0):
        """The next whole answer, or a string: how the connection ended first, or 'timeout'."""
        deadline = time.monotonic() + timeout
        while True:
            parsed = parse_answer(self.buffer)
            if parsed is not None:
                answer, self.buffer = parsed
                return answer
            if self.ended is not None:
                return f"ended ({self.ended}) with {shorten(self.buffer, 200)!r} unanswered"
            try:
                self._read(deadline)
            except (TimeoutError, socket.timeout):
                return f"timeout after {timeout}s with {shorten(self.buffer, 200)!r}"

    def ending(self, timeout=5.0):
        """How the server ends the connection from here: 'eof', 'reset: ...', 'open' (still open after
        timeout) or 'more data: ...' (something after the answer)."""
        deadline = time.monotonic() + timeout
        while self.ended is None:
            try:
                self._read(deadline)
            except (TimeoutError, socket.timeout):
                return "open"
        if self.buffer:
            return f"more data: {shorten(self.buffer, 200)!r}"
        return self.ended

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssWatch:
    """Samples a process's resident memory every 10 ms from start to stop: growth_mib is the peak over
    the value at start."""

    def __init__(self, pid):
        self.pid = pid
        self.before = rss_kib(pid)
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while not self._stop.wait(0.01):
            try:
                self.peak = max(self.peak, rss_kib(self.pid))
            except OSError:
                return

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        return self

    @property
    def growth_mib(self):
        return (self.peak - self.before) / 1024


def stream_until_answer(wire, head, chunks, timeout=20.0):
    """Sends `head` then each of `chunks` (an iterator of bytes) on a non-blocking socket while watching
    for the server's answer, and stops sending at the first answer or when the server stops taking bytes
    (closed). Returns (Response or a string saying what came instead, bytes sent, seconds to the answer)."""
    sock = wire.sock
    sock.setblocking(False)
    started = time.monotonic()
    deadline = started + timeout
    pending, sent, sending = head, 0, True
    try:
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock] if sending else [], [], 0.05)
            if readable or (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                try:
                    while True:
                        chunk = sock.recv(65536)
                        if not chunk:
                            wire.ended = "eof"
                            break
                        wire.buffer += chunk
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    pass
                except (ConnectionResetError, BrokenPipeError) as error:
                    wire.ended = f"reset: {error}"
                except ssl.SSLError as error:
                    wire.ended = f"alert: {error}"
                parsed = parse_answer(wire.buffer)
                if parsed is not None:
                    answer, wire.buffer = parsed
                    return answer, sent, time.monotonic() - started
                if wire.ended is not None:
                    return f"ended ({wire.ended}) without an answer", sent, time.monotonic() - started
            if writable and sending:
                try:
                    count = sock.send(pending)
                    sent += count
                    pending = pending[count:]
                    if not pending:
                        pending = next(chunks, None)
                        if pending is None:
                            sending = False
                except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                    pass
                except (ConnectionResetError, BrokenPipeError, ssl.SSLError) as error:
                    sending = False  # the server stopped reading: its answer may still be on the way
                    print(f"    (sending stopped after {sent} bytes: {error})", flush=True)
        return f"no answer within {timeout}s", sent, time.monotonic() - started
    finally:
        sock.setblocking(True)


def client_hello():
    """The bytes of a real TLS ClientHello (Python's), to drip by hand."""
    context = client_context(None)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def drip(server, data, context=None, interval=1.0, limit=12.0):
    """Slowloris: on a new connection (TLS with `context` first, when given), sends `data` one byte every
    `interval` seconds until the server ends the connection or `limit` seconds pass. Returns the seconds
    from connecting to the end, or None when the connection was still open at the limit."""
    started = time.monotonic()
    raw = socket.create_connection((server.host, server.port), timeout=10)
    sock = context.wrap_socket(raw, server_hostname="localhost") if context is not None else raw
    try:
        for i in range(int(limit / interval) + 1):
            if time.monotonic() - started >= limit:
                return None
            try:
                sock.send(data[i % len(data):i % len(data) + 1])
            except (OSError, ssl.SSLError):
                return time.monotonic() - started
            # Wait for the interval, watching for the server's end (an answer such as 408 may come first).
            until = time.monotonic() + interval
            while time.monotonic() < until:
                readable, _, _ = select.select([sock], [], [], max(0.0, until - time.monotonic()))
                if not readable:
                    break
                try:
                    sock.settimeout(1)
                    if not sock.recv(4096):
                        return time.monotonic() - started
                except (OSError, ssl.SSLError):
                    return time.monotonic() - started
        return None
    finally:
        sock.close()


def keep_alive_run(server, clients, seconds, path="/secure/cert/hello"):
    """`clients` keep-alive TLS connections with the valid certificate, each sending its next request as
    soon as the previous answer came, for `seconds`, from one selector loop (so the client side serves
    every connection alike). Returns per client (answer times, statuses, error or None), the run's
    start and end."""
    connections = []
    for _ in range(clients):
        raw = socket.create_connection((server.host, server.port), timeout=30)
        connections.append(VALID.wrap_socket(raw, server_hostname="localhost"))
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
    state = [{"buffer": b"", "times": [], "statuses": [], "error": None, "pending": b""} for _ in connections]
    selector = selectors.DefaultSelector()

    def send(i):
        sock = connections[i]
        data = state[i]["pending"] or request
        try:
            count = sock.send(data)
            state[i]["pending"] = data[count:]
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
            state[i]["pending"] = data

    for i, sock in enumerate(connections):
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, i)
    started = time.monotonic()
    for i in range(len(connections)):
        send(i)
    end = started + seconds
    while time.monotonic() < end:
        for key, _ in selector.select(timeout=0.05):
            i = key.data
            sock = connections[i]
            if state[i]["error"]:
                continue
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        state[i]["error"] = "the server closed the connection"
                        break
                    state[i]["buffer"] += chunk
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except (OSError, ssl.SSLError) as error:
                state[i]["error"] = f"{type(error).__name__}: {error}"
            if state[i]["error"]:
                selector.unregister(sock)
                continue
            while True:
                parsed = parse_answer(state[i]["buffer"])
                if parsed is None:
                    break
                answer, state[i]["buffer"] = parsed
                state[i]["times"].append(time.monotonic())
                state[i]["statuses"].append(answer.status)
                send(i)
        for i in range(len(connections)):  # a request that did not fit the socket at once
            if state[i]["pending"] and not state[i]["error"]:
                send(i)
    stopped = time.monotonic()
    for sock in connections:
        sock.close()
    return state, started, stopped


def check_fair(state, started, stopped, what, max_gap=1.0):
    """Every client got only 200s, and never waited more than max_gap seconds for an answer during the
    run (from the start to its first answer, between answers, and from its last answer to the end)."""
    gaps = []
    for client in state:
        points = [started, *client["times"], stopped]
        gaps.append(max(b - a for a, b in zip(points, points[1:])))
    counts = sorted(len(c["times"]) for c in state)
    errors = [c["error"] for c in state if c["error"]]
    bad_status = sorted({s for c in state for s in c["statuses"] if s != 200})
    print(f"    {what}: {sum(counts)} answers in {stopped - started:.1f}s; per client min {counts[0]}, "
          f"median {counts[len(counts) // 2]}, max {counts[-1]}; longest wait {max(gaps):.2f}s", flush=True)
    suite.check(not errors, f"{what}: no connection failed", f"{len(errors)} failed, e.g. {shorten(errors[:3])}")
    suite.check(not bad_status, f"{what}: every answer is 200", f"other statuses: {bad_status}")
    starved = [round(g, 2) for g in gaps if g > max_gap]
    suite.check(not starved, f"{what}: every client gets answers throughout the run (no wait over {max_gap}s)",
                f"{len(starved)} of {len(state)} clients waited longer, up to {max(gaps):.2f}s")


# ---------------------------------------------------------------------------------------------------
# 1. Alerts are delivered


def test_alerts_delivered(calls=20):
    """Reproduces the row "curl (TLS 1.3, --client-cert-mode require): (55) getpeername() failed … instead
    of … alert certificate required" of docs/troubleshooting.md (test `alerts`)."""
    with serve([*certs.server_args(), "--client-cert-mode", "require", *TRUST], "require") as server:
        url = f"https://localhost:{server.port}/info"
        base = ["--cacert", certs.ca.pem, "--resolve", f"localhost:{server.port}:127.0.0.1", "-o", "/dev/null"]
        untrusted = ["--cert", certs.untrusted.pem, "--key", certs.untrusted.key]
        cases = [  # (what, curl flags, exit code, the alert as curl 7.88 with OpenSSL 3 names it)
            ("TLS 1.2 without a certificate", ["--tlsv1.2", "--tls-max", "1.2"], 35, "alert handshake failure"),
            ("TLS 1.2 with an untrusted certificate", ["--tlsv1.2", "--tls-max", "1.2", *untrusted], 35,
             "alert unknown ca"),
            ("TLS 1.3 without a certificate", ["--tlsv1.3"], 56, "alert certificate required"),
            ("TLS 1.3 with an untrusted certificate", ["--tlsv1.3", *untrusted], 56, "alert unknown ca"),
        ]
        for what, flags, code, alert in cases:
            outcomes = []
            for _ in range(calls):
                result = subprocess.run(["curl", "-sS", "--max-time", "10", *base, *flags, url], capture_output=True,
                                        text=True, timeout=20, stdin=subprocess.DEVNULL)
                outcomes.append((result.returncode, result.stderr.strip()))
            named = [o for o in outcomes if o[0] == code and alert in o[1]]
            others = sorted({f"({rc}) {err[-90:]}" for rc, err in outcomes if (rc, err) not in named})
            suite.check(len(named) == calls, f"require, {what}: curl names the alert in {calls} of {calls} calls "
                        f"(exit {code}, {alert!r})", f"{len(named)} of {calls}; instead: {shorten(others)}")


# ---------------------------------------------------------------------------------------------------
# 2. Bodyless requests


def test_bodyless_requests():
    with serve([*ALLOW, *route_args()], "bodyless") as server:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            started = time.monotonic()
            result = subprocess.run(
                ["curl", "-sS", "--max-time", "3", "--cacert", certs.ca.pem, "--cert", certs.valid.pem, "--key",
                 certs.valid.key, "--resolve", f"localhost:{server.port}:127.0.0.1", "-X", method, "-o", "/dev/null",
                 "-w", "%{http_code}", f"https://localhost:{server.port}/admin"],
                capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
            took = time.monotonic() - started
            suite.check(result.stdout == "204" and took < 1.0,
                        f"curl -X {method} without data: the route's 204 at once (under 1 s)",
                        f"status {result.stdout!r} after {took:.2f}s; curl: {result.stderr.strip()}")


# ---------------------------------------------------------------------------------------------------
# 3. and 12. Fair service under many keep-alive connections


def test_keep_alive_fairness(clients=256, seconds=5.0):
    args = [*ALLOW, "--keep-alive-timeout", "30", "--handshake-timeout", "30"]
    with serve(args, "256 keep-alive") as server:
        state, started, stopped = keep_alive_run(server, clients, seconds)
        check_fair(state, started, stopped, f"{clients} keep-alive clients for {seconds:.0f}s")


def test_threads_flag(clients=64, seconds=3.0):
    """`--threads N` sets the event-loop threads; one is enough for many connections."""
    help_text = subprocess.run([KRTOOL, "serve", "--help"], capture_output=True, text=True, timeout=20).stdout
    if not suite.contains(help_text, "--threads", "serve --help lists --threads"):
        return
    args = [*ALLOW, "--threads", "1", "--keep-alive-timeout", "30", "--handshake-timeout", "30"]
    with serve(args, "--threads 1") as server:
        state, started, stopped = keep_alive_run(server, clients, seconds)
        check_fair(state, started, stopped, f"--threads 1, {clients} keep-alive clients for {seconds:.0f}s")


# ---------------------------------------------------------------------------------------------------
# 4. and 9. Slowloris


def slow_server_args(extra=()):
    """A deadline of 2 s for every phase a slow client could stretch: the handshake and the request head
    (--handshake-timeout), the idle keep-alive, and readTimeout (config)."""
    config = os.path.join(W, "slow.json")
    with open(config, "w") as f:
        f.write('{"readTimeout": 2}')
    return [*ALLOW, "--config", config, "--handshake-timeout", "2", "--keep-alive-timeout", "2", *extra]


def test_slowloris_cut_off():
    """A ClientHello, and a request head after a good handshake, sent one byte a second, are cut off at the
    2 s deadline of the whole phase (with slack: within 6 s); and 8 slow ClientHellos do not keep a 9th
    client out of a server limited to 8 connections (checked at 7 s, while they would still be dripping)."""
    hello = client_hello()
    head = b"GET /info HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 64
    with serve(slow_server_args(["--max-connections", "8"]), "slowloris (hello)") as hello_server, \
            serve(slow_server_args(), "slowloris (head)") as head_server:
        results = {}

        def one(i):
            kind = "ClientHello" if i < 8 else "request head"
            try:
                took = drip(hello_server, hello) if i < 8 else drip(head_server, head, context=VALID)
            except Exception as error:  # noqa: BLE001 - reported as this connection's failure
                took = f"{type(error).__name__}: {error}"
            results[i] = (kind, took)

        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(12)]
        for thread in threads:
            thread.start()
        time.sleep(7.0)
        started = time.monotonic()
        try:
            with TlsConnection(hello_server.host, hello_server.port, VALID, timeout=4) as connection:
                got = connection.get("/info")
        except OSError as error:
            got = f"{type(error).__name__}: {error}"
        suite.check(isinstance(got, Response) and got.status == 200,
                    "slowloris: 8 slow ClientHellos do not keep a 9th client out (--max-connections 8)",
                    f"{got!r} after {time.monotonic() - started:.1f}s")
        for thread in threads:
            thread.join(20)
        for kind, count in (("ClientHello", 8), ("request head", 4)):
            times = [t for k, t in results.values() if k == kind]
            late = [t for t in times if not isinstance(t, float) or t > 6.0]
            suite.check(len(times) == count and not late,
                        f"slowloris: a {kind} dripped one byte a second is cut off within the deadline (2 s + slack)",
                        f"seconds to close (None: still open after 12 s): {times}")


def test_sigterm_with_slowloris():
    hello = client_hello()
    head = b"GET /info HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 64
    server = Server([*ALLOW], W, None, "SIGTERM with slowloris")
    if not server.start():
        suite.check(False, "SIGTERM with slowloris: serve starts", server.stderr_text())
        return
    threads = [threading.Thread(target=drip, args=(server, hello), kwargs={"limit": 15}, daemon=True)
               for _ in range(2)]
    threads += [threading.Thread(target=drip, args=(server, head), kwargs={"context": VALID, "limit": 15},
                                 daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    started = time.monotonic()
    rc = server.stop(signal.SIGTERM, timeout=8)
    took = time.monotonic() - started
    suite.check(rc == 0 and took < 5.0, "SIGTERM ends serve promptly (under 5 s, exit 0) with 4 slowloris "
                "connections open", f"exit {rc!r} after {took:.1f}s")
    for thread in threads:
        thread.join(20)


# ---------------------------------------------------------------------------------------------------
# 5. Limits


def header_flood(count, size):
    """`count` headers of `size` bytes each, made as they are sent."""
    value = b"v" * (size - 16)
    for i in range(count):
        yield b"X-Flood-%05d: " % i + value + b"\r\n"
    yield b"\r\n"


def chunked_flood(total, chunk=64 * 1024):
    data = b"%x\r\n" % chunk + b"c" * chunk + b"\r\n"
    for _ in range(total // chunk):
        yield data
    yield b"0\r\n\r\n"


def test_limits():
    """Reproduces the rows "431 Request Header Fields Too Large", "414 URI Too Long", "413 Content Too
    Large" and, for `Content-Length: -1`, "400 Bad Request and the connection closed" of
    docs/troubleshooting.md (test `limits`)."""
    with serve([*ALLOW, *route_args()], "limits") as server:
        pid = server.process.pid

        # 8,192 headers of 8 KB (64 MB): 431 long before the client is done, without reading it all.
        with Wire(server) as wire:
            watch = RssWatch(pid)
            answer, sent, took = stream_until_answer(
                wire, b"GET /info HTTP/1.1\r\nHost: localhost\r\n", header_flood(8192, 8192))
            watch.stop()
            print(f"    8192 headers of 8 KB: {answer!r} after {sent} bytes, {took:.2f}s, "
                  f"RSS +{watch.growth_mib:.1f} MiB", flush=True)
            suite.check(isinstance(answer, Response) and answer.status == 431 and took < 5.0,
                        "8192 headers of 8 KB: 431 within 5 s", f"{answer!r} after {took:.1f}s")
            check_rss_growth(watch.growth_mib, 20, "8192 headers of 8 KB")

        # Header blocks over the limit: too many headers, one header too long.
        for what, headers in (("150 headers (over 100)", b"".join(b"X-H%03d: v\r\n" % i for i in range(150))),
                              ("a 70 KB header (head over 64 KB)", b"X-Big: " + b"b" * 70000 + b"\r\n")):
            with Wire(server) as wire:
                answer, _, took = stream_until_answer(
                    wire, b"GET /info HTTP/1.1\r\nHost: localhost\r\n" + headers + b"\r\n", iter(()))
                suite.check(isinstance(answer, Response) and answer.status == 431, f"{what}: 431", repr(answer))

        with Wire(server) as wire:
            wire.send(b"GET /info?" + b"q" * 10000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
            answer = wire.answer()
            suite.check(isinstance(answer, Response) and answer.status == 414, "a 10 KB URI: 414", repr(answer))

        # A declared length over the limit: 413 at once, before any of the body is sent.
        with Wire(server) as wire:
            started = time.monotonic()
            wire.send(b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000\r\n\r\n")
            answer = wire.answer(timeout=5)
            took = time.monotonic() - started
            suite.check(isinstance(answer, Response) and answer.status == 413 and took < 1.0,
                        "Content-Length: 1000000000 with no body sent yet: 413 at once (under 1 s)",
                        f"{answer!r} after {took:.2f}s")

        with Wire(server) as wire:
            wire.send(b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n")
            answer = wire.answer()
            suite.check(isinstance(answer, Response) and answer.status == 400, "Content-Length: -1: 400",
                        repr(answer))
            suite.eq(wire.ending(), "eof", "Content-Length: -1: the connection closes after the 400")

        chunked_head = b"POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"

        # A chunked body past the limit: 413 once the running total passes 8 MB, the rest never read.
        with Wire(server) as wire:
            watch = RssWatch(pid)
            answer, sent, took = stream_until_answer(wire, chunked_head, chunked_flood(8 * BODY_LIMIT))
            watch.stop()
            print(f"    64 MB chunked body: {answer!r} after {sent} bytes, {took:.2f}s, "
                  f"RSS +{watch.growth_mib:.1f} MiB", flush=True)
            suite.check(isinstance(answer, Response) and answer.status == 413,
                        "a 64 MB chunked body (limit 8 MB): 413", repr(answer))
            check_rss_growth(watch.growth_mib, 20, "a 64 MB chunked body")

        # Four of them at once.
        results = [None] * 4
        watch = RssWatch(pid)

        def flood(i):
            try:
                with Wire(server) as wire:
                    results[i] = stream_until_answer(wire, chunked_head, chunked_flood(8 * BODY_LIMIT))[0]
            except Exception as error:  # noqa: BLE001 - reported as this client's failure
                results[i] = f"{type(error).__name__}: {error}"

        threads = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(40)
        watch.stop()
        print(f"    four 64 MB chunked bodies at once: RSS +{watch.growth_mib:.1f} MiB", flush=True)
        suite.check(all(isinstance(r, Response) and r.status == 413 for r in results),
                    "four 64 MB chunked bodies at once: 413 each", repr(results))
        # Each connection may hold up to the body limit before it is refused, and while its buffer grows
        # the previous one too (the allocator keeps some of it): twice the limit each and some slack,
        # against the 256 MiB and more that reading the four bodies whole costs.
        bound = 4 * 2 * BODY_LIMIT / (1024 * 1024) + 16
        check_rss_growth(watch.growth_mib, bound, "four 64 MB chunked bodies at once")


# ---------------------------------------------------------------------------------------------------
# 6. Pipelining


def test_pipelining():
    with serve([*ALLOW, *route_args()], "pipelining") as server, Wire(server) as wire:
        requests = b"".join(f"GET /{n} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode() for n in ("one", "two", "three"))
        wire.sock.sendall(requests)  # one write: one TLS record
        answers = [wire.answer(timeout=5) for _ in range(3)]
        numbers = [json.loads(a.body).get("n") if isinstance(a, Response) and a.status == 200 else repr(a)
                   for a in answers]
        suite.eq(numbers, [1, 2, 3],
                 "three requests pipelined in one TLS record: three answers, in order, on that connection")
        wire.send(b"GET /one HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = wire.answer(timeout=5)
        suite.check(isinstance(answer, Response) and answer.status == 200,
                    "pipelining: the connection stays open for the next request", repr(answer))


# ---------------------------------------------------------------------------------------------------
# 7. and 8. Strict framing and the graceful close


AMBIGUOUS = [  # (what, request)
    ("two different Content-Length values",
     b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
    ("Transfer-Encoding with Content-Length",
     b"POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
     b"5\r\nhello\r\n0\r\n\r\n"),
    ("a bad chunk size",
     b"POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
    ("a bare CR in a header", b"GET /one HTTP/1.1\r\nHost: localhost\r\nX-A: a\rb\r\n\r\n"),
    ("a NUL in a header", b"GET /one HTTP/1.1\r\nHost: localhost\r\nX-A: a\x00b\r\n\r\n"),
]


class Upstream:
    """A plain HTTP application on 127.0.0.1 that records the target of every request it receives."""

    def __init__(self):
        self.targets = []
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                upstream.targets.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_strict_framing():
    """Reproduces the row "400 Bad Request and the connection closed, for a request another server
    accepted" of docs/troubleshooting.md (test `framing`)."""
    with serve([*ALLOW, *route_args()], "strict framing") as server:
        for what, request in AMBIGUOUS:
            with Wire(server) as wire:
                wire.send(request)
                answer = wire.answer()
                ending = wire.ending(timeout=2) if isinstance(answer, Response) else None
                suite.check(isinstance(answer, Response) and answer.status == 400 and ending == "eof",
                            f"{what}: 400, then the connection closes", f"{answer!r}, then {ending}")

    # Request smuggling: what follows a TE+CL body must never reach the upstream as a request of its own.
    with Upstream() as upstream:
        upstream_url = f"http://127.0.0.1:{upstream.port}"
        routes = [f"POST /p proxy:{upstream_url}", f"GET /p proxy:{upstream_url}"]
        with serve([*ALLOW, *route_args(routes)], "smuggling") as server:
            smuggled = [  # the smuggled request inside the body for a Content-Length reader, or after it
                b"POST /p HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"0\r\n\r\nGET /p/smuggled-after-chunks HTTP/1.1\r\nHost: localhost\r\n\r\n",
                b"POST /p HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 62\r\n\r\n"
                b"0\r\n\r\nGET /p/smuggled-in-length HTTP/1.1\r\nHost: localhost\r\n\r\n",
            ]
            for request in smuggled:
                with Wire(server) as wire:
                    wire.send(request)
                    answer = wire.answer()
                    ending = wire.ending(timeout=2) if isinstance(answer, Response) else None
                    suite.check(isinstance(answer, Response) and answer.status == 400 and ending == "eof",
                                "TE+CL to a proxy route: 400, then the connection closes", f"{answer!r}, then {ending}")
            # The control: a plain request does reach the upstream through the same route.
            with Wire(server) as wire:
                wire.send(b"GET /p/control HTTP/1.1\r\nHost: localhost\r\n\r\n")
                answer = wire.answer()
            time.sleep(0.5)
            suite.check(isinstance(answer, Response) and answer.status == 200 and "GET /p/control" in upstream.targets,
                        "proxy route: a plain request reaches the upstream", f"{answer!r}; {upstream.targets}")
            suite.check(not [t for t in upstream.targets if "smuggled" in t],
                        "bytes after a TE+CL body never reach the upstream as a second request", repr(upstream.targets))


def test_graceful_close(rounds=10):
    """After a 400 that ends the connection, the client reads the whole answer and a clean end, even
    though it had sent 256 KB more after the bad request (unread by the server)."""
    with serve([*ALLOW, *route_args()], "graceful close") as server:
        outcomes = []
        for _ in range(rounds):
            with Wire(server) as wire:
                wire.send(AMBIGUOUS[0][1] + b"x" * (256 * 1024))  # two Content-Lengths: 400 and close
                answer = wire.answer()
                ending = wire.ending(timeout=2) if isinstance(answer, Response) else None
                outcomes.append("ok" if isinstance(answer, Response) and answer.status == 400 and ending == "eof"
                                else f"{answer!r}, then {ending}")
            if "open" in outcomes[-1] or "timeout" in outcomes[-1]:
                break  # a server that keeps the connection open fails every round alike; spare the time
        bad = [o for o in outcomes if o != "ok"]
        suite.check(len(outcomes) == rounds and not bad,
                    f"a bad request followed by 256 KB more: the whole 400 and a clean end, {rounds} of {rounds}",
                    f"{len(bad)} of {len(outcomes)}: {shorten(sorted(set(bad)))}")


# ---------------------------------------------------------------------------------------------------
# 10. SIGHUP


def served_thumbprint(server):
    with socket.create_connection((server.host, server.port), timeout=10) as raw:
        with ANONYMOUS.wrap_socket(raw, server_hostname="localhost") as tls:
            return hashlib.sha1(tls.getpeercert(binary_form=True)).hexdigest().upper()


def test_sighup_reload():
    folder = os.path.join(W, "reload")
    os.makedirs(folder, exist_ok=True)
    pem, key = os.path.join(folder, "server.pem"), os.path.join(folder, "server.key")
    shutil.copy(certs.server.pem, pem)
    shutil.copy(certs.server.key, key)
    renewed = new_cert(W, "server_renewed", "--issuer", "ca.pem", "--dns", "localhost", "--dns", "127.0.0.1",
                       "--purpose", "server")
    with serve(["--cert", pem, "--key", key, "--client-cert-mode", "allow", *TRUST], "SIGHUP") as server:
        suite.eq(served_thumbprint(server), certs.server.thumbprint, "SIGHUP: first, the original certificate")
        kept = TlsConnection(server.host, server.port, VALID)
        got = kept.get("/secure/cert/hello")
        suite.check(isinstance(got, Response) and got.status == 200, "SIGHUP: a keep-alive connection is open",
                    repr(got))

        shutil.copy(renewed.pem, pem)
        shutil.copy(renewed.key, key)
        lines_before = len(server.log())
        server.process.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        if not suite.check(server.process.poll() is None, "SIGHUP: serve keeps running",
                           f"exit {server.process.poll()}; stderr: {shorten(server.log()[lines_before:])}"):
            kept.close()
            return
        line = server.wait_for_log(lambda l: "reload" in l.lower())
        suite.check(line is not None, "SIGHUP: a line says the certificate was reloaded",
                    shorten(server.log()[lines_before:]))
        suite.eq(served_thumbprint(server), renewed.thumbprint, "SIGHUP: new connections get the new certificate")
        got = kept.get("/secure/cert/hello")
        suite.check(isinstance(got, Response) and got.status == 200,
                    "SIGHUP: the open keep-alive connection keeps working", repr(got))
        kept.close()

        with open(key, "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n")
        lines_before = len(server.log())
        server.process.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        if not suite.check(server.process.poll() is None, "SIGHUP with a broken key: serve keeps running",
                           f"exit {server.process.poll()}"):
            return
        found = None
        deadline = time.monotonic() + 5
        while found is None and time.monotonic() < deadline:
            found = next((l for l in server.log()[lines_before:] if "reload" in l.lower() and "server.key" in l), None)
            time.sleep(0.1)
        suite.check(found is not None, "SIGHUP with a broken key: a line says the reload failed and names the key file",
                    shorten(server.log()[lines_before:]))
        suite.eq(served_thumbprint(server), renewed.thumbprint,
                 "SIGHUP with a broken key: the certificate loaded before stays in use")


# ---------------------------------------------------------------------------------------------------
# 11. Validation code that never returns


ENDLESS = """#include <krtool/validation.hpp>

#include <chrono>
#include <thread>

// mallory's certificate never gets a verdict (a bug in real code would look the same); everyone else's
// is judged as usual.
bool validate(const krtool::Certificate* certificate, const krtool::Chain&, krtool::SslPolicyErrors errors) {
  if (certificate == nullptr) return true;
  if (certificate->subject() == "CN=mallory, O=self") {
    for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return errors == krtool::SslPolicyErrors::None;
}
"""


def stuck_handshake(server):
    """mallory's request: (what happened, seconds from connecting to it, local port). A clean result is a
    TLS failure or the connection ended; 'no answer' means the server never decided."""
    started = time.monotonic()
    raw = socket.create_connection((server.host, server.port), timeout=8)
    port = raw.getsockname()[1]
    context = client_context(certs.selfsigned, cafile=certs.ca.pem)
    try:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:  # TLS 1.3: done on the client's side
            tls.sendall(b"GET /info HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = tls.recv(4096)
            outcome = "ended" if not data else f"answered {shorten(data, 80)!r}"
    except (socket.timeout, TimeoutError):
        outcome = "no answer"
    except (OSError, ssl.SSLError) as error:
        outcome = f"failed: {error}"
    return outcome, time.monotonic() - started, port


def test_endless_validation_code():
    path = os.path.join(W, "endless.cpp")
    with open(path, "w") as f:
        f.write(ENDLESS)
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(W, "cache"))
    env.pop("CXX", None)
    args = [*ALLOW, "--client-cert-validation-code-path", path, "--handshake-timeout", "2"]
    server = Server(args, W, None, "endless validation code", env=env)
    if not server.start():
        suite.check(False, "endless validation code: serve starts", server.stderr_text())
        return
    try:
        results = []
        stuck = [threading.Thread(target=lambda: results.append(stuck_handshake(server)), daemon=True)
                 for _ in range(2)]
        for thread in stuck:
            thread.start()
        time.sleep(0.5)  # both callbacks are running now
        # Others are served meanwhile: a client with a good certificate and one without any.
        with TlsConnection(server.host, server.port, VALID, timeout=5) as connection:
            good = connection.get("/secure/cert/hello")
        with TlsConnection(server.host, server.port, ANONYMOUS, timeout=5) as connection:
            public = connection.get("/info")
        suite.check(isinstance(good, Response) and good.status == 200,
                    "endless validation code: a client with a good certificate is served meanwhile", repr(good))
        suite.check(isinstance(public, Response) and public.status == 200,
                    "endless validation code: a client without a certificate is served meanwhile", repr(public))
        for thread in stuck:
            thread.join(15)
        ok = [r for r in results if r[0] != "no answer" and not r[0].startswith("answered") and r[1] < 6.0]
        suite.check(len(ok) == 2, "endless validation code: the handshake fails at the 2 s deadline (within 6 s)",
                    repr(results))
        for _, _, port in results:
            line = server.wait_for_log(lambda l: f"127.0.0.1:{port}" in l, timeout=3)
            suite.check(line is not None, "endless validation code: the failed handshake is logged",
                        shorten(server.log()[-5:]))

        # SIGTERM while a callback is stuck: the process ends after its grace period, naming the code.
        late = threading.Thread(target=stuck_handshake, args=(server,), daemon=True)
        late.start()
        time.sleep(0.5)
        lines_before = len(server.log())
        started = time.monotonic()
        rc = server.stop(signal.SIGTERM, timeout=16)
        took = time.monotonic() - started
        suite.check(rc != "hung" and took < 15.0, "endless validation code: SIGTERM ends serve within 15 s",
                    f"exit {rc!r} after {took:.1f}s")
        suite.check(any("validation code" in l for l in server.log()[lines_before:]),
                    "endless validation code: the exit message names the stuck validation code",
                    shorten(server.log()[lines_before:]))
    finally:
        server.stop(signal.SIGKILL, timeout=10)


# ---------------------------------------------------------------------------------------------------


def main():
    tests = [("alerts", test_alerts_delivered), ("bodyless", test_bodyless_requests),
             ("fairness", test_keep_alive_fairness), ("slowloris", test_slowloris_cut_off),
             ("sigterm-slowloris", test_sigterm_with_slowloris), ("limits", test_limits),
             ("pipelining", test_pipelining), ("framing", test_strict_framing),
             ("graceful-close", test_graceful_close), ("sighup", test_sighup_reload),
             ("validation-loop", test_endless_validation_code), ("threads", test_threads_flag)]
    return suite.run(tests, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
