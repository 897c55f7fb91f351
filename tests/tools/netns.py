"""Isolated network namespaces for inmost's tests (issue 19). Python 3 standard library
only; needs root and iproute2 (and for HomeRouter nftables, miniupnpd-nftables, miniupnpc
and natpmpc: scripts/setup installs them).

    with HomeRouter() as net:             # home -- router (NAT, miniupnpd) -- internet
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


class HomeRouter(Topology):
    """home (198.51.100.2) -- router (198.51.100.1 | 5.6.7.1, NAT and miniupnpd) --
    internet (5.6.7.2). The router masquerades home's traffic and forwards nothing from the
    internet unless miniupnpd mapped it; the internet has no route to home. miniupnpd
    refuses private addresses on its external side, hence the public-looking ones.

    With ipv6, also home 2001:db8:1::2/64 -- router 2001:db8:1::1 | 2001:db8:2::1 --
    internet 2001:db8:2::2/64, routed without NAT (the internet has a route to home's
    prefix), where the same default-drop forward chain lets nothing in but what miniupnpd
    opened (IGD:2 pinholes, in its chain "miniupnpd"); duplicate address detection is
    off, so every address is usable at once."""

    ROLES = ("home", "router", "internet")
    HOME = "198.51.100.2"
    ROUTER_LAN = "198.51.100.1"
    ROUTER_WAN = "5.6.7.1"
    INTERNET = "5.6.7.2"
    HOME6 = "2001:db8:1::2"
    ROUTER_LAN6 = "2001:db8:1::1"
    ROUTER_WAN6 = "2001:db8:2::1"
    INTERNET6 = "2001:db8:2::2"
    LAN_IF, WAN_IF = "rlan", "rwan"
    MINIUPNPD_CHAINS = ("miniupnpd", "prerouting_miniupnpd", "postrouting_miniupnpd")
    READY_TIMEOUT = 15.0

    def __init__(self, ipv6=False):
        self.ipv6 = ipv6
        super().__init__()

    def build(self):
        home, router, internet = (self.ns[r] for r in self.ROLES)
        if self.ipv6:
            for role in self.ROLES:  # before the links exist, so that they inherit it
                self.sysctl(role, "net.ipv6.conf.default.accept_dad", 0)
                self.sysctl(role, "net.ipv6.conf.all.accept_dad", 0)
        ip("link", "add", "eth0", "netns", home, "type", "veth", "peer", "name", self.LAN_IF,
           "netns", router)
        ip("link", "add", "eth0", "netns", internet, "type", "veth", "peer", "name",
           self.WAN_IF, "netns", router)
        ip("addr", "add", f"{self.HOME}/24", "dev", "eth0", ns=home)
        ip("addr", "add", f"{self.ROUTER_LAN}/24", "dev", self.LAN_IF, ns=router)
        ip("addr", "add", f"{self.ROUTER_WAN}/24", "dev", self.WAN_IF, ns=router)
        ip("addr", "add", f"{self.INTERNET}/24", "dev", "eth0", ns=internet)
        for ns, dev in ((home, "eth0"), (router, self.LAN_IF), (router, self.WAN_IF),
                        (internet, "eth0")):
            ip("link", "set", dev, "up", ns=ns)
        ip("route", "add", "default", "via", self.ROUTER_LAN, ns=home)
        if self.ipv6:
            for ns, dev, address in ((home, "eth0", self.HOME6),
                                     (router, self.LAN_IF, self.ROUTER_LAN6),
                                     (router, self.WAN_IF, self.ROUTER_WAN6),
                                     (internet, "eth0", self.INTERNET6)):
                ip("-6", "addr", "add", f"{address}/64", "dev", dev, "nodad", ns=ns)
            ip("-6", "route", "add", "default", "via", self.ROUTER_LAN6, ns=home)
            ip("-6", "route", "add", "2001:db8:1::/64", "via", self.ROUTER_WAN6, ns=internet)
            self.sysctl("router", "net.ipv6.conf.all.forwarding", 1)
        self.external = self.ROUTER_WAN
        self.sysctl("router", "net.ipv4.ip_forward", 1)
        # Deleting an interface's primary address deletes its secondaries on the same
        # subnet too, unless they are promoted (change_external_address relies on it).
        self.sysctl("router", f"net.ipv4.conf.{self.WAN_IF}.promote_secondaries", 1)
        self.run("router", ["nft", "-f", "-"], input=f"""table inet filter {{
  chain forward {{ type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "{self.LAN_IF}" oifname "{self.WAN_IF}" accept
    jump miniupnpd; }}
  chain miniupnpd {{ }}
  chain prerouting {{ type nat hook prerouting priority -100; policy accept;
    jump prerouting_miniupnpd; }}
  chain postrouting {{ type nat hook postrouting priority 100; policy accept;
    jump postrouting_miniupnpd
    oifname "{self.WAN_IF}" meta nfproto ipv4 masquerade; }}
  chain prerouting_miniupnpd {{ }}
  chain postrouting_miniupnpd {{ }}
}}
""")
        self.miniupnpd = None

    def start_miniupnpd(self, upnp=True, natpmp=True, secure=True, ipv4_mappings=True):
        """Starts miniupnpd in the router and waits until it listens (SSDP/HTTP port 5000
        for UPnP, UDP 5351 for NAT-PMP). Without ipv4_mappings it refuses every IPv4 port
        mapping (IPv6 pinholes have no such rules)."""
        assert self.miniupnpd is None, "miniupnpd already runs"
        conf = os.path.join(self.tmp, "miniupnpd.conf")
        with open(conf, "w") as f:
            f.write(f"ext_ifname={self.WAN_IF}\nlistening_ip={self.LAN_IF}\nport=5000\n"
                    f"enable_natpmp={'yes' if natpmp else 'no'}\n"
                    f"enable_upnp={'yes' if upnp else 'no'}\n"
                    f"secure_mode={'yes' if secure else 'no'}\nsystem_uptime=yes\n"
                    "uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b\n")
            if self.ipv6:
                # SSDP and HTTP on rlan's IPv6 addresses too (not ipv6_listening_ip: it
                # binds both to one unicast address, where SSDP's multicast never arrives
                # and IPv4 HTTP is refused), and the IGD:2 description, which offers
                # WANIPv6FirewallControl.
                f.write(f"ext_ifname6={self.WAN_IF}\nforce_igd_desc_v1=no\n")
            if ipv4_mappings:
                f.write("allow 1024-65535 198.51.100.0/24 1024-65535\n")
            f.write("deny 0-65535 0.0.0.0/0 0-65535\n")
        # -d: in the foreground, logging to stderr; -P: its own pid file, as the default
        # one (/var/run/miniupnpd.pid) makes a second miniupnpd refuse to start.
        self.miniupnpd = self.spawn("router", ["miniupnpd", "-f", conf, "-d", "-P",
                                               os.path.join(self.tmp, "miniupnpd.pid")],
                                    "miniupnpd.log")
        wanted = ([("-t", 5000)] if upnp else []) + ([("-u", 5351)] if natpmp else [])

        def listening():
            if self.miniupnpd.poll() is not None:
                raise AssertionError(f"miniupnpd exited {self.miniupnpd.returncode}:\n"
                                     + self.miniupnpd_log())
            for flag, port in wanted:
                out = self.run("router", ["ss", "-Hln", flag, f"sport = :{port}"]).stdout
                if not out.strip():
                    return False
            return True
        wait_until(listening, self.READY_TIMEOUT, "miniupnpd to listen")

    def stop_miniupnpd(self):
        if self.miniupnpd is not None:
            self.kill(self.miniupnpd)
            self.miniupnpd = None

    def flush_mappings(self):
        """Empties the chains where miniupnpd keeps its mappings."""
        for chain in self.MINIUPNPD_CHAINS:
            self.run("router", ["nft", "flush", "chain", "inet", "filter", chain])

    def restart_miniupnpd_forgetting(self, upnp=True, natpmp=True):
        """A router restart: miniupnpd stops, every mapping is gone, miniupnpd starts."""
        self.stop_miniupnpd()
        self.flush_mappings()
        self.start_miniupnpd(upnp=upnp, natpmp=natpmp)

    def change_external_address(self, new):
        """The router's external address becomes `new` (on the same /24). miniupnpd reads
        the interface's address at each request; conntrack's masqueraded connections
        through the old address are dropped with it, and the internet forgets where the old
        address was (its neighbour cache), as when a real ISP hands out a new address."""
        ip("addr", "add", f"{new}/24", "dev", self.WAN_IF, ns=self.ns["router"])
        ip("addr", "del", f"{self.external}/24", "dev", self.WAN_IF, ns=self.ns["router"])
        ip("neigh", "flush", "all", ns=self.ns["internet"])
        self.external = new

    def miniupnpd_log(self):
        try:
            with open(os.path.join(self.tmp, "miniupnpd.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def nft_mappings(self):
        """The router's DNAT rules for mappings: a list of (protocol, external port,
        internal address, internal port)."""
        out = self.run("router", ["nft", "list", "chain", "inet", "filter",
                                  "prerouting_miniupnpd"]).stdout
        protocols = {"0x6": "TCP", "0x11": "UDP"}
        return [(protocols.get(m.group(1), m.group(1)), int(m.group(2)), m.group(3),
                 int(m.group(4))) for m in
                re.finditer(r"@nh,72,8 (0x[0-9a-f]+) th dport (\d+) dnat ip to ([\d.]+):(\d+)",
                            out)]

    def nft_pinholes(self):
        """The router's IPv6 pinholes: a list of (internal IPv6 address, port) for the TCP
        ones in miniupnpd's forward chain."""
        out = self.run("router", ["nft", "list", "chain", "inet", "filter", "miniupnpd"]).stdout
        return [(str(ipaddress.IPv6Address(int(m.group(2), 16))), int(m.group(1))) for m in
                re.finditer(r"th dport (\d+) @nh,192,128 (0x[0-9a-f]+) .*@nh,48,8 0x6 accept",
                            out)]

    def upnpc_mappings(self):
        """The mappings `upnpc -l` lists from home: (protocol, external port, internal
        address, internal port, description)."""
        out = self.run("home", ["upnpc", "-l"]).stdout
        return [(m.group(1), int(m.group(2)), m.group(3), int(m.group(4)), m.group(5)) for m in
                re.finditer(r"^\s*\d+\s+(TCP|UDP)\s+(\d+)->([\d.]+):(\d+)\s+'([^']*)'", out,
                            re.M)]


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
