#!/usr/bin/env python3
"""Typing and drafts (issue 21, items 5 and 6) against real daemons.

Typing: what one side's `typing` tells reaches the other's subscribers as
`partner_typing`, and a stop ends it; a side that does not share typing sees nothing
of its partner's (its daemon drops it) and tells nothing itself; a hidden side tells
nothing; the link going down ends a "writing…" still shown. "Nothing arrived" is
checked without sleeping: a text sent after the signal travels the same ordered
session, so once it has arrived, any typing sent before it was handled.

Drafts: set with the CLI, read by another client over JSON-RPC (and announced to a
subscriber), kept across a kill -9 right after the CLI returned (the reply means it
is on disk), sealed in the store files, never sent to the partner, cleared with
--clear.

In `inmost chat` (full-screen, through tmux as test_chat.py drives it): the draft is
back on the input line, saved as it changes and cleared once sent; the partner's
chat shows "partner is writing…" while this one types, and no more once it is sent.
"""

import json
import secrets
import shutil
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, wait_for  # noqa: E402
from test_chat import TmuxChat  # noqa: E402

ARRIVE = 20.0  # seconds for anything to cross the link


def unique(prefix):
    return f"{prefix} {secrets.token_hex(8)}"


class TypingDraftsTest(IntegrationTest):

    def typing_events_until_marker(self, sender, receiver, events):
        """sender sends a text; returns the partner_typing events that `events` (a
        subscriber on receiver) got before it arrived."""
        text = unique("marker")
        harness.remember_secret(text)
        sender.send(text)
        typing = []
        while True:
            event = events.next(ARRIVE)
            if "partner_typing" in event:
                typing.append(event["partner_typing"])
            received = event.get("message_received")
            if received and received["message"].get("text") == text:
                return typing

    def test_typing_reaches_the_partner_and_a_stop_ends_it(self):
        alice, bob = self.pair_up()
        events = self.subscribe(bob)
        told = alice.rpc("typing", {})
        self.assertTrue(told["told"], told)
        # At most one signal every 3 s while typing goes on.
        self.assertFalse(alice.rpc("typing", {})["told"], "a second signal at once")
        event = events.wait_event("partner_typing", ARRIVE)
        shown = event["partner_typing"]
        self.assertTrue(shown["typing"], shown)
        until = int(shown["until_unix_ms"])
        self.assertGreater(until, int(event["at_unix_ms"]))
        self.assertLessEqual(until, int(event["at_unix_ms"]) + 6000)

        stopped = alice.rpc("typing", {"stopped": True})
        self.assertTrue(stopped["told"], stopped)
        event = events.wait_event("partner_typing", ARRIVE)
        self.assertFalse(event["partner_typing"].get("typing", False), event)

        # After a stop (the text was sent), new writing is told at once.
        self.assertEqual(alice.rpc("typing", {})["told"], True)
        self.assertEqual(
            self.typing_events_until_marker(alice, bob, events)[0]["typing"], True)

    def test_who_does_not_share_typing_sees_none_and_tells_none(self):
        alice, bob = self.pair_up()
        off = bob.cli("config", "share-typing", "off")
        self.assertExit(off, 0, "config share-typing off")
        events = self.subscribe(bob)
        # Alice shares, so her daemon tells; Bob's drops it: he sees nothing.
        self.assertTrue(alice.rpc("typing", {})["told"])
        self.assertEqual(self.typing_events_until_marker(alice, bob, events), [],
                         "bob does not share typing, yet saw alice's")
        # Bob does not share: his daemon tells nothing.
        alice_events = self.subscribe(alice)
        self.assertFalse(bob.rpc("typing", {})["told"])
        self.assertEqual(self.typing_events_until_marker(bob, alice, alice_events), [])
        # Sharing again, he sees hers (after the 3 s throttle, or a stop, on her side).
        self.assertExit(bob.cli("config", "share-typing", "on"), 0, "share-typing on")
        alice.rpc("typing", {"stopped": True})
        self.assertTrue(alice.rpc("typing", {})["told"])
        shown = self.typing_events_until_marker(alice, bob, events)
        self.assertTrue(shown and shown[-1]["typing"], shown)

    def test_hidden_tells_nothing_and_sees_nothing(self):
        alice, bob = self.pair_up()
        events = self.subscribe(bob)
        alice.rpc("presence", {"choice": "HIDDEN"})
        told = alice.rpc("typing", {})
        self.assertFalse(told.get("told", False), told)
        self.assertEqual(self.typing_events_until_marker(alice, bob, events), [])
        # Nor does she see Bob's while hidden.
        alice_events = self.subscribe(alice)
        self.assertTrue(bob.rpc("typing", {})["told"])
        self.assertEqual(self.typing_events_until_marker(bob, alice, alice_events), [])

    def test_the_link_going_down_ends_a_writing_shown(self):
        alice, bob = self.pair_up()
        events = self.subscribe(bob)
        self.assertTrue(alice.rpc("typing", {})["told"])
        events.wait_event("partner_typing", ARRIVE, lambda t: t.get("typing"))
        alice.kill9()
        event = events.wait_event("partner_typing", ARRIVE)
        self.assertFalse(event["partner_typing"].get("typing", False), event)

    def test_a_draft_is_kept_sealed_across_clients_and_a_kill9(self):
        alice, bob = self.pair_up()
        events = self.subscribe(alice)
        text = unique("a draft: see you at")
        harness.remember_secret(text)
        kept = alice.cli("draft", text)
        self.assertExit(kept, 0, "inmost draft TEXT")
        self.assertIn(text, kept.stdout)
        # Another client reads it, and a subscriber was told.
        reply = alice.rpc("draft")
        self.assertEqual(reply["text"], text)
        self.assertGreater(int(reply["updated_at_unix_ms"]), 0)
        event = events.wait_event("draft", ARRIVE)
        self.assertEqual(event["draft"]["text"], text)

        # The CLI's reply came after the sync: a kill -9 now loses nothing.
        alice.kill9()
        self.assertTrue(all(text.encode() not in blob for blob in alice.raw_files().values()),
                        "the draft lies unsealed in alice's store files")
        alice.start()
        self.assertEqual(alice.rpc("draft")["text"], text)
        shown = alice.cli("draft", json_output=True)
        self.assertExit(shown, 0, "inmost --json draft")
        self.assertEqual(json.loads(shown.stdout)["text"], text)

        # Never sent: Bob has no trace of it.
        self.assertEqual(bob.rpc("draft")["text"], "")
        self.assertFalse(bob.find_entries(lambda m: m.get("text") == text))

        cleared = alice.cli("draft", "--clear")
        self.assertExit(cleared, 0, "inmost draft --clear")
        self.assertEqual(alice.rpc("draft"), {"text": "", "updated_at_unix_ms": "0"})
        self.assertExit(alice.cli("draft", "--clear", "x"), 2, "a TEXT and --clear")
        self.assertRefused(lambda: alice.rpc("draft", {"set": True, "text": "x" * 60001}),
                           "invalid_argument", "a draft too long")

    def test_chat_takes_up_the_draft_and_shows_the_partner_writing(self):
        if shutil.which("tmux") is None:
            self.fail("tmux is not installed (scripts/setup installs it)")
        alice, bob = self.pair_up()
        self.assertExit(alice.cli("draft", "half a thought"), 0, "inmost draft")
        chat = TmuxChat(self, alice)
        chat.wait_for_text("your draft is back", what="the chat to take up the draft")
        chat.wait_for_text("> half a thought")
        bobs = TmuxChat(self, bob)
        bobs.wait_for_text("type a message", what="bob's chat to start")

        chat.keys("-l", "--", ", and more")
        bobs.wait_for_text("partner is writing…", what="alice writing, on bob's status line")
        wait_for(lambda: alice.rpc("draft")["text"] == "half a thought, and more", 20,
                 "the chat to save the draft as it changes")

        chat.keys("Enter")
        wait_for(lambda: any(m["text"] == "half a thought, and more"
                             for m in bob.history_all()), 20, "bob to receive the line")
        wait_for(lambda: "is writing" not in bobs.screen(), 20,
                 "bob's status line to stop saying alice is writing")
        wait_for(lambda: alice.rpc("draft")["text"] == "", 20, "the draft cleared once sent")

        # What is on the line when the chat ends is kept for the next one.
        chat.keys("-l", "--", "for later")
        chat.wait_for_text("> for later")
        chat.keys("C-c")
        wait_for(lambda: chat.exit_status() is not None, 20, "the chat to end on Ctrl-C")
        self.assertEqual(alice.rpc("draft")["text"], "for later")


if __name__ == "__main__":
    harness.main()
