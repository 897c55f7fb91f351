#!/usr/bin/env python3
"""Replayed handshakes (issue 23, item 5), with real daemons.

A session hello is captured on its way from bob to alice (bob dials her through a
forwarder that records the first frame of each connection), then sent to alice again,
from the partner's own address and from many other loopback addresses. Each replay is
refused before any DH (session_hello.h: its stamp is not newer than bob's last hello):
alice answers nothing, holds no handshake slot for it (she hangs up at once, long
before the handshake timeout), starts no session, and says so in her log; the link and
the messages carry on, and bob's own next dial, with a newer stamp, still works.

The flood of valid-mac1 hellos from many addresses is in test_floods.py
(test_handshake_flood_never_blocks_the_partner): none of them reaches the DH either.
"""

import re
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, wait_for  # noqa: E402

ARRIVE = 20.0 * harness.SLOWDOWN
REPLAY_SOURCES = ["127.0.0.1"] + [f"127.0.0.{i}" for i in range(2, 34)]
REPLAYED_LINE = "replayed (its stamp is not newer than the partner's last hello)"
SESSION_HELLO = 3  # hello.h


def handshake_timeout_s():
    """LinkOptions::handshake_timeout, read from the daemon's header."""
    with open(f"{harness.ROOT}/daemon/peer/partner_link.h") as f:
        return int(re.search(r"handshake_timeout\{(\d+)\}", f.read()).group(1)) / 1000.0


class CapturingForwarder:
    """Forwards each TCP connection on 127.0.0.1:<free port> to `target` ("host:port")
    and records the first frame (2-byte length + body) each client sent: what someone
    on the path between the partners can capture."""

    def __init__(self, target):
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.first_frames = []
        self.lock = threading.Lock()
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def frames(self):
        with self.lock:
            return list(self.first_frames)

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=harness.relay, args=(client, upstream, self._capturer()),
                             daemon=True).start()
            threading.Thread(target=harness.relay, args=(upstream, client), daemon=True).start()

    def _capturer(self):
        """An observer of one client connection's bytes that records its first frame."""
        received = bytearray()
        done = False

        def observe(data):
            nonlocal done
            if done:
                return
            received.extend(data)
            size = 2 + int.from_bytes(received[:2], "big") if len(received) >= 2 else None
            if size is not None and len(received) >= size:
                done = True
                with self.lock:
                    self.first_frames.append(bytes(received[:size]))

        return observe

    def close(self):
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                s.close()


def replay(target, source, frame, timeout):
    """Sends `frame` to `target` from `source` and reads until the daemon hangs up.
    Returns what it answered and how long it kept the connection open."""
    host, port = target.rsplit(":", 1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.bind((source, 0))
        s.connect((host, int(port)))
        started = time.monotonic()
        s.sendall(frame)
        answer = b""
        while True:
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                break
            if not data:
                break
            answer += data
        return answer, time.monotonic() - started


class HandshakeReplayTest(IntegrationTest):

    def test_a_captured_session_hello_is_refused_before_any_dh(self):
        alice, bob = self.pair_up()
        forwarder = CapturingForwarder(alice.listen_address)
        self.addCleanup(forwarder.close)
        # Only bob's dials can bring the link up, and they pass the forwarder.
        alice.rpc("partner_addresses", {"set": [f"127.0.0.1:{harness.free_port()}"]})
        bob.rpc("partner_addresses", {"set": [forwarder.address]})
        bob.stop()
        wait_for(lambda: not alice.status()["link_up"], ARRIVE, "the link down")
        bob.start(same_port=True)
        wait_for(lambda: harness.link_up(alice, bob) and forwarder.frames(), ARRIVE,
                 "bob's dial through the forwarder")
        captured = forwarder.frames()[0]
        self.assertEqual(captured[2], SESSION_HELLO, "the first frame is not a session hello")
        sessions_before = alice.log_text().count("awaits key confirmation")

        # Each replay: no answer, and alice hangs up long before the handshake timeout
        # (a replay that reached the DH would get message 2 back and hold its slot).
        patience = handshake_timeout_s() / 2
        for source in REPLAY_SOURCES:
            answer, held = replay(alice.listen_address, source, captured, patience + 1)
            self.assertEqual(answer, b"", f"alice answered a replayed hello from {source}")
            self.assertLess(held, patience, f"alice held a replayed hello from {source}")
        wait_for(lambda: alice.log_text().count(REPLAYED_LINE) >= len(REPLAY_SOURCES), ARRIVE,
                 "a log line for every replay")
        self.assertEqual(alice.log_text().count("awaits key confirmation"), sessions_before,
                         "a replayed hello started a session")
        self.assertTrue(harness.link_up(alice, bob), "the replays broke the link")
        harness.exchange_texts(alice, bob, "after the replays", ARRIVE)

        # Bob's next dial has a newer stamp and gets through; the capture still does not.
        # (The partners told each other their addresses when the link came up: only
        # the forwarder again.)
        alice.rpc("partner_addresses", {"set": [f"127.0.0.1:{harness.free_port()}"]})
        bob.rpc("partner_addresses", {"set": [forwarder.address]})
        dials_before = len(forwarder.frames())
        bob.stop()
        wait_for(lambda: not alice.status()["link_up"], ARRIVE, "the link down again")
        bob.start(same_port=True)
        wait_for(lambda: harness.link_up(alice, bob) and len(forwarder.frames()) > dials_before,
                 ARRIVE, "bob's fresh dial")
        fresh = forwarder.frames()[-1]
        self.assertNotEqual(fresh[3:15], captured[3:15], "bob's stamp did not change")
        answer, _ = replay(alice.listen_address, "127.0.0.1", captured, patience + 1)
        self.assertEqual(answer, b"", "the capture was taken after a newer hello")
        harness.exchange_texts(alice, bob, "after bob's fresh dial", ARRIVE)
        sys.stderr.write(f"\n  {len(REPLAY_SOURCES) + 1} replays of a captured hello refused "
                         f"before DH ... ")


if __name__ == "__main__":
    harness.main()
