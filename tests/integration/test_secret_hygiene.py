#!/usr/bin/env python3
"""Secret hygiene: no key or content in any log line, no core dumps, and a control
socket no other local user can reach.

Every integration test also checks, after it ends, that no daemon log holds any
text, answer, question or invite code the test gave a daemon (harness.py); here the
same is done at debug level over every kind of message, plus the storage key.
"""

import binascii
import os
import socket
import stat
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, pair, wait_for

ARRIVE = 20.0
NOBODY_UID = 65534
SYSTEM_PYTHON = "/usr/bin/python3"  # ours may live where another user cannot reach


class SecretHygieneTest(IntegrationTest):

    def test_debug_logs_hold_no_content_or_keys(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")
        code = pair(alice, bob)
        texts = [f"plain secret text number {i} {os.urandom(8).hex()}" for i in range(3)]
        for t in texts:
            alice.send(t)
        sealed = "sealed secret body " + os.urandom(8).hex()
        alice.rpc("send", {"text": sealed, "open_at_unix_ms": int(time.time() * 1000) + 500})
        gentle = "gentle secret body " + os.urandom(8).hex()
        alice.rpc("send", {"text": gentle, "gentle": True, "note": "a note"})
        question = alice.rpc("ask", {"text": "What secret question is this?"})["id"]
        alice.rpc("answer", {"question_id": question, "text": "alice's secret answer"})
        q_bob = bob.wait_find(lambda m: m.get("kind") == "QUESTION", ARRIVE, "the question")
        bob.rpc("answer", {"question_id": q_bob["id"], "text": "bob's secret answer"})
        wait_for(lambda: {sealed, "alice's secret answer"} <=
                 {m["text"] for m in bob.history_all()}, ARRIVE, "the envelopes to open")
        alice.stop()
        bob.stop()

        with open(os.path.join(alice.data_dir, "storage.key"), "rb") as f:
            storage_key = f.read()
        for d in (alice, bob):
            log = d.log_text()
            for secret in texts + [sealed, gentle, code, "alice's secret answer",
                                   "bob's secret answer"]:
                self.assertNotIn(secret, log, f"{d.name}'s log holds a secret")
            self.assertNotIn(binascii.hexlify(storage_key).decode(), log.lower())
            self.assertNotIn(binascii.b2a_base64(storage_key, newline=False).decode(), log)
        self.assertIn("DEBUG", alice.log_text(), "the daemons did not log at debug level")

    def test_the_log_check_catches_a_leak(self):
        """The after-test log check (harness.py) really fails on a leaked text."""
        alice = self.make_daemon("alice")
        leaked = "this text must never reach a log " + os.urandom(4).hex()
        harness.remember_secret(leaked)
        with open(alice.log_path, "a") as f:
            f.write(f"INFO pretend the daemon logged: {leaked}\n")
        with self.assertRaises(AssertionError):
            self._check_logs_hold_no_secrets()
        harness.SECRETS.discard(leaked)

    def test_core_dumps_are_disabled(self):
        alice = self.make_daemon("alice")
        with open(f"/proc/{alice.proc.pid}/limits") as f:
            line = next(l for l in f if l.startswith("Max core file size"))
        soft, hard = line.split()[4:6]
        self.assertEqual((soft, hard), ("0", "0"), line)

    def test_control_socket_is_private(self):
        alice = self.make_daemon("alice")
        self.assertEqual(stat.S_IMODE(os.stat(alice.data_dir).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(alice.socket_path).st_mode), 0o600)
        if os.geteuid() != 0:
            self.skipTest("switching to another user needs root")
        if not os.access(SYSTEM_PYTHON, os.X_OK):
            self.skipTest(f"another user needs a Python it can run: {SYSTEM_PYTHON}")
        probe = ("import socket,sys\n"
                 "s=socket.socket(socket.AF_UNIX)\n"
                 "try:\n"
                 "    s.connect(sys.argv[1])\n"
                 "except PermissionError:\n"
                 "    sys.exit(13)\n"
                 "sys.exit(0)\n")

        def other_user_connects():
            r = subprocess.run([SYSTEM_PYTHON, "-c", probe, alice.socket_path], user=NOBODY_UID,
                               group=NOBODY_UID, capture_output=True, text=True, timeout=30)
            self.assertIn(r.returncode, (0, 13), r.stderr)
            return r.returncode == 0

        # Only the daemon's own modes stand in the way: the test's temporary
        # directory is opened up, then the data directory too (the socket's 0600
        # must still hold).
        os.chmod(alice.tmp, 0o755)
        self.assertFalse(other_user_connects(), "another user reached the socket")
        os.chmod(alice.data_dir, 0o711)
        try:
            self.assertFalse(other_user_connects(), "the socket's own mode did not stop them")
        finally:
            os.chmod(alice.data_dir, 0o700)
        # ... while its owner still can.
        self.assertTrue(alice.status()["fingerprint"])


if __name__ == "__main__":
    harness.main()
