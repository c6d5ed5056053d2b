#!/usr/bin/python3
"""End-to-end tests of `--pfx-profile modern|legacy|java|macos`, `import --json`'s PKCS#12 report and
`test-cert --pfx-compat`: each profile's output is read by the real importers on this machine
(`openssl pkcs12 -info` with and without -legacy, `keytool -list -storetype PKCS12`, python3-cryptography's
pkcs12 loader), and what krtool reports about a file is what `openssl pkcs12 -info` says about it.
"""

import json
import os
import shutil
import subprocess
import sys

from cryptography.hazmat.primitives.serialization import pkcs12

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import Suite, new_cert, run_krtool, shorten  # noqa: E402

suite = Suite("pfx_profiles_test")
PASSWORD = "s3cret-pass"
ca = new_cert(suite.work, "ca", "--ca", "--subject", "CN=PFX Test CA, O=krtool e2e")
leaf = new_cert(suite.work, "alice", "--issuer", "ca.pem", "--subject", "CN=alice, O=krtool e2e", "--purpose", "client")
KEYTOOL = shutil.which("keytool")


def export(profile, source="alice.pem", name=None, extra=()):
    out = name or f"alice-{profile}.pfx"
    result = run_krtool(["export", source, "--out", out, "--pfx-profile", profile, "--out-password", PASSWORD,
                         *extra], suite.work)
    suite.eq(result.returncode, 0, f"export --pfx-profile {profile}: exit 0 ({shorten(result.stderr)})")
    return os.path.join(suite.work, out)


def openssl_info(path, legacy=False):
    args = ["openssl", "pkcs12", "-info", "-in", path, "-passin", f"pass:{PASSWORD}", "-noout"]
    if legacy:
        args.append("-legacy")
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def keytool_list(path, storepass=PASSWORD):
    return subprocess.run([KEYTOOL, "-list", "-v", "-storetype", "PKCS12", "-keystore", path, "-storepass", storepass],
                          capture_output=True, text=True, timeout=120)


def import_json(path):
    result = run_krtool(["import", path, "--password", PASSWORD, "--json"], suite.work)
    suite.eq(result.returncode, 0, f"import --json {os.path.basename(path)}: exit 0 ({shorten(result.stderr)})")
    return json.loads(result.stdout).get("pfx") if result.returncode == 0 else None


def compat(path, password=PASSWORD):
    args = ["test-cert", "--pfx-compat", path, "--json"] + (["--password", password] if password is not None else [])
    result = run_krtool(args, suite.work)
    suite.eq(result.returncode, 0, f"--pfx-compat {os.path.basename(path)}: exit 0 ({shorten(result.stderr)})")
    document = json.loads(result.stdout) if result.returncode == 0 else {"importers": []}
    return {entry["id"]: entry for entry in document["importers"]}


def test_modern():
    path = export("modern")
    info = openssl_info(path)
    suite.eq(info.returncode, 0, "OpenSSL 3 reads modern without -legacy")
    suite.contains(info.stderr, "PBES2, PBKDF2, AES-256-CBC", "openssl: the key and certificates under PBES2/AES-256")
    suite.contains(info.stderr, "MAC: sha256", "openssl: a SHA-256 MAC")
    with open(path, "rb") as f:
        loaded = pkcs12.load_pkcs12(f.read(), PASSWORD.encode())
    suite.check(loaded.key is not None and loaded.cert is not None, "python3-cryptography loads key and certificate")
    pfx = import_json(path)
    if pfx:
        suite.eq((pfx["keyEncryption"]["scheme"], pfx["keyEncryption"]["cipher"], pfx["keyEncryption"]["kdf"]),
                 ("PBES2", "AES-256-CBC", "PBKDF2-HMAC-SHA256"), "import --json: the key bag's PBE")
        suite.eq(pfx["certificateEncryption"]["cipher"], "AES-256-CBC", "import --json: the certificate bags' PBE")
        suite.eq(pfx["mac"], {"digest": "SHA-256", "iterations": 2048}, "import --json: MAC digest and iterations")
        names = {bag["friendlyName"] for bag in pfx["bags"] if bag["type"] in ("key", "certificate") and bag["localKeyId"]}
        suite.eq(names, {"alice"}, "import --json: key and certificate carry the friendly name and a local key id")
    verdicts = compat(path)
    suite.eq(verdicts.get("openssl3", {}).get("accepts"), True, "--pfx-compat: OpenSSL 3 reads modern")
    suite.eq(verdicts.get("macos", {}).get("accepts"), False, "--pfx-compat: old macOS refuses PBES2")
    suite.contains(" ".join(verdicts.get("windows-legacy", {}).get("reasons", [])), "PBES2",
                   "--pfx-compat: old Windows refuses, naming PBES2")


def test_legacy_and_macos():
    for profile in ("legacy", "macos"):
        path = export(profile)
        info = openssl_info(path)
        suite.eq(info.returncode, 0, f"{profile}: OpenSSL 3 reads 3DES without -legacy")
        suite.contains(info.stderr, "pbeWithSHA1And3-KeyTripleDES-CBC", f"{profile}: openssl sees 3DES")
        suite.contains(info.stderr, "MAC: sha1", f"{profile}: openssl sees a SHA-1 MAC")
        suite.eq(openssl_info(path, legacy=True).returncode, 0, f"{profile}: openssl -legacy reads it too")
        pfx = import_json(path)
        if pfx:
            suite.eq(pfx["keyEncryption"]["cipher"], "3DES-CBC", f"{profile}: import --json says 3DES for the key")
            suite.eq(pfx["mac"]["digest"], "SHA-1", f"{profile}: import --json says a SHA-1 MAC")
        verdicts = compat(path)
        suite.eq(sorted(i for i, v in verdicts.items() if not v["accepts"]), [],
                 f"{profile}: --pfx-compat says every importer reads it")
    result = run_krtool(["export", "alice.pem", "--out", "nopass-macos.pfx", "--pfx-profile", "macos",
                         "--out-no-password"], suite.work)
    suite.eq(result.returncode, 2, "macos with an empty password: usage error")
    suite.contains(result.stderr, "Keychain Access refuses", "macos with an empty password: says why")


def test_java():
    path = export("java", extra=("--include-key",))
    pfx = import_json(path)
    if pfx:
        suite.eq(pfx["mac"], {"digest": "SHA-256", "iterations": 10000}, "java: keytool's 10 000 MAC iterations")
        suite.eq(pfx["keyEncryption"]["iterations"], 10000, "java: keytool's 10 000 PBKDF2 iterations")
    store = export("java", source="ca.pem", name="truststore.p12")
    pfx = import_json(store)
    if pfx:
        suite.eq([(b["type"], b["javaTrusted"], b["friendlyName"]) for b in pfx["bags"]],
                 [("certificate", True, "PFX Test CA")], "java trust store: one certificate bag, trusted, named")
    # A certificate-only PFX without the attribute, as `openssl pkcs12 -export -nokeys` writes it.
    plain = os.path.join(suite.work, "plain-ca.p12")
    made = subprocess.run(["openssl", "pkcs12", "-export", "-nokeys", "-in", ca.pem, "-out", plain, "-passout",
                           f"pass:{PASSWORD}"], capture_output=True, text=True, timeout=60)
    suite.eq(made.returncode, 0, f"openssl writes a certificate-only PFX ({shorten(made.stderr)})")
    verdicts = compat(plain)
    suite.eq(verdicts.get("java", {}).get("accepts"), False, "--pfx-compat: Java refuses a CA-only PFX without trust")
    suite.contains(" ".join(verdicts.get("java", {}).get("reasons", [])), "0 entries", "--pfx-compat: says keytool lists 0 entries")
    suite.eq(compat(store).get("java", {}).get("accepts"), True, "--pfx-compat: Java reads krtool's trust store")
    if not suite.check(KEYTOOL is not None, "keytool is installed (default-jre-headless)"):
        return
    listed = keytool_list(path)
    suite.eq(listed.returncode, 0, f"keytool -list reads the java profile ({shorten(listed.stdout + listed.stderr)})")
    suite.contains(listed.stdout, "Alias name: alice", "keytool: the alias is the friendly name")
    suite.contains(listed.stdout, "Entry type: PrivateKeyEntry", "keytool: a private key entry")
    listed = keytool_list(store)
    suite.eq(listed.returncode, 0, "keytool -list reads the trust store")
    suite.contains(listed.stdout, "Entry type: trustedCertEntry", "keytool: the CA is a trustedCertEntry")
    suite.contains(listed.stdout, "Your keystore contains 1 entry", "keytool: one entry")
    listed = keytool_list(plain)
    suite.contains(listed.stdout, "Your keystore contains 0 entries",
                   "keytool agrees with --pfx-compat: the plain CA-only PFX has 0 entries")


def test_rc2_from_openssl_legacy():
    """A file from `openssl pkcs12 -export -legacy` (RC2-40 certificates): krtool reads and describes it,
    and --pfx-compat says OpenSSL 3 without -legacy refuses it, as the real openssl does."""
    path = os.path.join(suite.work, "rc2.pfx")
    made = subprocess.run(["openssl", "pkcs12", "-export", "-legacy", "-in", leaf.pem, "-inkey", leaf.key, "-out", path,
                           "-passout", f"pass:{PASSWORD}"], capture_output=True, text=True, timeout=60)
    if not suite.eq(made.returncode, 0, f"openssl -legacy writes RC2-40 ({shorten(made.stderr)})"):
        return
    suite.check(openssl_info(path).returncode != 0, "OpenSSL 3 without -legacy refuses RC2-40")
    pfx = import_json(path)
    if pfx:
        suite.eq(pfx["certificateEncryption"]["cipher"], "RC2-40-CBC", "import --json: the certificates are RC2-40")
    verdicts = compat(path)
    suite.eq(verdicts.get("openssl3", {}).get("accepts"), False, "--pfx-compat: OpenSSL 3 default refuses RC2-40")
    suite.contains(" ".join(verdicts.get("openssl3", {}).get("reasons", [])), "-legacy", "--pfx-compat: names -legacy")
    suite.eq(verdicts.get("openssl3-legacy", {}).get("accepts"), True, "--pfx-compat: openssl -legacy reads it")
    text = run_krtool(["test-cert", "--pfx-compat", path, "--password", PASSWORD], suite.work)
    suite.contains(text.stdout, "REFUSES  OpenSSL 3 (default provider)", "--pfx-compat text: the refusing importer")


def test_bad_input():
    result = run_krtool(["test-cert", "--pfx-compat", ca.pem], suite.work)
    suite.eq(result.returncode, 3, "--pfx-compat on a PEM file: exit 3")
    suite.contains(result.stderr, "is not one", "--pfx-compat on a PEM file: says it is not a PKCS#12 file")
    result = run_krtool(["export", "alice.pem", "--out", "x.pfx", "--pfx-profile", "ancient", "--out-password", "x"],
                        suite.work)
    suite.eq(result.returncode, 2, "an unknown profile: exit 2")
    suite.contains(result.stderr, "java", "an unknown profile: the hint lists java")


sys.exit(suite.run([
    ("modern", test_modern),
    ("legacy and macos", test_legacy_and_macos),
    ("java", test_java),
    ("RC2-40 from openssl -legacy", test_rc2_from_openssl_legacy),
    ("bad input", test_bad_input),
], only=sys.argv[1:]))
