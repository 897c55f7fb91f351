#!/usr/bin/env python3
"""Flood benchmark (issue 5, item 4): what a stranger's handshake flood costs a daemon.

Two real daemons on loopback, paired. A stranger (separate processes, so the flood
does not share this process's interpreter lock) floods alice's peer port with
handshake attempts at a fixed rate, in phases:

  idle          no flood: the baseline;
  no key        random hello-shaped frames and hellos with a wrong mac1, from 8
                source addresses: what a port scanner that does not know alice's public
                key can do; all dropped before any DH;
  key, 8 src    session hellos with a valid mac1 (the stranger knows alice's public
                key) but not the partners' mac2, from 8 source addresses: dropped at
                mac2, before any DH and before the per-source rate limit;
  key, 2000 src the same from 2,000 source addresses (127.0.x.y), one attempt each in
                turn: the worst case for a stranger who knows the key. Before session
                hellos had mac2 (issue 23), each of these cost the KK DH work.

During each phase it measures the stranger's attempts per second, the daemon's CPU use
(utime + stime from /proc/PID/stat, as a fraction of one core), the latency of partner
messages both ways (send through one JSON-RPC connection, the message_received event
on the other side's subscribed connection) and alice's peak VmRSS (sampled every
20 ms). It prints one table and asserts nothing.

    tests/bench/flood.py [--rate 2000] [--seconds 8] [--log-level info]

The binaries come from $INMOST_BIN_DIR (default: build/), as for the integration tests.
"""

import argparse
import multiprocessing
import os
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import Daemon, pair, wait_for  # noqa: E402
from test_floods import (HandshakeFlood, RssSampler, invite_public_key, mac1_key,  # noqa: E402
                         rss_kib, stranger_sources)

CLK_TCK = os.sysconf("SC_CLK_TCK")
FLOOD_PROCESSES = 2
THREADS_PER_PROCESS = 16  # connections in flight per process: enough to keep the pace
LATENCY_INTERVAL = 0.02  # seconds between two latency probes (each direction in turn)


class BenchDaemon(Daemon):
    """harness.Daemon started at a chosen log level (the harness always uses debug,
    which writes a line per dropped hello) and with the default link timings."""

    def __init__(self, name, log_level):
        super().__init__(name, link_args=[])
        self.log_level = log_level

    def start(self, extra_args=None, timeout=harness.START_TIMEOUT, same_port=False,
              passphrase=None):
        args = [harness.INMOSTD, "run", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0",
                "--log-level", self.log_level, "--tor", "off",
                "--port-mapping", "off", "--lan-discovery", "off"]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name}: inmostd exited with {self.proc.returncode}\n"
                                     + self.log_tail())
            return self.rpc("status", timeout=2.0)
        self.listen_address = wait_for(ready, timeout, f"{self.name} to answer status")[
            "listen_address"]
        return self


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def machine_busy_seconds():
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    total = sum(ticks[:8])      # user nice system idle iowait irq softirq steal
    return (total - idle) / CLK_TCK, total / CLK_TCK


def flood_process(target, mac_key, sources, kinds, rate, seconds, seed, out):
    """One stranger process: floods for `seconds`, then reports its counts and the
    CPU seconds it used itself."""
    flood = HandshakeFlood(target, mac_key, sources, kinds=kinds, rate=rate,
                           threads=THREADS_PER_PROCESS, seed=seed)
    cpu0 = os.times()
    flood.start()
    time.sleep(seconds)  # the flood's duration, not synchronisation
    flood.stop()
    cpu1 = os.times()
    out.put((flood.attempts(), sum(flood.answered), sum(flood.failed), flood.elapsed(),
             (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)))


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


class LatencyProbe:
    """Sends a message one way, then the other, every LATENCY_INTERVAL, and records
    send-to-event latencies (ms) per direction until stopped."""

    def __init__(self, alice, bob):
        self.conns = {d.name: d.connect(timeout=10) for d in (alice, bob)}
        self.events = {d.name: d.subscribe() for d in (alice, bob)}
        self.samples = {"bob->alice": [], "alice->bob": []}
        self.lost = 0
        self.n = 0

    def probe(self, sender, receiver):
        self.n += 1
        text = f"probe {self.n}"
        t0 = time.monotonic()
        self.conns[sender].call("send", {"text": text})
        try:
            self.events[receiver].wait_event("message_received", timeout=5,
                                             predicate=lambda m: m["message"]["text"] == text)
        except TimeoutError:
            self.lost += 1
            return
        self.samples[f"{sender}->{receiver}"].append((time.monotonic() - t0) * 1000)

    def run_for(self, seconds):
        self.samples = {"bob->alice": [], "alice->bob": []}
        deadline = time.monotonic() + seconds
        next_at = time.monotonic()
        while time.monotonic() < deadline:
            self.probe("bob", "alice")
            self.probe("alice", "bob")
            next_at += LATENCY_INTERVAL
            pause = next_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)  # pacing the probes, not synchronisation

    def close(self):
        for c in self.conns.values():
            c.close()
        for e in self.events.values():
            e.close()


def log_counts(daemon, since):
    """How the daemon's log says it dropped the hellos after byte offset `since`."""
    text = daemon.log_text()[since:]
    return {
        "unknown key (DH done)": len(re.findall(r"refused session from an unknown key", text)),
        "bad mac2": len(re.findall(r"not from the partner \(bad mac2\)", text)),
        "rate-limited": len(re.findall(r"too many handshakes from that address", text)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=2000, help="attempts per second")
    parser.add_argument("--seconds", type=float, default=8, help="seconds per phase")
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning"))
    args = parser.parse_args()
    if not os.access(harness.INMOSTD, os.X_OK):
        sys.exit(f"{harness.INMOSTD} is missing: build first or set INMOST_BIN_DIR")

    alice = BenchDaemon("alice", args.log_level)
    bob = BenchDaemon("bob", args.log_level)
    try:
        for d in (alice, bob):
            d.init()
            d.start()
        code = pair(alice, bob)
        target = tuple((lambda h, p: (h, int(p)))(*alice.listen_address.rsplit(":", 1)))
        key = mac1_key(invite_public_key(code))
        idle_rss = rss_kib(alice.proc.pid)
        idle_anon = rss_kib(alice.proc.pid, "RssAnon")
        probe = LatencyProbe(alice, bob)
        probe.run_for(1.0)  # warm up

        phases = [
            ("idle", None, None),
            ("no key", ("random", "bad_mac1"), stranger_sources(8)),
            ("key, 8 src", ("wrong_key",), stranger_sources(8)),
            ("key, 2000 src", ("wrong_key",),
             [f"127.0.{2 + i // 250}.{1 + i % 250}" for i in range(2000)]),
            ("idle after", None, None),
        ]
        rows = []
        for name, kinds, sources in phases:
            rss = RssSampler(alice.proc.pid).start()
            log_offset = len(alice.log_text())
            procs, out = [], multiprocessing.Queue()
            if kinds:
                share = [sources[i::FLOOD_PROCESSES] for i in range(FLOOD_PROCESSES)]
                for i in range(FLOOD_PROCESSES):
                    p = multiprocessing.Process(
                        target=flood_process,
                        args=(target, key, share[i], kinds, args.rate / FLOOD_PROCESSES,
                              args.seconds, 100 + i, out))
                    p.start()
                    procs.append(p)
                time.sleep(0.3)  # let the flood reach its rate before measuring
            cpu0, t0 = cpu_seconds(alice.proc.pid), time.monotonic()
            busy0, total0 = machine_busy_seconds()
            probe.run_for(args.seconds - (0.6 if kinds else 0))
            wall = time.monotonic() - t0
            cpu = (cpu_seconds(alice.proc.pid) - cpu0) / wall
            busy1, total1 = machine_busy_seconds()
            machine = (busy1 - busy0) / (total1 - total0) * os.cpu_count()
            attempts = answered = failed = 0
            elapsed = stranger_cpu = 0.0
            for p in procs:
                a, ans, f, e, c = out.get(timeout=60)
                attempts, answered, failed = attempts + a, answered + ans, failed + f
                elapsed = max(elapsed, e)
                stranger_cpu += c
            for p in procs:
                p.join(30)
            rss.stop()
            counts = log_counts(alice, log_offset)
            rows.append((name, attempts / elapsed if elapsed else 0.0, answered, failed, cpu,
                         probe.samples, probe.lost, rss.peak, counts,
                         stranger_cpu / elapsed if elapsed else 0.0, machine))
            probe.lost = 0

        link = alice.status()["link_up"] and bob.status()["link_up"]
        probe.close()
        print_table(rows, idle_rss, idle_anon, args, link)
    finally:
        for d in (alice, bob):
            d.remove()


def print_table(rows, idle_rss, idle_anon, args, link_up):
    print(f"flood benchmark: {args.rate:.0f} attempts/s requested, {args.seconds:g} s per phase, "
          f"log level {args.log_level}, {os.cpu_count()} CPUs; alice is flooded")
    print(f"{'measure':<58} {'value':>10}  {'unit':<8} note")

    def row(what, value, unit, note=""):
        print(f"{what:<58} {value:>10.2f}  {unit:<8} {note}")
    row("resident memory before the flood, alice", idle_rss / 1024, "MiB", "goal <= 8")
    row("  of which private (RssAnon: heap, stacks)", idle_anon / 1024, "MiB",
        "the rest: mapped binary and libraries")
    # Every phase carries the latency probes' traffic: the idle phase's CPU is their cost,
    # and a flood's own cost is what it adds to it.
    idle_cpu = rows[0][4]
    for name, rate, answered, failed, cpu, samples, lost, peak, counts, stranger, machine in rows:
        flooded = not name.startswith("idle")
        if flooded:
            row(f"[{name}] stranger's handshake attempts", rate, "/s", "target 2000")
            row(f"[{name}] attempts answered / connections failed", answered, "count",
                f"{failed} failed")
            row(f"[{name}] hellos that cost DH (log: unknown key)",
                counts["unknown key (DH done)"], "count",
                f"{counts['bad mac2']} dropped at mac2, {counts['rate-limited']} rate-limited"
                if args.log_level == "debug" else "drops are logged at debug only")
        row(f"[{name}] daemon CPU, fraction of one core", cpu, "cores",
            "with the probes' traffic" if flooded else "the latency probes' traffic")
        if flooded:
            row(f"[{name}] daemon CPU above the idle phase (the flood's own)",
                cpu - idle_cpu, "cores", "goal < 0.1 (issue 24)")
        if flooded:
            row(f"[{name}] the stranger's own CPU (flood processes)", stranger, "cores")
        row(f"[{name}] whole machine busy", machine, "cores", f"of {os.cpu_count()}")
        for direction in ("bob->alice", "alice->bob"):
            s = samples[direction]
            row(f"[{name}] partner message latency p50, {direction}", percentile(s, 0.50),
                "ms", f"{len(s)} messages")
            row(f"[{name}] partner message latency p99, {direction}", percentile(s, 0.99),
                "ms", "target < 20" + (f"; {lost} not delivered in 5 s" if lost else ""))
        row(f"[{name}] peak resident memory, alice", peak / 1024, "MiB", "target < 32")
    row("link up after the floods", 1.0 if link_up else 0.0, "bool")


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    main()
