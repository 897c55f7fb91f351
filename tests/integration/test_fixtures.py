"""Issue 17, item 6: what an earlier build wrote still opens. For every fixture set under
tests/data/fixtures (made by tests/tools/make_fixtures and never changed afterwards),
this build's daemon opens a copy of its data directory and `inmostd restore` makes one
from its backup; both show the history the set's manifest records, with the texts and
kinds checked here by name as well, and give back the received file byte for byte.
A later format change keeps these green by adding a migration (daemon/store/migrations.h).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import IntegrationTest  # noqa: E402

FIXTURES = os.path.join(harness.ROOT, "tests", "data", "fixtures")


def fixture_sets():
    if not os.path.isdir(FIXTURES):
        return []
    return sorted(os.path.join(FIXTURES, name) for name in os.listdir(FIXTURES)
                  if os.path.isfile(os.path.join(FIXTURES, name, "manifest.json")))


def load_manifest(fixture):
    with open(os.path.join(fixture, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def private_copy(src, dst):
    """A copy of a committed data directory with the modes inmostd insists on (git keeps
    only the executable bit)."""
    shutil.copytree(src, dst)
    for root, dirs, files in os.walk(dst):
        os.chmod(root, 0o700)
        for name in files:
            os.chmod(os.path.join(root, name), 0o600)


def subset_mismatches(expected, actual, where="message"):
    """Where `actual` differs from `expected`, ignoring keys only `actual` has (a later
    build may show more)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: {actual!r} instead of an object"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += subset_mismatches(value, actual[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: {actual!r} instead of {expected!r}"]
        problems = []
        for i, (e, a) in enumerate(zip(expected, actual)):
            problems += subset_mismatches(e, a, f"{where}[{i}]")
        return problems
    return [] if expected == actual else [f"{where}: {actual!r} instead of {expected!r}"]


# The fields that hold message numbers (control.proto's message_number option). A
# schema-1 store showed this daemon's own history ids there; schema 2 numbers every
# entry so that both partners see one number (its migration is checked here and in
# tests/unit/message_numbers_test.cc).
NUMBER_FIELDS = ("id", "question_id", "my_answer_id", "their_answer_id")


def renumbered(expected, numbers):
    """`expected` (the manifest's view) with every message number field turned from the
    schema-1 id into the number the entry at that place shows now."""
    if isinstance(expected, list):
        return [renumbered(e, numbers) for e in expected]
    if not isinstance(expected, dict):
        return expected
    out = {}
    for key, value in expected.items():
        if key in NUMBER_FIELDS and value not in ("0", 0):
            out[key] = numbers.get(str(value), f"<no entry had id {value}>")
        else:
            out[key] = renumbered(value, numbers)
    return out


def by_text(history, text):
    found = [m for m in history if m.get("text") == text]
    assert len(found) == 1, f"{len(found)} entries with text {text!r}"
    return found[0]


class FixturesTest(IntegrationTest):

    def setUp(self):
        super().setUp()
        self.sets = fixture_sets()
        self.assertTrue(self.sets, f"no fixture set under {FIXTURES}")

    def daemon_on(self, name):
        """A daemon (not yet started) whose data directory the test fills."""
        d = harness.Daemon(name)
        self._daemons.append(d)
        self.addCleanup(self._check_and_stop, d)
        return d

    def assert_known_history(self, d, manifest):
        history = d.history_all()
        self.assertEqual(len(history), len(manifest["history"]), f"{d.name}: history length")
        numbers = {e["id"]: a["id"] for e, a in zip(manifest["history"], history)}
        self.assertEqual(len(set(numbers.values())), len(numbers),
                         f"{d.name}: two entries share a number: {numbers}")
        problems = subset_mismatches(renumbered(manifest["history"], numbers), history, "history")
        self.assertEqual(problems, [], f"{d.name}: the history differs from the fixture's")
        self.assert_every_kind(history)

    def assert_every_kind(self, history):
        """The kinds and texts the fixture was made with, named here so that a manifest
        regenerated wrongly cannot make the test pass."""
        def envelope(text=None, note=None):
            matches = [m for m in history if m.get("kind") == "ENVELOPE" and
                       (text is None or m.get("text") == text) and
                       (note is None or m["envelope"].get("note") == note)]
            self.assertEqual(len(matches), 1, f"one envelope {text or note!r}")
            return matches[0]

        first = by_text(history, "fixture: the first text, from alice")
        self.assertEqual((first["kind"], first["direction"]), ("TEXT", "OUTGOING"))
        self.assertEqual(first["their_reaction"], "❤")
        reply = by_text(history, "fixture: a reply from bob")
        self.assertEqual((reply["kind"], reply["direction"]), ("TEXT", "INCOMING"))
        self.assertEqual(reply["my_reaction"], "🌊")
        self.assertTrue(reply["pinned"], "the shared memory")
        self.assertTrue(by_text(history, "fixture: an urgent one from bob")["urgent"])
        by_text(history, "fixture: ünïcödé ❤ 🌊 日本語, from alice")

        mine = envelope(text="fixture: sealed until 2100, from alice")
        self.assertEqual((mine["envelope"]["kind"], mine["envelope"]["state"]),
                         ("SEALED", "WITHHELD"))
        theirs = envelope(note="from bob, for later")
        self.assertEqual((theirs["direction"], theirs["text"], theirs["envelope"]["state"]),
                         ("INCOMING", "", "WITHHELD"))
        gentle = envelope(text="fixture: a gentle one from bob")
        self.assertEqual((gentle["envelope"]["kind"], gentle["envelope"]["state"]),
                         ("GENTLE", "OPENED"))
        withdrawn = envelope(note="never mind")
        self.assertEqual(withdrawn["envelope"]["state"], "WITHDRAWN")
        together = envelope(note="when we are both here")
        self.assertEqual((together["envelope"]["kind"], together["envelope"]["state"]),
                         ("TOGETHER", "WITHHELD"))

        question = by_text(history, "fixture: what made you laugh today?")
        self.assertEqual((question["kind"], question["question"]["state"]),
                         ("QUESTION", "REVEALED"))
        for answer in ("fixture: alice's answer", "fixture: bob's answer"):
            self.assertEqual(by_text(history, answer)["envelope"]["kind"], "ANSWER")

        kinds = [m.get("kind") for m in history]
        self.assertIn("NUDGE", kinds)
        self.assertIn("MOMENT", kinds)
        photo = by_text(history, "fixture: from the bridge tonight")
        self.assertEqual((photo["kind"], photo["direction"], photo["file"]["name"],
                          photo["file"]["state"]), ("FILE", "INCOMING", "sunset.jpg", "RECEIVED"))
        letter = by_text(history, "fixture: a letter from alice")
        self.assertEqual((letter["file"]["name"], letter["file"]["state"]), ("letter.txt", "SENT"))
        self.assertEqual(by_text(history, "fixture: scheduled for 2100")["state"], "SCHEDULED")
        self.assertEqual(by_text(history, "fixture: cancelled before it left")["state"],
                         "CANCELLED")
        self.assertIn("ASKED", [m.get("forget") for m in history], "the forgotten message")

    def assert_settings_and_file(self, d, manifest):
        settings = {s["key"]: s["value"] for s in d.rpc("config")["settings"]}
        for key in ("quiet-hours", "nudge-budget", "share-last-seen", "honour-forget",
                    "read-receipts"):
            self.assertEqual(settings.get(key), manifest["settings"][key], key)
        self.assertEqual(settings["quiet-hours"], "22:00-07:00")
        status = d.status()
        self.assertEqual(status["fingerprint"], manifest["fingerprint"])
        self.assertEqual(status["partner_fingerprint"], manifest["partner_fingerprint"])

        wanted = manifest["received_file"]
        photo = by_text(d.history_all(), "fixture: from the bridge tonight")
        out = os.path.join(d.tmp, "saved")
        os.mkdir(out, 0o700)
        saved = d.rpc("save", {"id": int(photo["id"]), "to": out})
        with open(saved["path"], "rb") as f:
            data = f.read()
        self.assertEqual(len(data), wanted["size"])
        self.assertEqual(hashlib.sha256(data).hexdigest(), wanted["sha256"])

    def assert_searchable(self, d):
        """The store from before the word index gets one, built in the background;
        then search folds case and accents and splits Japanese into words."""
        harness.wait_for(lambda: d.rpc("search", {"words": "fixture"}).get("indexed"), 60,
                         f"{d.name}: the word index of the fixture's history")
        for words in ("UNICODE", "unicode 日本語", "\"from alice\" unïcödé"):
            found = d.rpc("search", {"words": words})
            texts = [m.get("text") for m in found.get("messages", [])]
            self.assertIn("fixture: ünïcödé ❤ 🌊 日本語, from alice", texts, words)
            self.assertTrue(found["indexed"])

    def test_a_copy_of_each_fixture_data_dir_opens_with_its_history(self):
        for fixture in self.sets:
            with self.subTest(fixture=os.path.basename(fixture)):
                manifest = load_manifest(fixture)
                d = self.daemon_on("fixture-" + os.path.basename(fixture))
                private_copy(os.path.join(fixture, "data-dir"), d.data_dir)
                d.start()
                self.assert_known_history(d, manifest)
                self.assert_settings_and_file(d, manifest)
                self.assert_searchable(d)
                # Once opened (and migrated), it opens again as it is.
                d.restart()
                self.assert_known_history(d, manifest)
                self.assertTrue(d.rpc("search", {"words": "fixture"})["indexed"])

    def test_each_fixture_backup_restores_with_its_history(self):
        for fixture in self.sets:
            with self.subTest(fixture=os.path.basename(fixture)):
                manifest = load_manifest(fixture)
                harness.remember_secret(manifest["backup_passphrase"])
                d = self.daemon_on("restored-" + os.path.basename(fixture))
                r = subprocess.run(
                    [harness.INMOSTD, "restore", os.path.join(fixture, "backup.inmost-backup"),
                     "--data-dir", d.data_dir],
                    input=manifest["backup_passphrase"] + "\n", capture_output=True, text=True,
                    timeout=120)
                self.assertExit(r, 0, "inmostd restore of the fixture backup")
                d.start()
                self.assert_known_history(d, manifest)
                self.assert_settings_and_file(d, manifest)

    def test_a_wrong_passphrase_does_not_restore_a_fixture_backup(self):
        fixture = self.sets[0]
        d = self.daemon_on("wrong-passphrase")
        r = subprocess.run(
            [harness.INMOSTD, "restore", os.path.join(fixture, "backup.inmost-backup"),
             "--data-dir", d.data_dir],
            input="not the fixture passphrase\n", capture_output=True, text=True, timeout=120)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("passphrase", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(d.data_dir, "store")))


if __name__ == "__main__":
    harness.main()
