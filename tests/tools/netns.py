"""Isolated network namespaces for inmost's tests (issue 19). Python 3 standard library
only; needs root and iproute2 (and for HomeRouter nftables, miniupnpd-nftables, miniupnpc
and natpmpc: scripts/setup installs them).

    with HomeRouter() as net:             # home_router.py: home -- router -- internet
        net.start_miniupnpd()
        net.run("home", ["upnpc", "-s"])
    with Lan() as lan:                    # a, b and capture on one bridge
        lan.set_address("a", "10.77.0.11")

No namespace has a link to the host's network: every veth pair joins two namespaces of
the same topology and every address lives inside them, so nothing (multicast included)
can leave. Names carry this process's id and a random tag ("inm<pid>x<tag>-home"), so
parallel runs never collide; close() kills every process the topology started and
removes its namespaces, and a later run removes those of a run that died (its process
gone). Processes started inside die with this process (PR_SET_PDEATHSIG).
"""

import contextlib
import ctypes
import ipaddress
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

PREFIX = "inm"
NETNS_DIR = "/run/netns"
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)
_counter = [0]


def require_root_and_tools(test, tools=("ip",)):
    """Skips `test` (a TestCase, or its class in setUpClass) loudly unless this runs as
    root, with every tool in `tools` on PATH and network namespaces usable; in CI
    (CI=true) fails it instead, since CI runs as root with scripts/setup's packages."""
    reason = None
    if os.geteuid() != 0:
        reason = "needs root for network namespaces (ip netns)"
    else:
        missing = [t for t in tools if shutil.which(t) is None]
        if missing:
            reason = (f"{', '.join(missing)} not installed (scripts/setup installs nftables, "
                      "miniupnpd-nftables, miniupnpc and natpmpc)")
        else:
            probe = _unique("probe")
            r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
            if r.returncode != 0:
                reason = f"cannot make a network namespace: {r.stderr.strip()}"
            else:
                subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    if reason is None:
        return
    name = test.id() if hasattr(test, "id") and not isinstance(test, type) else \
        f"{test.__module__}.{test.__qualname__}"
    if os.environ.get("CI"):
        raise AssertionError(f"{name}: {reason}: the network namespace tests may not be "
                             "skipped in CI")
    sys.stderr.write(f"\n*** SKIPPED {name}: {reason} ***\n")
    sys.stderr.flush()
    import unittest
    raise unittest.SkipTest(reason)


def _unique(role):
    _counter[0] += 1
    return f"{PREFIX}{os.getpid()}x{random.randrange(16 ** 4):04x}{_counter[0]}-{role}"


def sweep_stale():
    """Removes what runs that died left (their process is gone): their namespaces, named
    PREFIX<pid>x..., with any process still in them, and their temporary directories."""
    names = os.listdir(NETNS_DIR) if os.path.isdir(NETNS_DIR) else []
    for name in names:
        m = re.match(rf"{PREFIX}(\d+)x[0-9a-f]{{4}}\d+-\w+$", name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            _remove_namespace(name)
    tmp = tempfile.gettempdir()
    for name in os.listdir(tmp):
        m = re.match(r"inmost-netns-(\d+)-", name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            shutil.rmtree(os.path.join(tmp, name), ignore_errors=True)


def _remove_namespace(name):
    r = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True)
    for pid in r.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    subprocess.run(["ip", "netns", "del", name], capture_output=True)


def ip(*args, ns=None):
    """Runs `ip [-n ns] args...`; raises with its error output when it fails."""
    argv = ["ip"] + (["-n", ns] if ns else []) + [str(a) for a in args]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout


@contextlib.contextmanager
def inside(ns):
    """Runs the block with this thread in network namespace ns: sockets made in it stay
    there (see socket_in). Back in the original namespace afterwards."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(os.path.join(NETNS_DIR, ns), os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns({ns})")
        try:
            yield
        finally:
            if _libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the original namespace")
    finally:
        os.close(target)
        os.close(home)


def socket_in(ns, family=socket.AF_INET, type=socket.SOCK_STREAM, proto=0):
    """A socket in namespace ns (usable from this process like any other)."""
    with inside(ns):
        return socket.socket(family, type, proto)


def tcp_connects(ns, host, port, timeout=2.0):
    """Whether a TCP connection from namespace ns to host:port is accepted."""
    with socket_in(ns, socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.settimeout(timeout)
        try:
            s.connect((host, port))
            return True
        except OSError:
            return False


def send_udp_spoofed(ns, source, destination, payload):
    """Sends one UDP datagram from namespace ns with a forged IPv4 source: source and
    destination are (address, port). Through a raw socket with IP_HDRINCL; the kernel
    fills in the header checksum, and the UDP checksum is left out (0, allowed in IPv4)."""
    udp = struct.pack("!HHHH", source[1], destination[1], 8 + len(payload), 0) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64,
                         socket.IPPROTO_UDP, 0, socket.inet_aton(source[0]),
                         socket.inet_aton(destination[0]))
    with socket_in(ns, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as s:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
        s.sendto(header + udp, (destination[0], 0))


def _die_with_parent():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Topology:
    """Namespaces by role (self.ns["home"] is the real name), processes started in them,
    and their removal in close(), which also runs when the constructor fails."""

    ROLES = ()

    def __init__(self):
        sweep_stale()
        self.ns = {}
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix=f"inmost-netns-{os.getpid()}-")
        try:
            for role in self.ROLES:
                name = _unique(role)
                ip("netns", "add", name)
                self.ns[role] = name
                ip("link", "set", "lo", "up", ns=name)
            self.build()
        except BaseException:
            self.close()
            raise

    def build(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def prefix(self, role):
        """The command prefix that runs a program in role's namespace (for harness.Daemon's
        command_prefix)."""
        return ["ip", "netns", "exec", self.ns[role]]

    def run(self, role, argv, check=True, timeout=30, input=None):
        """Runs argv in role's namespace and returns the CompletedProcess (text output)."""
        r = subprocess.run(self.prefix(role) + [str(a) for a in argv], capture_output=True,
                           text=True, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise AssertionError(f"[{role}] {' '.join(map(str, argv))} exited {r.returncode}:"
                                 f"\n{r.stdout}{r.stderr}")
        return r

    def spawn(self, role, argv, log_name):
        """Starts argv in role's namespace, output to a log file in self.tmp; it is killed in
        close() and dies with this process."""
        log = open(os.path.join(self.tmp, log_name), "ab")
        try:
            proc = subprocess.Popen(self.prefix(role) + [str(a) for a in argv],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    preexec_fn=_die_with_parent)
        finally:
            log.close()
        self.procs.append(proc)
        return proc

    def kill(self, proc, timeout=5.0):
        """SIGTERM, and SIGKILL after timeout."""
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc in self.procs:
            self.procs.remove(proc)

    def sysctl(self, role, key, value):
        self.run(role, ["sysctl", "-qw", f"{key}={value}"])

    def close(self):
        for proc in list(self.procs):
            self.kill(proc)
        for name in self.ns.values():
            _remove_namespace(name)
        self.ns = {}
        shutil.rmtree(self.tmp, ignore_errors=True)


def wait_until(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


class Lan(Topology):
    """Namespaces a, b and capture on one bridge (in a namespace of its own), 10.77.0.x/24
    with broadcast and a multicast route; with ipv6, also 2001:db8:77::x/64 on each (else
    IPv6 link-local addresses only, as on any LAN)."""

    ROLES = ("a", "b", "capture", "bridge")
    HOSTS = {"a": 1, "b": 2, "capture": 3}
    NET = "10.77.0"

    def __init__(self, ipv6=False):
        self.ipv6 = ipv6
        self.address = {}
        super().__init__()

    def build(self):
        bridge = self.ns["bridge"]
        ip("link", "add", "br0", "type", "bridge", ns=bridge)
        # No IGMP snooping: with no querier on this LAN the bridge's view of group
        # membership would be a guess; flooding delivers multicast to every port.
        ip("link", "set", "br0", "type", "bridge", "mcast_snooping", 0, ns=bridge)
        ip("link", "set", "br0", "up", ns=bridge)
        for role, host in self.HOSTS.items():
            port = f"p{role}"
            ip("link", "add", "eth0", "netns", self.ns[role], "type", "veth", "peer", "name",
               port, "netns", bridge)
            ip("link", "set", port, "master", "br0", ns=bridge)
            ip("link", "set", port, "up", ns=bridge)
            ip("link", "set", "eth0", "up", ns=self.ns[role])
            self.set_address(role, f"{self.NET}.{host}")
            if self.ipv6:
                ip("addr", "add", f"2001:db8:77::{host}/64", "dev", "eth0", "nodad",
                   ns=self.ns[role])

    def set_address(self, role, new):
        """role's IPv4 address becomes `new` (in 10.77.0.0/24): the old one is deleted and
        the new one added, with the multicast route back on the interface."""
        ns = self.ns[role]
        old = self.address.get(role)
        if old:
            ip("addr", "del", f"{old}/24", "dev", "eth0", ns=ns)
        ip("addr", "add", f"{new}/24", "brd", "+", "dev", "eth0", ns=ns)
        ip("route", "replace", "224.0.0.0/4", "dev", "eth0", ns=ns)
        self.address[role] = new

    def multicast_works(self, group="239.255.43.3", port=7434, timeout=3.0):
        """Whether a datagram a sends to group:port (from a socket bound to a's address)
        reaches a socket in b and in capture that joined the group, and one sent to the
        broadcast address reaches them too."""
        receivers = {}
        try:
            for role in ("b", "capture"):
                s = socket_in(self.ns[role], socket.AF_INET, socket.SOCK_DGRAM)
                receivers[role] = s
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", port))
                s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                             socket.inet_aton(group) + socket.inet_aton(self.address[role]))
                s.settimeout(timeout)
            with socket_in(self.ns["a"], socket.AF_INET, socket.SOCK_DGRAM) as tx:
                tx.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                tx.bind((self.address["a"], 0))
                for dest in (group, f"{self.NET}.255"):
                    payload = f"probe to {dest}".encode()
                    tx.sendto(payload, (dest, port))
                    for s in receivers.values():
                        data, source = s.recvfrom(2048)
                        if data != payload or source[0] != self.address["a"]:
                            return False
            return True
        except OSError:
            return False
        finally:
            for s in receivers.values():
                s.close()
