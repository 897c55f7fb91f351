#!/usr/bin/env python3
"""Crashes: kill -9 of the sender or the receiver in the middle of a burst.

Every message whose `send` reply reached the client must arrive exactly once, in
order; a message sent when the crash hit (no reply) may or may not arrive, but
nothing arrives twice and the order is kept.
"""

import sys
import threading

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, pair, wait_equal, wait_for

CONNECTIONS = 2   # concurrent client connections sending
WINDOW = 4        # requests in flight per connection (pipelined JSON-RPC)


class Burst:
    """Sends texts over several pipelined JSON-RPC connections from background threads.

    For each connection it records the texts written (attempted) and those whose
    reply arrived (accepted), in order. A connection stops at its first error.
    """

    def __init__(self, daemon, prefix, per_connection):
        self.daemon = daemon
        self.lanes = []
        for c in range(CONNECTIONS):
            self.lanes.append({
                "texts": [f"{prefix}-c{c}-{i:05d}" for i in range(per_connection)],
                "attempted": [], "accepted": [], "error": None,
            })
        self.threads = [threading.Thread(target=self._run, args=(lane,), daemon=True)
                        for lane in self.lanes]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def join(self, timeout=60):
        for t in self.threads:
            t.join(timeout)
            assert not t.is_alive(), "a burst thread is stuck"

    def accepted_count(self):
        return sum(len(lane["accepted"]) for lane in self.lanes)

    def finished(self):
        return not any(t.is_alive() for t in self.threads)

    def accepted(self):
        return [t for lane in self.lanes for t in lane["accepted"]]

    def attempted(self):
        return [t for lane in self.lanes for t in lane["attempted"]]

    def errors(self):
        return [lane["error"] for lane in self.lanes if lane["error"] is not None]

    def _run(self, lane):
        texts = lane["texts"]
        try:
            with self.daemon.connect(timeout=30) as conn:
                i = 0
                while i < len(texts):
                    batch = texts[i:i + WINDOW]
                    for k, t in enumerate(batch):
                        lane["attempted"].append(t)
                        conn.send_line({"jsonrpc": "2.0", "id": i + k + 1, "method": "send",
                                        "params": {"text": t}})
                    for k, t in enumerate(batch):
                        reply = conn.read_line(timeout=30)
                        if reply.get("id") != i + k + 1 or "result" not in reply:
                            raise AssertionError(f"unexpected reply to send #{i + k + 1}: {reply}")
                        lane["accepted"].append(t)
                    i += len(batch)
        except Exception as e:  # noqa: BLE001 - the test inspects it
            lane["error"] = e


def texts(messages, direction=None):
    return [m["text"] for m in messages if direction is None or m["direction"] == direction]


class CrashTest(IntegrationTest):

    def check_delivery(self, sender, receiver, bursts, prefix_before=(), after=()):
        """Receiver's incoming == sender's outgoing, exactly once, ordered per connection."""
        wait_for(lambda: harness.link_up(sender, receiver), 30, "the link to come back")
        wait_for(lambda: int(sender.status()["unacknowledged"]) == 0, 60,
                 "the sender's outbox to drain", interval=0.2)
        received = texts(receiver.history_all(), "INCOMING")
        sent = texts(sender.history_all(), "OUTGOING")
        self.assertEqual(len(received), len(set(received)), "duplicates at the receiver")
        self.assertEqual(received, sent, "receiver's history differs from the sender's outbox")
        self.assertEqual(received[:len(prefix_before)], list(prefix_before))
        if after:
            self.assertEqual(received[-len(after):], list(after))
        position = {t: i for i, t in enumerate(received)}
        for burst in bursts:
            missing = [t for t in burst.accepted() if t not in position]
            self.assertEqual(missing, [], f"{len(missing)} accepted messages were lost")
            for lane in burst.lanes:
                got = [position[t] for t in lane["attempted"] if t in position]
                self.assertEqual(got, sorted(got), "a connection's messages arrived out of order")
                # Only the in-flight tail (no reply) may be missing, never one in the middle.
                arrived = [t for t in lane["attempted"] if t in position]
                self.assertEqual(arrived, lane["attempted"][:len(arrived)],
                                 "a gap: a later message arrived but an earlier one did not")
                self.assertLessEqual(len(lane["attempted"]) - len(lane["accepted"]), WINDOW)
        attempted = {t for burst in bursts for t in burst.attempted()}
        fixed = set(prefix_before) | set(after)
        stray = [t for t in received if t not in attempted and t not in fixed]
        self.assertEqual(stray, [], "messages nobody sent")
        return received

    def test_kill9_sender_mid_burst(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        alice.send("before")
        bursts = []
        for round_ in range(3):
            burst = Burst(alice, f"s{round_}", per_connection=5000).start()
            bursts.append(burst)
            wait_for(lambda: burst.accepted_count() >= 400, 60,
                     "400 messages accepted before the kill")
            alice.kill9()
            burst.join()
            self.assertFalse(all(len(lane["attempted"]) == len(lane["texts"])
                                 for lane in burst.lanes), "the burst finished before the kill")
            self.assertEqual(len(burst.errors()), CONNECTIONS)  # every connection was cut
            alice.start()
        alice.send("after")
        received = self.check_delivery(alice, bob, bursts, prefix_before=["before"],
                                       after=["after"])
        self.assertGreaterEqual(len(received), 2 + sum(b.accepted_count() for b in bursts))

    def test_kill9_receiver_mid_burst(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        alice.send("before")
        wait_equal(lambda: texts(bob.history_all()), ["before"], 20, "bob to receive 'before'")
        burst = Burst(alice, "r", per_connection=1000).start()
        for kill_at in (300, 900, 1500):
            wait_for(lambda: burst.accepted_count() >= kill_at or burst.finished(), 60,
                     f"{kill_at} messages accepted")
            wait_for(lambda: harness.link_up(alice, bob), 20, "the link before the kill")
            bob.kill9()
            # Keep sending while bob is dead for a while.
            target = burst.accepted_count() + 150
            wait_for(lambda: burst.accepted_count() >= target or burst.finished(), 60,
                     "more messages accepted while bob is dead")
            bob.start()
        burst.join()
        self.assertEqual(burst.errors(), [], "the sender must accept every message")
        self.assertEqual(len(burst.accepted()), CONNECTIONS * 1000)
        alice.send("after")
        received = self.check_delivery(alice, bob, [burst], prefix_before=["before"],
                                       after=["after"])
        self.assertEqual(len(received), 2 + CONNECTIONS * 1000)
        self.assertEqual(sorted(received[1:-1]), sorted(burst.accepted()))

    def test_kill9_both_with_messages_both_ways(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        a_burst = Burst(alice, "a", per_connection=3000).start()
        b_burst = Burst(bob, "b", per_connection=3000).start()
        wait_for(lambda: a_burst.accepted_count() >= 300 and b_burst.accepted_count() >= 300, 60,
                 "both sides to have sent 300")
        bob.kill9()
        alice.kill9()
        a_burst.join()
        b_burst.join()
        # Bob comes back on his old port (alice only knows that one); alice on a new
        # port, and she dials bob.
        bob.start(same_port=True)
        alice.start()
        alice.send("a-after")
        bob.send("b-after")
        self.check_delivery(alice, bob, [a_burst], after=["a-after"])
        self.check_delivery(bob, alice, [b_burst], after=["b-after"])


if __name__ == "__main__":
    harness.main()
