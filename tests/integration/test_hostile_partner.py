"""Issue 23, item 2: a partner whose daemon is broken or hostile.

The partner is the one peer that gets past the handshake. Here alice and bob are a
real pair; bob's daemon is stopped and tests/tools/inmost_hostile_partner takes his
place with his own keys (his data directory): it dials alice, runs the real session
handshake, opens the streams as bob's daemon would, then breaks the rules. For each
misbehaviour the test states alice's reaction: what she refuses or ignores, what she
answers, the one line her log says about it; and after each that her daemon is
still up, `inmost` still works and her earlier history is intact.
"""

import base64
import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, pair, wait_for  # noqa: E402

HOSTILE = os.path.join(harness.BIN_DIR, "tests", "tools", "inmost_hostile_partner")
ARRIVE = 20.0 * harness.SLOWDOWN
# What alice's daemon may grow to while a flood of valid messages runs (RSS, in KiB): a
# fixed bound; a plain build measured about 15 MiB before, during and after the flood.
FLOOD_RSS_LIMIT_KIB = (1024 if harness.sanitizer_build() else 256) * 1024
# How long alice's control socket may take to answer `status` during the flood.
FLOOD_STATUS_DEADLINE = 2.0 * harness.SLOWDOWN
FLOOD_COUNT = 5000


def b64(raw):
    return base64.b64encode(raw).decode()


def new_id():
    return secrets.token_bytes(16)


def kind(m):
    return m.get("kind", "TEXT")


class HostilePartner:
    """One run of inmost_hostile_partner as bob, against alice."""

    def __init__(self, test, bob, alice):
        self.proc = subprocess.Popen(
            [HOSTILE, bob.data_dir, alice.listen_address], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        test.addCleanup(self.stop)
        self.lines = []
        self.lock = threading.Lock()
        self.arrived = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        up = self.wait(lambda line: "up" in line, ARRIVE, "the hostile partner's session is up")
        self.next_seq = int(up["up"]["next_seq"])

    def _read(self):
        for raw in self.proc.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                line = {"unparsed": raw}
            with self.lock:
                self.lines.append(line)

    def wait(self, predicate, timeout, what):
        def found():
            if self.proc.poll() is not None and not self._match(predicate):
                raise AssertionError(f"the hostile partner exited ({self.proc.returncode}) "
                                     f"before {what}: {self.proc.stderr.read()}")
            return self._match(predicate)
        return wait_for(found, timeout, what)

    def _match(self, predicate):
        with self.lock:
            for line in self.lines:
                if predicate(line):
                    return line
        return None

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def send(self, message):
        self.command("send " + json.dumps(message))

    def deliver(self, item, seq=None):
        """A Deliver item on the next seq (or `seq`); returns its seq."""
        item = dict(item)
        if seq is None:
            seq = self.next_seq
            self.next_seq += 1
        item["seq"] = str(seq)
        item.setdefault("sent_at_unix_ms", str(int(time.time() * 1000)))
        self.command("deliver " + json.dumps(item))
        return seq

    def received(self, key):
        with self.lock:
            return [line["recv"][key] for line in self.lines if key in line.get("recv", {})]

    def wait_ack(self, seq, what):
        return self.wait(lambda line: int(line.get("recv", {}).get("ack", {}).get(
            "up_to_seq", 0)) >= seq, ARRIVE, f"alice acknowledges {what} (seq {seq})")

    def wait_closed(self, what):
        return self.wait(lambda line: "closed" in line, ARRIVE, what)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()


class HostilePartnerTest(IntegrationTest):

    def setUp(self):
        super().setUp()
        if not os.access(HOSTILE, os.X_OK):
            self.fail(f"{HOSTILE} is missing; build the inmost_hostile_partner target")
        self.alice = self.make_daemon("alice")
        self.bob = self.make_daemon("bob")
        pair(self.alice, self.bob)
        # Some history each way that nothing below may disturb.
        self.earlier = []
        for sender, receiver in ((self.alice, self.bob), (self.bob, self.alice)):
            text = f"earlier from {sender.name} {secrets.token_hex(4)}"
            sender.send(text)
            receiver.wait_find(lambda m, t=text: m.get("text") == t, ARRIVE, f"{text!r} arrives")
            self.earlier.append(text)
        wait_for(lambda: int(self.alice.status()["unacknowledged"]) == 0, ARRIVE,
                 "alice's message acknowledged")
        self.bob.stop()
        wait_for(lambda: not self.alice.status()["link_up"], ARRIVE, "alice sees bob gone")
        self.history_before = self.history()
        self.log_start = len(self.alice.log_text())

    def history(self):
        return [(m["id"], kind(m), m["direction"], m.get("text")) for m in
                self.alice.history_all()]

    def new_log(self):
        return self.alice.log_text()[self.log_start:]

    def assertLogsOnce(self, line, what):
        wait_for(lambda: line in self.new_log(), ARRIVE, f"alice's log says {line!r}")
        self.assertEqual(self.new_log().count(line), 1, f"{what}: one line, {line!r}")

    def partner(self):
        return HostilePartner(self, self.bob, self.alice)

    def tearDown(self):
        # Whatever the partner did: alice is up, `inmost` works, her history is intact.
        alice = self.alice
        self.assertTrue(alice.running(), "alice's daemon is still running")
        self.assertExit(alice.cli("status"), 0, "inmost status")
        now = self.history()
        self.assertEqual(now[:len(self.history_before)], self.history_before,
                         "alice's earlier history is intact")
        super().tearDown()

    def incoming_texts(self):
        return [m.get("text") for m in self.alice.history_all()
                if m["direction"] == "INCOMING" and kind(m) == "TEXT"]

    # ---- the transport ----------------------------------------------------------

    def test_a_replayed_frame_closes_the_session_and_a_fresh_one_works(self):
        p = self.partner()
        seq = p.deliver({"text": "before the replay"})
        p.wait_ack(seq, "the text before the replay")
        p.command("replay -1")
        p.wait_closed("alice closes the session (a nonce used twice)")
        self.assertLogsOnce("link down: a transport message failed to decrypt", "the replay")
        self.assertEqual(self.incoming_texts().count("before the replay"), 1)
        p.stop()
        fresh = self.partner()
        seq = fresh.deliver({"text": "after the replay"})
        fresh.wait_ack(seq, "the text on a fresh session")
        self.assertEqual(self.incoming_texts()[-2:], ["before the replay", "after the replay"])

    def test_reordered_frames_close_the_session_and_store_neither(self):
        p = self.partner()
        first, second = p.next_seq, p.next_seq + 1
        for seq in (first, second):
            p.command("seal " + json.dumps(
                {"deliver": {"seq": str(seq), "text": f"reordered {seq}"}}))
        p.command("flush 1 0")
        p.wait_closed("alice closes the session (frames out of order)")
        self.assertLogsOnce("link down: a transport message failed to decrypt", "reordering")
        self.assertFalse([t for t in self.incoming_texts() if t.startswith("reordered")])
        p.stop()
        fresh = self.partner()
        self.assertEqual(fresh.next_seq, first, "alice holds nothing of the reordered items")
        seq = fresh.deliver({"text": "in order"})
        fresh.wait_ack(seq, "an item in order")

    # ---- the stream -------------------------------------------------------------

    def test_duplicate_ids_are_stored_once(self):
        p = self.partner()
        seq = p.deliver({"text": "said twice"})
        p.wait_ack(seq, "the first copy")
        acks = len(p.received("ack"))
        p.deliver({"text": "said twice"}, seq=seq)
        wait_for(lambda: len(p.received("ack")) > acks, ARRIVE, "the duplicate acknowledged")
        self.assertLogsOnce(f"partner message seq {seq} is stored here already", "a duplicate")
        # The same envelope id twice: the first offer stays, the second is not stored.
        envelope_id = new_id()
        for note in ("first note", "second note"):
            last = p.deliver({"offer": {"envelope_id": b64(envelope_id), "kind": "SEALED",
                                        "note": note, "ciphertext": b64(os.urandom(64)),
                                        "commitment": b64(os.urandom(32)),
                                        "open_at_unix_ms": str(2 ** 40)}})
        p.wait_ack(last, "both offers")
        notes = [m["envelope"].get("note") for m in self.alice.history_all()
                 if kind(m) == "ENVELOPE" and m["direction"] == "INCOMING"]
        self.assertEqual(notes, ["first note"])
        # The same file transfer id twice: the second is refused, the first goes on.
        transfer_id = new_id()
        for name in ("first.txt", "second.txt"):
            last = p.deliver({"file": {"transfer_id": b64(transfer_id), "size": "10",
                                       "chunk_size": 64512, "name": name,
                                       "key": b64(os.urandom(32))}})
        p.wait_ack(last, "both file offers")
        files = {m["file"]["name"]: m["file"] for m in self.alice.history_all()
                 if m.get("file") and m["direction"] == "INCOMING"}
        self.assertEqual(files["first.txt"]["state"], "RECEIVING", files)
        self.assertEqual(files["second.txt"]["state"], "FAILED", files)
        self.assertLogsOnce("refused a file: its transfer id is already in use here",
                            "a reused transfer id")
        self.assertEqual(self.incoming_texts().count("said twice"), 1)

    def test_an_ack_for_unknown_ids_is_ignored(self):
        p = self.partner()
        for _ in range(3):
            p.send({"ack": {"up_to_seq": "999999"}})
        # From here the partner acknowledges nothing unless told to.
        p.command("honest off")
        # Alice reads a session's frames in order: once she acknowledges a text sent after
        # the acks, she has handled all three, and none can land on her next message.
        p.wait_ack(p.deliver({"text": "after three bogus acks"}), "a text after the acks")
        self.assertLogsOnce("the partner acknowledged our messages up to seq 999999",
                            "acks past alice's stream")
        self.assertEqual(int(self.alice.status()["unacknowledged"]), 0)
        # Alice's stream goes on where it was: her next text is the next seq, and shows
        # delivered only once the partner acknowledges it.
        sent = self.alice.send("after the bogus acks")
        got = p.wait(lambda line: line.get("recv", {}).get("deliver", {}).get("text") ==
                     "after the bogus acks", ARRIVE, "alice's text reaches the partner")
        seq = int(got["recv"]["deliver"]["seq"])
        self.assertEqual(self.alice.entry(sent["id"])["state"], "PENDING")
        self.assertEqual(int(self.alice.status()["unacknowledged"]), 1)
        p.send({"ack": {"up_to_seq": str(seq)}})
        self.alice.wait_entry(sent["id"], lambda m: m["state"] == "DELIVERED", ARRIVE,
                              "the real ack delivers it")

    def test_once_alice_ends_the_pairing_she_keeps_nothing_more_of_the_partners(self):
        p = self.partner()
        p.command("honest off")  # Alice's end stays unacknowledged until the test says.
        # Commands run in order: once alice acks this text, "honest off" holds.
        stored = p.deliver({"text": "before the end"})
        p.wait_ack(stored, "a text before the end")
        reply = self.alice.rpc("unpair", {"confirm": True})
        self.assertFalse(reply.get("partner_told", False), reply)
        got = p.wait(lambda line: "pairing_ended" in line.get("recv", {}).get("deliver", {}),
                     ARRIVE, "alice's PairingEnded")
        ended = got["recv"]["deliver"]
        self.assertEqual(int(ended["pairing_ended"]["kept_up_to_seq"]), stored, ended)
        # A text crossing the end is neither stored nor acknowledged. (A re-send of what
        # alice holds, after it, is: her ack of that proves she handled the text.)
        crossing = "crossing the end " + secrets.token_hex(4)
        p.deliver({"text": crossing})
        acks = len(p.received("ack"))
        p.deliver({"text": "re-sent"}, seq=stored)
        wait_for(lambda: len(p.received("ack")) > acks, ARRIVE, "alice acknowledges the re-send")
        self.assertEqual(max(int(a["up_to_seq"]) for a in p.received("ack")[acks:]), stored)
        self.assertNotIn(crossing, [m.get("text") for m in self.alice.history_all()])
        # Told (the partner acknowledges her end), alice forgets the partner.
        p.send({"ack": {"up_to_seq": ended["seq"]}})
        wait_for(lambda: not self.alice.status()["paired"], ARRIVE,
                 "alice forgets the partner once told")
        self.assertTrue(self.alice.status()["pairing_ended"]["partner_told"])

    # ---- envelopes and questions --------------------------------------------------

    def test_a_key_for_a_missing_or_retracted_envelope_opens_nothing(self):
        p = self.partner()
        line = "ignoring a key for an envelope that is not waiting for one"
        seq = p.deliver({"key_release": {"envelope_id": b64(new_id()),
                                         "key": b64(os.urandom(32))}})
        p.wait_ack(seq, "a key for no envelope")
        self.assertLogsOnce(line, "a key for an envelope that does not exist")
        self.assertEqual(self.history(), self.history_before, "nothing new in the history")
        envelope_id = new_id()
        p.deliver({"offer": {"envelope_id": b64(envelope_id), "kind": "SEALED",
                             "note": "withdrawn later", "ciphertext": b64(os.urandom(64)),
                             "commitment": b64(os.urandom(32)),
                             "open_at_unix_ms": str(2 ** 40)}})
        p.deliver({"retract": {"envelope_id": b64(envelope_id)}})
        seq = p.deliver({"key_release": {"envelope_id": b64(envelope_id),
                                         "key": b64(os.urandom(32))}})
        p.wait_ack(seq, "a key for a retracted envelope")
        wait_for(lambda: self.new_log().count(line) == 2, ARRIVE, "the second key ignored")
        envelope = [m for m in self.alice.history_all() if kind(m) == "ENVELOPE"][-1]
        self.assertEqual(envelope["envelope"]["state"], "WITHDRAWN", envelope)
        self.assertFalse(envelope.get("text"), "nothing opened")

    def test_an_answer_to_a_question_never_asked_is_refused(self):
        p = self.partner()
        line = "refused the partner's answer to a question that was never asked"
        today = time.strftime("%Y-%m-%d", time.gmtime())
        for date in ("", today):
            seq = p.deliver({"offer": {"envelope_id": b64(new_id()), "kind": "ANSWER",
                                       "question_id": b64(new_id()), "question": "forged?",
                                       "question_date": date,
                                       "ciphertext": b64(os.urandom(64)),
                                       "commitment": b64(os.urandom(32))}})
        p.wait_ack(seq, "the forged answers")
        wait_for(lambda: self.new_log().count(line) == 2, ARRIVE, "both answers refused")
        self.assertEqual(self.history(), self.history_before, "no question, no answer stored")
        # An answer to a question alice did ask is taken.
        asked = self.alice.rpc("ask", {"text": "a real question"})
        question = p.wait(lambda line: "question" in line.get("recv", {}).get("deliver", {}),
                          ARRIVE, "alice's question reaches the partner")
        question_id = question["recv"]["deliver"]["question"]["question_id"]
        p.deliver({"offer": {"envelope_id": b64(new_id()), "kind": "ANSWER",
                             "question_id": question_id, "ciphertext": b64(os.urandom(64)),
                             "commitment": b64(os.urandom(32))}})
        self.alice.wait_entry(asked["id"], lambda m: m["question"].get("state") ==
                              "WAITING_FOR_YOU", ARRIVE, "the real answer is taken")

    # ---- nudges -------------------------------------------------------------------

    def test_a_same_moment_cannot_be_forged(self):
        p = self.partner()
        moments = lambda: [m for m in self.alice.history_all() if kind(m) == "MOMENT"]  # noqa
        for _ in range(3):
            seq = p.deliver({"nudge": {"kind": "HUG", "count": 1}})
        p.wait_ack(seq, "live nudges alice never answered")
        self.assertEqual(moments(), [], "no moment without a nudge of alice's")
        self.alice.rpc("nudge", {"kind": "HUG"})
        p.wait(lambda line: "nudge" in line.get("recv", {}).get("deliver", {}), ARRIVE,
               "alice's nudge reaches the partner")
        for _ in range(3):
            seq = p.deliver({"nudge": {"kind": "HUG", "count": 1}})
        p.wait_ack(seq, "three nudges back at once")
        self.assertEqual(len(moments()), 1, "one nudge of alice's makes one moment")
        self.assertLogsOnce("a same moment", "the moment")

    def test_nudges_far_past_the_budget_are_not_announced(self):
        self.alice.rpc("config", {"key": "nudge-budget", "value": "3"})
        p = self.partner()
        for _ in range(200):
            seq = p.deliver({"nudge": {"kind": "KISS", "count": 1000000, "queued": True}})
        p.wait_ack(seq, "200 nudges")
        nudges = [m for m in self.alice.history_all() if kind(m) == "NUDGE"]
        announced = [m for m in nudges if not m["nudge"].get("over_budget")]
        self.assertEqual(len(announced), 3, "only the budget is announced")
        self.assertEqual(len(nudges), 200, "each nudge is one entry, none more")
        self.assertTrue(all(int(m["nudge"].get("count", 1)) == 999 for m in nudges),
                        "a count of a million is clamped to 999")
        self.assertLogsOnce("nudges beyond your budget are kept without announcing them",
                            "the budget")

    # ---- files --------------------------------------------------------------------

    def file_entry(self, name):
        return [m for m in self.alice.history_all()
                if (m.get("file") or {}).get("name") == name][-1]

    def blobs(self):
        found = {}
        for root, _, names in os.walk(os.path.join(self.alice.data_dir, "files")):
            for name in names:
                found[name] = os.path.getsize(os.path.join(root, name))
        return found

    def offer_file(self, p, name, size):
        transfer_id = new_id()
        seq = p.deliver({"file": {"transfer_id": b64(transfer_id), "size": str(size),
                                  "chunk_size": 64512, "name": name,
                                  "key": b64(os.urandom(32))}})
        p.wait_ack(seq, f"the offer of {name}")
        want = p.wait(lambda line: line.get("recv", {}).get("file_want", {}).get(
            "transfer_id") == b64(transfer_id), ARRIVE, f"alice asks for {name}")
        self.assertTrue(want)
        return transfer_id

    def wait_failed(self, p, name, transfer_id, reason):
        done = p.wait(lambda line: line.get("recv", {}).get("deliver", {}).get(
            "file_done", {}).get("transfer_id") == b64(transfer_id), ARRIVE,
            f"alice gives {name} up")
        self.assertFalse(done["recv"]["deliver"]["file_done"].get("ok"), done)
        self.assertIn(reason, done["recv"]["deliver"]["file_done"]["reason"])
        entry = self.file_entry(name)
        self.assertEqual(entry["file"]["state"], "FAILED", entry)
        self.assertLogsOnce(f"{reason}", name)

    def test_file_chunks_past_the_size_or_a_lying_size_fail_cleanly(self):
        p = self.partner()
        # A chunk past the declared size (one chunk declared).
        past = self.offer_file(p, "past.txt", 100)
        p.send({"file_chunk": {"transfer_id": b64(past), "index": "1",
                               "data": b64(os.urandom(200))}})
        self.wait_failed(p, "past.txt", past, "chunk 1 is past the file's size")
        # A declared size that is a lie: 10 bytes declared, a full chunk sent.
        lying = self.offer_file(p, "lying.txt", 10)
        p.send({"file_chunk": {"transfer_id": b64(lying), "index": "0",
                               "data": b64(os.urandom(64512 + 40)), "file_hash":
                               b64(os.urandom(32))}})
        self.wait_failed(p, "lying.txt", lying, "chunk 0 has the wrong size")
        self.assertEqual(self.blobs(), {}, "nothing of either file stays on disk")
        # A size past what alice accepts is refused at once, nothing written.
        huge_id = new_id()
        seq = p.deliver({"file": {"transfer_id": b64(huge_id), "size": str(2 ** 62),
                                  "chunk_size": 64512, "name": "huge.bin",
                                  "key": b64(os.urandom(32))}})
        p.wait_ack(seq, "the huge offer")
        self.assertEqual(self.file_entry("huge.bin")["file"]["state"], "FAILED")
        self.assertLogsOnce("refused a file: it is ", "the huge file")
        self.assertEqual(self.blobs(), {})

    # ---- nonsense -----------------------------------------------------------------

    def test_messages_that_parse_but_make_no_sense_are_refused(self):
        p = self.partner()
        mine = [m for m in self.alice.history_all()
                if m["direction"] == "OUTGOING" and kind(m) == "TEXT"][0]
        p.deliver({"offer": {"envelope_id": b64(b"abc"), "kind": "SEALED"}})
        p.deliver({"edit": {"message": {"by_sender": False, "seq": "1"},
                            "text": "words put in alice's mouth"}})
        p.deliver({"reaction": {"message": {"by_sender": False, "seq": "999999"},
                                "emoji": "x"}})
        p.deliver({"question": {"question_id": b64(b"short"), "text": "?"}})
        p.deliver({"file": {"transfer_id": b64(b"x"), "size": "1"}})
        p.deliver({"text": "odd numbers", "number": str(2 ** 63),
                   "disappear_after_ms": "-5"})
        p.send({"file_want": {"transfer_id": b64(new_id()), "stored": "99", "resend": True}})
        p.send({"boundaries": {"nudge_budget_per_hour": 4294967295,
                               "max_file_bytes": str(2 ** 64 - 1), "name": "n" * 5000}})
        p.send({"presence": {"choice": 99, "last_seen_unix_ms": str(-(2 ** 63))}})
        p.send({"stream_hello": {"held_seq": str(2 ** 63), "last_number": str(2 ** 64 - 1)}})
        p.send({"deliver": {"seq": "0", "text": "seq zero"}})
        seq = p.deliver({"text": "sense again"})
        p.wait_ack(seq, "a sensible text after the nonsense")
        for line in ("which is not one of its numbers",
                     "past any real count; ignoring that",
                     "ignoring a malformed envelope from the partner",
                     "ignoring the partner's edit of a message they did not write",
                     "ignoring a malformed question from the partner",
                     "ignoring a malformed file offer from the partner"):
            self.assertLogsOnce(line, "nonsense")
        self.assertEqual(self.alice.entry(mine["id"]).get("text"), mine["text"],
                         "alice's own text is unchanged")
        # Alice's numbers stay hers and small: the partner's huge ones were not taken.
        ids = [int(m["id"]) for m in self.alice.history_all()]
        self.assertEqual(len(ids), len(set(ids)), "every message number is unique")
        self.assertLess(max(ids), 2 ** 53, ids)
        reply = self.alice.send("alice goes on")
        self.assertLess(int(reply["id"]), 2 ** 53)
        self.assertEqual(self.alice.entry(reply["id"])["text"], "alice goes on")
        texts = self.incoming_texts()
        self.assertNotIn("seq zero", texts)
        self.assertEqual(texts[-2:], ["odd numbers", "sense again"])
        # Bytes that are no PeerMessage at all end the session, with one line.
        p.command("plaintext ffffffffffffffff")
        p.wait_closed("alice closes on a plaintext that does not parse")
        self.assertLogsOnce("link down: protocol error: a transport message is not a peer "
                            "message", "garbage")

    # ---- a flood ------------------------------------------------------------------

    def test_a_flood_of_valid_messages_leaves_alice_responsive_and_bounded(self):
        pid = self.alice.proc.pid

        def rss_kib():
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
            return 0

        p = self.partner()
        first = p.next_seq
        p.command(f"flood {FLOOD_COUNT}")
        slowest, peak, asked = 0.0, rss_kib(), 0
        deadline = time.monotonic() + 6 * ARRIVE
        last = first + FLOOD_COUNT - 1
        # Until alice has taken the whole flood, not only until it is written.
        while not p._match(lambda line: int(line.get("recv", {}).get("ack", {}).get(
                "up_to_seq", 0)) >= last):
            self.assertIsNone(p.proc.poll(), "the hostile partner ended before its flood")
            self.assertLess(time.monotonic(), deadline, "the flood is taken within its time")
            started = time.monotonic()
            self.alice.rpc("status", timeout=FLOOD_STATUS_DEADLINE)
            slowest = max(slowest, time.monotonic() - started)
            asked += 1
            peak = max(peak, rss_kib())
        p.wait_ack(last, "the whole flood")
        peak = max(peak, rss_kib())
        self.assertLess(slowest, FLOOD_STATUS_DEADLINE, "status answered within its deadline")
        self.assertLess(peak, FLOOD_RSS_LIMIT_KIB, f"alice's RSS stays under the bound "
                        f"({peak} KiB)")
        flood = [t for t in self.incoming_texts() if t.startswith("flood ")]
        self.assertEqual(flood, [f"flood {seq}" for seq in range(first, last + 1)],
                         "every accepted message stored once, in order")
        sys.stderr.write(f"flood of {FLOOD_COUNT}: {asked} status calls meanwhile, slowest "
                         f"{slowest:.3f} s, "
                         f"peak RSS {peak} KiB\n")


if __name__ == "__main__":
    harness.main()
