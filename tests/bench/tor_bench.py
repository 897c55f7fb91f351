#!/usr/bin/env python3
"""scripts/bench tor: inmost through Tor on a private Tor network on 127.0.0.1
(tests/tools/tor_privnet.py), against raw ceilings measured in the same run.

Prints one table: how long a daemon with tor = launch takes from its start to its
onion service published, and send-to-receive latency (p50, p99) of texts between two
tor-only daemons through their onions, next to the same between two daemons on the
direct path, each beside its ceiling: a raw 256-byte echo round trip through the same
kind of onion path (two client tors, no inmost), and over loopback TCP. It asserts
nothing about speed. Needs tor and tor-gencert (scripts/setup installs them).
"""

import os
import socket
import statistics
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import harness  # noqa: E402
import tor_privnet  # noqa: E402

TEXTS = 40          # texts timed per path, one at a time on an idle link
WARM_UP = 3         # sent first and not timed (the first through Tor builds circuits)
ECHOES = 40
ECHO_BYTES = 256
PUBLISHED_TIMEOUT = 180.0
ARRIVE = 90.0


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def row(measure, value, unit, note=""):
    print(f"{measure:<58} {value:>10.2f}  {unit:<9} {note}")


def start_echo_server():
    """A loopback TCP echo server in a thread; returns its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=echo, args=(conn,), daemon=True).start()

    def echo(conn):
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    return server


def socks5_connect(proxy_port, host, port, timeout):
    """A TCP connection to host:port through the SOCKS5 proxy on 127.0.0.1:proxy_port."""
    s = socket.create_connection(("127.0.0.1", proxy_port), timeout=timeout)
    s.sendall(b"\x05\x01\x00")
    if s.recv(2) != b"\x05\x00":
        raise RuntimeError("the SOCKS5 proxy refused no-auth")
    name = host.encode()
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack(">H", port))
    reply = s.recv(10)
    if len(reply) < 2 or reply[1] != 0:
        s.close()
        raise ConnectionError(f"SOCKS5 reply {reply!r}")
    return s


def echo_round_trips(sock):
    payload = os.urandom(ECHO_BYTES)
    times = []
    for _ in range(ECHOES):
        began = time.perf_counter()
        sock.sendall(payload)
        got = b""
        while len(got) < ECHO_BYTES:
            got += sock.recv(ECHO_BYTES - len(got))
        times.append((time.perf_counter() - began) * 1000)
    return times


def text_latencies(sender, receiver):
    """Send-to-receive times (ms) of texts, one at a time, as the receiver's
    subscriber sees each message_received event."""
    events = harness.EventReader(receiver.socket_path)
    try:
        times = []
        for i in range(WARM_UP + TEXTS):
            text = f"bench {i} {os.urandom(4).hex()}"
            began = time.perf_counter()
            sender.send(text)
            events.wait_event("message_received", timeout=ARRIVE,
                              predicate=lambda m, t=text: m["message"].get("text") == t)
            if i >= WARM_UP:
                times.append((time.perf_counter() - began) * 1000)
        return times
    finally:
        events.close()


def published(d):
    t = d.status().get("tor") or {}
    return t if t.get("published") else None


def main():
    daemons = []
    echo_server = start_echo_server()
    echo_port = echo_server.getsockname()[1]
    net = tor_privnet.PrivateTorNetwork(
        key_cache=os.path.join(harness.BIN_DIR, "tor-keys"),
        port_picker=lambda n: [harness.free_port() for _ in range(n)])
    try:
        began = time.monotonic()
        net.start()
        network_s = time.monotonic() - began
        torrc = os.path.join(net.root, "client-lines.torrc")
        with open(torrc, "w") as f:
            f.write("\n".join(net.client_torrc_lines()) + "\n")

        # Ceiling: a raw echo through an onion service, between two client tors.
        host_tor = net.start_client("echohost")
        dial_tor = net.start_client("echodialer")
        host_tor.wait_bootstrapped()
        dial_tor.wait_bootstrapped()
        control = host_tor.controller()
        service = control.command(
            f"ADD_ONION NEW:ED25519-V3 Flags=DiscardPK Port=7433,127.0.0.1:{echo_port}")
        onion = next(line.split("=", 1)[1] for line in service if line.startswith("ServiceID="))
        dial_control = dial_tor.controller()
        socks = dial_control.command("GETINFO net/listeners/socks")[0].split("=", 1)[1]
        socks_port = int(socks.strip('"').rsplit(":", 1)[1])
        raw_onion = harness.wait_for(
            lambda: _try(lambda: socks5_connect(socks_port, onion + ".onion", 7433, 30)),
            PUBLISHED_TIMEOUT, "the echo onion to answer")
        with raw_onion:
            echo_round_trips(raw_onion)  # warm-up
            onion_echo = echo_round_trips(raw_onion)
        control.close()
        dial_control.close()
        with socket.create_connection(("127.0.0.1", echo_port)) as direct:
            loopback_echo = echo_round_trips(direct)

        # Two tor-only daemons: start to published, then texts through the onions.
        started = {}
        for name in ("alice", "bob"):
            d = harness.Daemon(name)
            d.tor_args = ["--tor", "launch", "--tor-torrc", torrc, "--tor-only", "on"]
            daemons.append(d)
            d.init()
            started[name] = time.monotonic()
            d.start()
        alice, bob = daemons
        published_s = {}
        for d in (alice, bob):
            harness.wait_for(lambda d=d: published(d), PUBLISHED_TIMEOUT,
                             f"{d.name}'s onion published")
            published_s[d.name] = time.monotonic() - started[d.name]
        bob.rpc("join", {"code": alice.rpc("invite", {})["code"]}, timeout=2 * ARRIVE)
        harness.wait_for(lambda: harness.link_up(alice, bob), ARRIVE, "the link through Tor")
        onion_texts = text_latencies(alice, bob)

        # The same on the direct path (tor off, loopback).
        carol, dave = harness.Daemon("carol"), harness.Daemon("dave")
        daemons += [carol, dave]
        for d in (carol, dave):
            d.init()
            d.start()
        harness.pair(carol, dave)
        direct_texts = text_latencies(carol, dave)

        print(f"{'measure':<58} {'value':>10}  {'unit':<9} note")
        row("private Tor network up (3 authorities, 4 relays)", network_s, "s")
        row("daemon start to onion published (tor = launch), alice", published_s["alice"], "s")
        row("daemon start to onion published (tor = launch), bob", published_s["bob"], "s")
        row("raw 256 B echo through an onion, p50", percentile(onion_echo, 50), "ms", "ceiling")
        row("raw 256 B echo through an onion, p99", percentile(onion_echo, 99), "ms", "ceiling")
        for p in (50, 99):
            value = percentile(onion_texts, p)
            ceiling = percentile(onion_echo, p)
            row(f"text send-to-receive through the onions, p{p}", value, "ms",
                f"{value / ceiling:.1f}x the raw onion echo")
        row("raw 256 B echo over loopback TCP, p50", percentile(loopback_echo, 50), "ms",
            "ceiling")
        for p in (50, 99):
            value = percentile(direct_texts, p)
            row(f"text send-to-receive on the direct path, p{p}", value, "ms",
                f"onion/direct: {percentile(onion_texts, p) / value:.0f}x")
        row("texts timed per path (after warm-up)", TEXTS, "texts",
            f"median onion {statistics.median(onion_texts):.1f} ms")
    finally:
        for d in daemons:
            d.close()
            d.remove()
        net.stop()
        echo_server.close()


def _try(connect):
    try:
        return connect()
    except OSError:
        return None


if __name__ == "__main__":
    main()
