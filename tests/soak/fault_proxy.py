"""A fault-injecting TCP proxy for the soak test (issue 5). Standard library only.

FaultProxy listens on 127.0.0.1, forwards every connection to a target port on
127.0.0.1 (a daemon's peer port) and, while faults are enabled, damages the byte
stream in each direction, chunk by chunk (a chunk is whatever one read returned),
with choices drawn from a seeded random.Random:

  delay      hold the chunk for a while (the stream stays in order)
  split      write the chunk in tiny pieces, one TCP segment each (its first
             SPLIT_MAX_BYTES; the rest follows at once)
  truncate   write part of the chunk, then close both sides
  duplicate  write the chunk twice
  reorder    write the next chunk before this one
  bitflip    flip one bit of the chunk
  reset      abort both sides with a TCP RST

Every fault injected is counted by kind (counts()). The proxy runs its own asyncio
loop in a background thread; start(), set_target(), set_faults() and stop() may be
called from any thread. The seed fixes every choice; which chunk meets which choice
still depends on timing.
"""

import asyncio
import collections
import random
import socket
import struct
import threading

HOST = "127.0.0.1"
READ_SIZE = 65536
# Probability that a chunk meets each fault while faults are enabled. Faults that
# break the stream (everything but delay and split) cost a reconnect each, so they
# are kept rare enough that traffic still flows between them.
FAULT_PROBABILITIES = {
    "delay": 0.05,
    "split": 0.05,
    "truncate": 0.01,
    "duplicate": 0.01,
    "reorder": 0.01,
    "bitflip": 0.01,
    "reset": 0.01,
}
FAULT_KINDS = tuple(FAULT_PROBABILITIES)
DELAY_MS = (5, 300)          # a delayed chunk waits this long (uniform)
SPLIT_PIECE = (1, 16)        # bytes per piece of a split chunk
SPLIT_GAP_MS = 2             # at most this long between two pieces
# Only this much of a chunk is split: a 64 KiB read of a file transfer, split whole,
# would hold its direction for about 8 s (thousands of pieces and gaps).
SPLIT_MAX_BYTES = 2048
REORDER_WAIT_S = 0.05        # how long a held chunk waits for the next one
START_TIMEOUT_S = 10.0


class _Link:
    """One proxied connection: the client side and the upstream (daemon) side."""

    def __init__(self, client_writer, upstream_writer):
        self.writers = (client_writer, upstream_writer)
        self.closed = False

    def close(self, reset=False):
        if self.closed:
            return
        self.closed = True
        for w in self.writers:
            if reset:
                sock = w.get_extra_info("socket")
                if sock is not None:
                    try:  # linger 0: close() sends an RST instead of a FIN
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
                    except OSError:
                        pass
                w.transport.abort()
            else:
                w.close()


class FaultProxy:
    """Forwards HOST:port to HOST:target_port, injecting faults while enabled."""

    def __init__(self, name, seed):
        self.name = name
        self.rng = random.Random(seed)
        self.target_port = None
        self.faults_enabled = False
        self.port = None
        self.connections = 0
        self._counts = collections.Counter()
        self._lock = threading.Lock()
        self._links = set()
        self._loop = None
        self._server = None
        self._thread = None

    # ---- control (any thread) -------------------------------------------------------

    def start(self):
        """Binds a free port and serves in a background thread; returns the port."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name=self.name,
                                        daemon=True)
        self._thread.start()
        if not ready.wait(START_TIMEOUT_S) or self.port is None:
            raise RuntimeError(f"{self.name}: the proxy did not start")
        return self.port

    def address(self):
        return f"{HOST}:{self.port}"

    def set_target(self, port):
        self.target_port = port

    def set_faults(self, enabled):
        self.faults_enabled = enabled

    def counts(self):
        """Faults injected so far, by kind (a copy)."""
        with self._lock:
            return collections.Counter(self._counts)

    def stop(self):
        """Closes every connection and ends the loop thread."""
        if self._loop is None or not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        self._thread.join(START_TIMEOUT_S)

    # ---- the loop thread -------------------------------------------------------------

    def _run(self, ready):
        self._loop = asyncio.new_event_loop()
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve, HOST, 0))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
        finally:
            ready.set()
            self._loop.close()

    async def _shutdown(self):
        self._server.close()
        for link in list(self._links):
            link.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop.stop()

    def _count(self, kind):
        with self._lock:
            self._counts[kind] += 1

    async def _serve(self, client_reader, client_writer):
        try:
            await self._proxy(client_reader, client_writer)
        except asyncio.CancelledError:
            client_writer.close()  # stop(): end quietly

    async def _proxy(self, client_reader, client_writer):
        self.connections += 1
        if self.target_port is None:
            client_writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                HOST, self.target_port)
        except OSError:
            client_writer.close()  # the daemon is down: so is its proxied port
            return
        for w in (client_writer, upstream_writer):
            w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = _Link(client_writer, upstream_writer)
        self._links.add(link)
        try:
            await asyncio.gather(self._pump(client_reader, upstream_writer, link),
                                 self._pump(upstream_reader, client_writer, link))
        finally:
            link.close()
            self._links.discard(link)

    async def _pump(self, reader, writer, link):
        """Copies one direction until either side closes, injecting faults."""
        try:
            held = None
            while not link.closed:
                chunk = held if held is not None else await reader.read(READ_SIZE)
                held = None
                if not chunk:
                    break
                fault = self._draw()
                if fault == "reorder":
                    held = await self._reorder(reader, writer, chunk)
                    continue
                await self._forward(fault, chunk, writer, link)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            link.close()

    def _draw(self):
        if not self.faults_enabled:
            return None
        r = self.rng.random()
        for kind, p in FAULT_PROBABILITIES.items():
            if r < p:
                return kind
            r -= p
        return None

    async def _forward(self, fault, chunk, writer, link):
        """Writes chunk to writer, damaged by fault (None: as it is)."""
        if fault is not None:
            self._count(fault)
        if fault == "delay":
            await asyncio.sleep(self.rng.uniform(*DELAY_MS) / 1000)
        elif fault == "split":
            await self._write_split(chunk, writer)
            return
        elif fault == "truncate":
            writer.write(chunk[:self.rng.randrange(len(chunk))])
            await writer.drain()
            link.close()
            return
        elif fault == "duplicate":
            chunk = chunk + chunk
        elif fault == "bitflip":
            bit = self.rng.randrange(len(chunk) * 8)
            damaged = bytearray(chunk)
            damaged[bit // 8] ^= 1 << (bit % 8)
            chunk = bytes(damaged)
        elif fault == "reset":
            link.close(reset=True)
            return
        writer.write(chunk)
        await writer.drain()

    async def _write_split(self, chunk, writer):
        i = 0
        while i < min(len(chunk), SPLIT_MAX_BYTES):
            n = self.rng.randint(*SPLIT_PIECE)
            writer.write(chunk[i:i + n])
            await writer.drain()
            i += n
            await asyncio.sleep(self.rng.uniform(0, SPLIT_GAP_MS) / 1000)
        if i < len(chunk):
            writer.write(chunk[i:])
            await writer.drain()

    async def _reorder(self, reader, writer, chunk):
        """Writes the next chunk before this one, if one comes soon; else this one.

        Returns a chunk read but not yet handled (the end of the stream: b"")."""
        try:
            following = await asyncio.wait_for(reader.read(READ_SIZE), REORDER_WAIT_S)
        except asyncio.TimeoutError:
            writer.write(chunk)
            await writer.drain()
            return None
        if not following:
            writer.write(chunk)
            await writer.drain()
            return b""
        self._count("reorder")
        writer.write(following + chunk)
        await writer.drain()
        return None
