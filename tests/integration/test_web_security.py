#!/usr/bin/env python3
"""`inmost web` (issue 22): the web client's server, against a real inmostd.

Standard library only. Each test starts a daemon and `inmost web --listen 127.0.0.1:0`,
reads the URL it prints, and speaks HTTP (http.client) and WebSocket (a small client
here: the handshake and masked frames) to it: the token flow, the Host and Origin
checks, the security headers, bounded sizes, the bridge to the daemon's control
socket, and the daemon restarting under an open WebSocket. Every test ends the server
with SIGTERM, which must exit 0.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import INMOST, IntegrationTest, wait_for  # noqa: E402

START_TIMEOUT = 20.0 * harness.SLOWDOWN
IO_TIMEOUT = 10.0 * harness.SLOWDOWN
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
}
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebServer:
    """One `inmost web` process for a daemon; url, host, port and token once started."""

    def __init__(self, daemon, listen="127.0.0.1:0", extra=()):
        self.log_path = os.path.join(daemon.tmp, "web.log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [INMOST, "--data-dir", daemon.data_dir, "web", "--listen", listen, *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log)
        self.url = self._read_line(START_TIMEOUT)
        match = re.fullmatch(r"http://(127\.0\.0\.1):(\d+)/\?token=([0-9a-f]{64})", self.url)
        if not match:
            raise AssertionError(f"inmost web printed {self.url!r}, not its URL")
        self.host = match.group(1)
        self.port = int(match.group(2))
        self.token = match.group(3)
        self.hostport = f"{self.host}:{self.port}"
        self.cookie = f"inmost_token_{self.port}={self.token}"

    def _read_line(self, timeout):
        deadline = time.monotonic() + timeout
        data = b""
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.proc.poll() is not None:
                raise AssertionError(f"no URL from inmost web (exit {self.proc.poll()}): "
                                     f"{data!r}\n{self.log_text()}")
            ready, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    continue
                data += chunk
        return data.decode().strip()

    def log_text(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def stop(self):
        """SIGTERM; the exit status (0 expected), killing it if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=IO_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "hung"
        self.proc.stdout.close()
        self.log.close()
        return self.proc.returncode

    def get(self, path, headers=None, method="GET", body=None):
        """(status, headers as a lowercase dict, body bytes)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=IO_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return (response.status, {k.lower(): v for k, v in response.getheaders()},
                    response.read())
        finally:
            conn.close()


class WebSocket:
    """A minimal RFC 6455 client: the upgrade, masked frames out, frames in."""

    def __init__(self, server, path="/ws", host=None, origin=None, cookie=None, extra=""):
        host = host or server.hostport
        origin = origin if origin is not None else f"http://{host}"
        self.sock = socket.create_connection((server.host, server.port), timeout=IO_TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if origin:
            lines.append(f"Origin: {origin}")
        if cookie is not False:
            lines.append(f"Cookie: {cookie or server.cookie}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        head = head.decode(errors="replace").split("\r\n")
        self.status = int(head[0].split()[1]) if head and len(head[0].split()) > 1 else 0
        self.headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        if self.status == 101:
            accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
            assert self.headers.get("sec-websocket-accept") == accept, self.headers

    def close_socket(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_frame(self, opcode, payload, declared_length=None):
        length = len(payload) if declared_length is None else declared_length
        header = bytes([0x80 | opcode])
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self.send_frame(0x1, text.encode())

    def _read_exact(self, n, deadline):
        while len(self.buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no WebSocket frame in time")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the server closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_frame(self, timeout=IO_TIMEOUT):
        """(opcode, payload) of the next frame (unfragmented, as the server sends)."""
        deadline = time.monotonic() + timeout
        first, second = self._read_exact(2, deadline)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read_exact(2, deadline))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read_exact(8, deadline))[0]
        return first & 0x0F, self._read_exact(length, deadline)

    def read_json(self, timeout=IO_TIMEOUT):
        """The next text message as JSON (pings are answered, skipped)."""
        while True:
            opcode, payload = self.read_frame(timeout)
            if opcode == 0x9:
                self.send_frame(0xA, payload)
                continue
            if opcode == 0x8:
                raise EOFError(f"closed with {close_code(payload)}")
            assert opcode == 0x1, f"opcode {opcode}"
            return json.loads(payload)

    def call(self, method, params=None, request_id=1):
        self.send_text(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method,
                                   "params": params or {}}, indent=1))  # newlines on purpose
        while True:
            reply = self.read_json()
            if reply.get("id") == request_id:
                return reply

    def wait_close(self, timeout=IO_TIMEOUT):
        """The close code the server sends (skipping messages), or None if it just hung up."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                opcode, payload = self.read_frame(max(0.01, deadline - time.monotonic()))
            except (EOFError, ConnectionResetError):
                return None
            if opcode == 0x8:
                try:
                    self.send_frame(0x8, payload[:2])
                except OSError:
                    pass
                return close_code(payload)


def close_code(payload):
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None


class WebSecurityTest(IntegrationTest):

    def setUp(self):
        super().setUp()
        self.daemon = self.make_daemon("web")
        self.web = self.start_web(self.daemon)

    def start_web(self, daemon):
        web = WebServer(daemon)
        self.addCleanup(self._stop_web, web)
        return web

    def _stop_web(self, web):
        status = web.stop()
        log = web.log_text()
        self.assertNotIn(web.token, log, "inmost web logged its token")
        self.assertEqual(status, 0, f"inmost web after SIGTERM: {status}\n{log}")

    def websocket(self, **kwargs):
        ws = WebSocket(self.web, **kwargs)
        self.addCleanup(ws.close_socket)
        return ws

    def assertSecurityHeaders(self, headers, what):
        for name, value in SECURITY_HEADERS.items():
            self.assertEqual(headers.get(name), value, f"{what}: {name}")

    # ---- HTTP ---------------------------------------------------------------------

    def test_token_flow(self):
        status, headers, _ = self.web.get(f"/?token={self.web.token}")
        self.assertEqual(status, 303)
        self.assertEqual(headers["location"], "/")
        cookie = headers["set-cookie"]
        self.assertTrue(cookie.startswith(self.web.cookie + ";"), cookie)
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(attribute, cookie)
        self.assertSecurityHeaders(headers, "the redirect")

        status, headers, body = self.web.get("/", {"Cookie": self.web.cookie})
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"), headers)
        self.assertRegex(body.decode(), r'<script[^>]*type="module"[^>]*src="/?app\.js"')
        self.assertSecurityHeaders(headers, "index.html")

        status, headers, body = self.web.get(
            "/app.js", {"Authorization": f"Bearer {self.web.token}"})
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/javascript"), headers)
        self.assertSecurityHeaders(headers, "app.js")
        # Another cookie beside ours, and ours for another port, change nothing.
        other = f"inmost_token_{self.web.port + 1}=x; theme=dark; {self.web.cookie}"
        self.assertEqual(self.web.get("/app.js", {"Cookie": other})[0], 200)

    def test_refusals(self):
        status, headers, body = self.web.get("/")
        self.assertEqual(status, 401)
        self.assertIn(b"inmost web", body)
        self.assertTrue(headers["www-authenticate"].startswith("Bearer"), headers)
        self.assertSecurityHeaders(headers, "401")
        wrong_same_length = ("0" if self.web.token[0] != "0" else "1") + self.web.token[1:]
        name = f"inmost_token_{self.web.port}"
        for wrong in (wrong_same_length, self.web.token[:-1], self.web.token + "0", ""):
            status, headers, _ = self.web.get("/", {"Cookie": f"{name}={wrong}"})
            self.assertIn(status, (401, 403), f"cookie {wrong!r}")
            self.assertSecurityHeaders(headers, "403")
            self.assertIn(self.web.get(f"/?token={wrong}")[0], (401, 403))
            self.assertIn(self.web.get("/", {"Authorization": f"Bearer {wrong}"})[0], (401, 403))
        self.assertEqual(self.web.get("/", {"Cookie": f"{name}={wrong_same_length}"})[0], 403)
        # Our token under another port's name is not ours.
        self.assertEqual(self.web.get("/", {"Cookie": f"inmost_token_1={self.web.token}"})[0], 401)

        ok = {"Cookie": self.web.cookie}
        for host in ("evil.example", f"evil.example:{self.web.port}", "127.0.0.1",
                     f"127.0.0.1:{self.web.port + 1}", f"rebind.127.0.0.1.nip.io:{self.web.port}"):
            status, headers, _ = self.web.get("/", {**ok, "Host": host})
            self.assertIn(status, (403, 421), f"Host {host}")
            self.assertSecurityHeaders(headers, f"Host {host}")
        self.assertEqual(self.web.get("/", {**ok, "Host": f"localhost:{self.web.port}"})[0], 200)

        status, headers, _ = self.web.get("/", ok, method="POST", body=b"x=1")
        self.assertIn(status, (405, 413))
        self.assertSecurityHeaders(headers, "POST")
        self.assertEqual(self.web.get("/", ok, method="PUT")[0], 405)
        self.assertEqual(self.web.get("/", {**ok, "Content-Length": "5"}, body=b"hello")[0], 413)
        self.assertEqual(self.web.get("/", {**ok, "X-Filler": "a" * 9000})[0], 431)

    def test_paths(self):
        ok = {"Cookie": self.web.cookie}
        for path in ("/../README.md", "/%2e%2e/README.md", "/%2E%2E%2Fweb%2Fpage%2Findex.html",
                     "/..%2fapp.js", "/./app.js", "//app.js", "/nothing.html", "/index.html/",
                     "/web/page/index.html", "/page/../app.js"):
            status, headers, _ = self.web.get(path, ok)
            self.assertEqual(status, 404, path)
            self.assertSecurityHeaders(headers, f"404 {path}")
        self.assertEqual(self.web.get("/index.html", ok)[0], 200)
        self.assertEqual(self.web.get("/app.js?v=1", ok)[0], 200)

    def test_qr_code(self):
        ok = {"Cookie": self.web.cookie}
        self.assertEqual(self.web.get("/qr.svg?text=inmost1-abc")[0], 401)
        status, headers, body = self.web.get("/qr.svg?text=inmost1-abc%20def", ok)
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "image/svg+xml")
        self.assertTrue(body.startswith(b"<svg"), body[:40])
        self.assertNotIn(b"inmost1", body)
        self.assertSecurityHeaders(headers, "qr.svg")
        self.assertEqual(self.web.get("/qr.svg?text=" + "a" * 1025, ok)[0], 400)
        self.assertEqual(self.web.get("/qr.svg", ok)[0], 400)

    # ---- WebSocket ----------------------------------------------------------------

    def test_upgrade_refusals(self):
        port = self.web.port
        for origin in ("http://evil.example", f"http://localhost:{port}",
                       f"https://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}", "null"):
            ws = self.websocket(origin=origin)
            self.assertEqual(ws.status, 403, f"Origin {origin}")
            self.assertSecurityHeaders(ws.headers, "refused upgrade")
        self.assertEqual(self.websocket(origin="").status, 403)  # no Origin at all
        self.assertEqual(self.websocket(cookie=False).status, 401)
        self.assertEqual(self.websocket(cookie=f"inmost_token_{port}={'0' * 64}").status, 403)
        self.assertIn(self.websocket(host="evil.example").status, (403, 421))
        self.assertEqual(self.websocket(path="/ws/").status, 404)
        # localhost is the same server under its other name, Origin to match.
        ws = self.websocket(host=f"localhost:{port}")
        self.assertEqual(ws.status, 101)
        self.assertSecurityHeaders(ws.headers, "the upgrade")

    def test_bridge(self):
        ws = self.websocket()
        self.assertEqual(ws.status, 101)
        reply = ws.call("status")
        self.assertEqual(reply["result"]["fingerprint"], self.daemon.status()["fingerprint"])
        reply = ws.call("subscribe", request_id="sub")
        self.assertIn("result", reply)
        # An event caused by another client reaches the page.
        self.daemon.rpc("draft", {"set": True, "text": "from elsewhere"})
        while True:
            message = ws.read_json()
            if message.get("method") == "event" and "draft" in message["params"]:
                self.assertEqual(message["params"]["draft"]["text"], "from elsewhere")
                break
        # A bad line is the daemon's to answer; the bridge carries it unchanged.
        ws.send_text("{oops")
        self.assertEqual(ws.read_json()["error"]["code"], -32700)
        self.assertEqual(ws.call("status", request_id=7)["id"], 7)

    def test_refused_frames(self):
        binary = self.websocket()
        binary.send_frame(0x2, b'{"jsonrpc":"2.0","id":1,"method":"status"}')
        self.assertEqual(binary.wait_close(), 1008)

        not_json = self.websocket()
        not_json.send_text("\x00\x00\x00\x02ab")  # a protobuf frame's start
        self.assertEqual(not_json.wait_close(), 1008)

        oversize = self.websocket()
        # Only the header of a 2 MiB frame: the limit is checked before the payload.
        oversize.send_frame(0x1, b"{" * 1024, declared_length=2 << 20)
        self.assertIn(oversize.wait_close(), (1009, None))

        just_under = self.websocket()
        text = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "status",
                           "params": {}, "pad": "x" * ((1 << 20) - 200)})
        just_under.send_text(text)
        self.assertEqual(just_under.read_json()["id"], 3)  # the daemon's answer, whatever it is

        fine = self.websocket()
        self.assertIn("result", fine.call("status"))

        # The web onion's devices are the owner's, at the server's shell: a page cannot
        # let one in, alone, in a batch, or spelled with an escape the daemon decodes.
        for line in ('{"jsonrpc":"2.0","id":4,"method":"web_devices","params":{"add":"x"}}',
                     '[{"jsonrpc":"2.0","id":5,"method":"status"},'
                     '{"jsonrpc":"2.0","id":6,"method":"web_onion","params":{"port":80}}]',
                     '{"jsonrpc":"2.0","id":7,"method":"web\\u005fdevices","params":{}}'):
            owner_only = self.websocket()
            owner_only.send_text(line)
            self.assertEqual(owner_only.wait_close(), 1008, line)
        self.assertEqual(self.daemon.rpc("web_devices").get("devices", []), [])

    def test_daemon_restart(self):
        ws = self.websocket()
        self.assertIn("result", ws.call("subscribe"))
        self.daemon.kill9()
        self.assertEqual(ws.wait_close(), 1012)
        # Meanwhile an upgrade is refused, and the server still serves the page.
        self.assertEqual(self.websocket().status, 503)
        self.assertEqual(self.web.get("/", {"Cookie": self.web.cookie})[0], 200)
        self.daemon.start()
        again = wait_for(lambda: (lambda w: w if w.status == 101 else w.close_socket())(
            self.websocket()), START_TIMEOUT, "an upgrade after the restart")
        self.assertIn("result", again.call("status"))


class WebStartTest(IntegrationTest):

    def test_no_daemon(self):
        tmp = tempfile.mkdtemp(prefix="inmost-it-web-")
        self.addCleanup(lambda: os.rmdir(tmp))
        r = subprocess.run([INMOST, "--data-dir", tmp, "web"], capture_output=True, text=True,
                           timeout=60)
        self.assertExit(r, 3, "inmost web without a daemon")
        self.assertEqual(r.stdout, "")

    def test_token_file_keeps_the_url(self):
        """--token-file: the first run makes the file (0600, the URL's token); a later
        run on the same port serves the same URL, and the old cookie still opens the
        page; a file open to others or not a token is refused (exit 2) and left as is."""
        d = self.make_daemon("token")
        path = os.path.join(d.tmp, "web-token")
        first = WebServer(d, extra=("--token-file", path))
        self.addCleanup(first.stop)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as f:
            self.assertEqual(f.read(), first.token + "\n")
        self.assertEqual(first.get("/", {"Cookie": first.cookie})[0], 200)
        self.assertEqual(first.stop(), 0)
        self.assertNotIn(first.token, first.log_text())

        second = WebServer(d, listen=first.hostport, extra=("--token-file", path))
        self.addCleanup(second.stop)
        self.assertEqual(second.url, first.url)
        self.assertEqual(second.get("/", {"Cookie": first.cookie})[0], 200)
        self.assertEqual(second.stop(), 0)

        os.chmod(path, 0o644)
        r = d.cli("web", "--token-file", path)
        self.assertExit(r, 2, "a token file others can read")
        self.assertIn("chmod 600", r.stderr)
        self.assertNotIn(first.token, r.stderr + r.stdout)
        os.chmod(path, 0o600)
        with open(path, "w") as f:
            f.write("not a token\n")
        r = d.cli("web", "--token-file", path)
        self.assertExit(r, 2, "a token file without a token")
        with open(path) as f:
            self.assertEqual(f.read(), "not a token\n")

    def test_listen_checked(self):
        d = self.make_daemon("listen")
        for listen in ("0.0.0.0:0", "[::]:0", "example.com:80", "127.0.0.1", "127.0.0.1:99999"):
            r = d.cli("web", "--listen", listen)
            self.assertExit(r, 2, f"--listen {listen}")
            self.assertIn("--listen", r.stderr)


if __name__ == "__main__":
    harness.main()
