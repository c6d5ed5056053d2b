"""Every command block of README.md and docs/*.md runs, in order, as a user would copy it: one temporary
folder per document, the built krtool first on PATH.

The convention every fenced block follows (a block without an info string fails this test, so that each
one is classified when it is written):

  ```sh  or ```bash   commands, run one at a time with bash (a command continued with a backslash, or a
                      quoted argument over several lines, is one command). Each must exit 0, unless its
                      trailing comment starts with `exit N` (`krtool test-cert expired.pem   # exit 1: ...`).
                      `export NAME=VALUE` sets the variable for the rest of the document, as in a shell.
  ```sh server        one command that starts a server. It runs in the background; the test waits until it
                      prints `Now listening on:` (krtool serve) or `ACCEPT` (openssl s_server) or its port
                      accepts connections, and stops it (SIGINT) at the end of the section: the next `## `
                      heading, or the end of the document.
  ```text             output: not run.
  ```json file=NAME   a file the next commands use: written to NAME in the document's folder.
  ```json, ```cpp, ```cmake   code shown for reading; the samples and unit tests compile and run their
                      like (docs/library.md's: samples/library-consumer, by tests/e2e/install_test.sh).
  <!-- docs-test: skip REASON -->   on the line before a block: the block is not run, for the reason given.

The ports 8443, 5000 and 5001 in commands and files are replaced by free ports, the same one for each
throughout a document, so this test can run beside others; $PORT (serve's default port) is 5000's.

Run: KRTOOL_BIN=build/bin/krtool /usr/bin/python3 tests/e2e/docs_commands_test.py [DOC ...]
"""

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import KRTOOL, LOOPBACK, Suite, free_port, shorten  # noqa: E402

ROOT = os.environ.get("KRTOOL_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DOCS = ["README.md"] + sorted(f"docs/{name}" for name in os.listdir(os.path.join(ROOT, "docs"))
                              if name.endswith(".md"))
DOC_PORTS = ("8443", "5000", "5001")
COMMAND_TIMEOUT = 60
SERVER_START_TIMEOUT = 30

suite = Suite("docs_commands")

FENCE = re.compile(r"^```(.*)$")
MARKER = re.compile(r"^<!--\s*docs-test:\s*(\w+)\s*(.*?)\s*-->\s*$")
EXPECTED_EXIT = re.compile(r"#\s*exit (\d+)\b")
EXPORT = re.compile(r"^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


class Block:
    def __init__(self, doc, line, info, text, marker, section):
        self.doc = doc
        self.line = line  # the fence's line number, for messages
        self.info = info.split()
        self.text = text
        self.marker = marker  # (word, argument) or None
        self.section = section  # the `## ` heading above it

    @property
    def where(self):
        return f"{self.doc}:{self.line}"


def read_blocks(doc):
    """The fenced blocks of one Markdown file, each with the marker on the line before it and its section."""
    with open(os.path.join(ROOT, doc)) as f:
        lines = f.read().split("\n")
    blocks, section, i = [], "", 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = line[3:].strip()
        fence = FENCE.match(line)
        if fence:
            start = i
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            previous = lines[start - 1] if start > 0 else ""
            marker = MARKER.match(previous)
            blocks.append(Block(doc, start + 1, fence.group(1).strip(), "\n".join(body) + "\n",
                                (marker.group(1), marker.group(2)) if marker else None, section))
        i += 1
    return blocks


def commands_of(text):
    """Splits a block into the commands a shell would read: backslash-continued lines and quoted arguments
    that span lines are joined; blank lines and whole-line comments are dropped."""
    commands, pending = [], ""
    for line in text.split("\n"):
        pending = f"{pending}\n{line}" if pending else line
        if pending.rstrip().endswith("\\"):
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        if pending.strip() and not pending.strip().startswith("#"):
            commands.append(pending.strip())
        pending = ""
    if pending.strip():
        commands.append(pending.strip())
    return commands


class DocServer:
    """A `sh server` block's command, in the background, with its output collected."""

    def __init__(self, command, cwd, env, where):
        self.command = command
        self.where = where
        self.lines = []
        self.cond = threading.Condition()
        self.process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=cwd, env=env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, bufsize=1, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_ready(self, ports):
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            with self.cond:
                if any(line.startswith(("Now listening on: ", "ACCEPT")) for line in self.lines):
                    return True
                if self.process.poll() is not None:
                    return False
                self.cond.wait(0.1)
            for port in ports:
                try:
                    with socket.create_connection((LOOPBACK, port), timeout=0.5):
                        return True
                except OSError:
                    pass
        return False

    def output(self):
        with self.cond:
            return "\n".join(self.lines)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class DocRun:
    """Runs one document's blocks in its own folder."""

    def __init__(self, doc):
        self.doc = doc
        self.work = os.path.join(suite.work, doc.replace("/", "_"))
        os.makedirs(self.work)
        self.ports = {port: str(free_port()) for port in DOC_PORTS}
        self.env = dict(os.environ, PATH=os.path.dirname(KRTOOL) + os.pathsep + os.environ.get("PATH", ""),
                        KRTOOL_BIN=KRTOOL, HOME=self.work, NO_COLOR="1", PORT=self.ports["5000"])
        self.servers = []
        self.section = None

    def localize(self, text):
        for port, free in self.ports.items():
            text = re.sub(rf"(?<![0-9]){port}(?![0-9])", free, text)
        return text

    def stop_servers(self):
        for server in self.servers:
            server.stop()
        self.servers = []

    def run(self):
        blocks = read_blocks(self.doc)
        suite.check(blocks, f"{self.doc}: has blocks")
        try:
            for block in blocks:
                if block.section != self.section:
                    self.stop_servers()  # a server lives until the end of its section
                    self.section = block.section
                self.run_block(block)
        finally:
            self.stop_servers()

    def run_block(self, block):
        kind = block.info[0] if block.info else ""
        if block.marker:
            word, reason = block.marker
            if not suite.check(word == "skip" and reason, f"{block.where}: a marker is 'skip REASON'",
                               f"got {block.marker}"):
                return
            return
        if not suite.check(kind in ("sh", "bash", "text", "json", "cpp", "cmake"),
                           f"{block.where}: the block says what it is (sh, sh server, text, json, cpp, cmake)",
                           f"info string {' '.join(block.info)!r}"):
            return
        if kind == "json" and len(block.info) > 1 and block.info[1].startswith("file="):
            with open(os.path.join(self.work, block.info[1][len("file="):]), "w") as f:
                f.write(self.localize(block.text))
            return
        if kind not in ("sh", "bash"):
            return
        commands = commands_of(block.text)
        if "server" in block.info[1:]:
            if suite.eq(len(commands), 1, f"{block.where}: a server block holds one command"):
                self.start_server(block, commands[0])
            return
        for command in commands:
            self.run_command(block, command)

    def start_server(self, block, command):
        server = DocServer(self.localize(command), self.work, self.env, block.where)
        self.servers.append(server)
        ready = server.wait_ready([int(port) for port in self.ports.values()])
        suite.check(ready, f"{block.where}: the server starts: {shorten(command, 120)}", server.output())

    def run_command(self, block, command):
        export = EXPORT.match(command)
        if export:
            self.env[export.group(1)] = shlex.split(export.group(2))[0] if export.group(2) else ""
            return
        expected = EXPECTED_EXIT.search(command.rsplit("\n", 1)[-1])
        want = int(expected.group(1)) if expected else 0
        try:
            result = subprocess.run(["bash", "-c", self.localize(command)], cwd=self.work, env=self.env,
                                    capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                                    stdin=subprocess.DEVNULL)
            rc = result.returncode
            output = f"stdout: {shorten(result.stdout)}\nstderr: {shorten(result.stderr)}"
        except subprocess.TimeoutExpired:
            rc, output = "timeout", f"no end within {COMMAND_TIMEOUT}s"
        suite.eq(rc, want, f"{block.where}: exit code of `{shorten(command, 160)}`")
        if rc != want:
            print(f"  {output}", file=sys.stderr)


def main():
    docs = [doc for doc in DOCS if not sys.argv[1:] or doc in sys.argv[1:]]
    tests = [(doc, DocRun(doc).run) for doc in docs]
    return suite.run(tests)


if __name__ == "__main__":
    sys.exit(main())
