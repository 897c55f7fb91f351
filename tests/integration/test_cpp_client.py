#!/usr/bin/env python3
"""The C++ client library's example (client/examples/echo_bot.cc) drives a real
daemon: it subscribes to alice's daemon and answers bob's text with an echo."""

import os
import secrets
import subprocess
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, pair, wait_for

ECHO_BOT = os.path.join(harness.BIN_DIR, "client", "examples", "inmost_example_echo_bot")


class CppClientTest(IntegrationTest):

    def test_the_example_echoes_through_the_client_library(self):
        if not os.access(ECHO_BOT, os.X_OK):
            self.fail(f"{ECHO_BOT} is missing; build the inmost_example_echo_bot target")
        alice, bob = self.make_daemon("alice"), self.make_daemon("bob")
        pair(alice, bob)
        bot = subprocess.Popen([ECHO_BOT, alice.data_dir, "--once"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: bot.poll() is None and bot.kill())
        self.assertEqual(bot.stdout.readline().strip(), "echo_bot: listening")
        text = f"hello bot {secrets.token_hex(6)}"
        bob.send(text)
        wait_for(lambda: any(m.get("text") == "echo: " + text for m in bob.history_all()), 20,
                 "bob to get the echo")
        self.assertEqual(bot.wait(timeout=20), 0, bot.stderr.read())

    def test_the_example_says_when_no_daemon_runs(self):
        d = self.make_daemon("absent", start=False)
        r = subprocess.run([ECHO_BOT, d.data_dir], capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("echo_bot:", r.stderr)


if __name__ == "__main__":
    harness.main()
