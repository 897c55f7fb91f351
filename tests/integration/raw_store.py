"""A stopped daemon's store as the disk holds it, for tests/integration/
test_disk_tells_nothing.py: its LevelDB records read raw (Debian's python3-plyvel, on a
copy: LevelDB locks a store while a daemon runs), its files' bytes, and what store schema
3's layout (daemon/store/key_layout.h) allows in them. Never writes to a store.
"""

import hashlib
import os
import shutil
import struct
import tempfile
import time

import plyvel

META = b"meta/"
PHYSICAL_KEY_SIZE = 17
CLASSES = {1: "looked up by key", 2: "scanned at start", 3: "history"}
# Every logical key (or its prefix) of schemas 1 and 2: none may start a physical key.
OLD_PREFIXES = [p.encode() for p in (
    "h/", "in/", "o/", "n/", "d/", "e/", "ek/", "q/", "p/", "pin/", "xo/", "xi/", "fk/",
    "vk/", "dx/", "up/", "uk/", "c/", "invite/", "partner", "identity/", "tor/", "forget/",
    "nudges", "boundaries", "draft", "status/")]
# The longer ones may not appear anywhere in a key either. The two- and three-byte ones
# are left out there: 16 random bytes hold "d/" somewhere in about one key in 4,000,
# which over a few hundred keys would fail the test now and then for nothing.
OLD_NAMES = [p for p in OLD_PREFIXES if len(p) >= 5]
# Logical keys of schemas 1 and 2 to look for in a store's files. LevelDB's log holds
# every key whole; a table holds a key after the prefix it shares with the key before it,
# so these are found there whenever that neighbour starts differently: most leaks, if
# not every one.
NAMED_KEYS = [k.encode() for k in (
    "identity/static_private", "c/counters", "boundaries", "draft", "nudges",
    "invite/meta", "partner")]
# How schema 3 names a record (daemon/store/key_layout.cc), recomputed here on its own:
# a subkey of the storage key (libsodium's crypto_kdf: BLAKE2b keyed by the storage key,
# the subkey's id as salt, the context as personalisation) keys a 16-byte BLAKE2b of the
# record's key.
KEY_HASH_CONTEXT = b"inmostky"
KEY_HASH_SUBKEY_ID = 1
# The class the issue gives some record families (the rest may be in any class).
SPEC_CLASSES = [("h/", 3), ("d/", 2), ("pin/", 2), ("p/", 2), ("n/", 1), ("in/", 1), ("o/", 1),
                ("c/", 1), ("partner", 1), ("identity/", 1), ("boundaries", 1), ("nudges", 1),
                ("draft", 1), ("invite/", 1)]


def spec_class(key):
    return next((c for prefix, c in SPEC_CLASSES if key.startswith(prefix.encode())), None)


def key_hasher(data_dir):
    """The function from a record's key to the 16 bytes that name it in this data
    directory's store (whose storage key is in its key file)."""
    with open(os.path.join(data_dir, "storage.key"), "rb") as f:
        storage_key = f.read()
    subkey = hashlib.blake2b(b"", digest_size=32, key=storage_key,
                             salt=struct.pack("<Q", KEY_HASH_SUBKEY_ID) + bytes(8),
                             person=KEY_HASH_CONTEXT + bytes(8)).digest()
    return lambda key: hashlib.blake2b(key, digest_size=16, key=subkey).digest()


def number_key(prefix, number):
    """A record key of schemas 1 and 2: a prefix and a big-endian uint64 (record_key.h)."""
    return prefix + struct.pack(">Q", number)


def day_key(unix_ms):
    """The key of the local calendar day of unix_ms (history_entries.cc: "d/" and
    YYYYMMDD as a big-endian uint32)."""
    t = time.localtime(unix_ms / 1000)
    return b"d/" + struct.pack(">I", t.tm_year * 10000 + t.tm_mon * 100 + t.tm_mday)


def printable(key):
    """A key as Python writes bytes, quoted: b"d/\\x015)U" shows as 'd/\\x015)U'."""
    return repr(bytes(key))[1:]


def read_store(data_dir):
    """Every (key, value) of the stopped daemon's store, in key order, read from a copy
    (opening it with LevelDB may rewrite its log into a table)."""
    tmp = tempfile.mkdtemp(prefix="inmost-raw-store-")
    try:
        copy = os.path.join(tmp, "store")
        shutil.copytree(os.path.join(data_dir, "store"), copy)
        db = plyvel.DB(copy, create_if_missing=False)
        try:
            return list(db.iterator())
        finally:
            db.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def store_files(data_dir):
    """The bytes of every file in the store's folder (LevelDB's tables, log, manifest):
    what the disk holds, old versions of records included."""
    folder = os.path.join(data_dir, "store")
    blobs = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            blobs[name] = f.read()
    return blobs


def names_in_files(names, data_dir):
    """Which of `names` (logical keys) the store's files still hold in the clear,
    deleted or overwritten versions included, with the file each is in."""
    found = []
    for file_name, blob in store_files(data_dir).items():
        found += [f"{printable(n)} in {file_name}" for n in names if n in blob]
    return found


def layout_problems(records):
    """What in these (key, value) pairs breaks schema 3's layout, one line per key."""
    problems = []
    for key, _ in records:
        if key.startswith(META):
            continue
        old = [p for p in OLD_PREFIXES if key.startswith(p)] + \
              [p for p in OLD_NAMES if p in key and not key.startswith(p)]
        if old:
            problems.append(f"{printable(key)}: a logical key in the clear ({old[0].decode()})")
        elif len(key) != PHYSICAL_KEY_SIZE:
            problems.append(f"{printable(key)}: {len(key)} bytes, not {PHYSICAL_KEY_SIZE}")
        elif key[0] not in CLASSES:
            problems.append(f"{printable(key)}: class byte {key[0]:#04x}, not 1, 2 or 3")
    return problems


def class_counts(records):
    counts = {c: 0 for c in CLASSES}
    for key, _ in records:
        if not key.startswith(META) and len(key) == PHYSICAL_KEY_SIZE and key[0] in counts:
            counts[key[0]] += 1
    return counts
