#!/usr/bin/env python3
"""The daemon's Tor controller (daemon/tor/) against a real tor, on a private Tor network
on 127.0.0.1 with no internet (tests/tools/tor_privnet.py): a client tor joins the
network, and inmost_tor_probe, built on TorController, authenticates with SAFECOOKIE,
COOKIE and a password that needs quoting, waits for bootstrap, adds an onion service
with a new key, re-adds it with the same key (the same address), sees its descriptor
uploaded both times (HS_DESC UPLOADED), and finds it was not detached.

One network, brought up once (about 20 s; keys cached under the build directory).
Without tor this test prints SKIPPED loudly; in CI (CI=true) it fails instead, since
scripts/setup installs tor there.
"""

import os
import socket
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402

sys.path.insert(0, os.path.join(harness.ROOT, "tests", "tools"))
import tor_privnet  # noqa: E402

PROBE = os.path.join(harness.BIN_DIR, "tests", "tools", "inmost_tor_probe")
KEY_CACHE = os.environ.get("INMOST_TOR_KEY_CACHE") or os.path.join(harness.BIN_DIR, "tor-keys")
# A quote, a backslash, a space and a non-ASCII letter: the quoting must hold for tor.
PASSWORD = 'p"a\\ss w\u00f6rd'
PROBE_TIMEOUT_S = 90


def harness_ports(count):
    """Ports claimed through the integration harness, so no daemon of another test
    takes one while the network starts."""
    return [harness.free_port() for _ in range(count)]


def hashed_password(password):
    r = subprocess.run(["tor", "--quiet", "--hash-password", password], capture_output=True,
                       text=True, timeout=60)
    lines = [line for line in r.stdout.splitlines() if line.startswith("16:")]
    if r.returncode != 0 or not lines:
        raise AssertionError(f"tor --hash-password failed: {r.stdout}{r.stderr}")
    return lines[-1]


class TorControllerTest(unittest.TestCase):

    def setUp(self):
        harness.require_tor(self)
        if not os.access(PROBE, os.X_OK):
            self.fail(f"{PROBE} is missing; build first or set INMOST_BIN_DIR")

    def test_controller_against_a_private_tor_network(self):
        began = time.monotonic()
        # Where the onion port leads: a listener nobody dials here.
        target = socket.socket()
        self.addCleanup(target.close)
        target.bind(("127.0.0.1", 0))
        target.listen()
        password_line = f"HashedControlPassword {hashed_password(PASSWORD)}"

        with tor_privnet.PrivateTorNetwork(key_cache=KEY_CACHE, port_picker=harness_ports) as net:
            net.start()
            network_ready = time.monotonic() - began
            client = net.start_client("client", [password_line])
            r = subprocess.run(
                [PROBE, "--control", client.control_address, "--target",
                 f"127.0.0.1:{target.getsockname()[1]}", "--password-env", "INMOST_TOR_PASSWORD",
                 "--timeout-s", str(PROBE_TIMEOUT_S)],
                env=dict(os.environ, INMOST_TOR_PASSWORD=PASSWORD), capture_output=True,
                text=True, timeout=4 * PROBE_TIMEOUT_S)
            output = r.stdout + r.stderr
            sys.stderr.write(output)
            self.assertEqual(r.returncode, 0,
                             f"inmost_tor_probe failed:\n{output}\nclient tor's log:\n"
                             + client.log_tail(40))

        for step in ("authenticated SAFECOOKIE", "authenticated COOKIE",
                     "authenticated HASHEDPASSWORD", "bootstrap 100%", "same service ",
                     "uploaded again ", "not detached; re-added on a new connection as "):
            self.assertIn(step, output)
        service = [line.split()[1] for line in output.splitlines() if line.startswith("service ")]
        self.assertEqual(len(service), 1, output)
        self.assertIn(f"same service {service[0]}", output)
        self.assertIn(f"re-added on a new connection as {service[0]}", output)
        sys.stderr.write(f"tor controller test: network ready after {network_ready:.1f} s, "
                         f"all done after {time.monotonic() - began:.1f} s\n")


if __name__ == "__main__":
    harness.main()
