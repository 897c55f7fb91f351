#!/usr/bin/env python3
"""Soak test (issue 5): two real daemons, faults on the wire, kill -9 at random.

Usage: soak.py [--seconds N] [--seed S] [--keep]   (scripts/soak runs it on build/)

Two daemons (alice, bob) talk through two FaultProxy instances: each daemon
advertises its proxy's address, so the partner dials the proxy, which forwards to
the real peer port, damaging the stream while faults are on. After pairing, for N
seconds:
  - a thread per side sends plain texts at a random pace (some get no reply: the
    daemon was killed while sending);
  - the main loop starts envelope flows (sealed with short open times, gentle,
    together, scheduled, questions with their answers, the question of the day;
    some retracted or cancelled, see flows.py), nudges (bursts of them while a
    daemon is down), reactions and forget requests (closeness.py; one side honours
    forgets, the other is asked), replies, edits and view-once texts, viewed or not
    (messenger.py), files of 100 KiB to 8 MiB (files.py; some sent while the partner
    is down, all sent at most at files.TRANSFER_RATE so that kills and faults land
    mid-transfer), and holds present subscribers (chat windows) on either side for
    a while;
  - a chaos thread kill -9s either daemon (now and then both) and restarts it on
    the same port.
Then the faults stop, both sides stay present, and everything must settle before a
deadline. The invariants (checks.py, messenger_checks.py) are checked on both final
histories, every file received is saved and compared with the original (SHA-256),
both daemons stop cleanly, and their data directories' raw files (and logs) are
searched for every text sent and for slices of every file sent (and the decrypted
stores for every text forgotten or withdrawn; every version of their values LevelDB
still holds, for every view-once text). One summary block is printed; the exit
status is 1 on any violation, with the seed that reproduces the run's choices
(thread timing varies).
"""

import argparse
import collections
import os
import random
import shutil
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import Daemon, EventReader, RpcConnection, RpcError  # noqa: E402

import checks  # noqa: E402
import closeness  # noqa: E402
import files  # noqa: E402
import flows  # noqa: E402
import messenger  # noqa: E402
from fault_proxy import FAULT_KINDS, FaultProxy  # noqa: E402

SIDES = ("alice", "bob")
HOST = "127.0.0.1"
TICK_S = 0.1                  # the main loop's pace
NEW_FLOW_CHANCE = 0.25        # per tick: start an envelope flow
TEXT_INTERVAL_S = 0.12        # mean pause between two texts from one side
MARK_READ_CHANCE = 0.1        # per text: also mark everything read (read receipts)
KILL_EVERY_S = (3.0, 12.0)    # pause between two kills (uniform)
KILL_BOTH_CHANCE = 0.15
DOWN_S = (0.0, 2.0)           # how long a killed daemon stays down
PRESENCE_HOLD_S = (1.0, 6.0)  # a presence configuration lasts this long
PRESENCE_CHANCE = 0.5         # each side is present in a configuration with this chance
SETTLE_TIMEOUT_S = 120.0      # after the faults stop, everything must settle by then
SET_UP_TIMEOUT_S = 20.0       # for each side to learn the other's boundaries
CHECK_EVERY_S = 1.0           # how often settling re-reads both histories
JOIN_TIMEOUT_S = 60.0
TAIL_LINES = 40


class TextSender(threading.Thread):
    """Sends plain texts from one side at a random pace over one control connection;
    each text is recorded as an Item before it is written."""

    def __init__(self, soak, side):
        super().__init__(name=f"texts-{side}", daemon=True)
        self.soak = soak
        self.side = side
        self.rng = random.Random(f"{soak.seed}/texts/{side}")
        self.count = 0

    def run(self):
        conn = None
        daemon = self.soak.daemon(self.side)
        while not self.soak.stopping.wait(self.rng.expovariate(1 / TEXT_INTERVAL_S)):
            if conn is None:
                try:
                    conn = RpcConnection(daemon.socket_path, timeout=flows.RPC_TIMEOUT_S)
                except OSError:
                    continue  # down: nothing sent
            try:
                self.send_one(conn)
            except (OSError, EOFError, ValueError) as e:
                if isinstance(e, TimeoutError) and daemon.running():
                    self.soak.record_error(f"{self.side}: no reply to send within "
                                           f"{flows.RPC_TIMEOUT_S:.0f}s while running")
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def send_one(self, conn):
        self.count += 1
        body = (f"{flows.MARKER} text {self.side} #{self.count} "
                f"{self.rng.getrandbits(96):024x} \u00e9")
        item = flows.Item("text", self.side, body)
        self.soak.flows.items.append(item)
        try:
            reply = conn.call("send", {"text": body}, timeout=flows.RPC_TIMEOUT_S)
            item.accepted = True
            item.sender_id = reply["id"]
        except RpcError as e:
            item.accepted = False
            self.soak.record_error(f"{self.side}: send refused: {e}")
        if self.rng.random() < MARK_READ_CHANCE:
            try:
                conn.call("mark_read", {}, timeout=flows.RPC_TIMEOUT_S)
            except RpcError as e:
                self.soak.record_error(f"{self.side}: mark_read refused: {e}")


class Chaos(threading.Thread):
    """kill -9s a random daemon (now and then both) and restarts it on its port."""

    def __init__(self, soak):
        super().__init__(name="chaos", daemon=True)
        self.soak = soak
        self.rng = random.Random(f"{soak.seed}/chaos")
        self.restarts = collections.Counter()

    def run(self):
        while not self.soak.stopping.wait(self.rng.uniform(*KILL_EVERY_S)):
            if self.rng.random() < KILL_BOTH_CHANCE:
                victims = list(SIDES)
            else:
                victims = [self.rng.choice(SIDES)]
            for side in victims:
                if not self.soak.check_alive(side):
                    return
                self.soak.files.before_kill(side)
                self.soak.daemon(side).kill9()
                self.restarts[side] += 1
            time.sleep(self.rng.uniform(*DOWN_S))  # the outage itself, not a sync
            for side in victims:
                if not self.soak.restart(side):
                    return


class Presence:
    """A present subscriber (an open chat) on one daemon while wanted, reopened
    after a restart; its events are drained each tick and thrown away."""

    def __init__(self, daemon):
        self.daemon = daemon
        self.wanted = False
        self.reader = None

    def tick(self):
        if self.reader is not None and (not self.wanted or not self._drain()):
            self.reader.close()
            self.reader = None
        if self.wanted and self.reader is None:
            try:
                self.reader = EventReader(self.daemon.socket_path, present=True)
                self.reader.conn.sock.setblocking(False)
            except (OSError, EOFError, ValueError, RpcError):
                self.reader = None

    def _drain(self):
        """Reads what is waiting; False once the daemon has closed the connection."""
        try:
            while self.reader.conn.sock.recv(65536):
                pass
            return False
        except BlockingIOError:
            return True
        except OSError:
            return False

    def close(self):
        self.wanted = False
        self.tick()


class Soak:
    """One soak run: set_up(), run(), settle(), stop_daemons(), disk_checks()."""

    def __init__(self, seed, seconds):
        self.seed = seed
        self.seconds = seconds
        self.rng = random.Random(f"{seed}/flows")
        self.stopping = threading.Event()
        self.settling = False
        self.errors = []
        self.errors_lock = threading.Lock()
        self.proxies = {}
        self.daemons = {}
        self.flows = flows.Flows(self, self.rng)
        self.closeness = closeness.Closeness(self, self.flows, random.Random(f"{seed}/closeness"))
        self.messenger = messenger.Messenger(self, self.flows, self.closeness,
                                             random.Random(f"{seed}/messenger"))
        self.honouring = random.Random(f"{seed}/honour").choice(SIDES)  # honours forgets
        self.files = files.Files(self, self.flows, random.Random(f"{seed}/files"))
        self.final_histories = None    # both sides' histories at the last final_state()
        self.presence = {}
        self.chaos = None
        self.arrived_under_faults = 0   # incoming entries on both sides when faults stopped
        self.settle_seconds = None
        self.final_incoming = 0
        self.moments = 0               # same-moment entries on both sides at the end

    # ---- what flows and threads use ---------------------------------------------------

    def sides(self):
        return list(SIDES)

    def daemon(self, side):
        return self.daemons[side]

    def record_error(self, text):
        with self.errors_lock:
            self.errors.append(text)

    def check_alive(self, side):
        """True if side is running (restarted if it exited by itself: an error)."""
        d = self.daemons[side]
        if d.running():
            return True
        self.record_error(f"{side} exited by itself with status {d.proc.returncode}")
        return self.restart(side)

    def restart(self, side):
        try:
            self.daemons[side].start(same_port=True)
            return True
        except AssertionError as e:
            self.record_error(f"{side} did not restart: {e}")
            self.stopping.set()
            return False

    # ---- phases -------------------------------------------------------------------

    def set_up(self):
        for side in SIDES:
            proxy = FaultProxy(f"proxy-{side}", f"{self.seed}/proxy/{side}")
            proxy.start()
            self.proxies[side] = proxy
            d = Daemon(f"soak-{side}", extra_args=["--advertise", proxy.address(),
                                                    "--transfer-rate", files.TRANSFER_RATE])
            self.daemons[side] = d
            d.init()
            d.listen_address = f"{HOST}:{harness.free_port(HOST)}"
            d.start(same_port=True)
            proxy.set_target(int(d.listen_address.rsplit(":", 1)[1]))
            self.presence[side] = Presence(d)
        alice, bob = (self.daemons[s] for s in SIDES)
        harness.pair(alice, bob)
        for side in SIDES:
            theirs = self.proxies[self.partner(side)].address()
            got = self.daemons[side].status()["partner_addresses"]
            if got != [theirs]:
                raise AssertionError(f"{side} would dial {got}, not the proxy {theirs}")
        self.set_boundaries()

    def set_boundaries(self):
        """The highest nudge budget on both sides, so that refusals stay rare; forgets
        honoured by one side only, so that both paths run. Waits until each side
        knows the other's (the sender applies the receiver's budget)."""
        for side in SIDES:
            d = self.daemons[side]
            d.rpc("config", {"key": "nudge-budget", "value": str(closeness.NUDGE_BUDGET)})
            d.rpc("config", {"key": "honour-forget",
                             "value": "on" if side == self.honouring else "off"})
        for side in SIDES:
            honours = self.partner(side) == self.honouring

            def knows(side=side, honours=honours):
                view = self.daemons[side].status().get("partner") or {}
                return (view.get("known") and view.get("honour_forget", False) == honours
                        and view.get("nudge_budget_per_hour") == closeness.NUDGE_BUDGET)
            harness.wait_for(knows, SET_UP_TIMEOUT_S, f"{side} to learn its partner's boundaries")

    def partner(self, side):
        return SIDES[1 - SIDES.index(side)]

    def run(self):
        senders = [TextSender(self, side) for side in SIDES]
        self.chaos = Chaos(self)
        for p in self.proxies.values():
            p.set_faults(True)
        for t in senders + [self.chaos]:
            t.start()
        end = time.monotonic() + self.seconds
        today_at = time.monotonic() + self.rng.uniform(0, self.seconds / 2)
        presence_until = 0.0
        while time.monotonic() < end and not self.stopping.is_set():
            if self.rng.random() < NEW_FLOW_CHANCE:
                self.flows.start_random()
            if time.monotonic() >= today_at:
                self.flows.start_today()
            self.closeness.tick()
            self.messenger.tick()
            self.files.tick()
            if time.monotonic() >= presence_until:
                for p in self.presence.values():
                    p.wanted = self.rng.random() < PRESENCE_CHANCE
                presence_until = time.monotonic() + self.rng.uniform(*PRESENCE_HOLD_S)
            self.tick()
        self.stopping.set()
        for t in senders + [self.chaos]:
            t.join(JOIN_TIMEOUT_S)
            if t.is_alive():
                self.record_error(f"thread {t.name} did not stop")

    def tick(self):
        for p in self.presence.values():
            p.tick()
        self.flows.step()
        time.sleep(TICK_S)  # pacing the loop, not waiting for anything

    def settle(self):
        """Faults off, both present; returns (report, pending) once nothing is pending
        and no invariant is violated, or at the deadline."""
        self.settling = True
        for p in self.proxies.values():
            p.set_faults(False)
        for side in SIDES:
            self.check_alive(side)
            self.presence[side].wanted = True
        self.arrived_under_faults = self.incoming_count()
        started = time.monotonic()
        deadline = started + SETTLE_TIMEOUT_S
        next_check = 0.0
        report, pending = None, ["never checked"]
        while time.monotonic() < deadline:
            self.tick()
            if time.monotonic() < next_check:
                continue
            next_check = time.monotonic() + CHECK_EVERY_S
            try:
                report, pending = self.final_state()
            except (OSError, EOFError, ValueError, RpcError) as e:
                pending = [f"a daemon did not answer: {e!r}"]
                continue
            if self.flows.active:
                pending.append(f"{len(self.flows.active)} flows unfinished")
            elif not report.violations and not pending:
                self.settle_seconds = time.monotonic() - started
                break
        return report, pending

    def incoming_count(self):
        try:
            return sum(1 for d in self.daemons.values() for m in d.history_all()
                       if m["direction"] == "INCOMING")
        except (OSError, EOFError, ValueError, RpcError):
            return 0

    def final_state(self):
        histories = {side: self.daemons[side].history_all() for side in SIDES}
        self.final_histories = histories
        self.final_incoming = sum(1 for h in histories.values() for m in h
                                  if m["direction"] == "INCOMING")
        pending = []
        for side in SIDES:
            d = self.daemons[side]
            status = d.status()
            if not status["link_up"]:
                pending.append(f"{side}: link down")
            if int(status["unacknowledged"]):
                pending.append(f"{side}: {status['unacknowledged']} unacknowledged")
            moving = [m["id"] for m in histories[side]
                      if files.file_state(m) in ("SENDING", "RECEIVING")]
            if moving:
                pending.append(f"{side}: {len(moving)} files still moving (ids "
                               f"{', '.join(moving[:10])})")
            left = d.rpc("envelopes", {}).get("messages", [])
            if left:
                pending.append(f"{side}: {len(left)} still pending (ids "
                               f"{', '.join(m['id'] for m in left[:10])})")
        c = self.closeness
        report = checks.check(self.flows.items, self.flows.questions, histories,
                              nudges=c.nudges, reactions=c.reactions.values(), forgets=c.forgets,
                              rewritten=self.messenger.rewritten())
        self.messenger.check(report, histories)
        self.moments = sum(1 for h in histories.values() for m in h if flows.kind(m) == "MOMENT")
        return report, pending

    def verify_files(self):
        """Saves every file received and compares it with the one sent (daemons up)."""
        if self.final_histories is not None:
            self.files.verify(self.final_histories)

    def stop_daemons(self):
        for side in SIDES:
            self.presence[side].close()
            try:
                self.daemons[side].stop()
            except AssertionError as e:
                self.record_error(f"{side}: {e}")

    # ---- after the daemons stopped ---------------------------------------------------------

    def secrets(self):
        """Every text sent: bodies, notes, questions, edits and view-once texts."""
        texts = {i.body for i in self.flows.items} | {i.note for i in self.flows.items}
        texts |= {q.text for q in self.flows.questions if q.asker}
        texts |= self.messenger.secrets()
        texts.discard("")
        return texts

    def plaintext_found(self, blobs):
        """How many sent texts occur in any of the blobs (bytes)."""
        marker = flows.MARKER.encode()
        suspects = [b for b in blobs if marker in b]
        return sum(1 for t in self.secrets() if any(t.encode() in b for b in suspects))

    def file_plaintext_found(self, blobs):
        """How many files sent have a slice of their content in any of the blobs."""
        found = 0
        for item, windows in self.files.plaintext_windows():
            if any(w in b for b in blobs for w in windows):
                found += 1
                self.record_error(f"plaintext of a file from {item.sender} ({item.size} B, "
                                  f"{os.path.basename(item.path)}) in a data directory")
        return found

    def disk_checks(self):
        """(plaintext-on-disk, plaintext-in-logs, withdrawn-readable or None,
        forgotten-readable or None, files-with-plaintext-on-disk)."""
        blobs = [b for d in self.daemons.values() for b in d.raw_files().values()]
        on_disk = self.plaintext_found(blobs)
        files_on_disk = self.file_plaintext_found(blobs)
        del blobs
        logs = [d.log_text().encode() for d in self.daemons.values()]
        in_logs = self.plaintext_found(logs)
        if not os.access(harness.STORE_PROBE, os.X_OK):
            return on_disk, in_logs, None, None, files_on_disk
        self.messenger.disk_check()
        dumps = {side: self.daemons[side].dump_store() for side in SIDES}
        withdrawn = [i for i in self.flows.items if i.withdrawn and i.kind != "scheduled"]
        readable = [i for i in withdrawn if i.body.encode() in dumps[self.partner(i.sender)]]
        for i in readable:
            self.record_error(f"withdrawn {i.kind} from {i.sender} readable in the partner's "
                              f"store: {checks.short(i.body)!r}")
        # A forgotten text is deleted for good where its copy is gone from history;
        # where it is kept (asked, or declined), it must still be there.
        forgotten = []
        for f in [f for f in self.closeness.forgets if f.accepted]:
            for side, state in closeness.forget_outcome(f).items():
                held = f.body.encode() in dumps[side]
                if state in closeness.GONE and held:
                    forgotten.append(f)
                    self.record_error(f"text forgotten by {f.asker} readable in {side}'s store: "
                                      f"{checks.short(f.body)!r}")
                elif state not in closeness.GONE and not held:
                    self.record_error(f"text {f.asker} asked to forget, {state} on {side}, "
                                      f"missing from its store: {checks.short(f.body)!r}")
        return on_disk, in_logs, len(readable), len(forgotten), files_on_disk

    def faults(self):
        total = collections.Counter()
        for p in self.proxies.values():
            total.update(p.counts())
        return total, sum(p.connections for p in self.proxies.values())

    def close(self, keep):
        self.stopping.set()
        self.files.close(keep)
        for p in self.proxies.values():
            p.stop()
        for d in self.daemons.values():
            d.close()
            if not keep:
                shutil.rmtree(d.tmp, ignore_errors=True)


def summary(soak, report, pending, disk):
    """The summary block, and whether the run passed."""
    items = soak.flows.items
    stored = [i for i in items if i.stored]
    on_disk, in_logs, withdrawn_readable, forgotten_readable, files_on_disk = disk
    c = report.counts
    expected = collections.Counter(checks.expected_outcome(i) for i in stored
                                   if i.kind not in ("text", "file"))
    failed = bool(report.violations or pending or soak.errors or on_disk or in_logs
                  or withdrawn_readable or forgotten_readable or files_on_disk)
    by_kind = collections.Counter(i.kind for i in stored)
    faults, connections = soak.faults()
    settled = "not settled" if soak.settle_seconds is None else \
        f"settled in {soak.settle_seconds:.1f} s"
    restarts = soak.chaos.restarts if soak.chaos else collections.Counter()
    no_reply = sum(1 for i in items if i.accepted is None)
    revealed_expected = sum(1 for q in soak.flows.questions
                            if all(any(i.question is q and i.stored and not i.withdrawn
                                       and i.sender == s for i in items) for s in SIDES)) * 2
    lines = [
        f"soak: {'FAIL' if failed else 'PASS'}  seed {soak.seed}  {soak.seconds:g} s",
        f"  sent: {len(stored)} ("
        + ", ".join(f"{k} {by_kind[k]}" for k in
                    ("text", "sealed", "gentle", "together", "scheduled", "answer"))
        + f"; questions {len(soak.flows.questions)}; {no_reply} without a reply)",
        f"  faults injected: {sum(faults.values())} ("
        + ", ".join(f"{k} {faults[k]}" for k in FAULT_KINDS)
        + f"; {connections} proxied connections)",
        f"  restarts: {sum(restarts.values())} (kill -9: "
        + ", ".join(f"{s} {restarts[s]}" for s in SIDES) + f"); {soak.arrived_under_faults} of "
        f"{soak.final_incoming} entries arrived while faults were on; {settled} after",
        f"  lost = {c['lost']}  duplicated = {c['duplicated']}  "
        f"corrupted-accepted = {c['corrupted-accepted']}  wrong-state = {c['wrong-state']}  "
        f"out-of-order = {c['out-of-order']}  inconsistent = {c['inconsistent']}  "
        f"unfair-reveal = {c['unfair-reveal']}  "
        f"mismatched-reaction = {c['mismatched-reaction']}",
        f"  envelopes: opened as expected {c['opened']}/{expected['opened']}, "
        f"withdrawn as expected {c['withdrawn']}/{expected['withdrawn']}, "
        f"cancelled as expected {c['cancelled']}/{expected['cancelled']}, "
        f"questions revealed {c['revealed']}/{revealed_expected}",
    ] + closeness_lines(soak, c) + soak.messenger.lines(c) + files_lines(soak, c, files_on_disk) + [
        f"  plaintext-on-disk = {on_disk}  plaintext-in-logs = {in_logs}  withdrawn-readable = "
        f"{'n/a' if withdrawn_readable is None else withdrawn_readable}  forgotten-readable = "
        f"{'n/a' if forgotten_readable is None else forgotten_readable}  "
        f"pending-at-end = {len(pending)}  errors = {len(soak.errors)}",
    ]
    if failed:
        problems = report.violations + [f"pending: {p}" for p in pending] + \
            [f"error: {e}" for e in soak.errors]
        lines += [f"  ! {p}" for p in problems[:checks.MAX_LISTED]]
        if len(problems) > checks.MAX_LISTED:
            lines.append(f"  ! ... and {len(problems) - checks.MAX_LISTED} more")
        lines.append(f"  reproduce: scripts/soak --seconds {soak.seconds:g} --seed {soak.seed}")
    return "\n".join(lines), not failed


def files_lines(soak, c, on_disk):
    """The summary's line on files."""
    items = soak.files.items()
    stored = [i for i in items if i.stored]
    mib = sum(i.size for i in stored) / (1 << 20)
    return [
        f"  files: {len(stored)} sent ({mib:.1f} MiB; "
        f"{sum(1 for i in stored if i.while_down)} while the partner was down; "
        f"{sum(1 for i in items if i.accepted is None)} without a reply), "
        f"{c['file-received']} received ({soak.files.saved_identical} saved byte-identical, "
        f"{soak.files.saved_differ} differing), {c['file-failed']} failed on both sides; "
        f"{soak.files.kills_mid_transfer} kills mid-transfer ({soak.files.transfers_cut} "
        f"transfers cut); stuck = {c['stuck']}  file-plaintext-on-disk = {on_disk}",
    ]


def closeness_lines(soak, c):
    """The summary's lines on nudges, reactions and forgets."""
    nudges = soak.closeness.nudges
    outcomes = collections.Counter(n.outcome for n in nudges)
    accepted = [n for n in nudges if n.outcome == "accepted"]
    reactions = list(soak.closeness.reactions.values())
    steps = [(before, after) for r in reactions
             for before, after in zip([""] + r.emojis, r.emojis)]
    forgets = [f for f in soak.closeness.forgets if f.accepted]
    answers = collections.Counter(f.answer for f in forgets if not f.honoured)
    return [
        f"  nudges: {outcomes['accepted']} accepted ({sum(n.queued for n in accepted)} queued, "
        f"{sum(1 for n in accepted if n.queued and n.count > 1)} of them coalesced into a waiting "
        f"one; {sum(n.burst for n in nudges)} sent in bursts), {outcomes['refused']} refused, "
        f"{outcomes['uncertain']} without a reply; {c['nudged']} held by senders and received; "
        f"same moments {soak.moments}",
        f"  reactions: {len(steps)} on {len(reactions)} entries "
        f"({sum(1 for b, a in steps if b and a)} replaced, {sum(1 for _, a in steps if not a)} "
        f"removed); forgets: {len(forgets)} ({sum(f.honoured for f in forgets)} honoured by "
        f"{soak.honouring}; asked of {soak.partner(soak.honouring)}: agreed {answers['agree']}, "
        f"kept {answers['keep']}, left {answers['leave']}); {c['forgotten']} copies forgotten, "
        f"{c['forget-kept']} kept as expected",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true",
                        help="keep both data directories and logs (always kept on failure)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**9)
    for path in (harness.INMOSTD, harness.INMOST):
        if not os.access(path, os.X_OK):
            sys.exit(f"soak: {path} is missing; build first or set INMOST_BIN_DIR")
    print(f"soak: seed {seed}, {args.seconds:g} s, binaries from {harness.BIN_DIR}", flush=True)
    soak = Soak(seed, args.seconds)
    passed = False
    try:
        soak.set_up()
        soak.run()
        report, pending = soak.settle()
        soak.verify_files()
        soak.stop_daemons()
        disk = soak.disk_checks()
        text, passed = summary(soak, report or checks.Report(), pending, disk)
        if not passed:
            for d in soak.daemons.values():
                print(d.log_tail(TAIL_LINES), file=sys.stderr)
        print(text, flush=True)
    finally:
        keep = args.keep or not passed
        if keep and soak.daemons:
            print("soak: kept " + ", ".join(d.tmp for d in soak.daemons.values()))
        soak.close(keep)
    if not passed:
        print(f"soak: FAILED; reproduce with: scripts/soak --seconds {args.seconds:g} "
              f"--seed {seed}", file=sys.stderr)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
