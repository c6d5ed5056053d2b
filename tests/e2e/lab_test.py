#!/usr/bin/env python3
"""`krtool new-lab` and `krtool test-client --lab`: the lab holds every file it lists, its chains verify
(or fail) with openssl as lab.json says, and every client gets the outcome lab.json expects from krtool
serve (strict and with each built-in callback) and from nginx with ssl_verify_client on; a relaxed
server checked against the strict profile is reported, row by row, with exit 1. The development root
is kept in KRTOOL_CAROOT (a folder of this suite) and reused until --new-root.
"""

import json
import os
import shutil
import stat
import subprocess
import sys

from krtool_e2e import LOOPBACK, Server, Suite, nginx, run_krtool

suite = Suite("lab")
W = suite.work
ENV = dict(os.environ, KRTOOL_CAROOT=os.path.join(W, "caroot"), NO_COLOR="1")
LAB = os.path.join(W, "lab")
RELAXED = ["AllowAny", "AllowSelfSignedForDevelopment", "AllowMissingOrSelfSignedForDevelopment"]
manifest = {}


def krtool(*args, cwd=W):
    return run_krtool(list(args), cwd, timeout=120, env=ENV)


def at(relative):
    return os.path.join(LAB, relative)


def client(name):
    return next(c for c in manifest["clients"] if c["name"] == name)


def openssl(*args):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)


def serve_arguments(profile="strict"):
    """The lab's own serve command (from new-lab --json) on a free port, with PROFILE's callback."""
    words = manifest["serveArguments"][1:]
    i = words.index("--port")
    del words[i:i + 2]
    if profile != "strict":
        words += ["--client-cert-validation", profile]
    return words


def lab_run(url, *extra):
    result = krtool("test-client", "--lab", "lab", url, "--json", *extra)
    try:
        return result, json.loads(result.stdout)
    except ValueError:
        return result, None


def test_new_lab_writes_everything():
    global manifest
    result = krtool("new-lab", "lab", "--allow-weak", "--json")
    if not suite.eq(result.returncode, 0, f"new-lab exits 0 ({result.stderr.strip()})"):
        return
    manifest = json.loads(result.stdout)
    with open(at("lab.json")) as f:
        on_disk = json.load(f)
    suite.eq([c["name"] for c in on_disk["clients"]], [c["name"] for c in manifest["clients"]],
             "lab.json lists what --json printed")
    names = [c["name"] for c in manifest["clients"]]
    suite.eq(names, ["valid", "valid-chain", "missing-intermediate", "expired", "not-yet-valid", "server-auth-only",
                     "no-digital-signature", "untrusted-ca", "self-signed", "revoked", "weak-rsa1024"],
             "one client per rejection path, the RSA 1024 one with --allow-weak")
    for c in manifest["clients"]:
        for field in ("subject", "thumbprint", "serialNumber", "purpose", "files", "expected"):
            suite.check(c.get(field), f"{c['name']}: lab.json has {field}")
        suite.eq(sorted(c["expected"]), sorted(manifest["profiles"]), f"{c['name']}: an expectation per profile")
        for kind, path in c["files"].items():
            mode = stat.S_IMODE(os.stat(at(path)).st_mode)
            suite.eq(mode, 0o644 if kind == "certificate" else 0o600, f"{c['name']}: {kind} mode")
        pfx = openssl("pkcs12", "-in", at(c["files"]["pfx"]), "-passin", f"pass:{manifest['password']}", "-nokeys")
        suite.eq(pfx.returncode, 0, f"{c['name']}: the PFX opens with the lab's password ({pfx.stderr.strip()})")
        key = openssl("pkey", "-in", at(c["files"]["encryptedKey"]), "-passin", f"pass:{manifest['password']}",
                      "-noout")
        suite.eq(key.returncode, 0, f"{c['name']}: the encrypted key opens")
    suite.contains(client("valid")["subject"], "CN=Alice Andersen, OU=Engineering, O=Krtool Lab", "real names")
    suite.eq(client("self-signed")["subject"], client("valid")["subject"], "the impostor copies the subject")
    suite.check(not os.path.exists(at("ca/root.key")), "the development root's key stays in KRTOOL_CAROOT")
    suite.check(not any(n.startswith(".lab.tmp") for n in os.listdir(W)), "no staging folder is left behind")


def test_chains_verify_with_openssl():
    root, inter = at("ca/root.pem"), at("ca/intermediate.pem")

    def verify(name, *extra):
        return openssl("verify", "-CAfile", root, "-purpose", "sslclient", *extra, at(client(name)["files"]["certificate"]))

    suite.eq(verify("valid").returncode, 0, "openssl verify: valid")
    suite.eq(verify("valid-chain", "-untrusted", inter).returncode, 0, "openssl verify: valid-chain with its chain")
    missing = verify("missing-intermediate")
    suite.contains(missing.stdout + missing.stderr, "unable to get local issuer", "openssl verify: missing-intermediate")
    expired = verify("expired")
    suite.contains(expired.stdout + expired.stderr, "expired", "openssl verify: expired")
    purpose = verify("server-auth-only")
    suite.contains(purpose.stdout + purpose.stderr, "certificate purpose", "openssl verify: serverAuth only")
    revoked = verify("revoked", "-untrusted", inter, "-crl_check", "-CRLfile", at("crl/intermediate.crl"))
    suite.contains(revoked.stdout + revoked.stderr, "certificate revoked", "openssl verify: revoked by the lab's CRL")
    crl = openssl("crl", "-in", at("crl/intermediate.crl"), "-CAfile", inter, "-noout")
    suite.contains(crl.stdout + crl.stderr, "verify OK", "openssl crl: the intermediate signed its CRL")
    text = openssl("x509", "-in", at(client("revoked")["files"]["certificate"]), "-noout", "-ext",
                   "crlDistributionPoints,authorityInfoAccess").stdout
    suite.contains(text, f"https://localhost:{manifest['port']}/crl/intermediate.crl", "the revoked client's CRL URL")
    suite.contains(text, "OCSP - URI:https://localhost:", "the revoked client's OCSP URL")


def test_existing_lab_needs_force():
    again = krtool("new-lab", "lab")
    suite.eq(again.returncode, 2, "new-lab over an existing lab without --force: exit 2")
    suite.contains(again.stderr, "--force", "the error names --force")


def test_development_root_reused():
    caroot = krtool("caroot")
    suite.eq(caroot.stdout.strip(), ENV["KRTOOL_CAROOT"], "caroot prints KRTOOL_CAROOT")
    info = json.loads(krtool("caroot", "--json").stdout)
    suite.eq(info["thumbprint"], manifest["root"]["thumbprint"], "the lab's root is the development root")
    suite.eq(stat.S_IMODE(os.stat(ENV["KRTOOL_CAROOT"]).st_mode), 0o700, "the root folder is 0700")
    suite.eq(stat.S_IMODE(os.stat(info["key"]).st_mode), 0o600, "the root key is 0600")
    first = json.loads(krtool("new-selfsigned", "--development", "--out", "a.pem", "--json").stdout)
    second = json.loads(krtool("new-selfsigned", "--development", "--out", "b.pem", "--json").stdout)
    suite.eq(first["root"]["thumbprint"], info["thumbprint"], "new-selfsigned --development signs with it")
    suite.eq(second["root"]["thumbprint"], info["thumbprint"], "and again on the next run")
    with Server(["--self-signed"], W, suite, env=ENV) as server:
        suite.contains(server.stderr_text(), f"thumbprint {info['thumbprint']}", "serve --self-signed signs with it")
    other = os.path.join(W, "other-caroot")
    renewed = run_krtool(["new-selfsigned", "--development", "--out", "c.pem", "--json"], W,
                         env=dict(ENV, KRTOOL_CAROOT=other))
    replaced = run_krtool(["new-selfsigned", "--development", "--new-root", "--out", "d.pem", "--json"], W,
                          env=dict(ENV, KRTOOL_CAROOT=other))
    suite.check(json.loads(renewed.stdout)["root"]["thumbprint"] != json.loads(replaced.stdout)["root"]["thumbprint"],
                "--new-root makes another root")
    suite.check(any(n.startswith("root-ca.") and n.endswith(".pem") and n != "root-ca.pem" for n in os.listdir(other)),
                "--new-root keeps the old root beside the new one")


def test_strict_serve_all_pass():
    with Server(serve_arguments(), W, suite, env=ENV) as server:
        result, doc = lab_run(f"https://{LOOPBACK}:{server.port}{manifest['path']}")
        if suite.eq(result.returncode, 0, f"strict serve: every row passes ({result.stdout[-1500:]})"):
            suite.eq(len(doc["clients"]), len(manifest["clients"]), "one row per client")
            suite.eq(client_row(doc, "expired")["actual"]["alert"], "certificate_expired", "expired: the alert")
            suite.eq(client_row(doc, "revoked")["actual"]["alert"], "certificate_revoked", "revoked: the alert")


def client_row(doc, name):
    return next(r for r in doc["clients"] if r["name"] == name)


def test_builtin_callbacks_as_expected():
    for profile in RELAXED:
        with Server(serve_arguments(profile), W, suite, env=ENV) as server:
            url = f"https://{LOOPBACK}:{server.port}{manifest['path']}"
            result, _ = lab_run(url, "--server-profile", profile)
            suite.eq(result.returncode, 0, f"{profile}: every row as lab.json expects ({result.stdout[-1500:]})")


def test_relaxed_server_against_strict_profile():
    with Server(serve_arguments("AllowAny"), W, suite, env=ENV) as server:
        url = f"https://{LOOPBACK}:{server.port}{manifest['path']}"
        result, doc = lab_run(url)
        suite.eq(result.returncode, 1, "AllowAny checked as strict: exit 1")
        if doc:
            expired = client_row(doc, "expired")
            suite.eq(expired["pass"], False, "the expired row differs")
            suite.contains(expired.get("mismatch"), "TLS layer accepted", "and says which layer decided differently")
            suite.contains(expired.get("mismatch"), "relaxed", "and what that says about the server")
            suite.eq(client_row(doc, "valid")["pass"], True, "the valid row still passes")
        text = krtool("test-client", "--lab", "lab", url)
        suite.contains(text.stdout, "FAIL", "the table marks the rows that differ")
        suite.contains(text.stdout, "clients as expected", "and counts them")


def test_nginx_verify_on():
    if shutil.which("nginx") is None:
        suite.check(False, "nginx is missing; run scripts/bootstrap")
        return
    home = os.path.join(W, "nginx")
    os.makedirs(home, exist_ok=True)
    crls = os.path.join(home, "crls.pem")
    with open(crls, "w") as out:
        for crl in manifest["crls"]:
            out.write(open(at(crl["file"])).read())
    server = nginx(home, at("server/server.pem"), at("server/server.key"), at("ca/root.pem"), "on",
                   f"ssl_verify_depth 2; ssl_crl {crls};")
    with server:
        result, _ = lab_run(f"https://{LOOPBACK}:{server.port}/", "--server-profile", "nginx")
        suite.eq(result.returncode, 0, f"nginx ssl_verify_client on: every row as expected ({result.stdout[-1500:]})")


if __name__ == "__main__":
    sys.exit(suite.run([
        ("new-lab writes every file", test_new_lab_writes_everything),
        ("the chains verify with openssl", test_chains_verify_with_openssl),
        ("an existing lab needs --force", test_existing_lab_needs_force),
        ("the development root is reused", test_development_root_reused),
        ("strict serve: all pass", test_strict_serve_all_pass),
        ("each built-in callback: as expected", test_builtin_callbacks_as_expected),
        ("a relaxed server against the strict profile", test_relaxed_server_against_strict_profile),
        ("nginx ssl_verify_client on", test_nginx_verify_on),
    ], only=sys.argv[1:]))
