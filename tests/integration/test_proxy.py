#!/usr/bin/env python3
"""Outbound dials through a SOCKS5 proxy (--proxy), against a real SOCKS5 server.

The server is microsocks (Debian package, installed by scripts/setup) on a free
loopback port, run by the test. Alice dials out only through it; bob dials directly.
That alice's traffic really went through the proxy is shown twice: by microsocks's
own log of the connections it made, and by the link staying down while the proxy is
stopped (no direct fallback) and coming back once it runs again.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import INMOSTD, IntegrationTest, wait_for

MICROSOCKS = shutil.which("microsocks") or "/usr/bin/microsocks"
# A syntactically valid v3 onion name (56 base32 characters): nothing resolves it, so
# only a proxy (Tor) could ever connect to it.
ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndfpuqdabc.onion"
PROXY_TIMEOUT = 10.0



def texts(messages, direction):
    return [m["text"] for m in messages if m["direction"] == direction]


class Microsocks:
    """A microsocks SOCKS5 server on 127.0.0.1:port, its output in a log file."""

    def __init__(self, tmp):
        self.port = harness.free_port()
        self.url = f"socks5://127.0.0.1:{self.port}"
        self.log_path = os.path.join(tmp, "microsocks.log")
        self.proc = None

    def start(self):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen([MICROSOCKS, "-i", "127.0.0.1", "-p", str(self.port)],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        finally:
            log.close()

        def listening():
            if self.proc.poll() is not None:
                raise AssertionError(f"microsocks exited with {self.proc.returncode}:\n"
                                     + self.log_text())
            socket.create_connection(("127.0.0.1", self.port), timeout=1.0).close()
            return True
        wait_for(listening, PROXY_TIMEOUT, "microsocks to listen")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=PROXY_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def connections_to(self, address):
        """How many connections microsocks reports having made to `address`."""
        return len(re.findall(r"connected to " + re.escape(address) + r"$", self.log_text(),
                              re.MULTILINE))


class ProxyTest(IntegrationTest):

    def setUp(self):
        super().setUp()
        if not os.access(MICROSOCKS, os.X_OK):
            self.fail("microsocks is missing: run scripts/setup (it installs the package)")
        self.tmp = tempfile.mkdtemp(prefix="inmost-it-proxy-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.proxy = Microsocks(self.tmp)
        self.addCleanup(self.proxy.stop)
        self.proxy.start()

    def proxy_failures(self, daemon):
        return daemon.log_text().count("the SOCKS5 proxy is unreachable (cannot connect to "
                                       f"127.0.0.1:{self.proxy.port}")

    def talk_both_ways(self, alice, bob, tag):
        a_text = f"through the proxy to bob ({tag})"
        b_text = f"back to alice, not via her proxy ({tag})"
        alice.send(a_text)
        bob.send(b_text)
        wait_for(lambda: a_text in texts(bob.history_all(), "INCOMING"), 20,
                 f"bob to receive alice's message ({tag})")
        wait_for(lambda: b_text in texts(alice.history_all(), "INCOMING"), 20,
                 f"alice to receive bob's message ({tag})")

    def test_join_and_talk_through_the_proxy_without_direct_fallback(self):
        bob = self.make_daemon("bob")
        # Alice tells bob an address where nobody listens, so bob can never dial her:
        # the link exists only while alice's dial through the proxy does.
        alice = self.make_daemon("alice", extra_args=[
            "--proxy", self.proxy.url, "--advertise", f"127.0.0.1:{harness.free_port()}"])

        code = bob.invite()["code"]
        joined = alice.rpc("join", {"code": code})
        self.assertEqual(joined["partner_fingerprint"], bob.status()["fingerprint"])
        wait_for(lambda: harness.link_up(alice, bob), 20, "the link to come up through the proxy")
        self.talk_both_ways(alice, bob, "first")
        # microsocks made the connections to bob: the join and the session.
        wait_for(lambda: self.proxy.connections_to(bob.listen_address) >= 2, 10,
                 "microsocks to log its connections to bob\n" + self.proxy.log_text())

        # Proxy down: the relayed session dies with it, and alice's redials fail at the
        # proxy, again and again, without ever going to bob directly.
        before = self.proxy_failures(alice)
        self.proxy.stop()
        wait_for(lambda: not alice.status()["link_up"] and not bob.status()["link_up"], 20,
                 "the link to go down with the proxy")

        def failing_at_the_proxy():
            if alice.status()["link_up"]:
                raise AssertionError("alice's link came up with the proxy down: a direct dial?")
            return self.proxy_failures(alice) >= before + 3
        wait_for(failing_at_the_proxy, 20, "alice to fail at the stopped proxy three times")
        self.assertFalse(alice.status()["link_up"], "alice's link came up with the proxy down")
        self.assertFalse(bob.status()["link_up"], "bob's link came up with alice's proxy down")
        stranded = "written while the proxy was down"
        alice.send(stranded)

        # Proxy back on the same port: the link returns and the queued message arrives.
        sessions_before = self.proxy.connections_to(bob.listen_address)
        self.proxy.start()
        wait_for(lambda: harness.link_up(alice, bob), 20, "the link to come back with the proxy")
        wait_for(lambda: stranded in texts(bob.history_all(), "INCOMING"), 20,
                 "bob to receive what alice wrote while the proxy was down")
        self.talk_both_ways(alice, bob, "after the restart")
        self.assertGreater(self.proxy.connections_to(bob.listen_address), sessions_before)

    def test_invite_with_an_onion_address_joins_through_the_next_one(self):
        bob = self.make_daemon("bob")
        # Set in the config file this time, with curl's socks5h spelling.
        config = os.path.join(self.tmp, "alice.conf")
        with open(config, "w") as f:
            f.write(f"proxy = socks5h://127.0.0.1:{self.proxy.port}\n")
        alice = self.make_daemon("alice", extra_args=["--config", config])

        onion = f"{ONION}:7433"
        code = bob.rpc("invite", {"addresses": [onion, bob.listen_address]})["code"]
        joined = alice.rpc("join", {"code": code})
        self.assertEqual(joined["partner_fingerprint"], bob.status()["fingerprint"])
        wait_for(lambda: harness.link_up(alice, bob), 20, "the link to come up after the join")
        # The onion address went to the proxy as a name (microsocks, no Tor, could not
        # reach it), then the join went on to the next address through the proxy.
        log = alice.log_text()
        self.assertIn(f"joining via {onion} failed: the proxy could not reach {onion}: ", log)
        self.assertGreaterEqual(self.proxy.connections_to(bob.listen_address), 1,
                                self.proxy.log_text())
        self.talk_both_ways(alice, bob, "onion invite")

    def test_malformed_proxy_url_stops_run_with_a_clear_error(self):
        d = self.make_daemon("carol", start=False)
        cases = [
            ("http://127.0.0.1:8080", "--proxy: the proxy scheme 'http' is not supported"),
            ("127.0.0.1:9050", "--proxy: the proxy must be a URL such as socks5://127.0.0.1:9050"),
            ("socks5://127.0.0.1", "--proxy: the proxy URL needs HOST:PORT"),
            ("socks5://127.0.0.1:99999", "the port must be a number from 1 to 65535"),
            ("socks5://user:pw@127.0.0.1:9050", "password in the proxy URL is not supported"),
            ("", "--proxy must not be empty"),
        ]
        for url, message in cases:
            r = subprocess.run([INMOSTD, "run", "--data-dir", d.data_dir, "--listen",
                                "127.0.0.1:0", "--proxy", url],
                               capture_output=True, text=True, timeout=30)
            self.assertExit(r, 2, f"inmostd run --proxy {url!r}")
            self.assertIn(message, r.stderr)
        config = os.path.join(self.tmp, "bad.conf")
        with open(config, "w") as f:
            f.write("proxy = socks4://127.0.0.1:9050\n")
        r = subprocess.run([INMOSTD, "run", "--data-dir", d.data_dir, "--listen", "127.0.0.1:0",
                            "--config", config], capture_output=True, text=True, timeout=30)
        self.assertExit(r, 2, "inmostd run with proxy = socks4://... in the config file")
        self.assertIn("the proxy scheme 'socks4' is not supported", r.stderr)

    def test_help_says_names_are_resolved_by_the_proxy(self):
        r = subprocess.run([INMOSTD, "--help"], capture_output=True, text=True, timeout=30)
        self.assertExit(r, 0, "inmostd --help")
        flat = " ".join(r.stdout.split())
        self.assertIn("--proxy", flat)
        self.assertIn("are resolved by the proxy, never locally", flat)


if __name__ == "__main__":
    harness.main()
