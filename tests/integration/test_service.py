#!/usr/bin/env python3
"""Running inmostd as a service: the systemd units in scripts/ (the system one and
the user one) are accepted by `systemd-analyze verify` (or, without systemd, parse and
hold what they must), the daemon tells a service manager when it is ready and when it
stops ($NOTIFY_SOCKET, Type=notify), takes the state directory systemd gives it
($STATE_DIRECTORY) as its data directory, and `inmost status` works as a health check.
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
# The user unit (`systemctl --user enable --now inmostd`): readiness, a private umask
# and the unprivileged sandboxing; no StateDirectory=, so it keeps the data directory
# that `inmostd init` and `inmost` use by default.
USER_UNIT = os.path.join(harness.ROOT, "scripts", "inmostd.user.service")
# inmost web's user unit (`systemctl --user enable --now inmost-web`).
WEB_USER_UNIT = os.path.join(harness.ROOT, "scripts", "inmost-web.user.service")
USER_REQUIRED = {"Type": "notify", "UMask": "0077", "NoNewPrivileges": "yes",
                 "ExecStart": "/usr/bin/inmostd run"}


def unit_problems(text, inmostd, required=None, user=False):
    """What is wrong with the unit `text` (ExecStart pointed at `inmostd`): a list."""
    required = REQUIRED if required is None else required
    problems = [f"ExecStart is not /usr/bin/inmostd run: {line}"
                for line in text.splitlines() if line.startswith("ExecStart=")
                and not line.startswith("ExecStart=/usr/bin/inmostd run")]
    # The packaged programs are in /usr/bin; without --data-dir the daemon takes
    # $STATE_DIRECTORY (system unit) or the user's default data directory.
    problems += [f"ExecStart names a data directory: {line}" for line in text.splitlines()
                 if line.startswith("ExecStart=") and "--data-dir" in line]
    required = {k: v.replace("/usr/bin/inmostd", inmostd) for k, v in required.items()}
    text = text.replace("/usr/bin/inmostd", inmostd)
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    try:
        parser.read_string(text)
    except configparser.Error as e:
        return [f"does not parse: {e}"]
    problems += [f"no [{s}] section" for s in ("Unit", "Service", "Install") if s not in parser]
    if problems:
        return problems
    service = parser["Service"]
    problems += [f"{k}={v} missing" for k, v in required.items() if service.get(k) != v]
    if user and "StateDirectory" in service:
        problems.append("the user unit sets StateDirectory=")
    return problems + verify_problems(text, "inmostd", user)


def verify_problems(text, name, user):
    """What `systemd-analyze verify` says of the unit `text` installed as NAME.service
    (nothing without systemd-analyze): a list."""
    if not shutil.which("systemd-analyze"):
        return []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{name}.service")
        with open(path, "w") as f:
            f.write(text)
        # A user manager's verify needs a runtime directory, here a scratch one.
        scope = ["--user"] if user else []
        env = {**os.environ, "XDG_RUNTIME_DIR": tmp} if user else None
        r = subprocess.run(["systemd-analyze"] + scope + ["verify", path],
                           capture_output=True, text=True, timeout=60, env=env)
        # verify exits 0 on unknown keys but names them: any line about the unit counts.
        lines = [line for line in (r.stdout + r.stderr).splitlines() if name in line]
        if r.returncode != 0 or lines:
            return [f"systemd-analyze verify: exit {r.returncode}: {lines}"]
    return []


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
        self.assertNotEqual(unit_problems(text.replace("inmostd run", "inmostd run --data-dir "
                                                       "/var/lib/inmost"), harness.INMOSTD), [])

    def test_the_user_unit_is_valid(self):
        with open(USER_UNIT) as f:
            text = f.read()
        self.assertEqual(unit_problems(text, harness.INMOSTD, USER_REQUIRED, user=True), [])
        self.assertNotEqual(unit_problems(text.replace("UMask=", "UMsk="), harness.INMOSTD,
                                          USER_REQUIRED, user=True), [])
        self.assertNotEqual(unit_problems(text.replace("[Service]", "[Service]\nStateDirectory="
                                                       "inmost"), harness.INMOSTD,
                                          USER_REQUIRED, user=True), [])
        if shutil.which("systemd-analyze"):
            self.assertNotEqual(unit_problems(text.replace("NoNewPrivileges=", "NoNewPrivilege="),
                                              harness.INMOSTD, {}, user=True), [])

    def test_the_web_user_unit_is_valid(self):
        """inmost web's user unit: loopback only, the token kept in its state directory
        and the URL (standard output) kept out of the journal."""
        with open(WEB_USER_UNIT) as f:
            text = f.read()
        execs = [line for line in text.splitlines() if line.startswith("ExecStart=")]
        self.assertEqual(execs, ["ExecStart=/usr/bin/inmost web --listen 127.0.0.1:7480 "
                                 "--token-file %S/inmost-web/token"])
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str
        parser.read_string(text)
        for key, value in {"StandardOutput": "null", "StateDirectory": "inmost-web",
                           "StateDirectoryMode": "0700", "UMask": "0077"}.items():
            self.assertEqual(parser["Service"].get(key), value, key)
        built = text.replace("/usr/bin/inmost ", harness.INMOST + " ")
        self.assertEqual(verify_problems(built, "inmost-web", user=True), [])
        if shutil.which("systemd-analyze"):
            self.assertNotEqual(verify_problems(built.replace("UMask=", "UMsk="), "inmost-web",
                                                user=True), [])

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

    def test_the_state_directory_from_systemd_is_the_data_directory(self):
        """The system unit's set-up: StateDirectory= hands the daemon $STATE_DIRECTORY
        and no --data-dir; init makes the identity there and run serves from it."""
        tmp = tempfile.mkdtemp(prefix="inmost-it-statedir-")
        self.addCleanup(shutil.rmtree, tmp, True)
        state = os.path.join(tmp, "state")
        os.mkdir(state, 0o700)  # systemd makes it, with StateDirectoryMode=0700
        manager = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(manager.close)
        manager.bind(os.path.join(tmp, "notify.sock"))
        manager.settimeout(20)
        env = {k: v for k, v in os.environ.items() if k != "INMOST_DATA_DIR"}
        env.update(STATE_DIRECTORY=state, NOTIFY_SOCKET=os.path.join(tmp, "notify.sock"),
                   HOME=os.path.join(tmp, "home"), XDG_DATA_HOME=os.path.join(tmp, "xdg"))
        r = subprocess.run([harness.INMOSTD, "init"], env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(state, r.stdout)
        with open(os.path.join(tmp, "daemon.log"), "wb") as log:
            proc = subprocess.Popen(
                [harness.INMOSTD, "run", "--listen", f"127.0.0.1:{harness.free_port()}",
                 "--tor", "off", "--port-mapping", "off", "--lan-discovery", "off"],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        self.assertEqual(manager.recv(256), b"READY=1")
        self.assertTrue(os.path.exists(os.path.join(state, "control.sock")))
        for unused in ("home", "xdg"):
            self.assertFalse(os.path.exists(os.path.join(tmp, unused)), unused)
        r = subprocess.run([harness.INMOST, "--data-dir", state, "status"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(manager.recv(256), b"STOPPING=1")
        self.assertEqual(proc.wait(timeout=20), 0)

    def test_status_exit_code_is_a_health_check(self):
        d = self.make_daemon("health")
        self.assertExit(d.cli("status"), 0, "inmost status against a running daemon")
        d.stop()
        r = d.cli("status")
        self.assertExit(r, 3, "inmost status against a stopped daemon")
        self.assertIn("not running", r.stderr + r.stdout)


if __name__ == "__main__":
    harness.main()
