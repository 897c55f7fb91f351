#!/usr/bin/env python3
"""Delivery: queued messages reach a partner that was away, exactly once, in order."""

import sys
import threading

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, pair, wait_equal, wait_for

COUNT = 1000


def texts(messages, direction=None):
    return [m["text"] for m in messages if direction is None or m["direction"] == direction]


def unacknowledged(d):
    return int(d.status()["unacknowledged"])


class DeliveryTest(IntegrationTest):

    def test_thousand_messages_while_partner_stopped(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        alice.send("warm-up")
        wait_for(lambda: unacknowledged(alice) == 0, 20, "the warm-up message to be delivered")

        bob.stop()
        wait_for(lambda: not alice.status()["link_up"], 20, "alice to notice bob is gone")
        expected = [f"queued {i:04d} " + "x" * (i % 37) for i in range(COUNT)]
        ids = []
        with alice.connect() as conn:
            for t in expected:
                ids.append(int(conn.call("send", {"text": t})["id"]))
        self.assertEqual(ids, sorted(set(ids)), "send ids must increase")
        self.assertEqual(unacknowledged(alice), COUNT)
        pending = [m for m in alice.history_all() if m["direction"] == "OUTGOING"][1:]
        self.assertEqual(texts(pending), expected)
        self.assertTrue(all(m["state"] == "PENDING" for m in pending))

        bob.start()
        wait_for(lambda: unacknowledged(alice) == 0, 60,
                 f"alice's {COUNT} queued messages to be acknowledged", interval=0.2)

        # Bob has exactly the warm-up and the 1,000, in order, no duplicates. One page
        # of 1000 (the most allowed) plus before_id for the rest.
        page = bob.rpc("history", {"limit": 1000})
        self.assertEqual(len(page["messages"]), 1000)
        self.assertTrue(page["more"])
        self.assertEqual(texts(page["messages"]), expected[-1000:])
        older = bob.rpc("history", {"limit": 1000, "before_id": page["messages"][0]["id"]})
        self.assertFalse(older["more"])
        self.assertEqual(texts(older["messages"]), ["warm-up"] + expected[:-1000])

        received = bob.history_all()
        self.assertEqual(texts(received), ["warm-up"] + expected)
        self.assertTrue(all(m["direction"] == "INCOMING" for m in received))
        ids = [int(m["id"]) for m in received]
        self.assertEqual(ids, sorted(set(ids)))
        # Smaller pages give the same conversation.
        self.assertEqual(texts(bob.history_all(page=97)), ["warm-up"] + expected)
        # The default page is the newest 50.
        default = bob.rpc("history", {})
        self.assertEqual(texts(default["messages"]), expected[-50:])
        self.assertTrue(default["more"])

        wait_for(lambda: all(m["state"] == "DELIVERED" for m in alice.history_all()), 20,
                 "alice's messages to be marked DELIVERED")

        # Nothing arrives twice after another restart of either side.
        bob.restart()
        wait_for(lambda: harness.link_up(alice, bob), 20, "the link after bob's restart")
        alice.send("last")
        wait_equal(lambda: texts(bob.history_all())[-1:], ["last"], 20, "the last message")
        self.assertEqual(texts(bob.history_all()), ["warm-up"] + expected + ["last"])

    def test_messages_to_a_restarted_daemon_arrive(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        alice.send("one")
        wait_equal(lambda: texts(bob.history_all()), ["one"], 20, "bob to receive 'one'")

        # Bob restarts (on a new port): alice's message still arrives, and his reply.
        bob.restart()
        alice.send("two")
        wait_equal(lambda: texts(bob.history_all()), ["one", "two"], 20,
                 "bob to receive 'two' after his restart")
        bob.send("three")
        wait_equal(lambda: texts(alice.history_all()), ["one", "two", "three"], 20,
                 "alice to receive 'three'")

        # Alice restarts: she finds bob at his new address.
        wait_for(lambda: harness.link_up(alice, bob), 20, "the link before alice restarts")
        alice.restart()
        bob.send("four")
        wait_equal(lambda: texts(alice.history_all()), ["one", "two", "three", "four"], 20,
                 "alice to receive 'four' after her restart")
        alice.send("five")
        wait_equal(lambda: texts(bob.history_all()), ["one", "two", "three", "four", "five"], 20,
                 "bob to receive 'five'")

        # A message queued while alice is down reaches her when she is back.
        alice.stop()
        bob.send("six")
        self.assertEqual(int(bob.status()["unacknowledged"]), 1)
        alice.start()
        wait_equal(lambda: texts(alice.history_all())[-1:], ["six"], 20,
                 "alice to receive 'six' queued while she was stopped")
        wait_for(lambda: int(bob.status()["unacknowledged"]) == 0, 20, "bob's outbox to drain")
        expected = ["one", "two", "three", "four", "five", "six"]
        self.assertEqual(texts(alice.history_all()), expected)
        self.assertEqual(texts(bob.history_all()), expected)

    def test_messages_sent_simultaneously_both_ways(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        a_texts = [f"a{i}" for i in range(100)]
        b_texts = [f"b{i}" for i in range(100)]
        errors = []

        def burst(d, ts):
            try:
                with d.connect() as conn:
                    for t in ts:
                        conn.call("send", {"text": t})
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        threads = [threading.Thread(target=burst, args=(alice, a_texts)),
                   threading.Thread(target=burst, args=(bob, b_texts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        wait_for(lambda: unacknowledged(alice) == 0 and unacknowledged(bob) == 0, 30,
                 "both outboxes to drain")
        self.assertEqual(texts(alice.history_all(), "INCOMING"), b_texts)
        self.assertEqual(texts(bob.history_all(), "INCOMING"), a_texts)
        self.assertEqual(texts(alice.history_all(), "OUTGOING"), a_texts)
        self.assertEqual(texts(bob.history_all(), "OUTGOING"), b_texts)


if __name__ == "__main__":
    harness.main()
