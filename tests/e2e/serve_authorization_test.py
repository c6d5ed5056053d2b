#!/usr/bin/python3
"""End-to-end test of serve's authorization step: a route with auth=SCHEME policy=NAME answers 200 to a
client whose certificate passes the policy, 403 with an empty body (and the failed rule in the log and in
Krtool-Auth-Failure) to an authenticated client that does not, and 401 without a certificate; auth=A,B
tries the schemes in order; `krtool policy test` gives the same verdicts without a server, in text and
JSON, with exit 0 or 1; bad names are usage errors (exit 2) with a did-you-mean.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import (Server, Suite, TestClientRun, client_context, curl, https_get, new_cert,  # noqa: E402
                        run_krtool, start_failure)

suite = Suite("serve_authorization_test")
W = suite.work

CA = new_cert(W, "ca", "--ca", "--subject", "CN=Authz CA, O=Acme")
PARTNER_CA = new_cert(W, "partner_ca", "--ca", "--subject", "CN=Partner CA, O=Partner")
SERVER = new_cert(W, "server", "--issuer", "ca.pem", "--dns", "127.0.0.1", "--dns", "localhost", "--purpose", "server")
ALICE = new_cert(W, "alice", "--issuer", "ca.pem", "--subject", "CN=alice, OU=ops, O=Acme", "--purpose", "client")
BOB = new_cert(W, "bob", "--issuer", "ca.pem", "--subject", "CN=bob, O=Other", "--purpose", "client")
PAT = new_cert(W, "pat", "--issuer", "partner_ca.pem", "--subject", "CN=pat, O=Acme", "--purpose", "client")

CONFIG = {
    "endpoint": {"cert": "server.pem", "key": "server.key"},
    "https": {"clientCertificateMode": "allow", "trustCa": ["ca.pem", "partner_ca.pem"]},
    "schemes": [{"name": "Certificate", "revocationMode": "nocheck", "trustCa": ["ca.pem"]},
                {"name": "Partner", "revocationMode": "nocheck", "trustCa": ["partner_ca.pem"]}],
    "policies": {"ops": ["subject O=Acme", {"eku": "clientAuth"}]},
    "routes": [{"method": "GET", "path": "/ops", "auth": "Certificate", "policy": "ops",
                "json": {"user": "{user.name}"}},
               {"method": "GET", "path": "/either", "auth": ["Partner", "Certificate"],
                "json": {"scheme": "{user.authenticationType}"}},
               "GET /info"],
    "diagnostics": True,
}
with open(os.path.join(W, "serve.json"), "w") as f:
    json.dump(CONFIG, f)

BOB_REASON = "policy ops: subject O=Acme: the certificate's subject has O=Other"


def status(response):
    return getattr(response, "status", response)


def test_policy_decides_200_403_401():
    with Server(["--config", "serve.json"], W, suite) as server:
        suite.contains(server.stderr_text(), "krtool: policy: ops: subject O=Acme; eku clientAuth",
                       "the start-up listing shows the policy")
        suite.contains(server.stderr_text(), "route: GET /ops -> auth=Certificate policy=ops",
                       "the start-up listing shows the route's policy")
        url = f"https://127.0.0.1:{server.port}/ops"

        rc, code, body, err = curl(["--cacert", CA.pem, "--cert", ALICE.pem, "--key", ALICE.key, url])
        suite.eq(code, 200, f"curl as alice (O=Acme): 200 ({err})")
        suite.eq(json.loads(body or "{}").get("user"), "CN=alice, OU=ops, O=Acme", "the handler saw alice")

        response, port = https_get(server, "/ops", client_context(BOB, CA.pem), server_hostname="127.0.0.1")
        suite.eq(status(response), 403, "bob (O=Other) is authenticated but not authorized: 403")
        suite.eq(getattr(response, "body", None), b"", "the 403 has an empty body")
        suite.eq(getattr(response, "headers", {}).get("krtool-auth-failure"), BOB_REASON,
                 "--diagnostics names the policy and the rule")
        line = server.access_line(port, "GET", "/ops")
        suite.contains(line, f'auth="Certificate: success; {BOB_REASON} (403)"', "the access log names the rule")

        response, _ = https_get(server, "/ops", client_context(None, CA.pem), server_hostname="127.0.0.1")
        suite.eq(status(response), 401, "no certificate: 401, not 403")

        call = TestClientRun([url, "--cacert", CA.pem, "--cert", BOB.pem, "--key", BOB.key], W)
        suite.eq(call.rc, 1, f"test-client as bob: exit 1 ({call.describe()})")
        suite.contains(call.get("diagnosis", "cause"), BOB_REASON, "test-client's diagnosis shows the header's reason")


def test_schemes_are_tried_in_order():
    with Server(["--config", "serve.json"], W, suite) as server:
        response, port = https_get(server, "/either", client_context(PAT, CA.pem), server_hostname="127.0.0.1")
        suite.eq(status(response), 200, "pat (partner CA) on auth=Partner,Certificate: 200")
        suite.contains(server.access_line(port, "GET", "/either"), 'auth="Partner: success"', "Partner succeeded first")
        suite.eq(response.json().get("scheme") if status(response) == 200 else None, "Partner", "the principal's scheme")

        response, port = https_get(server, "/either", client_context(ALICE, CA.pem), server_hostname="127.0.0.1")
        suite.eq(status(response), 200, "alice (our CA): Partner fails, Certificate succeeds: 200")
        line = server.access_line(port, "GET", "/either")
        suite.contains(line, 'auth="Partner: failed: Certificate chain validation failed', "Partner's failure is logged")
        suite.contains(line, '; Certificate: success"', "then Certificate's success")

        response, port = https_get(server, "/either", client_context(None, CA.pem), server_hostname="127.0.0.1")
        suite.eq(status(response), 401, "no certificate: every scheme has no result: 401")
        suite.contains(server.access_line(port, "GET", "/either"),
                       'auth="Partner: no certificate; Certificate: no certificate (401)"', "both schemes named")


def test_policy_flag_replaces_the_files_policies():
    with Server(["--config", "serve.json", "--policy", "ops: subject OU=ops"], W, suite) as server:
        response, _ = https_get(server, "/ops", client_context(ALICE, CA.pem), server_hostname="127.0.0.1")
        suite.eq(status(response), 200, "alice has OU=ops: 200")
        response, _ = https_get(server, "/ops", client_context(PAT, CA.pem), server_hostname="127.0.0.1")
        suite.eq(status(response), 401, "pat is not of the Certificate scheme's CA: 401")


def test_policy_test_dry_run():
    ok = run_krtool(["policy", "test", ALICE.pem, "--config", "serve.json", "--route", "GET /ops"], W)
    suite.eq(ok.returncode, 0, f"policy test alice GET /ops: exit 0 ({ok.stderr})")
    suite.contains(ok.stdout, "tls: client certificates allow: accepted by strict validation", "the TLS verdict")
    suite.contains(ok.stdout, "scheme Certificate: success: CN=alice, OU=ops, O=Acme", "the scheme's verdict")
    suite.contains(ok.stdout, "  pass subject O=Acme: ", "each rule's verdict")
    suite.contains(ok.stdout, "verdict: allowed", "the overall verdict")

    refused = run_krtool(["policy", "test", BOB.pem, "--config", "serve.json", "--route", "GET /ops"], W)
    suite.eq(refused.returncode, 1, "policy test bob GET /ops: exit 1")
    suite.contains(refused.stdout, "  FAIL subject O=Acme: the certificate's subject has O=Other", "the failed rule")
    suite.contains(refused.stdout, "route GET /ops: 403", "the route's answer")

    js = run_krtool(["policy", "test", BOB.pem, "--config", "serve.json", "--route", "get /ops", "--json"], W)
    suite.eq(js.returncode, 1, "--json: the same exit code")
    try:
        doc = json.loads(js.stdout)
    except ValueError:
        doc = {}
    suite.eq(doc.get("allowed"), False, "--json: allowed false")
    suite.eq((doc.get("route") or {}).get("status"), 403, "--json: route.status 403")
    suite.eq([s.get("outcome") for s in doc.get("schemes", [])], ["success", "failure"], "--json: each scheme")
    policies = doc.get("policies") or [{}]
    suite.eq(policies[0].get("failure"), BOB_REASON, "--json: the policy's failure")
    suite.eq([r.get("passed") for r in policies[0].get("rules", [])], [False, True], "--json: each rule")
    suite.eq((doc.get("tls") or {}).get("accepted"), True, "--json: the TLS layer accepts bob")

    untrusted = new_cert(W, "stranger", "--subject", "CN=stranger, O=Acme", "--purpose", "client")
    tls = run_krtool(["policy", "test", untrusted.pem, "--config", "serve.json", "--route", "GET /ops", "--json"], W)
    doc = json.loads(tls.stdout or "{}")
    suite.eq(tls.returncode, 1, "a self-signed stranger: exit 1")
    suite.eq((doc.get("tls") or {}).get("accepted"), False, "the TLS layer rejects it, as the handshake would")

    every = run_krtool(["policy", "test", PAT.pem, "--config", "serve.json"], W)
    suite.eq(every.returncode, 0, f"without --route every policy is evaluated; pat passes them: exit 0 ({every.stdout})")
    suite.contains(every.stdout, "policy ops: authorized", "the policy's verdict")

    swap = run_krtool(["policy", "test", ALICE.pem, "--config", "serve.json", "--route", "GET /ops",
                       "--policy", "ops: subject OU=finance"], W)
    suite.eq(swap.returncode, 1, "--policy replaces the file's policy: exit 1")
    suite.contains(swap.stdout, "FAIL subject OU=finance: the certificate's subject has OU=ops", "the new rule")


def test_usage_errors_name_the_fix():
    rc, err = start_failure(["--config", "serve.json", "--route", "GET /x auth=Certificate policy=opz"], W)
    suite.eq(rc, 2, "an undefined policy: exit 2")
    suite.contains(err, "authorization policy 'opz' is not defined", "names the policy")
    suite.contains(err, "did you mean 'ops'?", "did-you-mean")

    rc, err = start_failure(["--config", "serve.json", "--route", "GET /x auth=Certificat"], W)
    suite.eq(rc, 2, "an unknown scheme: exit 2")
    suite.contains(err, "did you mean 'Certificate'?", "did-you-mean for schemes")

    rc, err = start_failure(["--config", "serve.json", "--route", "GET /x policy=ops"], W)
    suite.eq(rc, 2, "policy= without auth=: exit 2")
    suite.contains(err, "needs auth=SCHEME", "says why")

    bad = run_krtool(["policy", "test", ALICE.pem, "--config", "serve.json", "--policy", "ops: subjet O=Acme"], W)
    suite.eq(bad.returncode, 2, "a misspelt rule: exit 2")
    suite.contains(bad.stderr, "policy 'ops': rule 'subjet O=Acme': 'subjet' is not a rule", "names policy and rule")
    suite.contains(bad.stderr, "did you mean 'subject'?", "did-you-mean for rules")


sys.exit(suite.run([
    ("a policy decides 200, 403 and 401", test_policy_decides_200_403_401),
    ("auth=A,B tries the schemes in order", test_schemes_are_tried_in_order),
    ("--policy replaces the file's policies", test_policy_flag_replaces_the_files_policies),
    ("krtool policy test is a dry run", test_policy_test_dry_run),
    ("usage errors name the fix", test_usage_errors_name_the_fix),
], only=sys.argv[1:]))
