#!/usr/bin/env python3
"""The home router's port mapping (issue 19), in network namespaces (tests/tools/netns.py):
daemon A at home (198.51.100.2) behind a router (198.51.100.1 | 5.6.7.1) that masquerades,
forwards nothing from the internet unless asked, and runs miniupnpd; daemon B on the
internet (5.6.7.2), which has no route to the home network. A asks the router to forward
its port (UPnP-IGD, or NAT-PMP when the router offers only that), B joins A's invite
through the mapping and they exchange messages. Then the router restarts and forgets the
mapping (A makes it again), the router's external address changes (B learns A's new one
over the link), both daemons restart and find each other from their stored addresses, and
a clean stop removes the mapping. A port another device holds on the router gets A
another external port. Over IPv6 (2001:db8:1::/64 at home, routed without NAT), the
router's firewall lets nothing in until A opens a pinhole (UPnP IGD:2), through which B
joins A's invite; A tells B its global IPv6 address, never a deprecated one.

Needs root (network namespaces) and nftables, miniupnpd-nftables, miniupnpc and natpmpc;
without them this test prints SKIPPED loudly, and in CI (CI=true) it fails instead.
"""

import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, invite_addresses, wait_for  # noqa: E402

sys.path.insert(0, os.path.join(harness.ROOT, "tests", "tools"))
import netns  # noqa: E402

TOOLS = ("ip", "nft", "ss", "sysctl", "miniupnpd", "upnpc", "natpmpc")
from home_router import HomeRouter  # noqa: E402
CHECK_MS = 300  # --address-check-ms: how often A rechecks its addresses and its mapping
MAP_TIMEOUT = 20.0 * harness.SLOWDOWN
LINK_TIMEOUT = 30.0 * harness.SLOWDOWN
NEW_EXTERNAL = "5.6.7.3"
NEIGHBOUR = "198.51.100.3"  # another device at home, holding a port on the router
DEPRECATED6 = "2001:db8:1::99"  # an address of A's that is going away (preferred_lft 0)


def with_ipv6(test):
    """Runs `test` in a HomeRouter with IPv6."""
    test.ipv6 = True
    return test


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def mapping(d):
    return d.status().get("port_mapping") or {}


class PortMappingTest(IntegrationTest):

    def setUp(self):
        super().setUp()
        netns.require_root_and_tools(self, TOOLS)
        self.net = HomeRouter(ipv6=getattr(getattr(self, self._testMethodName), "ipv6", False))
        # Registered before any daemon, so it runs after they have stopped.
        self.addCleanup(self.net.close)
        self.router_log = ""
        self.addCleanup(self.keep_router_log)  # runs before net.close

    def keep_router_log(self):
        self.router_log = self.net.miniupnpd_log()

    def run(self, result=None):
        result = result if result is not None else self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        try:
            return super().run(result)
        finally:
            log = getattr(self, "router_log", "")
            if len(result.failures) + len(result.errors) > before and log:
                tail = log.splitlines()[-40:]
                sys.stderr.write(f"\n---- last {len(tail)} lines of miniupnpd's log ----\n"
                                 + "\n".join(tail) + "\n")

    # ---- helpers ---------------------------------------------------------------------

    def home_daemon(self, name="alice", port=None):
        """A daemon at home that maps its port (port-mapping = auto); on `port` if given."""
        d = self.make_daemon(name, start=False, command_prefix=self.net.prefix("home"),
                             listen_host="0.0.0.0")
        d.reach_args = ["--port-mapping", "auto", "--lan-discovery", "off",
                        "--address-check-ms", str(CHECK_MS)]
        if port is not None:
            d.listen_address = f"0.0.0.0:{port}"
        d.start(same_port=port is not None)
        return d

    def internet_daemon(self, name="bob"):
        """A daemon on the internet side, on 5.6.7.2 (no router there: its mapping finds
        none)."""
        d = self.make_daemon(name, start=False, command_prefix=self.net.prefix("internet"),
                             listen_host=HomeRouter.INTERNET)
        d.reach_args = ["--port-mapping", "auto", "--lan-discovery", "off",
                        "--address-check-ms", str(CHECK_MS)]
        d.start()
        return d

    def wait_mapped(self, d, protocol, external_ip, what):
        """Waits until d's status shows its port mapped by `protocol` on external_ip, and
        the router forwards that port to d; returns the status's port_mapping."""
        def mapped():
            status = d.status()
            pm = status.get("port_mapping") or {}
            external = pm.get("external_address", "")
            return pm if (pm.get("state") == "mapped" and external.startswith(external_ip + ":")
                          and external in status.get("own_addresses", [])) else None
        pm = wait_for(mapped, MAP_TIMEOUT, f"{d.name}: {what} (and tells its partner)",
                      interval=0.1)
        self.assertEqual(pm["protocol"], protocol, pm)
        self.assertEqual(pm["internal_address"], f"{HomeRouter.HOME}:{port_of(d.listen_address)}",
                         pm)
        self.assertGreater(int(pm.get("lease_left_seconds", 0)), 0, pm)
        self.assertIn(("TCP", port_of(pm["external_address"]), HomeRouter.HOME,
                       port_of(d.listen_address)), self.net.nft_mappings())
        return pm

    def join(self, a, b, external):
        """b joins a's invite, which names the external address (the only one b reaches);
        waits until both are paired with the link up."""
        code = a.rpc("invite", {})["code"]
        self.assertIn(external, invite_addresses(code))
        self.assertFalse(netns.tcp_connects(self.net.ns["internet"], HomeRouter.HOME,
                                            port_of(a.listen_address), timeout=0.5),
                         "the internet reaches the home network without the mapping")
        b.rpc("join", {"code": code})
        self.wait_link(a, b, "paired with the link up through the mapping")

    def wait_link(self, a, b, what):
        harness.wait_linked(a, b, LINK_TIMEOUT, what)

    def exchange(self, a, b, tag):
        harness.exchange_texts(a, b, tag, LINK_TIMEOUT)

    def assert_mapping_removed(self, d, external_port, upnp=True):
        """d (stopped) left no mapping on the router: none in its nftables chain, nor (with
        UPnP on) in what `upnpc -l` lists."""
        internal = port_of(d.listen_address)
        left = [m for m in self.net.nft_mappings() if m[3] == internal or m[1] == external_port]
        self.assertEqual(left, [], f"{d.name} stopped and its mapping is still on the router")
        if upnp:
            left = [m for m in self.net.upnpc_mappings() if m[3] == internal]
            self.assertEqual(left, [], f"{d.name} stopped and upnpc -l still lists its mapping")

    # ---- the harness itself ------------------------------------------------------------

    def test_the_router_maps_ports_for_upnpc_and_natpmpc(self):
        """The topology, before any daemon: miniupnpd maps for upnpc and natpmpc, and only
        a mapping lets the internet reach a server at home."""
        self.net.start_miniupnpd()
        internet = self.net.ns["internet"]
        server = netns.socket_in(self.net.ns["home"])
        self.addCleanup(server.close)
        server.bind(("0.0.0.0", 0))
        server.listen()
        port = server.getsockname()[1]
        self.assertFalse(netns.tcp_connects(internet, HomeRouter.HOME, port, timeout=0.5))
        self.assertFalse(netns.tcp_connects(internet, HomeRouter.ROUTER_WAN, port, timeout=0.5))
        self.net.run("home", ["upnpc", "-e", "check", "-a", HomeRouter.HOME, port, port, "TCP"])
        self.assertIn(("TCP", port, HomeRouter.HOME, port), self.net.nft_mappings())
        self.assertTrue(netns.tcp_connects(internet, HomeRouter.ROUTER_WAN, port))
        self.net.restart_miniupnpd_forgetting(upnp=False)
        self.assertEqual(self.net.nft_mappings(), [])
        self.assertFalse(netns.tcp_connects(internet, HomeRouter.ROUTER_WAN, port, timeout=0.5))
        out = self.net.run("home", ["natpmpc", "-a", port, port, "tcp", "60"]).stdout
        self.assertIn(f"Mapped public port {port} protocol TCP to local port {port}", out)
        self.net.change_external_address(NEW_EXTERNAL)
        self.assertIn(f"Public IP address : {NEW_EXTERNAL}",
                      self.net.run("home", ["natpmpc"]).stdout)
        self.assertTrue(netns.tcp_connects(internet, NEW_EXTERNAL, port))

    # ---- the daemons -------------------------------------------------------------------

    def test_upnp_mapping_through_router_restart_address_change_and_full_restart(self):
        self.net.start_miniupnpd()
        a = self.home_daemon()
        pm = self.wait_mapped(a, "UPnP-IGD", HomeRouter.ROUTER_WAN, "maps its port by UPnP")
        external_port = port_of(pm["external_address"])
        self.assertEqual(external_port, port_of(a.listen_address),
                         "a free port is mapped to the same external port")
        b = self.internet_daemon()
        self.join(a, b, pm["external_address"])
        self.exchange(a, b, "through the UPnP mapping")

        # The router restarts and forgets every mapping: A maps its port again, and a new
        # connection from the internet reaches it.
        self.net.restart_miniupnpd_forgetting()
        wait_for(lambda: [m for m in self.net.nft_mappings()
                          if m[2:] == (HomeRouter.HOME, port_of(a.listen_address))],
                 MAP_TIMEOUT, "alice maps its port again after the router forgot it",
                 interval=0.1)
        pm = self.wait_mapped(a, "UPnP-IGD", HomeRouter.ROUTER_WAN, "mapped again")
        self.assertTrue(netns.tcp_connects(self.net.ns["internet"], HomeRouter.ROUTER_WAN,
                                           port_of(pm["external_address"])),
                        "a new connection through the renewed mapping")

        # The router's external address changes: A notices it and tells B over the link
        # (A reaches B on 5.6.7.2 whenever B cannot reach A).
        self.net.change_external_address(NEW_EXTERNAL)
        pm = self.wait_mapped(a, "UPnP-IGD", NEW_EXTERNAL, "sees the new external address")
        new_address = pm["external_address"]
        wait_for(lambda: new_address in b.status()["partner_addresses"], LINK_TIMEOUT,
                 f"bob learns alice's new address {new_address} over the link", interval=0.1)
        self.wait_link(a, b, "linked again after the address change")
        self.exchange(a, b, "after the external address changed")

        # Both stop; A's clean stop removes its mapping. Started again on the same ports,
        # they find each other from the addresses they stored.
        b.stop()
        a.stop()
        self.assert_mapping_removed(a, port_of(pm["external_address"]))
        a.start(same_port=True)
        b.start(same_port=True)
        self.wait_mapped(a, "UPnP-IGD", NEW_EXTERNAL, "maps its port after its restart")
        self.wait_link(a, b, "linked from stored addresses after both restarted")
        self.exchange(a, b, "after both daemons restarted")

        # B's side has no router: its status says so, with a reason.
        pm_b = wait_for(lambda: mapping(b).get("state") == "none" and mapping(b), MAP_TIMEOUT,
                        "bob: no router found")
        self.assertTrue(pm_b.get("reason"), pm_b)
        self.assertFalse(pm_b.get("external_address"), pm_b)

    def test_nat_pmp_only(self):
        self.net.start_miniupnpd(upnp=False)
        a = self.home_daemon()
        pm = self.wait_mapped(a, "NAT-PMP", HomeRouter.ROUTER_WAN, "maps its port by NAT-PMP")
        b = self.internet_daemon()
        self.join(a, b, pm["external_address"])
        self.exchange(a, b, "through the NAT-PMP mapping")
        a.stop()
        self.assert_mapping_removed(a, port_of(pm["external_address"]), upnp=False)

    def test_a_port_taken_on_the_router_gets_another(self):
        # Another device at home holds A's listen port as its external port. (The router
        # runs without secure mode so that upnpc at home may map for that device: in
        # secure mode a mapping from A's own address would simply be replaced.)
        self.net.start_miniupnpd(secure=False)
        port = harness.free_port()
        self.net.run("home", ["upnpc", "-e", "other device", "-a", NEIGHBOUR, port, port, "TCP"])
        taken = ("TCP", port, NEIGHBOUR, port)
        self.assertIn(taken, self.net.nft_mappings())
        a = self.home_daemon(port=port)
        pm = self.wait_mapped(a, "UPnP-IGD", HomeRouter.ROUTER_WAN, "maps another port")
        self.assertNotEqual(port_of(pm["external_address"]), port, pm)
        self.assertIn(taken, self.net.nft_mappings(), "the other device's mapping stays")
        b = self.internet_daemon()
        self.join(a, b, pm["external_address"])
        self.exchange(a, b, "through another external port")
        a.stop()
        self.assertEqual([m for m in self.net.nft_mappings() if m[2] == HomeRouter.HOME], [],
                         "alice stopped and its mapping is still on the router")
        self.assertIn(taken, self.net.nft_mappings(), "a clean stop removes only its own")

    @with_ipv6
    def test_ipv6_pinhole(self):
        """A listens on [::]; the router maps no IPv4 port for it, so B on the internet can
        reach it only over IPv6, through the pinhole A opened; a clean stop closes it."""
        self.net.start_miniupnpd(ipv4_mappings=False)
        home, internet = self.net.ns["home"], self.net.ns["internet"]
        netns.ip("-6", "addr", "add", f"{DEPRECATED6}/64", "dev", "eth0", "preferred_lft", 0,
                 "nodad", ns=home)
        a = self.make_daemon("alice", start=False, command_prefix=self.net.prefix("home"),
                             listen_host="[::]")
        a.reach_args = ["--port-mapping", "auto", "--lan-discovery", "off",
                        "--address-check-ms", str(CHECK_MS)]
        a.start()
        port = port_of(a.listen_address)
        global6 = f"[{HomeRouter.HOME6}]:{port}"
        self.assertFalse(netns.tcp_connects(internet, HomeRouter.HOME6, port, timeout=0.5),
                         "the router lets the internet in before any pinhole")

        pm = wait_for(lambda: mapping(a).get("ipv6_pinholes") and mapping(a), MAP_TIMEOUT,
                      "alice opens an IPv6 pinhole", interval=0.1)
        self.assertEqual(pm["ipv6_pinholes"], [global6], pm)
        self.assertEqual(pm["state"], "none", "the router maps no IPv4 port here")
        self.assertEqual(self.net.nft_pinholes(), [(HomeRouter.HOME6, port)])
        own = wait_for(lambda: global6 in a.status()["own_addresses"] and
                       a.status()["own_addresses"], MAP_TIMEOUT, "alice tells its global IPv6")
        self.assertNotIn(f"[{DEPRECATED6}]:{port}", own, "a deprecated address is told")
        self.assertTrue(netns.tcp_connects(internet, HomeRouter.HOME6, port),
                        "through the pinhole")
        self.assertFalse(netns.tcp_connects(internet, DEPRECATED6, port, timeout=0.5),
                         "the pinhole lets in to the global address only")

        b = self.internet_daemon()
        code = a.rpc("invite", {})["code"]
        self.assertIn(global6, invite_addresses(code))
        self.assertNotIn(f"[{DEPRECATED6}]:{port}", invite_addresses(code))
        b.rpc("join", {"code": code})
        self.wait_link(a, b, "paired with the link up over IPv6 through the pinhole")
        self.exchange(a, b, "over IPv6")

        a.stop()
        self.assertEqual(self.net.nft_pinholes(), [], "alice stopped and its pinhole stays")
        self.assertIn(f"closed the IPv6 pinhole {global6}", a.log_text())


if __name__ == "__main__":
    harness.main()
