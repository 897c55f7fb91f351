#!/usr/bin/env python3
"""Unit tests for the soak test's invariant checks (checks.py) on made-up histories:
a clean run passes, and each kind of violation is counted (nudges, reactions and
forgotten texts too). No daemon runs."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import checks  # noqa: E402
import messenger_checks  # noqa: E402
from closeness import Forget, Nudge, Reaction  # noqa: E402
from flows import Item, Question  # noqa: E402
from messenger import Attempt, Edit, Reply, ViewOnce  # noqa: E402


def text(i, direction, body, state="DELIVERED", forget="FORGET_NONE", mine="", theirs=""):
    return {"id": str(i), "direction": direction, "state": state, "text": body, "kind": "TEXT",
            "sent_at_unix_ms": "0", "send_at_unix_ms": "0", "forget": forget,
            "my_reaction": mine, "their_reaction": theirs}


def nudge(i, direction, nudge_kind, count, state="DELIVERED"):
    return {"id": str(i), "direction": direction, "state": state, "text": "", "kind": "NUDGE",
            "nudge": {"kind": nudge_kind, "count": count, "over_budget": False}}


def nudged(sender, nudge_kind, n, outcome="accepted"):
    return [Nudge(sender, nudge_kind, outcome=outcome) for _ in range(n)]


def env(i, direction, body, state, kind="SEALED", note="", question_id="0", sent=0, opened=0):
    return {"id": str(i), "direction": direction, "state": "DELIVERED", "text": body,
            "kind": "ENVELOPE", "sent_at_unix_ms": str(sent), "send_at_unix_ms": "0",
            "envelope": {"kind": kind, "state": state, "note": note, "question_id": question_id,
                         "opened_at_unix_ms": str(opened)}}


def question(i, direction, body, state="REVEALED"):
    return {"id": str(i), "direction": direction, "state": "DELIVERED", "text": body,
            "kind": "QUESTION", "question": {"state": state}}


def file_entry(i, direction, caption, state, name="f.bin", size=1000, error=""):
    return {"id": str(i), "direction": direction, "state": "DELIVERED", "text": caption,
            "kind": "FILE", "sent_at_unix_ms": "0", "send_at_unix_ms": "0",
            "file": {"name": name, "type": "application/octet-stream", "size": str(size),
                     "bytes_done": str(size), "state": state, "error": error}}


def sent_file(caption, sender_id, accepted=True, size=1000):
    return Item("file", "alice", caption, accepted=accepted, sender_id=sender_id,
                path="/tmp/soak/f.bin", size=size, sha256="0" * 64)


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


class ClosenessChecksTest(unittest.TestCase):
    """Nudges, reactions and forgotten texts."""

    def check(self, alice, bob, items=(), **records):
        return checks.check(list(items), [], {"alice": alice, "bob": bob}, **records)

    def assertOnly(self, report, category, count=1):
        self.assertEqual(report.counts[category], count, report.violations)
        self.assertEqual(len(report.violations), count, report.violations)

    # ---- nudges ------------------------------------------------------------------

    def test_coalesced_and_unanswered_nudges_pass(self):
        # Three hugs queued into one entry; a kiss without a reply that took effect, a
        # laugh without a reply that did not; a refused hug counts for nothing.
        nudges = (nudged("alice", "HUG", 3) + nudged("alice", "KISS", 1, "uncertain")
                  + nudged("alice", "LAUGH", 1, "uncertain") + nudged("alice", "HUG", 1, "refused")
                  + nudged("bob", "THINKING_OF_YOU", 1))
        alice = [nudge(1, "OUTGOING", "HUG", 3), nudge(2, "OUTGOING", "KISS", 1),
                 nudge(3, "INCOMING", "THINKING_OF_YOU", 1)]
        bob = [nudge(1, "INCOMING", "HUG", 3), nudge(2, "INCOMING", "KISS", 1),
               nudge(3, "OUTGOING", "THINKING_OF_YOU", 1, state="READ")]
        report = self.check(alice, bob, nudges=nudges)
        self.assertEqual(report.violations, [])
        self.assertEqual(report.counts["nudged"], 5)

    def test_nudges_lost_duplicated_or_from_nowhere(self):
        nudges = nudged("alice", "HUG", 3)
        alice = [nudge(1, "OUTGOING", "HUG", 3)]
        # Coalesced into one item, but received with a smaller count, or twice.
        self.assertOnly(self.check(alice, [nudge(1, "INCOMING", "HUG", 2)], nudges=nudges),
                        "lost")
        bob = [nudge(1, "INCOMING", "HUG", 3), nudge(2, "INCOMING", "HUG", 1)]
        self.assertOnly(self.check(alice, bob, nudges=nudges), "duplicated")
        # The sender lost an accepted one (and the receiver got only what it holds).
        self.assertOnly(self.check([nudge(1, "OUTGOING", "HUG", 2)],
                                   [nudge(1, "INCOMING", "HUG", 2)], nudges=nudges), "lost")
        # The sender holds more than was ever asked of it.
        self.assertOnly(self.check([nudge(1, "OUTGOING", "HUG", 4)],
                                   [nudge(1, "INCOMING", "HUG", 4)], nudges=nudges),
                        "inconsistent")

    def test_a_nudge_still_waiting(self):
        report = self.check([nudge(1, "OUTGOING", "KISS", 2, state="PENDING")],
                            [nudge(1, "INCOMING", "KISS", 2)], nudges=nudged("alice", "KISS", 2))
        self.assertOnly(report, "wrong-state")

    # ---- reactions ---------------------------------------------------------------

    def reacted(self):
        """alice put a heart on her t1, then a thumbs up; bob laughed at it, then
        took that back; bob hugs t2 (his copy is entry 5)."""
        items = [sent_text("t1", "1"), sent_text("t2", "2")]
        reactions = [Reaction("alice", "1", "t1", ["\u2764", "\U0001f44d"]),
                     Reaction("bob", "4", "t1", ["\U0001f602", ""]),
                     Reaction("bob", "5", "t2", ["\U0001faf6"])]
        return items, reactions

    def test_reactions_both_ways_replaced_and_removed_pass(self):
        items, reactions = self.reacted()
        alice = [text(1, "OUTGOING", "t1", mine="\U0001f44d"),
                 text(2, "OUTGOING", "t2", theirs="\U0001faf6")]
        bob = [text(4, "INCOMING", "t1", theirs="\U0001f44d"),
               text(5, "INCOMING", "t2", mine="\U0001faf6")]
        self.assertEqual(self.check(alice, bob, items, reactions=reactions).violations, [])

    def test_a_stale_or_unmade_reaction(self):
        items, reactions = self.reacted()
        alice = [text(1, "OUTGOING", "t1", mine="\U0001f44d", theirs="\U0001f602"),
                 text(2, "OUTGOING", "t2", theirs="\U0001faf6")]
        bob = [text(4, "INCOMING", "t1", theirs="\U0001f44d"),
               text(5, "INCOMING", "t2", mine="\U0001faf6")]
        # bob's removal never reached alice.
        self.assertOnly(self.check(alice, bob, items, reactions=reactions),
                        "mismatched-reaction")
        # A reaction nobody made, seen on both sides.
        alice[0]["their_reaction"] = bob[0]["my_reaction"] = "\u2728"
        self.assertOnly(self.check(alice, bob, items, reactions=reactions),
                        "mismatched-reaction")
        # The first heart, not the thumbs up that replaced it.
        alice[0]["my_reaction"] = "\u2764"
        alice[0]["their_reaction"] = bob[0]["my_reaction"] = ""
        self.assertOnly(self.check(alice, bob, items, reactions=reactions),
                        "mismatched-reaction", 2)

    # ---- forgetting --------------------------------------------------------------

    def forgotten(self, honoured, answer="", answered=False):
        """bob forgets t1 (alice's copy 1, his 4) among t0 and t2."""
        items = [sent_text("t0", "10"), sent_text("t1", "1"), sent_text("t2", "2")]
        f = Forget("bob", "alice", "t1", {"alice": "1", "bob": "4"}, honoured=honoured,
                   answer=answer, accepted=True, answered=answered)
        return items, [f]

    def histories(self, alice_t1, bob_t1):
        alice = [text(10, "OUTGOING", "t0"), alice_t1, text(2, "OUTGOING", "t2")]
        bob = [text(3, "INCOMING", "t0"), bob_t1, text(5, "INCOMING", "t2")]
        return alice, bob

    def test_forgotten_texts_pass_on_every_path(self):
        both = ("FORGOTTEN_BOTH", "", "FORGOTTEN_BOTH", "")
        paths = [((True, "", False), both),
                 ((False, "agree", True), both),
                 ((False, "keep", True), ("KEPT", "t1", "PARTNER_KEPT", "")),
                 ((False, "leave", False), ("PARTNER_ASKS", "t1", "ASKED", ""))]
        for (honoured, answer, answered), (a_state, a_text, b_state, b_text) in paths:
            items, forgets = self.forgotten(honoured, answer, answered)
            alice, bob = self.histories(text(1, "OUTGOING", a_text, forget=a_state),
                                        text(4, "INCOMING", b_text, forget=b_state))
            report = self.check(alice, bob, items, forgets=forgets)
            self.assertEqual(report.violations, [], (honoured, answer))
            self.assertEqual(report.counts["forgotten"] + report.counts["forget-kept"], 2)

    def test_a_forgotten_text_kept_where_it_is_deleted(self):
        items, forgets = self.forgotten(honoured=True)
        # alice honours, yet only asks herself.
        alice, bob = self.histories(text(1, "OUTGOING", "t1", forget="PARTNER_ASKS"),
                                    text(4, "INCOMING", "", forget="FORGOTTEN_BOTH"))
        self.assertOnly(self.check(alice, bob, items, forgets=forgets), "wrong-state")
        # Forgotten on both sides, but alice's text (or a reaction) stays.
        alice, bob = self.histories(text(1, "OUTGOING", "t1", forget="FORGOTTEN_BOTH"),
                                    text(4, "INCOMING", "", forget="FORGOTTEN_BOTH"))
        self.assertOnly(self.check(alice, bob, items, forgets=forgets), "wrong-state")
        alice, bob = self.histories(text(1, "OUTGOING", "", forget="FORGOTTEN_BOTH"),
                                    text(4, "INCOMING", "", forget="FORGOTTEN_BOTH",
                                         theirs="\u2764"))
        self.assertOnly(self.check(alice, bob, items, forgets=forgets), "wrong-state")

    def test_a_forgotten_text_whose_entry_is_gone_or_twice(self):
        items, forgets = self.forgotten(honoured=True)
        alice = [text(10, "OUTGOING", "t0"), text(2, "OUTGOING", "t2")]
        _, bob = self.histories(None, text(4, "INCOMING", "", forget="FORGOTTEN_BOTH"))
        self.assertOnly(self.check(alice, bob, items, forgets=forgets), "lost")
        items, forgets = self.forgotten(honoured=False, answer="leave")
        alice, bob = self.histories(text(1, "OUTGOING", "t1", forget="PARTNER_ASKS"),
                                    text(4, "INCOMING", "", forget="ASKED"))
        bob.insert(2, text(6, "INCOMING", "t1"))  # in order: only the copy is wrong
        self.assertOnly(self.check(alice, bob, items, forgets=forgets), "duplicated")


class FileChecksTest(unittest.TestCase):
    """Files: found by caption; received, failed on both sides, or stuck."""

    def check(self, items, alice, bob):
        return checks.check(items, [], {"alice": alice, "bob": bob})

    def assertOnly(self, report, category, count=1):
        self.assertEqual(report.counts[category], count, report.violations)
        self.assertEqual(len(report.violations), count, report.violations)

    def test_files_received_or_failed_on_both_sides_pass(self):
        items = [sent_file("c1", "1"), sent_file("c2", "2"), sent_text("t3", "3")]
        alice = [file_entry(1, "OUTGOING", "c1", "SENT"),
                 file_entry(2, "OUTGOING", "c2", "FAILED", error="the file changed"),
                 text(3, "OUTGOING", "t3")]
        bob = [file_entry(1, "INCOMING", "c1", "RECEIVED"),
               file_entry(2, "INCOMING", "c2", "FAILED", error="the sender's file changed"),
               text(3, "INCOMING", "t3")]
        report = self.check(items, alice, bob)
        self.assertEqual(report.violations, [])
        self.assertEqual((report.counts["file-received"], report.counts["file-failed"]), (1, 1))

    def test_a_file_still_moving_is_stuck(self):
        items = [sent_file("c1", "1")]
        report = self.check(items, [file_entry(1, "OUTGOING", "c1", "SENDING")],
                            [file_entry(1, "INCOMING", "c1", "RECEIVING")])
        self.assertOnly(report, "stuck")
        report = self.check(items, [file_entry(1, "OUTGOING", "c1", "SENDING")], [])
        self.assertOnly(report, "stuck")

    def test_a_file_failed_on_one_side_only_or_without_an_error(self):
        items = [sent_file("c1", "1")]
        report = self.check(items, [file_entry(1, "OUTGOING", "c1", "FAILED", error="why")],
                            [file_entry(1, "INCOMING", "c1", "RECEIVED")])
        self.assertOnly(report, "wrong-state")
        report = self.check(items, [file_entry(1, "OUTGOING", "c1", "FAILED", error="why")], [])
        self.assertOnly(report, "wrong-state")
        report = self.check(items, [file_entry(1, "OUTGOING", "c1", "FAILED")],
                            [file_entry(1, "INCOMING", "c1", "FAILED")])
        self.assertOnly(report, "wrong-state")

    def test_a_file_lost_twice_or_altered(self):
        items = [sent_file("c1", "1")]
        self.assertOnly(self.check(items, [file_entry(1, "OUTGOING", "c1", "SENT")], []), "lost")
        self.assertOnly(self.check(items, [], []), "lost")  # accepted, gone from the sender
        report = self.check(items, [file_entry(1, "OUTGOING", "c1", "SENT")],
                            [file_entry(1, "INCOMING", "c1", "RECEIVED"),
                             file_entry(2, "INCOMING", "c1", "RECEIVED")])
        self.assertOnly(report, "duplicated")
        report = self.check(items, [file_entry(1, "OUTGOING", "c1", "SENT")],
                            [file_entry(1, "INCOMING", "c1", "RECEIVED", size=999)])
        self.assertOnly(report, "corrupted-accepted")


def said(i, direction, body, reply_to="0", quoted="", edited=False, once="VIEW_ONCE_NONE",
         forget="FORGET_NONE"):
    return dict(text(i, direction, body, forget=forget), reply_to=str(reply_to), quoted=quoted,
                edited=edited, view_once=once)


class MessengerChecksTest(unittest.TestCase):
    """messenger_checks.py: replies, edits and view-once texts."""

    def check(self, alice, bob, replies=(), edits=(), views=(), versions=None):
        report = checks.Report()
        messenger_checks.check(report, {"alice": alice, "bob": bob}, replies, edits, views,
                               versions)
        return report

    def assertOnly(self, report, category, count=1):
        self.assertEqual(report.counts[category], count, report.violations)
        self.assertEqual(len(report.violations), count, report.violations)

    def test_a_reply_names_and_quotes_what_it_answers(self):
        r = Reply("bob", "1", sent_text("re", "2"))
        for quoted, answers, category in (("t1", 1, None), ("t0", 1, "mismatched-reply"),
                                          ("t1", 0, "mismatched-reply")):
            report = self.check([said(1, "OUTGOING", "t1"), said(2, "INCOMING", "re", 1, "t1")],
                                [said(1, "INCOMING", "t1"),
                                 said(2, "OUTGOING", "re", answers, quoted)], replies=[r])
            if category:
                self.assertOnly(report, category)
            else:
                self.assertEqual((report.violations, report.counts["quoted"]), ([], 2))
        gone = "a message you no longer have"  # forgotten on bob's side: 0 allowed there
        report = self.check([said(1, "OUTGOING", "t1"), said(2, "INCOMING", "re", 1, "t1")],
                            [said(1, "INCOMING", "", forget="FORGOTTEN_BOTH"),
                             said(2, "OUTGOING", "re", 0, gone)], replies=[r])
        self.assertEqual(report.violations, [])
        self.assertEqual(messenger_checks.quote_line("\u00e9" * 70), "\u00e9" * 60 + "\u2026")

    def edited(self, alice_versions, bob_versions=None, outcomes=("accepted", "uncertain")):
        e = Edit("alice", "1", "t1", [Attempt(f"e{n}", o) for n, o in enumerate(outcomes)])
        shown = [(t, "0") for t in alice_versions]
        last = alice_versions[-1]
        return self.check([said(1, "OUTGOING", last, edited=True)],
                          [said(1, "INCOMING", last, edited=True)], edits=[e],
                          versions={("alice", "1"): shown,
                                    ("bob", "1"): [(t, "0") for t in bob_versions or
                                                   alice_versions]})

    def test_edits_show_every_accepted_version_on_both_sides(self):
        for ok in (["t1", "e0"], ["t1", "e0", "e1"]):
            report = self.edited(ok)
            self.assertEqual((report.violations, report.counts["edited"]), ([], 2))
        self.assertOnly(self.edited(["t1", "e1"]), "mismatched-edit", 2)  # e0 skipped
        self.assertOnly(self.edited(["t1", "e1", "e0"]), "mismatched-edit", 2)
        self.assertOnly(self.edited(["t1", "e0"], ["t1", "e0", "e1"]), "mismatched-edit", 2)
        # A text both edits and the checks of delivery agree on: checks.check skips it.
        report = checks.check([sent_text("t1", "1")], [],
                              {"alice": [text(1, "OUTGOING", "e0")],
                               "bob": [text(1, "INCOMING", "e0")]},
                              rewritten={"t1": {"t1", "e0"}})
        self.assertEqual(report.violations, [])

    def test_view_once_states_and_texts(self):
        def run(view, alice_state, bob_state, bob_text=""):
            v = ViewOnce("alice", "secret", id="1", accepted=True, view=view, seen="secret")
            return self.check([said(1, "OUTGOING", "", once=alice_state)],
                              [said(1, "INCOMING", bob_text, once=bob_state)], views=[v])
        self.assertEqual(run("replied", "VIEWED", "VIEWED").violations, [])
        self.assertEqual(run("", "NOT_VIEWED", "NOT_VIEWED").violations, [])
        self.assertOnly(run("lost", "NOT_VIEWED", "VIEWED"), "wrong-state")
        self.assertOnly(run("", "NOT_VIEWED", "VIEWED"), "wrong-state")
        report = run("", "NOT_VIEWED", "NOT_VIEWED", bob_text="the secret")
        self.assertEqual((report.counts["view-once-shown"], report.counts["wrong-state"]),
                         (1, 1), report.violations)
        report = self.check([said(1, "OUTGOING", "", once="NOT_VIEWED")],
                            [said(1, "INCOMING", "", once="NOT_VIEWED")])
        self.assertOnly(report, "inconsistent")  # alice has no record of sending it


if __name__ == "__main__":
    unittest.main(verbosity=2)
