"""Mounts tests/tools/power_cut_fs.py over a backing directory and cuts its power.

For tests: PowerCutMount(folder).start() mounts folder/mnt (backed by folder/backing);
cut() unmounts it, which rolls folder/backing back to what had been synced, and mounts
it afresh when asked. Standard library only; the filesystem itself runs under
/usr/bin/python3 with Debian's python3-fusepy. It never leaves a mount behind: close()
unmounts whatever is still mounted.
"""

import os
import shutil
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FS_SCRIPT = os.path.join(HERE, "power_cut_fs.py")
SYSTEM_PYTHON = "/usr/bin/python3"
MOUNT_TIMEOUT = 20.0
UNMOUNT_TIMEOUT = 60.0


def missing_requirements():
    """Why the filesystem cannot run here ("" when it can)."""
    if os.geteuid() != 0:
        return "mounting the power-cut filesystem needs root"
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse"
    if shutil.which("umount") is None:
        return "no umount"
    r = subprocess.run([SYSTEM_PYTHON, "-c", "import fusepy"], capture_output=True)
    if r.returncode != 0:
        return "no fusepy for /usr/bin/python3 (scripts/setup installs python3-fusepy)"
    return ""


class PowerCutMount:
    def __init__(self, folder):
        self.folder = folder
        self.backing = os.path.join(folder, "backing")
        self.mountpoint = os.path.join(folder, "mnt")
        self.state = os.path.join(folder, "fs-state")
        self.log_path = os.path.join(folder, "power_cut_fs.log")
        self.proc = None
        self.cuts = []  # the line each cut printed
        os.makedirs(self.backing, exist_ok=True)
        os.makedirs(self.mountpoint, exist_ok=True)

    def start(self):
        assert self.proc is None, "already mounted"
        shutil.rmtree(self.state, ignore_errors=True)
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [SYSTEM_PYTHON, FS_SCRIPT, self.backing, self.mountpoint, self.state],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
        finally:
            log.close()
        deadline = time.monotonic() + MOUNT_TIMEOUT
        while not os.path.ismount(self.mountpoint):
            if self.proc.poll() is not None:
                raise AssertionError(f"power_cut_fs exited {self.proc.returncode} while "
                                     f"mounting:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"power_cut_fs did not mount in {MOUNT_TIMEOUT}s")
            time.sleep(0.02)
        return self

    def cut(self, remount=True):
        """The power cut: every process using the mount must be gone (killed) first.
        Unmounts (as root: umount, so fuse3's fusermount3 or fuse's fusermount is not
        needed), waits for the rollback, checks it worked, and mounts again."""
        assert self.proc is not None, "not mounted"
        r = subprocess.run(["umount", self.mountpoint], capture_output=True,
                           text=True, timeout=UNMOUNT_TIMEOUT)
        if r.returncode != 0:
            raise AssertionError(f"umount {self.mountpoint}: {r.stderr.strip()}")
        out, _ = self.proc.communicate(timeout=UNMOUNT_TIMEOUT)
        rc, self.proc = self.proc.returncode, None
        if rc != 0 or not out.startswith(b"power cut:"):
            raise AssertionError(f"power_cut_fs exited {rc} after unmounting, rollback "
                                 f"failed:\n{out.decode(errors='replace')}{self.log_tail()}")
        self.cuts.append(out.decode().strip())
        if remount:
            self.start()

    def close(self):
        """Unmounts (a last power cut) if still mounted; never raises."""
        if self.proc is None:
            return
        subprocess.run(["umount", "--lazy", self.mountpoint], capture_output=True)
        try:
            self.proc.communicate(timeout=UNMOUNT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""
