#!/usr/bin/python3
"""A FUSE filesystem that forgets, on a power cut, everything a disk cache would.

It passes every operation through to a backing directory, and it keeps, beside it, what
a real disk would still hold if the power went off now: each file's bytes as of its last
fsync/fdatasync, and each directory's entries as of its last fsync. Unmounting it (any
way: umount, fusermount -u, or SIGTERM/SIGINT to this process) is the power cut: it then rolls
the backing directory back to exactly that durable state and exits 0. It never keeps a
write nor a directory entry that was not synced, and it never drops one that was.

Strict, like LazyFS:
  - file data written since that file's last fsync is lost (so is a truncation);
  - a create, unlink, rename, mkdir or rmdir is lost unless the directory holding the
    entry was synced after it (a file's bytes may be durable while its name is not: it
    is then gone, or back under its old name with its old bytes);
  - a new file's durable content is empty until it is synced; a new directory is empty
    until it is synced;
  - what exists when it mounts is durable.
Hard links and symbolic links are refused (EPERM): inmost uses neither.

How: a file is known by an id (not its inode number, which the backing filesystem may
reuse). Before a file's bytes first change (write, truncate) or it loses its last name
(unlink, rename over it), its durable bytes are copied aside into the state directory
(the "shadow"); a sync then copies the ranges written since into the shadow. A directory's
sync records its entries (name -> id). The rollback rebuilds the tree from the root's
recorded entries, each file from its shadow (or, never changed, from the live file).

    power_cut_fs.py BACKING MOUNTPOINT STATE_DIR
runs in the foreground until unmounted; prints one line of counts when it has rolled
back. STATE_DIR must be empty or absent and outside BACKING.
Needs root (it mounts without fusermount), /dev/fuse and fusepy (python3-fusepy, with libfuse2).
"""

import errno
import logging
import os
import shutil
import stat
import sys

import fusepy

ROOT_ID = 0


class PowerCutFs:
    use_ns = True
    flag_nullpath_ok = 1  # operations on an unlinked open file come with its fh alone

    def __init__(self, backing, state_dir):
        self.backing = os.path.realpath(backing)
        self.state_dir = state_dir
        os.makedirs(state_dir, exist_ok=True)
        self.next_id = 1
        self.live = {"/": ROOT_ID}      # path in the mount -> id, as it is now
        self.kinds = {ROOT_ID: "d"}     # id -> "f" file, "d" directory, "s" socket/other
        self.modes = {ROOT_ID: os.stat(self.backing).st_mode}
        self.durable_entries = {}       # directory id -> {name: id} as of its last sync
        self.shadows = {}               # file id -> path of its durable bytes, once set aside
        self.dirty = {}                 # file id -> [(start, end)] written since its sync
        self.handles = {}               # fh -> file id
        self.counts = {"writes": 0, "file_syncs": 0, "dir_syncs": 0, "dir_ops": 0}
        self._scan("/")

    # ---- the model ---------------------------------------------------------------

    def _real(self, path):
        return self.backing + path if path != "/" else self.backing

    def _new_id(self, kind, mode):
        fid = self.next_id
        self.next_id += 1
        self.kinds[fid] = kind
        self.modes[fid] = mode
        return fid

    def _scan(self, path):
        """Everything present at mount time is durable."""
        entries = {}
        for name in sorted(os.listdir(self._real(path))):
            child = os.path.join(path, name)
            st = os.lstat(self._real(child))
            kind = "d" if stat.S_ISDIR(st.st_mode) else "f" if stat.S_ISREG(st.st_mode) else "s"
            fid = self._new_id(kind, st.st_mode)
            self.live[child] = fid
            entries[name] = fid
            if kind == "d":
                self._scan(child)
        self.durable_entries[self.live[path]] = entries

    def _live_children(self, path):
        prefix = path.rstrip("/") + "/"
        return {p[len(prefix):]: fid for p, fid in self.live.items()
                if p.startswith(prefix) and "/" not in p[len(prefix):] and p != path}

    def _set_aside(self, fid, source_fd=None, source_path=None):
        """Copies the file's current (still durable) bytes into its shadow, once."""
        if fid in self.shadows or self.kinds.get(fid) != "f":
            return
        shadow = os.path.join(self.state_dir, str(fid))
        if source_fd is not None:
            with open(shadow, "wb") as out:
                offset = 0
                while True:
                    piece = os.pread(source_fd, 1 << 20, offset)
                    if not piece:
                        break
                    out.write(piece)
                    offset += len(piece)
        else:
            shutil.copyfile(source_path, shadow)
        self.shadows[fid] = shadow

    def _set_aside_path(self, path):
        fid = self.live.get(path)
        if fid is not None and self.kinds[fid] == "f":
            self._set_aside(fid, source_path=self._real(path))

    def _mark_dirty(self, fid, start, end):
        self.dirty.setdefault(fid, []).append((start, end))

    def _sync_file(self, fh):
        fid = self.handles[fh]
        self.counts["file_syncs"] += 1
        shadow = self.shadows.get(fid)
        if shadow is None:
            return  # never changed since mount: the live bytes are the durable ones
        size = os.fstat(fh).st_size
        with open(shadow, "r+b") as out:
            out.truncate(size)
            for start, end in self.dirty.pop(fid, []):
                end = min(end, size)
                at = start
                while at < end:
                    piece = os.pread(fh, min(1 << 20, end - at), at)
                    if not piece:
                        break
                    out.seek(at)
                    out.write(piece)
                    at += len(piece)

    # ---- the power cut ---------------------------------------------------------

    def roll_back(self):
        """Makes the backing directory exactly the durable state."""
        rebuilt = self.backing + ".power-cut"
        shutil.rmtree(rebuilt, ignore_errors=True)
        os.mkdir(rebuilt, self.modes[ROOT_ID] & 0o7777)
        id_paths = {fid: path for path, fid in self.live.items()}
        files = self._rebuild(ROOT_ID, rebuilt, id_paths)
        dropped = self.backing + ".dropped"
        os.rename(self.backing, dropped)
        os.rename(rebuilt, self.backing)
        shutil.rmtree(dropped)
        shutil.rmtree(self.state_dir)
        return files

    def _rebuild(self, dir_id, target, id_paths):
        files = 0
        for name, fid in sorted(self.durable_entries.get(dir_id, {}).items()):
            path = os.path.join(target, name)
            kind, mode = self.kinds[fid], self.modes[fid]
            if kind == "d":
                os.mkdir(path, mode & 0o7777)
                files += self._rebuild(fid, path, id_paths)
            elif kind == "f":
                source = self.shadows.get(fid) or self._real(id_paths[fid])
                shutil.copyfile(source, path)
                os.chmod(path, mode & 0o7777)
                files += 1
            else:
                os.mknod(path, mode)
        return files

    # ---- FUSE operations -----------------------------------------------------------

    def __call__(self, op, *args):
        method = getattr(self, op, None)
        if method is None:
            raise fusepy.FuseOSError(errno.ENOSYS)
        return method(*args)

    def getattr(self, path, fh=None):
        st = os.fstat(fh) if fh is not None else os.lstat(self._real(path))
        return {key: getattr(st, key) for key in (
            "st_mode", "st_nlink", "st_uid", "st_gid", "st_size", "st_blocks")} | {
            "st_atime": st.st_atime_ns, "st_mtime": st.st_mtime_ns, "st_ctime": st.st_ctime_ns}

    def access(self, path, amode):
        if not os.access(self._real(path), amode):
            raise fusepy.FuseOSError(errno.EACCES)

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._real(path))

    def statfs(self, path):
        st = os.statvfs(self._real(path))
        return {key: getattr(st, key) for key in (
            "f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files",
            "f_flag", "f_frsize", "f_namemax")}

    def chmod(self, path, mode):
        os.chmod(self._real(path), mode)
        self.modes[self.live[path]] = mode

    def chown(self, path, uid, gid):
        os.chown(self._real(path), uid, gid)

    def utimens(self, path, times=None):
        if times is None:
            os.utime(self._real(path))
        else:
            os.utime(self._real(path), ns=times)

    def open(self, path, flags):
        fid = self.live[path]
        if flags & os.O_TRUNC:
            self._set_aside_path(path)
            self._mark_dirty(fid, 0, 1 << 62)
        # Read-write and without O_APPEND whatever the caller asked: the bytes are set
        # aside through this descriptor, and the kernel gives each write its offset.
        keep = flags & ~(os.O_ACCMODE | os.O_APPEND | os.O_CREAT | os.O_EXCL)
        fh = os.open(self._real(path), keep | os.O_RDWR)
        self.handles[fh] = fid
        return fh

    def create(self, path, mode, fi=None):
        fh = os.open(self._real(path), os.O_RDWR | os.O_CREAT | os.O_EXCL, mode)
        fid = self._new_id("f", os.fstat(fh).st_mode)
        self.live[path] = fid
        self.counts["dir_ops"] += 1
        # A new file's durable bytes are none at all.
        shadow = os.path.join(self.state_dir, str(fid))
        open(shadow, "wb").close()
        self.shadows[fid] = shadow
        self.handles[fh] = fid
        return fh

    def mknod(self, path, mode, dev):
        os.mknod(self._real(path), mode, dev)
        self.live[path] = self._new_id("s", mode)
        self.counts["dir_ops"] += 1

    def read(self, path, size, offset, fh):
        return os.pread(fh, size, offset)

    def write(self, path, data, offset, fh):
        fid = self.handles[fh]
        self._set_aside(fid, source_fd=fh)
        written = os.pwrite(fh, data, offset)
        self._mark_dirty(fid, offset, offset + written)
        self.counts["writes"] += 1
        return written

    def truncate(self, path, length, fh=None):
        if fh is not None:
            fid = self.handles[fh]
            self._set_aside(fid, source_fd=fh)
            os.ftruncate(fh, length)
        else:
            fid = self.live[path]
            self._set_aside_path(path)
            os.truncate(self._real(path), length)
        self._mark_dirty(fid, length, 1 << 62)

    def flush(self, path, fh):
        return 0

    def fsync(self, path, datasync, fh):
        os.fdatasync(fh)  # harmless, and what the caller asked of the real disk too
        self._sync_file(fh)

    def release(self, path, fh):
        self.handles.pop(fh, None)
        os.close(fh)

    def fsyncdir(self, path, datasync, fh):
        self.counts["dir_syncs"] += 1
        self.durable_entries[self.live[path]] = self._live_children(path)

    def unlink(self, path):
        self._set_aside_path(path)  # its name may still be durable
        os.unlink(self._real(path))
        del self.live[path]
        self.counts["dir_ops"] += 1

    def mkdir(self, path, mode):
        os.mkdir(self._real(path), mode)
        fid = self._new_id("d", os.stat(self._real(path)).st_mode)
        self.live[path] = fid
        self.durable_entries[fid] = {}
        self.counts["dir_ops"] += 1

    def rmdir(self, path):
        os.rmdir(self._real(path))
        del self.live[path]
        self.counts["dir_ops"] += 1

    def rename(self, old, new):
        if new in self.live:
            self._set_aside_path(new)  # overwritten, but its name may still be durable
        os.rename(self._real(old), self._real(new))
        moved = {}
        for path in list(self.live):
            if path == old or path.startswith(old + "/"):
                moved[new + path[len(old):]] = self.live.pop(path)
        for path in [p for p in self.live if p == new or p.startswith(new + "/")]:
            del self.live[path]
        self.live.update(moved)
        self.counts["dir_ops"] += 1

    def link(self, target, source):
        raise fusepy.FuseOSError(errno.EPERM)

    def symlink(self, target, source):
        raise fusepy.FuseOSError(errno.EPERM)


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    backing, mountpoint, state_dir = argv[1:]
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    fs = PowerCutFs(backing, state_dir)
    # hard_remove: an unlinked open file is really unlinked (not renamed to .fuse_hidden*,
    # which would show up in its directory); no lock operation, so the kernel keeps
    # POSIX and flock locks itself.
    fusepy.FUSE(fs, mountpoint, foreground=True, nothreads=True, hard_remove=True,
                big_writes=True, max_write=131072, fsname="power_cut_fs")
    files = fs.roll_back()
    print(f"power cut: rolled back to {files} durable files after {fs.counts['writes']} writes, "
          f"{fs.counts['file_syncs']} file syncs, {fs.counts['dir_syncs']} directory syncs, "
          f"{fs.counts['dir_ops']} directory operations", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
