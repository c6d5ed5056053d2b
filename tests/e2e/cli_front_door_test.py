"""The front door: what a newcomer sees first. `krtool` alone, `--help`, `help COMMAND`, `version`;
mistyped commands and flags answered with the nearest name; every usage error in krtool's words (never
CLI11's), also as JSON with --json; help grouped, with value names, defaults and examples that work:
the examples, run in order in one folder, lead to a protected server answering 401 and 200. Colour and
progress lines appear on a terminal (a pty) only.
"""

import json
import os
import pty
import re
import select
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import KRTOOL, Server, Suite, run_krtool, shorten  # noqa: E402

suite = Suite("cli_front_door")
WORK = suite.work
COMMANDS = ["new-selfsigned", "new-csr", "import", "export", "test-cert", "serve", "test-client", "policy"]
CLI11_PHRASES = [r"Could not convert", r"At Most", r"At least", r"were not expected", r"was not expected",
                 r"is required", r"Excludes", r"Run with --help", r"Needs:", r"\bREQUIRED\b", r"\bTEXT\b", r"\bINT\b"]


def krtool(*args, env=None):
    return run_krtool(list(args), WORK, timeout=60, env=env)


def no_cli11_words(result, what):
    for line in (result.stdout + result.stderr).splitlines():
        for phrase in CLI11_PHRASES:
            suite.check(not re.search(phrase, line), f"{what}: no CLI11 wording ('{phrase}')", line)


def test_usage():
    bare = krtool()
    suite.eq(bare.returncode, 2, "krtool alone: exit 2")
    suite.eq(bare.stdout, "", "krtool alone: nothing on stdout")
    for fragment in ("Usage: krtool COMMAND", "Certificates:", "Server:", "Client:", "  serve ", "  test-client "):
        suite.contains(bare.stderr, fragment, f"krtool alone: the usage has '{fragment}'")
    suite.eq(len(re.findall(r"^  krtool ", bare.stderr, re.M)), 2, "krtool alone: two examples")
    for args in (["--help"], ["-h"], ["help"]):
        result = krtool(*args)
        suite.eq(result.returncode, 0, f"krtool {' '.join(args)}: exit 0")
        suite.eq(result.stdout, bare.stderr, f"krtool {' '.join(args)}: the same usage, on stdout")
        suite.eq(result.stderr, "", f"krtool {' '.join(args)}: nothing on stderr")
    # Every command of the table is listed, one line each, under its group.
    for command in COMMANDS:
        suite.eq(len(re.findall(rf"^  {command} ", bare.stderr, re.M)), 1, f"the usage lists {command} once")


def test_help_command():
    for command in COMMANDS + ["help", "version"]:
        direct = krtool(command, "--help")
        suite.eq(direct.returncode, 0, f"{command} --help: exit 0")
        for args in (["help", command], ["-h", command], ["--help", command]):
            via = krtool(*args)
            suite.eq(via.returncode, 0, f"krtool {' '.join(args)}: exit 0")
            suite.eq(via.stdout, direct.stdout, f"krtool {' '.join(args)} == krtool {command} --help")
        no_cli11_words(direct, f"{command} --help")
        examples = re.findall(r"^  krtool .*$", direct.stdout.split("Examples:")[-1], re.M)
        suite.check("Examples:" in direct.stdout and len(examples) >= 2, f"{command} --help ends with two examples",
                    shorten(direct.stdout, 3000))
    nosuch = krtool("help", "serv")
    suite.eq(nosuch.returncode, 2, "help serv: exit 2")
    suite.contains(nosuch.stderr, "krtool: error: 'serv' is not a krtool command", "help serv: the error")
    suite.contains(nosuch.stderr, "did you mean 'serve'?", "help serv: the suggestion")


def test_nested_command_help():
    # policy has a command of its own, test: its help lists it, and every way of asking for test's help
    # gives the same text.
    policy = krtool("policy", "--help")
    suite.eq(policy.returncode, 0, "policy --help: exit 0")
    suite.check(policy.stdout.startswith("Usage: krtool policy COMMAND [OPTIONS]\n"),
                "policy --help: the usage names COMMAND", shorten(policy.stdout))
    suite.check(re.search(r"^Commands:\n  test  Dry run: ", policy.stdout, re.M) is not None,
                "policy --help: a Commands section lists test with its description", shorten(policy.stdout))
    suite.contains(policy.stdout, "\nRun 'krtool policy COMMAND --help' for a command's options.\n",
                   "policy --help: where a command's options are")
    test = krtool("policy", "test", "--help")
    suite.eq(test.returncode, 0, "policy test --help: exit 0")
    for fragment in ("Usage: krtool policy test FILE [OPTIONS]", "--config FILE", "--route 'METHOD PATH'", "Examples:"):
        suite.contains(test.stdout, fragment, f"policy test --help: '{fragment}'")
    no_cli11_words(test, "policy test --help")
    for args in (["help", "policy", "test"], ["-h", "policy", "test"], ["--help", "policy", "test"]):
        via = krtool(*args)
        suite.eq(via.returncode, 0, f"krtool {' '.join(args)}: exit 0")
        suite.eq(via.stdout, test.stdout, f"krtool {' '.join(args)} == krtool policy test --help")


def test_serve_help_is_grouped():
    text = krtool("serve", "--help").stdout
    headings = ["Endpoint:", "TLS layer:", "Validation:", "Authentication scheme:", "Routes:", "Logging:", "Limits:"]
    positions = [text.find("\n" + heading + "\n") for heading in headings]
    suite.check(all(p >= 0 for p in positions) and positions == sorted(positions),
                "serve --help: the headings, in order", shorten(text, 4000))
    for fragment in ("--port PORT", "--cert FILE", "--handshake-timeout SECONDS", "--client-cert-mode none|allow|require",
                     "--auth-scheme NAME", "--threads N", "--config FILE"):
        suite.contains(text, fragment, f"serve --help: '{fragment}'")
    suite.eq(text.count("at most one of: --password, --password-file, --password-env, --no-password"), 1,
             "serve --help: the password flags' exclusion, stated once")
    selfsigned = krtool("new-selfsigned", "--help").stdout
    for fragment in ("Subject and names:", "Key:", "Validity:", "Issuer:", "Output:", "Passwords:",
                     "--key-type rsa|ecdsa|ed25519", "(default rsa)", "--valid-days DAYS", "(default 365)"):
        suite.contains(selfsigned, fragment, f"new-selfsigned --help: '{fragment}'")


def test_version():
    version = re.search(r"project\(krtool VERSION (\S+)",
                        open(os.path.join(os.environ.get("KRTOOL_SOURCE_DIR", "."), "CMakeLists.txt")).read())
    for args in (["version"], ["--version"]):
        result = krtool(*args)
        suite.eq(result.returncode, 0, f"krtool {args[0]}: exit 0")
        if version:
            suite.contains(result.stdout, f"krtool {version.group(1)} (", f"krtool {args[0]}: krtool's version")
        suite.contains(result.stdout, "OpenSSL runtime:    OpenSSL 3.", f"krtool {args[0]}: OpenSSL at run time")
        suite.contains(result.stdout, "OpenSSL build:      OpenSSL 3.", f"krtool {args[0]}: OpenSSL at build time")
    doc = json.loads(krtool("version", "--json").stdout)
    suite.check(set(doc) == {"version", "buildType", "openssl"} and set(doc["openssl"]) == {"runtime", "build"},
                "version --json: the fields", doc)
    suite.check(doc["buildType"] != "", "version --json: a build type", doc)


# (arguments, what the error line must say, what the hint must say)
USAGE_ERRORS = [
    (["serv"], "'serv' is not a krtool command", "did you mean 'serve'?"),
    (["--verison"], "krtool has no flag --verison", "did you mean --version?"),
    (["serve", "--client-cert-mod", "allow"], "krtool serve has no flag --client-cert-mod",
     "did you mean --client-cert-mode?"),
    (["serve", "--port", "abc"], "--port: 'abc' is not a number", "give a port from 0 to 65535"),
    (["serve", "--port", "1", "--port", "2"], "--port was given 2 times", "give --port once"),
    (["serve", "--port"], "--port needs a value", "--port PORT"),
    (["serve", "--cert", "a.pem", "--self-signed"], "cannot be used together", "keep one of them"),
    (["serve", "stray"], "unexpected argument 'stray'", "krtool serve --help"),
    (["serve", "--diagnostics=maybe"], "--diagnostics", "krtool serve --help"),
    (["new-selfsigned", "--development", "--ca"], "cannot be used together", "keep one of them"),
    (["new-selfsigned", "--csr", "a.csr"], "--csr needs --issuer", "add --issuer FILE"),
    (["new-selfsigned", "--password", "a", "--password-file", "b"], "cannot be used together", ""),
    (["new-selfsigned", "--valid-days", "ten"], "--valid-days: 'ten' is not a number", "days"),
    (["export", "a.pem"], "krtool export needs --out", "add --out FILE"),
    (["import"], "krtool import needs FILE", "krtool import --help"),
    (["test-client"], "krtool test-client needs URL", "krtool test-client --help"),
    (["test-client", "https://127.0.0.1:1/", "--expect-status", "700"], "--expect-status: 700 is out of range",
     "from 100 to 599"),
    (["test-client", "https://127.0.0.1:1/", "--tls-max", "1.4"], "--tls-max: '1.4' is not a valid value",
     "give one of 1.2|1.3"),
    (["test-client", "https://127.0.0.1:1/", "--timeout", "soon"], "--timeout: 'soon' is not a number", "seconds"),
    (["policy"], "krtool policy needs a command: test", "write 'krtool policy test FILE --config FILE'; see "
     "'krtool policy --help'"),
    (["policy", "tset"], "'tset' is not a command of krtool policy", "did you mean 'test'?"),
    (["policy", "tset", "--help"], "'tset' is not a command of krtool policy", "did you mean 'test'?"),
    (["help", "policy", "tset"], "'tset' is not a command of krtool policy", "did you mean 'test'?"),
    (["policy", "test"], "krtool policy test needs FILE", "krtool policy test --help"),
]


def test_usage_errors():
    for args, message, hint in USAGE_ERRORS:
        what = "krtool " + " ".join(args)
        result = krtool(*args)
        suite.eq(result.returncode, 2, f"{what}: exit 2")
        lines = result.stderr.splitlines()
        suite.check(len(lines) == 2 and lines[0].startswith("krtool: error: ") and lines[1].startswith("  hint: "),
                    f"{what}: one error line and one hint line", result.stderr)
        suite.contains(result.stderr, message, f"{what}: the error")
        suite.contains(result.stderr.split("  hint: ")[-1], hint, f"{what}: the hint")
        suite.eq(result.stdout, "", f"{what}: nothing on stdout")
        no_cli11_words(result, what)


def test_json_errors():
    cases = [
        (["new-selfsigned", "--json", "--dns", "x", "--colour"], 2, "has no flag --colour"),
        (["import", "missing.pem", "--json"], 3, "missing.pem"),
        (["test-cert", "--json"], 2, "needs FILE"),
        (["version", "--json", "--extra"], 2, "has no flag --extra"),
        (["policy", "--json"], 2, "krtool policy needs a command: test"),
        (["policy", "--json", "tset"], 2, "'tset' is not a command of krtool policy"),
    ]
    for args, code, fragment in cases:
        what = "krtool " + " ".join(args)
        result = krtool(*args)
        suite.eq(result.returncode, code, f"{what}: exit code")
        try:
            doc = json.loads(result.stdout)
        except ValueError:
            suite.check(False, f"{what}: one JSON document on stdout", result.stdout)
            continue
        suite.check(set(doc) == {"error", "hint", "exitCode"}, f"{what}: error, hint, exitCode", doc)
        suite.eq(doc.get("exitCode"), code, f"{what}: exitCode")
        suite.contains(doc.get("error"), fragment, f"{what}: the error in the document")
        suite.contains(result.stderr, "krtool: error: " + doc.get("error", "?"), f"{what}: the same on stderr")
    plain = krtool("import", "missing.pem")
    suite.eq(plain.stdout, "", "without --json an error prints nothing on stdout")


def examples(*command):
    text = krtool(*command, "--help").stdout.split("Examples:")[-1]
    return [shlex.split(line.strip())[1:] for line in text.splitlines() if line.startswith("  krtool ")]


def test_examples_work():
    env = dict(os.environ, ALICE_PFX_PASSWORD="alice-pfx")
    for command in ["new-selfsigned", "new-csr", "export", "import", "test-cert"]:
        for args in examples(command):
            result = run_krtool(args, WORK, timeout=60, env=env)
            allowed = (0, 1) if args[0] == "test-cert" else (0,)  # test-cert's verdict on an expired one is 1
            suite.check(result.returncode in allowed, f"the example 'krtool {shlex.join(args)}' works",
                        f"rc={result.returncode} stderr={shorten(result.stderr)}")
    serve_examples = examples("serve")
    suite.check(len(serve_examples) >= 2, "serve has examples", serve_examples)
    for args in serve_examples:
        with Server(args[1:], WORK, suite, name=shlex.join(args), env=env) as server:
            port = str(server.port)
            if "--client-cert-mode" in args and "allow" in args:
                # The newcomer's path: test-client's examples against this server, 200 with the certificate
                # and 401 without it.
                for client_args in examples("test-client"):
                    client_args = [re.sub(r":(5000|8443)/", f":{port}/", a) for a in client_args]
                    result = run_krtool(client_args, WORK, timeout=60, env=env)
                    suite.eq(result.returncode, 0, f"the example 'krtool {shlex.join(client_args)}' works")
                answer = run_krtool(["test-client", f"https://localhost:{port}/secure/cert/hello", "--cacert",
                                     "localhost-root.pem", "--cert", "alice.pem"], WORK, env=env)
                suite.contains(answer.stdout, "HTTP 200", "the certificate of the examples is let in")
            if "--route" in args:
                answer = run_krtool(["test-client", f"https://localhost:{port}/whoami", "--cacert",
                                     "localhost-root.pem", "--cert", "alice.pem"], WORK, env=env)
                suite.contains(answer.stdout, "CN=alice", "the example route answers with the user's name")
    # policy test's examples read the guide's authz.json, with the files the examples above made.
    with open(os.path.join(WORK, "authz.json"), "w") as config:
        json.dump({"endpoint": {"cert": "localhost.pem"},
                   "https": {"clientCertificateMode": "allow", "trustCa": ["localhost-root.pem"]},
                   "schemes": [{"name": "Certificate", "revocationMode": "nocheck", "trustCa": ["localhost-root.pem"]}],
                   "policies": {"ops": ["subject O=Acme", {"eku": ["clientAuth"]}]},
                   "routes": [{"method": "GET", "path": "/ops", "auth": ["Certificate"], "policy": "ops"}]}, config)
    policy_examples = examples("policy")
    suite.check(len(policy_examples) >= 2 and policy_examples == examples("policy", "test"),
                "policy and policy test have the same examples", policy_examples)
    for args in policy_examples:
        result = run_krtool(args, WORK, timeout=60, env=env)
        suite.eq(result.returncode, 0, f"the example 'krtool {shlex.join(args)}' works ({shorten(result.stderr)})")


def run_on_terminal(args, env=None, timeout=60):
    """Runs krtool with stderr on a pseudo-terminal (stdout a pipe); returns (rc, stdout, terminal text)."""
    master, slave = pty.openpty()
    process = subprocess.Popen([KRTOOL, *args], cwd=WORK, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=slave, env=env)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:  # the terminal closed: the process has exited
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    os.close(master)
    stdout = process.communicate(timeout=max(1, deadline - time.monotonic()))[0]
    return process.returncode, stdout.decode(), b"".join(chunks).decode(errors="replace")


def test_terminal_only_output():
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    rc, _, terminal = run_on_terminal(["serv"], env=env)
    suite.eq(rc, 2, "on a terminal: exit 2")
    suite.contains(terminal, "\033[31;1mkrtool: error:\033[0m", "on a terminal the error prefix is in colour")
    rc, _, terminal = run_on_terminal(["serv"], env=dict(env, NO_COLOR="1"))
    suite.check("\033[" not in terminal and "krtool: error:" in terminal, "NO_COLOR: no colour", repr(terminal))
    piped = krtool("serv", env=env)
    suite.check("\033[" not in piped.stderr, "into a pipe: no colour", repr(piped.stderr))

    args = ["new-selfsigned", "--dns", "slow.test", "--key-length", "3072", "--out", "slow.pem"]
    rc, stdout, terminal = run_on_terminal(args, env=env)
    suite.eq(rc, 0, "RSA 3072 on a terminal: exit 0")
    suite.contains(terminal, "generating an RSA 3072 key", "a progress line on the terminal")
    suite.check(terminal.rstrip("\r\n").endswith("\033[K") or "\r\033[K" in terminal.split("generating")[-1],
                "the progress line is erased when the key is made", repr(terminal))
    suite.contains(stdout, "Wrote slow.pem", "the results still go to stdout")
    piped = krtool(*(args[:-1] + ["slow2.pem"]), env=env)
    suite.check("generating" not in piped.stderr, "into a pipe: no progress line", piped.stderr)


sys.exit(suite.run([
    ("usage", test_usage),
    ("help command", test_help_command),
    ("nested command help", test_nested_command_help),
    ("serve help is grouped", test_serve_help_is_grouped),
    ("version", test_version),
    ("usage errors", test_usage_errors),
    ("json errors", test_json_errors),
    ("examples work", test_examples_work),
    ("terminal only output", test_terminal_only_output),
], only=sys.argv[1:]))
