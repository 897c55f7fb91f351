#!/usr/bin/env python3
"""A private Tor network on 127.0.0.1 for inmost's tests (issue 18): three directory
authorities and a few relays in TestingTorNetwork mode, with no internet, and client
tors joined to it. Python 3 standard library only; needs tor and tor-gencert
(scripts/setup installs the tor package).

As a module:
    with PrivateTorNetwork(root, key_cache="build/tor-keys") as net:
        net.start()                       # about 15-20 s
        lines = net.client_torrc_lines()  # what a client tor adds to join
        client = net.start_client("alice")
        client.wait_bootstrapped()
As a program (brings the network up, prints the client torrc lines, then waits for
SIGINT or SIGTERM and stops it):
    tests/tools/tor_privnet.py --key-cache build/tor-keys [--torrc-out FILE] [--check]

It must never bind anything but 127.0.0.1, nor leave a tor running: every tor it starts
is owned by this process (__OwningControllerProcess, so it exits when this process
dies) and stop() ends them, also when start() fails.
"""

import argparse
import fcntl
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from tor_control_client import LOOPBACK, ControlClient

# Voting every 10 s with 2 s delays: chutney's fastest setting that stays stable.
VOTING_INTERVAL = 10
VOTE_DELAY = 2
# Relays only need the consensus and microdescriptors (75%) to serve clients.
RELAY_READY_PROGRESS = 75
# Relays polled for a consensus before the first existed and backed off; SIGNAL RELOAD
# resets their download schedule. Sent this often until they are ready.
KICK_INTERVAL = 3.0
POLL_INTERVAL = 0.25
START_TIMEOUT = 180.0
CONTROL_PORT_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
COOKIE_BYTES = 32
# Authority certificates are made for this many months and remade a week before expiry.
CERT_MONTHS = 12
CERT_RENEW_BEFORE = 7 * 86400
# Options every tor of the network shares (chutney's rapid-bootstrap set, measured in
# ../shared/notes/tor-private-net.md); GeoIP files cost ~3 s of start-up per tor.
COMMON_OPTIONS = [
    "TestingTorNetwork 1",
    "PathsNeededToBuildCircuits 0.67",
    "ClientUseIPv6 0",
    'GeoIPFile ""',
    'GeoIPv6File ""',
]


def log(message):
    print(f"tor_privnet: {message}", file=sys.stderr, flush=True)


def fixed_ports(count):
    """`count` distinct ports on 127.0.0.1 that bind now, chosen below the kernel's
    ephemeral range: tors' `ControlPort auto` and every outgoing connection take ports
    from that range, and could take a port picked there before its relay binds it."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    ports = []
    while len(ports) < count:
        port = random.randrange(10000, max(low, 10001))
        if port in ports:
            continue
        with socket.socket() as s:
            try:
                s.bind((LOOPBACK, port))
            except OSError:
                continue
        ports.append(port)
    return ports


class TorNode:
    """One tor of the network: its directory, torrc, ports and process."""

    def __init__(self, root, nick, kind):
        self.nick, self.kind = nick, kind
        self.dir = os.path.join(root, nick)
        os.makedirs(os.path.join(self.dir, "keys"), mode=0o700, exist_ok=True)
        os.chmod(self.dir, 0o700)
        self.torrc = os.path.join(self.dir, "torrc")
        self.cookie_file = os.path.join(self.dir, "control_auth_cookie")
        self.proc = None
        self.or_port = self.dir_port = self.control_port = None
        self.fingerprint = self.v3ident = None

    @property
    def control_address(self):
        return f"{LOOPBACK}:{self.control_port}"

    def controller(self):
        return ControlClient(self.control_port, self.cookie_file)

    def log_tail(self, lines=20):
        try:
            with open(os.path.join(self.dir, "notice.log"), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_bootstrapped(self, timeout=60.0, progress=100):
        """Waits until this tor reports `progress` % bootstrapped."""
        control = self.controller()
        try:
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.nick} exited: {self.log_tail()}")
                if control.bootstrap_progress() >= progress:
                    return
                time.sleep(POLL_INTERVAL)
        finally:
            control.close()
        raise RuntimeError(f"{self.nick} did not bootstrap in {timeout} s:\n{self.log_tail()}")


class PrivateTorNetwork:
    """port_picker(n) gives n fixed ports for ORPorts and DirPorts (a test suite may
    pass its own, which keeps other tests off them); by default fixed_ports."""

    def __init__(self, root=None, key_cache=None, relays=4, authorities=3,
                 port_picker=fixed_ports):
        self.tor = shutil.which("tor")
        self.gencert = shutil.which("tor-gencert")
        if not self.tor or not self.gencert:
            raise RuntimeError("tor and tor-gencert are not installed (scripts/setup installs "
                               "the tor package: apt-get install tor)")
        self.own_root = root is None
        self.root = root or tempfile.mkdtemp(prefix="inmost-tor-privnet-")
        os.makedirs(self.root, exist_ok=True)
        self.key_cache = key_cache
        self.auths = [TorNode(self.root, f"auth{i}", "auth") for i in range(authorities)]
        self.relays = [TorNode(self.root, f"relay{i}", "relay") for i in range(relays)]
        self.infrastructure = self.auths + self.relays
        self.clients = []
        ports = iter(port_picker(2 * len(self.infrastructure)))
        for node in self.infrastructure:
            node.or_port, node.dir_port = next(ports), next(ports)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- keys --------------------------------------------------------------------
    def _load_keys(self):
        """Copies cached keys in; False when the cache lacks some or a cert expires."""
        cache = self.key_cache
        for node in self.infrastructure:
            wanted = ["secret_id_key", "ed25519_master_id_secret_key", "fingerprint"]
            if node.kind == "auth":
                wanted += ["authority_identity_key", "authority_signing_key",
                           "authority_certificate"]
            if not all(os.path.exists(os.path.join(cache, node.nick, f)) for f in wanted):
                return False
            if node.kind == "auth":
                with open(os.path.join(cache, node.nick, "authority_certificate")) as f:
                    expires = re.search(r"^dir-key-expires (\S+ \S+)", f.read(), re.M).group(1)
                if time.mktime(time.strptime(expires, "%Y-%m-%d %H:%M:%S")) < \
                        time.time() + CERT_RENEW_BEFORE:
                    return False
        for node in self.infrastructure:
            keys = os.path.join(node.dir, "keys")
            for name in os.listdir(os.path.join(cache, node.nick)):
                if name != "fingerprint":
                    shutil.copy2(os.path.join(cache, node.nick, name), keys)
            with open(os.path.join(cache, node.nick, "fingerprint")) as f:
                node.fingerprint = f.read().strip()
        self._read_v3idents()
        return True

    def _make_keys(self):
        makers = []
        for auth in self.auths:  # RSA-3072 identities take seconds: all at once.
            keys = os.path.join(auth.dir, "keys")
            makers.append(subprocess.Popen(
                [self.gencert, "--create-identity-key", "--passphrase-fd", "0",
                 "-i", f"{keys}/authority_identity_key", "-s", f"{keys}/authority_signing_key",
                 "-c", f"{keys}/authority_certificate", "-m", str(CERT_MONTHS),
                 "-a", f"{LOOPBACK}:{auth.dir_port}"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
        for maker in makers:
            out, _ = maker.communicate(b"\n")  # An empty passphrase.
            if maker.returncode != 0:
                raise RuntimeError("tor-gencert failed: " + out.decode(errors="replace"))
        listers = [(node, subprocess.Popen(
            [self.tor, "--ignore-missing-torrc", "-f", os.path.join(node.dir, "none"),
             "--orport", "1", "--nickname", node.nick, "--datadirectory", node.dir,
             "--list-fingerprint"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
            for node in self.infrastructure]
        for node, lister in listers:
            out = lister.communicate()[0]
            node.fingerprint = "".join(out.strip().splitlines()[-1].split()[1:])
            if lister.returncode != 0 or not re.fullmatch(r"[0-9A-F]{40}", node.fingerprint):
                raise RuntimeError(f"tor --list-fingerprint failed for {node.nick}: {out}")
        self._read_v3idents()

    def _save_keys(self):
        for node in self.infrastructure:
            target = os.path.join(self.key_cache, node.nick)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(os.path.join(node.dir, "keys"), target)
            with open(os.path.join(target, "fingerprint"), "w") as f:
                f.write(node.fingerprint + "\n")

    def _read_v3idents(self):
        for auth in self.auths:
            with open(os.path.join(auth.dir, "keys", "authority_certificate")) as f:
                auth.v3ident = re.search(r"^fingerprint ([0-9A-F]{40})", f.read(), re.M).group(1)

    def _keys(self):
        """Keys from the cache when it has them (under a lock: tests may run at once),
        else new ones, then cached. Tor does not check the cert's address, so keys
        made for other ports work."""
        if not self.key_cache:
            self._make_keys()
            return "made"
        os.makedirs(self.key_cache, exist_ok=True)
        with open(os.path.join(self.key_cache, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self._load_keys():
                return "cached"
            self._make_keys()
            self._save_keys()
            return "made and cached"

    # ---- torrcs --------------------------------------------------------------------
    def client_torrc_lines(self):
        """The lines a client tor adds to its torrc to join this network."""
        return COMMON_OPTIONS + [
            f"DirAuthority {a.nick} orport={a.or_port} v3ident={a.v3ident} "
            f"{LOOPBACK}:{a.dir_port} {a.fingerprint}" for a in self.auths]

    def _node_lines(self, node):
        return [
            f"DataDirectory {node.dir}",
            f"Nickname {node.nick}",
            f"Log notice file {os.path.join(node.dir, 'notice.log')}",
            "RunAsDaemon 0",
            "ShutdownWaitLength 0",
            f"__OwningControllerProcess {os.getpid()}",  # Ends with this process.
            "ControlPort auto",
            f"ControlPortWriteToFile {os.path.join(node.dir, 'controlport')}",
            "CookieAuthentication 1",
            f"CookieAuthFile {node.cookie_file}",
        ] + self.client_torrc_lines()

    def _write_torrc(self, node, extra=()):
        lines = self._node_lines(node)
        if node.kind in ("auth", "relay"):
            lines += ["SocksPort 0", f"Address {LOOPBACK}", f"ORPort {LOOPBACK}:{node.or_port}",
                      f"DirPort {LOOPBACK}:{node.dir_port}", "AssumeReachable 1", "ExitRelay 0",
                      "ExitPolicy reject *:*", f"ContactInfo {node.nick}@test.invalid"]
        if node.kind == "auth":
            lines += [
                "AuthoritativeDirectory 1", "V3AuthoritativeDirectory 1",
                f"TestingV3AuthInitialVotingInterval {VOTING_INTERVAL}",
                f"TestingV3AuthInitialVoteDelay {VOTE_DELAY}",
                f"TestingV3AuthInitialDistDelay {VOTE_DELAY}",
                f"V3AuthVotingInterval {VOTING_INTERVAL}", f"V3AuthVoteDelay {VOTE_DELAY}",
                f"V3AuthDistDelay {VOTE_DELAY}", "V3AuthNIntervalsValid 2",
                "TestingMinExitFlagThreshold 0",
                # Every relay a guard and an onion service directory: a fresh network's
                # relays lack the uptime these flags normally need.
                "TestingDirAuthVoteGuard *", "TestingDirAuthVoteHSDir *",
                # Onion service circuits need Stable relays, which a fresh network lacks:
                # without these, clients sit at 95% on degenerate paths for ~20 s.
                "AuthDirVoteStableGuaranteeMinUptime 0", "AuthDirVoteStableGuaranteeMTBF 0",
            ]
        if node.kind == "client":
            lines += [f"SocksPort {LOOPBACK}:auto ExtendedErrors"]
        with open(node.torrc, "w") as f:
            f.write("\n".join(lines + list(extra)) + "\n")

    # ---- processes -----------------------------------------------------------------
    def _launch(self, node):
        if os.path.exists(os.path.join(node.dir, "controlport")):
            os.unlink(os.path.join(node.dir, "controlport"))
        with open(os.path.join(node.dir, "stdout.log"), "ab") as out:
            node.proc = subprocess.Popen([self.tor, "-f", node.torrc], stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT)

    def _wait_control_port(self, node):
        path = os.path.join(node.dir, "controlport")
        end = time.monotonic() + CONTROL_PORT_TIMEOUT
        while time.monotonic() < end:
            if node.proc.poll() is not None:
                raise RuntimeError(f"{node.nick} exited with {node.proc.returncode}:\n"
                                   + node.log_tail())
            try:
                with open(path) as f:
                    match = re.search(r"PORT=127\.0\.0\.1:(\d+)", f.read())
                # The cookie may be written just after the port file.
                if match and os.path.getsize(node.cookie_file) == COOKIE_BYTES:
                    node.control_port = int(match.group(1))
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{node.nick} wrote no control port in {CONTROL_PORT_TIMEOUT} s")

    def start(self, timeout=START_TIMEOUT):
        """Brings authorities and relays up until clients can bootstrap. Staged: once
        the authorities have the first consensus, relays still below 75% are kicked
        (SIGNAL RELOAD) every few seconds. Stops everything when it fails."""
        began = time.monotonic()
        try:
            how = self._keys()
            for node in self.infrastructure:
                self._write_torrc(node)
                self._launch(node)
            for node in self.infrastructure:
                self._wait_control_port(node)
            log(f"keys {how}; {len(self.infrastructure)} tors started in "
                f"{time.monotonic() - began:.1f} s under {self.root}")
            for auth in self.auths:
                auth.wait_bootstrapped(timeout)
            log(f"first consensus after {time.monotonic() - began:.1f} s")
            self._wait_relays(began + timeout)
            log(f"network ready after {time.monotonic() - began:.1f} s")
        except BaseException:
            self.stop()
            raise

    def _wait_relays(self, deadline):
        controls = {relay: relay.controller() for relay in self.relays}
        try:
            waiting = set(self.relays)
            next_kick = 0.0
            while waiting:
                if time.monotonic() > deadline:
                    raise RuntimeError("relays not ready: " + ", ".join(
                        f"{r.nick}:\n{r.log_tail(5)}" for r in waiting))
                kick = time.monotonic() >= next_kick
                for relay in list(waiting):
                    if controls[relay].bootstrap_progress() >= RELAY_READY_PROGRESS:
                        waiting.discard(relay)
                    elif kick:
                        controls[relay].command("SIGNAL RELOAD")
                if kick:
                    next_kick = time.monotonic() + KICK_INTERVAL
                time.sleep(POLL_INTERVAL)
        finally:
            for control in controls.values():
                control.close()

    def start_client(self, name, extra_lines=()):
        """A client tor joined to the network (ControlPort and SocksPort auto, cookie
        authentication), started; wait_bootstrapped() on it waits for 100%."""
        node = TorNode(self.root, name, "client")
        self.clients.append(node)
        self._write_torrc(node, extra_lines)
        self._launch(node)
        self._wait_control_port(node)
        return node

    def stop(self):
        """SIGTERM to every tor this network started (their PIDs only), then SIGKILL to
        those still there after a few seconds; removes its own temporary root."""
        nodes = [n for n in self.infrastructure + self.clients if n.proc and n.proc.poll() is None]
        for node in nodes:
            node.proc.send_signal(signal.SIGTERM)
        for node in nodes:
            try:
                node.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait()
        if self.own_root and not os.environ.get("TOR_PRIVNET_KEEP"):
            shutil.rmtree(self.root, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", help="where the tors keep their data (default: a temporary "
                        "directory, removed at the end)")
    parser.add_argument("--key-cache", help="keep generated keys here for the next run")
    parser.add_argument("--relays", type=int, default=4)
    parser.add_argument("--torrc-out", help="write the client torrc lines to this file")
    parser.add_argument("--check", action="store_true",
                        help="start a client, wait for it to bootstrap, then stop")
    args = parser.parse_args()
    began = time.monotonic()
    with PrivateTorNetwork(args.dir, args.key_cache, args.relays) as net:
        net.start()
        lines = "\n".join(net.client_torrc_lines()) + "\n"
        if args.torrc_out:
            with open(args.torrc_out, "w") as f:
                f.write(lines)
        else:
            sys.stdout.write(lines)
        if args.check:
            net.start_client("check").wait_bootstrapped()
            log(f"check: a client bootstrapped to 100% after {time.monotonic() - began:.1f} s")
            return 0
        print("READY", flush=True)
        stop = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.append(True))
        while not stop:
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
