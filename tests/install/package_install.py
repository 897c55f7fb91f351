#!/usr/bin/env python3
"""The Debian package (scripts/package): lintian finds no error in it; it holds what
`cmake --install` installs, both systemd units and the example config; dpkg installs
it into a scratch root, where its programs run (a release build that ignores the test
hooks, whose daemon reports ready under a systemd-like environment); and dpkg --purge
leaves none of its files.
Usage: package_install.py BUILD_DIR SOURCE_DIR. The package is $INMOST_PACKAGE, which
scripts/test makes, else one that scripts/package builds now (a release build).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

BUILD, SOURCE = sys.argv[1], sys.argv[2]
TIMEOUT = 120  # seconds for any one step but the package build


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def run(args, timeout=TIMEOUT, check=True, **kwargs):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and r.returncode != 0:
        fail(f"{' '.join(args)}: exit {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def skip_or_fail(reason):
    """Without a tool: a loud SKIPPED, or in CI (CI=true, scripts/setup ran) a failure."""
    if os.environ.get("CI"):
        fail(f"{reason} (CI installs it with scripts/setup)")
    print(f"\n*** SKIPPED: Install.package: {reason}; scripts/setup installs it ***\n",
          flush=True)
    sys.exit(0)


def package_files(deb):
    """The package's regular files and symlinks, as paths without the leading './'."""
    r = run(["dpkg-deb", "-c", deb])
    files = set()
    for line in r.stdout.splitlines():
        fields = line.split(None, 5)
        if fields[0].startswith("d"):
            continue
        files.add(fields[5].split(" -> ")[0].lstrip("./"))
    return files


def lint(deb):
    r = run(["lintian", "--allow-root", "--display-info", deb], timeout=600, check=False)
    lines = [line for line in r.stdout.splitlines() if line[:2] in ("E:", "W:", "I:")]
    counts = {kind: sum(line.startswith(kind) for line in lines) for kind in ("E:", "W:", "I:")}
    print(f"lintian: {counts['E:']} errors, {counts['W:']} warnings, {counts['I:']} infos",
          flush=True)
    for line in lines:
        print(f"  {line}", flush=True)
    if counts["E:"] or (r.returncode != 0 and not lines):
        fail(f"lintian reports errors (exit {r.returncode}){r.stderr}")


def check_contents(deb, files, tmp):
    multiarch = run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"]).stdout.strip()
    # What the project's install rules install (the test build has the same rules; it
    # uses lib/ where the package, configured for /usr, uses the multiarch folder).
    staged = os.path.join(tmp, "cmake-install")
    run(["cmake", "--install", BUILD, "--prefix", "/usr"], env={**os.environ, "DESTDIR": staged})
    shipped = {f.replace(f"usr/lib/{multiarch}/", "usr/lib/") for f in files}
    missing = []
    for dirpath, _, names in os.walk(staged):
        for name in names:
            rel = os.path.relpath(os.path.join(dirpath, name), staged)
            if rel not in shipped and rel + ".gz" not in shipped:  # dh_compress: man pages
                missing.append(rel)
    if missing:
        fail(f"installed by cmake --install but not in the package: {sorted(missing)}")
    for path in ("usr/bin/inmostd", "usr/bin/inmost", "lib/systemd/system/inmostd.service",
                 "usr/lib/systemd/user/inmostd.service",
                 "usr/lib/systemd/user/inmost-web.service", "usr/share/doc/inmost/copyright",
                 "usr/share/doc/inmost/changelog.gz",
                 "usr/share/doc/inmost/examples/inmostd.conf"):
        if path not in files:
            fail(f"the package has no {path}")


def make_dpkg_root(root):
    """An empty dpkg database, and the policy-rc.d with which chroots refuse to start
    services (deb-systemd-invoke asks $DPKG_ROOT's): the maintainer scripts run
    outside the root (--force-script-chrootless) and must not touch this machine."""
    admin = os.path.join(root, "var", "lib", "dpkg")
    for sub in ("info", "updates", "triggers"):
        os.makedirs(os.path.join(admin, sub))
    for name in ("status", "available"):
        open(os.path.join(admin, name), "w").close()
    os.makedirs(os.path.join(root, "usr", "sbin"))
    policy = os.path.join(root, "usr", "sbin", "policy-rc.d")
    with open(policy, "w") as f:
        f.write("#!/bin/sh\nexit 101\n")
    os.chmod(policy, 0o755)


def check_installed(root, version):
    for unit in ("lib/systemd/system/inmostd.service", "usr/lib/systemd/user/inmostd.service"):
        with open(os.path.join(root, unit)) as f:
            execs = [line for line in f if line.startswith("ExecStart=")]
        if not execs or not all(e.startswith("ExecStart=/usr/bin/inmostd run") for e in execs):
            fail(f"{unit} does not run /usr/bin/inmostd: {execs}")
    # Installed, not enabled: the identity must be made first (inmostd init).
    for wants in ("etc/systemd/system/multi-user.target.wants/inmostd.service",
                  "etc/systemd/user/default.target.wants/inmostd.service"):
        if os.path.lexists(os.path.join(root, wants)):
            fail(f"installing the package enabled a unit: {wants}")
    inmostd, inmost = (os.path.join(root, "usr", "bin", p) for p in ("inmostd", "inmost"))
    r = run([inmostd, "--version"])
    if version not in r.stdout:
        fail(f"inmostd --version says {r.stdout.strip()!r}, the package is {version}")
    r = run([inmost, "--help"])
    if "usage" not in (r.stdout + r.stderr).lower():
        fail(f"inmost --help printed no usage: {r.stdout}{r.stderr}")
    print(f"installed: {r.stdout.splitlines()[0] if r.stdout else ''} / inmostd {version}",
          flush=True)


def check_daemon(root, tmp):
    """The installed daemon under a systemd-like environment: no --data-dir, the state
    directory from $STATE_DIRECTORY, readiness on $NOTIFY_SOCKET; a test hook's
    variable is ignored (a release build)."""
    inmostd, inmost = (os.path.join(root, "usr", "bin", p) for p in ("inmostd", "inmost"))
    state = os.path.join(tmp, "state")
    os.mkdir(state, 0o700)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "STATE_DIRECTORY": state,
           "NOTIFY_SOCKET": os.path.join(tmp, "notify.sock"),
           "INMOST_TEST_CLOCK_OFFSET_MS": "60000"}
    run([inmostd, "init"], env=env)
    manager = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    manager.bind(env["NOTIFY_SOCKET"])
    manager.settimeout(30)
    log_path = os.path.join(tmp, "inmostd.log")
    with open(log_path, "w") as log:
        daemon = subprocess.Popen([inmostd, "run", "--listen", "127.0.0.1:0", "--tor", "off",
                                   "--port-mapping", "off", "--lan-discovery", "off"],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            ready = manager.recv(256)
        except socket.timeout:
            ready = b"(nothing in 30 s)"
        if ready != b"READY=1":
            fail(f"the installed daemon sent {ready!r} instead of READY=1")
        run([inmost, "--data-dir", state, "status"])
        daemon.send_signal(signal.SIGTERM)
        if manager.recv(256) != b"STOPPING=1":
            fail("the installed daemon did not report STOPPING=1")
        if daemon.wait(timeout=30) != 0:
            fail(f"the installed daemon exited with {daemon.returncode}")
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        manager.close()
    with open(log_path) as f:
        log_text = f.read()
    if "built without test hooks" not in log_text:
        fail(f"the packaged daemon did not ignore the test hook:\n{log_text}")
    print("installed daemon: ready under $STATE_DIRECTORY, test hooks ignored", flush=True)


def main():
    deb = os.environ.get("INMOST_PACKAGE")
    tools = ["dpkg", "dpkg-deb", "dpkg-architecture", "lintian"]
    if not deb:
        tools += ["dpkg-buildpackage", "dh"]
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        skip_or_fail(f"{', '.join(missing)} missing")
    tmp = tempfile.mkdtemp(prefix="inmost-package-")
    try:
        if not deb:
            print("INMOST_PACKAGE is unset: building the package with scripts/package",
                  flush=True)
            r = run([os.path.join(SOURCE, "scripts", "package"), os.path.join(tmp, "out")],
                    timeout=3000)
            deb = r.stdout.strip().splitlines()[-1]
        if not os.path.isfile(deb):
            fail(f"no package at {deb}")
        version = run(["dpkg-deb", "-f", deb, "Version"]).stdout.strip()
        depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout.strip()
        print(f"package: {deb} (version {version})\nDepends: {depends}", flush=True)
        if not all(lib in depends for lib in ("libc6", "libsodium", "libprotobuf")):
            fail("Depends lacks the shared libraries (dpkg-shlibdeps)")
        lint(deb)
        files = package_files(deb)
        check_contents(deb, files, tmp)

        root = os.path.join(tmp, "root")
        make_dpkg_root(root)
        dpkg = ["dpkg", f"--root={root}", "--force-depends", "--force-not-root",
                "--force-script-chrootless"]
        run(dpkg + ["-i", deb])
        check_installed(root, version.split("-")[0])
        check_daemon(root, tmp)
        run(dpkg + ["--purge", "inmost"])
        left = sorted(f for f in files if os.path.lexists(os.path.join(root, f)))
        if left:
            fail(f"dpkg --purge left the package's files behind: {left}")
        status = run(["dpkg-query", f"--root={root}", "-W", "-f=${Status}", "inmost"],
                     check=False)
        if "installed" in status.stdout and "not-installed" not in status.stdout:
            fail(f"after --purge dpkg still lists inmost: {status.stdout}")
        print(f"package OK: lint-clean, {len(files)} files installed and purged", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
