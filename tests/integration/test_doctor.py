#!/usr/bin/env python3
"""`inmost doctor` (issue 25, item 4) against real daemons: a healthy pair says ok
for every check it can make; a stopped daemon, a partner gone and a clock five
minutes off (the test-only clock offset) are each named in one line with what to
do, with exit code 3, 4 and 4; a data directory opened to others fails its check;
--json gives the same checks as one object.
"""

import json
import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, clock_offset_env, pair, wait_for  # noqa: E402

DEADLINE = 30.0  # seconds for a link to come up or a dial to fail
SKEW_MS = 5 * 60 * 1000


def lines_of(result):
    """{check: (state, finding line, advice line or "")} from doctor's text output."""
    checks = {}
    lines = result.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(" "):
            continue
        state, rest = line.split(None, 1)
        check, finding = rest.split(": ", 1)
        advice = ""
        if i + 1 < len(lines) and lines[i + 1].strip().startswith("what to do: "):
            advice = lines[i + 1].strip()[len("what to do: "):]
        checks[check] = (state, finding, advice)
    return checks


class DoctorTest(IntegrationTest):

    def doctor(self, daemon, *args):
        return daemon.cli("doctor", *args)

    def test_healthy_pair(self):
        alice, bob = self.pair_up()
        # The clocks are compared at link up; pairing brings the first one.
        checks = wait_for(lambda: (lambda c: c if c["clock"][0] == "ok" else None)(
            lines_of(self.doctor(alice))), DEADLINE, "the clocks to be compared")
        r = self.doctor(alice)
        for check in ("daemon", "data dir", "clock", "partner", "versions"):
            self.assertEqual(checks[check][0], "ok", f"{check}: {r.stdout}")
        for check in ("tor", "port mapping"):
            self.assertEqual(checks[check][0], "skipped", f"{check} is off here: {r.stdout}")
        self.assertIn(checks["disk"][0], ("ok", "warn"), r.stdout)
        self.assertEqual(r.returncode, 0 if checks["disk"][0] == "ok" else 4, r.stdout + r.stderr)
        self.assertIn("your partner's inmostd", checks["versions"][1])
        self.assertIn("link up", checks["partner"][1])
        self.assertEqual(r.stderr, "")

        j = alice.cli("doctor", json_output=True)
        report = json.loads(j.stdout)
        self.assertEqual([c["check"] for c in report["checks"]],
                         ["daemon", "data dir", "clock", "partner", "tor", "port mapping",
                          "disk", "versions"])
        self.assertEqual({c["check"]: c["state"] for c in report["checks"]}["partner"], "ok")

    def test_stopped_daemon(self):
        d = self.make_daemon("stopped")
        d.stop()
        r = self.doctor(d)
        self.assertExit(r, 3, "doctor without a daemon")
        checks = lines_of(r)
        self.assertEqual(checks["daemon"][0], "FAIL", r.stdout)
        self.assertIn("inmostd run", checks["daemon"][2])
        # What needs no daemon is still checked.
        self.assertEqual(checks["data dir"][0], "ok", r.stdout)

    def test_partner_gone(self):
        alice, bob = self.pair_up()
        bob_address = bob.listen_address
        bob.stop()
        checks = wait_for(lambda: (lambda c: c if bob_address in c["partner"][1] else None)(
            lines_of(self.doctor(alice))), DEADLINE, "a failed dial to bob in doctor")
        state, finding, advice = checks["partner"]
        self.assertEqual(state, "FAIL")
        self.assertIn("link down, last up", finding)
        self.assertIn(f"{bob_address}: ", finding)
        self.assertRegex(finding, r"(?i)refused")
        self.assertIn("daemon runs", advice)
        self.assertExit(self.doctor(alice), 4, "doctor with the partner gone")

    def test_skewed_clock(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob", env=clock_offset_env(SKEW_MS))
        pair(alice, bob)
        checks = wait_for(lambda: (lambda c: c if c["clock"][0] != "skipped" else None)(
            lines_of(self.doctor(alice))), DEADLINE, "the clocks to be compared")
        state, finding, advice = checks["clock"]
        self.assertEqual(state, "warn", finding)
        self.assertIn("your partner's clock is 5m", finding)
        self.assertIn("sealed envelopes", finding)
        self.assertIn("timedatectl", advice)
        bob_checks = lines_of(self.doctor(bob))
        self.assertEqual(bob_checks["clock"][0], "warn")
        self.assertIn("your clock is 5m", bob_checks["clock"][1])
        self.assertExit(self.doctor(alice), 4, "doctor with a skewed clock")

    def test_data_dir_open_to_others(self):
        d = self.make_daemon("open")
        os.chmod(d.data_dir, 0o755)
        self.addCleanup(os.chmod, d.data_dir, 0o700)
        r = self.doctor(d)
        checks = lines_of(r)
        self.assertEqual(checks["data dir"][0], "FAIL", r.stdout)
        self.assertIn("chmod 700", checks["data dir"][2])
        self.assertExit(r, 4, "doctor with an open data dir")


if __name__ == "__main__":
    harness.main()
