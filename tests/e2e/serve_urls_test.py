#!/usr/bin/python3
"""End-to-end tests of Kestrel's URL list in `krtool serve`: --urls, the config's endpoint.urls and
$ASPNETCORE_URLS name several endpoints, https and http side by side; each gets its listening line and
answers with curl over its own scheme. Loopback only."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import CertSet, Server, Suite, curl, start_failure  # noqa: E402

suite = Suite("serve_urls_test")
certs = CertSet(suite.work)
W = suite.work
PREFIX = "Now listening on: "


def listening_urls(server):
    return [line[len(PREFIX):] for line in server.stdout_lines if line.startswith(PREFIX)]


def answers(url, what, cert=None):
    args = ["--cacert", certs.ca.pem, f"{url}/info"]
    rc, status, body, err = curl(args)
    suite.check(rc == 0 and status == 200, f"{what}: GET {url}/info answers 200", f"rc={rc} {err}")


def test_flag_with_https_and_http():
    server = Server([*certs.server_args(), "--urls", "https://127.0.0.1:0;http://127.0.0.1:0"], W, suite,
                    port_args=())
    suite.check(server.start(), "--urls with two URLs starts", server.stderr_text())
    urls = listening_urls(server)
    if suite.eq(len(urls), 2, "one listening line per URL"):
        suite.check(urls[0].startswith("https://127.0.0.1:") and urls[1].startswith("http://127.0.0.1:"),
                    "the lines keep the URLs' order and show the real ports", repr(urls))
        answers(urls[0], "the https endpoint")
        answers(urls[1], "the http endpoint")
        # The http endpoint speaks plain HTTP even though the server has a certificate.
        rc, status, _, _ = curl(["--cacert", certs.ca.pem, urls[1].replace("http://", "https://") + "/info"])
        suite.check(rc != 0, "TLS to the http endpoint fails", f"rc={rc} status={status}")
    server.stop()


def test_environment_variable():
    env = dict(os.environ, ASPNETCORE_URLS="http://127.0.0.1:0")
    server = Server([], W, suite, env=env, port_args=())
    suite.check(server.start(), "$ASPNETCORE_URLS alone starts a server", server.stderr_text())
    suite.eq(listening_urls(server)[:1] and listening_urls(server)[0].split(":")[0], "http",
             "$ASPNETCORE_URLS chooses the scheme")
    answers(server.url, "the $ASPNETCORE_URLS endpoint")
    server.stop()
    # An explicit --port wins over the environment, as Kestrel's explicit settings do.
    env = dict(os.environ, ASPNETCORE_URLS="http://example.invalid:1")
    server = Server([], W, suite, env=env)
    suite.check(server.start(), "--port overrides $ASPNETCORE_URLS", server.stderr_text())
    server.stop()


def test_config_file():
    config = os.path.join(W, "urls.json")
    with open(config, "w") as out:
        json.dump({"endpoint": {"urls": "https://127.0.0.1:0", "cert": certs.server.pem, "key": certs.server.key}},
                  out)
    server = Server(["--config", config], W, suite, port_args=())
    suite.check(server.start(), "endpoint.urls in a config file starts", server.stderr_text())
    answers(server.url, "the endpoint.urls endpoint")
    server.stop()


def test_refusals():
    cases = [
        (["--urls", "http://127.0.0.1:0", "--port", "0"], [], "--urls and --port cannot be used together"),
        (["--urls", "https://127.0.0.1:0"], [], "the server has no certificate"),
        (["--urls", "http://example.com:8080"], [], "names the host 'example.com'"),
        (["--urls", "http://localhost:0"], [], "free port on localhost"),
        ([*certs.server_args(), "--urls", "https://0.0.0.0:0", "--client-cert-validation", "AllowAny",
          "--client-cert-mode", "require"], [], "non-loopback address 0.0.0.0"),
    ]
    for args, _, expected in cases:
        rc, err = start_failure(args, W, port_args=())
        suite.eq(rc, 2, f"serve {' '.join(args)} exits 2")
        suite.contains(err, expected, f"serve {' '.join(args)} says why")
        suite.check("hint: " in err, f"serve {' '.join(args)} gives a hint", err)
    env = dict(os.environ, ASPNETCORE_URLS="tcp://127.0.0.1:1")
    rc, err = start_failure([], W, env=env, port_args=())
    suite.eq(rc, 2, "a bad $ASPNETCORE_URLS exits 2")
    suite.contains(err, "$ASPNETCORE_URLS: 'tcp://127.0.0.1:1'", "a bad $ASPNETCORE_URLS is named")


sys.exit(suite.run([
    ("flag", test_flag_with_https_and_http),
    ("environment", test_environment_variable),
    ("config", test_config_file),
    ("refusals", test_refusals),
], only=sys.argv[1:]))
