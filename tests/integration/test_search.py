#!/usr/bin/env python3
"""Search through the word index (issue 24 item 3), against real daemons: words in any
case and accents, prefixes, phrases, Japanese, pages newest first, on both sides; a
forgotten message leaves the index; what a daemon acknowledged is searchable after a
kill -9; a rebuild asked through the CLI, and an index that is still there after a
restart.

Every test pairs its own two daemons; every wait is a condition polled until a
deadline, never a sleep.
"""

import secrets
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, wait_for

ARRIVE = 20.0  # seconds for anything to cross the link (or come back after a restart)


def texts(found):
    return [m.get("text") for m in found.get("messages", [])]


class SearchTest(IntegrationTest):
    def exchange(self, sender, receiver, text):
        sender.send(text)
        receiver.wait_find(lambda m: m.get("text") == text and m["direction"] == "INCOMING",
                           ARRIVE, f"{receiver.name} receives {text!r}")

    def search(self, d, words, **params):
        found = d.rpc("search", dict(params, words=words))
        self.assertTrue(found.get("indexed"), f"{d.name}: the word index answers {words!r}")
        return found

    def test_words_fold_prefix_phrase_and_page_on_both_sides(self):
        alice, bob = self.pair_up()
        tag = secrets.token_hex(3)
        sent = [f"Un CAFÉ à la Straße {tag}", f"good night, moonlight {tag}",
                f"the night was good {tag}", f"東京で会いましょう {tag}"]
        for i, text in enumerate(sent):
            sender, receiver = (alice, bob) if i % 2 == 0 else (bob, alice)
            self.exchange(sender, receiver, text)
        for d in (alice, bob):
            self.assertEqual(texts(self.search(d, "cafe strasse")), [sent[0]], d.name)
            self.assertEqual(texts(self.search(d, "moon")), [sent[1]], f"{d.name}: a prefix")
            self.assertEqual(texts(self.search(d, "moon ")), [], f"{d.name}: a whole word")
            self.assertEqual(texts(self.search(d, '"good night"')), [sent[1]], d.name)
            self.assertEqual(texts(self.search(d, "東京")), [sent[3]], f"{d.name}: Japanese")
            first = self.search(d, tag, limit=3)
            self.assertEqual(texts(first), list(reversed(sent))[:3], f"{d.name}: newest first")
            self.assertTrue(first["more"])
            rest = self.search(d, tag, limit=3, before_id=int(first["messages"][-1]["id"]))
            self.assertEqual(texts(rest), [sent[0]], f"{d.name}: the next page")
            self.assertFalse(rest.get("more", False))
        shown = alice.cli("search", "--limit", "1", "NIGHT")
        self.assertExit(shown, 0, "inmost search")
        self.assertIn(sent[2], shown.stdout)
        self.assertIn("more match: add --before", shown.stdout)

    def test_forgotten_words_leave_and_acknowledged_ones_survive_a_kill(self):
        alice, bob = self.pair_up()
        tag = secrets.token_hex(3)
        kept, gone = f"harbour at noon {tag}", f"harbour at dusk {tag}"
        self.exchange(alice, bob, kept)
        self.exchange(alice, bob, gone)
        message = next(m for m in alice.history_all() if m.get("text") == gone)
        alice.rpc("forget", {"id": int(message["id"])})
        self.assertEqual(texts(self.search(alice, "harbour")), [kept])
        self.assertEqual(texts(self.search(alice, "dusk")), [])

        late = f"lantern by the door {tag}"
        alice.send(late)  # Acknowledged once synced, index and all.
        alice.kill9()
        alice.start()
        self.assertEqual(texts(self.search(alice, "lantern")), [late])

    def test_a_rebuild_through_the_cli_and_an_index_kept_across_restarts(self):
        alice, bob = self.pair_up()
        tag = secrets.token_hex(3)
        for i in range(30):
            self.exchange(alice, bob, f"note {i} of {tag}" + (" Éclair" if i % 10 == 0 else ""))
        rebuilt = alice.cli("search", "--rebuild-index")
        self.assertExit(rebuilt, 0, "inmost search --rebuild-index")
        self.assertIn("Rebuilding the search index over", rebuilt.stdout)
        wait_for(lambda: alice.rpc("search", {"words": "eclair"}).get("indexed"), ARRIVE,
                 "alice: the rebuilt index")
        self.assertEqual(len(texts(self.search(alice, "ECLAIR"))), 3)
        alice.restart()
        self.assertEqual(len(texts(self.search(alice, "eclair"))), 3)
        self.assertEqual(len(texts(self.search(alice, tag, limit=100))), 30)


if __name__ == "__main__":
    harness.main()
