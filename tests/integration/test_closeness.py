#!/usr/bin/env python3
"""Closeness without words, boundaries and shared memories (issue 6), against real
daemons: nudges (live, queued and coalesced, the budget, same moments), reactions,
presence choices and their reciprocity, quiet hours, read receipts as a boundary,
pins, recall, search and forgetting on both sides.

Every test pairs its own two daemons; every wait is a condition polled until a
deadline, never a sleep. "Gone" is checked in the whole decrypted store
(inmost_store_probe dump with the daemon's own storage key), not only in history.
"""

import datetime
import json
import os
import subprocess
import secrets
import sys
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, clock_offset_env, pair, wait_for

ARRIVE = 20.0  # seconds for anything to cross the link (or come back after a restart)
DAY_MS = 24 * 3600 * 1000


def kind(m):
    return m.get("kind", "TEXT")


def is_text(text):
    return lambda m: kind(m) == "TEXT" and m.get("text") == text


def is_nudge(direction, nudge_kind):
    return lambda m: (kind(m) == "NUDGE" and m["direction"] == direction
                      and (m.get("nudge") or {}).get("kind", "THINKING_OF_YOU") == nudge_kind)


def count(m):
    return int((m.get("nudge") or {}).get("count", 0))


def unique(prefix):
    return f"{prefix} {secrets.token_hex(8)}"


class ClosenessTest(IntegrationTest):

    # ---- helpers ------------------------------------------------------------------

    def exchange(self, sender, receiver, text):
        """sender sends text; returns (sender's entry id, receiver's entry id)."""
        sent = sender.send(text)["id"]
        got = receiver.wait_find(is_text(text), ARRIVE, f"{text!r} arrives")
        return sent, got["id"]

    def partner_view(self, d):
        return d.status().get("partner") or {}

    def wait_partner_view(self, d, predicate, what):
        return wait_for(lambda: (lambda v: v if predicate(v) else None)(self.partner_view(d)),
                        ARRIVE, f"{d.name}: {what}", interval=0.1)

    def set_config(self, d, key, value):
        reply = d.rpc("config", {"key": key, "value": value})
        self.assertEqual(reply["settings"][0]["value"], value, f"{d.name}: {key}")

    # ---- deliver 1: nudges --------------------------------------------------------

    def test_a_nudge_arrives_live_and_shows_as_a_nudge(self):
        alice, bob = self.pair_up()
        events = self.subscribe(bob)
        r = alice.cli("nudge", "hug")
        self.assertExit(r, 0, "inmost nudge hug")
        event = events.wait_event("message_received", ARRIVE,
                                  lambda e: kind(e["message"]) == "NUDGE")
        self.assertEqual(event["message_received"]["message"]["nudge"]["kind"], "HUG")
        got = bob.wait_find(is_nudge("INCOMING", "HUG"), ARRIVE, "the hug in history")
        self.assertEqual(count(got), 1)
        self.assertEqual(got.get("text"), "", "a nudge carries no text")
        sent = alice.wait_find(lambda m: is_nudge("OUTGOING", "HUG")(m) and
                               m["state"] == "DELIVERED", ARRIVE, "the hug delivered")
        self.assertEqual(count(sent), 1)
        shown = bob.cli("history")
        self.assertExit(shown, 0, "inmost history")
        self.assertIn("hug", shown.stdout.lower(), "history shows the nudge")
        # The default kind, and an unknown one refused before anything is sent.
        self.assertExit(alice.cli("nudge"), 0, "inmost nudge")
        bob.wait_find(is_nudge("INCOMING", "THINKING_OF_YOU"), ARRIVE, "thinking of you")
        self.assertExit(alice.cli("nudge", "slap"), 2, "inmost nudge slap")

    def test_nudges_while_offline_wait_and_arrive_coalesced(self):
        alice, bob = self.pair_up()
        bob.stop()
        wait_for(lambda: not alice.status()["link_up"], ARRIVE, "alice sees the link down")
        replies = [alice.rpc("nudge", {"kind": "KISS"}) for _ in range(3)]
        self.assertTrue(all(r["queued"] for r in replies), replies)
        self.assertEqual(len({r["id"] for r in replies}), 1, "one entry for one kind")
        self.assertEqual(replies[-1]["count"], 3)
        alice.rpc("nudge", {"kind": "GOODNIGHT"})
        bob.start(same_port=True)
        kiss = bob.wait_find(is_nudge("INCOMING", "KISS"), ARRIVE, "the kisses")
        self.assertEqual(count(kiss), 3, "three kisses arrive as one with a count")
        night = bob.wait_find(is_nudge("INCOMING", "GOODNIGHT"), ARRIVE, "the goodnight")
        self.assertEqual(count(night), 1)
        alice.wait_find(lambda m: is_nudge("OUTGOING", "KISS")(m) and m["state"] == "DELIVERED",
                        ARRIVE, "alice's kisses delivered")
        # Exactly one entry per kind on both sides, even after a restart (no re-send).
        bob.stop()
        bob.start(same_port=True)
        wait_for(lambda: alice.status()["link_up"], ARRIVE, "the link back")
        self.exchange(alice, bob, unique("after the nudges"))
        self.assertEqual(len(bob.find_entries(lambda m: kind(m) == "NUDGE")), 2)

    def test_the_nudge_budget_is_the_receivers(self):
        alice, bob = self.pair_up()
        self.set_config(bob, "nudge-budget", "2")
        self.wait_partner_view(alice, lambda v: v.get("nudge_budget_per_hour") == 2,
                               "bob's budget of 2 known")
        alice.rpc("nudge", {"kind": "HUG"})
        alice.rpc("nudge", {"kind": "LAUGH"})
        err = self.assertRefused(lambda: alice.rpc("nudge", {"kind": "HUG"}),
                                 "resource_exhausted", "a third nudge within the hour")
        self.assertIn("2", err.message)
        bob.wait_find(is_nudge("INCOMING", "LAUGH"), ARRIVE, "the second nudge")
        self.assertEqual(len(bob.find_entries(lambda m: kind(m) == "NUDGE")), 2)
        # The CLI says so clearly, with exit 1.
        r = alice.cli("nudge", "kiss")
        self.assertExit(r, 1, "inmost nudge over the budget")
        self.assertIn("an hour", r.stderr)
        # Nudges turned off entirely.
        self.set_config(bob, "nudge-budget", "0")
        self.wait_partner_view(alice, lambda v: v.get("nudge_budget_per_hour") == 0,
                               "bob's budget of 0 known")
        self.assertRefused(lambda: alice.rpc("nudge", {}), "failed_precondition",
                           "a nudge to someone who turned them off")

    def test_the_receiver_keeps_nudges_beyond_its_budget_unannounced(self):
        alice, bob = self.pair_up()
        # Alice queues three kinds while bob is away; bob lowers his budget before
        # they meet again, so they arrive beyond it.
        bob.stop()
        for nudge_kind in ("HUG", "KISS", "LAUGH"):
            alice.rpc("nudge", {"kind": nudge_kind})
        alice.stop()
        bob.start(same_port=True)
        self.set_config(bob, "nudge-budget", "2")
        events = self.subscribe(bob)
        alice.start(same_port=True)
        nudges = wait_for(lambda: (lambda n: n if len(n) == 3 else None)(
            bob.find_entries(lambda m: kind(m) == "NUDGE")), ARRIVE, "three nudges stored")
        over = [m for m in nudges if m["nudge"].get("over_budget")]
        self.assertEqual(len(over), 1, f"one nudge beyond the budget: {nudges}")
        announced = set()
        marker = unique("marker")
        alice.send(marker)
        while True:
            event = events.next(ARRIVE)
            message = (event.get("message_received") or {}).get("message")
            if message is None:
                continue
            if message.get("text") == marker:
                break
            announced.add(message["id"])
        self.assertNotIn(over[0]["id"], announced, "the nudge beyond the budget was announced")
        self.assertEqual(len(announced), 2, "the two within the budget were announced")

    def test_nudging_each_other_at_once_is_a_same_moment_on_both_sides(self):
        alice, bob = self.pair_up()
        a_events, b_events = self.subscribe(alice), self.subscribe(bob)
        alice.rpc("nudge", {"kind": "HUG"})
        bob.wait_find(is_nudge("INCOMING", "HUG"), ARRIVE, "alice's hug")
        bob.rpc("nudge", {"kind": "HUG"})
        for d, events in ((alice, a_events), (bob, b_events)):
            event = events.wait_event("same_moment", ARRIVE)
            self.assertEqual(event["same_moment"]["message"]["kind"], "MOMENT")
            d.wait_find(lambda m: kind(m) == "MOMENT", ARRIVE, "the moment in history")
        # Far apart (a window of 1 s) is no moment.
        for d in (alice, bob):
            self.set_config(d, "same-moment-seconds", "1")
        alice.rpc("nudge", {"kind": "KISS"})
        bob.wait_find(is_nudge("INCOMING", "KISS"), ARRIVE, "alice's kiss")
        time_now = time.monotonic()
        wait_for(lambda: time.monotonic() - time_now > 1.5, 5, "the window to pass")
        bob.rpc("nudge", {"kind": "KISS"})
        alice.wait_find(is_nudge("INCOMING", "KISS"), ARRIVE, "bob's kiss")
        self.exchange(bob, alice, unique("marker"))
        for d in (alice, bob):
            self.assertEqual(len(d.find_entries(lambda m: kind(m) == "MOMENT")), 1, d.name)

    # ---- deliver 2: reactions -----------------------------------------------------

    def test_reactions_both_ways_replaced_and_removed(self):
        alice, bob = self.pair_up()
        a_id, b_id = self.exchange(alice, bob, unique("react to this"))
        self.assertExit(bob.cli("react", b_id, "❤"), 0, "inmost react")
        alice.wait_entry(a_id, lambda m: m["their_reaction"] == "❤", ARRIVE, "bob's heart")
        alice.rpc("react", {"id": a_id, "emoji": "😂"})
        bob.wait_entry(b_id, lambda m: m["their_reaction"] == "😂", ARRIVE, "alice's laugh")
        self.assertEqual(bob.entry(b_id)["my_reaction"], "❤")
        bob.rpc("react", {"id": b_id, "emoji": "👍"})
        alice.wait_entry(a_id, lambda m: m["their_reaction"] == "👍", ARRIVE, "replaced")
        bob.rpc("react", {"id": b_id, "emoji": ""})
        alice.wait_entry(a_id, lambda m: m["their_reaction"] == "", ARRIVE, "removed")
        self.assertEqual(alice.entry(a_id)["my_reaction"], "😂")
        self.assertRefused(lambda: bob.rpc("react", {"id": 99999, "emoji": "❤"}), "not_found",
                           "a reaction to nothing")
        self.assertRefused(lambda: bob.rpc("react", {"id": b_id, "emoji": "a b"}),
                           "invalid_argument", "a reaction with a space")
        self.assertRefused(lambda: bob.rpc("react", {"id": b_id, "emoji": "x" * 40}),
                           "invalid_argument", "a long reaction")

    # ---- deliver 3: presence ----------------------------------------------------

    def test_presence_choices_and_reciprocity(self):
        alice, bob = self.pair_up()
        for d in (alice, bob):
            self.set_config(d, "share-last-seen", "on")
        chat = self.subscribe(bob, present=True)
        view = self.wait_partner_view(alice, lambda v: v.get("present"), "bob present")
        self.assertEqual(view["choice"], "HERE")
        chat.close()
        view = self.wait_partner_view(
            alice, lambda v: not v.get("present") and int(v.get("last_seen_unix_ms", 0)) > 0,
            "bob's last seen")
        self.assertLessEqual(abs(int(view["last_seen_unix_ms"]) - time.time() * 1000), 60000)

        self.assertExit(bob.cli("presence", "away"), 0, "inmost presence away")
        self.wait_partner_view(alice, lambda v: v.get("choice") == "AWAY", "bob away")

        # Hidden: nothing at all, not even present with a chat open, nor last seen.
        bob.rpc("presence", {"choice": "HIDDEN"})
        self.subscribe(bob, present=True)
        view = self.wait_partner_view(
            alice, lambda v: v.get("choice") == "CHOICE_UNSPECIFIED", "bob hidden")
        self.assertFalse(view.get("present"))
        self.assertEqual(int(view.get("last_seen_unix_ms", 0)), 0)
        # ... and a hidden person sees nothing of the partner either.
        a_chat = self.subscribe(alice, present=True)
        self.wait_partner_view(bob, lambda v: True, "")
        b_view = self.partner_view(bob)
        self.assertEqual(b_view.get("choice", "CHOICE_UNSPECIFIED"), "CHOICE_UNSPECIFIED")
        self.assertFalse(b_view.get("present"))
        self.assertEqual(int(b_view.get("last_seen_unix_ms", 0)), 0)
        a_chat.close()

        # Back here; alice stops sharing her last seen: she no longer sees bob's,
        # and bob no longer gets hers.
        bob.rpc("presence", {"choice": "HERE"})
        self.wait_partner_view(alice, lambda v: v.get("choice") == "HERE", "bob here again")
        self.set_config(alice, "share-last-seen", "off")
        self.wait_partner_view(alice, lambda v: int(v.get("last_seen_unix_ms", 0)) == 0,
                               "alice no longer sees bob's last seen")
        self.wait_partner_view(bob, lambda v: int(v.get("last_seen_unix_ms", 0)) == 0,
                               "bob no longer sees alice's last seen")
        shown = alice.cli("presence")
        self.assertExit(shown, 0, "inmost presence")
        # Each sees why: alice's own choice, which she can change; bob's is hers.
        self.assertIn("Partner last seen: share yours to see theirs: inmost config "
                      "share-last-seen on\n", shown.stdout)
        shown = bob.cli("presence")
        self.assertIn("Partner last seen: not shared by your partner", shown.stdout)

        # Choosing "quiet" is not quiet hours: alice sees the choice, nothing more.
        self.assertExit(bob.cli("presence", "quiet"), 0, "inmost presence quiet")
        self.wait_partner_view(alice, lambda v: v.get("choice") == "QUIET", "bob quiet")
        self.assertFalse(self.partner_view(alice).get("quiet"))
        # Whether a chat is open (bob's subscriber above still is) is worded apart from
        # the presence chosen.
        chat_open = "\nChat open:         you no, partner yes\n"
        wait_for(lambda: chat_open in alice.cli("status").stdout, ARRIVE,
                 "alice's status: no chat open here, one on bob's side")
        self.assertIn("\nPartner shows:     quiet, a chat is open\n", alice.cli("status").stdout)

    # ---- deliver 4: quiet hours -------------------------------------------------

    def quiet_run(self, alice, bob, events):
        """Alice sends two texts, a nudge and an urgent text to a quiet bob; only the
        urgent one is announced, all are stored."""
        plain = [unique("quiet one"), unique("quiet two")]
        for text in plain:
            alice.send(text)
        alice.rpc("nudge", {"kind": "HUG"})
        urgent = unique("urgent")
        alice.rpc("send", {"text": urgent, "urgent": True})
        harness.remember_secret(urgent)
        event = events.wait_event("message_received", ARRIVE,
                                  lambda e: e["message"].get("text") == urgent)
        self.assertTrue(event["message_received"]["message"]["urgent"])
        for text in plain:
            bob.wait_find(is_text(text), ARRIVE, "stored while quiet")
        bob.wait_find(is_nudge("INCOMING", "HUG"), ARRIVE, "the nudge stored while quiet")
        return plain

    def assertSummary(self, events, plain):
        """Nothing but the summary (and no held message) reaches the subscriber."""
        while True:
            event = events.next(ARRIVE)
            message = (event.get("message_received") or {}).get("message") or {}
            self.assertNotIn(message.get("text"), plain, "a held message was announced")
            self.assertNotEqual(kind(message) if message else None, "NUDGE",
                                "a held nudge was announced")
            if "quiet_summary" in event:
                summary = event["quiet_summary"]
                self.assertEqual(summary["messages"], 2, summary)
                self.assertEqual(summary["nudges"], 1, summary)
                return summary

    def test_quiet_for_a_while_holds_then_summarises_and_urgent_passes(self):
        alice, bob = self.pair_up()
        events = self.subscribe(bob)
        r = bob.cli("quiet", "2h")
        self.assertExit(r, 0, "inmost quiet 2h")
        self.assertTrue(bob.status()["quiet"])
        self.wait_partner_view(alice, lambda v: v.get("quiet"), "alice sees bob is quiet")
        plain = self.quiet_run(alice, bob, events)
        self.assertExit(bob.cli("quiet", "off"), 0, "inmost quiet off")
        self.assertSummary(events, plain)
        self.assertFalse(bob.status()["quiet"])
        # Announced again once quiet ended.
        text = unique("after quiet")
        alice.send(text)
        events.wait_event("message_received", ARRIVE, lambda e: e["message"].get("text") == text)

    def test_daily_quiet_hours_hold_and_summarise(self):
        alice, bob = self.pair_up()
        events = self.subscribe(bob)
        # A window around now in the daemon's local time (it shares our TZ).
        now = datetime.datetime.now()
        start = (now - datetime.timedelta(minutes=5)).strftime("%H:%M")
        end = (now + datetime.timedelta(minutes=5)).strftime("%H:%M")
        self.set_config(bob, "quiet-hours", f"{start}-{end}")
        self.assertTrue(bob.status()["quiet"])
        self.assertGreater(int(bob.status()["quiet_until_unix_ms"]), time.time() * 1000)
        # Quiet hours cannot just be ended; they can be turned off.
        self.assertRefused(lambda: bob.rpc("quiet", {"end": True}), "failed_precondition",
                           "ending quiet hours with quiet off")
        plain = self.quiet_run(alice, bob, events)
        self.set_config(bob, "quiet-hours", "off")
        self.assertSummary(events, plain)
        self.assertRefused(lambda: bob.rpc("config", {"key": "quiet-hours", "value": "25:00-07:00"}),
                           "invalid_argument", "a bad quiet-hours window")

    # ---- deliver 5: read receipts -----------------------------------------------

    def test_receipts_off_show_only_delivered(self):
        alice, bob = self.pair_up()
        self.set_config(bob, "read-receipts", "off")
        self.wait_partner_view(alice, lambda v: v.get("known") and not v.get("read_receipts"),
                               "alice sees bob sends no receipts")
        a_id, b_id = self.exchange(alice, bob, unique("unseen read"))
        self.assertEqual(bob.rpc("mark_read", {})["marked"], "1")
        # Anything bob sends after reading arrives after a receipt would have.
        self.exchange(bob, alice, unique("reply"))
        self.assertEqual(alice.entry(a_id)["state"], "DELIVERED", "read shown with receipts off")
        self.set_config(bob, "read-receipts", "on")
        self.wait_partner_view(alice, lambda v: v.get("read_receipts"), "receipts back on")
        a2, _ = self.exchange(alice, bob, unique("seen read"))
        bob.rpc("mark_read", {})
        alice.wait_entry(a2, lambda m: m["state"] == "READ", ARRIVE, "read with receipts on")

    # ---- deliver 6: pins, recall, search ----------------------------------------

    def test_pins_are_shared_memories_on_both_sides(self):
        alice, bob = self.pair_up()
        a_id, b_id = self.exchange(alice, bob, unique("our first trip"))
        self.exchange(bob, alice, unique("not pinned"))
        self.assertExit(alice.cli("pin", a_id), 0, "inmost pin")
        wait_for(lambda: [m["id"] for m in bob.rpc("memories").get("messages", [])] == [b_id],
                 ARRIVE, "bob's memories hold the pinned message")
        self.assertEqual([m["id"] for m in alice.rpc("memories")["messages"]], [a_id])
        self.assertTrue(bob.entry(b_id)["pinned"])
        shown = bob.cli("memories")
        self.assertExit(shown, 0, "inmost memories")
        self.assertIn("our first trip", shown.stdout)
        bob.rpc("pin", {"id": b_id, "unpin": True})
        wait_for(lambda: not alice.rpc("memories").get("messages"), ARRIVE, "unpinned for alice")
        self.assertRefused(lambda: alice.rpc("pin", {"id": 99999}), "not_found", "pinning nothing")

    def test_recall_finds_this_day_a_year_and_a_month_ago(self):
        now = datetime.datetime.now()

        def offset_to(day):
            moment = datetime.datetime.combine(day, now.time())
            return str(int((moment - now).total_seconds() * 1000))

        today = now.date()
        year_ago = today.replace(year=today.year - 1, day=min(today.day, 28))
        month = today.month - 1 or 12
        month_ago = today.replace(year=today.year - (1 if today.month == 1 else 0), month=month,
                                  day=min(today.day, 28))
        if today.day > 28:
            self.skipTest("the end of a month clips recall dates; tested on other days")
        alice = self.make_daemon("alice", env=clock_offset_env(offset_to(year_ago)))
        bob = self.make_daemon("bob", env=clock_offset_env(offset_to(year_ago)))
        pair(alice, bob)
        long_ago = unique("a year ago we said")
        self.exchange(alice, bob, long_ago)
        for d in (alice, bob):
            d.stop()
            d.env = clock_offset_env(offset_to(month_ago))
        for d in (alice, bob):
            d.start(same_port=True)
        recent = unique("a month ago we said")
        self.exchange(bob, alice, recent)
        for d in (alice, bob):
            d.stop()
            d.env = {}
        for d in (alice, bob):
            d.start(same_port=True)
        self.exchange(alice, bob, unique("today we say"))
        for d in (alice, bob):
            days = d.rpc("recall")["days"]
            by_label = {day["label"]: [m["text"] for m in day["messages"]] for day in days}
            self.assertEqual(by_label.get("a year ago"), [long_ago], f"{d.name}: {days}")
            self.assertEqual(by_label.get("a month ago"), [recent], f"{d.name}: {days}")
            self.assertEqual(len(days), 2, f"{d.name}: only those two days: {days}")
        shown = alice.cli("recall")
        self.assertExit(shown, 0, "inmost recall")
        self.assertIn("a year ago", shown.stdout)

    def test_search_finds_every_word_case_insensitively(self):
        alice, bob = self.pair_up()
        texts = ["The Lighthouse at dawn " + secrets.token_hex(4),
                 "a lighthouse keeper's cat " + secrets.token_hex(4),
                 "dawn chorus " + secrets.token_hex(4),
                 "nothing to see " + secrets.token_hex(4)]
        for i, text in enumerate(texts):
            sender, receiver = (alice, bob) if i % 2 == 0 else (bob, alice)
            self.exchange(sender, receiver, text)
        for d in (alice, bob):
            found = d.rpc("search", {"words": "LIGHTHOUSE"})
            self.assertEqual([m["text"] for m in found["messages"]], [texts[1], texts[0]],
                             f"{d.name}: newest first")
            both = d.rpc("search", {"words": "dawn lighthouse"})
            self.assertEqual([m["text"] for m in both["messages"]], [texts[0]])
            self.assertTrue(found["indexed"], f"{d.name}: the word index answered")
            self.assertGreaterEqual(int(found["searched"]), 2)
        self.assertRefused(lambda: alice.rpc("search", {"words": "  "}), "invalid_argument",
                           "an empty search")
        shown = alice.cli("search", "keeper")
        self.assertExit(shown, 0, "inmost search")
        self.assertIn(texts[1], shown.stdout)

    # ---- deliver 7: forgetting --------------------------------------------------

    def assertGoneFromStore(self, d, text):
        d.stop()
        dump = d.dump_store()
        self.assertNotIn(text.encode(), dump, f"{d.name}'s store still holds it")
        # Its one unique word is gone from the search index's word lists too.
        self.assertNotIn(text.split()[-1].encode(), dump, f"{d.name}'s index still holds it")
        d.start(same_port=True)

    def test_forget_with_consent_given_in_advance(self):
        alice, bob = self.pair_up()
        self.set_config(bob, "honour-forget", "on")
        self.wait_partner_view(alice, lambda v: v.get("honour_forget"), "bob honours forgets")
        secret_text = unique("forget this please")
        a_id, b_id = self.exchange(alice, bob, secret_text)
        keep = unique("keep this")
        self.exchange(alice, bob, keep)
        bob.rpc("react", {"id": b_id, "emoji": "❤"})
        alice.wait_entry(a_id, lambda m: m["their_reaction"] == "❤", ARRIVE, "a reaction")
        r = alice.cli("forget", a_id)
        self.assertExit(r, 0, "inmost forget")
        self.assertEqual(alice.entry(a_id)["text"], "")
        b = bob.wait_entry(b_id, lambda m: m["forget"] == "FORGOTTEN_BOTH", ARRIVE,
                           "bob's copy forgotten")
        self.assertEqual(b["text"], "")
        self.assertEqual(b["my_reaction"], "")
        alice.wait_entry(a_id, lambda m: m["forget"] == "FORGOTTEN_BOTH", ARRIVE,
                         "alice told it is forgotten on both sides")
        for d in (alice, bob):
            self.assertGoneFromStore(d, secret_text)
        wait_for(lambda: alice.status()["link_up"], ARRIVE, "the link back")
        bob.wait_find(is_text(keep), ARRIVE, "the other message stays")
        self.assertRefused(lambda: alice.rpc("forget", {"id": a_id}), "failed_precondition",
                           "forgetting twice")

    def test_forget_without_consent_asks_the_partner(self):
        alice, bob = self.pair_up()
        first, second = unique("asked and kept"), unique("asked and agreed")
        a1, b1 = self.exchange(alice, bob, first)
        a2, b2 = self.exchange(alice, bob, second)
        events = self.subscribe(bob)
        alice.rpc("forget", {"id": a1})
        event = events.wait_event("changed", ARRIVE, lambda e: e["message"]["id"] == b1)
        self.assertEqual(event["changed"]["message"]["forget"], "PARTNER_ASKS")
        self.assertEqual(bob.entry(b1)["text"], first, "deleted without being asked")
        self.assertExit(bob.cli("forget", b1, "--keep"), 0, "inmost forget --keep")
        alice.wait_entry(a1, lambda m: m["forget"] == "PARTNER_KEPT", ARRIVE, "alice told kept")
        self.assertEqual(bob.entry(b1)["text"], first)

        alice.rpc("forget", {"id": a2})
        bob.wait_entry(b2, lambda m: m["forget"] == "PARTNER_ASKS", ARRIVE, "asked again")
        bob.rpc("forget", {"id": b2})
        alice.wait_entry(a2, lambda m: m["forget"] == "FORGOTTEN_BOTH", ARRIVE, "agreed")
        self.assertEqual(bob.entry(b2)["text"], "")
        for d in (alice, bob):
            self.assertGoneFromStore(d, second)

    def test_unpair_can_forget_the_whole_history_on_both_sides(self):
        alice, bob = self.pair_up()
        self.set_config(bob, "honour-forget", "on")
        self.wait_partner_view(alice, lambda v: v.get("honour_forget"), "bob honours forgets")
        texts = [unique(f"whole history {i}") for i in range(4)]
        for i, text in enumerate(texts):
            sender, receiver = (alice, bob) if i % 2 == 0 else (bob, alice)
            self.exchange(sender, receiver, text)
        reply = alice.rpc("unpair", {"confirm": True, "forget_history": True})
        self.assertTrue(reply["partner_asked"], reply)
        self.assertEqual(int(reply["forgotten"]), 4, reply)
        self.assertFalse(alice.status()["paired"])
        # What stays on bob's side is inmost's own line saying alice ended the pairing.
        wait_for(lambda: all(not m.get("text") for m in bob.history_all()
                             if m["kind"] != "NOTICE"), ARRIVE,
                 "bob's copy of the history forgotten")
        for d in (alice, bob):
            d.stop()
            dump = d.dump_store()
            for text in texts:
                self.assertNotIn(text.encode(), dump, f"{d.name}'s store still holds it")

    def test_forget_all_without_consent_asks_and_keeps(self):
        alice, bob = self.pair_up()
        text = unique("kept unless bob agrees")
        self.exchange(alice, bob, text)
        reply = alice.rpc("forget", {"all": True})
        self.assertTrue(reply["partner_asked"], reply)
        wait_for(lambda: int(bob.status()["partner_asked_to_forget_all_unix_ms"]) > 0, ARRIVE,
                 "bob is asked")
        bob.wait_find(is_text(text), ARRIVE, "bob keeps his copy until he agrees")
        bob.rpc("forget", {"all": True})
        self.assertEqual(int(bob.status()["partner_asked_to_forget_all_unix_ms"]), 0)
        self.assertEqual(bob.find_entries(lambda m: m.get("text")), [])

    # ---- bad input ----------------------------------------------------------------

    def test_bad_requests_are_refused_clearly_and_change_nothing(self):
        alice, bob = self.pair_up()
        a_id, _ = self.exchange(alice, bob, unique("stays as it is"))
        settings = alice.rpc("config")["settings"]
        bad = [
            ("config", {"key": "no-such-setting", "value": "on"}, "invalid_argument"),
            ("config", {"key": "read-receipts", "value": "maybe"}, "invalid_argument"),
            ("config", {"key": "nudge-budget", "value": "-1"}, "invalid_argument"),
            ("config", {"key": "nudge-budget", "value": "100000"}, "invalid_argument"),
            ("config", {"key": "same-moment-seconds", "value": "0"}, "invalid_argument"),
            ("config", {"key": "quiet-hours", "value": "22:00-22:00"}, "invalid_argument"),
            ("config", {"value": "on"}, "invalid_argument"),
            ("presence", {"choice": 9}, "invalid_argument"),
            ("quiet", {}, "invalid_argument"),
            ("quiet", {"for_seconds": 60, "end": True}, "invalid_argument"),
            ("quiet", {"for_seconds": 30 * 24 * 3600}, "invalid_argument"),
            ("nudge", {"kind": 99}, "invalid_argument"),
            ("react", {"id": a_id, "emoji": "\u0007"}, "invalid_argument"),
            ("pin", {"id": 0}, "not_found"),
            ("forget", {"id": a_id, "keep": True}, "failed_precondition"),
            ("forget", {"id": a_id, "all": True}, "invalid_argument"),
            ("recall", {"date": "2026-13-01"}, "invalid_argument"),
            ("search", {"words": ""}, "invalid_argument"),
            ("backup", {"path": "relative.backup", "passphrase": "long enough"},
             "invalid_argument"),
            ("backup", {"path": os.path.join(alice.tmp, "b"), "passphrase": "short"},
             "invalid_argument"),
            ("backup", {"path": alice.log_path, "passphrase": "long enough"}, "already_exists"),
        ]
        for method, params, code in bad:
            self.assertRefused(lambda: alice.rpc(method, params), code, f"{method} {params}")
        self.assertEqual(alice.rpc("config")["settings"], settings, "a setting changed")
        entry = alice.entry(a_id)
        self.assertEqual((entry["forget"], entry["my_reaction"], entry["pinned"]),
                         ("FORGET_NONE", "", False))
        self.assertFalse(alice.status()["quiet"])
        self.assertTrue(alice.running())
        self.exchange(alice, bob, unique("still serving"))

    # ---- deliver 8: export, backup and restore ----------------------------------

    def test_export_is_readable_and_lists_unopened_envelopes_without_their_body(self):
        alice, bob = self.pair_up()
        said = unique("what we said")
        self.exchange(alice, bob, said)
        self.exchange(bob, alice, unique("and the reply"))
        sealed = unique("sealed until next year")
        alice.rpc("send", {"text": sealed, "open_at_unix_ms": str(int(time.time() * 1000)
                                                                   + 365 * DAY_MS)})
        harness.remember_secret(sealed)
        bob.wait_find(lambda m: kind(m) == "ENVELOPE", ARRIVE, "the sealed envelope")
        bob.rpc("nudge", {"kind": "HUG"})
        alice.wait_find(is_nudge("INCOMING", "HUG"), ARRIVE, "the hug")
        for d in (alice, bob):
            md = d.cli("export", "--format", "markdown")
            self.assertExit(md, 0, f"{d.name}: inmost export --format markdown")
            self.assertIn(said, md.stdout)
            self.assertIn("hug", md.stdout.lower())
            self.assertNotIn(sealed, md.stdout, f"{d.name}: an unopened body in the export")
            self.assertIn("sealed", md.stdout.lower(), "the envelope is listed")
            js = d.cli("export", "--format", "json")
            self.assertExit(js, 0, f"{d.name}: inmost export --format json")
            doc = json.loads(js.stdout)
            texts = [m.get("text") for m in doc["messages"]]
            self.assertIn(said, texts)
            self.assertNotIn(sealed, js.stdout)
            self.assertEqual(sum(1 for m in doc["messages"] if kind(m) == "ENVELOPE"), 1)
        # --since leaves out what came before; --out never overwrites.
        tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
        later = alice.cli("export", "--format", "json", "--since", tomorrow)
        self.assertExit(later, 0, "inmost export --since tomorrow")
        self.assertEqual(json.loads(later.stdout)["messages"], [])
        out = os.path.join(alice.tmp, "export.md")
        self.assertExit(alice.cli("export", "--out", out), 0, "inmost export --out")
        with open(out) as f:
            self.assertIn(said, f.read())
        self.assertExit(alice.cli("export", "--out", out), 2, "inmost export over a file")

    def test_backup_then_restore_on_a_new_machine_carries_on(self):
        alice, bob = self.pair_up()
        old = [unique("before the move"), unique("still before")]
        a_id, _ = self.exchange(alice, bob, old[0])
        self.exchange(bob, alice, old[1])
        alice.rpc("pin", {"id": a_id})
        before = alice.status()
        archive = os.path.join(alice.tmp, "alice.backup")
        passphrase = "moving house " + secrets.token_hex(4)
        harness.remember_secret(passphrase)
        r = alice.cli("backup", archive, input=passphrase + "\n")
        self.assertExit(r, 0, "inmost backup")
        with open(archive, "rb") as f:
            blob = f.read()
        for text in old + [passphrase]:
            self.assertNotIn(text.encode(), blob, "plaintext in the archive")
        alice.stop()

        moved = harness.Daemon("alice-moved")
        self._daemons.append(moved)
        self.addCleanup(self._check_and_stop, moved)
        wrong = subprocess.run([harness.INMOSTD, "restore", archive, "--data-dir",
                                moved.data_dir], input="not the passphrase\n",
                               capture_output=True, text=True, timeout=60)
        self.assertExit(wrong, 1, "restore with a wrong passphrase")
        self.assertIn("passphrase", wrong.stderr)
        self.assertFalse(os.path.exists(os.path.join(moved.data_dir, "store")),
                         "a failed restore left a store behind")
        ok = subprocess.run([harness.INMOSTD, "restore", archive, "--data-dir", moved.data_dir],
                            input=passphrase + "\n", capture_output=True, text=True, timeout=60)
        self.assertExit(ok, 0, "inmostd restore")
        moved.listen_address = alice.listen_address  # the home server keeps its address
        moved.start(same_port=True)
        after = moved.status()
        for field in ("fingerprint", "partner_fingerprint", "safety_number"):
            self.assertEqual(after[field], before[field], field)
        wait_for(lambda: moved.status()["link_up"], ARRIVE, "the partner reconnects")
        self.assertEqual([m.get("text") for m in moved.history_all() if kind(m) == "TEXT"], old)
        self.assertEqual(len(moved.rpc("memories")["messages"]), 1, "the pin came along")
        self.exchange(bob, moved, unique("welcome to the new place"))
        self.exchange(moved, bob, unique("thanks, all here"))


if __name__ == "__main__":
    harness.main()
