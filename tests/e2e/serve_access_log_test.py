#!/usr/bin/python3
"""End-to-end tests of the access log's honesty: an answer the server sends before any route runs (400 for
a malformed request, 414 for a request target too long, 431 for a header section over 64 KiB) is logged
with its own status and no authentication verdict, never with the verdict of the request before it on the
same connection; its TLS verdict is the connection's. Only loopback traffic.
"""

import http.client
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import CertSet, Server, Suite, TlsConnection, client_context, shorten  # noqa: E402

suite = Suite("serve_access_log_test")
certs = CertSet(suite.work)
W = suite.work
ARGS = [*certs.server_args(), "--client-cert-mode", "allow", "--trust-ca", certs.ca.pem,
        "--auth-trust-ca", certs.ca.pem, "--revocation-mode", "nocheck", "--log-format", "json"]
VALID = client_context(certs.valid, cafile=certs.ca.pem)

# Each raw request is sent after an authenticated GET on the same keep-alive connection, so that a
# stale verdict would be "Certificate: success".
RAW_REQUESTS = {
    "request line too long": b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "malformed request line": b"NOT A REQUEST\r\nHost: localhost\r\n\r\n",
    "header section too large": b"GET /info HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"b" * 70000 + b"\r\n\r\n",
}


def raw_status(connection, data):
    """Sends `data` as is on the connection's TLS socket; the status of the answer, or the error."""
    try:
        connection.sock.sendall(data)
        answer = http.client.HTTPResponse(connection.sock)
        answer.begin()
        answer.read()
        return answer.status
    except (OSError, http.client.HTTPException) as error:
        return f"{type(error).__name__}: {error}"


def json_entries(server):
    entries = []
    for line in server.log():
        if line.startswith("{"):
            try:
                entries.append(json.loads(line))
            except ValueError:
                suite.check(False, "every JSON log line parses", line)
    return entries


def test_pre_routing_answers_have_their_own_entry():
    with Server(ARGS, W, suite, "pre-routing") as server:
        for name, data in RAW_REQUESTS.items():
            connection = TlsConnection(server.host, server.port, VALID)
            first = connection.get("/secure/cert/info")
            suite.eq(getattr(first, "status", first), 200, f"{name}: the authenticated request first")
            before = set(server.log())
            status = raw_status(connection, data)
            suite.check(isinstance(status, int) and status >= 400, f"{name}: the server answers an error",
                        repr(status))
            connection.close()
            # Such a request has no method or path the server could trust: the entry is the first one
            # after the authenticated request with the status the client received.
            entry = None
            line = server.wait_for_log(lambda l, status=status, before=before: l not in before and
                                       l.startswith("{") and json.loads(l).get("status") == status)
            if line is not None:
                entry = json.loads(line)
            suite.check(entry is not None, f"{name}: the {status} answer has an access-log entry",
                        shorten("\n".join(server.log()[-5:])))
            if entry is not None:
                suite.eq(entry.get("auth"), "-", f"{name}: no authentication verdict (none ran)")
                suite.eq(entry.get("tls"), "accepted (None)", f"{name}: the connection's TLS verdict")
                suite.check(entry.get("remote") in ("-", f"127.0.0.1:{connection.local_port}"),
                            f"{name}: the peer is ours or unknown, never ':-1'", repr(entry.get("remote")))
                suite.check(entry.get("method") != "" and entry.get("path") != "",
                            f"{name}: an unknown method or path is '-', not empty", repr(entry))
        # And the next ordinary request is logged as usual.
        connection = TlsConnection(server.host, server.port, VALID)
        again = connection.get("/secure/cert/info")
        connection.close()
        suite.eq(getattr(again, "status", again), 200, "the server still serves")
        line = server.wait_for_log(lambda l: f"127.0.0.1:{connection.local_port}" in l and "/secure/cert/info" in l)
        suite.check(line is not None and json.loads(line).get("auth") == "Certificate: success",
                    "an ordinary request keeps its verdict", repr(line))
    suite.check(all("status" not in e or e.get("auth") != "Certificate: success" or e.get("path") == "/secure/cert/info"
                    for e in json_entries(server)),
                "no entry other than the authenticated requests carries their verdict")


def main():
    tests = [("pre-routing", test_pre_routing_answers_have_their_own_entry)]
    return suite.run(tests, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
