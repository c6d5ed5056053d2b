#!/usr/bin/python3
"""Load on `krtool serve` with client certificates: 200 keep-alive clients held open at once, each sending
20 requests on its one TLS connection; a burst of 300 new connections at once; and a burst that mixes
accepted and rejected client certificates. Every request must succeed (or, for the rejected ones, fail at
TLS); throughput is reported, not asserted. Every wait is bounded.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import (  # noqa: E402
    LOOPBACK, CertSet, Response, Server, Suite, TlsConnection, TlsFailure, client_context, shorten)

threading.stack_size(512 * 1024)  # hundreds of client threads
suite = Suite("serve_load_test")
certs = CertSet(suite.work)
W = suite.work
VALID = client_context(certs.valid, cafile=certs.ca.pem)
SELF_SIGNED = client_context(certs.selfsigned, cafile=certs.ca.pem)
# Generous: the first requests may wait for 200 handshakes on a busy machine.
SERVER_ARGS = [*certs.server_args(), "--client-cert-mode", "allow", "--trust-ca", certs.ca.pem, "--auth-trust-ca",
               certs.ca.pem, "--revocation-mode", "nocheck", "--keep-alive-timeout", "60", "--handshake-timeout", "60"]
OVERALL_TIMEOUT = 90.0


def run_threads(count, target, timeout):
    """Starts `count` threads running target(i), joins them against one deadline; returns the ones still
    alive (stuck) after it."""
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [t for t in threads if t.is_alive()]


def test_keep_alive_clients(clients=200, requests_each=20):
    what = f"{clients} keep-alive clients x {requests_each} requests"
    with Server(SERVER_ARGS, W, suite, "keep-alive load") as server:
        opened = threading.Barrier(clients, timeout=60)
        results = [None] * clients  # per client: (local port, [status or error...])
        timings = {}

        def client(i):
            statuses = []
            port = None
            try:
                with TlsConnection(server.host, server.port, VALID, timeout=60) as connection:
                    port = connection.local_port
                    if connection.failure is not None:
                        statuses.append(repr(connection.failure))
                        return
                    # All connections are open (and their handshakes done) before any request.
                    opened.wait()
                    timings.setdefault("first", time.monotonic())
                    for _ in range(requests_each):
                        got = connection.get("/secure/cert/hello")
                        if isinstance(got, Response) and got.status == 200 and \
                                got.json().get("thumbprint") == certs.valid.thumbprint:
                            statuses.append(200)
                        else:
                            statuses.append(repr(got))
                            break
                    timings["last"] = time.monotonic()
            except Exception as error:  # noqa: BLE001 - counted as that client's failure
                statuses.append(f"{type(error).__name__}: {error}")
            finally:
                results[i] = (port, statuses)

        started = time.monotonic()
        stuck = run_threads(clients, client, OVERALL_TIMEOUT)
        elapsed = time.monotonic() - started
        suite.eq(len(stuck), 0, f"{what}: every client finished within {OVERALL_TIMEOUT:.0f}s")
        failures = [r for r in results if r is None or r[1] != [200] * requests_each]
        suite.check(not failures, f"{what}: every request got 200 with the client's thumbprint",
                    f"{len(failures)} clients failed, e.g. {shorten(failures[:3])}")
        served = sum(r[1].count(200) for r in results if r)
        if "first" in timings and "last" in timings:
            window = max(timings["last"] - timings["first"], 1e-6)
            print(f"  {what}: {served} requests in {window:.2f}s after all {clients} handshakes "
                  f"({served / window:.0f} requests/s; {elapsed:.1f}s in all)", flush=True)
        # Keep-alive really held: each client's requests came in on its one connection.
        time.sleep(0.5)
        per_port = {}
        for line in server.log():
            if " GET /secure/cert/hello 200 " in line:
                remote = line.split(" ")[1]
                per_port[remote] = per_port.get(remote, 0) + 1
        ports = [f"{LOOPBACK}:{r[0]}" for r in results if r and r[0]]
        suite.check(all(per_port.get(p) == requests_each for p in ports),
                    f"{what}: the access log shows {requests_each} requests per connection",
                    shorten({p: per_port.get(p) for p in ports if per_port.get(p) != requests_each}))
        hello_lines = [line for line in server.log() if " GET /secure/cert/hello 200 " in line]
        suite.check(len(hello_lines) == clients * requests_each and
                    all('tls="accepted (None)"' in l and 'auth="Certificate: success"' in l for l in hello_lines),
                    f"{what}: one access-log line per request, each with the TLS and auth verdicts",
                    f"{len(hello_lines)} lines")


def burst(server, contexts, label):
    """len(contexts) new connections released at once; each does one GET /secure/cert/hello.
    Returns the per-connection results (Response, TlsFailure or an error string) and the elapsed time."""
    count = len(contexts)
    go = threading.Barrier(count, timeout=60)
    results = [None] * count

    def connect(i):
        try:
            go.wait()
            with TlsConnection(server.host, server.port, contexts[i], timeout=60) as connection:
                results[i] = connection.get("/secure/cert/hello")
        except Exception as error:  # noqa: BLE001 - counted as that connection's failure
            results[i] = f"{type(error).__name__}: {error}"

    started = time.monotonic()
    stuck = run_threads(count, connect, OVERALL_TIMEOUT)
    elapsed = time.monotonic() - started
    suite.eq(len(stuck), 0, f"{label}: every connection finished within {OVERALL_TIMEOUT:.0f}s")
    return results, elapsed


def test_connection_burst(count=300):
    what = f"burst of {count} new connections"
    with Server(SERVER_ARGS, W, suite, "burst") as server:
        results, elapsed = burst(server, [VALID] * count, what)
        bad = [r for r in results if not (isinstance(r, Response) and r.status == 200 and
                                          r.json().get("thumbprint") == certs.valid.thumbprint)]
        suite.check(not bad, f"{what}: every connection got 200 with the client's identity",
                    f"{len(bad)} failed, e.g. {shorten(bad[:3])}")
        print(f"  {what}: {count - len(bad)} handshakes+requests in {elapsed:.2f}s "
              f"({(count - len(bad)) / max(elapsed, 1e-6):.0f} connections/s)", flush=True)


def test_mixed_burst(count=200):
    """Rejected handshakes in the same burst do not disturb accepted ones."""
    what = f"mixed burst of {count} (half rejected at TLS)"
    with Server(SERVER_ARGS, W, suite, "mixed burst") as server:
        contexts = [VALID if i % 2 == 0 else SELF_SIGNED for i in range(count)]
        results, elapsed = burst(server, contexts, what)
        good = [r for i, r in enumerate(results) if i % 2 == 0]
        rejected = [r for i, r in enumerate(results) if i % 2 == 1]
        bad_good = [r for r in good if not (isinstance(r, Response) and r.status == 200)]
        bad_rejected = [r for r in rejected if not isinstance(r, TlsFailure)]
        suite.check(not bad_good, f"{what}: every valid client got 200", f"{len(bad_good)}: {shorten(bad_good[:3])}")
        suite.check(not bad_rejected, f"{what}: every self-signed client failed at TLS",
                    f"{len(bad_rejected)}: {shorten(bad_rejected[:3])}")
        time.sleep(0.5)
        rejections = sum(1 for line in server.log() if line.startswith("tls: rejected client certificate"))
        suite.eq(rejections, len(rejected), f"{what}: one 'tls: rejected' line per refused handshake")
        print(f"  {what}: {elapsed:.2f}s", flush=True)
        # The server still answers normally afterwards.
        with TlsConnection(server.host, server.port, VALID) as connection:
            got = connection.get("/secure/cert/hello")
        suite.check(isinstance(got, Response) and got.status == 200, f"{what}: the server still serves afterwards",
                    repr(got))


def main():
    tests = [("keep-alive", test_keep_alive_clients), ("burst", test_connection_burst),
             ("mixed", test_mixed_burst)]
    return suite.run(tests, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
