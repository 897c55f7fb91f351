#!/usr/bin/env python3
"""Bounds under floods (issue 5, item 4): functional assertions only.

A stranger floods a paired daemon's peer port with handshake attempts, holds
hundreds of idle TCP connections to it, or opens many control-socket clients.
Throughout, the real partner's messages keep flowing, the daemon keeps answering,
the caps and timeouts hold, and the daemon's resident memory stays under
RSS_BOUND_KIB. Each test's docstring states the bound it holds. The figures (rate,
CPU, latency) come from tests/bench/flood.py (scripts/flood), not from here.

The caps are read from the daemon's own headers (daemon/control/control_limits.h,
daemon/peer/partner_link.h), so the tests check the values the daemon is built with.
The flood helpers below are also used by tests/bench/flood.py. In a sanitizer build
(INMOST_SANITIZE in the build's CMake cache) the deadlines stretch by SLOWDOWN and
VmRSS, which then measures the sanitizer's shadow memory, is not checked.
"""

import base64
import hashlib
import json
import os
import random
import re
import selectors
import socket
import struct
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import SANITIZER, SLOWDOWN, IntegrationTest, pair, wait_for  # noqa: E402

RSS_BOUND_KIB = 32 * 1024  # Issue 5: resident memory stays under 32 MiB during each flood.


# ---- the daemon's own limits, read from its headers ------------------------------------

def header_constant(relative_path, pattern):
    """The integer captured by `pattern` in a source file of the daemon."""
    path = os.path.join(harness.ROOT, relative_path)
    with open(path) as f:
        match = re.search(pattern, f.read())
    if not match:
        raise AssertionError(f"{relative_path}: no match for {pattern!r}; update test_floods.py")
    return int(match.group(1))


# ControlLimits::max_clients: control clients connected at once.
CONTROL_MAX_CLIENTS = header_constant("daemon/control/control_limits.h",
                                      r"size_t\s+max_clients\s*=\s*(\d+)\s*;")
# LinkOptions::max_pending_handshakes: unauthenticated inbound connections at once.
MAX_PENDING_HANDSHAKES = header_constant("daemon/peer/partner_link.h",
                                         r"size_t\s+max_pending_handshakes\s*=\s*(\d+)\s*;")
# LinkOptions::handshake_timeout: how long an unauthenticated connection may last.
HANDSHAKE_TIMEOUT_S = header_constant("daemon/peer/partner_link.h",
                                      r"handshake_timeout\{(\d+)\}") / 1000.0
# ControlLimits::max_queued_output_bytes: output queued for one client that does not read.
CONTROL_MAX_QUEUED_OUTPUT = header_constant(
    "daemon/control/control_limits.h",
    r"size_t\s+max_queued_output_bytes\s*=\s*(\d+)\s*<<\s*20\s*;") << 20
RESOURCE_EXHAUSTED = 1000 + 11  # JSON-RPC code of inmost's resource_exhausted (status.h).
MAX_TEXT_BYTES = header_constant("daemon/core/conversation.h",
                                 r"kMaxTextBytes\s*=\s*(\d+)\s*;")


DELIVERY_DEADLINE = 5.0 * SLOWDOWN  # Seconds for one partner message to arrive in a flood.
STATUS_DEADLINE = 2.0 * SLOWDOWN    # Seconds for a status reply during a flood.
LINK_BACK_DEADLINE = 10.0 * SLOWDOWN  # Seconds for the link to come back in a flood.
# How many handshake attempts the flood test sends (fewer when sanitizers slow it down).
FLOOD_ATTEMPTS = 15000 if not SANITIZER else 5000


# ---- what a stranger sends ----------------------------------------------------------------

def invite_public_key(code):
    """The inviter's X25519 public key carried by an invite code (invite_code.h)."""
    body = code[len("inmost1-"):].upper()
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    assert raw[0] == 1, "invite format version 1 expected"
    return raw[1:33]


def mac1_key(responder_public_key):
    """BLAKE2b-256("inmost mac1" || responder's static public key) (handshake_mac.h)."""
    return hashlib.blake2b(b"inmost mac1" + responder_public_key, digest_size=32).digest()


def frame(body):
    """A peer-stream frame: 2-byte big-endian length, then the body (wire/frame.h)."""
    return struct.pack(">H", len(body)) + body


KK_MESSAGE1 = 48       # Noise KK message 1: e (32) + the tag of an empty payload (16).
IKPSK2_MESSAGE1 = 96   # Noise IKpsk2 message 1: e (32) + encrypted s (48) + tag (16).
SESSION_HELLO = 3      # The session hello's type byte (hello.h).
PAIRING_HELLO = 2
# A session hello's inner body (session_hello.h): a 12-byte stamp, KK message 1, mac2.
SESSION_INNER = 12 + KK_MESSAGE1 + 16

# The kinds of handshake attempt a stranger floods with:
#   random     random bytes framed as a hello of a hello's size (type byte included);
#   bad_mac1   a well-formed session or pairing hello whose mac1 is wrong (someone who
#              does not know the responder's public key): dropped before any DH;
#   wrong_key  a session hello with a VALID mac1 (the stranger knows the public key)
#              but not the partner's mac2, which only the two partners can compute
#              (session_hello.h): also dropped before any DH, and before the
#              per-source rate limit, so it cannot drain the partner's budget. One in
#              four is a pairing hello with a valid mac1, which a paired daemon refuses
#              (with a refusal frame) before any DH.
FLOOD_KINDS = ("random", "bad_mac1", "wrong_key")

# What alice logs for a wrong_key session hello, and what she would log had it reached
# the DH (which it must not).
DROPPED_AT_MAC2 = "not from the partner (bad mac2)"
REFUSED_AFTER_DH = "refused session from an unknown key"


def stranger_frame(kind, rng, mac_key):
    if kind == "random":
        size = rng.choice((1 + SESSION_INNER + 16, 1 + IKPSK2_MESSAGE1 + 16, rng.randrange(1, 200)))
        return frame(rng.randbytes(size))
    if kind == "bad_mac1":
        hello_type = rng.choice((SESSION_HELLO, PAIRING_HELLO))
        message = rng.randbytes(SESSION_INNER if hello_type == SESSION_HELLO else IKPSK2_MESSAGE1)
        return frame(bytes([hello_type]) + message + rng.randbytes(16))
    if kind == "wrong_key":
        hello_type = PAIRING_HELLO if rng.random() < 0.25 else SESSION_HELLO
        covered = bytes([hello_type]) + rng.randbytes(
            SESSION_INNER if hello_type == SESSION_HELLO else IKPSK2_MESSAGE1)
        return frame(covered + hashlib.blake2b(covered, digest_size=16, key=mac_key).digest())
    raise ValueError(kind)


# The inviter's answer to a pairing hello with its mac1 when it will not pair: no open
# invite (0xff 0x01) or too many hellos from that address (0xff 0x02), in a frame.
PAIRING_REFUSALS = (frame(b"\xff\x01"), frame(b"\xff\x02"))


def valid_pairing_hello(payload, mac_key):
    """Whether a framed hello is of the pairing type and carries a valid mac1."""
    body = payload[2:]
    return (len(body) > 17 and body[0] == PAIRING_HELLO and
            hashlib.blake2b(body[:-16], digest_size=16, key=mac_key).digest() == body[-16:])


def stranger_sources(count, first=2):
    """Loopback source addresses for a stranger: 127.0.0.2, 127.0.0.3, ... (the
    partners use 127.0.0.1), so the per-source rate limit sees several strangers."""
    return [f"127.0.0.{first + i}" for i in range(count)]


class HandshakeFlood:
    """Threads that each open a connection from a source address, send one handshake
    attempt, half-close, wait until the daemon drops the connection and reset it
    (SO_LINGER 0, so no TIME_WAIT piles up), again and again.

    sources: the loopback addresses to connect from; `threads` threads (default one per
    source) share them, a thread with several taking the next one at each attempt.
    total: stop after this many attempts (split between the threads); rate: pace the
    attempts to this many per second in all (None: as fast as the daemon takes them).
    answered counts attempts the daemon sent any byte back to (a stranger must get
    nothing), except `refused`: a pairing hello with a valid mac1 (only someone who
    knows alice's key can send one) answered with exactly the two-byte pairing refusal
    frame (daemon/peer/pairing.h), written before any DH work; failed counts
    connections that could not be made or broke."""

    def __init__(self, target, mac_key, sources, kinds=FLOOD_KINDS, total=None, rate=None,
                 threads=None, seed=0x5EED, pool=256):
        self.target = target
        self.total = total
        self.rate = rate
        self.stop_event = threading.Event()
        self.n_workers = threads or len(sources)
        self.sources = [sources[i % len(sources)::self.n_workers] for i in range(self.n_workers)]
        self.sent = [0] * self.n_workers
        self.answered = [0] * self.n_workers
        self.refused = [0] * self.n_workers
        self.failed = [0] * self.n_workers
        self.mac_key = mac_key
        rng = random.Random(seed)
        self.pools = []
        for i in range(self.n_workers):
            frames = [stranger_frame(kinds[j % len(kinds)], rng, mac_key) for j in range(pool)]
            rng.shuffle(frames)
            self.pools.append(frames)
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(self.n_workers)]
        self.started_at = None
        self.stopped_at = None

    def start(self):
        self.started_at = time.monotonic()
        for t in self.threads:
            t.start()
        return self

    def running(self):
        return any(t.is_alive() for t in self.threads)

    def stop(self, timeout=15.0):
        self.stop_event.set()
        self.join(timeout)

    def join(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        if self.running():
            raise AssertionError("the flood threads did not finish in time")
        if self.stopped_at is None:
            self.stopped_at = time.monotonic()

    def attempts(self):
        return sum(self.sent)

    def elapsed(self):
        end = self.stopped_at if self.stopped_at is not None else time.monotonic()
        return end - self.started_at

    def _run(self, index):
        pool = self.pools[index]
        sources = self.sources[index]
        quota = None if self.total is None else self.total // self.n_workers + (
            1 if index < self.total % self.n_workers else 0)
        interval = None if not self.rate else self.n_workers / self.rate
        next_at = time.monotonic() + (interval or 0) * index / self.n_workers
        linger = struct.pack("ii", 1, 0)
        n = 0
        while not self.stop_event.is_set() and (quota is None or n < quota):
            if interval is not None:
                now = time.monotonic()
                if next_at > now:
                    time.sleep(next_at - now)  # pacing the flood, not synchronisation
                # Fall behind by at most a few attempts: no catch-up bursts.
                next_at = max(next_at + interval, time.monotonic() - 4 * interval)
            payload = pool[n % len(pool)]
            n += 1
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                s.settimeout(HANDSHAKE_TIMEOUT_S + 5)
                s.bind((sources[n % len(sources)], 0))
                s.connect(self.target)
                try:
                    s.sendall(payload)
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass  # dropped before it read everything: still an attempt
                self.sent[index] += 1
                try:
                    reply = s.recv(4096)  # b"" once the daemon has dropped the connection
                    if reply in PAIRING_REFUSALS and valid_pairing_hello(payload, self.mac_key):
                        self.refused[index] += 1
                    elif reply:
                        self.answered[index] += 1
                except (ConnectionResetError, BrokenPipeError):
                    pass  # dropped with a reset: also no answer
            except OSError:
                self.failed[index] += 1
            finally:
                s.close()


# ---- memory --------------------------------------------------------------------------------

def rss_kib(pid, field="VmRSS"):
    """A resident-memory figure of a process in KiB (from /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise ValueError(f"no {field} for {pid}")


class RssSampler:
    """Samples a process's VmRSS every `interval` seconds in a thread; peak and count."""

    def __init__(self, pid, interval=0.02):
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.peak_anon = 0  # the daemon's own memory (heap, stacks)
        self.peak_file = 0  # mapped files: the binary, libraries, LevelDB's tables
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self):
        try:
            kib = rss_kib(self.pid)
            anon = rss_kib(self.pid, "RssAnon")
            file_backed = rss_kib(self.pid, "RssFile")
        except (OSError, ValueError):
            return None  # the process is gone; the test notices that itself
        self.peak = max(self.peak, kib)
        self.peak_anon = max(self.peak_anon, anon)
        self.peak_file = max(self.peak_file, file_backed)
        self.samples += 1
        return kib

    def start(self):
        self.sample()
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self.sample()


# ---- the tests -----------------------------------------------------------------------------

class FloodTest(IntegrationTest):

    def setUp(self):
        super().setUp()
        # alice invites, so her public key (in the code) is what a stranger can know.
        self.alice = self.make_daemon("alice")
        self.bob = self.make_daemon("bob")
        code = pair(self.alice, self.bob)
        self.alice_key = invite_public_key(code)
        host, port = self.alice.status()["listen_address"].rsplit(":", 1)
        self.alice_addr = (host, int(port))
        self.round = 0

    def watch_rss(self, daemon):
        sampler = RssSampler(daemon.proc.pid).start()
        self.addCleanup(sampler.stop)
        return sampler

    def assert_rss_bound(self, sampler, what):
        sampler.stop()
        if SANITIZER:
            sys.stderr.write(f"\n  ({what}: VmRSS bound not checked in a {SANITIZER} "
                             f"sanitizer build; peak {sampler.peak} KiB) ")
            return
        self.assertGreater(sampler.samples, 10, "too few RSS samples")
        # The bound is on the daemon's own memory. VmRSS also counts the pages of
        # LevelDB's table files, which LevelDB maps to read them: page cache that
        # the kernel reclaims at will, growing with what was read, not with a flood.
        self.assertLess(sampler.peak_anon, RSS_BOUND_KIB,
                        f"{what}: peak anonymous resident memory {sampler.peak_anon} KiB over "
                        f"the {RSS_BOUND_KIB} KiB bound (VmRSS {sampler.peak} KiB, of it "
                        f"file-backed {sampler.peak_file} KiB)")
        sys.stderr.write(f"\n  ({what}: peak anonymous {sampler.peak_anon} KiB, VmRSS "
                         f"{sampler.peak} KiB) ")
        after = rss_kib(sampler.pid, "RssAnon")
        self.assertLess(after, RSS_BOUND_KIB,
                        f"{what}: anonymous resident memory {after} KiB after the flood")

    def assert_alive(self):
        for d in (self.alice, self.bob):
            self.assertIsNone(d.proc.poll(), f"{d.name} died\n{d.log_tail()}")

    def exchange(self, alice_events, bob_events, deadline=DELIVERY_DEADLINE):
        """One message each way, each delivered (an event on the receiver) in time."""
        self.round += 1
        to_bob, to_alice = f"to bob #{self.round}", f"to alice #{self.round}"
        self.alice.send(to_bob)
        self.bob.send(to_alice)
        bob_events.wait_event("message_received", timeout=deadline,
                              predicate=lambda m: m["message"]["text"] == to_bob)
        alice_events.wait_event("message_received", timeout=deadline,
                                predicate=lambda m: m["message"]["text"] == to_alice)

    def test_handshake_flood_never_blocks_the_partner(self):
        """Bound: FLOOD_ATTEMPTS (15,000; 5,000 in a sanitizer build) handshake attempts
        from a stranger (random hello-shaped frames, hellos with a wrong mac1, and
        session hellos with a valid mac1 but not the partner's mac2), from 6 source
        addresses and 12 sockets at a time, as fast as the daemon takes them, get not
        one byte back (but the pairing refusal frame, for a pairing hello with a valid
        mac1), and none costs alice a DH (her log says where each was dropped); every partner message sent during the
        flood, both ways, is delivered within DELIVERY_DEADLINE (5 s); the link is up
        afterwards; alice's VmRSS stays under 32 MiB during and after the flood."""
        rss = self.watch_rss(self.alice)
        alice_events = self.alice.subscribe()
        bob_events = self.bob.subscribe()
        self.addCleanup(alice_events.close)
        self.addCleanup(bob_events.close)
        flood = HandshakeFlood(self.alice_addr, mac1_key(self.alice_key), stranger_sources(6),
                               total=FLOOD_ATTEMPTS, threads=12)
        self.addCleanup(flood.stop)
        flood.start()
        exchanged = 0
        while flood.running():
            self.exchange(alice_events, bob_events)
            exchanged += 1
        flood.join()
        self.exchange(alice_events, bob_events)
        self.assert_alive()
        self.assertGreaterEqual(flood.attempts(), FLOOD_ATTEMPTS - sum(flood.failed))
        self.assertLessEqual(sum(flood.failed), FLOOD_ATTEMPTS // 100,
                             "too many flood connections failed")
        self.assertEqual(sum(flood.answered), 0, "a stranger's handshake attempt was answered")
        self.assertGreaterEqual(exchanged, 1, "no partner message was sent during the flood")
        wait_for(lambda: harness.link_up(self.alice, self.bob), LINK_BACK_DEADLINE,
                 "the link to be up")
        self.assert_rss_bound(rss, "handshake flood")
        # The stranger knows alice's key, not the pair's: no hello reached the DH.
        log = self.alice.log_text()
        self.assertGreater(log.count(DROPPED_AT_MAC2), 0, "no valid-mac1 hello was dropped at mac2")
        self.assertEqual(log.count(REFUSED_AFTER_DH), 0, "a stranger's hello cost alice a DH")
        sys.stderr.write(f"\n  handshake flood: {flood.attempts()} attempts in "
                         f"{flood.elapsed():.1f} s, {exchanged} exchanges during it, "
                         f"peak VmRSS {rss.peak} KiB ... ")

    def test_stranger_sharing_the_partners_address(self):
        """Bound: a stranger who knows alice's public key and floods valid-mac1 hellos
        from the partner's own address (127.0.0.1: were they counted by the per-source
        rate limit, they would drain the budget bob's dials use; they are dropped at
        mac2 before it) for 3 s still cannot keep the partners apart:
        bob is restarted in the middle of it (so the link must be re-established),
        and the link comes back within 10 s (times SLOWDOWN under a sanitizer), every
        message sent is delivered, and alice's VmRSS stays under 32 MiB."""
        rss = self.watch_rss(self.alice)
        flood = HandshakeFlood(self.alice_addr, mac1_key(self.alice_key), ["127.0.0.1"],
                               kinds=("wrong_key",), rate=1500, threads=4)
        self.addCleanup(flood.stop)
        flood.start()
        wait_for(lambda: flood.attempts() >= 300, 10, "the flood to get going")
        self.bob.kill9()
        self.alice.send("sent while bob is down")
        self.bob.start(same_port=True)
        wait_for(lambda: harness.link_up(self.alice, self.bob), LINK_BACK_DEADLINE,
                 "the link to come back during the flood")
        alice_events = self.alice.subscribe()
        bob_events = self.bob.subscribe()
        self.addCleanup(alice_events.close)
        self.addCleanup(bob_events.close)
        self.exchange(alice_events, bob_events)
        deadline = flood.started_at + 3.0
        while time.monotonic() < deadline:
            self.exchange(alice_events, bob_events)
        flood.stop()
        self.assertEqual(sum(flood.answered), 0, "a stranger's handshake attempt was answered")
        wait_for(lambda: any(m["text"] == "sent while bob is down"
                             for m in self.bob.history_all()),
                 DELIVERY_DEADLINE, "bob to receive what alice sent while he was down")
        self.assert_alive()
        self.assert_rss_bound(rss, "valid-mac1 flood from the partner's address")

    def test_idle_unauthenticated_connections_are_capped_and_time_out(self):
        """Bound: hundreds of idle TCP connections to the peer port (300 at once, from 4
        source addresses, refilled as alice closes them while the checks run) leave at
        most MAX_PENDING_HANDSHAKES (64) of them open beyond the time to be accepted,
        and each one is closed within HANDSHAKE_TIMEOUT_S (5 s) + 2 s of being opened;
        meanwhile alice answers status within 2 s, partner messages flow both ways
        within 5 s, bob is restarted and the link comes back although every
        unauthenticated slot is taken; alice's VmRSS stays under 32 MiB."""
        self.hold_unauthenticated(b"", "idle connections", restart_bob=True)

    def test_unfinished_maximal_frames_are_capped_and_time_out(self):
        """Bound: 300 connections that each send a hello frame's 2-byte length 65535
        and then 65,000 of its bytes, and stall, leave at most MAX_PENDING_HANDSHAKES
        (64) open, each closed within HANDSHAKE_TIMEOUT_S (5 s) + 2 s, with no byte
        answered; partner messages flow within 5 s, status answers within 2 s, and
        alice's VmRSS (her frame buffers for 64 unfinished frames included) stays under
        32 MiB."""
        payload = b"\xff\xff" + random.Random(7).randbytes(65000)
        self.hold_unauthenticated(payload, "unfinished maximal frames", restart_bob=False)

    def hold_unauthenticated(self, payload, what, restart_bob):
        rss = self.watch_rss(self.alice)
        holder = IdleConnectionHolder(self.alice_addr, stranger_sources(4), keep_open=300,
                                      payload=payload)
        self.addCleanup(holder.stop)
        holder.start()
        wait_for(lambda: holder.opened >= 300, 10, "300 connections to be opened")
        wait_for(lambda: 0 < holder.open_count(older_than=1.0) <= MAX_PENDING_HANDSHAKES, 5,
                 f"alice to hold some connections, at most {MAX_PENDING_HANDSHAKES}")

        alice_events = self.alice.subscribe()
        bob_events = self.bob.subscribe()
        self.addCleanup(alice_events.close)
        self.addCleanup(bob_events.close)
        for _ in range(3):
            t0 = time.monotonic()
            self.assertTrue(self.alice.rpc("status", timeout=STATUS_DEADLINE)["paired"])
            self.assertLess(time.monotonic() - t0, STATUS_DEADLINE)
            self.exchange(alice_events, bob_events)
        if restart_bob:
            # The partner reconnects while the strangers hold every unauthenticated slot.
            bob_events.close()
            self.bob.kill9()
            self.bob.start(same_port=True)
            wait_for(lambda: harness.link_up(self.alice, self.bob), LINK_BACK_DEADLINE,
                     "the link to come back while the strangers fill the cap")
            bob_events = self.bob.subscribe()
            self.addCleanup(bob_events.close)
            self.exchange(alice_events, bob_events)
        self.assertGreater(holder.opened, 300, "the holder should have kept refilling")

        holder.stop_opening()
        wait_for(lambda: holder.open_count(older_than=0.0) == 0, HANDSHAKE_TIMEOUT_S + 4,
                 "every stranger connection to be closed by alice")
        holder.stop()
        self.assertEqual(holder.answered, 0, "a stranger's connection got bytes from alice")
        self.assertLessEqual(holder.max_open_after_accept, MAX_PENDING_HANDSHAKES,
                             "more unauthenticated connections held than the cap")
        self.assertLessEqual(holder.longest_life, HANDSHAKE_TIMEOUT_S + 2.0,
                             f"a stranger's connection lived {holder.longest_life:.2f} s")
        self.assertGreater(holder.longest_life, HANDSHAKE_TIMEOUT_S - 1.0,
                           "no connection was held until its timeout")
        self.exchange(alice_events, bob_events)
        self.assert_alive()
        self.assert_rss_bound(rss, what)
        sys.stderr.write(f"\n  {what}: {holder.opened} opened, at most "
                         f"{holder.max_open_after_accept} held, longest "
                         f"{holder.longest_life:.2f} s, peak VmRSS {rss.peak} KiB ... ")

    def test_control_clients_are_capped(self):
        """Bound: of 200 control clients connected at once, at most
        CONTROL_MAX_CLIENTS (64, control_limits.h) are served; every other one is told
        so in one JSON-RPC error line (resource_exhausted) and closed, at once, and so
        is a fresh client while the cap is full; the clients held are all served (status,
        send, events from the partner); once some leave, a fresh client is answered
        within 2 s; 2,000 more connect-and-leave clients later, a fresh client is still
        answered; alice's VmRSS stays under 32 MiB."""
        rss = self.watch_rss(self.alice)
        conns = []
        for _ in range(200):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect(self.alice.socket_path)
            conns.append(LineSocket(s))
        self.addCleanup(lambda: [c.close() for c in conns])
        held, refused = [], []
        for c in conns:
            try:
                c.send_json({"jsonrpc": "2.0", "id": 1, "method": "status", "params": {}})
            except OSError:
                pass  # refused and closed: its error line is still readable
            reply = c.read_json(timeout=10)
            if "result" in reply:
                self.assertTrue(reply["result"]["paired"])
                held.append(c)
            else:
                self.assert_busy_reply(reply)
                self.assertTrue(c.at_eof(timeout=5), "a refused client was not closed")
                refused.append(c)
        # A harness connection closed just before may not have been reaped yet.
        self.assertLessEqual(len(held), CONTROL_MAX_CLIENTS)
        self.assertGreaterEqual(len(held), CONTROL_MAX_CLIENTS - 2)
        self.assertEqual(len(refused), 200 - len(held))

        # Full: a fresh client is refused at once, not left hanging.
        t0 = time.monotonic()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(self.alice.socket_path)
            fresh = LineSocket(s)
            self.assert_busy_reply(fresh.read_json(timeout=STATUS_DEADLINE))
            self.assertTrue(fresh.at_eof(timeout=STATUS_DEADLINE))
        self.assertLess(time.monotonic() - t0, STATUS_DEADLINE)

        # The clients held are served: one subscribes, another sends, all answer status.
        subscriber = held[0]
        subscriber.send_json({"jsonrpc": "2.0", "id": 2, "method": "subscribe", "params": {}})
        self.assertIn("result", subscriber.read_json(timeout=STATUS_DEADLINE))
        bob_events = self.bob.subscribe()
        self.addCleanup(bob_events.close)
        for i in range(3):
            to_alice, to_bob = f"capped to alice {i}", f"capped to bob {i}"
            self.bob.send(to_alice)
            subscriber.wait_event(lambda e: e.get("message_received", {}).get(
                "message", {}).get("text") == to_alice, DELIVERY_DEADLINE)
            held[1].send_json({"jsonrpc": "2.0", "id": 10 + i, "method": "send",
                               "params": {"text": to_bob}})
            self.assertIn("result", held[1].read_json(timeout=DELIVERY_DEADLINE))
            bob_events.wait_event("message_received", timeout=DELIVERY_DEADLINE,
                                  predicate=lambda m, t=to_bob: m["message"]["text"] == t)
        for c in held[2:]:
            c.send_json({"jsonrpc": "2.0", "id": 3, "method": "status", "params": {}})
        for c in held[2:]:
            self.assertIn("result", c.read_json(timeout=STATUS_DEADLINE))

        # Some leave: a fresh client is served again.
        for c in held[32:]:
            c.close()
        wait_for(lambda: fresh_status(self.alice), STATUS_DEADLINE,
                 "a fresh client to be answered once clients left")

        # Churn: clients that connect and leave, some mid-request, do not use up the cap.
        for i in range(2000):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect(self.alice.socket_path)
                if i % 4 == 0:
                    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"sta')
        wait_for(lambda: fresh_status(self.alice), STATUS_DEADLINE,
                 "a fresh client to be answered after the churn")
        for c in held[:32]:
            c.close()
        self.assert_alive()
        self.assert_rss_bound(rss, "control clients")

    LAZY_SUBSCRIBERS = CONTROL_MAX_CLIENTS - 4
    LAZY_MESSAGES = 300
    # Messages the reading subscriber may be behind: 60 x 59 KB, well under its 8 MiB.
    READER_MAY_LAG = 60
    # While the lazy ones are being dropped (their kernel buffers fill after about 4
    # messages, the budget is spent by about the 10th), the reader keeps up: the
    # daemon drops the client that took none of its output for longest, and a
    # Python thread starved for those few milliseconds would look like one.
    READER_CAUGHT_UP_UNTIL = 20

    def lazy_subscriber_flood(self):
        """LAZY_SUBSCRIBERS subscribers on alice that never read; bob sends
        LAZY_MESSAGES texts of nearly MAX_TEXT_BYTES; a reader thread counts the events
        on one more subscriber. Returns (rss sampler, lazy LineSockets, reader counts,
        slowest fresh-client status in seconds)."""
        rss = self.watch_rss(self.alice)
        lazy = []
        for _ in range(self.LAZY_SUBSCRIBERS):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(10)
            sock.connect(self.alice.socket_path)
            sock.sendall(b'{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{}}\n')
            lazy.append(LineSocket(sock))
        self.addCleanup(lambda: [c.close() for c in lazy])
        reader = self.alice.subscribe()
        self.addCleanup(reader.close)
        received = {"count": 0, "error": None}

        def read_events():
            try:
                while received["count"] < self.LAZY_MESSAGES:
                    reader.wait_event("message_received", timeout=30)
                    received["count"] += 1
            except Exception as e:  # reported by the test
                received["error"] = e
        thread = threading.Thread(target=read_events, daemon=True)
        thread.start()
        filler = "x" * (MAX_TEXT_BYTES - 1000)
        slowest_status = 0.0
        with self.bob.connect() as bob:
            for i in range(self.LAZY_MESSAGES):
                # The reading subscriber reads at its own pace (a Python thread, which on
                # a loaded machine can fall 8 MiB behind and be dropped as lazy itself):
                # the flood waits for it, while the lazy ones still get all 17 MB.
                may_lag = 0 if i < self.READER_CAUGHT_UP_UNTIL else self.READER_MAY_LAG
                wait_for(lambda: received["count"] >= i - may_lag
                         or received["error"] is not None, 30,
                         "the reading subscriber to keep up")
                bob.call("send", {"text": f"lazy {i} {filler}"})
                if i % 50 == 49:
                    t0 = time.monotonic()
                    fresh_status(self.alice)
                    slowest_status = max(slowest_status, time.monotonic() - t0)
        thread.join(60)
        return rss, lazy, received, slowest_status

    def test_subscribers_that_never_read_are_dropped(self):
        """Bound: with LAZY_SUBSCRIBERS (60) subscribers on alice that never read, 300
        partner messages of 59 KB (17 MB of events per subscriber, more than
        CONTROL_MAX_QUEUED_OUTPUT, 8 MiB, per client) are all delivered and all reach a
        subscriber that reads, within 30 s; every subscriber that never read is
        disconnected within 10 s; a fresh client's status is answered within 2 s
        throughout. (Alice's memory during this flood: the next test.)"""
        self.assertGreater(self.LAZY_MESSAGES * (MAX_TEXT_BYTES - 1000),
                           CONTROL_MAX_QUEUED_OUTPUT, "the flood must overflow a client's queue")
        rss, lazy, received, slowest_status = self.lazy_subscriber_flood()
        self.assertIsNone(received["error"], f"the reading subscriber: {received['error']}")
        self.assertEqual(received["count"], self.LAZY_MESSAGES)
        self.assertLess(slowest_status, STATUS_DEADLINE)
        wait_for(lambda: all(c.drained_to_eof() for c in lazy), 10,
                 "every subscriber that never read to be disconnected")
        self.assertTrue(fresh_status(self.alice)["link_up"])
        self.assert_alive()
        rss.stop()
        sys.stderr.write(f"\n  lazy subscribers: peak VmRSS {rss.peak} KiB, now "
                         f"{rss_kib(rss.pid)} KiB, slowest status "
                         f"{slowest_status * 1000:.0f} ms ... ")

    def test_subscribers_that_never_read_memory_bound(self):
        """Bound: during the flood of test_subscribers_that_never_read_are_dropped,
        alice's VmRSS stays under 32 MiB: all clients together may queue at most
        ControlLimits::max_total_queued_output_bytes, past which the slowest reader is
        dropped (before that bound it peaked at about 560 MiB)."""
        if SANITIZER:
            self.skipTest(f"VmRSS says nothing in a {SANITIZER} sanitizer build")
        rss, lazy, received, _ = self.lazy_subscriber_flood()
        self.assertEqual(received["count"], self.LAZY_MESSAGES)
        self.assert_rss_bound(rss, "subscribers that never read")

    def test_large_history_replies_memory_bound(self):
        """Bound: 4 control clients that each page through alice's whole history of
        300 partner messages of 59 KB (17.7 MB of text each) get every message while
        alice's VmRSS stays under 32 MiB: a history page stops at about 256 KiB of
        text (`more` is set), so no reply holds a whole history (before that bound
        one request built a 17.7 MB reply and alice peaked at about 250 MiB)."""
        if SANITIZER:
            self.skipTest(f"VmRSS says nothing in a {SANITIZER} sanitizer build")
        filler = "y" * (MAX_TEXT_BYTES - 1000)
        with self.bob.connect() as bob:
            for i in range(300):
                bob.call("send", {"text": f"history {i} {filler}"})
        wait_for(lambda: self.alice.rpc("history", {"limit": 1})["messages"][0]["text"]
                 .startswith("history 299 "), 30, "alice to receive the 300 messages")
        rss = self.watch_rss(self.alice)
        clients = []
        for _ in range(4):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(self.alice.socket_path)
            clients.append(LineSocket(sock))
        self.addCleanup(lambda: [c.close() for c in clients])
        seen = [set() for _ in clients]
        before = [0 for _ in clients]
        more = [True for _ in clients]
        while any(more):
            for i, c in enumerate(clients):
                if more[i]:
                    c.send_json({"jsonrpc": "2.0", "id": 1, "method": "history",
                                 "params": {"limit": 1000, "before_id": before[i]}})
            for i, c in enumerate(clients):
                if not more[i]:
                    continue
                page = c.read_json(timeout=60)["result"]
                for m in page["messages"]:
                    seen[i].add(m["text"][:12])
                before[i] = int(page["messages"][0]["id"])
                more[i] = page.get("more", False)
        for s in seen:
            self.assertEqual(len([t for t in s if t.startswith("history ")]), 300)
        self.assert_alive()
        self.assert_rss_bound(rss, "large history replies")

    def assert_busy_reply(self, reply):
        self.assertEqual(reply.get("jsonrpc"), "2.0", reply)
        self.assertIsNone(reply.get("id"), reply)
        self.assertEqual(reply["error"]["code"], RESOURCE_EXHAUSTED, reply)
        self.assertEqual(reply["error"]["data"]["code_name"], "resource_exhausted", reply)
        self.assertIn(str(CONTROL_MAX_CLIENTS), reply["error"]["message"], reply)


# ---- helpers for the tests above ------------------------------------------------------------

def fresh_status(daemon):
    """status from a new control client; None while the daemon refuses it as busy (it
    reaps clients that left asynchronously, so a slot frees a moment after a close)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(STATUS_DEADLINE)
        s.connect(daemon.socket_path)
        conn = LineSocket(s)
        conn.send_json({"jsonrpc": "2.0", "id": 1, "method": "status", "params": {}})
        reply = conn.read_json(timeout=STATUS_DEADLINE)
        if reply.get("error", {}).get("code") == RESOURCE_EXHAUSTED:
            return None
        return reply["result"]


class LineSocket(harness.RpcConnection):
    """A raw control-socket connection read line by line (JSON-RPC): the harness's
    RpcConnection over a socket the test connected itself, plus flood helpers."""

    def __init__(self, sock):  # pylint: disable=super-init-not-called
        self.sock = sock
        self.buffer = b""
        self.next_id = 1
        self.closed = False

    def close(self):
        if not self.closed:
            self.closed = True
            self.sock.close()

    def send_json(self, obj):
        self.send_line(obj)

    def read_json(self, timeout):
        return self.read_line(timeout)

    def wait_event(self, predicate, timeout):
        """Skips lines until an event notification whose params match predicate."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read_json(max(0.001, deadline - time.monotonic()))
            if msg.get("method") == "event" and predicate(msg.get("params", {})):
                return msg["params"]

    def drained_to_eof(self):
        """Reads whatever is buffered without waiting; True once the daemon has closed
        the connection. What was read is dropped (for clients that never read)."""
        self.sock.setblocking(False)
        try:
            while True:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    return True
        except BlockingIOError:
            return False
        except OSError:
            return True

    def at_eof(self, timeout):
        """True once the daemon has closed the connection (EOF or reset)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True
            self.buffer += chunk
        return False


class IdleConnectionHolder:
    """Keeps `keep_open` idle TCP connections to a peer port open from the given source
    addresses (re-opening, at most `refill_rate` per second, those the daemon closes),
    and records, with an epoll loop in a thread, how long each one lived and how many
    were open at once beyond `accept_grace` seconds of age."""

    def __init__(self, target, sources, keep_open, refill_rate=200, accept_grace=1.0,
                 payload=b""):
        self.payload = payload  # sent once on each connection before it idles
        self.target = target
        self.sources = sources
        self.keep_open = keep_open
        self.refill_rate = refill_rate
        self.accept_grace = accept_grace
        self.opened = 0
        self.answered = 0
        self.longest_life = 0.0
        self.max_open_after_accept = 0
        self.open = {}  # socket -> when it was connected
        self.lock = threading.Lock()
        self.selector = selectors.DefaultSelector()
        self.opening = threading.Event()
        self.opening.set()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()

    def stop_opening(self):
        self.opening.clear()

    def stop(self):
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(10)
        with self.lock:
            for s in list(self.open):
                self.selector.unregister(s)
                s.close()
            self.open.clear()

    def open_count(self, older_than):
        now = time.monotonic()
        with self.lock:
            return sum(1 for t in self.open.values() if now - t >= older_than)

    def _open_one(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.bind((self.sources[self.opened % len(self.sources)], 0))
        s.settimeout(5)
        s.connect(self.target)
        if self.payload:
            try:
                s.sendall(self.payload)
            except OSError:
                pass  # closed at once (the cap): the epoll loop sees it
        s.setblocking(False)
        with self.lock:
            self.open[s] = time.monotonic()
            self.selector.register(s, selectors.EVENT_READ)
        self.opened += 1

    def _run(self):
        # The first keep_open connections go out at once, then refills are paced.
        budget = float(self.keep_open)
        last = time.monotonic()
        while not self.stopping.is_set():
            now = time.monotonic()
            budget = min(float(self.keep_open), budget + (now - last) * self.refill_rate)
            last = now
            if self.opening.is_set():
                while len(self.open) < self.keep_open and budget >= 1:
                    self._open_one()
                    budget -= 1
            for key, _ in self.selector.select(timeout=0.01):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    self.answered += 1
                with self.lock:
                    born = self.open.pop(s)
                    self.selector.unregister(s)
                self.longest_life = max(self.longest_life, time.monotonic() - born)
                s.close()
            self.max_open_after_accept = max(self.max_open_after_accept,
                                             self.open_count(self.accept_grace))


if __name__ == "__main__":
    harness.main()
