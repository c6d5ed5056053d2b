#!/usr/bin/python3
"""End-to-end test of the password prompt on a real terminal: `krtool export` asks for a PFX's password
on a pseudo-terminal with echo off; Ctrl-C (typed on the terminal, or SIGTERM sent to it) ends krtool
as the signal would, and the terminal has its echo back afterwards. Also: a password typed at the prompt
is used and not echoed.
"""

import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from krtool_e2e import KRTOOL, Suite, run_krtool, shorten  # noqa: E402

suite = Suite("password_prompt_test")
W = suite.work
PASSWORD = "correct horse"


def make_pfx():
    result = run_krtool(["new-selfsigned", "--key-type", "ecdsa", "--dns", "prompt.test", "--out", "prompt.pfx",
                         "--password", PASSWORD], W)
    suite.check(result.returncode == 0, "new-selfsigned writes a protected PFX", result.stderr)


def echo_on(fd):
    return bool(termios.tcgetattr(fd)[3] & termios.ECHO)


class Terminal:
    """krtool ARGS with a pseudo-terminal as its controlling terminal, standard input, output and error."""

    def __init__(self, args):
        self.master, self.slave = os.openpty()
        self.output = b""

        def take_terminal():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen([KRTOOL, *args], cwd=W, stdin=self.slave, stdout=self.slave,
                                        stderr=self.slave, start_new_session=True, preexec_fn=take_terminal)

    def read_until(self, fragment, timeout=15.0):
        deadline = time.monotonic() + timeout
        while fragment not in self.output and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.output += os.read(self.master, 4096)
                except OSError:
                    break
        return fragment in self.output

    def type(self, data):
        os.write(self.master, data)

    def wait(self, timeout=15.0):
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            return "hung"

    def close(self):
        os.close(self.master)
        os.close(self.slave)


def interrupted(how, send):
    terminal = Terminal(["export", "prompt.pfx", "--out", f"{how}.pem"])
    try:
        at_prompt = terminal.read_until(b"Password for")
        suite.check(at_prompt, f"{how}: krtool export asks for the password", shorten(terminal.output))
        if not at_prompt:
            return
        time.sleep(0.2)  # the prompt is written after echo went off; give tcsetattr's flush a moment
        suite.check(not echo_on(terminal.slave), f"{how}: echo is off at the prompt")
        send(terminal)
        code = terminal.wait()
        expected = -signal.SIGINT if how == "ctrl-c" else -signal.SIGTERM
        suite.eq(code, expected, f"{how}: krtool ends by the signal, as without a prompt")
        suite.check(echo_on(terminal.slave), f"{how}: the terminal has its echo back")
        suite.check(not os.path.exists(os.path.join(W, f"{how}.pem")), f"{how}: nothing was written")
    finally:
        terminal.close()


def test_ctrl_c_restores_echo():
    interrupted("ctrl-c", lambda terminal: terminal.type(b"\x03"))


def test_sigterm_restores_echo():
    interrupted("sigterm", lambda terminal: terminal.process.send_signal(signal.SIGTERM))


def test_typed_password_is_used_and_not_echoed():
    terminal = Terminal(["export", "prompt.pfx", "--out", "typed.pem", "--format", "pem"])
    try:
        suite.check(terminal.read_until(b"Password for"), "typed: the prompt comes", shorten(terminal.output))
        time.sleep(0.2)
        terminal.type(PASSWORD.encode() + b"\n")
        code = terminal.wait()
        terminal.read_until(b"\x00", timeout=0.5)  # collect what is left to read
        suite.check(code == 0, "typed: export succeeds with the typed password", f"{code}: {shorten(terminal.output)}")
        suite.check(PASSWORD.encode() not in terminal.output, "typed: the password was not echoed",
                    shorten(terminal.output))
        suite.check(echo_on(terminal.slave), "typed: echo is on afterwards")
    finally:
        terminal.close()


def main():
    make_pfx()
    tests = [("ctrl-c", test_ctrl_c_restores_echo), ("sigterm", test_sigterm_restores_echo),
             ("typed", test_typed_password_is_used_and_not_echoed)]
    return suite.run(tests, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
