"""The soak's files (issue 7): attachments among the traffic, some sent while the
partner's daemon is down (killed by the chaos thread), so that transfers start,
break and resume across kills and faults.

Files.tick() (once per main-loop tick while the faults are on) starts file flows,
written like flows.py's (generators advanced by Flows.step(), requests through
Flows.request()). Each file is made here: a random size between FILE_SIZE bytes
(log-uniform: many small, a few large), random content, its SHA-256 recorded; it
lives in the soak's own directory (outside both data directories) and is never
changed. It is sent with a unique caption (the Item's body: the checks find both
copies by it). A send without a reply (the sender was killed) is resolved by
looking for the caption in the sender's history once it is back.

At the end (checks.check_file) every file a side sent is either SENT there and
RECEIVED on the other side, or FAILED on both with an error; never still moving.
verify() then saves every received file out of the recipient's daemon and compares
its SHA-256 with the original's; plaintext_windows() gives slices of every file
that the disk check looks for in both data directories.
"""

import hashlib
import math
import os
import shutil
import tempfile

from flows import Down, Uncertain, call
from harness import RpcError

FILE_CHANCE = 0.012             # per tick: a file from a random side, now
WHILE_DOWN_CHANCE = 0.5         # per outage of one daemon: the other sends a file meanwhile
FILE_SIZE = (100 * 1024, 8 << 20)
WINDOW_BYTES = 32               # plaintext slices looked for on disk ...
WINDOWS_PER_FILE = 3            # ... this many per file, at random offsets
# The daemons send files at most this fast (--transfer-rate), so that a few-MiB file
# takes a second or more: kills and faults land in the middle of transfers.
TRANSFER_RATE = "3M"


def file_state(m):
    return (m.get("file") or {}).get("state", "STATE_UNSPECIFIED")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            piece = f.read(1 << 20)
            if not piece:
                return h.hexdigest()
            h.update(piece)


class Files:
    """Starts file flows in Flows; keeps the files and their records (flows.Item of
    kind "file", in Flows.items with everything else)."""

    def __init__(self, soak, flows, rng):
        self.soak = soak            # daemons, partner(), record_error(), settling
        self.flows = flows          # request(), send(), new_item(), active, items
        self.rng = rng              # its own: the other flows' choices stay as they were
        self.dir = tempfile.mkdtemp(prefix="inmost-soak-files-")
        self.count = 0
        self._sent_for = {}         # side -> the partner's start count it sent a file for
        self.saved_identical = 0
        self.saved_differ = 0
        self.kills_mid_transfer = 0   # kills that hit a daemon with a transfer under way
        self.transfers_cut = 0        # transfers under way in the daemons killed

    def items(self):
        return [i for i in self.flows.items if i.kind == "file"]

    def tick(self):
        sides = self.soak.sides()
        if self.rng.random() < FILE_CHANCE:
            self.flows.active.append(self.file_flow(self.rng.choice(sides)))
        for side in sides:
            other = self.soak.daemon(self.soak.partner(side))
            outage = other.starts  # the partner's current run: one file per outage at most
            if (not other.running() and self.soak.daemon(side).running()
                    and self._sent_for.get(side) != outage):
                self._sent_for[side] = outage
                if self.rng.random() < WHILE_DOWN_CHANCE:
                    self.flows.active.append(self.file_flow(side, while_down=True))

    def make_file(self):
        """A new file of random size and content; returns (path, size, sha256)."""
        self.count += 1
        low, high = FILE_SIZE
        size = int(math.exp(self.rng.uniform(math.log(low), math.log(high))))
        path = os.path.join(self.dir, f"soak-file-{self.count:04d}.bin")
        data = self.rng.randbytes(size)
        with open(path, "wb") as f:
            f.write(data)
        return path, size, hashlib.sha256(data).hexdigest()

    def file_flow(self, sender, while_down=False):
        path, size, sha = self.make_file()
        item = self.flows.new_item("file", sender)
        item.path, item.size, item.sha256, item.while_down = path, size, sha, while_down
        # The caption (item.body) carries flows.MARKER like every other body.
        yield from self.flows.send(item, {"file_path": path})

    def before_kill(self, side):
        """Called by the chaos thread just before it kills side: counts the transfers
        under way there (the kill cuts them), for the summary."""
        try:
            listed = call(self.soak.daemon(side), "transfers", {}, timeout=2.0)
        except (Down, Uncertain, RpcError):
            return
        moving = sum(1 for t in listed.get("transfers", [])
                     if file_state(t) in ("SENDING", "RECEIVING"))
        if moving:
            self.kills_mid_transfer += 1
            self.transfers_cut += moving

    # ---- at the end -------------------------------------------------------------------

    def verify(self, histories):
        """Saves every file that arrived (RECEIVED on the recipient) out of the
        recipient's daemon, next to the originals, and compares SHA-256s. Mismatches
        and failed saves are soak errors."""
        saved_dir = os.path.join(self.dir, "saved")
        os.makedirs(saved_dir, exist_ok=True)
        for item in self.items():
            receiver = self.soak.partner(item.sender)
            copies = [m for m in histories[receiver] if m["direction"] == "INCOMING"
                      and m.get("text") == item.body and file_state(m) == "RECEIVED"]
            if len(copies) != 1:
                continue  # not arrived, or twice: checks.check_file reports it
            target = os.path.join(saved_dir, os.path.basename(item.path))
            try:
                reply = call(self.soak.daemon(receiver), "save",
                             {"id": copies[0]["id"], "to": target}, timeout=60)
            except (Down, Uncertain) as e:
                self.soak.record_error(f"{receiver}: save of file {copies[0]['id']}: {e}")
                continue
            except RpcError as e:
                self.soak.record_error(f"{receiver}: save of file {copies[0]['id']} "
                                       f"({item.size} B from {item.sender}) refused: {e}")
                continue
            got = sha256_file(reply.get("path") or target)
            if got == item.sha256:
                self.saved_identical += 1
            else:
                self.saved_differ += 1
                self.soak.record_error(f"{receiver}: file {copies[0]['id']} ({item.size} B from "
                                       f"{item.sender}, {os.path.basename(item.path)}) saved "
                                       f"with another SHA-256")
            os.unlink(reply.get("path") or target)

    def plaintext_windows(self):
        """[(item, [WINDOW_BYTES-long slices of its file at random offsets])]."""
        windows = []
        for item in self.items():
            try:
                with open(item.path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            offsets = [self.rng.randrange(len(data) - WINDOW_BYTES)
                       for _ in range(WINDOWS_PER_FILE)]
            windows.append((item, [data[o:o + WINDOW_BYTES] for o in offsets]))
        return windows

    def close(self, keep):
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

