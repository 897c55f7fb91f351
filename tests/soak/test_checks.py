#!/usr/bin/env python3
"""Unit tests for the soak test's invariant checks (checks.py) on made-up histories:
a clean run passes, and each kind of violation is counted. No daemon runs."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import checks  # noqa: E402
from flows import Item, Question  # noqa: E402


def text(i, direction, body, state="DELIVERED"):
    return {"id": str(i), "direction": direction, "state": state, "text": body, "kind": "TEXT",
            "sent_at_unix_ms": "0", "send_at_unix_ms": "0"}


def env(i, direction, body, state, kind="SEALED", note="", question_id="0", sent=0, opened=0):
    return {"id": str(i), "direction": direction, "state": "DELIVERED", "text": body,
            "kind": "ENVELOPE", "sent_at_unix_ms": str(sent), "send_at_unix_ms": "0",
            "envelope": {"kind": kind, "state": state, "note": note, "question_id": question_id,
                         "opened_at_unix_ms": str(opened)}}


def question(i, direction, body, state="REVEALED"):
    return {"id": str(i), "direction": direction, "state": "DELIVERED", "text": body,
            "kind": "QUESTION", "question": {"state": state}}


def sent_text(body, sender_id, accepted=True):
    return Item("text", "alice", body, accepted=accepted, sender_id=sender_id)


class ChecksTest(unittest.TestCase):

    def check(self, items, alice, bob, questions=()):
        return checks.check(items, list(questions), {"alice": alice, "bob": bob})

    def assertOnly(self, report, category, count=1):
        self.assertEqual(report.counts[category], count, report.violations)
        self.assertEqual(len(report.violations), count, report.violations)

    def test_a_clean_run_passes(self):
        items = [sent_text("t1", "1"), sent_text("t2", "2"),
                 Item("sealed", "alice", "s1", note="n1", accepted=True, sender_id="3"),
                 Item("gentle", "alice", "g1", note="n2", accepted=True, sender_id="4",
                      withdrawn=True),
                 sent_text("never stored", "", accepted=None)]
        alice = [text(1, "OUTGOING", "t1"), text(2, "OUTGOING", "t2"),
                 env(3, "OUTGOING", "s1", "OPENED", note="n1"),
                 env(4, "OUTGOING", "g1", "WITHDRAWN", kind="GENTLE", note="n2")]
        bob = [text(1, "INCOMING", "t1"), text(2, "INCOMING", "t2"),
               env(3, "INCOMING", "s1", "OPENED", note="n1"),
               env(4, "INCOMING", "", "WITHDRAWN", kind="GENTLE", note="n2")]
        report = self.check(items, alice, bob)
        self.assertEqual(report.violations, [])
        self.assertEqual((report.counts["opened"], report.counts["withdrawn"]), (1, 1))

    def test_lost_on_either_side(self):
        items = [sent_text("t1", "1"), sent_text("t2", "2")]
        report = self.check(items, [text(1, "OUTGOING", "t1")],  # t2 gone from the sender
                            [text(1, "INCOMING", "t1")])
        self.assertOnly(report, "lost")
        report = self.check(items, [text(1, "OUTGOING", "t1"), text(2, "OUTGOING", "t2")],
                            [text(1, "INCOMING", "t2")])  # t1 never arrived
        self.assertOnly(report, "lost")

    def test_duplicated_and_corrupted(self):
        items = [sent_text("t1", "1")]
        report = self.check(items, [text(1, "OUTGOING", "t1")],
                            [text(1, "INCOMING", "t1"), text(2, "INCOMING", "t1")])
        self.assertOnly(report, "duplicated")
        report = self.check(items, [text(1, "OUTGOING", "t1")],
                            [text(1, "INCOMING", "t1"), text(2, "INCOMING", "t1 with a flip")])
        self.assertOnly(report, "corrupted-accepted")

    def test_out_of_order(self):
        items = [sent_text("t1", "1"), sent_text("t2", "2")]
        report = self.check(items, [text(1, "OUTGOING", "t1"), text(2, "OUTGOING", "t2")],
                            [text(1, "INCOMING", "t2"), text(2, "INCOMING", "t1")])
        self.assertOnly(report, "out-of-order")

    def test_withdrawn_but_still_sealed_or_opened_on_the_receiver(self):
        items = [Item("gentle", "alice", "g1", note="n1", accepted=True, sender_id="1",
                      withdrawn=True)]
        alice = [env(1, "OUTGOING", "g1", "WITHDRAWN", kind="GENTLE", note="n1")]
        for state, body in (("WITHHELD", ""), ("OPENED", "g1")):
            bob = [env(1, "INCOMING", body, state, kind="GENTLE", note="n1")]
            self.assertOnly(self.check(items, alice, bob), "wrong-state")

    def test_cancelled_but_arrived(self):
        items = [Item("scheduled", "alice", "later", accepted=True, sender_id="1",
                      withdrawn=True)]
        report = self.check(items, [text(1, "OUTGOING", "later", state="CANCELLED")],
                            [text(1, "INCOMING", "later")])
        self.assertOnly(report, "wrong-state")

    def mutual(self, opened_on_alice):
        """alice answers (a1), withdraws it, answers again (a2); bob answers (b1)."""
        q = Question("Q", asker="alice", ids={"alice": "1", "bob": "1"})
        items = [Item("answer", "alice", "a1", accepted=True, sender_id="2", withdrawn=True,
                      question=q),
                 Item("answer", "alice", "a2", accepted=True, sender_id="4", question=q),
                 Item("answer", "bob", "b1", accepted=True, sender_id="3", question=q)]
        alice = [question(1, "OUTGOING", "Q"),
                 env(2, "OUTGOING", "a1", "WITHDRAWN", kind="ANSWER", question_id="1", sent=50),
                 env(3, "INCOMING", "b1", "OPENED", kind="ANSWER", question_id="1",
                     opened=opened_on_alice),
                 env(4, "OUTGOING", "a2", "OPENED", kind="ANSWER", question_id="1", sent=200)]
        bob = [question(1, "INCOMING", "Q"),
               env(2, "INCOMING", "", "WITHDRAWN", kind="ANSWER", question_id="1"),
               env(3, "OUTGOING", "b1", "OPENED", kind="ANSWER", question_id="1", sent=60),
               env(4, "INCOMING", "a2", "OPENED", kind="ANSWER", question_id="1", opened=210)]
        return self.check(items, alice, bob, [q])

    def test_a_mutual_reveal_after_a_withdrawn_answer(self):
        report = self.mutual(opened_on_alice=210)
        self.assertEqual(report.violations, [])
        self.assertEqual(report.counts["revealed"], 2)

    def test_unfair_reveal(self):
        # alice opened bob's answer (at 100) while her first answer was withdrawn,
        # before she gave the one she stands by (at 200).
        self.assertOnly(self.mutual(opened_on_alice=100), "unfair-reveal")


if __name__ == "__main__":
    unittest.main(verbosity=2)
