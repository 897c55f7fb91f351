"""The home router of inmost's port-mapping tests (issue 19), in network namespaces
(netns.py): home behind a NAT router running miniupnpd (UPnP-IGD and NAT-PMP), and
the internet beyond it. Needs root, nftables, miniupnpd-nftables, miniupnpc and natpmpc
(scripts/setup installs them).
"""

import ipaddress
import os
import re

from netns import Topology, ip, wait_until


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
        """A router restart: miniupnpd stops, every mapping is gone, miniupnpd starts.
        Checked while miniupnpd is down: once it is up, a daemon may map again at once."""
        self.stop_miniupnpd()
        self.flush_mappings()
        left = self.nft_mappings()
        if left:
            raise AssertionError(f"the router still forwards {left} after forgetting")
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

