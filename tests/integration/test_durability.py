#!/usr/bin/env python3
"""Durable names (issue 16, item 4): every file or folder inmost creates or renames,
and then acknowledges or reports, has its folder fsynced first, so a power cut cannot
take back what both sides recorded.

Without a power-cut file system, the real programs run under strace (openat, mkdir,
rename, link, fsync and fdatasync, with -y naming each descriptor's path) and the
trace is checked: after each create or rename of a name that matters (the data
directory and its parents, storage.key, store/ and its CURRENT, files/, a received
file's blob, a saved file, a backup, an export, everything a restore makes) the folder
holding it is fsynced; a new folder is, before anything is created in it (store/ is
LevelDB's to fill, and synced before init reports). What matters is checked at the
moment the test sees it acknowledged: the trace is read as soon as the recipient
acknowledges the first chunks of a file (strace writes each call at its return, before the
program goes on), and once `save` has replied.

LevelDB syncs store/ only with a new MANIFEST, which left a new log's name (made
when the memtable fills, and synced only at the end of the flush) and CURRENT's
rename undurable; the store's Env (daemon/store/unmapped_env.cc) syncs store/ after
each. test_power_cut.py found the first on a filesystem that forgets what was not
synced, which is where those are checked. When strace is missing or ptrace is not
allowed, the tests print SKIPPED and are skipped.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import SLOWDOWN, IntegrationTest, pair, wait_for  # noqa: E402

ARRIVE = 20.0 * SLOWDOWN    # seconds for an offer to cross the link
TRANSFER = 60.0 * SLOWDOWN  # seconds for the file to finish
KiB = 1 << 10
CHUNK = 64512               # plaintext bytes per chunk (the daemon's chunk size)
TRACED_CALLS = ("openat,open,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,"
                "fsync,fdatasync")


# LeakSanitizer cannot run under ptrace: it stops a traced program at exit with a
# fatal error. Leaks are checked by every other test of a sanitizer build.
if harness.SANITIZER:
    os.environ["ASAN_OPTIONS"] = ":".join(
        filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"]))


def strace_prefix(trace_path):
    return ["strace", "-f", "-y", "-o", trace_path, "-e", f"trace={TRACED_CALLS}"]


def why_no_strace():
    """None when strace can trace a program here, else why not."""
    if shutil.which("strace") is None:
        return "strace is not installed (scripts/setup installs it)"
    try:
        r = subprocess.run(["strace", "-f", "-o", os.devnull, "-e", "trace=fsync", "true"],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"strace does not run: {e}"
    if r.returncode != 0:
        return f"ptrace is not allowed here: {r.stderr.strip()[:200]}"
    return None


# ---- reading a trace ---------------------------------------------------------------

CALL = re.compile(r"^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)(?:<(.*?)>)?")
UNFINISHED = re.compile(r"^(\d+)\s+(.*) <unfinished \.\.\.>$")
RESUMED = re.compile(r"^(\d+)\s+<\.\.\. \w+ resumed>(.*)$")
AT_CALLS = {"openat", "mkdirat", "renameat", "renameat2", "linkat"}  # paths after a dir fd
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
FD_PATH = re.compile(r"(?:AT_FDCWD|\d+)<([^>]*)>")
CWD = re.compile(r"AT_FDCWD<([^>]*)>")


def calls(text):
    """(pid, name, args, result, result path) of each finished call, in the order they
    returned; a call another thread's line interrupted is put back together."""
    pending = {}
    for line in text.splitlines():
        m = UNFINISHED.match(line)
        if m:
            pending[m.group(1)] = m.group(2)
            continue
        m = RESUMED.match(line)
        if m:
            if m.group(1) not in pending:
                continue
            line = f"{m.group(1)} {pending.pop(m.group(1))}{m.group(2)}"
        m = CALL.match(line)
        if m:
            yield m.group(1), m.group(2), m.group(3), int(m.group(4)), m.group(5)


def events(text):
    """("create", path, source) and ("sync", path, None) in trace order, every path
    absolute (a relative one against its directory descriptor, or the working
    directory that the trace's AT_FDCWD<...> shows)."""
    all_calls = list(calls(text))
    cwds = {}
    for pid, _, args, _, _ in all_calls:
        m = CWD.search(args)
        if m:
            cwds.setdefault(pid, m.group(1))
            cwds.setdefault(None, m.group(1))
    out = []
    for pid, name, args, result, result_path in all_calls:
        if result < 0:
            continue
        strings = STRING.findall(args)
        dirs = FD_PATH.findall(args)

        def at(i):
            # The i-th path argument, against its directory descriptor (AT_FDCWD<cwd>).
            path = strings[i]
            if name in AT_CALLS and i < len(dirs):
                base = dirs[i]
            else:
                base = cwds.get(pid, cwds.get(None, ""))
            return os.path.normpath(os.path.join(base, path))

        if name in ("fsync", "fdatasync") and dirs:
            out.append(("sync", os.path.normpath(dirs[0]), None))
        elif name in ("mkdir", "mkdirat") and strings:
            out.append(("create", at(0), None))
        elif name in ("open", "openat", "creat") and strings and (
                "O_CREAT" in args or name == "creat"):
            out.append(("create", os.path.normpath(result_path) if result_path else at(0), None))
        elif name in ("rename", "renameat", "renameat2", "link", "linkat") and len(strings) >= 2:
            out.append(("create", at(1), at(0)))
    return out


def read_trace(path):
    with open(path, errors="replace") as f:
        return f.read()


def under(path, root):
    return path == root or path.startswith(root + os.sep)


def relevant(path, roots):
    """Whether path is a name inmost must make durable: under a test root, and not one
    of LevelDB's own files in store/ (CURRENT excepted)."""
    for root in roots:
        if under(path, root):
            parts = os.path.relpath(path, root).split(os.sep)
            return "store" not in parts[:-1] or parts[-1] == "CURRENT"
    return False


def unsynced(trace, roots):
    """(problems, every relevant name created): each relevant create or rename whose
    folder is not fsynced after it (a new folder: before anything is created in it)."""
    evs = events(trace)
    roots = {os.path.normpath(r) for r in roots} | {os.path.realpath(r) for r in roots}
    problems = []
    created = set()
    for i, (kind, path, _) in enumerate(evs):
        if kind != "create" or not relevant(path, roots):
            continue
        if any(k == "create" and source == path for k, _, source in evs[i + 1:]):
            continue  # a temp file renamed to its final name, which is checked instead
        created.add(path)
        parent = os.path.dirname(path)
        end = len(evs)
        if os.path.basename(path) != "store":
            for j in range(i + 1, len(evs)):
                if evs[j][0] == "create" and under(evs[j][1], path) and evs[j][1] != path:
                    end = j
                    break
        if not any(evs[j][0] == "sync" and evs[j][1] == parent for j in range(i + 1, end)):
            detail = "" if end == len(evs) else f", before {evs[end][1]} was created in it"
            problems.append(f"{path} was created, but its folder {parent} was not fsynced "
                            f"after that{detail}")
    return problems, created


class DurabilityTest(IntegrationTest):
    maxDiff = None  # every name a power cut could take back, in full

    def setUp(self):
        reason = why_no_strace()
        if reason is not None:
            sys.stderr.write(f"\n*** SKIPPED {self.id()}: {reason} ***\n")
            sys.stderr.flush()
            self.skipTest(reason)
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="inmost-it-durability-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def traced_daemon(self, name, data_subdir=("data",)):
        """A daemon whose `init` and `run` go under strace, its data directory at
        data_subdir under its own temporary directory; returns (daemon, init trace)."""
        d = harness.Daemon(name)
        self._daemons.append(d)
        self.addCleanup(self._check_and_stop, d)
        d.data_dir = os.path.join(d.tmp, *data_subdir)
        d.socket_path = os.path.join(d.data_dir, "control.sock")
        init_trace = os.path.join(d.tmp, "init.trace")
        d.command_prefix = strace_prefix(init_trace)
        d.init()
        d.command_prefix = strace_prefix(os.path.join(d.tmp, "run.trace"))
        return d, init_trace

    def assertDurable(self, trace, roots, must_create, what):
        """Every relevant name in trace has its folder synced; must_create were made."""
        problems, created = unsynced(trace, roots)
        missing = sorted(set(must_create) - created)
        self.assertEqual(missing, [], f"{what}: the trace shows no create of these (is the "
                                      f"trace parsed right?); it shows {sorted(created)}")
        self.assertEqual(problems, [], f"{what}: names that a power cut could take back")

    # ---- the tests ------------------------------------------------------------------

    def test_init_syncs_the_new_data_directory_and_all_it_creates(self):
        d, init_trace = self.traced_daemon("carol", ("nested", "deeper", "data"))
        nested = os.path.join(d.tmp, "nested")
        self.assertDurable(
            read_trace(init_trace), [d.tmp],
            [nested, os.path.join(nested, "deeper"), d.data_dir,
             os.path.join(d.data_dir, "storage.key"), os.path.join(d.data_dir, "store"),
             os.path.join(d.data_dir, "store", "CURRENT")],
            "inmostd init")

    def test_a_received_file_saved_backed_up_and_restored_stays_put(self):
        alice = self.make_daemon("alice", extra_args=["--transfer-rate", "256K"])
        bob, _ = self.traced_daemon("bob")
        bob.start(timeout=harness.START_TIMEOUT * 2)
        run_trace = os.path.join(bob.tmp, "run.trace")
        pair(alice, bob)

        size = 1024 * KiB
        chunks = -(-size // CHUNK)
        original = self.path("letter.bin")
        with open(original, "wb") as f:
            f.write(os.urandom(size))
        alice.rpc("send", {"text": "a letter to keep", "file_path": original})

        entry = bob.wait_find(lambda m: m["direction"] == "INCOMING" and m.get("file"),
                              ARRIVE, "the file's offer to reach bob")

        def first_chunks_acknowledged():
            # A Transfer's chunks_done counts what bob has recorded and acknowledges.
            for t in bob.rpc("transfers", {}).get("transfers", []):
                if t["id"] == entry["id"] and int(t.get("chunks_done", 0)) >= 1:
                    return int(t["chunks_done"]), read_trace(run_trace)  # what came before
            return None
        done, trace = wait_for(first_chunks_acknowledged, TRANSFER,
                               "bob to acknowledge the first chunks of the file")
        self.assertLess(done, chunks, "the trace must be read while the file still arrives; "
                                      "slow the sender further")
        files = os.path.join(bob.data_dir, "files")
        blobs = [n for n in os.listdir(files) if re.fullmatch(r"[0-9a-f]{32}", n)]
        self.assertEqual(len(blobs), 1, blobs)
        self.assertDurable(
            trace, [bob.tmp],
            [files, os.path.join(files, blobs[0]), os.path.join(bob.data_dir, "store", "CURRENT")],
            f"bob's daemon by the time {done} of {chunks} chunks were acknowledged")

        bob.wait_entry(entry["id"], lambda m: (m.get("file") or {}).get("state") == "RECEIVED",
                       TRANSFER, "the file to be received")
        saved = self.path("keep", "letter.bin")
        os.mkdir(os.path.dirname(saved))
        reply = bob.rpc("save", {"id": entry["id"], "to": saved})
        self.assertEqual(reply.get("path"), saved, reply)
        self.assertDurable(read_trace(run_trace), [bob.tmp, self.dir], [saved],
                           "bob's daemon once `save` replied")

        archive = self.path("bob.backup")
        passphrase = "a long enough backup passphrase"
        harness.remember_secret(passphrase)
        bob.rpc("backup", {"path": archive, "passphrase": passphrase})
        self.assertDurable(read_trace(run_trace), [bob.tmp, self.dir], [archive],
                           "bob's daemon once `backup` replied")

        export_trace = self.path("export.trace")
        exported = self.path("exports", "us.md")
        os.mkdir(os.path.dirname(exported))
        r = subprocess.run(strace_prefix(export_trace) + [
            harness.INMOST, "--data-dir", bob.data_dir, "export", "--out", exported],
            capture_output=True, text=True, timeout=60)
        self.assertExit(r, 0, "inmost export --out")
        self.assertDurable(read_trace(export_trace), [self.dir], [exported],
                           "inmost export --out")

        restore_trace = self.path("restore.trace")
        moved = self.path("new", "machine", "data")
        r = subprocess.run(strace_prefix(restore_trace) + [
            harness.INMOSTD, "restore", archive, "--data-dir", moved],
            input=passphrase + "\n", capture_output=True, text=True, timeout=120)
        self.assertExit(r, 0, "inmostd restore")
        self.assertDurable(
            read_trace(restore_trace), [self.dir],
            [self.path("new"), self.path("new", "machine"), moved,
             os.path.join(moved, "storage.key"), os.path.join(moved, "store"),
             os.path.join(moved, "store", "CURRENT"), os.path.join(moved, "files"),
             os.path.join(moved, "files", blobs[0])],
            "inmostd restore")


if __name__ == "__main__":
    harness.main()
