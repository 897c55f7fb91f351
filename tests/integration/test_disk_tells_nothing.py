"""Issue 23, item 4: a disk that tells nothing. Whoever holds a stopped daemon's data
directory (even one whose storage key is wrapped under a passphrase) reads LevelDB's
keys in the clear; from store schema 3 on they say nothing but how many records of
three broad classes there are. Read straight from LevelDB (Debian's python3-plyvel, on
a copy of the store: LevelDB locks it while a daemon runs), every key is either the
store's own (under "meta/") or exactly 17 bytes: a class byte (1 looked up by key, 2 the
small sets scanned at start, 3 history entries) and a 16-byte keyed hash of the logical
key. Each sealed value is bound to its physical key, so a value moved under another key
fails authentication, and the daemon says so clearly.

Checked here after varied traffic between real paired daemons (texts on three days,
envelopes, a question, a pin, files, a view-once text, a draft, a pending invite on a
third daemon whose key is wrapped under a passphrase), on the committed fixtures of
schemas 1 and 2 once this build has migrated them, and with two values swapped on disk.
The layout's rules and the raw reads are in raw_store.py.
"""

import os
import re
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import IntegrationTest, clock_offset_env, pair, wait_for, wait_linked  # noqa: E402
from test_fixtures import fixture_sets, load_manifest, private_copy  # noqa: E402

try:
    import plyvel
except ImportError:
    reason = "needs python3-plyvel under /usr/bin/python3 (scripts/setup installs it)"
    if os.environ.get("CI") == "true":
        print(f"FAILED: {reason}: this test may not be skipped in CI", file=sys.stderr)
        sys.exit(1)
    print(f"\n*** SKIPPED test_disk_tells_nothing.py: {reason} ***\n", file=sys.stderr)
    sys.exit(0)
from raw_store import (CLASSES, META, NAMED_KEYS, PHYSICAL_KEY_SIZE, class_counts,  # noqa: E402
                       day_key, key_hasher, layout_problems, names_in_files, number_key,
                       printable, read_store, spec_class, store_files)

ARRIVE = 20.0 * harness.SLOWDOWN
DAY_MS = 86_400_000
YEAR_2100_MS = 4_102_444_800_000
HIDDEN_SCHEMA = 3  # The first store schema whose LevelDB keys name nothing.


def unique(text):
    return f"{text} {secrets.token_hex(6)}"


def shown(history):
    """What a history shows that must survive a restart unchanged."""
    return [(m["id"], m["direction"], m["kind"], m["text"], m.get("pinned"),
             (m.get("envelope") or {}).get("state"), (m.get("file") or {}).get("state"))
            for m in history]


class DiskTellsNothingTest(IntegrationTest):

    def assertLayout(self, records, who):
        problems = layout_problems(records)
        if problems:
            self.fail(f"{who}: {len(problems)} of {len(records)} LevelDB keys break the layout "
                      "of store schema 3 (meta/..., or a class byte 1-3 and a 16-byte keyed "
                      "hash), e.g.\n  " + "\n  ".join(problems[:12]))
        metas = [k for k, _ in records if k.startswith(META)]
        self.assertIn(META + b"schema_version", metas, f"{who}: no schema record")
        # The store's own records are few and named, never numbered or dated.
        odd = [printable(k) for k in metas if not re.fullmatch(rb"meta/[a-z_/-]+", k)]
        self.assertEqual(odd, [], f"{who}: keys of the store's own with more than a name")

    def assertHidden(self, logical_keys, records, data_dir, who):
        """Each of these record keys is stored under its keyed hash, in its class."""
        stored = {k[1:]: k[0] for k, _ in records
                  if len(k) == PHYSICAL_KEY_SIZE and not k.startswith(META)}
        hashed = key_hasher(data_dir)
        missing, misplaced = [], []
        for key in logical_keys:
            got = stored.get(hashed(key))
            if got is None:
                missing.append(printable(key))
            elif spec_class(key) not in (None, got):
                misplaced.append(f"{printable(key)} in class {got}, not {spec_class(key)}")
        if missing or misplaced:
            self.fail(f"{who}: of {len(logical_keys)} records, {len(missing)} are under no key "
                      f"that is their keyed hash (key_layout.cc's, recomputed), "
                      f"{len(misplaced)} in the wrong class; e.g.\n  "
                      + "\n  ".join((misplaced + missing)[:12]))

    def assertNothingOnDisk(self, texts, data_dir, who):
        """None of `texts` in any value, nor anywhere in the store's files."""
        records = read_store(data_dir)
        for text in texts:
            needle = text.encode()
            self.assertFalse([k for k, v in records if needle in v],
                             f"{who}: a stored value holds the text {text!r}")
            for name, blob in store_files(data_dir).items():
                self.assertNotIn(needle, blob, f"{who}: store file {name} holds {text!r}")

    def assertNoNames(self, names, d, who):
        left = names_in_files(names, d.data_dir)
        if left:
            self.fail(f"{who}: the store's files hold {len(left)} logical keys in the clear "
                      "(live, deleted or overwritten), e.g.\n  " + "\n  ".join(left[:12]))

    # ---- the traffic --------------------------------------------------------------

    def exchange(self, sender, receiver, text, **params):
        self.texts.append(text)
        sent = sender.rpc("send", {"text": text, **params})
        got = receiver.wait_find(lambda m: m.get("text") == text, ARRIVE, f"{text!r} arrives")
        return int(sent["id"]), int(got["id"])

    def find_envelope(self, d, note, state=None):
        return d.wait_find(lambda m: m.get("kind") == "ENVELOPE" and
                           m["envelope"].get("note") == note and
                           (state is None or m["envelope"].get("state") == state),
                           ARRIVE, f"{d.name}: the envelope {note!r} ({state or 'any'})")

    def one_day(self, alice, bob, day):
        """Texts both ways (an urgent one, one beyond ASCII): a day with activity."""
        self.exchange(alice, bob, unique(f"day {day}: good morning from alice"))
        self.exchange(bob, alice, unique(f"day {day}: and from bob, ünïcödé ❤"))
        self.exchange(bob, alice, unique(f"day {day}: an urgent one from bob"), urgent=True)

    def everything_else(self, alice, bob):
        """Envelopes (withheld, opened, withdrawn), a question, a pin and reaction, a file
        each way, a view-once text, nudges, a draft and changed boundaries."""
        sealed = unique("sealed until 2100, from alice")
        self.texts.append(sealed)
        alice.rpc("send", {"text": sealed, "open_at_unix_ms": YEAR_2100_MS, "note": "later"})
        self.find_envelope(bob, "later")

        gentle = unique("a gentle one from bob")
        self.texts.append(gentle)
        bob.rpc("send", {"text": gentle, "gentle": True, "note": "when you are ready"})
        held = self.find_envelope(alice, "when you are ready", "WITHHELD")
        alice.rpc("open", {"id": int(held["id"])})
        alice.wait_find(lambda m: m.get("text") == gentle, ARRIVE, "the gentle one opened")

        withdrawn_text = unique("withdrawn by alice")
        self.texts.append(withdrawn_text)
        withdrawn = alice.rpc("send", {"text": withdrawn_text, "gentle": True,
                                       "note": "never mind"})["id"]
        self.find_envelope(bob, "never mind")
        alice.rpc("retract", {"id": int(withdrawn)})
        self.find_envelope(bob, "never mind", "WITHDRAWN")

        question = unique("what made you laugh today?")
        answers = (unique("alice's answer"), unique("bob's answer"))
        self.texts += [question, *answers]
        q_alice = int(alice.rpc("ask", {"text": question})["id"])
        q_bob = int(bob.wait_find(lambda m: m.get("text") == question, ARRIVE,
                                  "the question")["id"])
        alice.rpc("answer", {"question_id": q_alice, "text": answers[0]})
        bob.rpc("answer", {"question_id": q_bob, "text": answers[1]})
        alice.wait_find(lambda m: m.get("text") == answers[1], ARRIVE, "bob's answer revealed")

        mine, theirs = self.exchange(bob, alice, unique("the shared memory, from bob"))
        alice.rpc("react", {"id": theirs, "emoji": "🌊"})
        alice.rpc("pin", {"id": theirs})
        bob.wait_entry(mine, lambda m: m.get("pinned"), ARRIVE, "the pin reaches bob")

        view_once = unique("view once: the door code is")
        self.texts.append(view_once)
        bob.rpc("send", {"text": view_once, "view_once": True})
        alice.wait_find(lambda m: m.get("view_once") == "NOT_VIEWED", ARRIVE, "the view-once text")

        for sender, receiver, name in ((bob, alice, "sunset.jpg"), (alice, bob, "letter.txt")):
            caption = unique(f"{name}, from {sender.name}")
            self.texts.append(caption)
            path = os.path.join(sender.tmp, name)
            harness.write_random_file(path, 40_000)
            sent = int(sender.rpc("send", {"file_path": path, "text": caption})["id"])
            sender.wait_entry(sent, lambda m: m["file"]["state"] == "SENT", ARRIVE, f"{name} sent")
            got = receiver.wait_find(lambda m: m.get("text") == caption, ARRIVE, f"{name} arrives")
            receiver.wait_entry(got["id"], lambda m: m["file"]["state"] == "RECEIVED", ARRIVE,
                                f"{name} received")

        bob.rpc("nudge", {"kind": "HUG"})
        alice.wait_find(lambda m: m.get("kind") == "NUDGE" and m["direction"] == "INCOMING",
                        ARRIVE, "bob's hug")
        self.draft = unique("a draft: see you at")
        self.texts.append(self.draft)
        alice.rpc("draft", {"set": True, "text": self.draft})
        alice.rpc("config", {"key": "quiet-hours", "value": "22:00-07:00"})

    def drive_traffic(self):
        """alice and bob paired two days ago (with test hooks; else today), with texts on
        each day since and everything else today. Returns them, running and linked."""
        days = [-2, -1, 0] if harness.TEST_HOOKS else [0]
        if not harness.TEST_HOOKS:
            sys.stderr.write("\nnote: a build without test hooks: traffic on one day only\n")
        env = clock_offset_env(days[0] * DAY_MS) if harness.TEST_HOOKS else None
        alice = self.make_daemon("alice", env=env)
        bob = self.make_daemon("bob", env=env)
        pair(alice, bob)
        for day in days:
            if day != days[0]:
                for d in (alice, bob):
                    d.stop()
                    d.env = clock_offset_env(day * DAY_MS)
                for d in (alice, bob):
                    d.start(same_port=True)
                wait_linked(alice, bob, ARRIVE, f"linked again on day {day}")
            self.one_day(alice, bob, day)
        self.everything_else(alice, bob)
        return alice, bob

    def setUp(self):
        super().setUp()
        self.texts = []
        self.draft = None

    # ---- the tests ----------------------------------------------------------------

    def test_keys_and_values_of_a_lived_in_store_tell_nothing(self):
        alice, bob = self.drive_traffic()
        # A third daemon holds an open invite (a paired one cannot make one), its storage
        # key wrapped under a passphrase: the keys are hashed all the same.
        carol = harness.Daemon("carol")
        self._daemons.append(carol)
        self.addCleanup(self._check_and_stop, carol)
        passphrase = "carol's passphrase " + secrets.token_hex(8)
        carol.init(passphrase=passphrase)
        carol.start(passphrase=passphrase)
        carol.invite()
        history = alice.history_all()
        before = shown(history)
        for d in (alice, bob, carol):
            d.stop()

        stores = {d.name: read_store(d.data_dir) for d in (alice, bob, carol)}
        self.assertNothingOnDisk(self.texts, alice.data_dir, "alice")
        self.assertNothingOnDisk(self.texts, bob.data_dir, "bob")
        for d in (alice, carol):
            self.assertNoNames(NAMED_KEYS, d, d.name)
        alice.start()
        after = wait_for(lambda: shown(alice.history_all()), ARRIVE, "alice's history back")
        self.assertEqual(after, before, "alice's history after a restart on that store")
        self.assertEqual(alice.rpc("draft")["text"], self.draft, "the draft kept")

        for name, records in stores.items():
            self.assertLayout(records, name)
        # Records whose keys the test knows: the singletons, every message number, the
        # first history entry and the days with texts.
        known = [k.encode() for k in ("identity/static_private", "partner", "c/counters",
                                       "boundaries", "draft", "nudges")]
        known += [number_key(b"n/", int(m["id"])) for m in history]
        known += [number_key(b"h/", 1)]
        known += sorted({day_key(int(m["sent_at_unix_ms"])) for m in history
                         if m["text"].startswith("day ")})
        self.assertHidden(known, stores["alice"], alice.data_dir, "alice")
        counts = class_counts(stores["alice"])
        for c, what in CLASSES.items():
            self.assertGreater(counts[c], 0, f"alice: no key of class {c} ({what}): {counts}")
        # The hash is keyed by each store's own key: the same logical records (the
        # partner, the identity, the counters, the first message numbers, the days)
        # land under unrelated keys in alice's and bob's stores.
        shared = {k for k, _ in stores["alice"]} & {k for k, _ in stores["bob"]}
        self.assertEqual(sorted(printable(k) for k in shared if not k.startswith(META)), [],
                         "alice's and bob's stores share keys: the hash is not keyed per store")

    def test_a_value_moved_under_another_key_fails_authentication(self):
        """Values of class 1 traded on disk: the records made when alice received her last
        message (its indexes, the search index's). Reading that message by its number is refused, naming the
        damage; everything else goes on."""
        alice, bob = self.pair_up()
        self.exchange(alice, bob, unique("before the damage, from alice"))
        self.exchange(bob, alice, unique("before the damage, from bob"))
        alice.stop()
        old = dict(read_store(alice.data_dir))
        alice.start(same_port=True)
        wait_linked(alice, bob, ARRIVE, "linked again")
        _, victim = self.exchange(bob, alice, unique("the message whose index is damaged"))
        alice.stop()
        new = dict(read_store(alice.data_dir))
        made = sorted(k for k in new if k not in old and not k.startswith(META))
        by_key = [k for k in made if len(k) == PHYSICAL_KEY_SIZE and k[0] == 1]
        self.assertGreaterEqual(len(by_key), 1,
                                "receiving a message made no record of class 1; its new keys: "
                                + ", ".join(printable(k) for k in made))
        # Its own two (by number, by the partner's sequence) are among them, with the
        # search index's records of its words: each takes the next one's value (or,
        # alone, an older record's), so none of them opens.
        others = by_key[1:] + [by_key[0]] if len(by_key) > 1 else \
            [next(k for k in sorted(old) if len(k) == PHYSICAL_KEY_SIZE and k[0] == 1)]
        db = plyvel.DB(os.path.join(alice.data_dir, "store"), create_if_missing=False)
        try:
            with db.write_batch(sync=True) as batch:
                for key, other in zip(by_key, others):
                    batch.put(key, new.get(other, old.get(other)))
        finally:
            db.close()

        alice.start(same_port=True)
        err = self.assertRefused(lambda: alice.rpc("react", {"id": victim, "emoji": "❤"}),
                                 "corruption", "a reaction on the message whose index moved",
                                 message_has="fails authentication")
        self.assertIn("damaged", err.message, f"the error should say what it means: {err}")
        # The daemon keeps serving: the status, the history, a new text both ways.
        self.assertTrue(alice.status()["paired"])
        self.assertTrue(alice.history_all())
        wait_linked(alice, bob, ARRIVE, "linked after the damage")
        self.exchange(alice, bob, unique("after the damage, from alice"))
        self.exchange(bob, alice, unique("after the damage, from bob"))
        self.assertTrue(alice.running(), "alice stopped after reporting the damage")

    def test_a_value_from_before_the_migration_does_not_open(self):
        """A schema-2 value put back under its record's hidden key (a rollback across the
        format change): reading that record is refused, naming the damage."""
        fixture = next((f for f in self.fixture_sets(older_only=True)
                        if load_manifest(f)["schema_version"] == 2), None)
        self.assertIsNotNone(fixture, "no fixture set of schema 2")
        d, committed = self.migrated_copy(fixture)
        text = "fixture: the first text, from alice"
        number = next(int(m["id"]) for m in load_manifest(fixture)["history"]
                      if m.get("text") == text)
        old_value = dict(committed).get(number_key(b"n/", number))
        self.assertIsNotNone(old_value, f"the fixture has no index record for message {number}")
        hashed = key_hasher(d.data_dir)(number_key(b"n/", number))
        db = plyvel.DB(os.path.join(d.data_dir, "store"), create_if_missing=False)
        try:
            stored = [k for k, _ in db.iterator() if k[1:] == hashed]
            self.assertEqual(len(stored), 1, f"message {number}'s index is not under its hidden "
                             "key (key_layout.cc's keyed hash, recomputed)")
            db.put(stored[0], old_value, sync=True)
        finally:
            db.close()

        d.start()
        self.assertRefused(lambda: d.rpc("react", {"id": number, "emoji": "❤"}), "corruption",
                           "a reaction on the message whose index was rolled back",
                           message_has="fails authentication")
        self.assertEqual(len(d.history_all()), len(load_manifest(fixture)["history"]),
                         "the history still shows once the damage is reported")
        self.assertTrue(d.status()["fingerprint"], "the daemon still answers")

    def migrated_copy(self, fixture):
        """A stopped daemon whose data directory is a copy of the fixture set's, opened
        (and so migrated) once by this build; and the set's store as committed."""
        name = os.path.basename(fixture)
        committed = read_store(os.path.join(fixture, "data-dir"))
        if load_manifest(fixture)["schema_version"] < HIDDEN_SCHEMA:
            self.assertTrue(layout_problems(committed),
                            f"{name}: the committed fixture has no old key to migrate")
        else:
            self.assertLayout(committed, f"{name} as committed")
        d = harness.Daemon("fixture-" + name)
        self._daemons.append(d)
        self.addCleanup(self._check_and_stop, d)
        private_copy(os.path.join(fixture, "data-dir"), d.data_dir)
        d.start()
        self.assertEqual(len(d.history_all()), len(load_manifest(fixture)["history"]),
                         f"{name}: history length after the migration")
        d.stop()
        return d, committed

    def fixture_sets(self, older_only=False):
        """The committed fixture sets (only those of schemas before 3: with older_only)."""
        sets = [f for f in fixture_sets()
                if not older_only or load_manifest(f)["schema_version"] < HIDDEN_SCHEMA]
        self.assertTrue(sets, "no fixture set under tests/data/fixtures")
        return sets

    def test_fixtures_migrated_by_this_build_have_the_new_layout(self):
        for fixture in self.fixture_sets():
            name = os.path.basename(fixture)
            with self.subTest(fixture=name):
                d, committed = self.migrated_copy(fixture)
                migrated = read_store(d.data_dir)
                self.assertLayout(migrated, f"{name} migrated")
                records = [k for k, _ in committed if not k.startswith(META)]
                if load_manifest(fixture)["schema_version"] < HIDDEN_SCHEMA:
                    # Every record of the fixture is still there, under its hidden key.
                    self.assertHidden(records, migrated, d.data_dir, f"{name} migrated")
                else:
                    kept = {k for k, _ in migrated}
                    self.assertEqual([printable(k) for k in records if k not in kept], [],
                                     f"{name}: records gone once opened")
                history = load_manifest(fixture)["history"]
                texts = [m["text"] for m in history if len(m.get("text", "")) >= 12]
                self.assertTrue(texts, f"{name}: no text in the manifest")
                self.assertNothingOnDisk(texts, d.data_dir, f"{name} migrated")
                d.start()  # and it opens again as it is
                self.assertEqual(len(d.history_all()), len(history),
                                 f"{name}: history length at the second start")

    def test_a_migrated_fixture_keeps_no_old_key_in_its_files(self):
        """The migration's deleted keys leave LevelDB's files too, or the disk goes on
        telling the days and counts of everything written before it. LevelDB keeps a
        deleted key in its log and tables until a compaction of the whole store, and in
        its manifest (each table's first and last key) until the next open."""
        for fixture in self.fixture_sets(older_only=True):
            name = os.path.basename(fixture)
            with self.subTest(fixture=name):
                d, committed = self.migrated_copy(fixture)
                old_names = [k for k, _ in committed if not k.startswith(META) and len(k) >= 8
                             and all(32 < c < 127 for c in k)]
                self.assertTrue(old_names, f"{name}: no named key in the committed fixture")
                self.assertNoNames(old_names, d, f"{name} migrated")


if __name__ == "__main__":
    harness.main()
