"""Integration-test harness for inmost: runs real inmostd daemons and talks to them.

Standard library only. The binaries are found through $INMOST_BIN_DIR (the CMake
build directory holding daemon/inmostd, cli/inmost and the test tool
tests/tools/inmost_store_probe); without it the repository's build/ is used.

Every daemon lives in its own temporary directory (data directory, log file),
listens on 127.0.0.1:0 (a free port chosen by the kernel) and is stopped and
removed when its test ends, so test files can run in parallel. When a test
fails, the tail of every daemon's log is printed.

Nothing here sleeps to synchronise: wait_for() polls a predicate until a deadline.
"""

import atexit
import base64
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN_DIR = os.environ.get("INMOST_BIN_DIR") or os.path.join(ROOT, "build")


def sanitizer_build():
    """The sanitizer this build uses ("" for none), from its CMake cache. A sanitized
    daemon is several times slower, and its memory (shadow memory, quarantine) says
    nothing about the real one's."""
    try:
        with open(os.path.join(BIN_DIR, "CMakeCache.txt")) as f:
            match = re.search(r"^INMOST_SANITIZE:\w+=(.*)$", f.read(), re.M)
    except OSError:
        return ""
    value = match.group(1).strip() if match else ""
    return "" if value.upper() in ("", "OFF", "FALSE", "0", "NO") else value


SANITIZER = sanitizer_build()


def build_has_test_hooks():
    """Whether this build honours the INMOST_TEST_* environment variables (the CMake
    option INMOST_TEST_HOOKS, which scripts/test turns on), from its CMake cache."""
    try:
        with open(os.path.join(BIN_DIR, "CMakeCache.txt")) as f:
            match = re.search(r"^INMOST_TEST_HOOKS:\w+=(.*)$", f.read(), re.M)
    except OSError:
        return False
    return bool(match) and match.group(1).strip().upper() in ("ON", "TRUE", "1", "YES", "Y")


TEST_HOOKS = build_has_test_hooks()


def clock_offset_env(offset_ms):
    """The environment that shifts a daemon's wall clock by offset_ms, a test hook
    (daemon/config/test_hooks.h): make_daemon(..., env=clock_offset_env(ms))."""
    return {"INMOST_TEST_CLOCK_OFFSET_MS": str(int(offset_ms))}


# Deadlines stretch by this much under a sanitizer.
SLOWDOWN = 1 if not SANITIZER else 5
INMOSTD = os.path.join(BIN_DIR, "daemon", "inmostd")
INMOST = os.path.join(BIN_DIR, "cli", "inmost")
STORE_PROBE = os.path.join(BIN_DIR, "tests", "tools", "inmost_store_probe")

# Short link timings so that reconnects happen within a second in tests.
FAST_LINK_ARGS = [
    "--keepalive-ms", "200",
    "--dead-after-ms", "1500",
    "--backoff-max-ms", "500",
]

START_TIMEOUT = 20.0   # seconds for a daemon to answer `status` after starting
STOP_TIMEOUT = 15.0    # seconds for a daemon to exit after SIGTERM
RPC_TIMEOUT = 30.0     # seconds for one JSON-RPC reply
LOG_TAIL_LINES = 60
NOISE = re.compile(r"DEBUG control client \d+ (connected|disconnected)$")
# INMOST_IT_KEEP=1 keeps every daemon's temporary directory (data and log) for a look.
KEEP = os.environ.get("INMOST_IT_KEEP") == "1"
# Ports handed out by free_port() are claimed here (a file per port) for as long as
# the process runs, so tests running in parallel never pick the same one.
PORT_CLAIMS = os.path.join(tempfile.gettempdir(), "inmost-test-ports")
STALE_CLAIM_S = 3600  # a claim this old was left by a process that died


class RpcError(Exception):
    """A JSON-RPC error reply: code, message and the inmost code_name (if any)."""

    def __init__(self, code, message, code_name=None, method=None):
        super().__init__(f"{method or 'rpc'}: error {code} ({code_name}): {message}")
        self.code = code
        self.message = message
        self.code_name = code_name
        self.method = method


def ephemeral_low():
    """The first port of the kernel's ephemeral range (outgoing connections' ports)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_claimed_ports = []


@atexit.register
def _release_ports():
    for claim in _claimed_ports:
        try:
            os.unlink(claim)
        except OSError:
            pass


def free_port(host="127.0.0.1"):
    """A free port on `host`, kept for this process until it exits.

    It lies below the ephemeral range, so while a daemon on it is down no outgoing
    connection can take it, and it is claimed (a file in PORT_CLAIMS), so no other test
    process picks it meanwhile: a daemon restarted with same_port finds it free.
    """
    os.makedirs(PORT_CLAIMS, exist_ok=True)
    rng = random.SystemRandom()
    for _ in range(500):
        port = rng.randrange(10000, ephemeral_low())
        claim = os.path.join(PORT_CLAIMS, str(port))
        try:
            os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            try:
                if time.time() - os.stat(claim).st_mtime < STALE_CLAIM_S:
                    continue
                os.utime(claim)  # taken over from a process that died
            except OSError:
                continue
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                os.unlink(claim)
                continue
        _claimed_ports.append(claim)
        return port
    raise AssertionError("no free port below the ephemeral range")


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls predicate() until it returns something truthy, and returns that.

    Exceptions from the predicate count as "not yet" (the daemon may still be
    starting); the last one is reported if the deadline passes.
    """
    deadline = time.monotonic() + timeout
    last_value = None
    last_error = None
    while True:
        try:
            last_value = predicate()
            last_error = None
            if last_value:
                return last_value
        except (OSError, EOFError, RpcError, ValueError, KeyError) as e:
            last_error = e
        if time.monotonic() >= deadline:
            detail = f"last error: {last_error!r}" if last_error else f"last value: {last_value!r}"
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what} ({detail})")
        time.sleep(interval)


def wait_equal(get, expected, timeout, what, interval=0.05):
    """Polls get() until it equals expected; on timeout shows the last value got."""
    last = []

    def check():
        last[:] = [get()]
        return last[0] == expected
    try:
        wait_for(check, timeout, what, interval)
    except AssertionError as e:
        got = repr(last[0]) if last else "(nothing)"
        if len(got) > 800:
            got = got[:400] + " ... " + got[-400:]
        raise AssertionError(f"{e}\n  expected: {expected!r}\n  last got: {got}") from None
    return last[0]


# Every message text, answer, question and invite code a test gave a daemon: no
# daemon log may ever contain one (checked after each test). Short texts are left
# out, as they could match ordinary log words.
SECRETS = set()
MIN_SECRET_LENGTH = 12
SECRET_PARAMS = {"send": "text", "ask": "text", "answer": "text", "join": "code"}


def relay(source, sink, observe=None):
    """Copies bytes from socket `source` to `sink` until either side ends (calling
    `observe` with each piece first), then half-closes `sink`: one direction of a
    forwarder between two sockets."""
    try:
        while data := source.recv(65536):
            if observe:
                observe(data)
            sink.sendall(data)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def write_random_file(path, size):
    """A file of `size` random bytes; returns its SHA-256 (hex)."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            piece = os.urandom(min(left, 1 << 20))
            h.update(piece)
            f.write(piece)
            left -= len(piece)
    return h.hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(1 << 20), b""):
            h.update(piece)
    return h.hexdigest()


def remember_secret(value):
    if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
        SECRETS.add(value)


class RpcConnection:
    """One JSON-RPC 2.0 connection to a control socket (newline-delimited JSON)."""

    def __init__(self, socket_path, timeout=RPC_TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(socket_path)
        except OSError:
            self.sock.close()
            raise
        self.buffer = b""
        self.next_id = 1

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_line(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def read_line(self, timeout=None):
        """The next line as parsed JSON; raises TimeoutError, or EOFError on close."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buffer:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no line from the daemon in time")
                self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout as e:
                raise TimeoutError("no line from the daemon in time") from e
            if not chunk:
                raise EOFError("the daemon closed the control connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def call(self, method, params=None, timeout=RPC_TIMEOUT):
        """Sends one request and returns its result; raises RpcError on an error reply.

        Notifications (events) that arrive before the reply are skipped.
        """
        request_id = self.next_id
        self.next_id += 1
        if method in SECRET_PARAMS:
            remember_secret((params or {}).get(SECRET_PARAMS[method]))
        self.send_line({"jsonrpc": "2.0", "id": request_id, "method": method,
                        "params": params or {}})
        deadline = time.monotonic() + timeout
        while True:
            reply = self.read_line(timeout=max(0.001, deadline - time.monotonic()))
            if "id" not in reply:
                continue  # an event notification
            if reply.get("id") != request_id:
                raise AssertionError(f"reply id {reply.get('id')!r} for request {request_id}")
            if reply.get("jsonrpc") != "2.0":
                raise AssertionError(f"reply without jsonrpc 2.0: {reply!r}")
            if "error" in reply:
                err = reply["error"]
                data = err.get("data") or {}
                raise RpcError(err.get("code"), err.get("message"), data.get("code_name"), method)
            if "result" not in reply:
                raise AssertionError(f"reply with neither result nor error: {reply!r}")
            if method == "invite":
                remember_secret(reply["result"].get("code"))
            return reply["result"]


class EventReader:
    """A subscribed control connection; next() returns each event's params.

    With present=True this daemon counts as present (a chat window is open) for as
    long as the connection stays open; close() ends that.
    """

    def __init__(self, socket_path, present=False):
        self.conn = RpcConnection(socket_path)
        self.conn.call("subscribe", {"present": True} if present else {})

    def next(self, timeout=10.0):
        """The next event (the notification's params); raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no event in time")
            msg = self.conn.read_line(timeout=remaining)
            if msg.get("method") == "event" and "id" not in msg:
                return msg["params"]

    def wait_event(self, kind, timeout=10.0, predicate=None):
        """Skips events until one of `kind` (e.g. "message_received") matches."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {kind} event in time")
            event = self.next(remaining)
            if kind in event and (predicate is None or predicate(event[kind])):
                return event

    def close(self):
        self.conn.close()


class Daemon:
    """One inmostd with its own temporary data directory and log file.

    command_prefix (e.g. ["strace", "-f", "-o", FILE]) runs `init` and `run` under a
    wrapper; signals then go to the wrapped daemon itself, the wrapper's child.
    """

    def __init__(self, name, extra_args=None, link_args=None, command_prefix=None,
                 listen_host="127.0.0.1"):
        self.name = name
        self.listen_host = listen_host  # "[::]" or "0.0.0.0": a wildcard, as by default
        self.command_prefix = list(command_prefix or [])
        self.tmp = tempfile.mkdtemp(prefix=f"inmost-it-{name}-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.log_path = os.path.join(self.tmp, "daemon.log")
        self.socket_path = os.path.join(self.data_dir, "control.sock")
        self.extra_args = list(extra_args or [])
        self.link_args = list(FAST_LINK_ARGS if link_args is None else link_args)
        # No Tor unless a test asks (test_tor_link.py, on its private Tor network): a
        # daemon's default, tor = auto, would launch a tor that looks for the real one.
        self.tor_args = ["--tor", "off"]
        # Nor a home router or LAN beacons unless a test asks, in network namespaces it
        # made (tests/tools/netns.py): UPnP's SSDP search and the beacons are multicast,
        # which must not leave this machine.
        self.reach_args = ["--port-mapping", "off", "--lan-discovery", "off"]
        self.proc = None
        self.advertises = False  # started with --advertise or --config (see invite())
        self.listen_address = None
        self.starts = 0
        # Added to the daemon's environment at each start (a test hook's variables:
        # clock_offset_env()); a test may change them between starts.
        self.env = {}

    # ---- lifecycle ---------------------------------------------------------------

    def init(self, passphrase=None):
        """`inmostd init`; with a passphrase, the storage key is wrapped under it."""
        args = self.command_prefix + [INMOSTD, "init", "--data-dir", self.data_dir]
        if passphrase is not None:
            args.append("--passphrase-stdin")
        r = subprocess.run(args, input=None if passphrase is None else passphrase + "\n",
                           capture_output=True, text=True, timeout=60)
        self._log_note(f"init exited {r.returncode}\n{r.stdout}{r.stderr}")
        if r.returncode != 0:
            raise AssertionError(
                f"{self.name}: inmostd init exited {r.returncode}: {r.stderr.strip()}")
        mode = os.stat(self.data_dir).st_mode & 0o777
        if mode & 0o077:
            raise AssertionError(f"{self.name}: data dir has mode {oct(mode)}, expected 0700")
        return self

    def start(self, extra_args=None, timeout=START_TIMEOUT, same_port=False, passphrase=None):
        """Starts `inmostd run` and waits until the control socket answers status.

        The daemon listens on a free port (free_port()), a new one at each start,
        unless same_port asks for the port of the previous run. A passphrase is
        given on standard input (--passphrase-stdin).
        """
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        listen = f"{self.listen_host}:{free_port()}"
        if same_port:
            assert self.listen_address, "same_port needs an earlier start"
            listen = self.listen_address
        args = self.command_prefix + [
            INMOSTD, "run", "--data-dir", self.data_dir, "--listen", listen,
                        "--log-level", "debug"] + self.link_args + self.tor_args + self.reach_args + (
                self.extra_args) + list(
                extra_args or [])
        self.advertises = "--advertise" in args or "--config" in args
        self._log_note(f"start #{self.starts}: {' '.join(args)}")
        if self.env:
            self._log_note(f"environment: {self.env}")
        env = {**os.environ, **self.env} if self.env else None
        log = open(self.log_path, "ab")
        try:
            if passphrase is None:
                self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=log, env=env)
            else:
                self.proc = subprocess.Popen(args + ["--passphrase-stdin"], stdin=subprocess.PIPE,
                                             stdout=log, stderr=log, env=env)
                try:
                    self.proc.stdin.write(passphrase.encode() + b"\n")
                    self.proc.stdin.close()
                except BrokenPipeError:
                    pass  # it exited already; ready() reports that
        finally:
            log.close()

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.name}: inmostd exited with {self.proc.returncode} while starting\n"
                    + self.log_tail())
            return self.rpc("status", timeout=2.0)

        status = wait_for(ready, timeout, f"{self.name} to answer status")
        self.listen_address = status["listen_address"]
        if (not self.listen_address.startswith(self.listen_host + ":")
                or self.listen_address.endswith(":0")):
            raise AssertionError(f"{self.name}: odd listen address {self.listen_address!r}")
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _signal(self, sig):
        """Sends sig to the daemon: the process started, or with a command_prefix the
        wrapper's child (a wrapper such as strace does not pass signals on)."""
        pid = self.proc.pid
        if self.command_prefix:
            try:
                with open(f"/proc/{pid}/task/{pid}/children") as f:
                    pid = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass  # no child (yet, or any more): the wrapper itself
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass  # it has just exited; wait() tells how

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, wait, and assert a clean exit (status 0)."""
        if self.proc is None or self.proc.poll() is not None:
            rc = None if self.proc is None else self.proc.returncode
            raise AssertionError(f"{self.name}: stop() but the daemon is not running (exit {rc})\n"
                                 + self.log_tail())
        self._signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.name}: did not exit within {timeout}s of SIGTERM\n"
                                 + self.log_tail())
        self._log_note(f"stopped with SIGTERM, exit {rc}")
        if rc != 0:
            raise AssertionError(f"{self.name}: exit status {rc} after SIGTERM, expected 0\n"
                                 + self.log_tail())

    def kill9(self):
        assert self.running(), f"{self.name}: kill9() but the daemon is not running"
        self._signal(signal.SIGKILL)
        self.proc.wait(timeout=STOP_TIMEOUT)
        self._log_note("killed with SIGKILL")

    def restart(self):
        self.stop()
        return self.start()

    def close(self):
        """Ends the process (if still running) without judging its exit."""
        if self.proc is not None and self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.proc.kill()
                self.proc.wait()

    def remove(self):
        self.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- control API -------------------------------------------------------------

    def connect(self, timeout=RPC_TIMEOUT):
        return RpcConnection(self.socket_path, timeout=timeout)

    def rpc(self, method, params=None, timeout=RPC_TIMEOUT):
        with RpcConnection(self.socket_path, timeout=timeout) as conn:
            return conn.call(method, params or {}, timeout=timeout)

    def status(self):
        return self.rpc("status")

    def subscribe(self, present=False):
        return EventReader(self.socket_path, present=present)

    def invite(self, params=None):
        """An invite. Unless the daemon was started with an advertise option (--advertise,
        or a --config file, which these tests give one in), it names the loopback listen
        address explicitly: the daemons of these tests share one machine, and an invite
        carries a loopback address only when asked to (by default it is refused)."""
        params = dict(params or {})
        if not self.advertises:
            params.setdefault("addresses", [self.listen_address])
        return self.rpc("invite", params)

    def send(self, text):
        return self.rpc("send", {"text": text})

    def history_all(self, page=1000):
        """The whole conversation, oldest first, paging with before_id."""
        messages = []
        before = 0
        while True:
            params = {"limit": page}
            if before:
                params["before_id"] = before
            reply = self.rpc("history", params)
            page_messages = reply.get("messages", [])
            messages[0:0] = page_messages
            if not reply.get("more") or not page_messages:
                return messages
            before = int(page_messages[0]["id"])

    def entry(self, history_id):
        """The history entry with this id (as returned by `history`), or None."""
        wanted = str(history_id)
        for m in self.history_all():
            if m["id"] == wanted:
                return m
        return None

    def wait_entry(self, history_id, predicate, timeout, what):
        """Polls the entry with this id until predicate(entry) holds; returns the entry."""
        def check():
            m = self.entry(history_id)
            return m if m is not None and predicate(m) else None
        return wait_for(check, timeout, f"{self.name}: {what}", interval=0.1)

    def find_entries(self, predicate):
        """Every history entry for which predicate(entry) holds, oldest first."""
        return [m for m in self.history_all() if predicate(m)]

    def wait_find(self, predicate, timeout, what):
        """Polls history until exactly one entry matches predicate; returns it."""
        def check():
            found = self.find_entries(predicate)
            if len(found) > 1:
                raise AssertionError(f"{self.name}: {len(found)} entries match ({what}): {found!r}")
            return found[0] if found else None
        return wait_for(check, timeout, f"{self.name}: {what}", interval=0.1)

    def dump_store(self):
        """Every plaintext value of the (stopped) daemon's store, concatenated (bytes)."""
        assert not self.running(), f"{self.name}: dump_store() needs the daemon stopped"
        return store_probe("dump", self.data_dir).stdout

    def stored_entry(self, history_id):
        """The (stopped) daemon's history record numbered history_id (the number the API
        shows) as stored: records.HistoryEntry in protobuf's JSON mapping with proto field
        names (bytes fields in base64)."""
        assert not self.running(), f"{self.name}: stored_entry() needs the daemon stopped"
        return json.loads(store_probe("entry", self.data_dir, history_id).stdout)

    def has_content_key(self, history_id):
        """Whether the (stopped) daemon still stores the content key of its outgoing
        envelope history_id."""
        assert not self.running(), f"{self.name}: has_content_key() needs the daemon stopped"
        answer = store_probe("has-key", self.data_dir, history_id).stdout.strip()
        assert answer in (b"present", b"absent"), answer
        return answer == b"present"

    def raw_files(self):
        """The bytes of every regular file under the data directory (sockets skipped)."""
        blobs = {}
        for root, _, files in os.walk(self.data_dir):
            for name in files:
                path = os.path.join(root, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    with open(path, "rb") as f:
                        blobs[path] = f.read()
        return blobs

    def cli(self, *args, input=None, timeout=60, json_output=False, cwd=None):
        argv = [INMOST, "--data-dir", self.data_dir] + (["--json"] if json_output else [])
        argv += list(args)
        return subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout,
                              cwd=cwd)

    # ---- logs --------------------------------------------------------------------

    def _log_note(self, text):
        with open(self.log_path, "a") as f:
            f.write(f"--- harness: {text}\n")

    def log_text(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, lines=LOG_TAIL_LINES):
        # Control clients coming and going (the harness's own polling) are noise here.
        tail = [line for line in self.log_text().splitlines()
                if not NOISE.search(line)][-lines:]
        return f"---- last {len(tail)} lines of {self.name}'s log ({self.log_path}) ----\n" + \
            "\n".join(tail)


def store_probe(*args, check=True, timeout=60):
    """Runs tests/tools/inmost_store_probe with args; stdout is bytes.

    With check, a non-zero exit is an AssertionError showing its standard error.
    """
    if not os.access(STORE_PROBE, os.X_OK):
        raise AssertionError(f"{STORE_PROBE} is missing; build the inmost_store_probe target")
    r = subprocess.run([STORE_PROBE] + [str(a) for a in args], capture_output=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"inmost_store_probe {' '.join(str(a) for a in args)} exited "
                             f"{r.returncode}: {r.stderr.decode(errors='replace').strip()}")
    return r


def invite_addresses(code):
    """The addresses an invite code carries (daemon/identity/invite_code.h, format 1)."""
    body = code[len("inmost1-"):].upper()
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    assert raw[0] == 1, "invite format version 1 expected"
    at = 1 + 32 + 32 + 8
    count = raw[at]
    at += 1
    addresses = []
    for _ in range(count):
        length = raw[at]
        addresses.append(raw[at + 1:at + 1 + length].decode("ascii"))
        at += 1 + length
    return addresses


def require_tor(test):
    """Skips `test` loudly without tor and tor-gencert (the private Tor network needs
    both); in CI (CI=true) fails it instead, since scripts/setup installs them there."""
    missing = [tool for tool in ("tor", "tor-gencert") if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{' and '.join(missing)} not installed (scripts/setup installs the tor package)"
    if os.environ.get("CI"):
        test.fail(f"{reason}: the Tor tests may not be skipped in CI")
    sys.stderr.write(f"\n*** SKIPPED {test.id()}: {reason} ***\n")
    sys.stderr.flush()
    test.skipTest(reason)


def pair(a, b, timeout=20.0):
    """a invites, b joins; waits until both are paired with each other and the link is up."""
    code = a.invite()["code"]
    assert code.startswith("inmost1-"), code
    joined = b.rpc("join", {"code": code})
    wait_for(lambda: all(d.status()["paired"] and d.status()["link_up"] for d in (a, b)),
             timeout, f"{a.name} and {b.name} paired with the link up")
    sa, sb = a.status(), b.status()
    assert sa["partner_fingerprint"] == sb["fingerprint"], (sa, sb)
    assert sb["partner_fingerprint"] == sa["fingerprint"], (sa, sb)
    assert joined["partner_fingerprint"] == sa["fingerprint"], (joined, sa)
    return code


def wait_linked(a, b, timeout, what):
    """Waits until a and b are both paired and their link is up."""
    wait_for(lambda: all(d.status()["paired"] and d.status()["link_up"] for d in (a, b)),
             timeout, f"{a.name} and {b.name} {what}", interval=0.1)


def exchange_texts(a, b, tag, timeout):
    """A text each way, each waited for on the other side."""
    for sender, receiver in ((a, b), (b, a)):
        text = f"{tag}: from {sender.name} to {receiver.name}"
        sender.send(text)
        receiver.wait_find(lambda m: m["text"] == text and m["direction"] == "INCOMING",
                           timeout, f"{receiver.name} receives {text!r}")


def link_up(a, b):
    return a.status()["link_up"] and b.status()["link_up"]


class IntegrationTest(unittest.TestCase):
    """Base class: make_daemon() registers daemons; logs are printed on failure."""

    def setUp(self):
        self._daemons = []
        # Registered first, so it runs last: after every daemon has stopped.
        self.addCleanup(self._check_logs_hold_no_secrets)
        for path in (INMOSTD, INMOST):
            if not os.access(path, os.X_OK):
                self.fail(f"{path} is missing; build first or set INMOST_BIN_DIR")

    def require_test_hooks(self):
        """Skips the test in a build without test hooks (see build_has_test_hooks())."""
        if not TEST_HOOKS:
            self.skipTest("needs a build with test hooks: -DINMOST_TEST_HOOKS=ON "
                          "(scripts/test configures its builds so)")

    def make_daemon(self, name, start=True, extra_args=None, link_args=None, env=None,
                    listen_host="127.0.0.1", command_prefix=None):
        """A new daemon, initialised and (unless start=False) started; env is added to
        its environment (a test hook's variables skip the test without test hooks);
        it listens on listen_host and a free port; command_prefix wraps it (e.g.
        ["ip", "netns", "exec", NS] runs it in a network namespace)."""
        if any(key.startswith("INMOST_TEST_") for key in env or {}):
            self.require_test_hooks()
        d = Daemon(name, extra_args=extra_args, link_args=link_args, listen_host=listen_host,
                   command_prefix=command_prefix)
        d.env = dict(env or {})
        self._daemons.append(d)
        self.addCleanup(self._check_and_stop, d)
        d.init()
        if start:
            d.start()
        return d

    def pair_up(self, extra_args=None):
        """Two new daemons, alice and bob, paired with the link up."""
        alice = self.make_daemon("alice", extra_args=extra_args)
        bob = self.make_daemon("bob", extra_args=extra_args)
        pair(alice, bob)
        return alice, bob

    def backup(self, d):
        """A backup of d (running) in its tmp folder: the archive's path and passphrase."""
        archive = os.path.join(d.tmp, f"{d.name}-{secrets.token_hex(3)}.backup")
        passphrase = "a backup " + secrets.token_hex(4)
        remember_secret(passphrase)
        d.rpc("backup", {"path": archive, "passphrase": passphrase})
        return archive, passphrase

    def restored(self, name, archive, passphrase):
        """A new daemon called name (not started) restored from archive."""
        d = Daemon(name)
        self._daemons.append(d)
        self.addCleanup(self._check_and_stop, d)
        r = subprocess.run([INMOSTD, "restore", archive, "--data-dir", d.data_dir],
                           input=passphrase + "\n", capture_output=True, text=True, timeout=60)
        self.assertExit(r, 0, "inmostd restore")
        return d

    def subscribe(self, d, present=False):
        """An EventReader on d, closed when the test ends."""
        reader = d.subscribe(present=present)
        self.addCleanup(reader.close)
        return reader

    def assertRefused(self, call, code_name=None, what="", message_has=None):
        """call() must raise RpcError (with code_name, if given) carrying a message
        (holding message_has, if given); returns the error."""
        with self.assertRaises(RpcError, msg=f"{what} must be refused") as cm:
            call()
        err = cm.exception
        if code_name is not None:
            self.assertEqual(err.code_name, code_name, f"{what}: {err}")
        self.assertTrue(err.message, f"{what}: an error without a message")
        if message_has is not None:
            self.assertIn(message_has, err.message.lower(), f"{what}: {err}")
        return err

    def assertExit(self, result, code, what):
        """A finished subprocess exited with `code`; shows its output if not."""
        self.assertEqual(result.returncode, code,
                         f"{what}: exit {result.returncode}, expected {code}\n"
                         f"stdout: {result.stdout}\nstderr: {result.stderr}")

    def _check_logs_hold_no_secrets(self):
        for d in self._daemons:
            log = d.log_text()
            leaked = [s for s in SECRETS if s in log]
            if leaked:
                raise AssertionError(f"{d.name}'s log contains {len(leaked)} message text(s) or "
                                     f"invite code(s), e.g. {leaked[0][:40]!r}")

    def _check_and_stop(self, d):
        # A daemon that died behind the test's back is a failure (a crash); a daemon
        # still running must stop cleanly with exit 0.
        if d.proc is None:
            return
        if d.proc.poll() is None:
            d.stop()
        elif d.proc.returncode not in (0, -signal.SIGKILL):
            raise AssertionError(f"{d.name} exited by itself with status {d.proc.returncode}")

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        try:
            return super().run(result)
        finally:
            daemons = getattr(self, "_daemons", [])
            if len(result.failures) + len(result.errors) > before:
                for d in daemons:
                    sys.stderr.write(f"\n{d.log_tail()}\n")
                sys.stderr.flush()
            for d in daemons:
                if KEEP:
                    d.close()
                    sys.stderr.write(f"kept {d.name}'s directory: {d.tmp}\n")
                else:
                    d.remove()


def main():
    unittest.main(verbosity=2)
