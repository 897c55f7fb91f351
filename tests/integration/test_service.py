#!/usr/bin/env python3
"""Running inmostd as a service: the systemd unit in scripts/ is accepted by
`systemd-analyze verify` (or, without systemd, parses and holds the sandboxing it
must), the daemon tells a service manager when it is ready and when it stops
($NOTIFY_SOCKET, Type=notify), and `inmost status` works as a health check.
"""

import configparser
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, wait_for

UNIT = os.path.join(harness.ROOT, "scripts", "inmostd.service")
REQUIRED = {  # The sandboxing the unit must keep.
    "DynamicUser": "yes", "StateDirectory": "inmost", "NoNewPrivileges": "yes",
    "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "Type": "notify",
}


def unit_problems(text, inmostd):
    """What is wrong with the unit `text` (ExecStart pointed at `inmostd`): a list."""
    text = text.replace("/usr/local/bin/inmostd", inmostd)
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    try:
        parser.read_string(text)
    except configparser.Error as e:
        return [f"does not parse: {e}"]
    problems = [f"no [{s}] section" for s in ("Unit", "Service", "Install") if s not in parser]
    if problems:
        return problems
    service = parser["Service"]
    problems += [f"{k}={v} missing" for k, v in REQUIRED.items() if service.get(k) != v]
    if shutil.which("systemd-analyze"):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "inmostd.service")
            with open(path, "w") as f:
                f.write(text)
            r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True,
                               text=True, timeout=60)
            # verify exits 0 on unknown keys but names them: any line about the unit counts.
            lines = [line for line in (r.stdout + r.stderr).splitlines() if "inmostd" in line]
            if r.returncode != 0 or lines:
                problems.append(f"systemd-analyze verify: exit {r.returncode}: {lines}")
    return problems


class ServiceTest(IntegrationTest):

    def test_the_unit_is_valid_and_sandboxed(self):
        with open(UNIT) as f:
            text = f.read()
        self.assertEqual(unit_problems(text, harness.INMOSTD), [])
        # The check is not blind: a misspelt key, a lost sandbox line and a missing
        # binary are each caught.
        self.assertNotEqual(unit_problems(text.replace("ProtectHome=", "ProtectHom="),
                                          harness.INMOSTD), [])
        self.assertNotEqual(unit_problems(text.replace("PrivateTmp=yes\n", ""),
                                          harness.INMOSTD), [])
        if shutil.which("systemd-analyze"):
            self.assertNotEqual(unit_problems(text, "/nonexistent/inmostd"), [])

    def test_readiness_and_stopping_reach_the_service_manager(self):
        tmp = tempfile.mkdtemp(prefix="inmost-it-notify-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "notify.sock")
        manager = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(manager.close)
        manager.bind(path)
        manager.settimeout(20)
        d = self.make_daemon("served", start=False)
        os.environ["NOTIFY_SOCKET"] = path
        try:
            d.start()
        finally:
            del os.environ["NOTIFY_SOCKET"]
        self.assertEqual(manager.recv(256), b"READY=1")
        # Ready means serving: status answers at once.
        self.assertEqual(d.cli("status").returncode, 0)
        d.proc.send_signal(signal.SIGTERM)
        self.assertEqual(manager.recv(256), b"STOPPING=1")
        wait_for(lambda: d.proc.poll() is not None, 20, "the daemon to stop")
        self.assertEqual(d.proc.returncode, 0)

    def test_status_exit_code_is_a_health_check(self):
        d = self.make_daemon("health")
        self.assertExit(d.cli("status"), 0, "inmost status against a running daemon")
        d.stop()
        r = d.cli("status")
        self.assertExit(r, 3, "inmost status against a stopped daemon")
        self.assertIn("not running", r.stderr + r.stdout)


if __name__ == "__main__":
    harness.main()
