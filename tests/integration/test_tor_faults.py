#!/usr/bin/env python3
"""The daemon's Tor when Tor is missing or misbehaves (issue 18), without any Tor network:
tor = auto with no tor binary and no control port; tor = system at fake control ports
on 127.0.0.1 that send garbage, a line over 16 KiB or close at once, or refuse to
authenticate; tor = launch with a tor-torrc that cannot be read; tor-only with a dead
control port; and the command lines that tor-only refuses (a damaged onion key, which
needs a real tor, is in test_tor_offline.py). Each case checks the exact state and detail that `status` shows, the
daemon's log (its WARN line said once, not at every retry), and that the daemon keeps
serving.

No traffic leaves loopback. The daemons run with a PATH that holds no tor (or a fake one
that only records that it ran and exits), the control ports are Python servers on
127.0.0.1, and the launch case fails on its tor-torrc before anything could be started.
"""

import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import INMOSTD, IntegrationTest, RpcError, pair, wait_for  # noqa: E402

NOT_INSTALLED = "not installed (apt install tor); reachable only on direct addresses"
# kDebianTorGroupHint in daemon/tor/onion_host.cc.
DEBIAN_HINT = ("; to use the system's Tor, add yourself to the group debian-tor (sudo adduser "
               "$USER debian-tor) and log in again, or set tor = launch")
# Daemon::InviteAddresses under tor-only while Tor has made no onion address.
TOR_ONLY_NO_INVITE = (
    "no invite made yet: with tor-only it holds only the onion address, which Tor has not "
    "made yet (see the Tor line of `inmost status`); try again in a minute")
# The retry backoff starts at 1 s (kRetryInitial, with jitter): a second attempt comes
# within a few seconds.
RETRY_DEADLINE = 10.0 * harness.SLOWDOWN
STATE_DEADLINE = 10.0 * harness.SLOWDOWN
# How long a final failure is watched for a retry that must not come (the first retry
# of a non-final one comes after about 1 s, the second about 2 s later).
QUIET_WINDOW = 3.0
WARN_TOR = re.compile(r" WARN tor: (.*)$", re.M)


def tor_status(d):
    return d.status()["tor"]


def warn_lines(d):
    """The daemon's WARN lines about Tor, their text after "tor: "."""
    return WARN_TOR.findall(d.log_text())


def tor_processes(needle):
    """The pids of processes named tor whose command line holds `needle`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"tor" and needle.encode() in b" ".join(argv):
            found.append(int(entry))
    return found


def listening_sockets(pid):
    """The local addresses ("ip", port) of the TCP sockets pid listens on."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    found = []
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        with open(f"/proc/{pid}/net/{table}") as f:
            for line in f.read().splitlines()[1:]:
                fields = line.split()
                if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                    continue
                hex_ip, hex_port = fields[1].split(":")
                raw = bytes.fromhex(hex_ip)
                # /proc prints the address as 32-bit words in host (little-endian) order.
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                found.append((socket.inet_ntop(family, raw), int(hex_port, 16)))
    return found


def statuses_for_a_while(d):
    """d's Tor status, asked at least 20 times over at least QUIET_WINDOW seconds."""
    started = time.monotonic()
    answers = []

    def watched():
        answers.append(tor_status(d))
        return len(answers) >= 20 and time.monotonic() - started >= QUIET_WINDOW
    wait_for(watched, QUIET_WINDOW + 20.0, "status to answer for a while", interval=0.1)
    return answers


class FakeControlPort:
    """A stand-in for Tor's control port on 127.0.0.1: it accepts connections, counts
    them, records the command lines it gets and answers each as `respond(line)` says:
    bytes to send, or None to close the connection. With respond=None it closes every
    connection at once; with greeting, it sends those bytes first."""

    def __init__(self, respond=None, greeting=b""):
        self.respond = respond
        self.greeting = greeting
        self.lock = threading.Lock()
        self.connections = 0
        self.lines = []
        self.sockets = []
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.address = "127.0.0.1:%d" % self.server.getsockname()[1]
        self.closed = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.closed:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.sockets.append(conn)
            if self.respond is None:
                conn.close()
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buffer = b""
        try:
            if self.greeting:
                conn.sendall(self.greeting)
            while True:
                while b"\r\n" not in buffer:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    buffer += chunk
                line, buffer = buffer.split(b"\r\n", 1)
                text = line.decode(errors="replace")
                with self.lock:
                    self.lines.append(text)
                answer = self.respond(text)
                if answer is None:
                    return
                conn.sendall(answer)
        except OSError:
            return
        finally:
            conn.close()

    def count(self):
        with self.lock:
            return self.connections

    def commands(self):
        with self.lock:
            return [line.split(" ", 1)[0] for line in self.lines]

    def close(self):
        self.closed = True
        try:
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()
        with self.lock:
            for conn in self.sockets:
                try:
                    conn.close()
                except OSError:
                    pass
        self.thread.join(timeout=5)


def protocolinfo(methods, cookie_file=None):
    """A PROTOCOLINFO reply offering `methods`."""
    auth = f"250-AUTH METHODS={methods}"
    if cookie_file:
        auth += f' COOKIEFILE="{cookie_file}"'
    return (f"250-PROTOCOLINFO 1\r\n{auth}\r\n250-VERSION Tor=\"0.4.8.16\"\r\n"
            "250 OK\r\n").encode()


class TorFaultsTest(IntegrationTest):

    def setUp(self):
        super().setUp()
        self.scratch = tempfile.mkdtemp(prefix="inmost-it-torfaults-")
        self.addCleanup(shutil.rmtree, self.scratch, True)
        # A PATH without tor: only a directory with nothing in it (the daemon runs no
        # other program).
        self.empty_bin = os.path.join(self.scratch, "empty-bin")
        os.mkdir(self.empty_bin)

    def fake_port(self, respond=None, greeting=b""):
        port = FakeControlPort(respond, greeting)
        self.addCleanup(port.close)
        return port

    def tor_daemon(self, name, tor_args, path=None, start=True):
        """A daemon with these Tor options and a PATH without a real tor."""
        d = self.make_daemon(name, start=False, env={"PATH": path or self.empty_bin})
        d.tor_args = list(tor_args)
        if start:
            d.start()
        return d

    def wait_tor_state(self, d, state, what):
        return wait_for(lambda: (lambda t: t if t["state"] == state else None)(tor_status(d)),
                        STATE_DEADLINE, f"{d.name}: tor state {state} ({what})")

    def assert_keeps_serving(self, d, answers=5, retried=False):
        """status answers `answers` times more, the Tor line unchanged; while Tor is
        retried it may show "starting" for the moment of an attempt, with no detail (the
        last failure's is not shown as if it were the new attempt's)."""
        before = tor_status(d)
        if retried:
            # Compared with the settled line, not with the moment of an attempt.
            before = wait_for(lambda: (lambda t: t if t["state"] != "starting" else None)(
                tor_status(d)), STATE_DEADLINE, f"{d.name}: tor between attempts")
        for _ in range(answers):
            now = tor_status(d)
            if retried and now["state"] == "starting":
                self.assertEqual(now["detail"], "", now)
                now = dict(now, state=before["state"], detail=before["detail"])
            self.assertEqual(now, before)
        self.assertTrue(d.running())

    def assert_exchanges_messages(self, d):
        """d pairs with a daemon with tor off, and messages go both ways."""
        other = self.make_daemon(f"{d.name}-partner")
        pair(d, other)
        for sender, receiver, text in ((d, other, "through a tor-less link, one way"),
                                       (other, d, "and the other way back, directly")):
            sender.send(text)
            receiver.wait_find(lambda m: m["text"] == text and m["direction"] == "INCOMING",
                               20.0, f"{receiver.name} receives {text!r}")

    # ---- 1. tor = auto, nothing there ------------------------------------------------

    def test_auto_without_tor_is_unavailable_and_said_once(self):
        missing = os.path.join(self.scratch, "no-such-control-socket")
        d = self.tor_daemon("auto", ["--tor", "auto", "--tor-control", "unix:" + missing])
        tor = self.wait_tor_state(d, "unavailable", "no Tor and no tor binary")
        self.assertEqual(tor["detail"], NOT_INSTALLED)
        self.assertEqual(tor["source"], "")
        self.assertEqual(tor["onion_address"], "")
        self.assertFalse(tor["published"])
        self.assertFalse(tor["tor_only"])
        # A while later, many status answers on: the same, and said once in the log.
        answers = statuses_for_a_while(d)
        self.assertTrue(all(a == tor for a in answers), answers)
        self.assertEqual(warn_lines(d), [NOT_INSTALLED])
        self.assertEqual(d.log_text().count(NOT_INSTALLED), 1)
        self.assertEqual(tor_processes(d.data_dir), [])
        self.assert_exchanges_messages(d)

    # ---- 2. tor = system, a control port that does not speak the protocol --------------

    def check_broken_port(self, name, port, detail):
        d = self.tor_daemon(name, ["--tor", "system", "--tor-control", port.address])
        tor = self.wait_tor_state(d, "failed", "a broken control port")
        self.assertEqual(tor["detail"], detail)
        self.assertEqual(tor["source"], "system")
        self.assertEqual(tor["onion_address"], "")
        # Retried: the port sees a second connection, and a third (the backoff grows, no storm).
        wait_for(lambda: port.count() >= 3, RETRY_DEADLINE * 2, f"{name}: Tor tried again")
        tor = self.wait_tor_state(d, "failed", "after the retries")
        self.assertEqual(tor["detail"], detail)
        # Said once, not at every retry.
        self.assertEqual(warn_lines(d), [detail])
        self.assertLessEqual(port.count(), 6, "a retry storm")
        self.assert_keeps_serving(d, retried=True)
        return d

    def test_system_port_sends_garbage(self):
        port = self.fake_port(lambda line: b"hello, this is not tor\r\n")
        self.check_broken_port(
            "garbage", port,
            f"cannot talk to Tor's control port at {port.address}: tor's control port sent "
            "something that is not a control-protocol reply: a line without a 3-digit status code")
        self.assertEqual(set(port.commands()), {"PROTOCOLINFO"})

    def test_system_port_sends_a_huge_line(self):
        port = self.fake_port(lambda line: b"250-" + b"A" * (20 * 1024))
        self.check_broken_port(
            "hugeline", port,
            f"cannot talk to Tor's control port at {port.address}: tor's control port sent a "
            "line longer than 16384 bytes")

    def test_system_port_closes_at_once(self):
        port = self.fake_port(None)
        self.check_broken_port(
            "closes", port,
            f"cannot talk to Tor's control port at {port.address}: tor closed its control "
            "connection")

    def test_system_port_dead(self):
        # Nothing listens there: the port of a server closed at once.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            address = "127.0.0.1:%d" % s.getsockname()[1]
        d = self.tor_daemon("dead", ["--tor", "system", "--tor-control", address])
        tor = self.wait_tor_state(d, "failed", "a dead control port")
        detail = (f"cannot connect to tor's control port at {address}: Connection refused "
                  "(is tor running there?)")
        self.assertEqual(tor["detail"], detail)
        self.assertEqual(warn_lines(d), [detail])
        self.assert_keeps_serving(d, retried=True)

    # ---- 3. tor = system, authentication refused ---------------------------------------

    def test_system_tor_refuses_authentication(self):
        cookie = os.path.join(self.scratch, "control_auth_cookie")
        with open(cookie, "wb") as f:
            f.write(os.urandom(32))

        def respond(line):
            if line.startswith("PROTOCOLINFO"):
                return protocolinfo("COOKIE,HASHEDPASSWORD", cookie)
            if line.startswith("AUTHENTICATE"):
                return b"515 Authentication failed: Authentication cookie did not match " \
                       b"expected value.\r\n"
            return b"510 Unrecognized command\r\n"
        port = self.fake_port(respond)
        d = self.tor_daemon("refused", ["--tor", "system", "--tor-control", port.address])
        tor = self.wait_tor_state(d, "failed", "authentication refused")
        detail = ("Tor refused us: tor refused AUTHENTICATE: Authentication failed: "
                  "Authentication cookie did not match expected value. (515)" + DEBIAN_HINT)
        self.assertEqual(tor["detail"], detail)
        self.assertTrue(tor["detail"].startswith("Tor refused us:"))
        self.assertIn("debian-tor", tor["detail"])
        self.assertEqual(tor["source"], "system")
        self.assertEqual(port.commands()[:2], ["PROTOCOLINFO", "AUTHENTICATE"])
        # Nothing after the refusal on that connection: no ADD_ONION, no SETEVENTS.
        self.assertEqual(set(port.commands()), {"PROTOCOLINFO", "AUTHENTICATE"})
        wait_for(lambda: port.count() >= 2, RETRY_DEADLINE, "Tor tried again")
        self.assertEqual(warn_lines(d), [detail])
        self.assert_keeps_serving(d, retried=True)
        self.assert_exchanges_messages(d)

    def test_system_tor_wants_a_password(self):
        def respond(line):
            if line.startswith("PROTOCOLINFO"):
                return protocolinfo("HASHEDPASSWORD")
            return b"515 Authentication failed: Password did not match HashedControlPassword.\r\n"
        port = self.fake_port(respond)
        d = self.tor_daemon("password", ["--tor", "system", "--tor-control", port.address])
        tor = self.wait_tor_state(d, "failed", "a password only")
        detail = ("Tor refused us: tor's control port offers no authentication method inmost "
                  "knows (HASHEDPASSWORD)" + DEBIAN_HINT)
        self.assertEqual(tor["detail"], detail)
        # No password is ever guessed at.
        self.assertNotIn("AUTHENTICATE", port.commands())
        self.assertEqual(warn_lines(d), [detail])
        self.assert_keeps_serving(d, retried=True)

    # ---- 4. tor = launch, a tor-torrc that cannot be read -------------------------------

    def test_launch_with_missing_torrc_is_final(self):
        # A fake tor on PATH, so the daemon gets as far as the torrc; were it ever run, it
        # would only leave a mark and exit.
        fake_bin = os.path.join(self.scratch, "fake-bin")
        os.mkdir(fake_bin)
        mark = os.path.join(self.scratch, "fake-tor-ran")
        fake_tor = os.path.join(fake_bin, "tor")
        with open(fake_tor, "w") as f:
            f.write(f"#!/bin/sh\necho \"$@\" >> '{mark}'\nexit 1\n")
        os.chmod(fake_tor, stat.S_IRWXU)
        torrc = os.path.join(self.scratch, "no-such-torrc")
        d = self.tor_daemon("launch", ["--tor", "launch", "--tor-torrc", torrc], path=fake_bin)
        tor = self.wait_tor_state(d, "failed", "an unreadable tor-torrc")
        detail = f"cannot read tor-torrc {torrc}: No such file or directory"
        self.assertEqual(tor["detail"], detail)
        self.assertEqual(tor["source"], "")
        # Final: not tried again. Each attempt would chmod the tor directory (its ctime).
        tor_dir = os.path.join(d.data_dir, "tor")
        ctime = os.stat(tor_dir).st_ctime_ns
        answers = statuses_for_a_while(d)
        self.assertTrue(all(a == tor for a in answers), answers)
        self.assertEqual(os.stat(tor_dir).st_ctime_ns, ctime, "tor = launch was tried again")
        self.assertEqual(warn_lines(d), [detail])
        self.assertFalse(os.path.exists(mark), "a tor was started")
        self.assertEqual(tor_processes(d.data_dir), [])
        self.assertFalse(os.path.exists(os.path.join(tor_dir, "torrc")))

    # ---- 5. tor-only with a dead control port -----------------------------------------

    def test_tor_only_without_tor_makes_no_invite(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            address = "127.0.0.1:%d" % s.getsockname()[1]
        d = self.tor_daemon("toronly", ["--tor", "system", "--tor-control", address,
                                        "--tor-only", "on"])
        tor = self.wait_tor_state(d, "failed", "a dead control port")
        self.assertTrue(tor["tor_only"])
        self.assertEqual(tor["onion_address"], "")
        with self.assertRaises(RpcError) as cm:
            d.rpc("invite", {})
        self.assertEqual(cm.exception.code_name, "failed_precondition")
        self.assertEqual(cm.exception.message, TOR_ONLY_NO_INVITE)
        r = d.cli("invite")
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, f"inmost: {TOR_ONLY_NO_INVITE} (failed_precondition)\n")
        self.assertTrue(tor_status(d)["tor_only"])
        # Loopback only: the listen address, and every socket the daemon listens on.
        self.assertTrue(d.status()["listen_address"].startswith("127.0.0.1:"))
        listening = listening_sockets(d.proc.pid)
        self.assertTrue(listening, "the daemon listens on nothing")
        for ip, _ in listening:
            self.assertIn(ip, ("127.0.0.1", "::1"), listening)
        self.assert_keeps_serving(d, retried=True)

    # ---- 6. command lines tor-only refuses ----------------------------------------------

    def run_refused(self, args):
        data_dir = os.path.join(self.scratch, "data")
        r = subprocess.run([INMOSTD, "run", "--data-dir", data_dir] + args,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
                           env={**os.environ, "PATH": self.empty_bin})
        self.assertEqual(r.returncode, 2, r)
        self.assertEqual(r.stdout, "")
        self.assertFalse(os.path.exists(data_dir), "a refused run touched its data directory")
        return r.stderr

    def test_tor_only_refuses_a_wildcard_listen(self):
        self.assertEqual(
            self.run_refused(["--tor-only", "on", "--listen", "[::]:7433", "--tor", "system"]),
            "inmostd: --tor-only on listens on loopback only, and --listen [::]:7433 is not a "
            "loopback address (try 127.0.0.1:7433)\n")

    def test_tor_only_refuses_tor_off(self):
        self.assertEqual(
            self.run_refused(["--tor-only", "on", "--tor", "off"]),
            "inmostd: --tor-only on needs a Tor: leave --tor at auto, or set system or launch\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
