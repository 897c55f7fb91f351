#!/usr/bin/env python3
"""Storage faults: a full disk, a read-only data directory, damaged store files.

The daemon must refuse new messages with a clear error, lose nothing it had
accepted, keep serving, and recover once the disk is usable again; damaged files
must be reported, never silently skipped. The data directory lives on a small
tmpfs, so these tests need the right to mount (root); elsewhere they are skipped.
"""

import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, RpcError, pair, wait_for

TMPFS_SIZE = "8m"          # small enough to fill in a moment
ARRIVE = 20.0              # seconds for a message to reach the partner
FILL_HEADROOM = 4096       # bytes left free when filling the disk


def can_mount():
    if os.geteuid() != 0:
        return False
    probe = tempfile.mkdtemp(prefix="inmost-mount-probe-")
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe],
                            capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", probe], check=True)
        return ok
    finally:
        os.rmdir(probe)


MOUNT_OK = can_mount()


@unittest.skipUnless(MOUNT_OK, "needs permission to mount a tmpfs (run as root)")
class StorageFaultTest(IntegrationTest):

    def daemon_on_tmpfs(self, name):
        """A started daemon whose data directory is on its own small tmpfs."""
        d = harness.Daemon(name)
        self.mount = os.path.join(d.tmp, "mnt")
        os.makedirs(self.mount)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", self.mount],
                       check=True)
        self.addCleanup(subprocess.run, ["umount", "-l", self.mount])
        d.data_dir = os.path.join(self.mount, "data")
        d.socket_path = os.path.join(d.data_dir, "control.sock")
        self._daemons.append(d)
        self.addCleanup(self._check_and_stop, d)  # runs before the umount
        d.init().start()
        return d

    def fill_disk(self):
        path = os.path.join(self.mount, "filler")
        st = os.statvfs(self.mount)
        with open(path, "wb") as f:
            try:
                f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - FILL_HEADROOM))
            except OSError:
                pass  # full is what we want
        return path

    def send_until_refused(self, d, prefix, limit=500):
        """Sends until the daemon refuses; returns (accepted texts, the error)."""
        accepted = []
        for i in range(limit):
            text = f"{prefix} {i} " + "x" * 1500
            try:
                d.send(text)
                accepted.append(text)
            except RpcError as e:
                return accepted, e
        self.fail(f"{d.name} accepted {limit} messages on a full disk")

    def assert_all_arrive(self, receiver, texts):
        wanted = set(texts)
        wait_for(lambda: wanted <= {m["text"] for m in receiver.history_all()}, ARRIVE,
                 f"{len(wanted)} messages at {receiver.name}")
        got = [m["text"] for m in receiver.history_all() if m["text"] in wanted]
        self.assertEqual(len(got), len(wanted), "a message arrived twice")

    def test_full_disk_refuses_clearly_loses_nothing_and_recovers(self):
        """Bound: every accepted message survives a full disk and a kill -9 after it."""
        alice = self.daemon_on_tmpfs("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        before = [f"before {i}" for i in range(10)]
        for t in before:
            alice.send(t)
        filler = self.fill_disk()
        during, error = self.send_until_refused(alice, "during")
        self.assertIn(error.code_name, ("resource_exhausted", "unavailable"), error)
        self.assertIn("full", error.message)
        self.assertTrue(alice.status()["paired"], "status must keep answering")
        # A second refusal is just as clear, and nothing is half-accepted.
        with self.assertRaises(RpcError) as again:
            alice.send("refused too")
        self.assertIn("full", again.exception.message)

        os.remove(filler)
        after = [f"after {i}" for i in range(5)]
        wait_for(lambda: self._try_send(alice, after[0]), ARRIVE, "sends to work again")
        for t in after[1:]:
            alice.send(t)
        self.assert_all_arrive(bob, before + during + after)
        self.assertNotIn("refused too", {m["text"] for m in bob.history_all()})

        # The failed writes left nothing that stops the store from opening again.
        alice.kill9()
        alice.start()
        mine = {m["text"] for m in alice.history_all()}
        self.assertTrue(set(before + during + after) <= mine, "alice lost accepted messages")

    def test_a_file_larger_than_the_disk_fails_clearly_and_texts_go_on(self):
        """Bound: a file that fills the recipient's disk fails on both sides with the
        reason, its partial copy is removed, and texts flow both ways afterwards."""
        alice = self.make_daemon("alice")
        bob = self.daemon_on_tmpfs("bob")
        pair(alice, bob)
        path = os.path.join(alice.tmp, "too-big.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(12 << 20))  # the tmpfs holds 8 MiB
        a_id = alice.rpc("send", {"text": "the whole album", "file_path": path})["id"]

        def state(d, history_id):
            return d.entry(history_id).get("file", {}).get("state")
        wait_for(lambda: state(alice, a_id) == "FAILED", ARRIVE, "the sender to see it fail")
        error = alice.entry(a_id)["file"].get("error", "")
        self.assertIn("could not store it", error)
        (mine,) = [m for m in bob.history_all() if m.get("file")]
        self.assertEqual(mine["file"]["state"], "FAILED", mine)
        self.assertEqual(os.listdir(os.path.join(bob.data_dir, "files")), [],
                         "the partial copy must go")
        wait_for(lambda: self._try_send(bob, "still here"), ARRIVE, "bob to send again")
        alice.send("me too")
        self.assert_all_arrive(alice, ["still here"])
        self.assert_all_arrive(bob, ["me too"])

    def _try_send(self, d, text):
        try:
            d.send(text)
            return True
        except RpcError:
            return False

    def test_read_only_data_directory_refuses_then_recovers(self):
        """Bound: on a read-only file system the daemon says so and loses nothing.

        (A file system cannot turn read-only under a daemon that has files open for
        writing, so the daemon meets it at start.)
        """
        alice = self.daemon_on_tmpfs("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        alice.send("written before")
        self.assert_all_arrive(bob, ["written before"])
        alice.stop()
        subprocess.run(["mount", "-o", "remount,ro", self.mount], check=True)
        with self.assertRaises(AssertionError) as refused:
            alice.start()
        self.assertIn("read-only", str(refused.exception))
        alice.proc = None  # it exited, as it should
        subprocess.run(["mount", "-o", "remount,rw", self.mount], check=True)
        alice.start()
        alice.send("written after")
        self.assert_all_arrive(bob, ["written before", "written after"])
        self.assertIn("written before", {m["text"] for m in alice.history_all()})

    def stopped_daemon_and_its_largest_table(self):
        """A paired daemon with a conversation in table files, stopped."""
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        for i in range(200):
            alice.send(f"message {i} " + "y" * 200)
        alice.stop()  # a clean stop and start move the log into a table file
        alice.start()
        alice.stop()
        store = os.path.join(alice.data_dir, "store")
        tables = [os.path.join(store, n) for n in os.listdir(store) if n.endswith(".ldb")]
        self.assertTrue(tables, f"no table file in {os.listdir(store)}")
        return alice, max(tables, key=os.path.getsize)

    def test_damaged_table_file_is_reported(self):
        """Bound: a flipped byte in a table file is an error that names the damage."""
        alice, victim = self.stopped_daemon_and_its_largest_table()
        with open(victim, "r+b") as f:
            f.seek(os.path.getsize(victim) // 3)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))
        # Either the daemon refuses to start, or reading the history says why.
        try:
            alice.start()
        except AssertionError as e:
            self.assertRegex(str(e), r"(?i)damaged|corrupt|checksum")
            alice.proc = None  # it exited as it should: nothing to stop
            return
        # The byte may be in the history or in other records (the search index's):
        # a backup reads every record.
        with self.assertRaises(RpcError) as damaged:
            alice.history_all()
            self.backup(alice)
        self.assertEqual(damaged.exception.code_name, "corruption", damaged.exception)
        self.assertTrue(alice.status()["paired"], "the daemon keeps serving")

    def test_truncated_table_file_is_reported(self):
        """Bound: a table file cut short is reported at start or on read, not skipped."""
        alice, victim = self.stopped_daemon_and_its_largest_table()
        os.truncate(victim, os.path.getsize(victim) // 2)
        try:
            alice.start()
        except AssertionError as e:
            self.assertRegex(str(e), r"(?i)damaged|corrupt|truncat|checksum")
            alice.proc = None
            return
        with self.assertRaises(RpcError) as damaged:
            alice.history_all()
        self.assertIn(damaged.exception.code_name, ("corruption", "io_error"), damaged.exception)


if __name__ == "__main__":
    harness.main()
