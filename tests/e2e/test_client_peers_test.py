"""End-to-end tests of `krtool test-client` against mutual-TLS servers nobody here wrote: Go's net/http
(RequireAndVerifyClientCert and VerifyClientCertIfGiven), Caddy (client_auth require_and_verify), HAProxy
(verify required), Apache (SSLVerifyClient require), stunnel (verifyChain) and, when they are installed,
Node (requestCert + rejectUnauthorized) and Java (the JDK's HttpsServer, needClientAuth). For each, with
no client certificate, one from a CA the server does not trust, an expired one and a good one, the outcome
and the diagnosis's cause and fix must be right for that server: Go and Caddy answer every refused
certificate with alert 42 bad_certificate and the OpenSSL-based servers with the specific alert, so the
cause must come from what test-client can see itself (the CertificateRequest's CA names, the clock, the
EKU), not from what krtool serve means by an alert. Also: a plain HTTP server that waits for a request
line and never answers the ClientHello (python3 -m http.server) is `not-tls`, found by a plain HTTP probe.

Every server listens on 127.0.0.1 on a port from free_port(), runs from a folder of its own in the
suite's temporary folder, and is stopped at the end of its test. The Go server is built with `go build`
from tests/e2e/peers/go_server.go, standard library only, with GOPROXY=off and its caches under
$XDG_CACHE_HOME (ctest points that into the build tree), so only the first run pays for the build.

Run: KRTOOL_BIN=build/bin/krtool /usr/bin/python3 tests/e2e/test_client_peers_test.py [TEST ...]
"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import (LOOPBACK, CertSet, ForeignServer, Suite, TestClientRun, check_outcome,  # noqa: E402
                        free_port, rfc3339, shorten)

suite = Suite("test_client_peers")
certs = None  # made once in main()
# What test-client said for any alert 42 before it read the certificate against the CertificateRequest and
# the clock: krtool serve's meaning, wrong for Go and Caddy.
SERVE_ONLY = "its validation callback refused the certificate"
PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers")


def call(args, **kwargs):
    return TestClientRun(args, certs.dir, **kwargs)


def folder(name):
    path = os.path.join(suite.work, name)
    os.makedirs(path, exist_ok=True)
    return path


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


# ---------------------------------------------------------------------------------------------------
# The peers. Each function returns a ForeignServer (not yet started) that demands a client certificate
# issued by certs.ca and presents certs.server.


def go_binary():
    """Builds tests/e2e/peers/go_server.go once; the Go caches live under $XDG_CACHE_HOME (the build tree's
    under ctest) or else in the suite's folder, never in ~/.cache or ~/go."""
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or folder("cache"), "krtool-go")
    build = folder("go-build")
    shutil.copy(os.path.join(PEERS, "go_server.go"), build)
    write(os.path.join(build, "go.mod"), "module krtool.test/goserver\n\ngo 1.19\n")
    env = dict(os.environ, GOCACHE=os.path.join(cache, "build"), GOPATH=os.path.join(cache, "path"),
               GOMODCACHE=os.path.join(cache, "mod"), GOFLAGS="-mod=mod", GOPROXY="off", GOSUMDB="off",
               GO111MODULE="on", GOTOOLCHAIN="local", CGO_ENABLED="0", HOME=build)
    binary = os.path.join(build, "go_server")
    result = subprocess.run(["go", "build", "-o", binary, "."], cwd=build, env=env, capture_output=True, text=True,
                            timeout=240, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise RuntimeError(f"go build failed: {result.stderr}")
    return binary


def go_server(mode="require"):
    port = free_port()
    return ForeignServer(f"go-{mode}", [go_binary(), f"{LOOPBACK}:{port}", certs.server.pem, certs.server.key,
                                        certs.ca.pem, mode], port, folder(f"go-{mode}"))


def caddy_server():
    port = free_port()
    home = folder("caddy")
    config = write(os.path.join(home, "Caddyfile"), f"""{{
	admin off
	auto_https off
	storage file_system {home}/storage
	default_bind {LOOPBACK}
	log {{
		output stderr
		level ERROR
	}}
}}
https://localhost:{port} {{
	tls {certs.server.pem} {certs.server.key} {{
		client_auth {{
			mode require_and_verify
			trusted_ca_cert_file {certs.ca.pem}
		}}
	}}
	respond "hello {{tls_client_subject}}"
}}
""")
    env = dict(os.environ, HOME=home, XDG_DATA_HOME=os.path.join(home, "data"),
               XDG_CONFIG_HOME=os.path.join(home, "config"))
    return ForeignServer("caddy", ["caddy", "run", "--adapter", "caddyfile", "--config", config], port, home, env=env)


def haproxy_server():
    port = free_port()
    home = folder("haproxy")
    with open(certs.server.pem) as cert, open(certs.server.key) as key:
        bundle = write(os.path.join(home, "server-with-key.pem"), cert.read() + key.read())
    config = write(os.path.join(home, "haproxy.cfg"), f"""global
    pidfile {home}/haproxy.pid
defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend mtls
    bind {LOOPBACK}:{port} ssl crt {bundle} verify required ca-file {certs.ca.pem}
    http-request return status 200 content-type text/plain lf-string "hello %[ssl_c_s_dn]"
""")
    return ForeignServer("haproxy", ["haproxy", "-db", "-f", config], port, home)


def apache_server():
    port = free_port()
    home = folder("apache")
    os.chmod(suite.work, 0o711)  # the worker (www-data) reads its document root below the suite's folder
    os.chmod(home, 0o755)
    docs = folder("apache/htdocs")
    os.chmod(docs, 0o755)
    os.chmod(write(os.path.join(docs, "index.html"), "hello from apache\n"), 0o644)
    modules = "/usr/lib/apache2/modules"
    config = write(os.path.join(home, "apache2.conf"), f"""ServerRoot {home}
DefaultRuntimeDir {home}
PidFile {home}/apache2.pid
Mutex file:{home} default
LoadModule mpm_prefork_module {modules}/mod_mpm_prefork.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule dir_module {modules}/mod_dir.so
LoadModule socache_shmcb_module {modules}/mod_socache_shmcb.so
LoadModule ssl_module {modules}/mod_ssl.so
User www-data
Group www-data
ServerName localhost
Listen {LOOPBACK}:{port}
ErrorLog {home}/error.log
LogLevel info
TypesConfig /etc/mime.types
DocumentRoot {docs}
DirectoryIndex index.html
SSLSessionCache shmcb:{home}/ssl_scache(512000)
<Directory {docs}>
    Require all granted
</Directory>
<VirtualHost {LOOPBACK}:{port}>
    SSLEngine on
    SSLCertificateFile {certs.server.pem}
    SSLCertificateKeyFile {certs.server.key}
    SSLCACertificateFile {certs.ca.pem}
    SSLVerifyClient require
    SSLVerifyDepth 2
</VirtualHost>
""")
    return ForeignServer("apache", ["apache2", "-f", config, "-DFOREGROUND"], port, home)


def stunnel_server(backend_port):
    port = free_port()
    home = folder("stunnel")
    config = write(os.path.join(home, "stunnel.conf"), f"""foreground = yes
pid =
output = {home}/stunnel.log
[https]
accept = {LOOPBACK}:{port}
connect = {LOOPBACK}:{backend_port}
cert = {certs.server.pem}
key = {certs.server.key}
CAfile = {certs.ca.pem}
verifyChain = yes
""")
    return ForeignServer("stunnel", ["stunnel4", config], port, home)


def http_server(name):
    """python3 -m http.server on a folder of its own: a plain HTTP server that waits for a request line."""
    port = free_port()
    home = folder(name)
    write(os.path.join(home, "index.html"), f"hello from {name}\n")
    return ForeignServer(name, [sys.executable, "-m", "http.server", "--bind", LOOPBACK, "--directory", home,
                                str(port)], port, home)


def node_server():
    port = free_port()
    return ForeignServer("node", ["node", os.path.join(PEERS, "node_server.js"), str(port), certs.server.pem,
                                  certs.server.key, certs.ca.pem], port, folder("node"))


def java_server():
    port = free_port()
    return ForeignServer("java", ["java", os.path.join(PEERS, "JavaServer.java"), str(port), certs.server.pem,
                                  certs.server.key, certs.ca.pem], port, folder("java"), start_timeout=60.0)


# ---------------------------------------------------------------------------------------------------
# What every peer must get right


def check_peer(server, name, tls_max=None, rejects=("untrusted", "expired"), names_client=True):
    """No certificate, an untrusted one, an expired one and a good one against one running peer."""
    extra = ["--cacert", certs.ca.pem] + (["--tls-max", tls_max] if tls_max else [])
    what = name + (f" (TLS {tls_max})" if tls_max else "")
    url = server.url()

    none = call([url, *extra])
    if check_outcome(suite, none, "client-cert-required", 4, f"{what}: no certificate"):
        suite.contains(none.get("diagnosis", "cause"), "none was sent", f"{what}: no certificate: the cause")
        suite.contains(none.get("diagnosis", "fix"), "--cert FILE", f"{what}: no certificate: the fix")
        suite.contains(none.get("diagnosis", "fix"), certs.ca.subject, f"{what}: no certificate: the CA it accepts")
    report(what, "none", none)

    if "untrusted" in rejects:
        untrusted = call([url, *extra, "--cert", certs.untrusted.pem])
        if check_outcome(suite, untrusted, "client-cert-rejected", 4, f"{what}: untrusted certificate"):
            cause = untrusted.get("diagnosis", "cause") or ""
            suite.contains(cause, f"'{certs.untrusted.subject}'", f"{what}: untrusted: the cause names it")
            suite.contains(cause, f"'{certs.other_ca.subject}'", f"{what}: untrusted: the cause names its issuer")
            suite.check(SERVE_ONLY not in cause, f"{what}: untrusted: no krtool-serve-only cause", cause)
            suite.contains(untrusted.get("diagnosis", "fix"), certs.ca.subject,
                           f"{what}: untrusted: the fix names the CA the server accepts")
        report(what, "untrusted", untrusted)

    if "expired" in rejects:
        expired = call([url, *extra, "--cert", certs.expired.pem])
        if check_outcome(suite, expired, "client-cert-rejected", 4, f"{what}: expired certificate"):
            cause = expired.get("diagnosis", "cause") or ""
            suite.contains(cause, rfc3339(certs.expired.not_after), f"{what}: expired: the cause names its end")
            suite.check(SERVE_ONLY not in cause, f"{what}: expired: no krtool-serve-only cause", cause)
            suite.contains(expired.get("diagnosis", "fix"), "new-selfsigned", f"{what}: expired: the fix")
        report(what, "expired", expired)

    good = call([url, *extra, "--cert", certs.valid.pem])
    if check_outcome(suite, good, "ok", 0, f"{what}: a good certificate") and names_client:
        suite.contains(good.get("body"), "alice", f"{what}: the server saw the client's name")
    report(what, "good", good)


def report(what, case, run):
    """With KRTOOL_PEERS_VERBOSE set, prints what test-client said, for the issue's notes."""
    if os.environ.get("KRTOOL_PEERS_VERBOSE"):
        alert = run.get("tls", "alert")
        print(f"    {what} / {case}: {run.get('outcome')} alert={alert and (alert['code'], alert['name'])}\n"
              f"      cause: {run.get('diagnosis', 'cause')}\n      fix: {run.get('diagnosis', 'fix')}\n"
              f"      notes: {run.get('notes')}", flush=True)


def alert_of(run):
    alert = run.get("tls", "alert")
    return (alert["code"], alert["name"]) if alert else None


# ---------------------------------------------------------------------------------------------------
# Tests


def test_go_require():
    with go_server("require") as server:
        for tls_max in ("1.3", "1.2"):
            check_peer(server, "go", tls_max)
        # Go refuses every certificate it cannot verify with 42 bad_certificate, whatever the reason.
        for name in ("selfsigned", "serveronly"):
            bad = call([server.url(), "--cacert", certs.ca.pem, "--cert", certs.clients[name].pem])
            if check_outcome(suite, bad, "client-cert-rejected", 4, f"go: {name}"):
                suite.eq(alert_of(bad), (42, "bad_certificate"), f"go: {name}: alert 42")
                cause = bad.get("diagnosis", "cause") or ""
                suite.check(SERVE_ONLY not in cause, f"go: {name}: no krtool-serve-only cause", cause)
            report("go", name, bad)
        serveronly = call([server.url(), "--cacert", certs.ca.pem, "--cert", certs.serveronly.pem])
        suite.contains(serveronly.get("diagnosis", "cause"), "Client Authentication",
                       "go: a server-only certificate: the cause names the missing clientAuth usage")
        suite.contains(serveronly.get("diagnosis", "fix"), "--purpose client", "go: server-only: the fix")


def test_go_if_given():
    with go_server("if-given") as server:
        none = call([server.url(), "--cacert", certs.ca.pem])
        if check_outcome(suite, none, "ok", 0, "go if-given: no certificate is fine"):
            suite.contains(none.get("body"), "(no certificate)", "go if-given: the server saw none")
        untrusted = call([server.url(), "--cacert", certs.ca.pem, "--cert", certs.untrusted.pem])
        if check_outcome(suite, untrusted, "client-cert-rejected", 4, "go if-given: untrusted certificate"):
            suite.contains(untrusted.get("diagnosis", "cause"), f"'{certs.other_ca.subject}'",
                           "go if-given: untrusted: the issuer")
        report("go if-given", "untrusted", untrusted)


def test_caddy():
    with caddy_server() as server:
        check_peer(server, "caddy")


def test_haproxy():
    with haproxy_server() as server:
        check_peer(server, "haproxy")


def test_apache():
    with apache_server() as server:
        check_peer(server, "apache", names_client=False)


def test_stunnel():
    with http_server("stunnel-backend") as backend, stunnel_server(backend.port) as server:
        check_peer(server, "stunnel", names_client=False)


def test_if_installed(tool, make_server):
    """Node and Java are not Debian packages this project installs: used where present, skipped aloud."""
    if shutil.which(tool) is None:
        print(f"  {tool}: skipped, `{tool}` is not installed", flush=True)
        return
    with make_server() as server:
        check_peer(server, tool)


def check_not_tls(server, what, answer, how):
    run = call([server.url(host=LOOPBACK), "--timeout", "4"])
    if check_outcome(suite, run, "not-tls", 4, what):
        cause = run.get("diagnosis", "cause")
        suite.contains(cause, f"a plain HTTP request gets '{answer}'", f"{what}: the cause quotes the probe's answer")
        suite.contains(cause, how, f"{what}: the cause says how the ClientHello was met")
        suite.contains(run.get("diagnosis", "fix"), f"http://{LOOPBACK}:{server.port}/", f"{what}: the fix")
    report(what, "https://", run)


def test_python_http_server():
    """python3 -m http.server reads the request line up to a line feed, and a ClientHello always holds one
    (0x0a is the supported_groups extension's type), so it answers at once with an HTTP/0.9-style page."""
    with http_server("plain-http") as server:
        check_not_tls(server, "python3 -m http.server", "HTTP/1.0 200 OK", "is not a TLS record")


def test_server_that_never_answers_the_client_hello():
    """A server that waits for CR LF never answers the ClientHello: after the handshake's share of
    --timeout, a plain HTTP request on a second connection finds it speaks HTTP."""
    port = free_port()
    line_server = ForeignServer("crlf-http", [sys.executable, os.path.join(PEERS, "crlf_http_server.py"), str(port)],
                                port, folder("crlf-http"))
    with line_server:
        check_not_tls(line_server, "a server waiting for CR LF", "HTTP/1.1 200 OK", "never answered")
    if shutil.which("java") is None:
        print("  the JDK's HttpServer: skipped, `java` is not installed", flush=True)
        return
    port = free_port()
    jdk = ForeignServer("jdk-http", ["java", os.path.join(PEERS, "JavaServer.java"), str(port)], port,
                        folder("jdk-http"), start_timeout=60.0)
    with jdk:
        check_not_tls(jdk, "the JDK's HttpServer", "HTTP/1.1 200 OK", "never answered")


def main():
    global certs
    required = ["go", "caddy", "haproxy", "apache2", "stunnel4"]
    missing = [tool for tool in required if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}")]
    if missing:
        print(f"test_client_peers: {', '.join(missing)} missing; run scripts/bootstrap", file=sys.stderr)
        return 1
    certs = CertSet(suite.work)
    tests = [
        ("go RequireAndVerifyClientCert", test_go_require),
        ("go VerifyClientCertIfGiven", test_go_if_given),
        ("caddy require_and_verify", test_caddy),
        ("haproxy verify required", test_haproxy),
        ("apache SSLVerifyClient require", test_apache),
        ("stunnel verifyChain", test_stunnel),
        ("node requestCert", lambda: test_if_installed("node", node_server)),
        ("java needClientAuth", lambda: test_if_installed("java", java_server)),
        ("python3 -m http.server is not-tls", test_python_http_server),
        ("a server that never answers the ClientHello is not-tls", test_server_that_never_answers_the_client_hello),
    ]
    return suite.run(tests, only=sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
