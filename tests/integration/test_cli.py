#!/usr/bin/env python3
"""The `inmost` CLI against real daemons: output, --json, stdin, exit codes."""

import sys
import json
import os
import re
import select
import subprocess
import tempfile
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import INMOST, Daemon, IntegrationTest, pair, wait_equal, wait_for

INVITE_CODE = re.compile(r"inmost1-[a-z2-7]+")


def texts(messages, direction=None):
    return [m["text"] for m in messages if direction is None or m["direction"] == direction]


class CliTest(IntegrationTest):

    def test_status_text_and_json(self):
        alice = self.make_daemon("alice")
        fingerprint = alice.status()["fingerprint"]

        r = alice.cli("status")
        self.assertExit(r, 0, "inmost status")
        self.assertIn(fingerprint, r.stdout)
        self.assertIn("not paired", r.stdout)
        self.assertEqual(r.stderr, "")

        r = alice.cli("status", json_output=True)
        self.assertExit(r, 0, "inmost --json status")
        status = json.loads(r.stdout)
        self.assertEqual(status["fingerprint"], fingerprint)
        self.assertIs(status["paired"], False)
        self.assertEqual(status["listen_address"], alice.listen_address)
        self.assertEqual(status["unacknowledged"], "0")
        # --json also works after the command.
        r = subprocess.run([INMOST, "--data-dir", alice.data_dir, "status", "--json"],
                           capture_output=True, text=True, timeout=30)
        self.assertExit(r, 0, "inmost status --json")
        self.assertEqual(json.loads(r.stdout)["fingerprint"], fingerprint)
        # The data directory can also come from $INMOST_DATA_DIR.
        r = subprocess.run([INMOST, "--json", "status"], capture_output=True, text=True,
                           timeout=30, env=dict(os.environ, INMOST_DATA_DIR=alice.data_dir))
        self.assertExit(r, 0, "INMOST_DATA_DIR=... inmost --json status")
        self.assertEqual(json.loads(r.stdout)["fingerprint"], fingerprint)

    def test_pair_send_history_read(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")

        r = alice.cli("invite", "--address", alice.listen_address)
        self.assertExit(r, 0, "inmost invite --address")
        codes = INVITE_CODE.findall(r.stdout)
        self.assertTrue(codes, f"no invite code in:\n{r.stdout}")
        r = alice.cli("invite", "--expires", "30m", "--address", alice.listen_address,
                      json_output=True)
        self.assertExit(r, 0, "inmost --json invite --expires 30m --address")
        invite = json.loads(r.stdout)
        self.assertAlmostEqual(int(invite["expires_at_unix"]), time.time() + 1800, delta=120)
        r = alice.cli("invite", "--expires", "soon")
        self.assertExit(r, 2, "inmost invite --expires soon")

        # The code (it carries the invite's secret) comes on stdin, not in argv.
        r = bob.cli("join", "-", input=invite["code"] + "\n")
        self.assertExit(r, 0, "inmost join - (code on stdin)")
        wait_for(lambda: harness.link_up(alice, bob), 20, "the link after a CLI join")
        number = alice.status()["safety_number"]
        self.assertEqual(bob.status()["safety_number"], number)
        r = bob.cli("status")
        self.assertIn("up", r.stdout)
        self.assertIn(number.replace(" ", ""), "".join(re.findall(r"(?<!\d)\d{5}(?!\d)", r.stdout)))

        r = alice.cli("send", "hello")
        self.assertExit(r, 0, "inmost send hello")
        r = alice.cli("send", "two", "words")
        self.assertExit(r, 0, "inmost send two words")
        r = alice.cli("send", "-", input="from stdin\n")
        self.assertExit(r, 0, "inmost send - (stdin)")
        r = alice.cli("send", "-", input="line one\nline two\n")
        self.assertExit(r, 0, "inmost send - (two lines)")
        r = alice.cli("send", "--", "-dash first")
        self.assertExit(r, 0, "inmost send -- -dash first")
        r = alice.cli("send", "--json", "json out")
        self.assertExit(r, 0, "inmost send --json")
        sent = json.loads(r.stdout)
        self.assertTrue(sent["id"].isdigit())

        expected = ["hello", "two words", "from stdin", "line one\nline two", "-dash first",
                    "json out"]
        self.assertEqual(texts(alice.history_all()), expected)

        r = alice.cli("history")
        self.assertExit(r, 0, "inmost history")
        for t in ["hello", "two words", "from stdin", "line one", "line two", "-dash first"]:
            self.assertIn(t, r.stdout)
        self.assertLess(r.stdout.index("hello"), r.stdout.index("json out"))

        wait_equal(lambda: texts(bob.history_all()), expected, 20, "bob to receive everything")
        r = bob.cli("history", "--limit", "2")
        self.assertExit(r, 0, "inmost history --limit 2")
        self.assertIn("json out", r.stdout)
        self.assertIn("-dash first", r.stdout)
        self.assertNotIn("hello", r.stdout)
        r = bob.cli("history", "--json", "--limit", "3")
        self.assertExit(r, 0, "inmost --json history --limit 3")
        page = json.loads(r.stdout)
        self.assertEqual(texts(page["messages"]), expected[-3:])
        self.assertTrue(page["more"])

        r = bob.cli("read")
        self.assertExit(r, 0, "inmost read")
        wait_for(lambda: all(m["state"] == "READ" for m in alice.history_all()), 20,
                 "alice's messages to become READ after `inmost read`")
        self.assertTrue(all(m["state"] == "READ" for m in bob.history_all()))

        # Text from the partner cannot drive the terminal.
        bob.send("evil \x1b[2J\x1b]0;owned\x07 text")
        wait_for(lambda: "evil" in alice.cli("history").stdout, 20, "the escape message")
        out = alice.cli("history").stdout
        self.assertNotIn("\x1b", out)
        self.assertNotIn("\x07", out)

    def spawn(self, daemon, *args):
        """Starts a long-running CLI command (watch, chat) with pipes on all three streams."""
        proc = subprocess.Popen([INMOST, "--data-dir", daemon.data_dir] + list(args),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

        def end():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    stream.close()
                except OSError:
                    pass
        self.addCleanup(end)
        proc.output = b""
        return proc

    def read_until(self, proc, needle, timeout=20, poke=None):
        """Reads proc's stdout until `needle` shows up; calls poke() about once a second."""
        deadline = time.monotonic() + timeout
        while needle not in proc.output:
            self.assertLess(time.monotonic(), deadline,
                            f"no {needle!r} in the output: {proc.output!r}")
            if poke:
                poke()
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    proc.wait(10)
                    self.fail(f"exited ({proc.returncode}) after printing {proc.output!r}: "
                              + proc.stderr.read().decode())
                proc.output += chunk
        return proc.output

    def test_watch_prints_events(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        watch = self.spawn(alice, "watch")
        # Watch subscribes asynchronously: keep sending until a message shows up.
        n = [0]

        def poke():
            n[0] += 1
            bob.send(f"watch me {n[0]}")
        self.read_until(watch, b"watch me", poke=poke)
        alice.send("for delivered")
        self.read_until(watch, b'"delivered"')
        events = [json.loads(line) for line in watch.output.splitlines() if line.strip()]
        self.assertTrue(any("message_received" in e for e in events), events)
        # The daemon goes away: watch ends with exit code 3.
        alice.stop()
        watch.wait(10)
        self.assertEqual(watch.returncode, 3, watch.stderr.read().decode())

    def test_chat(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        bob.send("before chat")
        wait_equal(lambda: texts(alice.history_all()), ["before chat"], 20, "alice to receive")
        chat = self.spawn(alice, "chat")
        self.read_until(chat, b"before chat")
        # Shown messages are marked read.
        wait_for(lambda: bob.history_all()[0]["state"] == "READ", 20,
                 "bob's message to be read once chat showed it")
        chat.stdin.write(b"typed in chat\n")
        chat.stdin.flush()
        wait_equal(lambda: texts(bob.history_all()), ["before chat", "typed in chat"], 20,
                   "bob to receive the line typed in chat")
        bob.send("answer to chat")
        self.read_until(chat, b"answer to chat")
        chat.stdin.close()
        chat.wait(10)
        self.assertEqual(chat.returncode, 0, chat.stderr.read().decode())

    def test_exit_codes(self):
        alice = self.make_daemon("alice", start=False)  # initialised, not running
        r = alice.cli("status")
        self.assertExit(r, 3, "inmost status without a daemon")
        self.assertEqual(r.stdout, "")
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, f"not one line: {r.stderr!r}")

        empty = tempfile.mkdtemp(prefix="inmost-it-empty-")
        self.addCleanup(os.rmdir, empty)
        for data_dir in (empty, os.path.join(empty, "does-not-exist")):
            for args in (["status"], ["send", "hi"], ["--json", "history"]):
                r = subprocess.run([INMOST, "--data-dir", data_dir] + args,
                                   capture_output=True, text=True, timeout=30)
                self.assertExit(r, 3, f"inmost {' '.join(args)} with no daemon at {data_dir}")
                self.assertEqual(len(r.stderr.strip().splitlines()), 1,
                                 f"not one line: {r.stderr!r}")

        alice.start()
        r = alice.cli("frobnicate")
        self.assertExit(r, 2, "inmost frobnicate")
        r = alice.cli("status", "--no-such-option")
        self.assertExit(r, 2, "inmost status --no-such-option")
        r = alice.cli("send")
        self.assertExit(r, 2, "inmost send (no text)")
        r = alice.cli("history", "--limit", "lots")
        self.assertExit(r, 2, "inmost history --limit lots")
        r = alice.cli("join")
        self.assertExit(r, 2, "inmost join (no code)")
        r = alice.cli("--help")
        self.assertExit(r, 0, "inmost --help")
        self.assertIn("send", r.stdout)

        # Errors the daemon answers with exit 1.
        r = alice.cli("join", "inmost1-notacode")
        self.assertExit(r, 1, "inmost join with a bad code")
        self.assertTrue(r.stderr.strip())
        r = alice.cli("join", "inmost1-notacode", json_output=True)
        self.assertExit(r, 1, "inmost --json join with a bad code")
        self.assertIn("error", json.loads(r.stdout))
        r = alice.cli("unpair", "--yes")
        self.assertExit(r, 1, "inmost unpair --yes while unpaired")
        self.assertTrue(alice.running())

    def test_send_says_delivered_only_when_it_was(self):
        alice, bob = self.pair_up()
        # One message through first, so the streams are open and the CLI's short wait
        # for the confirmation measures only a round trip.
        first = alice.send("first")
        alice.wait_entry(first["id"], lambda m: m["state"] == "DELIVERED", 20, "the first one")
        r = alice.cli("send", "are you there?")
        self.assertExit(r, 0, "inmost send over a live link")
        self.assertRegex(r.stdout, r"^Message #\d+ is delivered\.\n$")
        self.assertEqual(alice.history_all()[-1]["state"], "DELIVERED")
        bob.stop()
        wait_for(lambda: not alice.status()["link_up"], 20, "alice to see the link down")
        r = alice.cli("send", "later then")
        self.assertExit(r, 0, "inmost send with the link down")
        self.assertRegex(r.stdout, r"^Message #\d+ is in the outbox; it is delivered as soon "
                                   r"as your partner is reachable\.\n$")

    def test_texts_too_long_are_refused_with_the_limit(self):
        alice = self.make_daemon("alice")
        # Over the text limit: the daemon's reason.
        r = alice.cli("send", "-", input="x" * 200_000)
        self.assertExit(r, 1, "inmost send - (200 KB)")
        self.assertIn("60000", r.stderr)
        # Over the request limit, so the daemon closes mid-write: still its reason,
        # not the broken pipe the client saw.
        r = alice.cli("send", "-", input="x" * 2_000_000)
        self.assertExit(r, 1, "inmost send - (2 MB)")
        self.assertIn("over inmostd's limit of 1048576 bytes; send something this large as "
                      "a file", r.stderr)
        self.assertNotIn("Broken pipe", r.stderr)
        self.assertEqual(alice.status()["unacknowledged"], "0")  # Nothing was accepted.

    def test_unpair_needs_yes(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        r = alice.cli("unpair")
        self.assertNotEqual(r.returncode, 0, "unpair without --yes must not succeed")
        self.assertTrue(alice.status()["paired"])
        r = alice.cli("unpair", "--yes")
        self.assertExit(r, 0, "inmost unpair --yes")
        self.assertFalse(alice.status()["paired"])
        r = alice.cli("status")
        self.assertIn("not paired", r.stdout)


class DaemonCommandLineTest(IntegrationTest):
    """inmostd's own command line: init, the private data directory, passphrases."""

    def run_daemon(self, *args, input=None, timeout=30):
        return subprocess.run([harness.INMOSTD] + list(args), input=input, capture_output=True,
                              text=True, timeout=timeout)

    def test_help_and_usage_errors(self):
        r = self.run_daemon("--help")
        self.assertExit(r, 0, "inmostd --help")
        self.assertIn("init", r.stdout)
        r = self.run_daemon("frobnicate")
        self.assertExit(r, 2, "inmostd frobnicate")
        r = self.run_daemon("run", "--no-such-option")
        self.assertExit(r, 2, "inmostd run --no-such-option")
        r = self.run_daemon("run", "--keepalive-ms", "0")
        self.assertExit(r, 2, "inmostd run --keepalive-ms 0")
        # The help lists the exit codes it just gave (the README says it does).
        r = self.run_daemon("--help")
        exit_codes = r.stdout[r.stdout.index("Exit codes:"):]
        for code in ("0  success", "1  failed", "2  usage error"):
            self.assertIn(code, exit_codes)

    def test_a_second_daemon_on_the_same_data_dir_names_the_first(self):
        alice = self.make_daemon("alice")
        r = self.run_daemon("run", "--data-dir", alice.data_dir, "--listen", "127.0.0.1:0")
        self.assertExit(r, 1, "a second inmostd run on alice's data dir")
        self.assertEqual(
            r.stderr.strip().splitlines()[-1],
            f"inmostd: inmostd is already running with this data directory "
            f"(pid {alice.proc.pid}); stop it first or use another --data-dir")
        self.assertEqual(alice.status()["paired"], False)  # The first keeps serving.

    def test_version_names_the_release_and_the_revision(self):
        with open(os.path.join(harness.ROOT, "CMakeLists.txt")) as f:
            release = re.search(r"project\(inmost VERSION (\S+)", f.read()).group(1)
        head = subprocess.run(["git", "-C", harness.ROOT, "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True)
        revision = head.stdout.strip() if head.returncode == 0 else "unknown"
        for program, args in (("inmostd", [harness.INMOSTD, "--version"]),
                              ("inmostd", [harness.INMOSTD, "version"]),
                              ("inmost", [INMOST, "--version"])):
            r = subprocess.run(args, capture_output=True, text=True, timeout=30)
            self.assertExit(r, 0, " ".join([program] + args[1:]))
            self.assertRegex(r.stdout, r"^%s %s \(git (%s(-modified)?)\)\n$"
                             % (program, re.escape(release), re.escape(revision)))
            self.assertEqual(r.stderr, "")
        r = subprocess.run([INMOST, "--help"], capture_output=True, text=True, timeout=30)
        self.assertIn("--version", r.stdout)

    def test_data_dir_is_private(self):
        d = self.make_daemon("alice", start=False)  # init() checks the 0700 mode
        r = self.run_daemon("init", "--data-dir", d.data_dir)
        self.assertNotEqual(r.returncode, 0, "a second init over an existing store succeeded")
        self.assertTrue(r.stderr.strip())

        # A data directory others can read is refused at run.
        os.chmod(d.data_dir, 0o755)
        r = self.run_daemon("run", "--data-dir", d.data_dir, "--listen", "127.0.0.1:0")
        self.assertNotEqual(r.returncode, 0, "run accepted a data directory open to others")
        self.assertIn(d.data_dir, r.stderr)
        os.chmod(d.data_dir, 0o700)
        d.start()
        d.stop()

        # init refuses an existing directory open to others, and leaves its mode alone.
        open_dir = os.path.join(d.tmp, "open")
        os.mkdir(open_dir, 0o755)
        os.chmod(open_dir, 0o755)
        r = self.run_daemon("init", "--data-dir", open_dir)
        self.assertNotEqual(r.returncode, 0, "init accepted a directory open to others")
        self.assertEqual(os.stat(open_dir).st_mode & 0o777, 0o755)

        # A missing data directory: run says how to create one.
        r = self.run_daemon("run", "--data-dir", os.path.join(d.tmp, "missing"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("inmostd init", r.stderr)

    def test_passphrase(self):
        d = Daemon("alice")
        self._daemons.append(d)
        self.addCleanup(self._check_and_stop, d)
        d.init(passphrase="correct horse battery staple")
        base = ["run", "--data-dir", d.data_dir, "--listen", "127.0.0.1:0"]
        r = self.run_daemon(*base)
        self.assertNotEqual(r.returncode, 0, "run without the passphrase succeeded")
        r = self.run_daemon(*base, "--passphrase-stdin", input="wrong horse\n")
        self.assertNotEqual(r.returncode, 0, "run with a wrong passphrase succeeded")
        d.start(passphrase="correct horse battery staple")
        d.send("sealed")
        d.stop()
        d.start(passphrase="correct horse battery staple")
        self.assertEqual(texts(d.history_all()), ["sealed"])


if __name__ == "__main__":
    harness.main()
