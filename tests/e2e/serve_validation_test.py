#!/usr/bin/python3
"""End-to-end tests of compiled TLS validation code in `krtool serve`: the guide's snippet, a subject
allow-list, a .cpp file and a prebuilt .so (built here with c++, and with clang++ when there is one,
against the installed header folder lib/include), compile errors with the user's line numbers, the
usage errors, a policy that throws, the cache across restarts, and the samples in samples/validation.

Every server gets XDG_CACHE_HOME inside the suite's folder, so the user's ~/.cache is never touched and
the first start of each code compiles it.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import (  # noqa: E402
    KRTOOL, Response, Server, Suite, TlsConnection, TlsFailure, client_context, curl, new_cert, shorten,
    start_failure, CertSet)

suite = Suite("serve_validation_test")
certs = CertSet(suite.work)
W = suite.work
# bob: issued by the trusted CA with clientAuth, so strict validation would accept him; only a policy
# can turn him away.
BOB = new_cert(W, "bob", "--issuer", "ca.pem", "--subject", "CN=bob, O=krtool e2e", "--purpose", "client")
SOURCE_DIR = os.environ.get("KRTOOL_SOURCE_DIR", os.path.realpath(os.path.join(os.path.dirname(__file__), "../..")))
ENV = dict(os.environ, XDG_CACHE_HOME=os.path.join(W, "cache"))
ENV.pop("CXX", None)

GUIDE_SNIPPET = """if (certificate == nullptr) return true;   // allow mode
return sslPolicyErrors == SslPolicyErrors::None
    || sslPolicyErrors == SslPolicyErrors::RemoteCertificateChainErrors;   // dev only
"""
ALICE_ONLY = 'return certificate != nullptr && certificate->subject() == "CN=alice, O=krtool e2e";'
ALICE_ONLY_FILE = """#include <krtool/validation.hpp>

// Only alice, and only with a chain that verifies.
bool validate(const krtool::Certificate* certificate, const krtool::Chain& chain,
              krtool::SslPolicyErrors sslPolicyErrors) {
  return certificate != nullptr && sslPolicyErrors == krtool::SslPolicyErrors::None && chain.size() == 2 &&
         certificate->subject() == "CN=alice, O=krtool e2e";
}
"""
# A scheme that accepts whatever the TLS layer let through: chained clients of our CA and self-signed ones.
SCHEME_ALL = ["--allowed-certificate-types", "all", "--auth-trust-ca", certs.ca.pem, "--auth-trust-ca",
              certs.selfsigned.pem, "--revocation-mode", "nocheck"]
TRUST_CA = [*certs.server_args(), "--client-cert-mode", "allow", "--trust-ca", certs.ca.pem, *SCHEME_ALL]


def serve(args, name):
    return Server(args, W, suite, name, env=ENV)


def hello(server, cert):
    """GET /secure/cert/hello with `cert` (a Cert or None): (Response or TlsFailure, local port)."""
    with TlsConnection(server.host, server.port, client_context(cert, cafile=certs.ca.pem)) as connection:
        return connection.get("/secure/cert/hello"), connection.local_port


def expect_accepted(server, cert, what):
    got, port = hello(server, cert)
    if suite.check(isinstance(got, Response) and got.status == 200, f"{what}: 200", repr(got)):
        suite.eq(got.json().get("thumbprint"), cert.thumbprint, f"{what}: the server saw this certificate")
    return port


def expect_tls_rejected(server, cert, policy_name, what, fragment=""):
    got, port = hello(server, cert)
    suite.check(isinstance(got, TlsFailure), f"{what}: the TLS layer refuses (no HTTP answer)", repr(got))
    line = server.tls_line(port, f"rejected client certificate '{cert.subject}'")
    suite.check(line is not None, f"{what}: a 'tls: rejected' line names the subject", shorten(server.stderr_text()))
    suite.contains(line, f"by {policy_name}", f"{what}: the log line names the policy")
    if fragment:
        suite.contains(line, fragment, f"{what}: the log line says {fragment!r}")
    return line


def expect_start_failure(args, code, fragments, what, env=None):
    rc, err = start_failure(args, W, env=env or ENV)
    suite.eq(rc, code, f"{what}: exit code")
    suite.check("krtool: error: " in err and "  hint: " in err, f"{what}: an error line and a hint", err)
    for fragment in fragments:
        suite.contains(err, fragment, f"{what}: the message names {fragment!r}")
    return err


def startup_line(server):
    """serve's start-up line about the validation code. It is written to stderr before the listening line
    goes to stdout, but the two streams are read by different threads, so wait for it (bounded)."""
    return server.wait_for_log(lambda line: line.startswith("krtool: tls: validation code")) or ""


def write(name, text):
    path = os.path.join(W, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def build_by_hand(compiler, source, output):
    """The docs' command: COMPILER -std=c++17 -shared -fPIC -I<krtool's header folder> SOURCE -o OUTPUT."""
    result = subprocess.run([compiler, "-std=c++17", "-O2", "-shared", "-fPIC", "-fvisibility=hidden",
                             f"-I{SOURCE_DIR}/lib/include", source, "-o", output],
                            capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    suite.eq(result.returncode, 0, f"{compiler} builds {os.path.basename(output)}: {shorten(result.stderr)}")
    return result.returncode == 0


# ---------------------------------------------------------------------------------------------------


def test_guide_snippet():
    name = "validation code (--client-cert-validation-code)"
    args = [*certs.server_args(), "--client-cert-mode", "allow", "--client-cert-validation-code", GUIDE_SNIPPET,
            *SCHEME_ALL]
    with serve(args, "guide snippet") as server:
        suite.contains(startup_line(server), "compiled with", "first start: the code was compiled")
        port = expect_accepted(server, certs.selfsigned, "guide snippet, self-signed client")
        access = server.access_line(port, "GET", "/secure/cert/hello")
        suite.contains(access, f'tls="accepted by {name} (RemoteCertificateChainErrors)"',
                       "guide snippet: the access log says the code accepted a chain with errors")
        got, port = hello(server, None)
        suite.check(isinstance(got, Response) and got.status == 401,
                    "guide snippet, no certificate: the handshake succeeds (allow mode) and the route says 401",
                    repr(got))
        with TlsConnection(server.host, server.port, client_context(None)) as connection:
            info = connection.get("/info")
        suite.check(isinstance(info, Response) and info.status == 200, "guide snippet, no certificate: /info 200",
                    repr(info))

    with serve(args, "guide snippet again") as server:
        line = startup_line(server)
        suite.contains(line, "loaded from the cache", "second start: the cache held the code")
        suite.contains(line, "no compiler ran", "second start: no compiler ran")
        expect_accepted(server, certs.selfsigned, "guide snippet from the cache, self-signed client")


def test_subject_allow_list():
    name = "validation code (--client-cert-validation-code)"
    with serve([*TRUST_CA, "--client-cert-validation-code", ALICE_ONLY], "allow-list") as server:
        expect_accepted(server, certs.valid, "allow-list, alice")
        expect_tls_rejected(server, BOB, name, "allow-list, bob (a chain without errors)", ": None by ")
        # curl sees the same refusal: an alert, no HTTP status.
        rc, status, _, err = curl(["--cacert", certs.ca.pem, "--cert", BOB.pem, "--key", BOB.key,
                                   f"{server.url}/secure/cert/hello"])
        suite.check(rc != 0 and status is None, "allow-list: curl with bob's certificate gets no HTTP answer",
                    f"rc={rc} status={status} {err}")
        expect_accepted(server, certs.valid, "allow-list, alice after the refusals")


def test_cpp_file():
    write("alice-only.cpp", ALICE_ONLY_FILE)
    name = "validation code 'alice-only.cpp'"
    with serve([*TRUST_CA, "--client-cert-validation-code-path", "alice-only.cpp"], ".cpp file") as server:
        suite.contains(startup_line(server), name, ".cpp file: the start-up line names the file")
        expect_accepted(server, certs.valid, ".cpp file, alice")
        expect_tls_rejected(server, BOB, name, ".cpp file, bob")
        expect_tls_rejected(server, certs.selfsigned, name, ".cpp file, a self-signed client",
                            "RemoteCertificateChainErrors")


def test_prebuilt_so():
    write("alice-only-entry.cpp", ALICE_ONLY_FILE + "KRTOOL_VALIDATION_ENTRY(validate)\n")
    compilers = ["c++"] + (["clang++"] if shutil.which("clang++") else [])
    if len(compilers) == 1:
        print("  (no clang++ here: the .so is built with c++ only)", flush=True)
    for compiler in compilers:
        library = f"alice-only-{compiler.replace('+', 'x')}.so"
        if not build_by_hand(compiler, os.path.join(W, "alice-only-entry.cpp"), os.path.join(W, library)):
            continue
        name = f"validation code '{library}'"
        with serve([*TRUST_CA, "--client-cert-validation-code-path", library], f".so by {compiler}") as server:
            suite.contains(startup_line(server), "prebuilt", f".so by {compiler}: loaded as it is")
            expect_accepted(server, certs.valid, f".so by {compiler}, alice")
            expect_tls_rejected(server, BOB, name, f".so by {compiler}, bob")

    write("unrelated.cpp", 'extern "C" int unrelated() { return 1; }\n')
    if build_by_hand("c++", os.path.join(W, "unrelated.cpp"), os.path.join(W, "unrelated.so")):
        expect_start_failure([*TRUST_CA, "--client-cert-validation-code-path", "unrelated.so"], 3,
                             ["does not export krtool_validate_v1", "KRTOOL_VALIDATION_ENTRY"], ".so without the entry")
    os.chmod(os.path.join(W, "alice-only-cxx.so"), 0o666)
    expect_start_failure([*TRUST_CA, "--client-cert-validation-code-path", "alice-only-cxx.so"], 3,
                         ["refusing to load", "writable by every user"], ".so writable by others")


def test_compile_errors():
    err = expect_start_failure([*TRUST_CA, "--client-cert-validation-code", "bool ok = true;\nreturn ok +;\n"], 2,
                               ["client-cert-validation-code:2:", "does not compile"], "syntax error on line 2")
    suite.check("Now listening" not in err, "syntax error: serve never listened", err)

    write("broken.cpp", ALICE_ONLY_FILE.replace("chain.size() == 2", "chain.size() == 2 &&& nonsense"))
    line = ALICE_ONLY_FILE.splitlines().index(next(l for l in ALICE_ONLY_FILE.splitlines() if "chain.size()" in l)) + 1
    expect_start_failure([*TRUST_CA, "--client-cert-validation-code-path", "broken.cpp"], 2,
                         [f"broken.cpp:{line}:"], f"a whole file with an error on line {line}")

    no_compiler = dict(ENV, CXX="krtool-no-such-compiler")
    expect_start_failure([*TRUST_CA, "--client-cert-validation-code", "return true;"], 2,
                         ["$CXX ('krtool-no-such-compiler')", "--client-cert-validation", ".so"], "no compiler",
                         env=no_compiler)


def test_usage_errors():
    expect_start_failure([*TRUST_CA, "--client-cert-validation", "AllowAny", "--client-cert-validation-code",
                          "return true;"], 2, ["--client-cert-validation and --client-cert-validation-code"],
                         "built-in and code together")
    write("any.cpp", "return true;\n")
    expect_start_failure([*TRUST_CA, "--client-cert-validation-code", "return true;",
                          "--client-cert-validation-code-path", "any.cpp"], 2,
                         ["--client-cert-validation-code and --client-cert-validation-code-path"],
                         "code and code path together")
    expect_start_failure([*TRUST_CA, "--client-cert-validation-code-path", "any.cpp",
                          "--client-cert-validation-language", "cpp"], 2,
                         ["--client-cert-validation-language", "--client-cert-validation-code-path"],
                         "a language with a path")
    expect_start_failure([*TRUST_CA, "--client-cert-validation-code", "return true;",
                          "--client-cert-validation-language", "CSharp"], 2, ["CSharp", "cpp"], "C# code")
    write("policy.cs", "return true;\n")
    expect_start_failure([*TRUST_CA, "--client-cert-validation-code-path", "policy.cs"], 2,
                         [".cpp, .cc and .cxx", ".so"], "a .cs file")
    with serve([*TRUST_CA, "--client-cert-validation-code", ALICE_ONLY, "--client-cert-validation-language", "C++"],
               "language c++") as server:
        expect_accepted(server, certs.valid, "--client-cert-validation-language C++ is accepted")


def test_throwing_policy():
    code = ('if (certificate != nullptr && certificate->subject() == "CN=bob, O=krtool e2e")\n'
            '  throw std::runtime_error("no entry for " + certificate->subject());\n'
            "return certificate != nullptr;\n")
    name = "validation code (--client-cert-validation-code)"
    with serve([*TRUST_CA, "--client-cert-validation-code", code], "throwing policy") as server:
        expect_tls_rejected(server, BOB, name, "a policy that throws rejects bob",
                            "the policy threw: no entry for CN=bob, O=krtool e2e")
        expect_accepted(server, certs.valid, "after the exception the server serves alice")
        expect_tls_rejected(server, BOB, name, "and throws again for bob", "the policy threw")
        suite.check(server.process.poll() is None, "the server is still running after two exceptions")


ENDLESS_FILE = """#include <krtool/validation.hpp>
#include <thread>

// Never returns (asleep, so that it costs no CPU while the suite runs on).
bool validate(const krtool::Certificate*, const krtool::Chain&, krtool::SslPolicyErrors) {
  for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}
"""
SHUTDOWN_GRACE = 5


def test_endless_loop():
    """Validation code that never returns: the handshake fails at the handshake timeout, logged; other
    clients are served; SIGTERM ends the process after the grace period, naming the code."""
    write("endless.cpp", ENDLESS_FILE)
    name = "validation code 'endless.cpp'"
    timeout = 2
    server = Server([*TRUST_CA, "--client-cert-validation-code-path", "endless.cpp", "--handshake-timeout",
                     str(timeout)], W, None, "endless loop", env=ENV)
    if not suite.check(server.start(), "endless loop: serve starts", shorten(server.stderr_text())):
        return
    try:
        started = time.monotonic()
        got, port = hello(server, certs.valid)
        took = time.monotonic() - started
        suite.check(isinstance(got, TlsFailure), "endless loop: the handshake fails", repr(got))
        suite.check(took < timeout + 8, f"endless loop: it fails at the deadline ({timeout} s), not later",
                    f"{took:.1f} s")
        line = server.tls_line(port, f"rejected client certificate '{certs.valid.subject}'")
        suite.check(line is not None, "endless loop: a 'tls: rejected' line", shorten(server.stderr_text()))
        suite.contains(line, f"by {name}", "endless loop: the line names the code")
        suite.contains(line, f"validation code did not return within {timeout} s",
                       "endless loop: the line gives the reason")
        with TlsConnection(server.host, server.port, client_context(None)) as connection:
            info = connection.get("/info")
        suite.check(isinstance(info, Response) and info.status == 200,
                    "endless loop: another client (no certificate, no callback) is served", repr(info))

        stopped = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        try:
            code = server.process.wait(timeout=timeout + SHUTDOWN_GRACE + 15)
        except subprocess.TimeoutExpired:
            code = "hung"
        took = time.monotonic() - stopped
        suite.eq(code, 1, "endless loop: SIGTERM ends serve with the exit code of a failure")
        suite.check(SHUTDOWN_GRACE - 1 <= took < timeout + SHUTDOWN_GRACE + 10,
                    "endless loop: it exits after the grace period, within slack", f"{took:.1f} s")
        for reader in server._readers:
            reader.join(timeout=5)
        suite.contains(server.stderr_text(),
                       f"krtool: error: validation code still running after {SHUTDOWN_GRACE} s: {name}",
                       "endless loop: the last line names the code still running")
    finally:
        server._kill()


def test_samples():
    env = dict(ENV, KRTOOL_BIN=KRTOOL, TMPDIR=W)
    result = subprocess.run(["bash", os.path.join(SOURCE_DIR, "samples/validation/run.sh")], capture_output=True,
                            text=True, timeout=600, env=env, stdin=subprocess.DEVNULL)
    suite.eq(result.returncode, 0, f"samples/validation/run.sh: exit code\n{shorten(result.stdout, 3000)}\n"
                                   f"{shorten(result.stderr)}")
    suite.contains(result.stdout, "validation samples: all as expected", "samples/validation/run.sh: all as expected")
    for sample in ("guide-snippet.cpp", "subject-allow-list.cpp", "thumbprint-pin.cpp", "issuer-check.cpp"):
        suite.contains(result.stdout, f"== {sample}", f"samples/validation/run.sh ran {sample}")


sys.exit(suite.run([
    ("guide snippet", test_guide_snippet),
    ("subject allow-list", test_subject_allow_list),
    (".cpp file", test_cpp_file),
    ("prebuilt .so", test_prebuilt_so),
    ("compile errors", test_compile_errors),
    ("usage errors", test_usage_errors),
    ("throwing policy", test_throwing_policy),
    ("endless loop", test_endless_loop),
    ("samples", test_samples),
], only=sys.argv[1:]))
