#!/usr/bin/python3
"""End-to-end tests of `krtool trust install|uninstall|check`, entirely against temporary stores: a Debian
system store under a temporary root (update-ca-certificates' --localcertsdir, --etccertsdir, --certsconf,
--certsdir, --hooksdir), NSS databases made with `certutil -N`, and a Java keystore file. After each step
the store's own tool (openssl verify -CApath, certutil -L, keytool -list) must agree with `check`.
"""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import Suite, new_cert, run_krtool, shorten  # noqa: E402

suite = Suite("trust_test")
ca = new_cert(suite.work, "ca", "--ca", "--subject", "CN=Trust Test CA, O=krtool e2e")
other = new_cert(suite.work, "other", "--ca", "--subject", "CN=Distribution CA, O=elsewhere")
leaf = new_cert(suite.work, "server", "--issuer", "ca.pem", "--dns", "localhost", "--purpose", "server")


def system_root(name):
    """A temporary Debian layout with one distribution CA already in it, as a real system has."""
    root = os.path.join(suite.work, name)
    for folder in ("local", "etc", "share", "hooks"):
        os.makedirs(os.path.join(root, folder))
    shutil.copy(other.pem, os.path.join(root, "share", "distribution.crt"))
    with open(os.path.join(root, "ca-certificates.conf"), "w") as f:
        f.write("distribution.crt\n")
    return root


def system_flags(root):
    return ["--system", "--system-dir", f"{root}/local", "--etc-certs-dir", f"{root}/etc",
            "--ca-certificates-conf", f"{root}/ca-certificates.conf", "--certs-dir", f"{root}/share",
            "--hooks-dir", f"{root}/hooks"]


def trust(*args, env=None):
    result = run_krtool(["trust", *args], suite.work, timeout=240, env=env)
    document = None
    if "--json" in args:
        try:
            document = json.loads(result.stdout)
        except ValueError:
            pass
    return result, document


def openssl_verify(root):
    return subprocess.run(["openssl", "verify", "-CApath", f"{root}/etc", leaf.pem], capture_output=True, text=True,
                          timeout=60).returncode == 0


def nss_database(path):
    os.makedirs(path)
    subprocess.run(["certutil", "-N", "-d", f"sql:{path}", "--empty-password"], check=True, timeout=60,
                   capture_output=True)
    return path


def certutil_list(path):
    return subprocess.run(["certutil", "-L", "-d", f"sql:{path}"], capture_output=True, text=True, timeout=60).stdout


def keytool_list(path):
    return subprocess.run(["keytool", "-list", "-keystore", path, "-storepass", "changeit"], capture_output=True,
                          text=True, timeout=120)


def test_system_store():
    root = system_root("system")
    suite.check(not openssl_verify(root), "before: openssl verify -CApath does not trust the server")
    result, doc = trust("install", ca.pem, *system_flags(root), "--json")
    suite.eq(result.returncode, 0, f"install --system: exit 0 ({shorten(result.stderr)})")
    if doc:
        suite.eq([(s["store"], s["changed"], s["trusted"]) for s in doc["stores"]], [("system", True, True)],
                 "install --system: changed and trusted")
        copy = os.path.join(root, "local", doc["ca"]["entry"] + ".crt")
        suite.check(os.path.exists(copy), "the CA is copied into the local folder as krtool-<thumbprint>.crt", copy)
    suite.check(openssl_verify(root), "openssl verify -CApath <etc> trusts the server now")
    with open(os.path.join(root, "etc", "ca-certificates.crt")) as f:
        bundle = f.read()
    suite.eq(bundle.count("BEGIN CERTIFICATE"), 2, "the bundle holds the distribution's CA and ours")

    result, doc = trust("install", ca.pem, *system_flags(root), "--json")
    suite.eq(result.returncode, 0, "install twice: exit 0")
    if doc:
        suite.eq(doc["stores"][0]["changed"], False, "install twice: nothing changed the second time")

    result, doc = trust("check", ca.pem, *system_flags(root), "--json")
    suite.eq(result.returncode, 0, "check after install: exit 0")
    if doc:
        suite.eq(doc["trusted"], True, "check --json: trusted")
        suite.contains(doc["stores"][0]["detail"], "ca-certificates.crt", "check --json: says where")

    result, doc = trust("uninstall", ca.pem, *system_flags(root), "--json")
    suite.eq(result.returncode, 0, f"uninstall --system: exit 0 ({shorten(result.stderr)})")
    suite.check(not openssl_verify(root), "after uninstall: openssl verify -CApath no longer trusts the server")
    with open(os.path.join(root, "etc", "ca-certificates.crt")) as f:
        suite.eq(f.read().count("BEGIN CERTIFICATE"), 1, "after uninstall: the distribution's CA stays")
    result, _ = trust("check", ca.pem, *system_flags(root))
    suite.eq(result.returncode, 1, "check after uninstall: exit 1 (not trusted)")
    result, doc = trust("uninstall", ca.pem, *system_flags(root), "--json")
    suite.eq(result.returncode, 0, "uninstall twice: exit 0")
    if doc:
        suite.eq(doc["stores"][0]["changed"], False, "uninstall twice: nothing to remove")


def test_nss():
    db = nss_database(os.path.join(suite.work, "nssdb"))
    result, doc = trust("install", ca.pem, "--nss", db, "--json")
    suite.eq(result.returncode, 0, f"install --nss: exit 0 ({shorten(result.stderr)})")
    entry = doc["ca"]["entry"] if doc else "krtool-"
    listed = certutil_list(db)
    suite.check(any(line.startswith(entry) and line.rstrip().endswith("C,,") for line in listed.splitlines()),
                "certutil -L lists the CA with trust C,,", listed)
    result, _ = trust("install", ca.pem, "--nss", db)
    suite.eq(result.returncode, 0, "install --nss twice: exit 0")
    suite.eq(certutil_list(db).count(entry), 1, "install --nss twice: still one entry")
    result, doc = trust("check", ca.pem, "--nss", db, "--json")
    suite.eq((result.returncode, doc and doc["trusted"]), (0, True), "check --nss: trusted")
    result, _ = trust("uninstall", ca.pem, "--nss", db)
    suite.eq(result.returncode, 0, "uninstall --nss: exit 0")
    suite.check(entry not in certutil_list(db), "certutil -L no longer lists the CA")
    result, _ = trust("check", ca.pem, "--nss", db)
    suite.eq(result.returncode, 1, "check --nss after uninstall: exit 1")

    result, _ = trust("install", ca.pem, "--nss", os.path.join(suite.work, "not-a-db"))
    suite.eq(result.returncode, 3, "--nss on a folder without cert9.db: exit 3")
    suite.contains(result.stderr, "certutil -N", "--nss on a folder without cert9.db: says how to make one")


def test_nss_auto():
    home = os.path.join(suite.work, "home")
    chromium = nss_database(os.path.join(home, ".pki", "nssdb"))
    firefox = nss_database(os.path.join(home, ".mozilla", "firefox", "abcd.default-release"))
    os.makedirs(os.path.join(home, ".mozilla", "firefox", "no-db-profile"))
    untouched = nss_database(os.path.join(suite.work, "elsewhere"))
    env = dict(os.environ, HOME=home)
    result, doc = trust("install", ca.pem, "--nss-auto", "--json", env=env)
    suite.eq(result.returncode, 0, f"install --nss-auto: exit 0 ({shorten(result.stderr)})")
    if doc:
        suite.eq(sorted(s["location"] for s in doc["stores"]), sorted([chromium, firefox]),
                 "--nss-auto: ~/.pki/nssdb and the Firefox profile with a database, nothing else")
    suite.check(doc is not None and doc["ca"]["entry"] in certutil_list(firefox), "certutil agrees for the Firefox profile")
    suite.check("krtool-" not in certutil_list(untouched), "a database that was not asked for is untouched")
    result, _ = trust("uninstall", ca.pem, "--nss-auto", env=env)
    suite.eq(result.returncode, 0, "uninstall --nss-auto: exit 0")
    suite.check("krtool-" not in certutil_list(chromium), "uninstall --nss-auto: gone from ~/.pki/nssdb")


def test_java():
    keystore = os.path.join(suite.work, "truststore.p12")
    result, doc = trust("install", ca.pem, "--java", keystore, "--json")
    suite.eq(result.returncode, 0, f"install --java: exit 0 ({shorten(result.stderr)})")
    listed = keytool_list(keystore)
    suite.contains(listed.stdout, "trustedCertEntry", "keytool -list shows a trustedCertEntry")
    suite.contains(listed.stdout, "1 entry", "keytool -list: one entry")
    result, doc = trust("install", ca.pem, "--java", keystore, "--json")
    suite.eq((result.returncode, doc and doc["stores"][0]["changed"]), (0, False), "install --java twice: no change")
    result, doc = trust("check", ca.pem, "--java", keystore, "--json")
    suite.eq((result.returncode, doc and doc["trusted"]), (0, True), "check --java: trusted")
    result, _ = trust("check", ca.pem, "--java", keystore, "--java-storepass", "wrong-pass")
    suite.eq(result.returncode, 3, "a wrong keystore password: exit 3")
    suite.contains(result.stderr, "--java-storepass", "a wrong keystore password: names the flag")
    result, _ = trust("uninstall", ca.pem, "--java", keystore)
    suite.eq(result.returncode, 0, "uninstall --java: exit 0")
    suite.contains(keytool_list(keystore).stdout, "0 entries", "keytool -list: no entry left")


def test_errors():
    root = system_root("errors")
    garbage = os.path.join(suite.work, "garbage.pem")
    with open(garbage, "w") as f:
        f.write("not a certificate\n")
    result, _ = trust("install", garbage, *system_flags(root))
    suite.eq(result.returncode, 3, "a file that is no certificate: exit 3")
    result, _ = trust("install", leaf.pem, *system_flags(root))
    suite.eq(result.returncode, 3, "a leaf instead of a CA: exit 3")
    suite.contains(result.stderr, "is not a CA certificate", "a leaf instead of a CA: says so")
    suite.eq(os.listdir(os.path.join(root, "local")), [], "nothing was written for a bad CA")
    result, _ = trust("install", ca.pem)
    suite.eq(result.returncode, 2, "no store named: exit 2")
    suite.contains(result.stderr, "--nss-auto", "no store named: lists the store flags")
    # Without a CA argument the development root is the CA, once there is one (mkcert -install).
    caroot_env = dict(os.environ, KRTOOL_CAROOT=os.path.join(suite.work, "caroot"))
    result, _ = trust("install", "--nss", root, env=caroot_env)
    suite.eq(result.returncode, 2, "no CA and no development root: exit 2")
    suite.contains(result.stderr, "run krtool new-selfsigned --development", "no CA: says what to do")
    made = run_krtool(["new-selfsigned", "--development", "--key-type", "ecdsa", "--out",
                       os.path.join(suite.work, "dev.pem")], suite.work, env=caroot_env)
    suite.eq(made.returncode, 0, "new-selfsigned --development makes the development root")
    dev_db = nss_database(os.path.join(suite.work, "nss-devroot"))
    result, _ = trust("install", "--nss", dev_db, env=caroot_env)
    suite.eq(result.returncode, 0, "no CA argument: the development root is installed")
    result, document = trust("check", "--nss", dev_db, "--json", env=caroot_env)
    suite.eq(result.returncode, 0, "no CA argument: check finds the development root trusted")
    result, _ = trust("install", ca.pem, *system_flags(root), "--update-command", "no-such-update-command")
    suite.eq(result.returncode, 3, "a missing update command: exit 3")
    suite.contains(result.stderr, "apt install ca-certificates", "a missing update command: the package to install")
    db = nss_database(os.path.join(suite.work, "nss-errors"))
    result, _ = trust("install", ca.pem, "--nss", db, env=dict(os.environ, PATH="/nonexistent"))
    suite.eq(result.returncode, 3, "certutil missing: exit 3")
    suite.contains(result.stderr, "apt install libnss3-tools", "certutil missing: the package to install")
    result, _ = trust("install", ca.pem, "--java", os.path.join(suite.work, "ks.p12"),
                      env=dict(os.environ, PATH="/nonexistent"))
    suite.contains(result.stderr, "apt install default-jre-headless", "keytool missing: the package to install")


def test_needs_root():
    """An ordinary user cannot change a root-owned store: a clear error with the sudo hint, and nothing
    changed. Runs only where this test runs as root (it drops to nobody with setpriv)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        suite.check(True, "needs root: skipped (not root or no setpriv)")
        return
    root = system_root("rootonly")
    os.chmod(suite.work, 0o755)
    for path in (root, *[os.path.join(root, d) for d in os.listdir(root)]):
        os.chmod(path, 0o755)
    os.chmod(ca.pem, 0o644)
    result = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                             os.environ["KRTOOL_BIN"], "trust", "install", ca.pem, *system_flags(root)],
                            capture_output=True, text=True, timeout=60, cwd="/")
    suite.eq(result.returncode, 3, f"as nobody: exit 3 ({shorten(result.stderr)})")
    suite.contains(result.stderr, "sudo", "as nobody: the hint says sudo")
    suite.eq(os.listdir(os.path.join(root, "local")), [], "as nobody: nothing written")


sys.exit(suite.run([
    ("system store", test_system_store),
    ("nss", test_nss),
    ("nss-auto", test_nss_auto),
    ("java keystore", test_java),
    ("errors", test_errors),
    ("needs root", test_needs_root),
], only=sys.argv[1:]))
