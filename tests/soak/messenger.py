"""The soak's everyday messenger kinds (issue 21): replies, edits, view-once texts and
files.

Messenger.tick() (once per main-loop tick while the faults are on) starts flows,
written like closeness.py's (generators advanced by Flows.step(), requests through
Flows.request()), and records what each request did:

  - replies: a side answers a random text both sides hold (`reply_to`) with a new
    text. The reply is a flows.Item of kind "text", so checks.py checks that it
    arrives once and in order; messenger_checks.py that both copies name the
    answered message's number and quote its line as that side holds it now;
  - edits: the author of a delivered plain text changes it once or twice; a lost
    reply is resolved by reading the message back (it shows the new text, or still
    the one before: then the edit is sent again). Both sides must end with the last
    text, `edited`, and the same `versions`: the first text, then each edit in order;
  - view-once texts: a side sends one; once it has arrived its partner views it (or
    leaves it unviewed); a lost view reply is resolved by reading the message back.
    Some are files (the marker at the start of each): viewed piece by piece, a lost
    reply asked again, the last piece ending the view; the bytes viewed must be the
    file's.
    Both sides must end VIEWED (or NOT_VIEWED, never viewed), no history may show a
    view-once text, and after the run no version of either store still in LevelDB's
    files (inmost_store_probe dump-versions) may hold one.

A text chosen for an edit is never one chosen for a forget request (closeness.py),
and replies and every text an edit gives are kept out of forget requests: an edit
and a forget of the same message would make each other's outcome a guess.
"""

import base64
import collections
import os
import time
from dataclasses import dataclass, field

import harness
from closeness import shared_text
from flows import MARKER, Item
import messenger_checks

REPLY_CHANCE = 0.03        # per tick: a reply from a random side
EDIT_CHANCE = 0.025        # per tick: an edit flow from a random side
VIEW_ONCE_CHANCE = 0.02    # per tick: a view-once text from a random side
EDITS = (1, 2)             # edits in one flow, each to a new text
EDIT_AGAIN_AFTER_S = (0.0, 3.0)
VIEW_CHANCE = 0.75         # a view-once text is viewed by its partner (else left)
VIEW_AFTER_S = (0.0, 5.0)  # after it arrived
VIEW_ONCE_FILE_SHARE = 0.4  # of view-once messages: a file rather than a text
VIEW_ONCE_FILE_BYTES = 300_000  # two pieces of a view


@dataclass
class Reply:
    side: str
    answered: str          # the answered message's number (the same on both sides)
    item: Item             # the reply itself (in Flows.items)

    @property
    def body(self):
        return self.item.body


@dataclass
class Attempt:
    text: str
    outcome: str = ""      # accepted, refused, or uncertain (its outcome unknown)
    resolved: bool = False  # accepted, learnt by reading the message back


@dataclass
class Edit:
    """The edits one side made to one message of its own."""
    side: str
    id: str                # the message's number
    original: str
    attempts: list = field(default_factory=list)

    def texts(self):
        return [self.original] + [a.text for a in self.attempts]


@dataclass
class ViewOnce:
    sender: str
    marker: str            # its text: no history, and no store after a view, holds it
    id: str = ""           # its number, once known
    accepted: object = None  # True: replied; False: refused; None: no reply
    view: str = ""         # "" never viewed; replied; lost (viewed, the reply lost)
    seen: str = ""         # the text the view reply showed (a file: its marker if whole)
    content: bytes = b""   # a view-once file's bytes (empty: a text)

    @property
    def viewed(self):
        return self.view in ("replied", "lost")


class Messenger:
    """Starts reply, edit and view-once flows in Flows; keeps their records."""

    def __init__(self, soak, flows, closeness, rng):
        self.soak = soak            # daemons, partner(), record_error()
        self.flows = flows          # request(), entry(), find(), recent(), items, active
        self.closeness = closeness  # its forgetting set: kept apart from edits
        self.rng = rng              # its own: the other flows' choices stay as they were
        self.replies = []
        self.edits = []
        self.views = []
        self.counter = 0
        self.in_store = None        # view-once texts found by dump-versions (None: not run)
        self._sending_once = set()  # sides with a view-once send under way

    def tick(self):
        sides = self.soak.sides()
        if self.rng.random() < REPLY_CHANCE:
            self.flows.active.append(self.reply_flow(self.rng.choice(sides)))
        if self.rng.random() < EDIT_CHANCE:
            self.flows.active.append(self.edit_flow(self.rng.choice(sides)))
        if self.rng.random() < VIEW_ONCE_CHANCE:
            side = self.rng.choice(sides)
            if side not in self._sending_once:  # one at a time: see view_once_flow
                self._sending_once.add(side)
                self.flows.active.append(self.view_once_flow(side))

    def unique(self, what, side):
        self.counter += 1
        return f"{MARKER} {what} {side} #{self.counter} {self.rng.getrandbits(96):024x} \u00e9"

    def wait_after(self, span):
        yield from self.flows.wait_until(time.monotonic() + self.rng.uniform(*span))

    # ---- replies -------------------------------------------------------------------

    def reply_flow(self, side):
        candidates = [m for m in self.flows.recent(side) or [] if shared_text(m)]
        if not candidates:
            return
        answered = self.rng.choice(candidates)
        item = Item("text", side, self.unique("reply", side))
        self.closeness.forgetting.add(item.body)
        self.flows.items.append(item)
        self.replies.append(Reply(side, answered["id"], item))
        yield from self.flows.send(item, {"reply_to": answered["id"]})

    # ---- edits -----------------------------------------------------------------------

    def edit_flow(self, side):
        """side edits one of its plain texts (not a reply, not chosen for a forget)."""
        plain = {i.body for i in self.flows.items if i.kind == "text" and i.sender == side}
        candidates = [m for m in self.flows.recent(side) or []
                      if m["direction"] == "OUTGOING" and shared_text(m)
                      and m["text"] in plain and m["text"] not in self.closeness.forgetting]
        if not candidates:
            return
        m = self.rng.choice(candidates)
        self.closeness.forgetting.add(m["text"])
        record = Edit(side, m["id"], m["text"])
        self.edits.append(record)
        for step in range(self.rng.randint(*EDITS)):
            if step:
                yield from self.wait_after(EDIT_AGAIN_AFTER_S)
            if not (yield from self.edit(record)):
                return

    def edit(self, record):
        """One edit to a new text; False unless it was accepted."""
        attempt = Attempt(self.unique("edit", record.side))
        known = record.texts()
        self.closeness.forgetting.add(attempt.text)
        record.attempts.append(attempt)

        def resolve():
            m = (yield from self.flows.entry(record.side, record.id)) or {}
            if m.get("text") == attempt.text:
                return {"resolved": True}
            return None if m.get("text") in known else False
        params = {"id": record.id, "text": attempt.text}
        reply, error = yield from self.flows.request(record.side, "edit", params, resolve)
        if error is not None:
            attempt.outcome = "refused"
            self.soak.record_error(f"{record.side}: edit {record.id}: {error}")
        elif reply is None:
            attempt.outcome = "uncertain"
        else:
            attempt.outcome = "accepted"
            attempt.resolved = bool(reply.get("resolved"))
            shown = reply.get("message") or {}
            if not attempt.resolved and (shown.get("text") != attempt.text
                                         or not shown.get("edited")):
                self.soak.record_error(f"{record.side}: edit {record.id} replied "
                                       f"{shown.get('text')!r}, edited {shown.get('edited')}")
        return attempt.outcome == "accepted"

    # ---- view once --------------------------------------------------------------------

    def view_once_flow(self, sender):
        """sender sends a view-once text; its partner views it once it arrived (or not).
        Only one is sent at a time from a side: after a lost reply, the sender's new
        view-once entry (no text to find it by) is the one not yet recorded."""
        record = ViewOnce(sender, self.unique("once", sender))
        self.views.append(record)
        params = {"text": record.marker, "view_once": True}
        if self.rng.random() < VIEW_ONCE_FILE_SHARE:
            record.content = record.marker.encode() + self.rng.randbytes(VIEW_ONCE_FILE_BYTES)
            path = os.path.join(self.soak.files.dir, f"soak-once-{self.counter:04d}.jpg")
            with open(path, "wb") as f:
                f.write(record.content)
            params = {"file_path": path, "view_once": True}

        def resolve():
            history = self.flows.history_all(sender)
            yield from ()
            known = {v.id for v in self.views if v.sender == sender and v.id}
            new = [m["id"] for m in history if m["direction"] == "OUTGOING"
                   and m.get("view_once", "VIEW_ONCE_NONE") != "VIEW_ONCE_NONE"
                   and m["id"] not in known]
            if len(new) > 1:
                self.soak.record_error(f"{sender}: view-once entries {new} nobody recorded")
            return {"id": new[-1], "resolved": True} if new else False
        try:
            reply, error = yield from self.flows.request(sender, "send", params, resolve)
        finally:
            self._sending_once.discard(sender)
        if error is not None:
            record.accepted = False
            self.soak.record_error(f"{sender}: view-once send refused: {error}")
            return
        if reply is None:
            return  # never stored
        record.accepted = None if reply.get("resolved") else True
        record.id = reply["id"]
        if self.rng.random() >= VIEW_CHANCE:
            return
        receiver = self.soak.partner(sender)
        yield from self.flows.find(receiver, lambda m: m["id"] == record.id
                                   and m["direction"] == "INCOMING" and (
                                       not record.content
                                       or (m.get("file") or {}).get("state") == "RECEIVED"))
        yield from self.wait_after(VIEW_AFTER_S)
        yield from self.view(record, receiver)

    def view(self, record, receiver):
        def resolve():
            state = ((yield from self.flows.entry(receiver, record.id)) or {}).get("view_once")
            if state == "VIEWED":
                return {"resolved": True}
            return None if state == "NOT_VIEWED" else False
        seen = b""
        while True:  # A text in one reply; a file piece by piece, until its end.
            params = {"id": record.id, "offset": str(len(seen))} if record.content else \
                {"id": record.id}
            reply, error = yield from self.flows.request(receiver, "view", params, resolve)
            if not record.content or reply is None or reply.get("resolved"):
                break
            piece = reply.get("file") or {}
            seen += base64.b64decode(piece.get("data", ""))
            if piece.get("end"):
                reply = {"text": record.marker if seen == record.content else
                         f"{len(seen)} bytes unlike the file's {len(record.content)}"}
                break
        if error is not None:
            self.soak.record_error(f"{receiver}: view {record.id}: {error}")
        elif reply is None:
            self.soak.record_error(f"{receiver}: view {record.id}: neither viewed nor "
                                   "viewable after a lost reply")
        elif reply.get("resolved"):
            record.view = "lost"
        else:
            record.view = "replied"
            record.seen = reply.get("text", "")

    # ---- at the end -------------------------------------------------------------------------

    def rewritten(self):
        """checks.check()'s rewritten: each edited body -> every text given to it."""
        return {e.original: set(e.texts()) for e in self.edits if e.attempts}

    def secrets(self):
        """Texts no raw file or log may hold: every edit and view-once text."""
        return ({a.text for e in self.edits for a in e.attempts}
                | {v.marker for v in self.views})

    def check(self, report, histories):
        """Adds the replies', edits' and view-once texts' violations to report (both
        daemons up: it reads the versions of every edited message on both sides)."""
        versions = {}
        for e in self.edits:
            if not e.attempts:
                continue
            for side in histories:
                try:
                    got = self.soak.daemon(side).rpc("versions", {"id": e.id})["versions"]
                    versions[(side, e.id)] = [(v["text"], v["at_unix_ms"]) for v in got]
                except harness.RpcError as error:
                    versions[(side, e.id)] = str(error)
        messenger_checks.check(report, histories, self.replies, self.edits, self.views,
                               versions)

    def disk_check(self):
        """With both daemons stopped: every version of each store still in LevelDB's
        files, decrypted, holds no view-once text; the receiver holds the key of each
        unviewed one and of no viewed one. Errors go to the soak's; returns how many
        view-once texts were found."""
        sides = self.soak.sides()
        dumps = {s: harness.store_probe("dump-versions", self.soak.daemon(s).data_dir).stdout
                 for s in sides}
        found = 0
        for v in self.views:
            held = [s for s in sides if v.marker.encode() in dumps[s]]
            if held:
                found += 1
                self.soak.record_error(
                    f"view-once text from {v.sender} ({'viewed' if v.viewed else 'not viewed'}"
                    f", number {v.id or '?'}) in a version of {' and '.join(held)}'s store")
            if not v.id:
                continue
            receiver = self.soak.partner(v.sender)
            probe = harness.store_probe("view-once-key", self.soak.daemon(receiver).data_dir,
                                        v.id, check=False)
            key = probe.stdout.decode().strip()
            if probe.returncode != 0:
                self.soak.record_error(f"view-once {v.id} from {v.sender} on {receiver}: "
                                       f"{probe.stderr.decode(errors='replace').strip()}")
            elif (key == "absent") != v.viewed:
                state = "viewed" if v.viewed else "not viewed"
                self.soak.record_error(f"view-once {v.id} from {v.sender}: {state}, its key "
                                       f"on {receiver} is {key[:8]}")
        self.in_store = found
        return found

    def lines(self, c):
        """The summary's lines on replies, edits and view-once texts."""
        attempts = [a for e in self.edits for a in e.attempts]
        outcomes = collections.Counter(a.outcome for a in attempts)
        views = collections.Counter(v.view for v in self.views if v.id)
        return [
            f"  replies: {sum(1 for r in self.replies if r.item.stored)} sent "
            f"({sum(1 for r in self.replies if r.item.accepted is None)} without a reply), "
            f"{c['quoted']} copies quoting as expected; edits: {outcomes['accepted']} "
            f"accepted ({sum(a.resolved for a in attempts)} resolved after a lost reply), "
            f"{outcomes['uncertain']} uncertain, {outcomes['refused']} refused, on "
            f"{sum(1 for e in self.edits if e.attempts)} messages; {c['edited']} copies "
            "with all their versions",
            f"  view-once: {sum(1 for v in self.views if v.id)} sent "
            f"({sum(1 for v in self.views if v.id and v.content)} files), viewed "
            f"{views['replied'] + views['lost']} ({views['lost']} with the reply lost), "
            f"{views['']} left; {c['view-once']} copies as expected; mismatched-reply = "
            f"{c['mismatched-reply']}  mismatched-edit = {c['mismatched-edit']}  "
            f"view-once-shown = {c['view-once-shown']}  view-once-in-store = "
            f"{'n/a' if self.in_store is None else self.in_store}",
        ]
