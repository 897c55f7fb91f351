#!/usr/bin/env python3
"""Secret hygiene: no key or content in any log line, no core dumps, no passphrase,
invite code or key left in a running program's ordinary memory, and a control socket
no other local user can reach.

Every integration test also checks, after it ends, that no daemon log holds any
text, answer, question or invite code the test gave a daemon (harness.py); here the
same is done at debug level over every kind of message, plus the storage key.

The memory checks take a core of the live process with gdb's gcore (which reads its
memory through ptrace, whatever its core-dump settings; memory marked not to be
dumped, as libsodium marks its own, stays out, as it would in a real core) and look
for the secret's bytes in it. Without gdb, or where ptrace is not allowed, they
print SKIPPED and are skipped; so they are in a sanitizer build, whose shadow memory
would make the core huge and says nothing about the real daemon's.

The widest of them works a daemon through every path a secret takes and looks for
each known secret (raw, half, hex, base64) in its core: the passphrases, the invite
code and its secret, both storage keys, the envelope and file keys (read from both
stores afterwards with inmost_store_probe secret-keys, deleted versions too) and the Noise transport
keys of every session, closed ones included (from the key log a test build writes
when $INMOST_TEST_NOISE_KEY_LOG is set, daemon/config/test_hooks.h).
"""

import base64
import binascii
import fcntl
import mmap
import os
import secrets
import shutil
import socket
import stat
import struct
import subprocess
import sys
import termios
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import SANITIZER, Daemon, IntegrationTest, pair, wait_for

ARRIVE = 20.0
NOBODY_UID = 65534
SYSTEM_PYTHON = "/usr/bin/python3"  # ours may live where another user cannot reach
GCORE_TIMEOUT = 180.0  # gdb reads the program's symbols first: slow on a busy machine
CLI_READ_TIMEOUT = 20.0
TRANSFER = 60.0
NOISE_KEY_LOG = "INMOST_TEST_NOISE_KEY_LOG"  # daemon/config/test_hooks.h


def take_core(pid, path):
    """Writes a core of the live process `pid` to `path` with gdb's gcore; returns
    None, or why no core could be taken."""
    if SANITIZER:
        return f"a {SANITIZER} sanitizer build: its shadow memory says nothing of the real one"
    gdb = shutil.which("gdb")
    if gdb is None:
        return "gdb is not installed (scripts/setup installs it)"
    try:
        r = subprocess.run([gdb, "-nx", "-batch", "-p", str(pid), "-ex", f"gcore {path}"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=GCORE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"gdb took longer than {GCORE_TIMEOUT:.0f} s to write a core"
    if r.returncode != 0 or not os.path.isfile(path) or os.path.getsize(path) == 0:
        detail = (r.stderr.strip() or r.stdout.strip())[-400:]
        return f"gdb could not take a core of process {pid} (is ptrace allowed?): {detail}"
    return None


def key_forms(raw):
    """The forms a key's bytes may take in memory: raw (whole, and each half, for a
    partial copy), hex and base64 (how keys travel through JSON and logs)."""
    half = len(raw) // 2
    return {"raw": raw, "first half": raw[:half], "second half": raw[half:],
            "hex": raw.hex().encode(), "HEX": raw.hex().upper().encode(),
            "base64": base64.b64encode(raw), "base64url": base64.urlsafe_b64encode(raw)}


def text_forms(text):
    """A text secret (a passphrase, an invite code): whole and its random second half."""
    return {"text": text.encode(), "second half": text[len(text) // 2:].encode()}


def invite_secret(code):
    """The one-time pairing secret (the Noise psk) an invite code carries (format 1)."""
    body = code[len("inmost1-"):].upper()
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    return raw[1 + 32:1 + 32 + 32]


def mapping_at(core, offset, maps):
    """Where in the process the core's byte `offset` was: its address and the line of
    /proc/PID/maps (`maps`, read as the core was taken) that holds it: the heap, a
    thread's stack, or the notes, where gcore saves each thread's registers."""
    phoff, = struct.unpack_from("<Q", core, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", core, 0x36)
    for i in range(phnum):
        kind, _, file_offset, vaddr, _, file_size = struct.unpack_from(
            "<IIQQQQ", core, phoff + i * phentsize)
        if kind == 4 and file_offset <= offset < file_offset + file_size:
            return "in the notes: a thread's saved registers"
        if kind == 1 and file_offset <= offset < file_offset + file_size:
            address = vaddr + offset - file_offset
            for line in maps.splitlines():
                low, high = (int(x, 16) for x in line.split()[0].split("-"))
                if low <= address < high:
                    return f"{address:#x} in {line.strip()}"
            return f"{address:#x}"
    return "outside every segment"


def unread_bytes(fd):
    """How many bytes wait in the pipe whose end `fd` is (FIONREAD)."""
    return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4), sys.byteorder)


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

    def core_of(self, pid, owner):
        """The bytes of a core of the live process `pid` (removed when the test ends), or
        a loud skip when none can be taken."""
        path = os.path.join(owner.tmp, f"core.{pid}") if owner else None
        if path:
            self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        reason = take_core(pid, path)
        if reason is not None:
            sys.stderr.write(f"\n*** SKIPPED {self.id()}: {reason} ***\n")
            sys.stderr.flush()
            self.skipTest(reason)
        with open(path, "rb") as f:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)

    def assertNotInCore(self, secret, core, what):
        """`secret` (str) is nowhere in `core`, not even its random half alone."""
        for piece in (secret, secret[len(secret) // 2:]):
            at = core.find(piece.encode())
            self.assertEqual(at, -1, f"{what} is in the core, at offset {at}")

    def test_a_running_daemon_holds_no_passphrase(self):
        """The passphrase given to init and run on standard input is gone from the running
        daemon's memory: read past stdio's buffer straight into wiped memory, wiped once the
        storage key is unwrapped."""
        passphrase = "our shared passphrase " + secrets.token_hex(16)
        # Only on standard input: not in the environment or on the command line.
        alice = Daemon("alice")
        self._daemons.append(alice)
        self.addCleanup(self._check_and_stop, alice)
        alice.init(passphrase=passphrase)
        alice.start(passphrase=passphrase)
        alice.send("a text, so the daemon has done some work")
        core = self.core_of(alice.proc.pid, alice)
        # The core holds the daemon's ordinary memory (its data directory's path is in
        # it), so finding no passphrase means something.
        self.assertNotEqual(core.find(alice.data_dir.encode()), -1,
                            "the core lacks the daemon's own memory")
        self.assertNotInCore(passphrase, core, "the passphrase")
        self.assertTrue(alice.status()["fingerprint"], "the daemon did not survive the core")

    def test_a_working_daemon_holds_no_secret_in_ordinary_memory(self):
        """Every secret a daemon has handled stays in wiped memory end to end: a core of
        the live daemon (unlocked with a passphrase, paired through an invite, backed up
        under a passphrase, envelopes and files sent and opened both ways, one Noise
        session closed) holds none of the passphrases, the invite code or its secret,
        the storage keys, the envelopes' released keys, the file keys or the Noise
        transport keys."""
        self.require_test_hooks()  # the Noise key log (INMOST_TEST_NOISE_KEY_LOG)
        if SANITIZER:
            self.core_of(0, None)  # skips loudly, before the slow part
        unlock = "unlock passphrase " + secrets.token_hex(16)
        alice = Daemon("alice")
        self._daemons.append(alice)
        self.addCleanup(self._check_and_stop, alice)
        key_log = os.path.join(alice.tmp, "noise-keys.log")
        alice.env = {NOISE_KEY_LOG: key_log}
        alice.init(passphrase=unlock)
        alice.start(passphrase=unlock)
        bob = self.make_daemon("bob")
        code = pair(alice, bob)  # alice invites: the code leaves through her control socket
        harness.remember_secret(code)
        backup_passphrase = "backup passphrase " + secrets.token_hex(16)
        harness.remember_secret(backup_passphrase)
        alice.rpc("backup", {"path": os.path.join(alice.tmp, "alice.backup"),
                             "passphrase": backup_passphrase})

        for sender, receiver in ((alice, bob), (bob, alice)):
            body = f"a gentle envelope from {sender.name} {secrets.token_hex(8)}"
            sender.rpc("send", {"text": body, "gentle": True, "note": "when you are ready"})
            held = receiver.wait_find(
                lambda m: m["direction"] == "INCOMING" and m.get("envelope"), ARRIVE,
                "the gentle envelope")
            receiver.rpc("open", {"id": held["id"]})
            receiver.wait_entry(held["id"], lambda m: m.get("text") == body, ARRIVE,
                                "the envelope to open with its released key")
            path = os.path.join(sender.tmp, "a file")
            harness.write_random_file(path, 200_000)
            caption = f"a file from {sender.name} {secrets.token_hex(4)}"
            sender.rpc("send", {"text": caption, "file_path": path})
            receiver.wait_find(
                lambda m: m["direction"] == "INCOMING" and m.get("text") == caption and
                (m.get("file") or {}).get("state") == "RECEIVED", TRANSFER, "the file")

        # Alice's session with bob closes when bob stops; a new one opens when he is back.
        bob.stop()
        wait_for(lambda: not alice.status()["link_up"], ARRIVE, "alice to see the link down")
        bob.start(same_port=True)
        harness.wait_linked(alice, bob, ARRIVE, "linked again")
        harness.exchange_texts(alice, bob, "over the new session", ARRIVE)

        with open(f"/proc/{alice.proc.pid}/maps") as f:
            maps = f.read()
        core = self.core_of(alice.proc.pid, alice)
        self.assertNotEqual(core.find(alice.data_dir.encode()), -1,
                            "the core lacks the daemon's own memory")
        alice.stop()
        bob.stop()
        secrets_checked = {"the unlock passphrase": text_forms(unlock),
                           "the backup passphrase": text_forms(backup_passphrase),
                           "the invite code": text_forms(code),
                           "the invite's secret": key_forms(invite_secret(code))}
        # The storage keys, and every key either store holds or held (released envelope
        # keys are deleted, but LevelDB's files still hold them), read with the probe.
        for d, given in ((alice, unlock + "\n"), (bob, None)):
            r = subprocess.run([harness.STORE_PROBE, "secret-keys", d.data_dir], input=given,
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            prefixes = set()
            for n, line in enumerate(r.stdout.splitlines()):
                prefix, key = line.split()
                prefixes.add(prefix)
                secrets_checked[f"{d.name}'s {prefix} key #{n}"] = key_forms(bytes.fromhex(key))
            # The envelope each sent, its key released; the files both hold.
            self.assertLessEqual({"ek/", "fk/"}, prefixes, f"{d.name}'s store holds {prefixes}")
        with open(key_log) as f:
            sessions = [line.split() for line in f if line.strip()]
        self.assertGreaterEqual(len(sessions), 2, "the key log lacks the closed session")
        for i, (send, receive) in enumerate(sessions):
            state = "open" if i == len(sessions) - 1 else "closed"
            secrets_checked[f"the send key of {state} session {i}"] = key_forms(
                bytes.fromhex(send))
            secrets_checked[f"the receive key of {state} session {i}"] = key_forms(
                bytes.fromhex(receive))

        found = []
        for what, forms in secrets_checked.items():
            for form, piece in forms.items():
                at = core.find(piece)
                if at != -1:
                    found.append(f"{what} ({form}) at {mapping_at(core, at, maps)}")
        sys.stderr.write(f"\nsecret bytes found in the core: {len(found)} "
                         f"({len(secrets_checked)} secrets checked: "
                         f"{', '.join(secrets_checked)})\n" +
                         "".join(f"  {f}\n" for f in found))
        self.assertEqual(found, [], "secrets in the core of the live daemon")

    def test_join_holds_no_invite_code_while_it_reads(self):
        """`inmost join -` reads the code straight into wiped memory: while it waits for
        the rest of its input, the code it has read is nowhere else in its memory."""
        alice = self.make_daemon("alice")
        code = "inmost1-" + secrets.token_hex(24)
        harness.remember_secret(code)
        join = subprocess.Popen([harness.INMOST, "--data-dir", alice.data_dir, "join", "-"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.addCleanup(lambda: join.poll() is None and join.kill())
        join.stdin.write(code.encode() + b"\n")
        join.stdin.flush()
        wait_for(lambda: unread_bytes(join.stdin.fileno()) == 0, CLI_READ_TIMEOUT,
                 "inmost join to read the code")
        core = self.core_of(join.pid, alice)
        self.assertNotEqual(core.find(alice.data_dir.encode()), -1,
                            "the core lacks the program's own memory")
        self.assertNotInCore(code, core, "the invite code")
        _, err = join.communicate(timeout=CLI_READ_TIMEOUT)  # closes its input
        self.assertEqual(join.returncode, 1, f"inmost join with a made-up code: {err!r}")

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
