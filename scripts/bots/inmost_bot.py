"""inmost_bot: the small client the bots in this folder share (standard library only).

It speaks the daemon's JSON-lines control API (docs/api.md): JSON-RPC 2.0, one object
per line, on the Unix socket DATA_DIR/control.sock.

    import inmost_bot
    parser = argparse.ArgumentParser(...)
    inmost_bot.add_socket_arguments(parser)
    args = parser.parse_args()
    with inmost_bot.Client(inmost_bot.socket_path(args)) as client:
        print(client.call("status")["paired"])

    # Events, reconnecting with backoff whenever the daemon restarts:
    for client, event in inmost_bot.follow(inmost_bot.socket_path(args)):
        message = inmost_bot.received(event)
        if message and message["kind"] == "TEXT":
            client.call("send", {"text": "echo: " + message["text"]})

- Client(path).call(method, params) returns the reply's `result`, or raises ApiError
  (with .code, .code_name and .message) for an error reply, or Unreachable when the
  socket cannot be reached or the connection breaks.
- Client.subscribe() then Client.events(): a generator of each event's params
  (`{"at_unix_ms": ..., "<kind>": {...}}`) until the daemon goes away.
- follow(path): the same for ever, for long-running bots. When the daemon goes away it
  reconnects with backoff, subscribes again and first replays, from `history`, the
  incoming messages it missed meanwhile (as `message_received` events carrying
  "replayed": true), so a daemon restart loses nothing. It replays what the daemon
  itself would have announced: not nudges beyond the budget, and while quiet only
  urgent messages (the rest comes in the `quiet_summary` at the end of the quiet).
- For bots that act at a time of day: hh_mm / iso_date / local_datetime (argparse
  types), every_minute(name, check, at) (the loop, retrying while the daemon is away),
  and load_state / save_state (a small JSON file, written atomically).
- run(name, main): SIGTERM and Ctrl-C exit 0; the exceptions above become exit codes.

The exit codes are those of the `inmost` CLI: 0 success, 1 the daemon answered with an
error (or a bot's own failure, such as a state file it cannot write), 2 usage error,
3 the daemon is not running or could not be reached.
"""

import argparse
import collections
import datetime
import json
import os
import re
import signal
import socket
import sys
import time

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

RPC_TIMEOUT = 30.0  # seconds for one reply


class ApiError(Exception):
    """An error reply: code (JSON-RPC), code_name (e.g. "failed_precondition"), message."""

    def __init__(self, method, code, code_name, message):
        super().__init__(f"{method}: {message} ({code_name or code})")
        self.method = method
        self.code = code
        self.code_name = code_name
        self.message = message


class Unreachable(Exception):
    """The daemon is not running, or the connection to it broke."""


# ---- where the daemon is ---------------------------------------------------------------

def default_data_dir():
    """The CLI's rule: $INMOST_DATA_DIR, else $XDG_DATA_HOME/inmost (absolute only),
    else $HOME/.local/share/inmost; None when none is set."""
    if os.environ.get("INMOST_DATA_DIR"):
        return os.environ["INMOST_DATA_DIR"]
    xdg = os.environ.get("XDG_DATA_HOME", "")
    if xdg.startswith("/"):
        return os.path.join(xdg, "inmost")
    if os.environ.get("HOME"):
        return os.path.join(os.environ["HOME"], ".local", "share", "inmost")
    return None


def add_socket_arguments(parser):
    """--data-dir and --socket, as the `inmost` CLI has them."""
    parser.add_argument("--data-dir", metavar="DIR",
                        help="the daemon's data directory; default: $INMOST_DATA_DIR, "
                             "else $XDG_DATA_HOME/inmost, else $HOME/.local/share/inmost")
    parser.add_argument("--socket", metavar="PATH",
                        help="the daemon's control socket; default: DIR/control.sock")


def socket_path(args, parser=None):
    """The control socket for parsed args; a usage error (exit 2) when there is none."""
    if args.socket:
        return args.socket
    data_dir = args.data_dir or default_data_dir()
    if not data_dir:
        message = ("cannot choose a data directory: none of INMOST_DATA_DIR, XDG_DATA_HOME "
                   "or HOME is set; pass --data-dir or --socket")
        if parser is not None:
            parser.error(message)
        raise SystemExit(message)
    return os.path.join(data_dir, "control.sock")


# ---- one connection -----------------------------------------------------------------------

class Client:
    """One JSON-lines connection to the daemon. Not thread-safe."""

    def __init__(self, path, timeout=RPC_TIMEOUT):
        self.path = path
        self.timeout = timeout
        self.broken = False
        self._buffer = b""
        self._next_id = 1
        self._events = collections.deque()  # events read while waiting for a reply
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.connect(path)
        except OSError as e:
            self._sock.close()
            raise Unreachable(f"cannot reach the daemon at {path}: {e.strerror or e}") from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self._sock.close()
        except OSError:
            pass

    def _read_line(self, timeout):
        """The next line as JSON; timeout None waits for ever. Raises Unreachable."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.broken = True
                    raise Unreachable("the daemon did not answer in time")
            self._sock.settimeout(None if deadline is None else remaining)
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout:
                continue  # the deadline check above decides
            except OSError as e:
                self.broken = True
                raise Unreachable(f"the connection to the daemon broke: {e}") from None
            if not chunk:
                self.broken = True
                raise Unreachable("the daemon closed the connection")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        if not line.strip():
            return self._read_line(timeout)
        try:
            return json.loads(line)
        except ValueError:
            self.broken = True
            raise Unreachable("the daemon sent a line that is not JSON") from None

    def call(self, method, params=None):
        """Sends one request and returns its result (a dict); raises ApiError or Unreachable.

        Events that arrive before the reply are kept for events()."""
        request_id = self._next_id
        self._next_id += 1
        line = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method,
                           "params": params or {}})
        try:
            self._sock.settimeout(self.timeout)
            self._sock.sendall(line.encode() + b"\n")
        except OSError as e:
            self.broken = True
            raise Unreachable(f"the connection to the daemon broke: {e}") from None
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_line(max(0.001, deadline - time.monotonic()))
            if "id" not in reply:
                if reply.get("method") == "event":
                    self._events.append(reply.get("params") or {})
                continue
            if reply["id"] != request_id:
                continue  # not ours (cannot happen: one request at a time)
            if "error" in reply:
                error = reply["error"] or {}
                raise ApiError(method, error.get("code"),
                               (error.get("data") or {}).get("code_name"),
                               error.get("message") or "error")
            return reply.get("result") or {}

    def subscribe(self, present=False):
        """Turns the connection into an event stream (requests still work on it)."""
        return self.call("subscribe", {"present": True} if present else {})

    def events(self):
        """After subscribe(): yields each event's params until the daemon goes away
        (then raises Unreachable)."""
        while True:
            while self._events:
                yield self._events.popleft()
            message = self._read_line(None)
            if message.get("method") == "event" and "id" not in message:
                yield message.get("params") or {}


# ---- helpers over events and messages -------------------------------------------------------

def received(event):
    """The message of a message_received event, or None for any other event."""
    body = event.get("message_received")
    return (body or {}).get("message") if body is not None else None


def newest_id(client):
    """The newest history id on this daemon (0 for an empty history)."""
    messages = client.call("history", {"limit": 1}).get("messages") or []
    return int(messages[-1]["id"]) if messages else 0


def incoming_since(client, after_id):
    """Incoming history entries with an id above after_id, oldest first, filtered as the
    daemon filters its announcements (see the module's docstring)."""
    found = []
    before = 0
    while True:
        params = {"limit": 200}
        if before:
            params["before_id"] = before
        reply = client.call("history", params)
        page = reply.get("messages") or []
        found[0:0] = [m for m in page if int(m["id"]) > after_id]
        if not page or not reply.get("more") or int(page[0]["id"]) <= after_id:
            break
        before = int(page[0]["id"])
    quiet = bool(client.call("status").get("quiet"))
    wanted = []
    for m in found:
        if m.get("direction") != "INCOMING" or m.get("kind") == "MOMENT":
            continue
        if (m.get("nudge") or {}).get("over_budget"):
            continue
        if quiet and not m.get("urgent"):
            continue
        wanted.append(m)
    return wanted


def follow(path, present=False, max_backoff=5.0, log=None, on_ready=None):
    """Yields (client, event) for ever, reconnecting with backoff (0.2 s doubling up to
    max_backoff) when the daemon goes away, and replaying the incoming messages missed
    meanwhile. A message_received is yielded once, in history order. The first connection
    must succeed: if it does not, Unreachable is raised (the bot exits 3).

    Use the yielded client for requests (replies); if such a request raises Unreachable,
    just go on: the loop reconnects and yields the event again. log(text) hears of
    reconnections; on_ready() is called once, when the first subscription is in place
    (every message stored after that is yielded)."""
    log = log or (lambda text: None)
    last_id = None
    backoff = 0.2
    first = True
    while True:
        client = None
        try:
            client = Client(path)
            if last_id is None:
                last_id = newest_id(client)
            client.subscribe(present=present)
            if first and on_ready is not None:
                on_ready()
            if not first:
                log("reconnected to the daemon")
            first = False
            backoff = 0.2
            # Whatever arrived while there was no subscription (none on the first
            # connection but a race), replayed from history.
            for m in incoming_since(client, last_id):
                yield client, {"at_unix_ms": str(int(time.time() * 1000)),
                               "message_received": {"message": m}, "replayed": True}
                if client.broken:
                    break
                last_id = int(m["id"])
            if client.broken:
                raise Unreachable("the connection to the daemon broke")
            for event in client.events():
                message = received(event)
                if message is not None:
                    if int(message.get("id", 0)) <= last_id:
                        continue  # replayed already
                    yield client, event
                    if client.broken:
                        break  # the handler's request failed: replay it after reconnecting
                    last_id = int(message["id"])
                else:
                    yield client, event
            if client.broken:
                raise Unreachable("the connection to the daemon broke")
        except Unreachable as e:
            if first:
                raise
            log(f"{e}; reconnecting")
        except ApiError as e:
            if first:
                raise
            log(f"{e}; reconnecting")
        finally:
            if client is not None:
                client.close()
        time.sleep(backoff)
        backoff = min(max_backoff, backoff * 2)


# ---- running a bot ---------------------------------------------------------------------------

def stop_on_sigterm():
    """SIGTERM ends the bot like Ctrl-C does: cleanly, with exit 0."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(EXIT_OK))


def say(text):
    """One line on standard output, flushed (bots are often run with output to a file)."""
    print(text, flush=True)


def warn(name, text):
    """One line on standard error, prefixed with the bot's name."""
    print(f"{name}: {text}", file=sys.stderr, flush=True)


def run(name, main):
    """Runs main() and turns the module's exceptions into the CLI's exit codes."""
    stop_on_sigterm()
    try:
        sys.exit(main() or EXIT_OK)
    except KeyboardInterrupt:
        sys.exit(EXIT_OK)
    except Unreachable as e:
        warn(name, f"{e} (is inmostd running?)")
        sys.exit(EXIT_UNREACHABLE)
    except (ApiError, StateError) as e:
        warn(name, str(e))
        sys.exit(EXIT_ERROR)


# ---- bots that act at a time of day -----------------------------------------------------------

def hh_mm(value):
    """argparse type: HH:MM (24-hour, local time) as a datetime.time."""
    match = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])", value)
    if not match:
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a time of day as HH:MM (00:00 to 23:59)")
    return datetime.time(int(match[1]), int(match[2]))


def iso_date(value):
    """argparse type: YYYY-MM-DD as a datetime.date."""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date as YYYY-MM-DD") from None


def local_datetime(value):
    """argparse type: YYYY-MM-DDTHH:MM (or with a space), local time, as a naive datetime."""
    match = re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2})", value)
    if not match:
        raise argparse.ArgumentTypeError(f"'{value}' is not a local time as YYYY-MM-DDTHH:MM")
    return datetime.datetime.combine(iso_date(match[1]), hh_mm(match[2]))


def require_paired(client):
    """Raises ApiError (exit 1) when the daemon has no partner yet."""
    if not client.call("status").get("paired"):
        raise ApiError("status", 1010, "failed_precondition",
                       "this daemon is not paired: pair with 'inmost invite' / 'inmost join' first")


def every_minute(name, check, at):
    """Runs check(now) at once, then each minute and at each day's `at` (a datetime.time),
    for ever. A daemon that cannot be reached or refuses is reported, and tried again
    (after 1 s, doubling up to a minute); a StateError ends the bot (exit 1)."""
    backoff = 1.0
    started = False
    while True:
        try:
            check(datetime.datetime.now())
            backoff = 1.0
            if not started:
                say(f"{name}: running; checks every minute")
                started = True
            now = datetime.datetime.now()
            due = datetime.datetime.combine(now.date(), at)
            if due <= now:
                due += datetime.timedelta(days=1)
            wait = min(60.0, max(1.0, (due - now).total_seconds()))
        except (Unreachable, ApiError) as e:
            warn(name, f"{e}; trying again in {backoff:.0f} s")
            wait = backoff
            backoff = min(60.0, backoff * 2)
        time.sleep(wait)


# ---- small state files (what a bot has done already) -----------------------------------------

def load_state(path):
    """The JSON object in path, or {} when the file does not exist yet."""
    try:
        with open(path) as f:
            state = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise StateError(f"cannot read the state file {path}: {e}") from None
    if not isinstance(state, dict):
        raise StateError(f"the state file {path} does not hold a JSON object")
    return state


def save_state(path, state):
    """Writes state to path atomically (a temporary file, fsync, rename)."""
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w") as f:
            json.dump(state, f, indent=1, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise StateError(f"cannot write the state file {path}: {e}") from None


class StateError(Exception):
    """A state file that cannot be read or written (exit 1)."""
