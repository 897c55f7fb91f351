#!/usr/bin/env python3
"""A real tor that reaches no network (issue 18): its one directory authority is a dead
port on 127.0.0.1, so it opens its SOCKS and control ports and makes the onion key, and
never publishes. On it: an onion key in the store that is damaged is said, once, and
never replaced; and an invite made while the onion is not published waits for it (30 s)
and then says what it holds.

Without tor this test prints SKIPPED loudly; in CI (CI=true) it fails instead.
"""

import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, store_probe, wait_for  # noqa: E402
from test_tor_faults import (WARN_TOR, TorFaultsTest, statuses_for_a_while,  # noqa: E402
                             tor_status)

# A launched tor answers on its control port and takes the onion key within seconds.
LAUNCH_DEADLINE = 60.0 * harness.SLOWDOWN
ONION_KEY_RECORD = "tor/onion_service_key"  # kOnionKeyRecord in daemon/stored_onion_key.cc.
# DamagedKey in daemon/tor/onion_host.cc, after the store's own reason.
DAMAGED_KEY = (
    "the onion service's key in the store is damaged (stored record 'tor/onion_service_key' "
    "fails authentication: the store is damaged or was tampered with): no onion service, so "
    "your partner cannot reach this daemon through Tor (direct addresses still work). No new "
    "key is made, as it would change the .onion address your partner knows: restore a backup "
    "of this data directory (inmostd restore) to get the key back")
# Daemon::InviteAddressesOnceOnionIsOut: how long an invite waits for the onion, and
# what it says when the onion is made (the key) but not published.
INVITE_WAIT = 30.0
UNPUBLISHED_NOTE = (
    "inmost: Tor has not published this daemon's onion service within 30 s: the invite holds "
    "its onion address, which reaches you once `inmost status` shows it published; until then "
    "your partner can join only through the direct addresses in it\n")


class TorOfflineTest(IntegrationTest):
    wait_tor_state = TorFaultsTest.wait_tor_state
    assert_exchanges_messages = TorFaultsTest.assert_exchanges_messages

    def setUp(self):
        super().setUp()
        harness.require_tor(self)
        self.scratch = tempfile.mkdtemp(prefix="inmost-it-toroffline-")
        self.addCleanup(shutil.rmtree, self.scratch, True)
        self.torrc = os.path.join(self.scratch, "offline.torrc")
        with open(self.torrc, "w") as f:
            # One directory authority, on a loopback port where nothing listens: tor opens
            # its SOCKS port and makes the key (locally), and reaches nothing. (With
            # DisableNetwork it would open no SOCKS port, which the daemon needs.)
            f.write("DirAuthority nowhere orport=9 no-v2 v3ident=" + "0" * 40 + " 127.0.0.1:9 "
                    + " ".join(["0000"] * 10) + "\nUseDefaultFallbackDirs 0\n")

    def offline_daemon(self, name, extra_args=None):
        d = self.make_daemon(name, start=False)
        d.tor_args = ["--tor", "launch", "--tor-torrc", self.torrc]
        d.start(extra_args=extra_args)
        return d

    def test_damaged_onion_key_is_said_and_never_replaced(self):
        d = self.offline_daemon("damaged")
        onion = wait_for(lambda: tor_status(d)["onion_address"], LAUNCH_DEADLINE,
                         "damaged: tor made the onion key")
        d.stop()
        store_probe("damage-record", d.data_dir, ONION_KEY_RECORD)

        d.start()
        tor = self.wait_tor_state(d, "failed", "the onion key does not open")
        self.assertEqual(tor["detail"], DAMAGED_KEY)
        self.assertEqual(tor["source"], "launched")
        self.assertEqual(tor["onion_address"], "")
        self.assertFalse(tor["published"])
        # Failed for good on this run: said once, and not flipped back by Tor's events.
        answers = statuses_for_a_while(d)
        self.assertTrue(all(a == tor for a in answers), answers)
        second_run = d.log_text().split("--- harness: start #2")[1]
        self.assertEqual(WARN_TOR.findall(second_run), [DAMAGED_KEY])
        self.assertNotIn("made the onion service's key", second_run)
        # Its direct paths serve: it pairs, and messages go both ways.
        self.assert_exchanges_messages(d)

        # The damaged record is the old key, not a new one in its place: undoing the
        # damage brings back the same .onion address.
        d.stop()
        store_probe("damage-record", d.data_dir, ONION_KEY_RECORD)
        d.start()
        self.assertEqual(wait_for(lambda: tor_status(d)["onion_address"], LAUNCH_DEADLINE,
                                  "damaged: the old key serves again"), onion)

    def test_an_invite_waits_for_the_onion_then_says_what_it_holds(self):
        direct = f"127.0.0.1:{harness.free_port()}"
        d = self.offline_daemon("inviter", extra_args=["--advertise", direct])
        onion = wait_for(lambda: tor_status(d)["onion_address"], LAUNCH_DEADLINE,
                         "inviter: tor made the onion key")
        began = time.monotonic()
        r = d.cli("invite", timeout=INVITE_WAIT + 60)
        waited = time.monotonic() - began
        self.assertEqual(r.returncode, 0, r)
        self.assertGreaterEqual(waited, INVITE_WAIT, "the invite did not wait for the onion")
        self.assertEqual(r.stderr, UNPUBLISHED_NOTE)
        code = r.stdout.split("inmost join ")[1].split()[0]
        self.assertEqual(harness.invite_addresses(code), [direct, onion])
        self.assertTrue(d.running())


if __name__ == "__main__":
    harness.main()
