#!/usr/bin/python3
"""Issue 14's whole loop with krtool alone, as the guide's section 9 shows it: a development CA and three
clients (alice and bob in ops, carol in sales) whose certificates name the server's own OCSP responder
and CRL; `krtool serve` publishes them on a plain-HTTP endpoint beside the protected HTTPS route, whose
policy admits ops only. Revoking bob makes his next call 401 with the reason in the access log and in
test-client's diagnosis, while alice still gets 200 and carol, authenticated, gets 403. Loopback only."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import Server, Suite, TestClientRun, free_port, run_krtool  # noqa: E402

suite = Suite("revocation_loop_test")
W = suite.work
HTTP_PORT = free_port()
OCSP = f"http://127.0.0.1:{HTTP_PORT}/ocsp"
CRL = f"http://127.0.0.1:{HTTP_PORT}/crl"


def krtool(*args, expect=0):
    result = run_krtool(list(args), W)
    suite.eq(result.returncode, expect, f"krtool {' '.join(args[:3])} ... exits {expect}")
    if result.returncode != expect:
        print(result.stderr, file=sys.stderr)
    return result


krtool("new-selfsigned", "--ca", "--subject", "CN=Loop Dev CA, O=Acme", "--key-type", "ecdsa", "--out", "ca.pem")
krtool("new-selfsigned", "--issuer", "ca.pem", "--dns", "localhost", "--dns", "127.0.0.1", "--purpose", "server",
       "--key-type", "ecdsa", "--out", "server.pem")
for name, unit in (("alice", "ops"), ("bob", "ops"), ("carol", "sales")):
    krtool("new-selfsigned", "--issuer", "ca.pem", "--subject", f"CN={name}, OU={unit}, O=Acme", "--purpose",
           "client", "--key-type", "ecdsa", "--ocsp-url", OCSP, "--crl-url", CRL, "--out", f"{name}.pem")

server = Server(["--cert", "server.pem", "--urls", f"https://127.0.0.1:0;http://127.0.0.1:{HTTP_PORT}",
                 "--client-cert-mode", "allow", "--trust-ca", "ca.pem", "--auth-trust-ca", "ca.pem",
                 "--diagnostics", "--route", "GET /crl crl:ca.pem", "--route", "* /ocsp ocsp:ca.pem",
                 "--policy", "ops: subject OU=ops",
                 "--route", 'GET /deploy auth=Certificate policy=ops json:{"deployedBy":"{user.name}"}'],
                W, suite, port_args=())


def call(name):
    run = TestClientRun([f"{server.url}/deploy", "--cacert", "ca.pem", "--cert", f"{name}.pem"], W)
    return run


def access_line(name, status):
    return server.wait_for_log(lambda line: f"CN={name}" in line and f" {status} " in line and "/deploy" in line)


if suite.check(server.start(), "serve starts with an https and an http endpoint", server.stderr_text()):
    for name in ("alice", "bob"):
        run = call(name)
        suite.check(run.rc == 0 and run.get("status") == 200, f"{name} (ops) gets 200 before", run.describe())
        line = access_line(name, 200)
        suite.contains(line, f"[revocation: OCSP at {OCSP}, good", f"{name}'s status came from the OCSP route")

    krtool("revoke", "--issuer", "ca.pem", "bob.pem", "--reason", "keyCompromise")

    run = call("bob")
    suite.eq(run.rc, 1, "bob's next call fails (exit 1)")
    suite.eq(run.get("status"), 401, "bob's next call is 401 at the scheme")
    diagnosis = f"{run.get('diagnosis', 'cause')} {run.get('diagnosis', 'fix')}"
    suite.contains(diagnosis.lower(), "revoked", "test-client's diagnosis says bob is revoked")
    suite.contains(diagnosis, OCSP, "test-client's diagnosis names the responder that said so")
    line = access_line("bob", 401)
    suite.contains(line, "Revoked", "the access log gives the reason")
    suite.contains(line, f"OCSP at {OCSP}, revoked", "the access log names where the status came from")

    run = call("alice")
    suite.check(run.rc == 0 and run.get("status") == 200, "alice still gets 200", run.describe())

    run = call("carol")
    suite.eq(run.get("status"), 403, "carol (sales), authenticated, gets 403")
    suite.contains(f"{run.get('diagnosis', 'cause')}", "policy ops", "test-client names the policy for carol")
    line = access_line("carol", 403)
    suite.contains(line, "Certificate: success", "carol was authenticated")
    suite.contains(line, "policy ops: subject OU=ops", "the access log names the rule carol failed")

    # The CRL the route serves lists bob too, for checkers that fall back to it.
    crl_path = os.path.join(W, "served.crl")
    import subprocess
    import urllib.request
    with urllib.request.urlopen(CRL, timeout=10) as answer, open(crl_path, "wb") as out:
        out.write(answer.read())
    listed = subprocess.run(["openssl", "crl", "-in", crl_path, "-inform", "DER", "-noout", "-text"],
                            capture_output=True, text=True, timeout=20)
    suite.check(listed.returncode == 0 and "Key Compromise" in listed.stdout, "the served CRL lists bob's revocation",
                listed.stdout + listed.stderr)
    server.stop()

# Offline mode follows its --crl file: a CRL published while serve runs counts at the next request.
krtool("new-crl", "--issuer", "ca.pem", "--out", "offline.crl")
offline = Server(["--cert", "server.pem", "--client-cert-mode", "allow", "--trust-ca", "ca.pem", "--auth-trust-ca",
                  "ca.pem", "--revocation-mode", "offline", "--crl", "offline.crl", "--diagnostics",
                  "--route", "GET /deploy auth=Certificate"], W, suite)
if suite.check(offline.start(), "serve starts in offline mode", offline.stderr_text()):
    server = offline  # call() and access_line() use `server`
    run = call("alice")
    suite.check(run.rc == 0 and run.get("status") == 200, "offline: alice gets 200 before", run.describe())
    krtool("revoke", "--issuer", "ca.pem", "alice.pem")
    krtool("new-crl", "--issuer", "ca.pem", "--out", "offline.crl", "--force")
    time.sleep(1.2)  # the files are looked at no more than once a second
    run = call("alice")
    suite.eq(run.get("status"), 401, "offline: after the new CRL file, alice's next call is 401")
    line = access_line("alice", 401)
    suite.contains(line, "CRL files (--crl)", "offline: the log names the CRL files as the source")
    suite.check(offline.wait_for_log(lambda l: "re-read the changed CRL file" in l) is not None,
                "offline: serve says it re-read the changed file", offline.stderr_text())
    offline.stop()

sys.exit(suite.finish())
