#!/usr/bin/env python3
"""Gradual disclosure (issue 4): sealed, mutual, gentle, together and scheduled messages
on withheld keys, the question of the day, and retraction, against real daemons.

Every test pairs its own two daemons. Open times are a few seconds ahead; every wait
is a condition polled until a deadline, never a sleep. The body of a withheld
envelope must be unreadable on the recipient's side until its key is released: the
tests check the recipient's history, its whole decrypted store (inmost_store_probe
dump, with the recipient's own storage key) and its raw files.
"""

import datetime
import json
import secrets
import sys
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import SLOWDOWN, IntegrationTest, clock_offset_env, pair, store_probe, wait_for

ARRIVE = 20.0   # seconds for anything to cross the link (or come back after a restart)
SLICE = 16      # no slice of a withheld body this long may be on the recipient's side


def now_ms():
    return int(time.time() * 1000)


def envelope(m):
    return m.get("envelope") or {}


def question(m):
    return m.get("question") or {}


def kind(m):
    return m.get("kind", "TEXT")


def is_envelope(direction, envelope_kind, sent_at=None):
    """A predicate for history entries: an envelope of this kind and direction."""
    def check(m):
        return (m["direction"] == direction and kind(m) == "ENVELOPE"
                and envelope(m).get("kind") == envelope_kind
                and (sent_at is None or str(m.get("sent_at_unix_ms")) == str(sent_at)))
    return check


def is_question(text):
    return lambda m: kind(m) == "QUESTION" and m.get("text") == text


def is_text(text):
    return lambda m: kind(m) == "TEXT" and m.get("text") == text


def opened_with(text):
    return lambda m: envelope(m).get("state") == "OPENED" and m.get("text") == text


def in_state(state):
    return lambda m: envelope(m).get("state") == state


def random_body(prefix):
    # Random text no 16-byte slice of which occurs anywhere by chance (and not only ASCII).
    return f"{prefix} ✉ {secrets.token_urlsafe(96)} é"


def slices(body, size=SLICE):
    data = body.encode()
    return [data[i:i + size] for i in range(0, len(data) - size + 1)]


def squash(text):
    """text with every run of whitespace made one space (the CLI may wrap lines)."""
    return " ".join(text.split())


def ids(messages):
    return [m["id"] for m in messages]


class EnvelopeTest(IntegrationTest):

    # ---- helpers ------------------------------------------------------------------

    def bounce(self, d):
        """kill -9 and start again on the same port. With no wait in between, a new
        port could go unnoticed: when both sides move before either reaches the
        other, neither knows where the other went."""
        d.kill9()
        d.start(same_port=True)

    def assertNoBodyIn(self, blob, body, where):
        """Neither the body nor any SLICE-byte slice of it occurs in blob."""
        self.assertNotIn(body.encode(), blob, f"the body is in {where}")
        found = [s for s in slices(body) if s in blob]
        self.assertEqual(found, [], f"{len(found)} {SLICE}-byte slices of the body in {where}")

    def marker(self, sender, receiver, text):
        """A plain text from sender that receiver has received: everything the sender
        sent before it has had every chance to arrive (the link keeps order)."""
        sender.send(text)
        receiver.wait_find(is_text(text), ARRIVE, f"the marker {text!r}")

    # ---- flows shared by the plain tests and the kill -9 tests ----------------------

    def sealed_flow(self, alice, bob, open_in_s, between=lambda i: None, strict=False):
        """alice seals a body for open_in_s seconds; it opens on both sides after that.

        strict: bob must be seen holding it WITHHELD before its time (without crashes
        in between, the envelope arrives in well under open_in_s)."""
        body = random_body("sealed")
        open_at = now_ms() + int(open_in_s * 1000)
        sent = alice.rpc("send", {"text": body, "open_at_unix_ms": open_at})
        a_id = sent["id"]
        mine = alice.entry(a_id)
        self.assertEqual(kind(mine), "ENVELOPE", mine)
        self.assertEqual(mine["direction"], "OUTGOING", mine)
        self.assertEqual(envelope(mine).get("kind"), "SEALED", mine)
        self.assertEqual(str(envelope(mine).get("open_at_unix_ms")), str(open_at), mine)
        self.assertEqual(mine["text"], body, "the sender reads its own sealed body")
        if now_ms() < open_at:
            self.assertEqual(envelope(mine).get("state"), "WITHHELD", mine)
        between(0)

        seen = bob.wait_find(is_envelope("INCOMING", "SEALED"), ARRIVE,
                             "the sealed envelope to arrive")
        seen_at = now_ms()
        b_id = seen["id"]
        self.assertEqual(str(envelope(seen).get("open_at_unix_ms")), str(open_at), seen)
        if strict:
            self.assertLess(seen_at, open_at, "the envelope arrived too late to test anything")
        if envelope(seen).get("state") == "OPENED" or seen["text"]:
            self.assertGreaterEqual(seen_at, open_at, f"opened before its time: {seen}")
        else:
            self.assertEqual(envelope(seen).get("state"), "WITHHELD", seen)
            self.assertEqual(seen["text"], "", seen)
            self.assertNotIn(body, json.dumps(bob.history_all()))
        between(1)

        def opened_on_time():
            m = bob.entry(b_id)
            if m is None:
                return None
            t = now_ms()
            if envelope(m).get("state") != "OPENED":
                self.assertEqual(m["text"], "", f"text without OPENED: {m}")
                return None
            self.assertGreaterEqual(t, open_at, f"bob opened the envelope before its time: {m}")
            return m
        got = wait_for(opened_on_time, open_in_s + ARRIVE, "bob to open the sealed envelope",
                       interval=0.1)
        self.assertEqual(got["text"], body)
        alice.wait_entry(a_id, opened_with(body), ARRIVE, "alice's sealed envelope OPENED")
        between(2)
        return body, open_at, a_id, b_id

    def mutual_flow(self, alice, bob, between=lambda i: None):
        """alice asks; alice answers; bob cannot read it; bob answers; both read both."""
        text = f"What was the best moment of this week? {secrets.token_hex(4)}"
        a_text = random_body("alice's answer")
        b_text = random_body("bob's answer")

        qa = alice.rpc("ask", {"text": text})["id"]
        q = alice.entry(qa)
        self.assertEqual(kind(q), "QUESTION", q)
        self.assertEqual(q["text"], text)
        self.assertEqual(question(q).get("state"), "UNANSWERED", q)
        between(0)

        q = bob.wait_find(is_question(text), ARRIVE, "the question to reach bob")
        qb = q["id"]
        self.assertEqual(question(q).get("state"), "UNANSWERED", q)
        between(1)

        a_ans = alice.rpc("answer", {"question_id": qa, "text": a_text})["id"]
        mine = alice.entry(a_ans)
        self.assertEqual(kind(mine), "ENVELOPE", mine)
        self.assertEqual(envelope(mine).get("kind"), "ANSWER", mine)
        self.assertEqual(str(envelope(mine).get("question_id")), str(qa), mine)
        self.assertEqual(envelope(mine).get("state"), "WITHHELD", mine)
        self.assertEqual(mine["text"], a_text)
        alice.wait_entry(qa, lambda m: question(m).get("state") == "WAITING_FOR_THEM", ARRIVE,
                         "the question WAITING_FOR_THEM on alice")
        self.assertEqual(str(question(alice.entry(qa)).get("my_answer_id")), str(a_ans))
        between(2)

        q = bob.wait_entry(qb, lambda m: question(m).get("state") == "WAITING_FOR_YOU"
                           and str(question(m).get("their_answer_id", "0")) != "0",
                           ARRIVE, "the question WAITING_FOR_YOU on bob")
        theirs_b = question(q).get("their_answer_id")
        held = bob.entry(theirs_b)
        self.assertEqual(held["direction"], "INCOMING", held)
        self.assertEqual(envelope(held).get("kind"), "ANSWER", held)
        self.assertEqual(envelope(held).get("state"), "WITHHELD", held)
        self.assertEqual(str(envelope(held).get("question_id")), str(qb), held)
        self.assertEqual(held["text"], "", "bob must not read alice's answer before his own")
        self.assertNotIn(a_text, json.dumps(bob.history_all()))
        self.assertRefused(lambda: bob.rpc("open", {"id": theirs_b}), "failed_precondition",
                           "open on an answer")
        between(3)

        b_ans = bob.rpc("answer", {"question_id": qb, "text": b_text})["id"]
        self.assertEqual(str(envelope(bob.entry(b_ans)).get("question_id")), str(qb))
        between(4)

        for d, qid, mine, my_text, their_text in ((alice, qa, a_ans, a_text, b_text),
                                                  (bob, qb, b_ans, b_text, a_text)):
            q = d.wait_entry(qid, lambda m: question(m).get("state") == "REVEALED", ARRIVE,
                             "the question REVEALED")
            self.assertEqual(str(question(q).get("my_answer_id")), str(mine), q)
            theirs = question(q).get("their_answer_id")
            self.assertNotIn(str(theirs), ("0", "None"), q)
            d.wait_entry(theirs, opened_with(their_text), ARRIVE, "the partner's answer OPENED")
            d.wait_entry(mine, opened_with(my_text), ARRIVE, "my own answer OPENED")
        between(5)
        return qa, qb, a_ans, b_ans, a_text, b_text

    # ---- deliver 1: sealed until a time ---------------------------------------------

    def test_sealed_unreadable_until_its_time_then_opens_on_both_sides(self):
        alice, bob = self.pair_up()
        bob_events = self.subscribe(bob)
        alice_events = self.subscribe(alice)
        body, open_at, a_id, b_id = self.sealed_flow(alice, bob, open_in_s=3 * SLOWDOWN,
                                                    strict=True)

        # The event stream told bob about the envelope and then about its opening.
        ev = bob_events.wait_event("message_received",
                                   predicate=lambda e: e["message"]["id"] == b_id)
        self.assertEqual(ev["message_received"]["message"]["text"], "")
        self.assertEqual(envelope(ev["message_received"]["message"]).get("state"), "WITHHELD")
        ev = bob_events.wait_event("changed", predicate=lambda e: e["message"]["id"] == b_id
                                   and envelope(e["message"]).get("state") == "OPENED")
        self.assertEqual(ev["changed"]["message"]["text"], body)
        alice_events.wait_event("changed", predicate=lambda e: e["message"]["id"] == a_id
                                and envelope(e["message"]).get("state") == "OPENED")

        # A sealed message can not be opened early on request, and an open time in
        # the past opens at once.
        later = alice.rpc("send", {"text": "not yet", "open_at_unix_ms": now_ms() + 3_600_000})
        held = bob.wait_find(lambda m: is_envelope("INCOMING", "SEALED")(m) and m["id"] != b_id,
                             ARRIVE, "the second sealed envelope")
        err = self.assertRefused(lambda: bob.rpc("open", {"id": held["id"]}),
                                 "failed_precondition", "open on a sealed envelope")
        self.assertEqual(bob.entry(held["id"])["text"], "", err)
        self.assertEqual(envelope(alice.entry(later["id"])).get("state"), "WITHHELD")
        past = random_body("past")
        sent = alice.rpc("send", {"text": past, "open_at_unix_ms": now_ms() - 60_000})
        bob.wait_find(lambda m: is_envelope("INCOMING", "SEALED")(m) and m["text"] == past,
                      ARRIVE, "a sealed envelope whose time has passed to open at once")
        alice.wait_entry(sent["id"], opened_with(past), ARRIVE, "the past one OPENED on alice")

    def test_sealed_whose_time_falls_while_the_sender_is_down_opens_at_its_next_start(self):
        alice, bob = self.pair_up()
        body = random_body("while down")
        # The CLI: --open-in. The envelope must reach bob before its time, so a slow
        # (sanitizer) build gets longer.
        open_in = 2 * SLOWDOWN
        asked_at = now_ms()
        r = alice.cli("send", "--open-in", f"{open_in}s", body)
        self.assertExit(r, 0, f"inmost send --open-in {open_in}s")
        mine = alice.wait_find(is_envelope("OUTGOING", "SEALED"), 5, "alice's sealed envelope")
        a_id = mine["id"]
        open_at = int(envelope(mine).get("open_at_unix_ms"))
        self.assertTrue(asked_at + open_in * 1000 <= open_at <= now_ms() + open_in * 1000,
                        f"open at {open_at}: {open_in} s after the CLI ran")
        self.assertEqual(mine["text"], body)
        held = bob.wait_find(is_envelope("INCOMING", "SEALED"), ARRIVE, "the envelope to arrive")
        b_id = held["id"]
        self.assertLess(now_ms(), open_at, "the envelope arrived too late to test anything")
        self.assertEqual(envelope(held).get("state"), "WITHHELD")

        alice.kill9()
        wait_for(lambda: now_ms() > open_at + 500, open_in + 10, "the open time to pass")
        wait_for(lambda: not bob.status()["link_up"], ARRIVE, "bob to see the link down")
        held = bob.entry(b_id)
        self.assertEqual(envelope(held).get("state"), "WITHHELD", "opened with the sender down")
        self.assertEqual(held["text"], "")

        self.assertTrue(alice.has_content_key(a_id), "the key is gone before its release")
        alice.start()
        bob.wait_entry(b_id, opened_with(body), ARRIVE, "the envelope to open after alice's start")
        alice.wait_entry(a_id, opened_with(body), ARRIVE, "alice's envelope OPENED")
        # Released and acknowledged: the sender keeps no key.
        wait_for(lambda: int(alice.status()["unacknowledged"]) == 0, ARRIVE,
                 "alice's outbox to drain")
        alice.stop()
        self.assertFalse(alice.has_content_key(a_id), "the key outlives its release")
        bob.stop()
        stored = bob.stored_entry(b_id)
        self.assertEqual(stored.get("text"), body)
        self.assertFalse(stored["envelope"].get("ciphertext"), "the opened ciphertext is kept")

    def test_sealed_sent_and_due_while_the_recipient_is_down(self):
        """The envelope and its key both wait in the sender's outbox; the recipient
        gets them in order at its next start and opens it."""
        alice, bob = self.pair_up()
        bob.stop()
        body = random_body("while bob was away")
        open_at = now_ms() + 1000
        a_id = alice.rpc("send", {"text": body, "open_at_unix_ms": open_at})["id"]
        wait_for(lambda: envelope(alice.entry(a_id)).get("state") == "RELEASED", 10,
                 "alice to release the key at its time, with bob away")
        self.assertGreaterEqual(now_ms(), open_at)
        bob.start(same_port=True)
        m = bob.wait_find(lambda m: is_envelope("INCOMING", "SEALED")(m)
                          and envelope(m).get("state") == "OPENED", ARRIVE,
                          "bob to open it at his start")
        self.assertEqual(m["text"], body)
        alice.wait_entry(a_id, opened_with(body), ARRIVE, "alice's envelope OPENED")

    def test_the_sender_clock_decides(self):
        alice = self.make_daemon("alice")
        # Bob's clock runs an hour ahead: by his clock the envelope (due in half an
        # hour) is due, and it stays shut.
        bob = self.make_daemon("bob", env=clock_offset_env(3_600_000))
        pair(alice, bob)
        body = random_body("by alice's clock")
        open_at = now_ms() + 1_800_000
        a_id = alice.rpc("send", {"text": body, "open_at_unix_ms": open_at})["id"]
        b_id = bob.wait_find(is_envelope("INCOMING", "SEALED"), ARRIVE, "the envelope")["id"]
        self.bounce(bob)  # a start re-evaluates everything
        self.marker(alice, bob, "after the envelope")
        self.marker(bob, alice, "bob's clock is ahead")
        self.assertEqual(envelope(bob.entry(b_id)).get("state"), "WITHHELD")
        self.assertEqual(bob.entry(b_id)["text"], "")
        self.assertEqual(envelope(alice.entry(a_id)).get("state"), "WITHHELD")
        self.assertRefused(lambda: bob.rpc("open", {"id": b_id}), "failed_precondition",
                           "open on a sealed envelope due by the recipient's clock")

        # Bob sends alice one sealed for half an hour ahead by the real time: by his own
        # clock it is already due, so it opens at once.
        early = random_body("by bob's clock")
        sent = bob.rpc("send", {"text": early, "open_at_unix_ms": open_at})
        alice.wait_find(lambda m: is_envelope("INCOMING", "SEALED")(m) and m["text"] == early,
                        ARRIVE, "bob's envelope to open at once by his clock")
        bob.wait_entry(sent["id"], opened_with(early), ARRIVE, "bob's envelope OPENED")

    def test_recipient_store_holds_no_byte_of_the_body_before_release(self):
        alice, bob = self.pair_up()
        body = random_body("secret")
        canary = random_body("canary")  # a plain text: the probe must find it
        alice.send(canary)
        sent = alice.rpc("send", {"text": body, "open_at_unix_ms": now_ms() + 3_600_000,
                                  "note": "for later"})
        held = bob.wait_find(is_envelope("INCOMING", "SEALED"), ARRIVE, "the envelope to arrive")
        self.assertEqual(envelope(held).get("state"), "WITHHELD")
        self.assertEqual(held["text"], "")
        wait_for(lambda: int(alice.status()["unacknowledged"]) == 0, ARRIVE,
                 "alice's outbox to drain")
        bob.wait_find(is_text(canary), ARRIVE, "the canary")
        r = bob.cli("history")
        self.assertExit(r, 0, "inmost history")
        self.assertIn("for later", r.stdout)
        self.assertNotIn(body, r.stdout)

        bob.stop()
        dump = bob.dump_store()
        self.assertIn(canary.encode(), dump, "the probe does not see bob's plain texts")
        self.assertIn(b"for later", dump, "the probe does not see the envelope's note")
        self.assertNoBodyIn(dump, body, "bob's decrypted store")
        for path, blob in bob.raw_files().items():
            self.assertNotIn(canary.encode(), blob, f"a plain text unencrypted in {path}")
            self.assertNoBodyIn(blob, body, path)

        # The sender keeps its own body (the probe sees it there).
        alice.stop()
        self.assertIn(body.encode(), alice.dump_store())
        # Both were down: at least one must come back where the other looks for it.
        alice.start(same_port=True)
        bob.start(same_port=True)
        wait_for(lambda: harness.link_up(alice, bob), ARRIVE, "the link after the restarts")
        self.assertEqual(envelope(bob.entry(held["id"])).get("state"), "WITHHELD")
        self.assertEqual(envelope(alice.entry(sent["id"])).get("state"), "WITHHELD")

    # ---- deliver 2: mutual reveal -----------------------------------------------------

    def test_mutual_reveal(self):
        alice, bob = self.pair_up()
        qa, qb, a_ans, b_ans, a_text, b_text = self.mutual_flow(alice, bob)
        # Answering twice is refused.
        self.assertRefused(lambda: alice.rpc("answer", {"question_id": qa, "text": "again"}),
                           "already_exists", "a second answer")
        self.assertRefused(lambda: alice.rpc("answer", {"question_id": 999999, "text": "x"}),
                           None, "an answer to no question")
        # The revealed answers stay revealed over restarts.
        alice.restart()
        bob.restart()
        for d, qid, theirs_text in ((alice, qa, b_text), (bob, qb, a_text)):
            q = d.entry(qid)
            self.assertEqual(question(q).get("state"), "REVEALED")
            self.assertEqual(d.entry(question(q).get("their_answer_id"))["text"], theirs_text)

    def test_an_answer_withdrawn_as_the_partner_answers_does_not_open_theirs(self):
        """Alice withdraws her answer while Bob's, released because hers had reached
        him, is on its way: Alice's daemon keeps Bob's answer sealed until she answers
        again, and then both open (found by the soak)."""
        alice, bob = self.pair_up()
        qa = alice.rpc("ask", {"text": "What did you dream of last night?"})["id"]
        qb = bob.wait_find(is_question("What did you dream of last night?"), ARRIVE,
                           "the question")["id"]
        a_first = alice.rpc("answer", {"question_id": qa, "text": "of the sea"})["id"]
        bob.wait_entry(qb, lambda m: question(m).get("state") == "WAITING_FOR_YOU", ARRIVE,
                       "alice's answer at bob")
        alice.stop()  # Bob's answer and key wait for her; her retraction waits for him.
        b_text = random_body("bob's dream")
        b_ans = bob.rpc("answer", {"question_id": qb, "text": b_text})["id"]
        self.assertEqual(envelope(bob.entry(b_ans)).get("state"), "RELEASED")
        bob.stop()
        alice.start(same_port=True)
        alice.rpc("retract", {"id": a_first})
        bob.start(same_port=True)
        wait_for(lambda: harness.link_up(alice, bob), ARRIVE, "the link")
        held = alice.wait_find(is_envelope("INCOMING", "ANSWER"), ARRIVE, "bob's answer")
        wait_for(lambda: int(bob.status()["unacknowledged"]) == 0, ARRIVE, "bob's key to arrive")
        held = alice.entry(held["id"])
        self.assertEqual(envelope(held).get("state"), "WITHHELD", held)
        self.assertEqual(held["text"], "")
        self.assertEqual(question(alice.entry(qa)).get("state"), "WAITING_FOR_YOU")

        a_text = random_body("alice's second dream")
        a_second = alice.rpc("answer", {"question_id": qa, "text": a_text})["id"]
        alice.wait_entry(held["id"], opened_with(b_text), ARRIVE, "bob's answer at alice")
        bob.wait_find(opened_with(a_text), ARRIVE, "alice's second answer at bob")
        bob.wait_entry(b_ans, in_state("OPENED"), ARRIVE, "bob told his answer was opened")
        alice.wait_entry(a_second, in_state("OPENED"), ARRIVE, "alice told her answer was opened")

    def test_a_retracted_answer_can_be_given_again_a_revealed_one_not(self):
        alice, bob = self.pair_up()
        text = "Which day with me would you live again?"
        qa = alice.rpc("ask", {"text": text})["id"]
        qb = bob.wait_find(is_question(text), ARRIVE, "the question")["id"]
        first = random_body("first thought")
        second = random_body("second thought")
        b_text = random_body("bob's answer")
        a1 = alice.rpc("answer", {"question_id": qa, "text": first})["id"]
        held = bob.wait_find(is_envelope("INCOMING", "ANSWER"), ARRIVE, "the first answer")
        alice.rpc("retract", {"id": a1})
        bob.wait_entry(held["id"], in_state("WITHDRAWN"), ARRIVE, "the first answer WITHDRAWN")
        bob.wait_entry(qb, lambda m: question(m).get("state") == "UNANSWERED", ARRIVE,
                       "bob's question back to UNANSWERED")
        self.assertEqual(question(alice.entry(qa)).get("state"), "UNANSWERED")

        a2 = alice.rpc("answer", {"question_id": qa, "text": second})["id"]
        self.assertNotEqual(a2, a1)
        bob.wait_entry(qb, lambda m: question(m).get("state") == "WAITING_FOR_YOU", ARRIVE,
                       "the second answer on bob")
        bob.rpc("answer", {"question_id": qb, "text": b_text})
        q = bob.wait_entry(qb, lambda m: question(m).get("state") == "REVEALED", ARRIVE,
                           "bob's question REVEALED")
        bob.wait_entry(question(q)["their_answer_id"], opened_with(second), ARRIVE,
                       "alice's second answer open on bob")
        self.assertEqual(bob.entry(held["id"])["text"], "", "the retracted answer was opened")
        self.assertNotIn(first, json.dumps(bob.history_all()))
        alice.wait_entry(a2, opened_with(second), ARRIVE, "alice's second answer OPENED")
        # Once both are in, nobody can take an answer back.
        self.assertRefused(lambda: alice.rpc("retract", {"id": a2}), "failed_precondition",
                           "retracting a revealed answer")
        self.assertRefused(lambda: alice.rpc("answer", {"question_id": qa, "text": "third"}),
                           "already_exists", "answering a revealed question again")

    def test_mutual_answer_sealed_in_the_recipient_store(self):
        alice, bob = self.pair_up()
        text = "What do you wish I asked you more often?"
        qa = alice.rpc("ask", {"text": text})["id"]
        bob.wait_find(is_question(text), ARRIVE, "the question")
        a_text = random_body("alice's answer")
        alice.rpc("answer", {"question_id": qa, "text": a_text})
        held = bob.wait_find(is_envelope("INCOMING", "ANSWER"), ARRIVE, "alice's sealed answer")
        self.assertEqual(held["text"], "")
        bob.stop()
        self.assertNoBodyIn(bob.dump_store(), a_text, "bob's decrypted store")

    # ---- deliver 3: the question of the day ------------------------------------------

    def today_on(self, d, dates):
        return [d.rpc("today", {"date": date}) for date in dates]

    def test_question_of_the_day_same_on_both_sides_without_traffic(self):
        alice, bob = self.pair_up()
        start = datetime.date(2027, 2, 1)
        dates = [(start + datetime.timedelta(days=i)).isoformat() for i in range(30)]

        bob.stop()  # nothing can pass between them now
        on_alice = self.today_on(alice, dates)
        alice_today = alice.rpc("today", {})
        r = alice.cli("today")
        self.assertExit(r, 0, "inmost today")
        self.assertIn(squash(alice_today["question"]), squash(r.stdout))
        alice.stop()

        bob.start()
        self.assertFalse(bob.status()["link_up"])
        on_bob = self.today_on(bob, dates)
        bob_today = bob.rpc("today", {})
        r = bob.cli("today", json_output=True)
        self.assertExit(r, 0, "inmost --json today")
        cli_today = json.loads(r.stdout)

        utc_today = datetime.datetime.now(datetime.timezone.utc).date()
        self.assertIn(alice_today["date"], (utc_today.isoformat(),
                                            (utc_today - datetime.timedelta(days=1)).isoformat()))
        if alice_today["date"] == bob_today["date"]:
            self.assertEqual(alice_today["question"], bob_today["question"])
        self.assertEqual(cli_today["question"], bob_today["question"])

        self.assertEqual([t["date"] for t in on_alice], dates)
        self.assertEqual([t["question"] for t in on_alice], [t["question"] for t in on_bob],
                         "the two sides derive different questions for the same dates")
        questions = [t["question"] for t in on_alice]
        self.assertTrue(all(q.strip() for q in questions), questions)
        self.assertEqual(len(set(questions)), len(dates),
                         f"repeated questions within {len(dates)} days: {questions}")
        for t in on_alice:
            self.assertEqual(str(t.get("id", "0")), "0", t)  # nobody answered these
        self.assertRefused(lambda: bob.rpc("today", {"date": "2027-13-45"}), "invalid_argument",
                           "an impossible date")
        # Never the same question twice in a year, across a year's end.
        year_start = datetime.date(2027, 7, 1)
        with bob.connect() as conn:
            year = [conn.call("today", {"date": (year_start + datetime.timedelta(days=i))
                                        .isoformat()})["question"] for i in range(366)]
        repeats = {q: year.count(q) for q in year if year.count(q) > 1}
        self.assertEqual(repeats, {}, "questions repeated within 366 days")

        # Another pair gets other questions (the pair's secret goes in).
        carol = self.make_daemon("carol")
        dave = self.make_daemon("dave")
        pair(carol, dave)
        on_carol = [t["question"] for t in self.today_on(carol, dates)]
        self.assertEqual(on_carol, [t["question"] for t in self.today_on(dave, dates)])
        self.assertNotEqual(on_carol, questions, "two pairs get the same question sequence")

    def test_question_of_the_day_answered_is_a_mutual_reveal(self):
        alice, bob = self.pair_up()
        a_text = random_body("alice today")
        b_text = random_body("bob today")
        today = alice.rpc("today", {})
        r = alice.cli("answer", "today", a_text)  # the CLI this time
        self.assertExit(r, 0, "inmost answer today TEXT")
        after = alice.rpc("today", {"date": today["date"]})
        self.assertNotEqual(str(after["id"]), "0", after)
        a_ans = question(alice.entry(after["id"])).get("my_answer_id")
        self.assertEqual(after["state"]["state"], "WAITING_FOR_THEM", after)
        qa = after["id"]
        q = alice.entry(qa)
        self.assertEqual(kind(q), "QUESTION", q)
        self.assertEqual(q["text"], today["question"])
        self.assertTrue(question(q).get("of_the_day"), q)
        self.assertEqual(question(q).get("date"), today["date"])

        q = bob.wait_find(lambda m: kind(m) == "QUESTION" and question(m).get("of_the_day"),
                          ARRIVE, "the question of the day on bob")
        self.assertEqual(q["text"], today["question"])
        bob.wait_entry(q["id"], lambda m: question(m).get("state") == "WAITING_FOR_YOU", ARRIVE,
                       "bob's question of the day WAITING_FOR_YOU")
        on_bob = bob.rpc("today", {"date": today["date"]})
        self.assertEqual(str(on_bob["id"]), str(q["id"]))
        self.assertNotIn(a_text, json.dumps(bob.history_all()))
        if bob.rpc("today", {})["date"] == today["date"]:
            bob.rpc("answer", {"today": True, "text": b_text})
        else:  # midnight (UTC) passed in between
            bob.rpc("answer", {"question_id": q["id"], "text": b_text})
        bob.wait_entry(q["id"], lambda m: question(m).get("state") == "REVEALED", ARRIVE,
                       "bob's question of the day REVEALED")
        alice.wait_entry(qa, lambda m: question(m).get("state") == "REVEALED", ARRIVE,
                         "alice's question of the day REVEALED")
        bob.wait_entry(question(bob.entry(q["id"])).get("their_answer_id"), opened_with(a_text),
                       ARRIVE, "alice's answer open on bob")
        alice.wait_entry(question(alice.entry(qa)).get("their_answer_id"), opened_with(b_text),
                         ARRIVE, "bob's answer open on alice")
        alice.wait_entry(a_ans, opened_with(a_text), ARRIVE, "alice's own answer OPENED")
        # `inmost today` then shows both answers itself, each marked with whose it is.
        r = alice.cli("today", "--date", today["date"])
        self.assertExit(r, 0, "inmost today --date (revealed)")
        self.assertIn("You have both answered:", r.stdout)
        shown = squash(r.stdout)
        self.assertIn(f"you: {squash(a_text)}", shown)
        self.assertIn(f"partner: {squash(b_text)}", shown)
        self.assertNotIn("inmost history", r.stdout)

    # ---- a tampered commitment --------------------------------------------------------

    def test_question_of_the_day_answered_by_both_while_apart(self):
        alice, bob = self.pair_up()
        a_text = random_body("alice alone")
        b_text = random_body("bob alone")
        day = alice.rpc("today", {})["date"]
        bob.stop()
        a_ans = alice.rpc("answer", {"today": True, "text": a_text})["id"]
        alice.stop()
        bob.start(same_port=True)
        if bob.rpc("today", {})["date"] != day:
            self.skipTest("midnight (UTC) passed during the test")
        b_ans = bob.rpc("answer", {"today": True, "text": b_text})["id"]
        alice.start(same_port=True)
        for d, mine, my_text, their_text in ((alice, a_ans, a_text, b_text),
                                             (bob, b_ans, b_text, a_text)):
            q = d.wait_find(lambda m: kind(m) == "QUESTION", ARRIVE, "one question of the day")
            q = d.wait_entry(q["id"], lambda m: question(m).get("state") == "REVEALED", ARRIVE,
                             "the question of the day REVEALED")
            self.assertEqual(str(question(q)["my_answer_id"]), str(mine))
            d.wait_entry(question(q)["their_answer_id"], opened_with(their_text), ARRIVE,
                         "the partner's answer OPENED")
            d.wait_entry(mine, opened_with(my_text), ARRIVE, "my answer OPENED")
            self.assertEqual(str(d.rpc("today", {"date": day})["id"]), q["id"])

    def test_tampered_commitment_is_flagged(self):
        alice, bob = self.pair_up()
        text = "What are you afraid to tell me?"
        qa = alice.rpc("ask", {"text": text})["id"]
        qb = bob.wait_find(is_question(text), ARRIVE, "the question")["id"]
        a_text = random_body("alice's committed answer")
        b_text = random_body("bob's answer")
        a_ans = alice.rpc("answer", {"question_id": qa, "text": a_text})["id"]
        held = bob.wait_find(is_envelope("INCOMING", "ANSWER"), ARRIVE, "alice's answer")
        wait_for(lambda: int(alice.status()["unacknowledged"]) == 0, ARRIVE,
                 "alice's outbox to drain")

        # Alice's daemon changes its answer's key after committing to it.
        alice.stop()
        store_probe("tamper-key", alice.data_dir, a_ans)
        alice.start()

        b_ans = bob.rpc("answer", {"question_id": qb, "text": b_text})["id"]
        flagged = bob.wait_entry(held["id"], in_state("MISMATCH"), ARRIVE,
                                 "alice's tampered answer flagged MISMATCH on bob")
        self.assertEqual(flagged["text"], "", "a mismatched body must not be shown")
        # Alice's side opens bob's honest answer normally.
        theirs_a = alice.wait_entry(qa, lambda m: str(question(m).get("their_answer_id", "0"))
                                    != "0", ARRIVE, "bob's answer on alice")
        alice.wait_entry(question(theirs_a).get("their_answer_id"), opened_with(b_text), ARRIVE,
                         "bob's answer OPENED on alice")
        bob.wait_entry(b_ans, opened_with(b_text), ARRIVE, "bob's own answer OPENED")
        mine = alice.wait_entry(a_ans, lambda m: envelope(m).get("state") != "WITHHELD", ARRIVE,
                                "alice's answer released")
        self.assertNotEqual(envelope(mine).get("state"), "OPENED", mine)
        # Still flagged after a restart, and never shown.
        bob.restart()
        again = bob.entry(held["id"])
        self.assertEqual(envelope(again).get("state"), "MISMATCH")
        self.assertEqual(again["text"], "")

    # ---- deliver 4: gentle ------------------------------------------------------------

    def test_gentle_opens_only_on_request_and_the_sender_sees_it(self):
        alice, bob = self.pair_up()
        body = random_body("gentle")
        note = "about my father"
        sent = alice.rpc("send", {"text": body, "gentle": True, "note": note})
        a_id = sent["id"]
        mine = alice.entry(a_id)
        self.assertEqual(envelope(mine).get("kind"), "GENTLE")
        self.assertEqual(envelope(mine).get("state"), "WITHHELD")
        self.assertEqual(envelope(mine).get("note"), note)

        held = bob.wait_find(is_envelope("INCOMING", "GENTLE"), ARRIVE, "the gentle envelope")
        b_id = held["id"]
        self.assertEqual(envelope(held).get("note"), note)
        self.assertEqual(held["text"], "")
        self.assertEqual(envelope(held).get("state"), "WITHHELD")
        self.marker(alice, bob, "after the gentle one")
        self.assertEqual(envelope(bob.entry(b_id)).get("state"), "WITHHELD", "it opened by itself")
        self.assertEqual(bob.entry(b_id)["text"], "")

        # Only the recipient opens, only gentle envelopes.
        self.assertRefused(lambda: alice.rpc("open", {"id": a_id}), None,
                           "open on one's own envelope")
        text_id = bob.find_entries(is_text("after the gentle one"))[0]["id"]
        self.assertRefused(lambda: bob.rpc("open", {"id": text_id}), "failed_precondition",
                           "open on a plain text")
        self.assertRefused(lambda: bob.rpc("open", {"id": 999999}), None, "open on nothing")

        alice_events = self.subscribe(alice)
        r = bob.cli("open", b_id)
        self.assertExit(r, 0, f"inmost open {b_id}")
        bob.wait_entry(b_id, opened_with(body), ARRIVE, "the gentle envelope OPENED on bob")
        ev = alice_events.wait_event("changed", timeout=ARRIVE,
                                     predicate=lambda e: e["message"]["id"] == a_id
                                     and envelope(e["message"]).get("state") == "OPENED")
        self.assertEqual(ev["changed"]["message"]["text"], body)
        alice.wait_entry(a_id, opened_with(body), ARRIVE, "alice's gentle envelope OPENED")
        self.assertTrue(str(envelope(alice.entry(a_id)).get("opened_at_unix_ms", "0")) != "0")
        # Opening twice is answered clearly, and changes nothing.
        self.assertRefused(lambda: bob.rpc("open", {"id": b_id}), None, "a second open")
        self.assertEqual(bob.entry(b_id)["text"], body)

        # A sealed envelope cannot be opened on request: refused with a clear message
        # (through the CLI: exit 1 and the reason on stderr).
        alice.rpc("send", {"text": "in an hour", "open_at_unix_ms": now_ms() + 3_600_000})
        sealed = bob.wait_find(is_envelope("INCOMING", "SEALED"), ARRIVE, "the sealed envelope")
        self.assertRefused(lambda: bob.rpc("open", {"id": sealed["id"]}), "failed_precondition",
                           "open on a sealed envelope")
        r = bob.cli("open", sealed["id"])
        self.assertExit(r, 1, "inmost open on a sealed envelope")
        self.assertTrue(r.stderr.strip(), "no reason given")
        self.assertEqual(bob.entry(sealed["id"])["text"], "")

    def test_gentle_open_requested_while_the_sender_is_down(self):
        alice, bob = self.pair_up()
        body = random_body("gentle later")
        a_id = alice.rpc("send", {"text": body, "gentle": True, "note": "when you can"})["id"]
        b_id = bob.wait_find(is_envelope("INCOMING", "GENTLE"), ARRIVE, "the envelope")["id"]
        alice.stop()
        bob.rpc("open", {"id": b_id})
        self.assertEqual(bob.entry(b_id)["text"], "")
        self.assertTrue(envelope(bob.entry(b_id)).get("open_requested"), bob.entry(b_id))
        bob.kill9()
        bob.start()
        alice.start(same_port=True)  # where bob looks for her
        bob.wait_entry(b_id, opened_with(body), ARRIVE, "the envelope to open once alice is back")
        alice.wait_entry(a_id, opened_with(body), ARRIVE, "alice's envelope OPENED")

    def test_malformed_envelope_requests_are_refused(self):
        alice, bob = self.pair_up()
        soon = now_ms() + 3_600_000
        for params, what in (
                ({"text": "x", "open_at_unix_ms": soon, "gentle": True}, "sealed and gentle"),
                ({"text": "x", "gentle": True, "together": True}, "gentle and together"),
                ({"text": "x", "send_at_unix_ms": soon, "open_at_unix_ms": soon},
                 "scheduled and sealed"),
                ({"text": "", "gentle": True}, "an empty gentle message"),
                ({"text": "x", "gentle": True, "note": "n" * 201}, "a 201-byte note")):
            self.assertRefused(lambda: alice.rpc("send", params), "invalid_argument", what)
        self.assertRefused(lambda: alice.rpc("ask", {"text": ""}), "invalid_argument",
                           "an empty question")
        self.assertRefused(lambda: alice.rpc("answer", {"question_id": 1, "text": "x"}), None,
                           "an answer to something that is not a question")
        ok = alice.rpc("send", {"text": "x", "gentle": True, "note": "é" * 100})  # 200 bytes
        self.assertEqual(envelope(alice.entry(ok["id"])).get("note"), "é" * 100)
        self.assertEqual(len(alice.history_all()), 1, "a refused request left something behind")
        self.marker(alice, bob, "after the refusals")
        self.assertEqual(len(bob.history_all()), 2, "a refused request reached bob")

    # ---- deliver 5: together ----------------------------------------------------------

    def test_together_opens_only_while_both_are_present(self):
        alice, bob = self.pair_up()
        body = random_body("together")
        a_id = alice.rpc("send", {"text": body, "together": True})["id"]
        self.assertEqual(envelope(alice.entry(a_id)).get("kind"), "TOGETHER")
        held = bob.wait_find(is_envelope("INCOMING", "TOGETHER"), ARRIVE, "the envelope")
        b_id = held["id"]
        self.assertEqual(held["text"], "")
        self.assertFalse(alice.status()["present"])
        self.assertFalse(bob.status()["partner_present"])

        def still_withheld(step):
            for d, i in ((alice, a_id), (bob, b_id)):
                self.assertEqual(envelope(d.entry(i)).get("state"), "WITHHELD", f"{step}: {d.name}")
            self.assertEqual(bob.entry(b_id)["text"], "", step)

        # Only alice present (in two chat windows: closing one leaves her present).
        a_present = self.subscribe(alice, present=True)
        wait_for(lambda: alice.status()["present"] and bob.status()["partner_present"], ARRIVE,
                 "bob to see alice present")
        a_second = self.subscribe(alice, present=True)
        a_plain = self.subscribe(alice)  # a subscriber that is not a chat
        a_second.close()
        a_plain.close()
        self.marker(alice, bob, "one window closed")
        self.assertTrue(alice.status()["present"], "one of two windows closed: alice is away")
        self.assertTrue(bob.status()["partner_present"])
        self.assertFalse(alice.status()["partner_present"])
        self.marker(alice, bob, "alice is here")
        self.marker(bob, alice, "bob is not")
        still_withheld("only alice present")
        self.assertTrue(envelope(bob.entry(b_id)).get("partner_present"),
                        "bob's envelope does not show that alice is waiting")
        a_present.close()
        wait_for(lambda: not alice.status()["present"] and not bob.status()["partner_present"],
                 ARRIVE, "bob to see alice gone")

        # Only bob present.
        b_present = self.subscribe(bob, present=True)
        wait_for(lambda: bob.status()["present"] and alice.status()["partner_present"], ARRIVE,
                 "alice to see bob present")
        self.marker(alice, bob, "alice is away")
        self.marker(bob, alice, "bob is here")
        still_withheld("only bob present")
        self.assertTrue(envelope(alice.entry(a_id)).get("partner_present"),
                        "alice's envelope does not show that bob is waiting")
        self.assertFalse(envelope(bob.entry(b_id)).get("partner_present"))

        # Both present: it opens on both sides.
        a_present = self.subscribe(alice, present=True)
        b_present.wait_event("partner_presence", timeout=ARRIVE,
                             predicate=lambda e: e.get("present") is True)
        ev = b_present.wait_event("changed", timeout=ARRIVE,
                                  predicate=lambda e: e["message"]["id"] == b_id
                                  and envelope(e["message"]).get("state") == "OPENED")
        self.assertEqual(ev["changed"]["message"]["text"], body)
        bob.wait_entry(b_id, opened_with(body), ARRIVE, "bob's together envelope OPENED")
        alice.wait_entry(a_id, opened_with(body), ARRIVE, "alice's together envelope OPENED")
        for d in (alice, bob):
            s = d.status()
            self.assertTrue(s["present"] and s["partner_present"], s)

    # ---- deliver 6: scheduled send ----------------------------------------------------

    def test_scheduled_send_arrives_at_its_time_and_cancelled_never(self):
        alice, bob = self.pair_up()
        first = random_body("scheduled")
        cancelled = random_body("cancelled")
        send_at = now_ms() + 4000 * SLOWDOWN
        written_from = now_ms()
        s1 = alice.rpc("send", {"text": first, "send_at_unix_ms": send_at})["id"]
        s2_at = send_at + 500
        s2 = alice.rpc("send", {"text": cancelled, "send_at_unix_ms": s2_at})["id"]
        written_by = now_ms()
        for i, at in ((s1, send_at), (s2, s2_at)):
            m = alice.entry(i)
            self.assertEqual(m["state"], "SCHEDULED", m)
            self.assertEqual(str(m["send_at_unix_ms"]), str(at), m)
            # When it was written: a cancelled one is shown then, not at its send time.
            self.assertTrue(written_from <= int(m["written_at_unix_ms"]) <= written_by, m)
        alice.rpc("retract", {"id": s2})
        self.assertEqual(alice.entry(s2)["state"], "CANCELLED")
        self.assertIn(s1, ids(alice.rpc("envelopes", {})["messages"]))
        self.assertNotIn(s2, ids(alice.rpc("envelopes", {})["messages"]))

        # Before its time nothing of it is on bob's side.
        self.marker(alice, bob, "before the scheduled one")
        self.assertLess(now_ms(), send_at, "too slow to check the time before send_at")
        history = json.dumps(bob.history_all())
        self.assertNotIn(first, history)
        self.assertEqual(len(bob.history_all()), 1, "bob has more than the marker")

        def arrived_on_time():
            found = bob.find_entries(is_text(first))
            if found:
                self.assertGreaterEqual(now_ms(), send_at, "arrived before its time")
            return found
        got = wait_for(arrived_on_time, 4 * SLOWDOWN + ARRIVE, "the scheduled message to arrive")
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["direction"], "INCOMING")
        alice.wait_entry(s1, lambda m: m["state"] in ("DELIVERED", "READ"), ARRIVE,
                         "the scheduled message DELIVERED")
        self.assertRefused(lambda: alice.rpc("retract", {"id": s1}), "failed_precondition",
                           "cancelling a scheduled message that has left")

        # The cancelled one never arrives: not after its time, nor after a restart.
        wait_for(lambda: now_ms() > s2_at + 1000, 10 * SLOWDOWN, "the cancelled one's time to pass")
        self.marker(alice, bob, "after the cancelled one's time")
        self.bounce(alice)
        self.marker(alice, bob, "after alice's restart")
        self.assertNotIn(cancelled, json.dumps(bob.history_all()))
        self.assertEqual(alice.entry(s2)["state"], "CANCELLED")

        # A time already past sends at once.
        past = random_body("overdue")
        s4 = alice.rpc("send", {"text": past, "send_at_unix_ms": now_ms() - 60_000})["id"]
        bob.wait_find(is_text(past), ARRIVE, "a scheduled message whose time has passed")
        alice.wait_entry(s4, lambda m: m["state"] in ("DELIVERED", "READ"), ARRIVE,
                         "the overdue one DELIVERED")

        # A scheduled message survives kill -9 of the sender and leaves after its start.
        third = random_body("survives")
        s3_at = now_ms() + 1500
        s3 = alice.rpc("send", {"text": third, "send_at_unix_ms": s3_at})["id"]
        alice.kill9()
        wait_for(lambda: now_ms() > s3_at + 200, 10, "the third one's time to pass")
        self.assertEqual(bob.find_entries(is_text(third)), [])
        alice.start()
        bob.wait_find(is_text(third), ARRIVE, "the scheduled message after alice's restart")
        alice.wait_entry(s3, lambda m: m["state"] in ("DELIVERED", "READ"), ARRIVE,
                         "the third one DELIVERED")

    # ---- deliver 7: retraction --------------------------------------------------------

    def test_retract_before_open_withdraws_on_both_sides(self):
        alice, bob = self.pair_up()
        body = random_body("retracted")
        a_id = alice.rpc("send", {"text": body, "open_at_unix_ms": now_ms() + 3_600_000})["id"]
        b_id = bob.wait_find(is_envelope("INCOMING", "SEALED"), ARRIVE, "the envelope")["id"]
        bob.stop()
        stored = bob.stored_entry(b_id)["envelope"]
        self.assertTrue(stored.get("ciphertext") and stored.get("commitment"), stored)
        alice.stop()
        self.assertTrue(alice.has_content_key(a_id), "alice does not keep the key")
        alice.start(same_port=True)  # both were down: come back where the other looks
        bob.start(same_port=True)
        self.assertRefused(lambda: bob.rpc("retract", {"id": b_id}), None,
                           "retracting the partner's envelope")
        self.assertRefused(lambda: bob.rpc("retract", {"id": 999999}), None, "retracting nothing")
        r = alice.cli("retract", a_id)
        self.assertExit(r, 0, f"inmost retract {a_id}")
        alice.wait_entry(a_id, in_state("WITHDRAWN"), ARRIVE, "alice's envelope WITHDRAWN")
        m = bob.wait_entry(b_id, in_state("WITHDRAWN"), ARRIVE, "bob's envelope WITHDRAWN")
        self.assertEqual(m["text"], "")
        for d, i in ((alice, a_id), (bob, b_id)):
            self.assertNotIn(i, ids(d.rpc("envelopes", {})["messages"]), d.name)
        # A second retraction is answered clearly and changes nothing.
        self.assertRefused(lambda: alice.rpc("retract", {"id": a_id}), None, "retracting twice")
        self.assertEqual(envelope(bob.entry(b_id)).get("state"), "WITHDRAWN")
        # Bob's daemon has discarded the ciphertext; withdrawn stays withdrawn over
        # restarts; the body never reaches bob.
        bob.stop()
        stored = bob.stored_entry(b_id)["envelope"]
        self.assertEqual(stored.get("state"), "WITHDRAWN", stored)
        self.assertFalse(stored.get("ciphertext"), "the ciphertext is still on bob's side")
        self.assertFalse(stored.get("commitment"), stored)
        self.assertNoBodyIn(bob.dump_store(), body, "bob's decrypted store")
        bob.start()
        alice.stop()
        self.assertFalse(alice.has_content_key(a_id), "alice kept the key of a withdrawn one")
        alice.start(same_port=True)  # bob may not have reached her yet
        self.marker(alice, bob, "after the restarts")
        self.assertEqual(envelope(bob.entry(b_id)).get("state"), "WITHDRAWN")
        self.assertEqual(bob.entry(b_id)["text"], "")
        self.assertEqual(envelope(alice.entry(a_id)).get("state"), "WITHDRAWN")
        self.assertRefused(lambda: bob.rpc("open", {"id": b_id}), None, "open on a withdrawn one")

    def test_retract_while_the_recipient_is_down(self):
        alice, bob = self.pair_up()
        body = random_body("gone")
        a_id = alice.rpc("send", {"text": body, "gentle": True, "note": "maybe"})["id"]
        b_id = bob.wait_find(is_envelope("INCOMING", "GENTLE"), ARRIVE, "the envelope")["id"]
        bob.kill9()
        alice.rpc("retract", {"id": a_id})
        bob.start()
        bob.wait_entry(b_id, in_state("WITHDRAWN"), ARRIVE, "bob's envelope WITHDRAWN")
        self.assertRefused(lambda: bob.rpc("open", {"id": b_id}), None, "open on a withdrawn one")
        self.marker(alice, bob, "after")
        self.assertEqual(bob.entry(b_id)["text"], "")

    def test_retract_and_open_request_crossing(self):
        """bob asks for the key while alice withdraws the envelope, neither knowing of
        the other: both end up WITHDRAWN, and bob never reads it."""
        alice, bob = self.pair_up()
        body = random_body("crossing")
        a_id = alice.rpc("send", {"text": body, "gentle": True})["id"]
        b_id = bob.wait_find(is_envelope("INCOMING", "GENTLE"), ARRIVE, "the envelope")["id"]
        alice.stop()
        bob.rpc("open", {"id": b_id})  # waits in bob's outbox
        bob.stop()
        alice.start(same_port=True)
        alice.rpc("retract", {"id": a_id})
        bob.start(same_port=True)
        bob.wait_entry(b_id, in_state("WITHDRAWN"), ARRIVE, "bob's envelope WITHDRAWN")
        self.marker(alice, bob, "after the crossing")
        self.marker(bob, alice, "after the crossing too")
        self.assertEqual(envelope(alice.entry(a_id)).get("state"), "WITHDRAWN")
        self.assertEqual(bob.entry(b_id)["text"], "")
        bob.stop()
        self.assertNoBodyIn(bob.dump_store(), body, "bob's decrypted store")

    def test_retract_after_open_is_refused(self):
        alice, bob = self.pair_up()
        body = random_body("opened gentle")
        a_id = alice.rpc("send", {"text": body, "gentle": True})["id"]
        b_id = bob.wait_find(is_envelope("INCOMING", "GENTLE"), ARRIVE, "the envelope")["id"]
        bob.rpc("open", {"id": b_id})
        bob.wait_entry(b_id, opened_with(body), ARRIVE, "bob to open it")
        alice.wait_entry(a_id, opened_with(body), ARRIVE, "alice to see it opened")
        err = self.assertRefused(lambda: alice.rpc("retract", {"id": a_id}),
                                 "failed_precondition", "retract after open", message_has="open")
        self.assertEqual(err.code, 1010)
        r = alice.cli("retract", a_id)
        self.assertExit(r, 1, "inmost retract after open")
        self.assertIn("open", r.stderr.lower())
        self.assertEqual(bob.entry(b_id)["text"], body)

        # A sealed envelope whose time has passed: refused too.
        past = random_body("past")
        s_id = alice.rpc("send", {"text": past, "open_at_unix_ms": now_ms() - 1000})["id"]
        alice.wait_entry(s_id, opened_with(past), ARRIVE, "the sealed one OPENED")
        self.assertRefused(lambda: alice.rpc("retract", {"id": s_id}), "failed_precondition",
                           "retract of an opened sealed envelope", message_has="open")
        self.assertRefused(lambda: alice.rpc("retract", {"id": alice.send("plain")["id"]}), None,
                           "retract of a plain text")

    # ---- deliver 8: envelopes lists the pending ones ------------------------------------

    def test_envelopes_lists_the_pending_ones(self):
        alice, bob = self.pair_up()
        sealed = alice.rpc("send", {"text": "in an hour", "open_at_unix_ms": now_ms() + 3_600_000})
        gentle = alice.rpc("send", {"text": "gently", "gentle": True, "note": "about the trip"})
        together = alice.rpc("send", {"text": "together", "together": True})
        scheduled = alice.rpc("send", {"text": "later", "send_at_unix_ms": now_ms() + 3_600_000})
        asked = alice.rpc("ask", {"text": "What made you laugh today?"})
        opened = alice.rpc("send", {"text": "already open", "open_at_unix_ms": now_ms() - 1000})
        plain = alice.send("plain")
        pending_a = {sealed["id"], gentle["id"], together["id"], scheduled["id"], asked["id"]}

        bob.wait_find(is_text("plain"), ARRIVE, "the plain text")
        b_sealed = bob.wait_find(is_envelope("INCOMING", "SEALED", sealed["sent_at_unix_ms"]),
                                 ARRIVE, "the sealed one")
        b_opened = bob.wait_find(is_envelope("INCOMING", "SEALED", opened["sent_at_unix_ms"]),
                                 ARRIVE, "the opened one")
        bob.wait_entry(b_opened["id"], opened_with("already open"), ARRIVE, "the past one to open")
        b_gentle = bob.wait_find(is_envelope("INCOMING", "GENTLE"), ARRIVE, "the gentle one")
        b_together = bob.wait_find(is_envelope("INCOMING", "TOGETHER"), ARRIVE, "the together one")
        b_question = bob.wait_find(is_question("What made you laugh today?"), ARRIVE,
                                   "the question")
        alice.wait_entry(opened["id"], in_state("OPENED"), ARRIVE, "the past one OPENED on alice")
        pending_b = {b_sealed["id"], b_gentle["id"], b_together["id"], b_question["id"]}

        listed_a = ids(alice.rpc("envelopes", {})["messages"])
        self.assertEqual(set(listed_a), pending_a)
        self.assertEqual(listed_a, sorted(listed_a, key=int), "not oldest first")
        self.assertNotIn(opened["id"], listed_a)
        self.assertNotIn(plain["id"], listed_a)
        listed_b = ids(bob.rpc("envelopes", {})["messages"])
        self.assertEqual(set(listed_b), pending_b)
        r = bob.cli("envelopes", json_output=True)
        self.assertExit(r, 0, "inmost --json envelopes")
        self.assertEqual(set(ids(json.loads(r.stdout).get("messages", []))), pending_b)
        r = bob.cli("envelopes")
        self.assertExit(r, 0, "inmost envelopes")
        self.assertIn("about the trip", squash(r.stdout))

        # Once settled (withdrawn, opened, cancelled, revealed) they leave the lists.
        alice.rpc("retract", {"id": sealed["id"]})
        alice.rpc("retract", {"id": scheduled["id"]})
        bob.rpc("open", {"id": b_gentle["id"]})
        bob.wait_entry(b_sealed["id"], in_state("WITHDRAWN"), ARRIVE, "the sealed one withdrawn")
        bob.wait_entry(b_gentle["id"], opened_with("gently"), ARRIVE, "the gentle one opened")
        alice.wait_entry(gentle["id"], in_state("OPENED"), ARRIVE, "alice's gentle one opened")
        alice.rpc("answer", {"question_id": asked["id"], "text": "you"})
        bob.rpc("answer", {"question_id": b_question["id"], "text": "you too"})
        for d, qid in ((alice, asked["id"]), (bob, b_question["id"])):
            d.wait_entry(qid, lambda m: question(m).get("state") == "REVEALED", ARRIVE,
                         "the question REVEALED")
        wait_for(lambda: set(ids(alice.rpc("envelopes", {})["messages"])) == {together["id"]},
                 ARRIVE, "alice's list to hold only the together one")
        wait_for(lambda: set(ids(bob.rpc("envelopes", {})["messages"])) == {b_together["id"]},
                 ARRIVE, "bob's list to hold only the together one")

    # ---- deliver 9: kill -9 between any two steps changes no outcome --------------------

    def bouncer(self, order):
        """between(i): kill -9 and restart order[i % 2], then the other side keeps going."""
        def between(i):
            self.bounce(order[i % len(order)])
        return between

    def test_kill9_between_steps_of_a_mutual_reveal(self):
        for first in ("alice", "bob"):
            with self.subTest(first_killed=first):
                alice = self.make_daemon(f"alice-{first}")
                bob = self.make_daemon(f"bob-{first}")
                pair(alice, bob)
                order = [alice, bob] if first == "alice" else [bob, alice]
                qa, qb, a_ans, b_ans, a_text, b_text = self.mutual_flow(alice, bob,
                                                                        self.bouncer(order))
                self.check_final_mutual(alice, bob, qa, qb, a_ans, b_ans, a_text, b_text)

    def check_final_mutual(self, alice, bob, qa, qb, a_ans, b_ans, a_text, b_text):
        """The same outcome as without crashes, exactly once on each side."""
        for d, qid, mine, theirs_text, my_text in ((alice, qa, a_ans, b_text, a_text),
                                                   (bob, qb, b_ans, a_text, b_text)):
            history = d.history_all()
            questions = [m for m in history if kind(m) == "QUESTION"]
            answers = [m for m in history if kind(m) == "ENVELOPE"]
            self.assertEqual(len(questions), 1, questions)
            self.assertEqual(len(answers), 2, answers)
            self.assertEqual(questions[0]["id"], qid)
            self.assertEqual(question(questions[0]).get("state"), "REVEALED")
            self.assertEqual(sorted(m["text"] for m in answers), sorted([my_text, theirs_text]))
            self.assertTrue(all(envelope(m).get("state") == "OPENED" for m in answers), answers)
            self.assertEqual(d.rpc("envelopes", {}).get("messages", []), [])

    def test_kill9_between_steps_of_a_sealed_message(self):
        for first in ("alice", "bob"):
            with self.subTest(first_killed=first):
                alice = self.make_daemon(f"alice-{first}")
                bob = self.make_daemon(f"bob-{first}")
                pair(alice, bob)
                order = [alice, bob] if first == "alice" else [bob, alice]
                body, open_at, a_id, b_id = self.sealed_flow(alice, bob, open_in_s=6,
                                                             between=self.bouncer(order))
                for d, i in ((alice, a_id), (bob, b_id)):
                    history = d.history_all()
                    self.assertEqual(len(history), 1, history)
                    self.assertEqual(history[0]["id"], i)
                    self.assertEqual(history[0]["text"], body)
                    self.assertEqual(envelope(history[0]).get("state"), "OPENED")

    def test_kill9_of_both_sides_while_keys_fall_due(self):
        """Twenty sealed envelopes fall due while both daemons are killed over and over:
        each opens exactly once, with its own body, on both sides."""
        alice, bob = self.pair_up()
        first_at = now_ms() + 1500
        bodies = {}
        with alice.connect() as conn:
            for i in range(20):
                body = random_body(f"due {i:02d}")
                sent = conn.call("send", {"text": body, "open_at_unix_ms": first_at + 100 * i})
                bodies[sent["id"]] = body
        last_at = first_at + 100 * 19
        kills = 0
        while now_ms() < last_at + 1000 or kills < 4:
            self.bounce(alice if kills % 2 == 0 else bob)
            kills += 1
        for a_id, body in bodies.items():
            alice.wait_entry(a_id, opened_with(body), ARRIVE, f"alice's envelope {a_id} OPENED")
        wait_for(lambda: len([m for m in bob.history_all()
                              if envelope(m).get("state") == "OPENED"]) == len(bodies),
                 ARRIVE, "all of bob's envelopes to open")
        incoming = bob.history_all()
        self.assertEqual(len(incoming), len(bodies), "an envelope arrived twice or not at all")
        self.assertEqual(sorted(m["text"] for m in incoming), sorted(bodies.values()))
        self.assertTrue(all(envelope(m).get("state") == "OPENED" for m in incoming))

    def test_kill9_between_steps_of_gentle_and_retract(self):
        alice, bob = self.pair_up()
        keep = random_body("kept")
        drop = random_body("dropped")
        a_keep = alice.rpc("send", {"text": keep, "gentle": True})["id"]
        self.bounce(alice)
        a_drop = alice.rpc("send", {"text": drop, "gentle": True, "note": "drop"})["id"]
        self.bounce(bob)
        held = bob.wait_find(lambda m: is_envelope("INCOMING", "GENTLE")(m)
                             and envelope(m).get("note") == "drop", ARRIVE, "the second one")
        b_keep = bob.wait_find(lambda m: is_envelope("INCOMING", "GENTLE")(m)
                               and not envelope(m).get("note"), ARRIVE, "the first one")["id"]
        self.bounce(alice)
        bob.rpc("open", {"id": b_keep})
        self.bounce(bob)
        alice.rpc("retract", {"id": a_drop})
        self.bounce(alice)
        bob.wait_entry(b_keep, opened_with(keep), ARRIVE, "the kept one OPENED")
        bob.wait_entry(held["id"], in_state("WITHDRAWN"), ARRIVE, "the dropped one WITHDRAWN")
        self.bounce(bob)
        alice.wait_entry(a_keep, opened_with(keep), ARRIVE, "alice sees the kept one opened")
        self.assertEqual(envelope(alice.entry(a_drop)).get("state"), "WITHDRAWN")
        self.assertEqual(bob.entry(held["id"])["text"], "")
        self.assertEqual(len(bob.history_all()), 2)


if __name__ == "__main__":
    harness.main()
