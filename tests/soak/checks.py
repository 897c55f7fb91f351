"""The soak test's invariants, checked on both daemons' final histories.

check() compares what each side sent (flows.Item, flows.Question) with what both
daemons hold at the end and returns a Report: counts by outcome and one line per
violation. Violation categories:

  lost                an accepted message, envelope or answer missing on either side
  duplicated          anything held twice on either side
  corrupted-accepted  a text, note or question that nobody sent, or a MISMATCH
  wrong-state         an envelope, question or scheduled text not in its expected
                      final state (opened / withdrawn / cancelled / revealed)
  out-of-order        plain texts received in another order than sent
  inconsistent        something arrived that its sender has no record of
  unfair-reveal       a side opened its partner's answer before giving the answer it
                      stands by (e.g. it withdrew its answer while the partner's key
                      was on its way): a mutual reveal must open both or neither
  mismatched-reaction a side's my_reaction is not the last reaction it made (or it
                      shows one it never made), or its partner's copy of the message
                      shows another one as their_reaction

Files (an Item of kind "file", found on both sides by its caption, the entry's text):
the sender's entry is SENT and the receiver's RECEIVED (a FILE of the same name and
size), or both are FAILED with an error (wrong-state otherwise); one still SENDING or
RECEIVING at the end is

  stuck               a file still moving (or never offered) when all else settled

(soak.py also saves every received file and compares its SHA-256.)

Nudges (closeness.Nudge), per sender and kind, summed over entries (coalesced ones
are one entry with a count): the sender holds at least the accepted ones and at
most those plus the ones without a reply (inconsistent beyond), the receiver holds
exactly what the sender holds (lost below, duplicated above), and every one was
delivered (wrong-state). A forgotten text (closeness.Forget) keeps its entry, under
the same id, on both sides, in the forget state its flow leads to, without text
where it is deleted (wrong-state otherwise); nothing else holds its text.
"""

import collections

from closeness import GONE, forget_outcome
from flows import envelope, kind, question

DELIVERED = ("DELIVERED", "READ")
NOTE_KINDS = ("sealed", "gentle", "together")
MAX_LISTED = 40   # violations listed in full; the rest are only counted


class Report:
    def __init__(self):
        self.counts = collections.Counter()
        self.violations = []

    def violate(self, category, text):
        self.counts[category] += 1
        self.violations.append(f"{category}: {text}")

    def ok(self, outcome, n=1):
        self.counts[outcome] += n


class Index:
    """One side's final history, indexed by text and note."""

    def __init__(self, history):
        self.history = history
        self.by_id = {m["id"]: m for m in history}
        self.outgoing = collections.defaultdict(list)
        self.incoming = collections.defaultdict(list)
        self.incoming_notes = collections.defaultdict(list)
        for m in history:
            if m["direction"] == "OUTGOING":
                self.outgoing[m["text"]].append(m)
            else:
                self.incoming[m["text"]].append(m)
                if envelope(m).get("note"):
                    self.incoming_notes[envelope(m)["note"]].append(m)


def expected_outcome(item):
    if item.kind in ("text", "file"):
        return "arrived"
    if item.kind == "scheduled":
        return "cancelled" if item.withdrawn else "arrived"
    return "withdrawn" if item.withdrawn else "opened"


def short(text):
    return text if len(text) <= 60 else text[:57] + "..."


def check(items, questions, histories, nudges=(), reactions=(), forgets=(), rewritten=None):
    """histories: side -> that side's whole history (oldest first); nudges,
    reactions and forgets: closeness.Nudge, .Reaction and .Forget records;
    rewritten: the body of each text its sender edited (messenger.py) -> every text
    it was given (messenger_checks.py checks those texts by number)."""
    report = Report()
    index = {side: Index(h) for side, h in histories.items()}
    partner = dict(zip(histories, reversed(list(histories))))
    forgotten = {f.body: f for f in forgets if f.accepted}
    rewritten = rewritten or {}
    for item in items:
        # A forgotten text is gone, an edited one shows another: found by id instead.
        if item.body not in forgotten and item.body not in rewritten:
            check_item(report, item, index[item.sender], index[partner[item.sender]])
    for f in forgotten.values():
        check_forgotten(report, f, index)
    for q in questions:
        check_question(report, q, items, index, partner)
    check_unsent(report, items, questions, index, partner, rewritten)
    for side in histories:
        check_order(report, side, index[side], index[partner[side]])
    check_nudges(report, nudges, index, partner)
    check_reactions(report, reactions, index, partner)
    return report


def check_item(report, item, sender, receiver):
    what = f"{item.kind} from {item.sender} {short(item.body)!r}"
    if item.kind == "file":
        check_file(report, what, item, sender, receiver)
        return
    copies = receiver_copies(item, receiver)
    mine = sender_copy(report, what, item, sender, copies)
    if mine is None:
        return
    outcome = expected_outcome(item)
    sender_ok = check_sender_state(report, what, outcome, item, mine)
    if outcome == "cancelled":
        if copies:
            report.violate("wrong-state", f"{what}: cancelled, but arrived")
        else:
            report.ok(outcome)
        return
    if item.kind == "answer" and outcome == "withdrawn":
        if sender_ok:  # its copy has no text or note: check_question looks at it
            report.ok(outcome)
        return
    if len(copies) > 1:
        report.violate("duplicated", f"{what}: {len(copies)} copies on the receiver")
    if not copies:
        if outcome != "withdrawn":  # a withdrawn one may never have been sent at all
            report.violate("lost", f"{what}: never arrived (sender id {mine['id']})")
        return
    check_receiver_state(report, what, outcome, item, copies[0])


def file_state(m):
    return (m.get("file") or {}).get("state", "STATE_UNSPECIFIED")


def file_error(m):
    return (m.get("file") or {}).get("error", "")


def sender_copy(report, what, item, sender, copies):
    """The sender's copy of `item`; None when it has none (reported as lost, or as
    inconsistent when the receiver has it). Several copies are reported too."""
    mine = sender.outgoing.get(item.body, [])
    if len(mine) > 1:
        report.violate("duplicated", f"{what}: {len(mine)} copies on the sender")
    if not mine:
        if item.accepted is True:
            report.violate("lost", f"{what}: accepted, then gone from the sender's store")
        elif copies:
            report.violate("inconsistent", f"{what}: arrived, but the sender has no record")
        return None
    return mine[0]


def check_file(report, what, item, sender, receiver):
    """SENT there and RECEIVED here, or FAILED on both with an error; never moving."""
    what = f"{what} ({item.size} B)"
    copies = receiver.incoming.get(item.body, [])
    if len(copies) > 1:
        report.violate("duplicated", f"{what}: {len(copies)} copies on the receiver")
    m = sender_copy(report, what, item, sender, copies)
    if m is None:
        return
    theirs = copies[0] if copies else None
    sent, got = file_state(m), file_state(theirs) if theirs else "nothing"
    where = f"{sent} on the sender (id {m['id']}), {got} on the receiver" + \
        (f" (id {theirs['id']})" if theirs else "")
    if kind(m) != "FILE" or (theirs is not None and kind(theirs) != "FILE"):
        report.violate("wrong-state", f"{what}: not a FILE entry: {where}")
    elif sent in ("SENDING", "STATE_UNSPECIFIED") or got == "RECEIVING":
        report.violate("stuck", f"{what}: {where}")
    elif sent == "SENT":
        if theirs is None:
            report.violate("lost", f"{what}: {where}")
        elif got != "RECEIVED":
            report.violate("wrong-state", f"{what}: {where}")
        elif (int(theirs["file"].get("size", 0)) != item.size
              or theirs["file"].get("name") != item.path.rsplit("/", 1)[-1]):
            report.violate("corrupted-accepted", f"{what}: received as "
                                                 f"{theirs['file'].get('name')!r}, "
                                                 f"{theirs['file'].get('size')} B")
        else:
            report.ok("file-received")
    elif sent == "FAILED":
        if got != "FAILED" or not file_error(m) or not file_error(theirs):
            report.violate("wrong-state", f"{what}: {where}; errors {file_error(m)!r}, "
                                          f"{file_error(theirs) if theirs else ''!r}")
        else:
            report.ok("file-failed")
    else:
        report.violate("wrong-state", f"{what}: {where}")


def receiver_copies(item, receiver):
    if item.kind in NOTE_KINDS:
        return receiver.incoming_notes.get(item.note, [])
    return receiver.incoming.get(item.body, [])


def check_sender_state(report, what, outcome, item, m):
    if item.kind in ("text", "scheduled"):
        want = ("CANCELLED",) if outcome == "cancelled" else DELIVERED
        got = m["state"]
    else:
        want = ("OPENED",) if outcome == "opened" else ("WITHDRAWN",)
        got = envelope(m).get("state")
    if got not in want:
        report.violate("wrong-state", f"{what}: {got} on the sender, expected {outcome}")
        return False
    return True


def check_receiver_state(report, what, outcome, item, m):
    if item.kind in ("text", "scheduled"):
        report.ok(outcome)
        return
    state = envelope(m).get("state")
    if state == "MISMATCH":
        report.violate("corrupted-accepted", f"{what}: MISMATCH on the receiver")
    elif outcome == "opened" and (state != "OPENED" or m["text"] != item.body):
        report.violate("wrong-state", f"{what}: {state} on the receiver, expected opened")
    elif outcome == "withdrawn" and (state != "WITHDRAWN" or m["text"]):
        report.violate("wrong-state", f"{what}: {state} on the receiver, expected withdrawn")
    else:
        report.ok(outcome)


def check_question(report, q, items, index, partner):
    """Held once on each side; revealed on both once both final answers are in."""
    answers = {side: [i for i in items if i.question is q and i.stored and i.sender == side]
               for side in index}
    final = {side: [i for i in a if not i.withdrawn] for side, a in answers.items()}
    for side, ix in index.items():
        held = [m for m in ix.history if kind(m) == "QUESTION" and m["text"] == q.text
                and (q.asker or question(m).get("date") == q.date)]
        if len(held) > 1:
            report.violate("duplicated", f"question {short(q.text)!r}: {len(held)} on {side}")
        if not held:
            if q.asker and q.ids.get(q.asker):
                report.violate("lost", f"question {short(q.text)!r}: not on {side}")
            continue
        m = held[0]
        theirs = partner[side]
        withdrawn_in = [a for a in ix.history if a["direction"] == "INCOMING"
                        and envelope(a).get("kind") == "ANSWER"
                        and str(envelope(a).get("question_id")) == m["id"]
                        and envelope(a).get("state") == "WITHDRAWN"]
        sent_withdrawn = sum(1 for i in answers[theirs] if i.withdrawn)
        if len(withdrawn_in) > sent_withdrawn or any(a["text"] for a in withdrawn_in):
            report.violate("wrong-state", f"question {short(q.text)!r}: {len(withdrawn_in)} "
                                          f"withdrawn answers on {side} ({sent_withdrawn} "
                                          "withdrawn by the partner), or one with its text")
        if not (final[side] and final[theirs]):
            continue
        state = question(m).get("state")
        if state != "REVEALED":
            report.violate("wrong-state", f"question {short(q.text)!r}: {state} on {side}")
        else:
            report.ok("revealed")
        check_fair(report, q, side, ix, m, final[side][-1])


def check_fair(report, q, side, ix, held, mine):
    """side's partner answer opened no earlier than side gave the answer it stands by
    (both times by side's clock)."""
    given = ix.outgoing.get(mine.body, [])
    theirs = [a for a in ix.history if a["direction"] == "INCOMING"
              and envelope(a).get("kind") == "ANSWER"
              and str(envelope(a).get("question_id")) == held["id"]
              and envelope(a).get("state") == "OPENED"]
    if not given or not theirs:
        return
    opened_at = int(envelope(theirs[0]).get("opened_at_unix_ms", 0))
    given_at = int(given[0]["sent_at_unix_ms"])
    if opened_at < given_at:
        report.violate("unfair-reveal", f"question {short(q.text)!r}: {side} opened its "
                                        f"partner's answer (id {theirs[0]['id']}) at {opened_at},"
                                        f" {given_at - opened_at} ms before giving its own "
                                        f"(id {given[0]['id']})")


def check_unsent(report, items, questions, index, partner, rewritten=None):
    """Nothing nobody sent: every text, note and question on either side was sent
    (or given to a text by its sender's edit)."""
    bodies = collections.defaultdict(set)
    notes = collections.defaultdict(set)
    for i in items:
        bodies[i.sender].add(i.body)
        bodies[i.sender].update((rewritten or {}).get(i.body, ()))
        notes[i.sender].add(i.note)
    asked = {q.text for q in questions}
    for side, ix in index.items():
        for m in ix.history:
            author = side if m["direction"] == "OUTGOING" else partner[side]
            text, note = m["text"], envelope(m).get("note", "")
            if kind(m) == "QUESTION":
                if text not in asked:
                    report.violate("corrupted-accepted", f"{side}: question {short(text)!r} "
                                                         "nobody asked")
            elif text and text not in bodies[author]:
                report.violate("corrupted-accepted", f"{side}: {short(text)!r} ({m['direction']},"
                                                     f" id {m['id']}) that {author} never sent")
            if note and note not in notes[author]:
                report.violate("corrupted-accepted", f"{side}: note {short(note)!r} that "
                                                     f"{author} never sent")


def check_order(report, sender, sent_index, received_index):
    """Plain (unscheduled) texts arrive in the order they were sent."""
    # Forgotten texts (no text left) are left out on both sides.
    sent = [m["text"] for m in sent_index.history
            if m["direction"] == "OUTGOING" and kind(m) == "TEXT" and m["text"]
            and str(m.get("send_at_unix_ms", "0")) == "0"]
    wanted = set(sent)
    # A text received twice counts once here: check_item reports the duplicate.
    received = list(dict.fromkeys(m["text"] for m in received_index.history
                                  if m["direction"] == "INCOMING" and m["text"] in wanted))
    arrived = set(received)
    if received != [t for t in sent if t in arrived]:
        report.violate("out-of-order", f"texts from {sender} arrived in another order")


def check_forgotten(report, f, index):
    """A text forgotten by f.asker: the same entry on each side, in the state its
    flow leads to, its text gone where it is deleted (and any reaction with it)."""
    what = f"text {short(f.body)!r} forgotten by {f.asker}"
    for side, want in forget_outcome(f).items():
        ix = index[side]
        m = ix.by_id.get(f.ids[side])
        if m is None:
            report.violate("lost", f"{what}: entry {f.ids[side]} gone from {side}")
            continue
        others = [e["id"] for e in ix.history if e["text"] == f.body and e is not m]
        if others:
            report.violate("duplicated", f"{what}: also held on {side} as {others}")
        got = m.get("forget", "FORGET_NONE")
        deleted = want in GONE
        if got != want:
            report.violate("wrong-state", f"{what}: {got} on {side} (entry {m['id']}), "
                                          f"expected {want}")
        elif m["text"] != ("" if deleted else f.body):
            report.violate("wrong-state", f"{what}: {want} on {side} (entry {m['id']}) "
                                          + ("with its text" if deleted else "without its text"))
        elif deleted and (m.get("my_reaction") or m.get("their_reaction")):
            report.violate("wrong-state", f"{what}: {want} on {side} (entry {m['id']}) "
                                          "still with a reaction")
        else:
            report.ok("forgotten" if deleted else "forget-kept")


def nudge_kind(m):
    return (m.get("nudge") or {}).get("kind", "THINKING_OF_YOU")


def nudge_count(m):
    return int((m.get("nudge") or {}).get("count", 0))


def check_nudges(report, nudges, index, partner):
    """Per sender and kind: accepted <= held by the sender <= accepted + without a
    reply; held by the receiver == held by the sender; all delivered."""
    for side, ix in index.items():
        held, received = collections.Counter(), collections.Counter()
        undelivered = []
        for m in ix.history:
            if kind(m) == "NUDGE" and m["direction"] == "OUTGOING":
                held[nudge_kind(m)] += nudge_count(m)
                if m["state"] not in DELIVERED:
                    undelivered.append(m["id"])
        for m in index[partner[side]].history:
            if kind(m) == "NUDGE" and m["direction"] == "INCOMING":
                received[nudge_kind(m)] += nudge_count(m)
        mine = [n for n in nudges if n.sender == side]
        accepted = collections.Counter(n.kind for n in mine if n.outcome == "accepted")
        unsure = collections.Counter(n.kind for n in mine if n.outcome == "uncertain")
        for k in sorted(set(held) | set(received) | set(accepted)):
            what = f"{k} nudges from {side}"
            if held[k] < accepted[k]:
                report.violate("lost", f"{what}: {accepted[k]} accepted, {held[k]} held there")
            elif held[k] > accepted[k] + unsure[k]:
                report.violate("inconsistent", f"{what}: {held[k]} held there, {accepted[k]} "
                                               f"accepted and {unsure[k]} without a reply")
            if received[k] < held[k]:
                report.violate("lost", f"{what}: {received[k]} of {held[k]} received")
            elif received[k] > held[k]:
                report.violate("duplicated", f"{what}: {received[k]} received, {held[k]} sent")
            else:
                report.ok("nudged", held[k])
        if undelivered:
            report.violate("wrong-state", f"{len(undelivered)} nudges from {side} not "
                                          f"delivered (ids {', '.join(undelivered[:10])})")


def check_reactions(report, reactions, index, partner):
    """Each side shows as its reaction the last one it made (none where it made
    none), and on every text both hold, each side's reaction is what the other
    shows as theirs. Deleted (forgotten) copies are check_forgotten's."""
    made = {(r.side, r.id): r for r in reactions}
    for side, ix in index.items():
        for m in ix.history:
            if m.get("forget") in GONE:
                continue
            r = made.get((side, m["id"]))
            want = r.mine if r else ""
            if m.get("my_reaction", "") != want:
                report.violate("mismatched-reaction",
                               f"{side}: entry {m['id']} {short(m['text'])!r} shows "
                               f"{m.get('my_reaction', '')!r} as its reaction, made {want!r}")
    for side, ix in index.items():
        other = partner[side]
        for body, mine in ix.outgoing.items():
            theirs = index[other].incoming.get(body, [])
            if not body or len(mine) != 1 or len(theirs) != 1 or kind(mine[0]) != "TEXT":
                continue  # not held once on each side: check_item reports that
            for a, b, a_side in ((mine[0], theirs[0], side), (theirs[0], mine[0], other)):
                if a.get("my_reaction", "") != b.get("their_reaction", ""):
                    report.violate("mismatched-reaction",
                                   f"{short(body)!r}: {a_side} reacted "
                                   f"{a.get('my_reaction', '')!r} (entry {a['id']}), its partner "
                                   f"sees {b.get('their_reaction', '')!r} (entry {b['id']})")
