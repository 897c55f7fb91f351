#!/usr/bin/env python3
"""Issue 20, items 1, 3 and 4, with real daemons: one number for one message on both
sides (also for messages both wrote while apart, and by every command and the API),
an unpair told to the partner (at once, or at the next link up) whose daemon then
refuses to send, and the names people give themselves and each other, in every view
and the export."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import IntegrationTest, main, wait_for, wait_linked  # noqa: E402

DELIVERY = 20.0


def numbers_by_text(d):
    """Text (or kind) -> number of every entry in d's history; asserts they are unique."""
    numbers = {}
    seen = set()
    for m in d.history_all():
        number = int(m["id"])
        assert number not in seen, f"{d.name}: number {number} twice: {m}"
        seen.add(number)
        numbers[m.get("text") or m["kind"]] = number
    return numbers


def wait_texts(d, texts):
    def check():
        have = {m.get("text") for m in d.history_all()}
        return all(t in have for t in texts)
    wait_for(check, DELIVERY, f"{d.name} to hold {texts}")


class MessageNumbersTest(IntegrationTest):
    def test_both_sides_and_every_command_use_one_number(self):
        alice, bob = self.pair_up()
        alice.send("a one")
        alice.send("a two")
        wait_texts(bob, ["a one", "a two"])
        bob.send("b one")
        asked = bob.rpc("ask", {"text": "what made you smile?"})
        wait_texts(alice, ["b one", "what made you smile?"])
        on_alice = numbers_by_text(alice)
        self.assertEqual(on_alice, numbers_by_text(bob))
        self.assertEqual(on_alice["what made you smile?"], int(asked["id"]))
        # The API and the CLI take the number the partner sees: alice answers bob's
        # question and reacts to his text by the numbers bob's daemon gave.
        alice.rpc("answer", {"question_id": int(asked["id"]), "text": "you did"})
        result = alice.cli("react", str(on_alice["b one"]), "❤")
        self.assertEqual(result.returncode, 0, result.stderr)
        bob.wait_entry(on_alice["b one"], lambda m: m.get("their_reaction") == "❤", DELIVERY,
                       "alice's reaction on the message she named by bob's number")
        # `history` shows the same #N on both sides.
        for d in (alice, bob):
            shown = d.cli("history").stdout
            line = next(l for l in shown.splitlines() if "a two" in l)
            self.assertIn(f"#{on_alice['a two']}", line, f"{d.name}: {shown}")
        self.assertRefused(lambda: alice.rpc("react", {"id": 9999, "emoji": "❤"}), "not_found",
                           "a number no message has", message_has="#9999")

    def test_messages_written_on_both_sides_while_apart_keep_distinct_numbers(self):
        alice, bob = self.pair_up()
        alice.send("before")
        wait_texts(bob, ["before"])
        bob.stop()
        alice.send("alice while bob was away")
        alice.stop()
        bob.start(same_port=True)
        bob.send("bob while alice was away")
        alice.start(same_port=True)
        wait_texts(alice, ["bob while alice was away"])
        wait_texts(bob, ["alice while bob was away"])
        on_alice = numbers_by_text(alice)
        self.assertEqual(on_alice, numbers_by_text(bob))
        self.assertNotEqual(on_alice["alice while bob was away"],
                            on_alice["bob while alice was away"])


class PairingEndTest(IntegrationTest):
    def test_an_unpair_reaches_the_partner_at_once_and_their_sends_are_refused(self):
        alice, bob = self.pair_up()
        alice.cli("config", "name", "Alice")
        bob.send("still here")
        wait_texts(alice, ["still here"])
        wait_for(lambda: bob.status()["partner"].get("name") == "Alice", DELIVERY,
                 "bob to know alice's name")
        events = self.subscribe(bob)
        result = alice.cli("unpair", "--yes")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Your partner's daemon knows", result.stdout)
        self.assertFalse(alice.status()["paired"])
        ended = events.wait_event("pairing_ended", DELIVERY)
        self.assertTrue(ended["pairing_ended"]["by_partner"])
        status = bob.status()
        self.assertFalse(status["paired"])
        self.assertEqual(status["pairing_ended"]["name"], "Alice")
        shown = bob.cli("status").stdout
        self.assertRegex(shown, r"Alice ended the pairing on \d{4}-\d\d-\d\d")
        self.assertRefused(lambda: bob.send("are you there?"), "failed_precondition",
                           "a send after the partner ended the pairing",
                           message_has="alice ended the pairing")
        notice = bob.find_entries(lambda m: m["kind"] == "NOTICE")
        self.assertTrue(any("Alice ended the pairing" in m.get("text", "") for m in notice),
                        notice)
        self.assertIn("the partner ended the pairing", bob.log_text())

    def test_an_unpair_while_the_partner_is_away_reaches_them_when_they_return(self):
        alice, bob = self.pair_up()
        bob.stop()
        bob_queued = "written before bob knew"
        result = alice.cli("unpair", "--yes")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("told as soon as it is reachable", result.stdout)
        status = alice.status()
        self.assertTrue(status["paired"])
        self.assertFalse(status["pairing_ended"].get("by_partner", False))
        self.assertRefused(lambda: alice.send("one more"), "failed_precondition",
                           "a send while ending the pairing", message_has="you ended the pairing")
        bob.start(same_port=True)
        # Bob's daemon hears of it at the next link up; alice's then forgets bob.
        wait_for(lambda: bob.status().get("pairing_ended", {}).get("by_partner"), DELIVERY,
                 "bob's daemon to learn that alice ended the pairing")
        wait_for(lambda: not alice.status()["paired"], DELIVERY, "alice to forget bob once told")
        self.assertTrue(alice.status()["pairing_ended"]["partner_told"])
        self.assertRefused(lambda: bob.send(bob_queued), "failed_precondition",
                           "bob's send after the end")

    def test_bobs_undelivered_messages_show_as_not_delivered(self):
        alice, bob = self.pair_up()
        alice.stop()
        bob.send("never delivered")
        alice.start(same_port=True)
        # Alice ends the pairing the moment she is back, before bob's text arrives? It
        # may already have; either way bob's history is honest about each message.
        alice.cli("unpair", "--yes")
        wait_for(lambda: bob.status().get("pairing_ended", {}).get("by_partner"), DELIVERY,
                 "bob's daemon to learn of the end")
        entry = bob.find_entries(lambda m: m.get("text") == "never delivered")[0]
        on_alice = [m for m in alice.history_all() if m.get("text") == "never delivered"]
        self.assertEqual(entry["state"], "DELIVERED" if on_alice else "NOT_DELIVERED", entry)


class NamesTest(IntegrationTest):
    def test_names_and_nicknames_show_in_status_history_and_export(self):
        alice, bob = self.pair_up()
        self.assertEqual(alice.cli("config", "name", "Sam").returncode, 0)
        self.assertEqual(bob.cli("config", "name", "Robin").returncode, 0)
        alice.send("hello Robin")
        bob.send("hello Sam")
        wait_texts(alice, ["hello Sam"])
        wait_texts(bob, ["hello Robin"])
        wait_for(lambda: alice.status()["partner"].get("name") == "Robin", DELIVERY,
                 "alice to know bob's name")
        status = alice.cli("status").stdout
        self.assertRegex(status, r"Name: +Sam")
        self.assertRegex(status, r"Partner: +Robin \(")
        history = alice.cli("history").stdout
        self.assertRegex(history, r"\] Robin: hello Sam")
        self.assertRegex(history, r"\] you: hello Robin")
        export = alice.cli("export").stdout
        self.assertIn("# Sam and Robin", export)
        self.assertIn("**Robin** ", export)
        self.assertIn("**Sam** ", export)
        # A nickname of alice's own overrides the name bob chose, here only.
        self.assertEqual(alice.cli("config", "partner-nickname", "Rob").returncode, 0)
        self.assertRegex(alice.cli("history").stdout, r"\] Rob: hello Sam")
        self.assertEqual(bob.status()["name"], "Robin")
        self.assertEqual(alice.status()["partner"]["chosen_name"], "Robin")
        # A name is one line: a control character is refused and changes nothing.
        refused = alice.cli("config", "name", "Sam\x1b[2J")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("one line", refused.stderr)
        self.assertEqual(alice.status()["name"], "Sam")


if __name__ == "__main__":
    main()
