#!/usr/bin/env python3
"""The bots of scripts/bots (echo, daily-question, countdown, notify) against real
daemons: alice runs the bot against her daemon, bob talks to her.

Bot processes run with subprocess, their output going to files in a temporary
directory; each one is stopped (SIGTERM, then SIGKILL) when its test ends. Every wait
is a condition polled until a deadline, never a sleep. The time-of-day bots are driven
with --check-once and --now, so a day passes in a moment.
"""

import datetime
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import IntegrationTest, pair, wait_for  # noqa: E402

BOTS = os.path.join(harness.ROOT, "scripts", "bots")
ARRIVE = 20.0      # seconds for anything to cross the link (or come back after a restart)
BOT_START = 20.0   # seconds for a bot to subscribe, or to finish a --check-once
RUN_TIMEOUT = 60   # seconds for a one-shot bot run


def kind(m):
    return m.get("kind", "TEXT")


def unique(prefix):
    return f"{prefix} {secrets.token_hex(6)}"


def texts(d, direction, kinds=("TEXT",)):
    """The texts of d's entries of these kinds in one direction, oldest first."""
    return [m.get("text", "") for m in d.history_all()
            if m["direction"] == direction and kind(m) in kinds]


def at(day, hh_mm):
    """--now's format for a local date and time."""
    return f"{day.isoformat()}T{hh_mm}"


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def env_blocks(path):
    """A notify command's log: one dict of INMOST_* variables per notification."""
    blocks = []
    for chunk in read(path).split("---\n"):
        lines = [line for line in chunk.splitlines() if line]
        if lines:
            blocks.append(dict(line.split("=", 1) for line in lines))
    return blocks


class Bot:
    """A long-running bot process; its standard output and error go to files."""

    def __init__(self, name, args, tmp, env=None):
        self.name = name
        self.out_path = os.path.join(tmp, f"{name}-{secrets.token_hex(3)}.out")
        self.err_path = self.out_path[:-4] + ".err"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([os.path.join(BOTS, name)] + list(args),
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         env=env)

    def out(self):
        return read(self.out_path)

    def err(self):
        return read(self.err_path)

    def wait_output(self, text, what):
        def check():
            if text in self.out():
                return True
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode} before "
                                     f"{what}\nstdout: {self.out()}\nstderr: {self.err()}")
            return False
        wait_for(check, BOT_START, f"{self.name}: {what}")

    def wait_exit(self, timeout=ARRIVE):
        wait_for(lambda: self.proc.poll() is not None, timeout, f"{self.name} to exit")
        return self.proc.returncode

    def stop(self):
        """SIGTERM, then SIGKILL if it lingers; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class BotsTest(IntegrationTest):

    # ---- helpers ------------------------------------------------------------------

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="inmost-it-bots-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def pair_up(self):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob")
        pair(alice, bob)
        return alice, bob

    def path(self, name):
        return os.path.join(self.tmp, name)

    def start_bot(self, name, *args, env=None):
        bot = Bot(name, args, self.tmp, env=env)
        self.addCleanup(bot.stop)
        return bot

    def run_bot(self, name, *args, env=None):
        return subprocess.run([os.path.join(BOTS, name)] + list(args), capture_output=True,
                              text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL, env=env)

    def wait_texts(self, d, direction, expected, what):
        """Waits until d's texts in one direction are exactly `expected`."""
        return harness.wait_equal(lambda: texts(d, direction), expected, ARRIVE,
                                  f"{d.name}: {what}")

    # ---- echo -----------------------------------------------------------------------

    def test_echo_replies_to_texts_and_ignores_the_rest(self):
        alice, bob = self.pair_up()
        bot = self.start_bot("echo", "--data-dir", alice.data_dir)
        bot.wait_output("listening", "subscribed")
        own = unique("alice's own words")
        alice.send(own)
        bob.rpc("nudge", {"kind": "HUG"})
        bob.rpc("ask", {"text": unique("a question for the echo bot")})
        looped = "echo: " + unique("already an echo")
        bob.send(looped)
        first = unique("hello bot")
        bob.send(first)
        # Handled in order: once the reply to the last message is there, the others
        # were seen and left alone.
        self.wait_texts(bob, "INCOMING", [own, "echo: " + first], "the echo of the text")
        second = unique("and again")
        bob.send(second)
        self.wait_texts(bob, "INCOMING", [own, "echo: " + first, "echo: " + second],
                        "the second echo")
        self.assertEqual(texts(alice, "OUTGOING"), [own, "echo: " + first, "echo: " + second])
        self.assertEqual(texts(alice, "OUTGOING", ("QUESTION", "NUDGE", "ENVELOPE")), [],
                         "the bot only ever sends texts")
        self.assertNotIn(first, bot.out(), "the bot does not print message texts")
        self.assertEqual(bot.stop(), 0, f"echo on SIGTERM\nstderr: {bot.err()}")

    def test_echo_once_exits_after_one_reply(self):
        alice, bob = self.pair_up()
        env = dict(os.environ, INMOST_DATA_DIR=alice.data_dir)  # the default rule
        bot = self.start_bot("echo", "--once", env=env)
        bot.wait_output("listening", "subscribed")
        text = unique("just once")
        bob.send(text)
        self.assertEqual(bot.wait_exit(), 0, bot.err())
        self.wait_texts(bob, "INCOMING", ["echo: " + text], "the one echo")
        self.assertIn("replied to message", bot.out())

    def test_echo_reconnects_when_the_daemon_restarts(self):
        alice, bob = self.pair_up()
        bot = self.start_bot("echo", "--socket", alice.socket_path)
        bot.wait_output("listening", "subscribed")
        before = unique("before the restart")
        bob.send(before)
        self.wait_texts(bob, "INCOMING", ["echo: " + before], "the first echo")
        alice.stop()
        wait_for(lambda: not bob.status()["link_up"], ARRIVE, "bob sees the link down")
        meanwhile = unique("while alice was away")
        bob.send(meanwhile)  # waits in bob's outbox; arrives before the bot is back
        alice.start(same_port=True)
        self.wait_texts(bob, "INCOMING", ["echo: " + before, "echo: " + meanwhile],
                        "the echo of what arrived during the restart")
        after = unique("after the restart")
        bob.send(after)
        expected = ["echo: " + t for t in (before, meanwhile, after)]
        self.wait_texts(bob, "INCOMING", expected, "the echo after the restart")
        self.assertEqual(texts(alice, "OUTGOING"), expected, "each message answered once")
        wait_for(lambda: "reconnected" in bot.err(), BOT_START, "the bot says it reconnected")
        self.assertIsNone(bot.proc.poll(), "the bot kept running")

    # ---- daily-question -------------------------------------------------------------

    def test_daily_question_asks_once_a_day_across_runs(self):
        alice, bob = self.pair_up()
        state = self.path("daily.json")
        questions = [unique("What made you smile"), unique("Where shall we go")]
        day = datetime.date.today()
        args = ["--data-dir", alice.data_dir, "--at", "09:00", "--state", state,
                "--question", questions[0], "--question", questions[1], "--check-once"]

        def run(now):
            r = self.run_bot("daily-question", *args, "--now", now)
            self.assertExit(r, 0, f"daily-question --now {now}")
            return r.stdout

        def rotated(d):
            return questions[d.toordinal() % 2]

        self.assertIn("not yet", run(at(day, "08:59")))
        self.assertFalse(os.path.exists(state), "nothing asked, nothing remembered")
        self.assertIn("asked question", run(at(day, "09:00")))
        self.assertIn("already asked", run(at(day, "09:30")))
        self.assertIn("already asked", run(at(day, "23:59")))
        tomorrow = day + datetime.timedelta(days=1)
        self.assertIn("not yet", run(at(tomorrow, "08:00")))
        self.assertIn("asked question", run(at(tomorrow, "21:15")))  # late is fine
        self.assertIn("already asked", run(at(tomorrow, "22:00")))
        expected = [rotated(day), rotated(tomorrow)]
        self.assertNotEqual(expected[0], expected[1], "one question a day, in turn")
        harness.wait_equal(lambda: texts(bob, "INCOMING", ("QUESTION",)), expected, ARRIVE,
                           "bob: one question on each day")
        self.assertEqual(texts(alice, "OUTGOING", ("QUESTION",)), expected)
        self.assertEqual(texts(alice, "OUTGOING"), [], "questions are asked, not sent as texts")

    def test_daily_question_reminds_of_the_question_of_the_day(self):
        alice, bob = self.pair_up()
        state = self.path("daily.json")
        args = ["--data-dir", alice.data_dir, "--state", state, "--check-once"]
        # A day ahead: its question, as the daemons derive it for that UTC date.
        tomorrow = datetime.date.today() + datetime.timedelta(days=1)
        now = at(tomorrow, "10:00")
        utc = datetime.datetime.fromisoformat(now).astimezone(datetime.timezone.utc).date()
        question = bob.rpc("today", {"date": utc.isoformat()})["question"]
        r = self.run_bot("daily-question", *args, "--at", "09:00", "--now", now)
        self.assertExit(r, 0, "daily-question without --question")
        self.assertIn("question of the day", r.stdout)
        got = bob.wait_find(lambda m: kind(m) == "TEXT" and question in m.get("text", ""),
                            ARRIVE, "the question of the day reminded")
        self.assertIn("inmost answer today", got["text"])
        r = self.run_bot("daily-question", *args, "--at", "09:00", "--now", at(tomorrow, "18:00"))
        self.assertExit(r, 0, "the same day again")
        self.assertIn("already asked", r.stdout)
        # A day you have both answered already: nothing to ask.
        today = alice.rpc("today", {})
        alice.rpc("answer", {"today": True, "text": unique("alice answers")})
        q = bob.wait_find(lambda m: kind(m) == "QUESTION", ARRIVE, "the question on bob")
        bob.rpc("answer", {"question_id": q["id"], "text": unique("bob answers")})
        wait_for(lambda: alice.rpc("today", {"date": today["date"]})["state"]["state"]
                 == "REVEALED", ARRIVE, "alice: both answered")
        noon_utc = datetime.datetime.combine(datetime.date.fromisoformat(today["date"]),
                                             datetime.time(12, 0), datetime.timezone.utc)
        local = noon_utc.astimezone().replace(tzinfo=None)
        r = self.run_bot("daily-question", *args, "--at", "00:00",
                         "--now", local.strftime("%Y-%m-%dT%H:%M"))
        self.assertExit(r, 0, "daily-question on an answered day")
        self.assertIn("both answered", r.stdout)
        self.assertEqual(len(texts(alice, "OUTGOING")), 1, "only the one reminder was sent")

    # ---- countdown ------------------------------------------------------------------

    def test_countdown_sends_each_threshold_once_across_restarts(self):
        alice, bob = self.pair_up()
        state = self.path("countdown.json")
        day = datetime.date.today()
        target = day + datetime.timedelta(days=10)
        name = "our trip to the sea"
        args = ["--socket", alice.socket_path, "--date", target.isoformat(), "--name", name,
                "--days", "30,7,1,0", "--state", state, "--check-once"]

        def run(days_before, hh_mm):
            now = at(target - datetime.timedelta(days=days_before), hh_mm)
            r = self.run_bot("countdown", *args, "--now", now)
            self.assertExit(r, 0, f"countdown --now {now}")
            return r.stdout

        self.assertIn("not yet", run(10, "08:59"))       # --at defaults to 09:00
        self.assertIn("sent '10 days until", run(10, "09:00"))  # 30 crossed before the start
        self.assertIn("sent already", run(10, "20:00"))
        self.assertIn("sent already", run(8, "10:00"))
        self.assertIn("not yet", run(7, "08:00"))
        self.assertIn("sent '7 days until", run(7, "12:00"))
        self.assertIn("sent already", run(7, "13:00"))
        self.assertIn("sent already", run(2, "10:00"))
        # The day before was missed (the bot was not running): only the latest is sent.
        self.assertIn("sent 'Today is", run(0, "23:00"))
        self.assertIn("sent already", run(0, "23:30"))
        self.assertIn("has passed", run(-1, "10:00"))
        expected = [f"10 days until {name}", f"7 days until {name}", f"Today is {name}."]
        self.wait_texts(bob, "INCOMING", expected, "each reminder once")
        self.assertEqual(texts(alice, "OUTGOING"), expected)

        # Running for ever (no --check-once): it sends what is due, and a restart does
        # not send it again.
        soon = day + datetime.timedelta(days=1)
        loop_args = ["--data-dir", alice.data_dir, "--date", soon.isoformat(),
                     "--name", "the concert", "--days", "1", "--at", "00:00",
                     "--state", self.path("concert.json")]
        bot = self.start_bot("countdown", *loop_args)
        bot.wait_output("running", "the first check")
        expected.append("1 day until the concert")
        self.wait_texts(bob, "INCOMING", expected, "the running bot's reminder")
        self.assertEqual(bot.stop(), 0, bot.err())
        again = self.start_bot("countdown", *loop_args)
        again.wait_output("running", "the first check after a restart")
        self.assertEqual(texts(alice, "OUTGOING"), expected, "nothing sent twice")

    def test_countdown_yearly_counts_to_the_next_occurrence(self):
        alice, bob = self.pair_up()
        day = datetime.date.today()
        upcoming = day + datetime.timedelta(days=3)
        try:
            first = upcoming.replace(year=upcoming.year - 5)
        except ValueError:  # 29 February
            first = upcoming.replace(year=upcoming.year - 4)
        r = self.run_bot("countdown", "--data-dir", alice.data_dir, "--date", first.isoformat(),
                         "--yearly", "--name", "our anniversary", "--days", "3",
                         "--state", self.path("yearly.json"), "--check-once",
                         "--now", at(day, "12:00"))
        self.assertExit(r, 0, "countdown --yearly")
        self.wait_texts(bob, "INCOMING", ["3 days until our anniversary"], "the yearly reminder")
        # Without --yearly the same date is long past.
        r = self.run_bot("countdown", "--data-dir", alice.data_dir, "--date", first.isoformat(),
                         "--name", "our anniversary", "--days", "3",
                         "--state", self.path("once.json"), "--check-once",
                         "--now", at(day, "12:00"))
        self.assertExit(r, 0, "countdown to a past date")
        self.assertIn("has passed", r.stdout)

    # ---- notify ---------------------------------------------------------------------

    def notify_command(self, log):
        """A command that appends its INMOST_* environment, then a separator, to log."""
        return f"env | grep '^INMOST_' | sort >> '{log}'; echo --- >> '{log}'"

    def test_notify_passes_who_and_what_but_not_the_text(self):
        alice, bob = self.pair_up()
        log = self.path("notify.log")
        # An inherited INMOST_TEXT must not leak through to the command either.
        env = dict(os.environ, INMOST_TEXT="inherited words")
        bot = self.start_bot("notify", "--data-dir", alice.data_dir, "--max", "3",
                             "--command", self.notify_command(log), env=env)
        bot.wait_output("listening", "subscribed")
        text = unique("a private text")
        asked = unique("a private question")
        bob.send(text)
        bob.rpc("nudge", {"kind": "MISSING_YOU"})
        bob.rpc("ask", {"text": asked})
        self.assertEqual(bot.wait_exit(), 0, f"notify --max 3\nstderr: {bot.err()}")
        blocks = {b["INMOST_KIND"]: b for b in env_blocks(log)}
        self.assertEqual(sorted(blocks), ["nudge", "question", "text"], read(log))
        for b in blocks.values():
            self.assertEqual(b["INMOST_FROM"], "partner")
            self.assertNotIn("INMOST_TEXT", b)
            self.assertEqual(b["INMOST_URGENT"], "0")
        self.assertEqual(blocks["nudge"]["INMOST_NUDGE"], "missing-you")
        self.assertEqual(blocks["nudge"]["INMOST_COUNT"], "1")
        self.assertNotIn("INMOST_NUDGE", blocks["text"])
        got = alice.wait_find(lambda m: m.get("text") == text, ARRIVE, "the text on alice")
        self.assertEqual(blocks["text"]["INMOST_MESSAGE_ID"], got["id"])
        everything = read(log) + bot.out() + bot.err()
        for secret in (text, asked, "inherited words"):
            self.assertNotIn(secret, everything)

    def test_notify_passes_the_text_only_when_asked(self):
        alice, bob = self.pair_up()
        log = self.path("notify.log")
        bot = self.start_bot("notify", "--data-dir", alice.data_dir, "--max", "3",
                             "--include-text", "--command", self.notify_command(log))
        bot.wait_output("listening", "subscribed")
        text = unique("words for the screen")
        asked = unique("a question to show")
        bob.send(text)
        bob.rpc("ask", {"text": asked})
        bob.rpc("nudge", {"kind": "HUG"})
        self.assertEqual(bot.wait_exit(), 0, bot.err())
        blocks = {b["INMOST_KIND"]: b for b in env_blocks(log)}
        self.assertEqual(blocks["text"].get("INMOST_TEXT"), text)
        self.assertEqual(blocks["question"].get("INMOST_TEXT"), asked)
        self.assertEqual(blocks["nudge"]["INMOST_NUDGE"], "hug")
        self.assertNotIn("INMOST_TEXT", blocks["nudge"])

    def test_notify_reports_a_failing_command_and_goes_on(self):
        alice, bob = self.pair_up()
        log = self.path("ids.log")
        bot = self.start_bot("notify", "--data-dir", alice.data_dir, "--max", "2", "--command",
                             f"echo \"$INMOST_KIND $INMOST_MESSAGE_ID\" >> '{log}'; exit 7")
        bot.wait_output("listening", "subscribed")
        bob.send(unique("first"))
        bob.send(unique("second"))
        self.assertEqual(bot.wait_exit(), 0, bot.err())
        lines = read(log).splitlines()
        self.assertEqual(len(lines), 2, lines)
        self.assertTrue(all(line.startswith("text ") for line in lines), lines)
        self.assertEqual(bot.err().count("exited with status 7"), 2, bot.err())

    def test_notify_keeps_quiet_and_sums_up_after(self):
        alice, bob = self.pair_up()
        log = self.path("notify.log")
        bot = self.start_bot("notify", "--data-dir", alice.data_dir, "--max", "2",
                             "--command", self.notify_command(log))
        bot.wait_output("listening", "subscribed")
        alice.rpc("quiet", {"for_seconds": 3600})
        held = [unique("while quiet"), unique("also while quiet")]
        for text in held:
            bob.send(text)
        bob.rpc("nudge", {"kind": "KISS"})
        alice.wait_find(lambda m: kind(m) == "NUDGE", ARRIVE, "the nudge kept on alice")
        self.wait_texts(alice, "INCOMING", held, "the texts kept on alice")
        alice.rpc("quiet", {"end": True})
        wait_for(lambda: env_blocks(log), ARRIVE, "the summary notification")
        urgent = unique("urgent")
        bob.rpc("send", {"text": urgent, "urgent": True})
        self.assertEqual(bot.wait_exit(), 0, bot.err())
        blocks = env_blocks(log)
        self.assertEqual([b["INMOST_KIND"] for b in blocks], ["summary", "text"], read(log))
        self.assertEqual(blocks[0]["INMOST_MESSAGES"], "2")
        self.assertEqual(blocks[0]["INMOST_NUDGES"], "1")
        self.assertEqual(blocks[1]["INMOST_URGENT"], "1")

    # ---- command lines ----------------------------------------------------------------

    def test_bad_arguments_exit_2_with_a_message(self):
        cases = [
            ("echo", ["--bogus"], "unrecognized arguments"),
            ("daily-question", ["--state", "s.json"], "--at"),
            ("daily-question", ["--at", "9am", "--state", "s.json"], "HH:MM"),
            ("daily-question", ["--at", "24:00", "--state", "s.json"], "HH:MM"),
            ("daily-question", ["--at", "09:00"], "--state"),
            ("daily-question", ["--at", "09:00", "--state", "s", "--question", " "], "empty"),
            ("daily-question", ["--at", "09:00", "--state", "s", "--now", "2026-01-01T10:00"],
             "--check-once"),
            ("daily-question", ["--at", "09:00", "--state", "s", "--check-once", "--now",
                                "tomorrow"], "YYYY-MM-DDTHH:MM"),
            ("countdown", ["--name", "x", "--state", "s"], "--date"),
            ("countdown", ["--date", "2026-02-30", "--name", "x", "--state", "s"], "YYYY-MM-DD"),
            ("countdown", ["--date", "2026-12-24", "--name", "x", "--state", "s",
                           "--days", "7,soon"], "comma-separated"),
            ("countdown", ["--date", "2026-12-24", "--name", "x", "--state", "s",
                           "--days", "-1"], "between 0"),
            ("countdown", ["--date", "2026-12-24", "--name", " ", "--state", "s"], "--name"),
            ("countdown", ["--date", "2026-12-24", "--name", "x", "--state", self.tmp],
             "directory"),
            ("notify", [], "--command"),
            ("notify", ["--command", " "], "empty"),
            ("notify", ["--command", "true", "--kinds", "text,letters"], "unknown kind"),
            ("notify", ["--command", "true", "--max", "0"], "positive"),
        ]
        for bot, args, expected in cases:
            with self.subTest(bot=bot, args=args):
                r = self.run_bot(bot, "--data-dir", self.tmp, *args)
                self.assertExit(r, 2, f"{bot} {' '.join(args)}")
                self.assertIn(expected, r.stderr)
                self.assertIn("usage:", r.stderr)
                self.assertEqual(r.stdout, "")
        for bot in ("echo", "daily-question", "countdown", "notify"):
            with self.subTest(bot=bot, args=["--help"]):
                r = self.run_bot(bot, "--help")
                self.assertExit(r, 0, f"{bot} --help")
                self.assertIn("exit codes", r.stdout.lower())

    def test_no_daemon_exits_3_and_no_partner_exits_1(self):
        missing = self.path("nowhere")
        for bot, args in (("echo", []), ("notify", ["--command", "true"]),
                          ("daily-question", ["--at", "09:00", "--state", self.path("d.json"),
                                              "--check-once"]),
                          ("countdown", ["--date", "2030-01-01", "--name", "x",
                                         "--state", self.path("c.json")])):
            with self.subTest(bot=bot):
                r = self.run_bot(bot, "--data-dir", missing, *args)
                self.assertExit(r, 3, f"{bot} without a daemon")
                self.assertIn("is inmostd running", r.stderr)
        alone = self.make_daemon("alone")
        r = self.run_bot("daily-question", "--data-dir", alone.data_dir, "--at", "00:00",
                         "--state", self.path("d.json"), "--check-once")
        self.assertExit(r, 1, "daily-question unpaired")
        self.assertIn("not paired", r.stderr)
        self.assertFalse(os.path.exists(self.path("d.json")))


if __name__ == "__main__":
    harness.main()
