"""The soak's traffic without words: nudges, reactions and forget requests.

Closeness.tick() (once per main-loop tick while the faults are on) starts flows,
written like flows.py's (generators advanced by Flows.step(), requests through
Flows.request()), and records what each request did:

  - nudges of a random kind from either side, and bursts of them while the
    partner's daemon is down, so that queued nudges coalesce into one entry whose
    count grows. A nudge without a reply is not resolved one by one (several
    coalesce into one entry): the checks bound the sender's final counts by the
    accepted nudges and those plus the ones without a reply;
  - reactions on random texts both sides hold, from either side, some replaced by
    the next, some removed (an empty emoji); a lost reply is resolved by reading
    my_reaction back;
  - forget requests on random delivered texts. One side honours forgets (its daemon
    deletes at once), the other does not (chosen by seed, see soak.py): there the
    request waits for the person, and the flow agrees, declines (keep) or leaves it.
"""

import time
from dataclasses import dataclass, field

from flows import MARKER, Down, Uncertain, call, kind

NUDGE_KINDS = ("THINKING_OF_YOU", "HUG", "KISS", "LAUGH", "MISSING_YOU", "GOODNIGHT")
NUDGE_BUDGET = 120         # each side accepts this many an hour (the most): refusals stay rare
NUDGE_CHANCE = 0.03        # per tick: one nudge from a random side
BURST_CHANCE = 0.7         # per outage of one daemon: the other sends a burst
BURST_SIZE = (2, 6)        # nudges in a burst, of one or two kinds
REACT_CHANCE = 0.04        # per tick: a reaction flow from a random side
REACTIONS = ("\u2764", "\U0001f602", "\U0001f44d", "\U0001f97a", "\u2728", "\U0001faf6")
REACT_STEPS = (1, 3)       # reactions in one flow: each replaces the one before
REMOVE_CHANCE = 0.25       # a step removes the standing reaction instead
REACT_AGAIN_AFTER_S = (0.0, 3.0)
FORGET_CHANCE = 0.025      # per tick: a forget request from a random side
FORGET_ANSWERS = ("leave", "agree", "keep")  # what a partner who does not honour does
ANSWER_AFTER_S = (0.0, 4.0)

DELIVERED = ("DELIVERED", "READ")
# Forget states where this side's copy is deleted (only the line stays, without text).
GONE = ("FORGOTTEN", "ASKED", "FORGOTTEN_BOTH", "PARTNER_KEPT")


@dataclass
class Nudge:
    sender: str
    kind: str
    outcome: str = ""      # accepted, refused, or uncertain (no reply)
    queued: bool = False   # the reply said the link was down
    count: int = 0         # the reply's count: above 1, coalesced with queued ones
    burst: bool = False


@dataclass
class Reaction:
    """Every reaction one side put on one entry of its history."""
    side: str
    id: str                # the entry's history id on that side
    body: str
    emojis: list = field(default_factory=list)   # accepted, in order ("" removes)

    @property
    def mine(self):
        """What that side's my_reaction must show: the last one accepted wins."""
        return self.emojis[-1] if self.emojis else ""


@dataclass
class Forget:
    asker: str
    partner: str
    body: str
    ids: dict              # side -> the text's history id there
    honoured: bool         # the partner's daemon deletes at once (honour-forget on)
    answer: str = ""       # not honoured: leave, agree or keep (by the partner)
    accepted: bool = False
    answered: bool = False  # the partner's agree or keep took effect


def forget_outcome(f):
    """side -> the forget state each side's copy must end in."""
    if f.honoured or (f.answered and f.answer == "agree"):
        mine, theirs = "FORGOTTEN_BOTH", "FORGOTTEN_BOTH"
    elif f.answered and f.answer == "keep":
        mine, theirs = "PARTNER_KEPT", "KEPT"
    else:
        mine, theirs = "ASKED", "PARTNER_ASKS"
    return {f.asker: mine, f.partner: theirs}


def shared_text(m):
    """A soak text this side holds that both sides hold: incoming, or delivered."""
    return (kind(m) == "TEXT" and MARKER in m.get("text", "")
            and m.get("forget", "FORGET_NONE") == "FORGET_NONE"
            and (m["direction"] == "INCOMING" or m["state"] in DELIVERED))


def unresolved():
    """resolve() for a nudge without a reply: left open (see the module comment)."""
    return False
    yield  # a generator


class Closeness:
    """Starts nudge, reaction and forget flows in Flows; keeps their records."""

    def __init__(self, soak, flows, rng):
        self.soak = soak            # daemons, partner(), honouring, record_error()
        self.flows = flows          # request(), entry(), find(), recent(), active
        self.rng = rng              # its own: the envelope flows' choices stay as they were
        self.nudges = []
        self.reactions = {}         # (side, id) -> Reaction
        self.forgets = []
        self._reacting = set()      # (side, id) with a reaction flow under way
        # Bodies chosen for a forget request, and those messenger.py keeps out of them
        # (replies, and every text of an edited message).
        self.forgetting = set()
        self._burst_for = {}        # side -> the partner's start count it burst for

    def tick(self):
        sides = self.soak.sides()
        if self.rng.random() < NUDGE_CHANCE:
            side = self.rng.choice(sides)
            self.flows.active.append(self.nudge(side, self.rng.choice(NUDGE_KINDS)))
        for side in sides:
            other = self.soak.daemon(self.soak.partner(side))
            outage = other.starts  # the partner's current run: one burst per outage at most
            if (not other.running() and self.soak.daemon(side).running()
                    and self._burst_for.get(side) != outage):
                self._burst_for[side] = outage
                if self.rng.random() < BURST_CHANCE:
                    self.flows.active.append(self.burst_flow(side, outage))
        if self.rng.random() < REACT_CHANCE:
            self.flows.active.append(self.react_flow(self.rng.choice(sides)))
        if self.rng.random() < FORGET_CHANCE:
            self.flows.active.append(self.forget_flow(self.rng.choice(sides)))

    def wait_after(self, span):
        yield from self.flows.wait_until(time.monotonic() + self.rng.uniform(*span))

    # ---- nudges ----------------------------------------------------------------

    def nudge(self, side, nudge_kind, burst=False):
        record = Nudge(side, nudge_kind, burst=burst)
        self.nudges.append(record)
        reply, error = yield from self.flows.request(side, "nudge", {"kind": nudge_kind},
                                                     unresolved)
        if error is not None:
            record.outcome = "refused"
            if error.code_name != "resource_exhausted":  # beyond the budget: not counted
                self.soak.record_error(f"{side}: nudge {nudge_kind} refused: {error}")
        elif reply is None:
            record.outcome = "uncertain"
        else:
            record.outcome = "accepted"
            record.queued = bool(reply.get("queued"))
            record.count = int(reply.get("count", 1))

    def burst_flow(self, side, outage):
        """Several nudges at once while the partner is down: they queue and coalesce.
        Waits until side's daemon has noticed the link is down (or the outage is
        over: then they leave live)."""
        partner = self.soak.daemon(self.soak.partner(side))
        while partner.starts == outage and not partner.running():
            try:
                if not call(self.soak.daemon(side), "status")["link_up"]:
                    break
            except (Down, Uncertain):
                pass  # side itself was killed: the burst waits in request()
            yield
        kinds = self.rng.sample(NUDGE_KINDS, self.rng.randint(1, 2))
        for _ in range(self.rng.randint(*BURST_SIZE)):
            yield from self.nudge(side, self.rng.choice(kinds), burst=True)

    # ---- reactions ---------------------------------------------------------------

    def react_flow(self, side):
        candidates = [m for m in self.flows.recent(side) or []
                      if shared_text(m) and (side, m["id"]) not in self._reacting]
        if not candidates:
            return
        m = self.rng.choice(candidates)
        key = (side, m["id"])
        record = self.reactions.setdefault(key, Reaction(side, m["id"], m["text"]))
        self._reacting.add(key)  # one flow at a time per entry: "the last one" is known
        try:
            for step in range(self.rng.randint(*REACT_STEPS)):
                if step:
                    yield from self.wait_after(REACT_AGAIN_AFTER_S)
                remove = record.mine and self.rng.random() < REMOVE_CHANCE
                emoji = "" if remove else self.rng.choice(REACTIONS)
                if not (yield from self.react(record, emoji)):
                    return
        finally:
            self._reacting.discard(key)

    def react(self, record, emoji):
        """One reaction request; False once the message is forgotten there."""
        def resolve():
            m = yield from self.flows.entry(record.side, record.id)
            if m is None or m.get("forget") in GONE:
                return False
            return {"resolved": True} if m.get("my_reaction", "") == emoji else None
        params = {"id": record.id, "emoji": emoji}
        reply, error = yield from self.flows.request(record.side, "react", params, resolve)
        if reply is not None:
            record.emojis.append(emoji)
            return True
        if error is not None:
            # The partner may have had it forgotten here meanwhile (honour-forget).
            m = (yield from self.flows.entry(record.side, record.id)) or {}
            if error.code_name != "failed_precondition" or m.get("forget") not in GONE:
                self.soak.record_error(f"{record.side}: react {record.id} {emoji!r}: {error}")
        return False

    # ---- forgetting ------------------------------------------------------------------

    def forget_flow(self, asker):
        """asker forgets a delivered text; a partner who does not honour forgets then
        agrees, declines, or leaves the request open."""
        candidates = [m for m in self.flows.recent(asker) or []
                      if shared_text(m) and m["text"] not in self.forgetting]
        if not candidates:
            return
        mine = self.rng.choice(candidates)
        body = mine["text"]
        self.forgetting.add(body)
        partner = self.soak.partner(asker)
        # The partner's copy, found by its text while it still has one.
        theirs = yield from self.flows.find(
            partner, lambda m: kind(m) == "TEXT" and m.get("text") == body)
        record = Forget(asker, partner, body, {asker: mine["id"], partner: theirs["id"]},
                        honoured=self.soak.honouring == partner)
        self.forgets.append(record)

        def resolve():
            m = (yield from self.flows.entry(asker, mine["id"])) or {}
            return {"resolved": True} if m.get("forget", "FORGET_NONE") != "FORGET_NONE" \
                else None
        reply, error = yield from self.flows.request(asker, "forget", {"id": mine["id"]},
                                                     resolve)
        if error is not None:
            self.soak.record_error(f"{asker}: forget {mine['id']}: {error}")
            return
        record.accepted = True
        if record.honoured:
            return
        record.answer = self.rng.choice(FORGET_ANSWERS)
        if record.answer != "leave":
            yield from self.answer_forget(record)

    def answer_forget(self, record):
        """The partner, asked to forget, agrees or keeps its copy."""
        side, history_id = record.partner, record.ids[record.partner]
        while True:  # until the request has reached it
            m = yield from self.flows.entry(side, history_id)
            if m is None:
                self.soak.record_error(f"{side}: message {history_id} gone while asked "
                                       "to forget it")
                return
            if m.get("forget") == "PARTNER_ASKS":
                break
            yield
        yield from self.wait_after(ANSWER_AFTER_S)
        keep = record.answer == "keep"
        want = "KEPT" if keep else "FORGOTTEN_BOTH"

        def resolve():
            state = ((yield from self.flows.entry(side, history_id)) or {}).get("forget")
            if state == want:
                return {"resolved": True}
            return None if state == "PARTNER_ASKS" else False
        params = {"id": history_id, "keep": keep}
        reply, error = yield from self.flows.request(side, "forget", params, resolve)
        if error is not None:
            self.soak.record_error(f"{side}: forget {history_id} (keep {keep}): {error}")
        record.answered = reply is not None
