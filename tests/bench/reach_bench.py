#!/usr/bin/env python3
"""scripts/bench reach: how soon two daemons reach each other without setup (issue 19),
in network namespaces (tests/tools/netns.py), each figure beside a ceiling measured in
the same run. It asserts nothing about speed.

LAN (netns.Lan: a and b on one bridge): in each run two new daemons pair, stop, both
get new addresses (what each stored for the other is stale, and neither advertises),
and start again with lan-discovery on; timed from a's start (b starts right after) to
the first beacon either recognises and to the link up on both sides. With the default
beacon interval (20 s: a beacon goes out at start and when the link goes down) and with
--lan-beacon-ms 1000, taking turns. A new pair each run, as a daemon keeps every address
its partner had: one pair moved again and again would dial more stale ones each run.
Ceiling: the pair's restart before the move (stored addresses right, lan-discovery off).

UPnP (netns.HomeRouter: home -- router with NAT and miniupnpd -- internet): A at home
with port-mapping auto (the default check interval), B on the internet, paired, with
A's mapped address stored. B's host turns away new connections to B (a firewall in the
internet namespace), so the link can only come through A's mapping: B dials A there.
Timed from A's start to its status showing the port mapped, and to B's link_up event
(whose address tells who dialled: A's external address when B did). Ceilings: a raw
`upnpc -a` from home (the same search and request without inmost), and A started with
that hand-made mapping, port-mapping off and --advertise of the external address.

Every daemon uses the harness's short link timings (reconnect backoff at most 500 ms).
Needs root, iproute2 and, for the UPnP part, nftables, miniupnpd, miniupnpc (scripts/setup
installs them); without them it prints a loud SKIPPED line and exits 0. The namespaces
are removed at the end, also when it fails or is interrupted.
"""

import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import harness  # noqa: E402
import netns  # noqa: E402

RUNS = int(os.environ.get("INMOST_BENCH_REACH_RUNS", "5"))
POLL = 0.01             # seconds between status polls while timing
LINK_TIMEOUT = 60.0     # a run that takes longer fails the bench (20 s beacons: 3 missed)
MAP_TIMEOUT = 30.0
from home_router import HomeRouter  # noqa: E402
UPNP_TOOLS = ("nft", "ss", "sysctl", "miniupnpd", "upnpc")


def skipped(what, reason):
    sys.stderr.write(f"\n*** SKIPPED scripts/bench reach{what}: {reason} ***\n\n")
    sys.stderr.flush()


def namespaces_unusable():
    """Why network namespaces cannot be used here, or None."""
    if os.geteuid() != 0:
        return "needs root for network namespaces (ip netns)"
    if shutil.which("ip") is None:
        return "ip (iproute2) not installed"
    probe = f"{netns.PREFIX}{os.getpid()}xbe0f0-probe"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if r.returncode != 0:
        return f"cannot make a network namespace: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def linked(d):
    try:
        return bool(d.status()["link_up"])
    except (OSError, EOFError, harness.RpcError, ValueError, KeyError):
        return False


def poll(predicate, timeout, what):
    return harness.wait_for(predicate, timeout, what, interval=POLL)


class LinkWatch:
    """B's link_up event, read on a thread: when it arrived and where the partner was.
    Opened before A starts, so that nothing from before counts."""

    def __init__(self, d, timeout):
        self.reader = d.subscribe()
        self.at = None
        self.address = None
        self.error = None
        self.thread = threading.Thread(target=self._read, args=(timeout,), daemon=True)
        self.thread.start()

    def _read(self, timeout):
        try:
            event = self.reader.wait_event("link_up", timeout=timeout)
            self.at = time.monotonic()
            self.address = event["link_up"].get("address", "")
        except Exception as e:  # noqa: BLE001 - reported by wait()
            self.error = e

    def wait(self, timeout):
        self.thread.join(timeout)
        self.reader.close()
        if self.at is None:
            raise AssertionError(f"no link_up event: {self.error!r}")
        return self.at, self.address


# ---- LAN ----------------------------------------------------------------------------

OFF = ["--port-mapping", "off", "--lan-discovery", "off"]
BEACON_CONFIGS = {"beacon default": [],  # lan-beacon-ms 20000
                  "beacon 1000": ["--lan-beacon-ms", "1000"]}


def bench_lan(daemons):
    """Returns {config: [seconds per run]} for "ceiling", "beacon default", "beacon 1000",
    and for the last two also "... heard": start to either recognising the other's beacon.

    Each run pairs two new daemons, so that each has stored exactly one address of the
    other (the daemon keeps every address its partner had: reusing a pair would leave
    more stale ones at each run, each dialled in turn). The configurations take turns."""
    results = {"ceiling": [], "beacon default heard": [], "beacon default": [],
               "beacon 1000 heard": [], "beacon 1000": []}
    host = [10]

    def new_addresses(lan):
        host[0] += 1
        lan.set_address("a", f"{lan.NET}.{host[0]}")
        lan.set_address("b", f"{lan.NET}.{host[0] + 100}")

    def start_both(a, b, reach, what):
        """Starts a, then b, with `reach`; returns (seconds to the link up on both, seconds
        to the first beacon either recognised, or None)."""
        for d in (a, b):
            d.reach_args = reach
        began = time.monotonic()
        a.start(same_port=True)
        b.start(same_port=True)
        heard = []

        def up():
            statuses = [d.status() for d in (a, b)]
            if not heard and any(int((s.get("lan") or {}).get("recognised", 0))
                                 for s in statuses):
                heard.append(time.monotonic() - began)
            return all(s["link_up"] for s in statuses)
        poll(up, LINK_TIMEOUT, f"a and b linked ({what})")
        return time.monotonic() - began, heard[0] if heard else None

    with netns.Lan() as lan:
        try:
            for run in range(RUNS):
                for config, beacon_args in BEACON_CONFIGS.items():
                    a = harness.Daemon(f"a{run}", command_prefix=lan.prefix("a"),
                                       listen_host="0.0.0.0")
                    b = harness.Daemon(f"b{run}", command_prefix=lan.prefix("b"),
                                       listen_host="0.0.0.0")
                    daemons += [a, b]
                    new_addresses(lan)
                    for d in (a, b):
                        d.init()
                        d.reach_args = OFF
                        d.start()
                    b.rpc("join", {"code": a.rpc("invite", {})["code"]})
                    poll(lambda: linked(a) and linked(b), LINK_TIMEOUT, "a and b paired")
                    # The ceiling: a restart, the stored addresses right.
                    b.stop()
                    a.stop()
                    results["ceiling"].append(start_both(a, b, OFF, "ceiling")[0])
                    # Both move: the stored addresses are stale; only beacons help.
                    b.stop()
                    a.stop()
                    new_addresses(lan)
                    took, heard = start_both(
                        a, b, ["--port-mapping", "off", "--lan-discovery", "on"] + beacon_args,
                        config)
                    results[config].append(took)
                    results[f"{config} heard"].append(float("nan") if heard is None else heard)
                    for d in (a, b):
                        d.remove()
        finally:
            for d in daemons:
                d.close()
    return results


# ---- UPnP ---------------------------------------------------------------------------

def timed_upnpc(net, *args):
    began = time.monotonic()
    net.run("home", ["upnpc"] + [str(a) for a in args])
    return time.monotonic() - began


def bench_upnp(daemons):
    """Returns {measure: [seconds per run]} and the dialling sides seen."""
    results = {"upnpc add": [], "auto mapped": [], "auto link": [], "hand link": []}
    dialled = {"auto link": [], "hand link": []}
    with HomeRouter() as net:
        try:
            net.start_miniupnpd()
            a = harness.Daemon("a", command_prefix=net.prefix("home"), listen_host="0.0.0.0")
            b = harness.Daemon("b", command_prefix=net.prefix("internet"),
                               listen_host=HomeRouter.INTERNET)
            daemons += [a, b]
            for d in (a, b):
                d.init()
            auto = ["--port-mapping", "auto", "--lan-discovery", "off"]
            a.reach_args = auto
            a.start()

            def advertised():
                status = a.status()
                pm = status.get("port_mapping") or {}
                return (pm.get("state") == "mapped"
                        and pm["external_address"] in status["own_addresses"]
                        and pm["external_address"])
            external = poll(advertised, MAP_TIMEOUT, "a's port mapped and advertised")
            b.start()
            # B takes no new connection: A cannot dial it, B must dial A's mapping.
            net.run("internet", ["nft", "-f", "-"], input=f"""table inet bench {{
  chain input {{ type filter hook input priority 0; policy accept;
    tcp dport {port_of(b.listen_address)} ct state new reject with tcp reset; }}
}}
""")
            b.rpc("join", {"code": a.rpc("invite", {})["code"]})
            poll(lambda: linked(a) and linked(b), LINK_TIMEOUT, "a and b paired")
            assert external in b.status()["partner_addresses"], b.status()

            def stop_a():
                a.stop()
                poll(lambda: not linked(b), LINK_TIMEOUT, "b's link down")

            def run(what):
                watch = LinkWatch(b, LINK_TIMEOUT)
                began = time.monotonic()
                a.start(same_port=True, extra_args=(
                    ["--advertise", external] if what == "hand link" else []))
                mapped = None
                if what == "auto link":
                    poll(lambda: (a.status().get("port_mapping") or {}).get("state")
                         == "mapped", MAP_TIMEOUT, "a's port mapped")
                    mapped = time.monotonic() - began
                at, address = watch.wait(LINK_TIMEOUT)
                dialled[what].append("B" if address == external else f"A ({address})")
                stop_a()
                return mapped, at - began

            stop_a()
            # Ceilings: the same mapping made by hand with upnpc from home.
            a.reach_args = ["--port-mapping", "off", "--lan-discovery", "off"]
            internal = port_of(a.listen_address)
            for _ in range(RUNS):
                results["upnpc add"].append(timed_upnpc(
                    net, "-e", "by hand", "-a", HomeRouter.HOME, internal, port_of(external),
                    "TCP"))
                results["hand link"].append(run("hand link")[1])
                net.run("home", ["upnpc", "-d", port_of(external), "TCP"])
            a.reach_args = auto
            for _ in range(RUNS):
                mapped, link = run("auto link")
                results["auto mapped"].append(mapped)
                results["auto link"].append(link)
        finally:
            for d in daemons:
                d.close()
    return results, dialled


# ---- the table ----------------------------------------------------------------------

W = 56  # the path column


def row(path, values, ceiling=None, note=""):
    """One line: path, runs, median, max, and with a ceiling its median and the ratio."""
    median, worst = statistics.median(values), max(values)
    line = f"{path:<{W}} {len(values):>4} {median:>7.2f} {worst:>7.2f}"
    if ceiling:
        c = statistics.median(ceiling)
        line += f" {c:>7.2f} {median / c:>6.1f}x"
    else:
        line += f" {'':>7} {'':>7}"
    print(f"{line}  {note}".rstrip())


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that finally cleans up
    reason = namespaces_unusable()
    if reason:
        skipped("", reason)
        return 0
    for path in (harness.INMOSTD, harness.INMOST):
        if not os.access(path, os.X_OK):
            skipped("", f"{path} is missing (build first, or set INMOST_BIN_DIR)")
            return 0
    missing = [t for t in UPNP_TOOLS if shutil.which(t) is None]
    daemons = []
    began = time.monotonic()
    try:
        lan = bench_lan(daemons)
        upnp, dialled = (None, None)
        if missing:
            skipped(" (UPnP part)", f"{', '.join(missing)} not installed (scripts/setup "
                    "installs nftables, miniupnpd-nftables and miniupnpc)")
        else:
            upnp, dialled = bench_upnp(daemons)
    finally:
        for d in daemons:
            d.remove()
    print("seconds; ratio = median / ceiling median")
    print(f"{'path':<{W}} {'runs':>4} {'median':>7} {'max':>7} {'ceiling':>7} {'ratio':>7}  note")
    row("LAN, stored address right (lan-discovery off): link", lan["ceiling"],
        note="ceiling: start to link up")
    for config, what in (("beacon default", "default 20 s beacons"),
                         ("beacon 1000", "--lan-beacon-ms 1000")):
        row(f"LAN, {what}: start to a beacon recognised", lan[f"{config} heard"],
            lan["ceiling"])
        row(f"LAN, {what}: start to link up", lan[config], lan["ceiling"],
            "stored address stale")
    if upnp:
        row("raw `upnpc -a` from home (search + add)", upnp["upnpc add"], note="ceiling")
        row("mapping by hand, --advertise: A's start to link up", upnp["hand link"],
            note=f"ceiling; dialled by {summary(dialled['hand link'])}")
        row("UPnP auto: A's start to port_mapping mapped", upnp["auto mapped"],
            upnp["upnpc add"], "vs raw upnpc")
        row("UPnP auto: A's start to link up", upnp["auto link"], upnp["hand link"],
            f"vs by hand; dialled by {summary(dialled['auto link'])}")
    print(f"total {time.monotonic() - began:.0f} s")
    return 0


def summary(sides):
    counts = {}
    for side in sides:
        counts[side] = counts.get(side, 0) + 1
    return ", ".join(f"{side} {n}/{len(sides)}" for side, n in counts.items())


if __name__ == "__main__":
    sys.exit(main())
