"""The soak's invariants for replies, edits and view-once texts (messenger.py), on
both daemons' final histories, added to checks.py's Report. Message numbers are the
same on both sides, so each record is found by number (a reply by its text).

  mismatched-reply  a reply's copy does not name the message it answers (reply_to),
                    or does not quote that message's line as that side holds it now
                    (the start of its text; "a message you no longer have" once it is
                    forgotten there, where reply_to may also be 0)
  mismatched-edit   an edited message's copy does not show its last version's text,
                    or `edited`; or its versions are not the first text followed by
                    each accepted edit in order (an edit without a reply may be among
                    them or not, nothing else), or differ between the two sides
  view-once-shown   a view-once text in any history's text or quoted line
  lost, wrong-state a view-once message missing on either side, or not VIEWED on both
                    after a view (NOT_VIEWED on both when never viewed), or with a text
  inconsistent      a view-once entry nobody recorded sending
  corrupted-accepted  a view reply that showed another text than the one sent
"""

from checks import short

GONE_QUOTE = "a message you no longer have"
VIEW_ONCE_QUOTE = "a view-once message"
MAX_QUOTE_BYTES = 120
WITH_CONTENT = ("FORGET_NONE", "PARTNER_ASKS", "KEPT")   # forget states that keep the text
NONE = "VIEW_ONCE_NONE"


def check(report, histories, replies=(), edits=(), views=(), versions=None):
    """histories: side -> its whole history; versions: (side, number) -> that side's
    `versions` of an edited message as [(text, at_unix_ms)], or the error (a str)."""
    by_id = {side: {m["id"]: m for m in h} for side, h in histories.items()}
    partner = dict(zip(histories, reversed(list(histories))))
    check_replies(report, replies, histories, by_id)
    check_edits(report, edits, histories, by_id, versions or {})
    check_views(report, views, histories, by_id, partner)


def quote_line(text):
    """The daemon's quoted line of a text: its first line, cut at MAX_QUOTE_BYTES (at a
    character boundary, with an ellipsis)."""
    line = text.split("\n", 1)[0].encode()
    if len(line) <= MAX_QUOTE_BYTES:
        return line.decode()
    cut = MAX_QUOTE_BYTES
    while cut > 0 and (line[cut] & 0xC0) == 0x80:
        cut -= 1
    return line[:cut].decode() + "\u2026"


def expected_quote(answered):
    """What a reply quotes of `answered` (that side's entry, None if it has none)."""
    if answered is None or answered.get("forget", "FORGET_NONE") not in WITH_CONTENT:
        return GONE_QUOTE
    if answered.get("view_once", NONE) != NONE:
        return VIEW_ONCE_QUOTE
    return quote_line(answered.get("text", "")) or GONE_QUOTE


def check_replies(report, replies, histories, by_id):
    for r in replies:
        for side, history in histories.items():
            copies = [m for m in history if m["text"] == r.body]
            if not copies:
                continue  # lost, or never stored: checks.check_item's
            m = copies[0]
            what = f"{side}: reply {short(r.body)!r} (entry {m['id']})"
            want = expected_quote(by_id[side].get(r.answered))
            answers = m.get("reply_to", "0")
            if answers != r.answered and not (want == GONE_QUOTE and answers == "0"):
                report.violate("mismatched-reply", f"{what} answers {answers}, not "
                                                   f"{r.answered}")
            elif m.get("quoted", "") != want:
                report.violate("mismatched-reply", f"{what} quotes {m.get('quoted', '')!r}, "
                                                   f"expected {short(want)!r}")
            else:
                report.ok("quoted")


def valid_versions(texts, edit):
    """The first text, then a subsequence of the edits not refused that holds every
    accepted one, in order."""
    if not texts or texts[0] != edit.original:
        return False
    tried = [a for a in edit.attempts if a.outcome != "refused"]
    at = 0
    for text in texts[1:]:
        while at < len(tried) and tried[at].text != text:
            if tried[at].outcome == "accepted":
                return False  # an accepted edit skipped
            at += 1
        if at == len(tried):
            return False      # not an edit made, or out of order
        at += 1
    return all(a.outcome != "accepted" for a in tried[at:])


def check_edits(report, edits, histories, by_id, versions):
    for e in edits:
        if not e.attempts:
            continue
        what = f"message {e.id} edited by {e.side} (first {short(e.original)!r})"
        shown = {}
        for side, history in histories.items():
            m = by_id[side].get(e.id)
            if m is None:
                report.violate("lost", f"{what}: gone from {side}")
                continue
            texts = versions.get((side, e.id), "not read")
            if isinstance(texts, str):
                report.violate("mismatched-edit", f"{what}: versions on {side}: {texts}")
                continue
            shown[side] = texts
            texts = [t for t, _ in texts]
            twins = [x["id"] for x in history if x["text"] == m["text"] and x is not m]
            if not valid_versions(texts, e):
                report.violate("mismatched-edit", f"{what}: versions on {side} "
                                                  f"{[short(t) for t in texts]}")
            elif m["text"] != texts[-1] or bool(m.get("edited")) != (len(texts) > 1):
                report.violate("mismatched-edit", f"{what}: {side} shows {short(m['text'])!r}"
                                                  f", edited {m.get('edited')}, versions "
                                                  f"ending {short(texts[-1])!r}")
            elif twins:
                report.violate("duplicated", f"{what}: its text also on {side} as {twins}")
            else:
                report.ok("edited")
        if len(shown) == 2 and len(set(map(tuple, shown.values()))) != 1:
            report.violate("mismatched-edit", f"{what}: versions differ: " + "; ".join(
                f"{side} {[(short(t), at) for t, at in v]}" for side, v in shown.items()))


def check_views(report, views, histories, by_id, partner):
    for v in views:
        for side, history in histories.items():
            shown = [m["id"] for m in history
                     if v.marker in m.get("text", "") or v.marker in m.get("quoted", "")]
            if shown:
                report.violate("view-once-shown", f"view-once text from {v.sender} in "
                                                  f"{side}'s history (entries {shown})")
        if not v.id:
            continue
        what = f"view-once {v.id} from {v.sender}"
        if v.view == "replied" and v.seen != v.marker:
            report.violate("corrupted-accepted", f"{what}: viewed as {short(v.seen)!r}")
        want = "VIEWED" if v.viewed else "NOT_VIEWED"
        for side in (v.sender, partner[v.sender]):
            m = by_id[side].get(v.id)
            if m is None:
                report.violate("lost", f"{what}: not on {side}")
            elif m.get("view_once", NONE) != want or m["text"]:
                report.violate("wrong-state", f"{what}: {m.get('view_once')} on {side} "
                                              f"(text {short(m['text'])!r}), expected {want}")
            else:
                report.ok("view-once")
    for sender, history in histories.items():
        recorded = {v.id for v in views if v.sender == sender and v.id}
        unknown = sum(1 for v in views if v.sender == sender and not v.id and v.accepted is None)
        ids = {m["id"] for m in history if m["direction"] == "OUTGOING"
               and m.get("view_once", NONE) != NONE}
        ids |= {m["id"] for m in histories[partner[sender]] if m["direction"] == "INCOMING"
                and m.get("view_once", NONE) != NONE}
        extra = sorted(ids - recorded)
        if len(extra) > unknown:
            report.violate("inconsistent", f"view-once entries from {sender} nobody recorded "
                                           f"sending: {extra}")
