"""Issue 16, item 5: a partner cannot fill this daemon's disk.

Each daemon keeps a budget against a runaway or hostile partner (items and bytes per
hour, and items and bytes stored but not yet read; `--incoming-*`). Past it, it
takes no more of the partner's stream for now: it stores nothing beyond, tells its
own user once, and tells the partner's daemon, which shows its user that what they
send waits. Nothing already accepted is lost: what waited arrives, each item once,
once there is room. Here the partner is a real daemon sending far past small
budgets; the defaults are far above what an honest partner sends.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import IntegrationTest, pair, wait_for  # noqa: E402

ARRIVE = 20.0 * harness.SLOWDOWN


def incoming_texts(d):
    return [m["text"] for m in d.history_all()
            if m["direction"] == "INCOMING" and m.get("kind", "TEXT") == "TEXT"]


def notices(d, direction):
    return [m["text"] for m in d.history_all()
            if m.get("kind") == "NOTICE" and m["direction"] == direction]


class IncomingBudgetTest(IntegrationTest):

    def pair_with_budget(self, *budget):
        alice = self.make_daemon("alice")
        bob = self.make_daemon("bob", extra_args=list(budget))
        pair(alice, bob)
        return alice, bob

    def send_all(self, sender, requests):
        """Sends each request's params (a text, or a file) over one connection."""
        with sender.connect() as conn:
            for params in requests:
                conn.call("send", params)

    def wait_refused(self, alice, bob, reason):
        wait_for(lambda: reason in alice.status().get("partner_refuses", ""), ARRIVE,
                 "alice is told that bob's daemon refuses more")
        self.assertIn(reason, bob.status().get("refusing_partner", ""))

    def test_texts_past_the_items_of_an_hour_wait_on_the_senders_side(self):
        alice, bob = self.pair_with_budget("--incoming-items-per-hour", "20")
        sent = [f"flood {i:03d}" for i in range(60)]
        self.send_all(alice, [{"text": text} for text in sent])
        self.wait_refused(alice, bob, "more than 20 items in an hour")
        self.assertEqual(incoming_texts(bob), sent[:20], "bob stores exactly his budget")
        self.assertEqual(int(alice.status()["unacknowledged"]), 40, "the rest waits with alice")
        pending = [m for m in alice.history_all()
                   if m["direction"] == "OUTGOING" and m.get("state") == "PENDING"]
        self.assertEqual(len(pending), 40)
        # Each user is told once.
        self.assertEqual(len(notices(bob, "INCOMING")), 1, notices(bob, "INCOMING"))
        self.assertIn("more than 20 items in an hour", notices(bob, "INCOMING")[0])
        told = wait_for(lambda: notices(alice, "OUTGOING"), ARRIVE, "alice's notice")
        self.assertEqual(len(told), 1, told)
        self.assertIn("refuses more for now", told[0])
        self.assertEqual(bob.log_text().count("taking no more of the partner's messages"), 1)
        # Bob's own stream is not held up: he still reaches alice.
        alice_count = len(alice.history_all())
        bob.send("still here")
        wait_for(lambda: any(m.get("text") == "still here" for m in alice.history_all()), ARRIVE,
                 "bob's message reaches alice")
        self.assertGreater(len(alice.history_all()), alice_count)
        # A bigger budget (a new hour, here a restart with a larger one): all of it
        # arrives, each once, in order.
        bob.stop()
        bob.extra_args = ["--incoming-items-per-hour", "1000"]
        bob.start(same_port=True)
        wait_for(lambda: incoming_texts(bob) == sent, ARRIVE, "the rest arrives, each once")
        # Bob acks after his write, so his last ack may still be on its way to alice.
        wait_for(lambda: int(alice.status()["unacknowledged"]) == 0, ARRIVE,
                 "alice hears bob's ack of all of it")
        self.assertFalse(alice.status().get("partner_refuses"), "alice no longer told of a refusal")

    def test_reading_makes_room_past_the_unread_budget(self):
        alice, bob = self.pair_with_budget("--incoming-unread-items", "10")
        sent = [f"unread {i:03d}" for i in range(25)]
        self.send_all(alice, [{"text": text} for text in sent])
        self.wait_refused(alice, bob, "more than 10 items not yet read")
        self.assertEqual(incoming_texts(bob), sent[:10])
        # Reading lifts it at once: what waited arrives, up to the budget again,
        # and after reading once more, the rest. Each once, in order.
        bob.rpc("mark_read", {})
        wait_for(lambda: len(incoming_texts(bob)) >= 20, ARRIVE, "ten more after reading")
        self.assertEqual(incoming_texts(bob)[:20], sent[:20])
        bob.rpc("mark_read", {})
        wait_for(lambda: incoming_texts(bob) == sent, ARRIVE, "the rest after reading again")
        wait_for(lambda: int(alice.status()["unacknowledged"]) == 0, ARRIVE, "all delivered")

    def test_bytes_of_an_hour(self):
        alice, bob = self.pair_with_budget("--incoming-bytes-per-hour", "64K")
        sent = [f"{i:02d} " + "x" * 20000 for i in range(10)]
        self.send_all(alice, [{"text": text} for text in sent])
        self.wait_refused(alice, bob, "more than 64 KiB in an hour")
        self.assertEqual(incoming_texts(bob), sent[:3], "three of about 20 KB fit in 64 KiB")

    def test_empty_file_offers_cannot_exhaust_inodes(self):
        alice, bob = self.pair_with_budget("--incoming-items-per-hour", "15")
        empty = os.path.join(alice.tmp, "empty")
        open(empty, "wb").close()
        self.send_all(alice, [{"file_path": empty, "text": ""}] * 40)
        self.wait_refused(alice, bob, "more than 15 items in an hour")
        files_dir = os.path.join(bob.data_dir, "files")
        made = len(os.listdir(files_dir)) if os.path.isdir(files_dir) else 0
        self.assertLessEqual(made, 15, "at most the budget's files are created")
        offers = [m for m in bob.history_all() if m.get("kind") == "FILE"]
        self.assertEqual(len(offers), 15)
        self.assertTrue(bob.status()["link_up"], "bob keeps serving")


if __name__ == "__main__":
    harness.main()
