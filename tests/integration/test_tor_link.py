#!/usr/bin/env python3
"""Two daemons that reach each other through Tor alone (issue 18), on a private Tor
network on 127.0.0.1 with no internet (tests/tools/tor_privnet.py): each launches its own
tor (tor = launch, tor-torrc joins the private network) with tor-only = on, so each
listens on loopback only, and its invite and the addresses it tells its partner hold
only its .onion address. They pair by that invite, exchange messages both ways, a sealed
envelope opens, a file of a few MB arrives whole; one daemon restarts and comes back on
the same onion address; its tor is killed under it and the link returns by itself, with
every message sent meanwhile arriving exactly once. And two daemons that can reach each
other only through Tor at first move to a direct path as soon as one appears, losing and
repeating nothing.

Without tor this test prints SKIPPED loudly; in CI (CI=true) it fails instead, since
scripts/setup installs tor there.
"""

import hashlib
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, wait_for  # noqa: E402

sys.path.insert(0, os.path.join(harness.ROOT, "tests", "tools"))
import tor_privnet  # noqa: E402

KEY_CACHE = os.environ.get("INMOST_TOR_KEY_CACHE") or os.path.join(harness.BIN_DIR, "tor-keys")
# A launched tor joins the private network and publishes its service in 10-40 s here.
PUBLISHED_TIMEOUT = 180.0
# Through Tor a message takes a rendezvous circuit, then a few hundred ms.
ARRIVE = 90.0
FILE_BYTES = 3 * 1024 * 1024


def tor_status(d):
    return d.status().get("tor") or {}


def published(d, restarting=False):
    """d's Tor status once its onion service is published; a failed Tor fails the test
    unless it is restarting (its tor was killed on purpose)."""
    t = tor_status(d)
    if t.get("state") == "failed" and not restarting:
        raise AssertionError(f"{d.name}: tor failed: {t}\n{d.log_tail()}")
    return t if t.get("published") else None


def launched_tor_pid(d):
    """The pid of the tor that d launched, found by its torrc under d's data dir."""
    torrc = os.path.join(d.data_dir, "tor", "torrc").encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if torrc in f.read().split(b"\0"):
                    return int(entry)
        except OSError:
            continue
    return None


def texts(d, direction):
    return [m.get("text") for m in d.history_all()
            if m["direction"] == direction and m.get("kind", "TEXT") == "TEXT"]


class TorLinkTest(IntegrationTest):

    # One private network for the tests of this class, started by the first that needs it.
    net = None
    network_ready = 0.0

    @classmethod
    def tearDownClass(cls):
        if cls.net is not None:
            cls.net.stop()
            cls.net = None

    def setUp(self):
        super().setUp()
        harness.require_tor(self)

    def torrc(self):
        """The tor-torrc file that joins the private network, starting it if need be."""
        cls = type(self)
        if cls.net is None:
            began = time.monotonic()
            net = tor_privnet.PrivateTorNetwork(
                key_cache=KEY_CACHE, port_picker=lambda n: [harness.free_port() for _ in range(n)])
            try:
                net.start()
            except BaseException:
                net.stop()
                raise
            cls.net = net
            cls.network_ready = time.monotonic() - began
        torrc = os.path.join(cls.net.root, "client-lines.torrc")
        with open(torrc, "w") as f:
            f.write("\n".join(cls.net.client_torrc_lines()) + "\n")
        return torrc

    def tor_daemon(self, name, torrc, tor_only=True, extra_args=None):
        d = self.make_daemon(name, start=False)
        d.tor_args = ["--tor", "launch", "--tor-torrc", torrc,
                      "--tor-only", "on" if tor_only else "off"]
        d.start(extra_args=extra_args)
        return d

    def test_two_daemons_through_tor_alone(self):
        began = time.monotonic()
        torrc = self.torrc()
        network_ready = time.monotonic() - began

        alice = self.tor_daemon("alice", torrc)
        bob = self.tor_daemon("bob", torrc)
        self.assertEqual(tor_status(alice).get("tor_only"), True)
        a_tor = wait_for(lambda: published(alice), PUBLISHED_TIMEOUT, "alice's onion published")
        b_tor = wait_for(lambda: published(bob), PUBLISHED_TIMEOUT, "bob's onion published")
        published_after = time.monotonic() - began - network_ready
        self.assertEqual(a_tor["source"], "launched")
        self.assertRegex(a_tor["onion_address"], r"^[a-z2-7]{56}\.onion:\d+$")

        # The invite holds the onion address alone: no IP address ever leaves.
        code = alice.rpc("invite", {})["code"]
        self.assertEqual(harness.invite_addresses(code), [a_tor["onion_address"]])
        bob.rpc("join", {"code": code}, timeout=2 * ARRIVE)
        wait_for(lambda: harness.link_up(alice, bob), ARRIVE, "the link up through Tor")
        wait_for(lambda: alice.status()["partner_addresses"] == [b_tor["onion_address"]], ARRIVE,
                 "alice to know bob by his onion address alone")
        self.assertEqual(bob.status()["partner_addresses"], [a_tor["onion_address"]])

        # Messages both ways.
        alice.send("through tor, from alice")
        bob.send("through tor, from bob")
        bob.wait_find(lambda m: m.get("text") == "through tor, from alice", ARRIVE, "alice's text")
        alice.wait_find(lambda m: m.get("text") == "through tor, from bob", ARRIVE, "bob's text")

        # A sealed envelope opens at its time.
        open_at = int(time.time() * 1000) + 3000
        alice.rpc("send", {"text": "sealed through tor", "open_at_unix_ms": open_at})
        bob.wait_find(lambda m: m.get("text") == "sealed through tor"
                      and (m.get("envelope") or {}).get("state") == "OPENED", ARRIVE,
                      "the sealed envelope to open")
        self.assertGreaterEqual(int(time.time() * 1000), open_at)

        # A file of a few MB arrives whole.
        path = os.path.join(alice.tmp, "photo.bin")
        content = os.urandom(FILE_BYTES)
        with open(path, "wb") as f:
            f.write(content)
        alice.rpc("send", {"text": "a file through tor", "file_path": path})
        got = bob.wait_find(lambda m: m.get("text") == "a file through tor"
                            and (m.get("file") or {}).get("state") == "RECEIVED", 3 * ARRIVE,
                            "the file to arrive")
        saved = os.path.join(bob.tmp, "saved.bin")
        bob.rpc("save", {"id": got["id"], "to": saved})
        with open(saved, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(),
                             hashlib.sha256(content).hexdigest())

        # Bob restarts and comes back on the same onion address.
        bob.stop()
        bob.start()
        again = wait_for(lambda: published(bob), PUBLISHED_TIMEOUT, "bob's onion published again")
        self.assertEqual(again["onion_address"], b_tor["onion_address"])
        wait_for(lambda: harness.link_up(alice, bob), ARRIVE, "the link up after bob's restart")

        # Alice's tor is killed under her; what she sends meanwhile arrives exactly once.
        pid = launched_tor_pid(alice)
        self.assertIsNotNone(pid, "alice's launched tor is not running")
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: tor_status(alice).get("state") in ("failed", "starting", "bootstrapping")
                 or launched_tor_pid(alice) not in (None, pid), ARRIVE,
                 "alice to notice her tor died")
        meanwhile = [f"while tor was down {i}" for i in range(5)]
        for text in meanwhile:
            alice.send(text)
        wait_for(lambda: published(alice, restarting=True), PUBLISHED_TIMEOUT,
                 "alice's onion published again")
        self.assertNotEqual(launched_tor_pid(alice), pid)
        wait_for(lambda: all(t in texts(bob, "INCOMING") for t in meanwhile), 2 * ARRIVE,
                 "what alice sent while her tor was down")
        received = texts(bob, "INCOMING")
        for text in meanwhile:
            self.assertEqual(received.count(text), 1, f"{text!r} arrived {received.count(text)}x")
        # Bob's ack crosses tor after his write: it may still be on its way.
        wait_for(lambda: alice.status()["unacknowledged"] == "0", ARRIVE,
                 "bob's ack of what alice sent while her tor was down")
        sys.stderr.write(f"tor link test: network ready after {network_ready:.1f} s, both onions "
                         f"published {published_after:.1f} s later, all done after "
                         f"{time.monotonic() - began:.1f} s\n")

    def test_a_link_through_tor_moves_to_a_direct_path_when_one_appears(self):
        torrc = self.torrc()
        # Each tells the other a direct address where nothing listens, so they meet
        # through Tor; then bob tells his real one (SIGHUP re-reads his config file).
        configs = {}
        daemons = {}
        for name in ("alice", "bob"):
            configs[name] = os.path.join(harness.BIN_DIR, f"tor-direct-{name}-{os.getpid()}.conf")
            self.addCleanup(lambda path=configs[name]: os.path.exists(path) and os.remove(path))
            with open(configs[name], "w") as f:
                f.write(f"advertise = 127.0.0.1:{harness.free_port()}\n")
            daemons[name] = self.tor_daemon(name, torrc, tor_only=False,
                                            extra_args=["--config", configs[name]])
        alice, bob = daemons["alice"], daemons["bob"]
        a_tor = wait_for(lambda: published(alice), PUBLISHED_TIMEOUT, "alice's onion published")
        wait_for(lambda: published(bob), PUBLISHED_TIMEOUT, "bob's onion published")
        code = alice.rpc("invite", {})["code"]
        self.assertIn(a_tor["onion_address"], harness.invite_addresses(code))
        bob.rpc("join", {"code": code}, timeout=2 * ARRIVE)
        wait_for(lambda: harness.link_up(alice, bob), ARRIVE, "the link up through Tor")
        self.assertRegex(alice.log_text(), r"link up: session \d+ with the partner at "
                         r"(through Tor|[a-z2-7]{56}\.onion:\d+)")
        alice.send("through tor first")
        bob.wait_find(lambda m: m.get("text") == "through tor first", ARRIVE, "the first text")

        # Bob's real address appears; alice moves to it, and what she sends as it happens
        # arrives exactly once.
        bob_direct = bob.status()["listen_address"]
        with open(configs["bob"], "w") as f:
            f.write(f"advertise = {bob_direct}\n")
        bob.proc.send_signal(signal.SIGHUP)
        moving = [f"while moving {i}" for i in range(10)]
        for text in moving:
            alice.send(text)
        wait_for(lambda: f"with the partner at {bob_direct}" in alice.log_text(), ARRIVE,
                 "alice's link to move to bob's direct address")
        wait_for(lambda: all(t in texts(bob, "INCOMING") for t in moving), ARRIVE,
                 "what alice sent while the link moved")
        received = texts(bob, "INCOMING")
        for text in moving:
            self.assertEqual(received.count(text), 1, f"{text!r} arrived {received.count(text)}x")
        alice.send("direct now")
        bob.wait_find(lambda m: m.get("text") == "direct now", ARRIVE, "a text on the direct path")
        self.assertTrue(harness.link_up(alice, bob))


if __name__ == "__main__":
    harness.main()
