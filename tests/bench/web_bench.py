#!/usr/bin/python3
"""scripts/bench web: the web client in headless Chromium over two real paired daemons,
each with its own `inmost web` (tests/integration/web_pages.py), against ceilings
measured in the same run. It asserts nothing about speed.

Prints one table: the time from a send in one browser to the text showing in the
other (p50, p99), beside the same text sent and received over the control sockets
(no browser, no `inmost web`); and how long the page takes to load and show the newest
message with 10,000 messages of history, beside the `history` request the page makes
(its 50 newest messages) over the control socket. Needs python3-selenium, chromium and
chromium-driver (scripts/setup installs them); run with Debian's /usr/bin/python3.
"""

import os
import shutil
import statistics
import sys
import tempfile
import time

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
import web_pages  # noqa: E402

TEXTS = 40          # texts timed per path, one at a time
WARM_UP = 3         # sent first and not timed
HISTORY = 10_000    # messages of history for the page load
BATCH = 200         # sends per JSON-RPC batch while building that history
LOADS = 5           # page loads timed
PAGE_HISTORY = 50   # what the page asks for first (web/page/conversation.js)
ARRIVE = 30.0

# In the receiving page: the time each text first shows in the conversation.
WATCH_SCRIPT = """
window.__shown = {};
const record = () => {
  for (const t of document.querySelectorAll('[data-testid=message-text]')) {
    if (!(t.textContent in window.__shown)) window.__shown[t.textContent] = Date.now();
  }
};
record();
new MutationObserver(record).observe(document.querySelector('[data-testid=conversation]'),
                                     {childList: true, subtree: true, characterData: true});
"""
# In the sending page: types the text, notes the time, and sends.
SEND_SCRIPT = """
const box = document.querySelector('[data-testid=composer-text]');
box.value = arguments[0];
box.dispatchEvent(new Event('input', {bubbles: true}));
const at = Date.now();
document.querySelector('[data-testid=send-button]').click();
return at;
"""
COMPOSER_IDLE = """
return document.querySelector('[data-testid=composer-text]').value === '' &&
       !document.querySelector('[data-testid=send-button]').disabled;
"""
NEWEST_SHOWN = """
const texts = document.querySelectorAll('[data-testid=message-text]');
return texts.length > 0 && texts[texts.length - 1].textContent === arguments[0];
"""


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def row(measure, value, unit, note=""):
    print(f"{measure:<62} {value:>10.1f}  {unit:<5} {note}")


def socket_latencies(sender, receiver):
    """Send-to-receive times (ms) over the control sockets: the ceiling."""
    events = harness.EventReader(receiver.socket_path)
    try:
        times = []
        with harness.RpcConnection(sender.socket_path) as conn:
            for i in range(WARM_UP + TEXTS):
                text = f"socket {i} {os.urandom(4).hex()}"
                began = time.perf_counter()
                conn.call("send", {"text": text})
                events.wait_event("message_received", timeout=ARRIVE,
                                  predicate=lambda m, t=text: m["message"].get("text") == t)
                if i >= WARM_UP:
                    times.append((time.perf_counter() - began) * 1000)
        return times
    finally:
        events.close()


def browser_latencies(sending, receiving):
    """Send-to-shown times (ms) from one page to the other."""
    receiving.js(WATCH_SCRIPT)
    times = []
    for i in range(WARM_UP + TEXTS):
        text = f"page {i} {os.urandom(4).hex()}"
        sent_at = sending.js(SEND_SCRIPT, text)
        shown_at = receiving.wait(
            lambda d, t=text: d.execute_script("return window.__shown[arguments[0]]", t),
            f"{text!r} to show", timeout=ARRIVE)
        if i >= WARM_UP:
            times.append(shown_at - sent_at)
        # The sending page is done with this send (its composer clear) before the next.
        sending.wait(lambda d: d.execute_script(COMPOSER_IDLE), "the composer to be free")
    return times


def build_history(sender, receiver):
    """HISTORY texts from sender to receiver, sent in JSON-RPC batches; returns the last."""
    last = ""
    with harness.RpcConnection(sender.socket_path, timeout=120) as conn:
        for start in range(0, HISTORY, BATCH):
            batch = []
            for i in range(start, min(HISTORY, start + BATCH)):
                last = f"history {i}: a line of an ordinary day, kept between two people"
                batch.append({"jsonrpc": "2.0", "id": i + 1, "method": "send",
                              "params": {"text": last}})
            conn.send_line(batch)
            replies = conn.read_line(timeout=120)
            errors = [r for r in replies if "error" in r]
            if errors:
                raise RuntimeError(f"building the history: {errors[0]}")
    harness.wait_for(
        lambda: receiver.rpc("history", {"limit": 1})["messages"][-1].get("text") == last,
        300, "the whole history to arrive")
    return last


def page_loads(browser, server, newest):
    times = []
    for _ in range(LOADS):
        began = time.perf_counter()
        browser.driver.get(server.origin + "/")
        browser.wait(lambda d: d.execute_script(NEWEST_SHOWN, newest), "the newest message",
                     timeout=60)
        times.append((time.perf_counter() - began) * 1000)
    return times


def history_requests(daemon):
    times = []
    with harness.RpcConnection(daemon.socket_path) as conn:
        for _ in range(LOADS):
            began = time.perf_counter()
            conn.call("history", {"limit": PAGE_HISTORY})
            times.append((time.perf_counter() - began) * 1000)
    return times


def main():
    missing = web_pages.missing_prerequisites()
    if missing:
        print("scripts/bench web needs " + ", ".join(missing), file=sys.stderr)
        return 1
    daemons, servers, browsers = [], [], []
    profiles = tempfile.mkdtemp(prefix="inmost-web-bench-")
    try:
        for name in ("alice", "bob"):
            d = harness.Daemon(name)
            daemons.append(d)
            d.init()
            d.start()
        alice, bob = daemons
        harness.pair(alice, bob)
        for d in daemons:
            servers.append(web_pages.WebServer(d))
        for d, server in zip(daemons, servers):
            browsers.append(web_pages.Browser(d.name, server, profiles))
        for b in browsers:
            b.wait(lambda d: d.find_elements(web_pages.By.CSS_SELECTOR,
                                             "[data-testid=composer-text]"), "the page")

        socket_times = socket_latencies(alice, bob)
        page_times = browser_latencies(browsers[0], browsers[1])
        newest = build_history(bob, alice)
        load_times = page_loads(browsers[0], servers[0], newest)
        history_times = history_requests(alice)

        print(f"{'measure':<62} {'value':>10}  {'unit':<5} note")
        for p in (50, 99):
            ceiling = percentile(socket_times, p)
            row(f"text over the control sockets, send to received, p{p}", ceiling, "ms",
                "ceiling")
            value = percentile(page_times, p)
            row(f"text from one browser to shown in the other, p{p}", value, "ms",
                f"{value / ceiling:.1f}x the sockets")
        ceiling = statistics.median(history_times)
        row(f"history request of {PAGE_HISTORY} of {HISTORY:,} messages, median", ceiling, "ms",
            "ceiling")
        value = statistics.median(load_times)
        row(f"page load to the newest of {HISTORY:,} messages shown, median", value, "ms",
            f"{value / ceiling:.1f}x the history request")
        return 0
    finally:
        for b in browsers:
            b.close()
        for s in servers:
            s.close()
        for d in daemons:
            d.remove()
        shutil.rmtree(profiles, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
