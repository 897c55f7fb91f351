#!/usr/bin/env python3
"""What people expect of a messenger (issue 21, items 1-4), against two real daemons:
replies with their quoted line, edits that keep every version and cross a kill -9,
view-once messages viewed while the sender is down and then gone from both data
directories and exports, and disappearing messages that go from both sides once read.

Every test pairs its own two daemons; every wait is a condition polled until a
deadline, never a sleep. Time moves forward through the test clock offset
(clock_offset_env), which needs a build with test hooks. "Gone" is checked in the
whole decrypted store (inmost_store_probe dump), in every older version of its values
still in LevelDB's files (dump-versions), and in the raw files, not only in history;
for a view-once message, its key (view-once-key, read before the view) too.
"""

import hashlib
import json
import os
import secrets
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, clock_offset_env, store_probe, wait_for  # noqa: E402

ARRIVE = 20.0  # seconds for anything to cross the link (or come back after a restart)
HOUR_MS = 3600 * 1000


def now_ms():
    return int(time.time() * 1000)


def kind(m):
    return m.get("kind", "TEXT")


def is_text(text):
    return lambda m: kind(m) == "TEXT" and m.get("text") == text


def unique(prefix):
    return f"{prefix} {secrets.token_hex(8)}"


class MessengerTest(IntegrationTest):

    # ---- helpers ------------------------------------------------------------------

    def exchange(self, sender, receiver, text):
        """sender sends text; returns the number both show for it."""
        sent = sender.send(text)["id"]
        got = receiver.wait_find(is_text(text), ARRIVE, f"{text!r} arrives")
        self.assertEqual(got["id"], sent, "one number on both sides")
        return sent

    def wait_drained(self, d):
        """Waits until d's partner has acknowledged everything d sent."""
        wait_for(lambda: int(d.status()["unacknowledged"]) == 0, ARRIVE,
                 f"{d.name}'s outbox to drain", interval=0.1)

    def restart_both(self, alice, bob, env=None):
        """Stops both, starts both (with env, if given) where the other looks for them,
        and waits for the link."""
        for d in (alice, bob):
            d.stop()
        for d in (alice, bob):
            if env is not None:
                d.env = dict(env)
            d.start(same_port=True)
        harness.wait_linked(alice, bob, ARRIVE, "linked after the restarts")

    def versions(self, d, number):
        return [v["text"] for v in d.rpc("versions", {"id": number})["versions"]]

    def assertNowhere(self, d, secret, what):
        """The (stopped) daemon's decrypted store, every older version of its values
        still in LevelDB's files (dump-versions), and its raw files hold no trace of
        secret (bytes)."""
        self.assertNotIn(secret, d.dump_store(), f"{d.name}'s store holds {what}")
        versions = store_probe("dump-versions", d.data_dir).stdout
        self.assertNotIn(secret, versions, f"an older version in {d.name}'s store holds {what}")
        for path, blob in d.raw_files().items():
            self.assertNotIn(secret, blob, f"{path} holds {what}")

    # ---- 1: replies ---------------------------------------------------------------

    def test_a_reply_quotes_its_message_on_both_sides(self):
        alice, bob = self.pair_up()
        question = unique("dinner at 8 on the terrace, or shall we stay in tonight?")
        asked = self.exchange(alice, bob, question)
        answer = unique("the terrace")
        r = bob.cli("send", "--reply-to", asked, answer)
        self.assertExit(r, 0, "inmost send --reply-to")
        self.assertIn(f"(a reply to #{asked})", r.stdout)
        got = alice.wait_find(is_text(answer), ARRIVE, "the reply arrives")
        mine = bob.find_entries(is_text(answer))[0]
        for d, m in ((alice, got), (bob, mine)):
            self.assertEqual(m["reply_to"], asked, f"{d.name}: reply_to")
            self.assertTrue(m["quoted"], f"{d.name}: nothing quoted")
            self.assertTrue(question.startswith(m["quoted"].rstrip("…")),
                            f"{d.name}: quoted {m['quoted']!r}, not the start of the question")
            shown = d.cli("history")
            self.assertExit(shown, 0, f"{d.name}: inmost history")
            self.assertIn(f"↪ #{asked} \"", shown.stdout, f"{d.name}: no quoted line")

    def test_a_reply_to_a_sealed_envelope_never_quotes_its_body(self):
        alice, bob = self.pair_up()
        body = unique("sealed body, not for quoting")
        alice.rpc("send", {"text": body, "open_at_unix_ms": now_ms() + HOUR_MS})
        held = bob.wait_find(lambda m: kind(m) == "ENVELOPE", ARRIVE, "the envelope")
        answer = unique("I cannot wait")
        r = bob.cli("send", "--reply-to", held["id"], answer)
        self.assertExit(r, 0, "a reply to a sealed envelope")
        got = alice.wait_find(is_text(answer), ARRIVE, "the reply arrives")
        self.assertEqual(got["reply_to"], held["id"])
        mine = bob.find_entries(is_text(answer))[0]
        self.assertEqual(mine["reply_to"], held["id"])
        self.assertEqual(mine["quoted"], "a sealed envelope")
        shown = bob.cli("history")
        self.assertIn(f"↪ #{held['id']} (a sealed envelope)", shown.stdout)
        for text in (json.dumps(bob.history_all()), shown.stdout):
            self.assertNotIn(body, text, "the sealed body reached bob through a reply")

    # ---- 2: edits ------------------------------------------------------------------

    def test_an_edit_made_while_the_partner_is_down_arrives_once(self):
        alice, bob = self.pair_up()
        first = unique("see you at 8")
        number = self.exchange(alice, bob, first)
        bob.kill9()
        second = unique("see you at 9")
        r = alice.cli("edit", number, second)
        self.assertExit(r, 0, "inmost edit")
        self.assertIn("(edited)", r.stdout)
        edited = alice.entry(number)
        self.assertEqual(edited["text"], second)
        self.assertTrue(edited["edited"])
        bob.start(same_port=True)
        got = bob.wait_entry(number, lambda m: m["text"] == second, ARRIVE, "the edit arrives")
        self.assertTrue(got["edited"])
        self.wait_drained(alice)
        # Once: one entry, two versions, on both sides, and still so after a restart.
        self.restart_both(alice, bob)
        for d in (alice, bob):
            self.assertEqual(len(d.find_entries(is_text(second))), 1, f"{d.name}: one entry")
            self.assertEqual(self.versions(d, number), [first, second], f"{d.name}: versions")
            shown = d.cli("versions", number)
            self.assertExit(shown, 0, f"{d.name}: inmost versions")
            self.assertIn(first, shown.stdout)
            self.assertIn(second + "  (current)", shown.stdout)
            history = d.cli("history")
            self.assertIn(second + " (edited)", history.stdout, f"{d.name}: history")

    def test_edits_that_must_be_refused(self):
        alice, bob = self.pair_up()
        body = unique("sealed until later")
        sealed = alice.rpc("send", {"text": body, "open_at_unix_ms": now_ms() + HOUR_MS})["id"]
        bob.wait_find(lambda m: kind(m) == "ENVELOPE", ARRIVE, "the envelope")
        self.assertRefused(lambda: alice.rpc("edit", {"id": sealed, "text": "changed"}),
                           None, "editing an envelope not yet opened")
        r = alice.cli("edit", sealed, "changed")
        self.assertExit(r, 1, "inmost edit of a sealed envelope")
        self.assertIn("inmost: ", r.stderr)
        theirs = self.exchange(bob, alice, unique("bob's own words"))
        self.assertRefused(lambda: alice.rpc("edit", {"id": theirs, "text": "mine now"}),
                           None, "editing the partner's message")
        self.assertRefused(lambda: alice.rpc("edit", {"id": "999999", "text": "x"}),
                           "not_found", "editing nothing")
        self.assertEqual(self.versions(bob, theirs), [bob.entry(theirs)["text"]])
        self.assertFalse(bob.entry(theirs).get("edited"))

    # ---- 3: view once --------------------------------------------------------------

    def test_view_once_viewed_while_the_sender_is_down_is_gone_everywhere(self):
        alice, bob = self.pair_up()
        marker = "view-once-" + secrets.token_hex(16)
        r = alice.cli("send", "--view-once", f"the code is {marker}", json_output=True)
        self.assertExit(r, 0, "inmost send --view-once")
        number = json.loads(r.stdout)["id"]
        self.assertEqual(alice.entry(number)["view_once"], "NOT_VIEWED")
        self.assertEqual(alice.entry(number)["text"], "", "the sender shows the text")
        got = bob.wait_entry(number, lambda m: m.get("view_once") == "NOT_VIEWED", ARRIVE,
                             "the view-once message arrives")
        self.assertEqual(got["text"], "")
        shown = bob.cli("history")
        self.assertIn(f"inmost view {number}", shown.stdout)
        self.assertNotIn(marker, shown.stdout)
        self.wait_drained(alice)
        alice.kill9()
        # The key bob holds until the view, to look for it afterwards.
        bob.stop()
        key_hex = store_probe("view-once-key", bob.data_dir, number).stdout.strip()
        self.assertNotEqual(key_hex, b"absent", "bob holds no key for the view-once message")
        key = bytes.fromhex(key_hex.decode())
        bob.start(same_port=True)

        viewed = bob.rpc("view", {"id": number})
        self.assertEqual(viewed["text"], f"the code is {marker}")
        self.assertEqual(viewed["message"]["view_once"], "VIEWED")
        self.assertEqual(viewed["message"]["text"], "")
        self.assertRefused(lambda: bob.rpc("view", {"id": number}), None, "a second view")
        again = bob.cli("view", number)
        self.assertExit(again, 1, "inmost view a second time")
        self.assertNotIn(marker, again.stdout + again.stderr)

        alice.start(same_port=True)
        harness.wait_linked(alice, bob, ARRIVE, "linked again")
        alice.wait_entry(number, lambda m: m.get("view_once") == "VIEWED", ARRIVE,
                         "alice sees it viewed")
        self.assertIn("viewed", alice.cli("history").stdout)
        for d in (alice, bob):
            for fmt in ("markdown", "json"):
                exported = d.cli("export", "--format", fmt)
                self.assertExit(exported, 0, f"{d.name}: inmost export --format {fmt}")
                self.assertNotIn(marker, exported.stdout, f"{d.name}'s {fmt} export holds it")
            self.assertNotIn(marker, json.dumps(d.history_all()))
        for d in (alice, bob):
            d.stop()
        for d in (alice, bob):
            self.assertNowhere(d, marker.encode(), "the view-once text")
            self.assertNowhere(d, key, "the view-once key")
        self.assertEqual(store_probe("view-once-key", bob.data_dir, number).stdout.strip(),
                         b"absent")
        record = bob.stored_entry(number).get("view_once") or {}
        self.assertTrue(record.get("viewed"), record)
        self.assertFalse(record.get("ciphertext"), "bob still holds the ciphertext")

    def test_a_view_once_file_is_in_no_backup_and_gone_everywhere_after_its_view(self):
        alice, bob = self.pair_up()
        marker = ("view-once-file-" + secrets.token_hex(16)).encode()
        # Three pieces of a view (each at most 258048 bytes), the marker in each.
        content = b"".join(marker + secrets.token_bytes(100_000) for _ in range(6))
        path = os.path.join(alice.tmp, "once.jpg")
        with open(path, "wb") as f:
            f.write(content)
        bob.stop()  # So alice's outbox holds the offer (and its key) for a while.
        r = alice.cli("send", "--view-once", "--file", path, json_output=True)
        self.assertExit(r, 0, "inmost send --view-once --file")
        number = json.loads(r.stdout)["id"]
        self.assertExit(alice.cli("send", "--view-once", "--file", path, "--caption", "x"), 2,
                        "a view-once file with a caption")
        # A backup taken while the offer waits in alice's outbox.
        alice_archive, alice_passphrase = self.backup(alice)
        bob.start(same_port=True)
        got = bob.wait_entry(number, lambda m: (m.get("file") or {}).get("state") == "RECEIVED",
                             ARRIVE * 3, "the view-once file arrives")
        self.assertEqual(got["view_once"], "NOT_VIEWED")
        self.assertEqual(got["file"]["name"], "once.jpg")
        self.wait_drained(alice)
        self.assertExit(bob.cli("save", str(number), bob.tmp), 1, "inmost save of a view-once file")
        self.assertRefused(lambda: bob.rpc("download", {"id": number}), None,
                           "downloading a view-once file")
        # On a terminal, inmost view refuses to print the bytes, and views nothing.
        on_terminal = subprocess.run(
            ["script", "-qec", f"{harness.INMOST} --data-dir {bob.data_dir} view {number}",
             "/dev/null"], capture_output=True, text=True, timeout=60)
        self.assertEqual(on_terminal.returncode, 2, on_terminal.stdout + on_terminal.stderr)
        self.assertIn("is a view-once file, once.jpg", on_terminal.stdout)
        self.assertEqual(bob.entry(number)["view_once"], "NOT_VIEWED")
        bob_archive, bob_passphrase = self.backup(bob)
        bob.stop()
        key_hex = store_probe("view-once-key", bob.data_dir, number).stdout.strip()
        self.assertNotEqual(key_hex, b"absent", "bob holds no key for the view-once file")
        key = bytes.fromhex(key_hex.decode())
        bob.start(same_port=True)
        alice.kill9()

        seen = subprocess.run([harness.INMOST, "--data-dir", bob.data_dir, "view", str(number)],
                              capture_output=True, timeout=60)
        self.assertEqual(seen.returncode, 0, seen.stderr)
        self.assertEqual(hashlib.sha256(seen.stdout).hexdigest(),
                         hashlib.sha256(content).hexdigest(), "the file as viewed")
        self.assertIn(b"gone now", seen.stderr)
        self.assertRefused(lambda: bob.rpc("view", {"id": number}), None, "a second view")
        self.assertEqual(bob.entry(number)["view_once"], "VIEWED")

        alice.start(same_port=True)
        harness.wait_linked(alice, bob, ARRIVE, "linked again")
        alice.wait_entry(number, lambda m: m.get("view_once") == "VIEWED", ARRIVE,
                         "alice sees it viewed")
        for d in (alice, bob):
            exported = d.cli("export", "--format", "json")
            self.assertExit(exported, 0, f"{d.name}: inmost export")
            self.assertNotIn(marker.decode(), exported.stdout)
        alice_restored = self.restored("alice-restored", alice_archive, alice_passphrase)
        bob_restored = self.restored("bob-restored", bob_archive, bob_passphrase)
        for d in (alice, bob):
            d.stop()
        for d in (alice, bob, alice_restored, bob_restored):
            self.assertNowhere(d, marker, "the view-once file")
            self.assertNowhere(d, key, "the view-once file's key")
            self.assertEqual([p for p in d.raw_files() if p.endswith(".once")], [],
                             f"{d.name} keeps a view-once blob")
        # The restored copy still shows that it came, and says why it cannot be viewed.
        bob_restored.start()
        self.assertEqual(bob_restored.entry(number)["view_once"], "NOT_VIEWED")
        self.assertRefused(lambda: bob_restored.rpc("view", {"id": number}), None,
                           "viewing it in a restored copy", message_has="restored from a backup")

    def test_view_once_refusals(self):
        alice, bob = self.pair_up()
        plain = self.exchange(alice, bob, unique("an ordinary text"))
        self.assertRefused(lambda: bob.rpc("view", {"id": plain}), None,
                           "viewing a message that is not view-once")
        self.assertRefused(
            lambda: alice.rpc("send", {"text": "x", "view_once": True, "gentle": True}),
            "invalid_argument", "a sealed view-once message")
        r = alice.cli("send", "--view-once", "--gentle", "x")
        self.assertExit(r, 2, "inmost send --view-once --gentle")
        mine = alice.rpc("send", {"text": unique("once"), "view_once": True})["id"]
        self.assertRefused(lambda: alice.rpc("view", {"id": mine}), None,
                           "the sender viewing its own view-once message")

    # ---- 4: disappearing -----------------------------------------------------------

    def test_disappearing_messages_go_from_both_sides_once_read(self):
        self.require_test_hooks()  # the clock moves on through INMOST_TEST_CLOCK_OFFSET_MS
        alice, bob = self.pair_up()
        before = unique("sent before the change: stays")
        kept = self.exchange(alice, bob, before)
        r = alice.cli("config", "disappear-after", "1h")
        self.assertExit(r, 0, "inmost config disappear-after 1h")
        for d in (alice, bob):
            d.wait_find(lambda m: kind(m) == "NOTICE" and "disappear" in m.get("text", ""),
                        ARRIVE, "the change as a notice line")
        wait_for(lambda: bob.rpc("config", {"key": "disappear-after"})["settings"][0]["value"]
                 not in ("", "off"), ARRIVE, "bob takes the setting")
        after = unique("sent after the change: goes")
        gone = self.exchange(alice, bob, after)
        self.assertEqual(int(alice.entry(gone)["disappear_after_ms"]), HOUR_MS)
        self.assertEqual(int(alice.entry(kept).get("disappear_after_ms", 0)), 0)
        self.assertIn("after it is read", bob.cli("history").stdout)
        bob.rpc("mark_read", {})
        bob.wait_entry(gone, lambda m: int(m.get("disappears_at_unix_ms", 0)) > 0, ARRIVE,
                       "its countdown starts once read")
        alice.wait_entry(gone, lambda m: int(m.get("disappears_at_unix_ms", 0)) > 0, ARRIVE,
                         "alice's countdown starts with the read receipt")
        self.assertIn("disappears in", bob.cli("history").stdout)
        self.wait_drained(alice)
        self.wait_drained(bob)

        # Two hours on: past the hour after the read on both sides.
        self.restart_both(alice, bob, env=clock_offset_env(2 * HOUR_MS))
        for d in (alice, bob):
            wait_for(lambda d=d: not d.find_entries(lambda m: m["id"] == gone), ARRIVE,
                     f"{d.name}: the disappearing message goes", interval=0.1)
            self.assertEqual(d.entry(kept)["text"], before, f"{d.name}: the earlier one stays")
            self.assertFalse(d.rpc("search", {"words": after.split()[-1]})["messages"])
        for d in (alice, bob):
            d.stop()
        for d in (alice, bob):
            self.assertNowhere(d, after.encode(), "the disappeared text")
            self.assertIn(before.encode(), d.dump_store(), f"{d.name}: the probe sees no text")


if __name__ == "__main__":
    harness.main()
