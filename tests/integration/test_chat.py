#!/usr/bin/env python3
"""`inmost chat` as a person uses it: full-screen in a terminal, driven through tmux
(a real terminal emulator whose screen the test reads back), and as JSON lines.

Each test types, reads the screen until what it waits for shows up (with a deadline,
never a fixed sleep), and checks on the partner's daemon what was really sent. tmux
runs on a private socket in the test's temporary directory and is killed at the end.
"""

import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import INMOST, IntegrationTest, pair, wait_for  # noqa: E402

WIDTH, HEIGHT = 160, 50


class TmuxChat:
    """`inmost chat` for one daemon in a detached tmux session of WIDTH x HEIGHT."""

    def __init__(self, test, daemon, *args):
        self.dir = tempfile.mkdtemp(prefix="inmost-it-tmux-")
        test.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.socket = os.path.join(self.dir, "tmux.sock")
        self.status_path = os.path.join(self.dir, "exit-status")
        command = ["sh", "-c", '"$@"; echo $? > "$STATUS.part" && mv "$STATUS.part" "$STATUS"',
                   "sh", INMOST, "--data-dir", daemon.data_dir, "chat"] + list(args)
        # -u: UTF-8 whatever the locale of the test; -f /dev/null: no user config. The
        # pane is kept after the chat exits (remain-on-exit), so that its exit status
        # can be read.
        test.addCleanup(self.tmux, "kill-server", check=False)
        self.tmux("start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";",
                  "new-session", "-d", "-s", "chat", "-x", str(WIDTH), "-y", str(HEIGHT),
                  "-e", "LANG=C.UTF-8", "-e", f"STATUS={self.status_path}", "--", *command)

    def tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-u", "-f", "/dev/null", "-S", self.socket] + list(args),
                              capture_output=True, text=True, timeout=30, check=check)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "chat").stdout

    def type(self, text):
        self.tmux("send-keys", "-t", "chat", "-l", "--", text)
        self.tmux("send-keys", "-t", "chat", "Enter")

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "chat", *keys)

    def wait_for_text(self, needle, timeout=20, what=None):
        def check():
            screen = self.screen()
            self.last = screen
            return needle in screen
        self.last = ""
        try:
            wait_for(check, timeout, what or f"{needle!r} on the chat screen")
        except AssertionError as e:
            raise AssertionError(f"{e}\n---- screen ----\n{self.last}") from None
        return self.last

    def exit_status(self):
        """None while the chat runs, else its exit status."""
        # Written by the shell around the chat: tmux's own #{pane_dead_status} is
        # sometimes left empty when the pane's end is seen before the process's.
        try:
            with open(self.status_path) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None


def end_process(proc):
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        stream.close()


def their_reaction(daemon, text):
    """The partner's reaction to the message with this text, as `daemon` sees it."""
    for m in daemon.history_all():
        if m["text"] == text:
            return m.get("their_reaction", "")
    return None


def incoming_texts(daemon):
    return [m["text"] for m in daemon.history_all()
            if m["direction"] == "INCOMING" and m.get("kind", "TEXT") == "TEXT"]


class ChatTest(IntegrationTest):

    def setUp(self):
        super().setUp()
        if shutil.which("tmux") is None:
            self.fail("tmux is not installed (scripts/setup installs it)")

    def open_chat(self, daemon, *args):
        chat = TmuxChat(self, daemon, *args)
        chat.wait_for_text("type a message", what="the chat to start")
        return chat

    def test_typing_sending_receiving_and_slash_commands(self):
        alice, bob = self.pair_up()
        bob.send("before chat")
        wait_for(lambda: incoming_texts(alice) == ["before chat"], 20, "alice to receive")
        chat = self.open_chat(alice)
        chat.wait_for_text("partner: before chat")
        chat.wait_for_text("link up")  # The status line.

        chat.type("typed in chat ❤")
        wait_for(lambda: incoming_texts(bob) == ["typed in chat ❤"], 20,
                 "bob to receive the line typed in chat")
        chat.wait_for_text("you: typed in chat ❤")
        bob.send("answer to chat")
        chat.wait_for_text("partner: answer to chat")

        # Sent by another client of alice's daemon: its text shows, not only its id.
        alice.send("from another terminal")
        chat.wait_for_text("you: from another terminal")

        # /help is shown here, never sent.
        chat.type("/help")
        chat.wait_for_text("//text")
        # A command runs as `inmost nudge hug` would, and is not sent as text.
        chat.type("/nudge hug")
        wait_for(lambda: any(m.get("kind") == "NUDGE" for m in bob.history_all()), 20,
                 "bob to receive the hug")
        chat.wait_for_text("you: (hug)")
        answer = [m for m in alice.history_all() if m["text"] == "answer to chat"][0]
        chat.type(f"/react {answer['id']} ❤")
        wait_for(lambda: their_reaction(bob, "answer to chat") == "❤", 20,
                 "bob to see alice's reaction")
        chat.wait_for_text("answer to chat [you: ❤]")
        # A literal leading slash, and a command that does not exist.
        chat.type("//x")
        chat.type("/frobnicate now")
        chat.wait_for_text("unknown command /frobnicate")
        wait_for(lambda: incoming_texts(bob)[-1:] == ["/x"], 20, "bob to receive /x")
        self.assertEqual(incoming_texts(bob), ["typed in chat ❤", "from another terminal", "/x"],
                         "only the messages were sent, none of the commands")

        chat.keys("C-d")  # On an empty line: the end of the chat.
        wait_for(lambda: chat.exit_status() is not None, 20, "the chat to end on Ctrl-D")
        self.assertEqual(chat.exit_status(), 0)

    def test_reconnects_after_a_daemon_restart_and_misses_nothing(self):
        alice, bob = self.pair_up()
        chat = self.open_chat(alice)
        chat.wait_for_text("link up")
        alice.stop()
        chat.wait_for_text("inmostd is not answering; reconnecting")
        # Typed while inmostd is away: refused, and kept to send again.
        chat.type("typed during the outage")
        chat.wait_for_text("[not sent: inmostd is not answering")
        chat.wait_for_text("> typed during the outage")
        bob.send("sent while alice's daemon was down")
        alice.start(same_port=True)
        chat.wait_for_text("reconnected to inmostd", timeout=30)
        chat.wait_for_text("partner: sent while alice's daemon was down", timeout=30)
        chat.keys("Enter")  # The line given back, sent now.
        wait_for(lambda: "typed during the outage" in incoming_texts(bob), 30,
                 "bob to receive the line typed during the outage")
        chat.type("after the restart")
        screen = chat.wait_for_text("you: after the restart")
        # Everything before "after the restart" has been shown by now: each once.
        self.assertEqual(screen.count("sent while alice's daemon was down"), 1, screen)
        self.assertEqual(screen.count("you: typed during the outage"), 1, screen)
        self.assertEqual(incoming_texts(bob).count("typed during the outage"), 1)

    def test_nudges_in_a_row_are_one_line(self):
        alice, bob = self.pair_up()
        chat = self.open_chat(alice)
        for _ in range(9):
            bob.rpc("nudge", {"kind": "KISS"})
        wait_for(lambda: len([m for m in alice.history_all() if m.get("kind") == "NUDGE"]) == 9,
                 20, "alice to receive nine kisses")
        screen = chat.wait_for_text("partner: (kiss ×9)")
        self.assertEqual(screen.count("(kiss"), 1, screen)

    def test_an_envelope_opening_is_one_changed_line(self):
        alice, bob = self.pair_up()
        chat = self.open_chat(alice)
        r = bob.cli("send", "--gentle", "--note", "when you are ready", "the gentle words")
        self.assertExit(r, 0, "inmost send --gentle")
        envelope = wait_for(lambda: [m for m in alice.history_all() if m.get("kind") == "ENVELOPE"],
                            20, "alice to receive the envelope")[0]
        # In the chat the next step is a slash command, not a second terminal's.
        chat.wait_for_text(f"open with: /open {envelope['id']}")
        chat.type(f"/open {envelope['id']}")
        wait_for(lambda: alice.entry(envelope["id"])["envelope"]["state"] == "OPENED", 20,
                 "the envelope to open")
        screen = chat.wait_for_text("-- changed: ")
        chat.type("after the opening")  # Everything about the opening is on screen by then.
        screen = chat.wait_for_text("you: after the opening")
        changed = [line for line in screen.splitlines() if line.startswith("-- changed: ")]
        self.assertEqual(len(changed), 1, screen)
        self.assertIn("the gentle words", changed[0])

    def test_status_line_shows_presence_and_counts_down_to_the_next_envelope(self):
        alice, bob = self.pair_up()
        chat = self.open_chat(alice)
        chat.wait_for_text("link up · partner not here")
        watching = self.subscribe(bob, present=True)  # bob opens a chat of his own
        chat.wait_for_text("link up · partner here")
        r = bob.cli("send", "--open-in", "2h", "for later")
        self.assertExit(r, 0, "inmost send --open-in 2h")
        envelope = wait_for(lambda: [m for m in alice.history_all() if m.get("kind") == "ENVELOPE"],
                            20, "alice to receive the sealed envelope")[0]
        chat.wait_for_text(f"#{envelope['id']} opens in 1h 59m")
        watching.close()
        chat.wait_for_text("link up · partner not here")

    def test_plain_lines_reconnect_and_show_other_clients_messages(self):
        alice, bob = self.pair_up()
        proc = subprocess.Popen([INMOST, "--data-dir", alice.data_dir, "chat"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.addCleanup(end_process, proc)
        output = [b""]

        def read_until(needle, timeout=30):
            deadline = time.monotonic() + timeout
            while needle.encode() not in output[0]:
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, f"no {needle!r} in {output[0].decode()!r}")
                ready, _, _ = select.select([proc.stdout], [], [], left)
                if ready:
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        self.fail(f"chat ended before {needle!r}: {output[0].decode()!r} "
                                  f"{proc.stderr.read()!r}")
                    output[0] += chunk
            return output[0].decode()

        alice.send("from another client")
        read_until("you: from another client")
        proc.stdin.write(b"/help\n//z\n")
        proc.stdin.flush()
        wait_for(lambda: "/z" in incoming_texts(bob), 20, "bob to receive /z")
        alice.stop()
        read_until("-- inmostd is not answering; reconnecting")
        bob.send("sent during the restart")
        alice.start(same_port=True)
        read_until("-- reconnected to inmostd")
        text = read_until("partner: sent during the restart")
        proc.stdin.write(b"after the restart\n")
        proc.stdin.flush()
        text = read_until("you: after the restart")
        self.assertEqual(text.count("sent during the restart"), 1, text)
        proc.stdin.close()
        self.assertEqual(proc.wait(10), 0, proc.stderr.read())
        wait_for(lambda: "after the restart" in incoming_texts(bob), 30,
                 "bob to receive the line typed after the restart")
        self.assertEqual(incoming_texts(bob), ["from another client", "/z", "after the restart"])

    def test_what_a_quiet_held_back_shows_when_it_ends(self):
        alice, bob = self.pair_up()
        chat = self.open_chat(alice)
        chat.type("/quiet 1h")
        chat.wait_for_text("quiet until")  # The status line.
        bob.send("said during the quiet")
        wait_for(lambda: "said during the quiet" in incoming_texts(alice), 20,
                 "alice's daemon to store it")
        chat.type("/quiet off")
        chat.wait_for_text("Quiet ended: 1 message")
        screen = chat.wait_for_text("partner: said during the quiet")
        self.assertEqual(screen.count("said during the quiet"), 1, screen)

    def test_json_chat_is_json_lines(self):
        alice, bob = self.pair_up()
        bob.send("before the json chat")
        wait_for(lambda: incoming_texts(alice) == ["before the json chat"], 20, "alice to receive")
        proc = subprocess.Popen([INMOST, "--data-dir", alice.data_dir, "--json", "chat"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

        self.addCleanup(end_process, proc)
        lines = []
        buffer = [b""]

        def read_until(predicate, what, timeout=20):
            deadline = time.monotonic() + timeout
            while True:
                for line in lines:
                    if predicate(line):
                        return line
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, f"no {what} in {lines!r}")
                ready, _, _ = select.select([proc.stdout], [], [], left)
                if not ready:
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    self.fail(f"chat ended before {what}: {proc.stderr.read()!r}")
                buffer[0] += chunk
                *complete, buffer[0] = buffer[0].split(b"\n")
                lines.extend(json.loads(line) for line in complete if line.strip())

        read_until(lambda e: e.get("message", {}).get("text") == "before the json chat",
                   "the history entry")
        bob.send("during the json chat")
        read_until(lambda e: e.get("message_received", {}).get("message", {}).get("text")
                   == "during the json chat", "the message_received event")
        proc.stdin.write(b"/help\n//y\n")
        proc.stdin.flush()
        read_until(lambda e: "//text" in e.get("notice", ""), "the help notice")
        wait_for(lambda: "/y" in incoming_texts(bob), 20, "bob to receive /y")
        read_until(lambda e: e.get("message", {}).get("text") == "/y", "the line sent")
        proc.stdin.close()
        self.assertEqual(proc.wait(10), 0, proc.stderr.read())
        self.assertNotIn("/help", incoming_texts(bob))


if __name__ == "__main__":
    harness.main()
