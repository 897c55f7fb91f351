"""The private Tor network's own minimal control-port client (tests/tools/
tor_privnet.py): COOKIE authentication, GETINFO status/bootstrap-phase and SIGNAL,
synchronous, standard library only. It is the harness's tool, not the thing tested
(that is inmost's TorController), and must never connect anywhere but 127.0.0.1."""

import re
import socket

LOOPBACK = "127.0.0.1"


class ControlClient:
    """The harness's own minimal control connection (COOKIE authentication): enough to
    read bootstrap progress and send signals. inmost's controller is what is tested."""

    def __init__(self, port, cookie_file, timeout=10.0):
        self.sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
        self.file = self.sock.makefile("rb")
        with open(cookie_file, "rb") as f:
            self.command("AUTHENTICATE " + f.read().hex())

    def command(self, line):
        """Sends `line`; returns the reply's lines (text after the status code)."""
        self.sock.sendall(line.encode() + b"\r\n")
        while True:
            lines, status = [], None
            while True:
                raw = self.file.readline()
                if not raw:
                    raise RuntimeError(f"tor closed the control connection after {line!r}")
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                status = text[:3]
                lines.append(text[4:])
                if text[3:4] == "+":
                    while self.file.readline().rstrip(b"\r\n") != b".":
                        pass
                if text[3:4] == " ":
                    break
            if status == "650":
                continue  # An event; the harness asks for none.
            if not status.startswith("2"):
                raise RuntimeError(f"tor refused {line.split()[0]}: {status} {lines[-1]}")
            return lines

    def bootstrap_progress(self):
        reply = self.command("GETINFO status/bootstrap-phase")
        return int(re.search(r"PROGRESS=(\d+)", reply[0]).group(1))

    def close(self):
        self.sock.close()
