"""Random, structured PeerMessage streams for tests/fuzz/peer_message_fuzz.cc.

Until clang builds the daemon's core (tests/fuzz/CMakeLists.txt), libFuzzer cannot
run that target; this writes inputs in its format (a 2-byte length, then a
PeerMessage) that follow the grammar of proto/peer.proto (field numbers by hand), with
seqs mostly in order, ids drawn from a small pool so they meet again, and edge
values; the replay binary (gcc, or the ASan build) then runs them:

    python3 tests/fuzz/peer_message_streams.py OUT_DIR COUNT [SEED]
    build-asan/tests/fuzz/peer_message_fuzz_replay OUT_DIR
"""
import os, random, struct, sys

def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def f_varint(num, v): return varint(num << 3) + varint(v)
def f_bytes(num, b): return varint(num << 3 | 2) + varint(len(b)) + b

R = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else None)
IDS = [bytes([i] * 16) for i in range(4)] + [b"", b"x", bytes(17)]
KEYS = [bytes([7] * 32), b"", b"k", os.urandom(32)]

def num():
    return R.choice([0, 1, 2, 3, 5, 7, 10, 63, 64, 999, 1000, 2**31, 2**32, 2**53, 2**53 + 1, 2**63, 2**64 - 1, R.randrange(2**64)])

def ident(): return R.choice(IDS) if R.random() < 0.9 else os.urandom(R.randrange(40))
def text(): return R.choice([b"", b"hi", b"x" * R.randrange(70000) if R.random() < 0.05 else b"t", "é".encode()])
def ref(): return f_varint(1, R.randrange(2)) + f_varint(2, num())

def item():
    k = R.choice(list(range(4, 10)) + list(range(11, 21)) + [23, 24, 25, 26])
    if k == 4:   # offer
        b = f_bytes(1, ident()) + f_varint(2, R.randrange(6)) + f_bytes(3, text()) + f_varint(4, num())
        b += f_bytes(5, os.urandom(R.randrange(80))) + f_bytes(6, os.urandom(R.choice([0, 32])))
        b += f_bytes(7, ident()) + f_bytes(9, R.choice([b"", b"2024-03-01", b"2027-02-30", b"x"]))
        if R.random() < 0.3:
            b += f_bytes(10, fileoffer())
    elif k in (5,): b = f_bytes(1, ident()) + f_bytes(2, R.choice(KEYS))
    elif k in (6, 7): b = f_bytes(1, ident())
    elif k == 8: b = f_bytes(1, ident()) + f_varint(2, R.randrange(2))
    elif k == 9: b = f_bytes(1, ident()) + f_bytes(2, text())
    elif k == 11: b = f_varint(1, R.randrange(8)) + f_varint(2, num()) + f_varint(3, R.randrange(2))
    elif k == 12: b = f_bytes(1, ref()) + f_bytes(2, R.choice([b"", b"x", "❤".encode()]))
    elif k == 13: b = f_bytes(1, ref()) + f_varint(2, R.randrange(2))
    elif k in (14, 15): b = f_bytes(1, ref()) + f_varint(2, R.randrange(2))
    elif k == 16: b = fileoffer()
    elif k == 17: b = f_bytes(1, ident()) + f_varint(2, R.randrange(2)) + f_bytes(3, text())
    elif k == 18: b = f_bytes(1, ident()) + f_bytes(2, text())
    elif k == 19: b = f_bytes(1, text())
    elif k == 20: b = b""
    elif k == 23: b = f_bytes(1, ref()) + f_bytes(2, text())
    elif k == 24: b = f_bytes(1, ident()) + f_bytes(2, R.choice(KEYS)) + f_bytes(3, os.urandom(R.randrange(60))) + f_bytes(4, os.urandom(32))
    elif k == 25: b = f_bytes(1, ref())
    else: b = f_varint(1, num())
    return f_bytes(k, b)

def fileoffer():
    return (f_bytes(1, ident()) + f_varint(2, num()) + f_varint(3, R.choice([64512, 0, 1, 2**32 - 1]))
            + f_bytes(4, R.choice([b"a.txt", b"../../x", b"", b"\x00"])) + f_bytes(6, R.choice(KEYS))
            + f_bytes(7, os.urandom(R.randrange(40))) + f_varint(8, R.randrange(2)))

def message(state):
    k = R.choice([2] * 8 + [3, 4, 5, 8, 9, 10, 10, 11, 12, 13, 14, 15, 16, 1])
    if k == 2:
        r = R.random()
        seq = state["next"] if r < 0.75 else R.choice([0, state["next"] - 1, state["next"] + 1, num()])
        if seq == state["next"]:
            state["next"] += 1
        b = f_varint(1, seq)
        if R.random() < 0.3:
            b += f_bytes(2, text())
        else:
            b += item()
        if R.random() < 0.2: b += f_varint(21, num())
        if R.random() < 0.1: b += f_bytes(22, ref())
        if R.random() < 0.1: b += f_varint(27, num())
        if R.random() < 0.1: b += f_varint(10, 1)
        return f_bytes(2, b)
    if k in (3, 4): return f_bytes(k, f_varint(1, num()))
    if k == 5: return f_bytes(5, f_bytes(1, b"1.2.3.4:5"))
    if k == 8: return f_bytes(8, f_varint(1, R.randrange(2)) + f_varint(2, R.randrange(6)) + f_varint(4, num()))
    if k == 9: return f_bytes(9, f_varint(4, num()) + f_varint(5, num()) + f_bytes(6, text()) + f_varint(1, R.randrange(2)))
    if k == 10: return f_bytes(10, f_bytes(1, ident()) + f_varint(2, R.choice([0, 1, 2, num()])) + f_bytes(3, os.urandom(R.choice([0, 10, 50, 64552]))) + f_bytes(4, os.urandom(R.choice([0, 32]))))
    if k == 11: return f_bytes(11, f_bytes(1, ident()) + f_varint(2, num()) + f_varint(3, R.randrange(2)) + f_varint(4, num()) + f_varint(5, R.randrange(2)))
    if k == 12: return f_bytes(12, f_varint(1, num()) + f_varint(3, num()) + f_varint(4, num()) + f_varint(5, num()) + f_bytes(2, f_bytes(1, os.urandom(16)) + f_varint(2, num())))
    if k == 13: return f_bytes(13, f_bytes(1, f_bytes(1, os.urandom(16)) + f_varint(2, num())) + f_varint(2, num()))
    if k == 14: return f_bytes(14, f_bytes(1, f_varint(1, num()) + f_bytes(3, text()) + f_varint(5, num())))
    if k == 15: return f_bytes(15, f_bytes(1, text()) + f_varint(2, R.randrange(2)))
    if k == 16: return f_bytes(16, f_varint(1, R.randrange(2)))
    return f_bytes(1, b"")

def stream():
    state = {"next": 1}
    out = bytearray()
    for _ in range(R.randrange(1, 40)):
        m = message(state)
        if len(m) > 65000:
            continue
        if R.random() < 0.02:
            m = bytearray(m); m[R.randrange(len(m))] ^= 1 << R.randrange(8); m = bytes(m)
        out += struct.pack(">H", len(m)) + m
    return bytes(out)

outdir, count = sys.argv[1], int(sys.argv[2])
os.makedirs(outdir, exist_ok=True)
for i in range(count):
    with open(os.path.join(outdir, f"in{i:05d}"), "wb") as f:
        f.write(stream())
