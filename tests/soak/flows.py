"""What the soak test sends, and each envelope flow's steps, written as generators.

An Item is one thing a side sent (a text, a scheduled text, an envelope, an answer)
with a unique body, and what is expected of it at the end: it arrives (or opens)
exactly once, or, when its retraction or cancellation succeeded, it is withdrawn.

A flow (sealed, gentle, together, scheduled, question, today) is a generator that
Flows.step() advances once per tick; it yields whenever it has to wait (for a time,
for its envelope to arrive, for a daemon that is down). Requests go through call(),
which tells a daemon that is down (nothing sent: retry later) from one that died
during the request (Uncertain: the flow looks in the daemon's store once it is back
to learn whether the request took effect).
"""

import time
from dataclasses import dataclass, field

from harness import RpcConnection, RpcError

RPC_TIMEOUT_S = 20.0     # a reply slower than this from a running daemon is a hang
RECENT = 400             # history entries read per tick to find new arrivals
FULL_SCAN_EVERY = 25     # ... and a full history read every this many waits
MARKER = "soak\u2709"    # in every body, note and question: what the disk grep looks for

FLOW_WEIGHTS = {"sealed": 3, "gentle": 2, "together": 2, "scheduled": 2, "question": 1}
SEALED_OPEN_IN_S = (1.0, 8.0)
SCHEDULED_IN_S = (1.0, 6.0)
RETRACT_CHANCE = 0.3
RETRACT_AFTER_S = (0.0, 8.0)
GENTLE_OPEN_AFTER_S = (0.5, 6.0)
ANSWER_AFTER_S = (0.0, 5.0)


class Down(Exception):
    """The daemon is not running: the request was never sent."""


class Uncertain(Exception):
    """The request was sent but no reply came: it may or may not have taken effect."""

    def __init__(self, method, error, hung):
        super().__init__(f"{method}: {error!r}")
        self.hung = hung  # the daemon was still running: it did not answer in time


def call(daemon, method, params=None, timeout=RPC_TIMEOUT_S):
    """One JSON-RPC request; raises Down, Uncertain or RpcError."""
    try:
        conn = RpcConnection(daemon.socket_path, timeout=timeout)
    except OSError as e:
        raise Down(f"{daemon.name}: {e!r}") from e
    with conn:
        try:
            return conn.call(method, params or {}, timeout=timeout)
        except (OSError, EOFError, ValueError) as e:
            hung = isinstance(e, TimeoutError) and daemon.running()
            raise Uncertain(method, e, hung) from e


def send_again():
    """resolve() for a request that changes nothing (a read): send it again."""
    return None
    yield  # a generator


def kind(m):
    return m.get("kind", "TEXT")


def envelope(m):
    return m.get("envelope") or {}


def question(m):
    return m.get("question") or {}


@dataclass
class Question:
    """A question both sides answer: asked by one side, or the question of the day."""
    text: str
    asker: str = ""          # "" for the question of the day
    date: str = ""           # the question of the day's date
    ids: dict = field(default_factory=dict)   # side -> history id there


@dataclass
class Item:
    kind: str                # text, scheduled, sealed, gentle, together, answer, file
    sender: str
    body: str
    note: str = ""
    accepted: object = None  # True: replied; False: refused; None: no reply
    sender_id: str = ""      # its history id on the sender, once known
    withdrawn: bool = False  # its retraction (or cancellation) succeeded
    question: Question = None
    # Files (files.py): the body is the caption; the file sent and what it held.
    path: str = ""
    size: int = 0
    sha256: str = ""
    while_down: bool = False  # sent while the partner's daemon was down

    @property
    def stored(self):
        """Known to be in the sender's store (False also when unknown)."""
        return bool(self.sender_id)


class Flows:
    """Starts and advances the envelope flows; records every Item and Question."""

    def __init__(self, soak, rng):
        self.soak = soak          # daemons, record_error(), settling
        self.rng = rng
        self.items = []           # appended by the text threads too (list.append is atomic)
        self.questions = []
        self.active = []
        self.counter = 0
        self._snapshots = {}
        self._today_started = False

    # ---- bodies ------------------------------------------------------------------

    def unique(self, what, side):
        self.counter += 1
        return f"{MARKER} {what} {side} #{self.counter} {self.rng.getrandbits(96):024x} \u00e9"

    def new_item(self, item_kind, sender, note=False):
        item = Item(item_kind, sender, self.unique(item_kind, sender),
                    note=self.unique("note", sender) if note else "")
        self.items.append(item)
        return item

    # ---- the tick ----------------------------------------------------------------

    def start_random(self):
        sender, receiver = self.rng.sample(self.soak.sides(), 2)
        name = self.rng.choices(list(FLOW_WEIGHTS), weights=FLOW_WEIGHTS.values())[0]
        self.active.append(getattr(self, f"{name}_flow")(sender, receiver))

    def start_today(self):
        if not self._today_started:
            self._today_started = True
            self.active.append(self.today_flow())

    def step(self):
        """Advances every active flow once."""
        self._snapshots = {}
        for flow in list(self.active):
            try:
                next(flow)
            except StopIteration:
                self.active.remove(flow)

    # ---- waiting -----------------------------------------------------------------

    def wait_until(self, at):
        while time.monotonic() < at:
            yield

    def wait_after(self, span):
        yield from self.wait_until(time.monotonic() + self.rng.uniform(*span))

    def wait_settling(self):
        while not self.soak.settling:
            yield

    def recent(self, side):
        """The newest RECENT history entries of side, read at most once a tick."""
        if side not in self._snapshots:
            try:
                self._snapshots[side] = call(self.soak.daemon(side), "history",
                                             {"limit": RECENT})["messages"]
            except (Down, Uncertain):
                self._snapshots[side] = None
        return self._snapshots[side]

    def find(self, side, predicate):
        """Waits until side's history holds an entry matching predicate; returns it."""
        waits = 0
        while True:
            waits += 1
            entries = self.recent(side)
            if waits % FULL_SCAN_EVERY == 0:
                try:
                    entries = self.history_all(side)
                except Down:
                    entries = None
            for m in entries or []:
                if predicate(m):
                    return m
            yield

    def history_all(self, side):
        """side's whole history; raises Down while the daemon does not answer."""
        try:
            return self.soak.daemon(side).history_all()
        except (OSError, EOFError, ValueError) as e:
            raise Down(f"{side}: {e!r}") from e

    def entry(self, side, history_id):
        """Waits until side's daemon answers; returns its entry numbered history_id (or
        None). Numbers are not in history order, so the pages are searched from the
        newest."""
        wanted = str(history_id)
        before = 0
        while True:
            try:
                params = {"limit": 1000}
                if before:
                    params["before_id"] = before
                page = call(self.soak.daemon(side), "history", params)
            except (Down, Uncertain):
                yield
                continue
            messages = page.get("messages", [])
            for m in messages:
                if m["id"] == wanted:
                    return m
            if not page.get("more") or not messages:
                return None
            before = int(messages[0]["id"])

    # ---- requests ------------------------------------------------------------------

    def request(self, side, method, params, resolve):
        """Sends a request until it has a definite outcome; returns (reply, error).

        After a request without a reply, resolve() (a generator) looks in the
        restarted daemon's store: it returns a reply-like dict when the request took
        effect, None when it did not (the request is sent again), or False when it
        no longer applies. An error reply is returned as (None, RpcError)."""
        while True:
            try:
                return call(self.soak.daemon(side), method, params), None
            except RpcError as e:
                return None, e
            except Down:
                yield
            except Uncertain as e:
                if e.hung:
                    self.soak.record_error(f"{side}: no reply to {method} within "
                                           f"{RPC_TIMEOUT_S:.0f}s while running")
                while True:  # wait for the daemon to come back, then look
                    try:
                        found = yield from resolve()
                        break
                    except (Down, Uncertain):
                        yield
                if found is False:
                    return None, None
                if found is not None:
                    return found, None

    def create(self, item, method, params, resolve):
        """Sends the request that creates item; sets accepted and sender_id."""
        reply, error = yield from self.request(item.sender, method, params, resolve)
        if error is not None:
            item.accepted = False
            self.soak.record_error(f"{item.sender}: {method} refused: {error}")
        elif reply is not None:
            item.accepted = item.accepted if reply.get("resolved") else True
            item.sender_id = reply["id"]
        return item.stored

    def send(self, item, params):
        def resolve():
            mine = yield from self.find_sent(item)
            return {"id": mine["id"], "resolved": True} if mine else False
        return (yield from self.create(item, "send", dict(params, text=item.body), resolve))

    def find_sent(self, item):
        """The sender's own entry for item after a restart (None: not stored)."""
        history = self.history_all(item.sender)
        yield from ()
        mine = [m for m in history if m["direction"] == "OUTGOING" and m["text"] == item.body]
        return mine[0] if mine else None

    def retract(self, item, scheduled_only=False):
        """Retracts (or cancels) item; sets item.withdrawn when that succeeded."""
        if not item.stored:
            return

        def resolve():
            m = (yield from self.entry(item.sender, item.sender_id)) or {}
            state = envelope(m).get("state") if m.get("envelope") else m.get("state")
            if state in ("WITHDRAWN", "CANCELLED"):
                return {"resolved": True}
            return None if state in ("WITHHELD", "SCHEDULED") else False
        params = {"id": item.sender_id, "scheduled_only": scheduled_only}
        reply, error = yield from self.request(item.sender, "retract", params, resolve)
        if error is not None and error.code_name != "failed_precondition":
            self.soak.record_error(f"{item.sender}: retract {item.sender_id}: {error}")
        item.withdrawn = reply is not None

    def maybe_retract(self, item, scheduled_only=False):
        if self.rng.random() < RETRACT_CHANCE:
            yield from self.wait_after(RETRACT_AFTER_S)
            yield from self.retract(item, scheduled_only)

    def request_open(self, item, receiver, receiver_id):
        """The receiver asks for the key of a gentle envelope."""
        def resolve():
            m = (yield from self.entry(receiver, receiver_id)) or {}
            done = envelope(m).get("open_requested") or envelope(m).get("state") != "WITHHELD"
            return {"resolved": True} if done else None
        _, error = yield from self.request(receiver, "open", {"id": receiver_id}, resolve)
        if error is not None and not item.withdrawn:
            m = (yield from self.entry(receiver, receiver_id)) or {}
            if envelope(m).get("state") != "WITHDRAWN":
                self.soak.record_error(f"{receiver}: open {receiver_id}: {error}")

    # ---- the flows -------------------------------------------------------------------

    def sealed_flow(self, sender, receiver):
        item = self.new_item("sealed", sender, note=True)
        open_at = int(time.time() * 1000 + self.rng.uniform(*SEALED_OPEN_IN_S) * 1000)
        if (yield from self.send(item, {"open_at_unix_ms": open_at, "note": item.note})):
            yield from self.maybe_retract(item)

    def scheduled_flow(self, sender, receiver):
        item = self.new_item("scheduled", sender)
        send_at = int(time.time() * 1000 + self.rng.uniform(*SCHEDULED_IN_S) * 1000)
        if (yield from self.send(item, {"send_at_unix_ms": send_at})):
            yield from self.maybe_retract(item, scheduled_only=True)

    def together_flow(self, sender, receiver):
        item = self.new_item("together", sender, note=True)
        if (yield from self.send(item, {"together": True, "note": item.note})):
            yield from self.maybe_retract(item)

    def gentle_flow(self, sender, receiver):
        """Opened by the receiver after a while; or retracted (and opened at the end if
        that came too late); or both at once, racing."""
        item = self.new_item("gentle", sender, note=True)
        if not (yield from self.send(item, {"gentle": True, "note": item.note})):
            return
        plan = self.rng.choice(["open", "retract", "race"])
        if plan == "retract":
            yield from self.wait_after(RETRACT_AFTER_S)
            yield from self.retract(item)
            if item.withdrawn:
                return
            yield from self.wait_settling()
        arrived = yield from self.find(receiver, lambda m: envelope(m).get("note") == item.note)
        if plan == "race":
            steps = [lambda: self.retract(item),
                     lambda: self.request_open(item, receiver, arrived["id"])]
            for step in self.rng.sample(steps, 2):
                yield from step()
            return
        yield from self.wait_after(GENTLE_OPEN_AFTER_S)
        yield from self.request_open(item, receiver, arrived["id"])

    def question_flow(self, asker, partner):
        """Both answer, in a random order, the second at a random moment; the first
        answer may be retracted (racing the second) and then given again."""
        q = Question(self.unique("question", asker), asker=asker)
        self.questions.append(q)

        def resolve():
            history = self.history_all(asker)
            yield from ()
            found = [m for m in history if kind(m) == "QUESTION" and m["text"] == q.text]
            return found[0] if found else False
        reply, error = yield from self.request(asker, "ask", {"text": q.text}, resolve)
        if reply is None:
            if error is not None:
                self.soak.record_error(f"{asker}: ask refused: {error}")
            return
        q.ids[asker] = reply["id"]
        arrived = yield from self.find(
            partner, lambda m: kind(m) == "QUESTION" and m["text"] == q.text)
        q.ids[partner] = arrived["id"]
        first, second = self.rng.sample([asker, partner], 2)
        answer = yield from self.answer(q, first)
        self.active.append(self.answer_later(q, second))
        if answer is not None and self.rng.random() < RETRACT_CHANCE:
            yield from self.wait_after(ANSWER_AFTER_S)
            yield from self.retract(answer)
            if answer.withdrawn:
                yield from self.answer(q, first)

    def answer_later(self, q, side):
        yield from self.wait_after(ANSWER_AFTER_S)
        yield from self.answer(q, side)

    def today_flow(self):
        """Both answer the question of the day (once a soak)."""
        days = []
        for side in self.soak.sides():
            days.append((yield from self.today(side)))
        if days[0]["date"] != days[1]["date"]:
            return  # midnight (UTC) between the two requests
        q = Question(days[0]["question"], date=days[0]["date"])
        self.questions.append(q)
        for side in self.rng.sample(self.soak.sides(), 2):
            yield from self.wait_after(ANSWER_AFTER_S)
            yield from self.answer(q, side)

    def today(self, side, date=None):
        reply, _ = yield from self.request(side, "today", {"date": date} if date else {},
                                           send_again)
        return reply

    def answer(self, q, side):
        """side answers q; returns the answer's Item (None if it was not stored)."""
        if not q.asker and (yield from self.today(side))["date"] != q.date:
            return None  # midnight (UTC) passed: today is another question
        item = self.new_item("answer", side)
        item.question = q
        params = {"text": item.body}
        if q.asker:
            params["question_id"] = q.ids[side]
        else:
            params["today"] = True

        def resolve():
            if not q.asker:
                q.ids[side] = (yield from self.today(side, q.date))["id"]
            m = (yield from self.entry(side, q.ids[side])) or {}
            mine = question(m).get("my_answer_id", "0")
            if mine == "0":
                return None  # not given: answer again
            given = (yield from self.entry(side, mine)) or {}
            return {"id": mine, "resolved": True} if given.get("text") == item.body else False
        if not (yield from self.create(item, "answer", params, resolve)):
            return None
        if not q.asker and side not in q.ids:
            q.ids[side] = (yield from self.today(side, q.date))["id"]
        return item
