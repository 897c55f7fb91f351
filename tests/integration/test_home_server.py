#!/usr/bin/env python3
"""A daemon kept on a home server: several addresses per partner, tried in order with
the last that worked first (`inmost partner addresses`); SIGHUP re-reading the config
file, applying what can change and naming what needs a restart; and the CLI used
from elsewhere through a forwarded control socket (as `ssh -L` does).
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, RpcError, pair, wait_for

ARRIVE = 20.0
ONION = "a" * 56 + ".onion:7433"



class SocketForwarder:
    """Relays every connection on a Unix socket at `path` to the one at `target`:
    what `ssh -L /local.sock:/remote/control.sock` does between two machines."""

    def __init__(self, path, target):
        self.target = target
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(4)
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=harness.relay, args=(a, b), daemon=True).start()

    def close(self):
        self.listener.close()


class HomeServerTest(IntegrationTest):

    def addresses(self, d, **edits):
        return d.rpc("partner_addresses", edits)["addresses"]

    def test_partner_addresses_are_shown_edited_and_the_last_working_goes_first(self):
        alice, bob = self.make_daemon("alice"), self.make_daemon("bob")
        pair(alice, bob)
        bob_address = bob.listen_address
        self.assertEqual(self.addresses(alice), [bob_address])
        dead = f"127.0.0.1:{harness.free_port()}"  # nothing listens there
        self.assertEqual(self.addresses(alice, add=[dead, ONION]), [dead, ONION, bob_address])
        shown = alice.cli("partner", "addresses")
        self.assertExit(shown, 0, "inmost partner addresses")
        self.assertIn(ONION, shown.stdout)
        # Bob goes away; when he is back only alice's dialing can bring the link up
        # (bob's idea of her address is made useless), trying her list in order, and
        # the address that worked moves to the front (and is saved).
        self.addresses(bob, set=[f"127.0.0.1:{harness.free_port()}"])
        bob.stop()
        wait_for(lambda: not alice.status()["link_up"], ARRIVE, "the link down")
        bob.start(same_port=True)
        wait_for(lambda: alice.status()["link_up"], ARRIVE, "the link back")
        wait_for(lambda: self.addresses(alice)[0] == bob_address, ARRIVE,
                 "the working address first")
        alice.stop()
        alice.start(same_port=True)
        self.assertEqual(self.addresses(alice)[0], bob_address, "the order was not saved")
        self.assertIn(dead, self.addresses(alice))
        # Removing and replacing; bad input refused with nothing changed.
        self.assertNotIn(dead, self.addresses(alice, remove=[dead]))
        before = self.addresses(alice)
        for bad in ({"add": ["no-port"]}, {"set": ["[::]:7433"]}, {"remove": before},
                    {"set": [f"10.0.0.{i}:7433" for i in range(9)]}):
            with self.assertRaises(RpcError, msg=str(bad)) as cm:
                alice.rpc("partner_addresses", bad)
            self.assertEqual(cm.exception.code_name, "invalid_argument", str(bad))
        self.assertEqual(self.addresses(alice), before)
        self.assertEqual(self.addresses(alice, set=[bob_address]), [bob_address])

    def test_partner_addresses_need_a_partner(self):
        alone = self.make_daemon("alone")
        with self.assertRaises(RpcError) as cm:
            alone.rpc("partner_addresses", {})
        self.assertEqual(cm.exception.code_name, "failed_precondition")

    def test_sighup_applies_new_addresses_and_names_what_needs_a_restart(self):
        alice = self.make_daemon("alice", start=False)
        bob = self.make_daemon("bob")
        port = harness.free_port()
        config = os.path.join(alice.tmp, "inmostd.conf")
        with open(config, "w") as f:
            f.write(f"advertise = 127.0.0.1:{port}\n")
        alice.listen_address = f"127.0.0.1:{port}"
        alice.start(same_port=True, extra_args=["--config", config])
        pair(bob, alice)
        wait_for(lambda: self.addresses(bob) == [f"127.0.0.1:{port}"], ARRIVE,
                 "bob knows alice's address")
        with open(config, "w") as f:
            f.write(f"advertise = localhost:{port}\nadvertise = 127.0.0.1:{port}\n"
                    "rehandshake-s = 600\nquiet-hours = 03:00-03:01\n")
        alice.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "rehandshake-s changed; it takes effect when inmostd restarts"
                 in alice.log_text(), ARRIVE, "the restart note")
        wait_for(lambda: f"localhost:{port}" in self.addresses(bob), ARRIVE,
                 "bob is told the new address at once")
        quiet = alice.rpc("config", {"key": "quiet-hours"})["settings"][0]["value"]
        self.assertEqual(quiet, "03:00-03:01", "the config file's quiet hours")
        # A broken config file is refused; the daemon keeps serving as it was.
        with open(config, "w") as f:
            f.write("no-such-option = 1\n")
        alice.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "the running settings stay" in alice.log_text(), ARRIVE,
                 "the refusal")
        self.assertTrue(alice.running())
        self.assertTrue(alice.status()["link_up"])

    def test_the_sample_config_file_holds_every_option_and_runs(self):
        sample = os.path.join(harness.ROOT, "scripts", "inmostd.conf")
        with open(sample) as f:
            text = f.read()
        usage = subprocess.run([harness.INMOSTD, "--help"], capture_output=True, text=True,
                               timeout=20).stdout
        run_section = usage[usage.index("Options for run"):]
        options = set(re.findall(r"^  --([a-z-]+)", run_section, re.MULTILINE)) - {"config"}
        self.assertGreater(len(options), 5, run_section)
        missing = [o for o in options if not re.search(rf"^#? ?{o} = ", text, re.MULTILINE)]
        self.assertEqual(missing, [], "options the sample config file does not document")
        d = self.make_daemon("configured", start=False)
        d.start(extra_args=["--config", sample])  # the harness's --listen wins
        self.assertTrue(d.status()["listen_address"])

    def test_the_cli_works_through_a_forwarded_socket(self):
        server = self.make_daemon("server")
        laptop_socket = os.path.join(server.tmp, "forwarded.sock")
        forwarder = SocketForwarder(laptop_socket, server.socket_path)
        self.addCleanup(forwarder.close)
        # Only --socket: the laptop has no data directory of the server's.
        r = subprocess.run([harness.INMOST, "--socket", laptop_socket, "status"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(server.status()["fingerprint"], r.stdout)
        self.assertGreaterEqual(forwarder.connections, 1, "the CLI did not use the forward")


if __name__ == "__main__":
    harness.main()
