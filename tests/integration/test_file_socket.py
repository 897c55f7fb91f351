#!/usr/bin/env python3
"""Files over the control socket (issue 22): a client on another machine puts files
in and reads them back through the socket alone.

Checked against real daemons:
  - `inmost send --file` uploads the file (the source is deleted as soon as `send`
    returns, so the daemon cannot be reading it), and the partner's `inmost save`
    writes it byte-identical (SHA-256) into a directory on the CLI's side;
  - `download` over JSON-RPC, in parts, gives the same bytes, and nothing of the
    upload is left in the sender's uploads/ once the file is sent;
  - an upload cancelled midway leaves nothing in uploads/; bad inputs (chunks out of
    order or of the wrong length, unknown uploads, a size over the limit, a path and
    an upload at once, downloads past the end or of a text) get clear errors and the
    daemon keeps serving;
  - kill -9 of the sender mid-transfer: the restarted sender goes on from its upload;
  - a JSON-RPC batch on the socket is answered by one array in order.
Every wait polls a condition until a deadline.
"""

import base64
import hashlib
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402
from harness import (SLOWDOWN, IntegrationTest, pair, sha256_file, wait_for,  # noqa: E402
                     write_random_file)

MiB = 1 << 20
CHUNK = 64512
ARRIVE = 20.0 * SLOWDOWN
TRANSFER = 60.0 * SLOWDOWN


def uploads_left(d):
    folder = os.path.join(d.data_dir, "uploads")
    return os.listdir(folder) if os.path.isdir(folder) else []


def download_sha(d, history_id, part):
    """SHA-256 of file history_id at d, read with `download` in parts of `part` bytes."""
    h = hashlib.sha256()
    offset = 0
    with d.connect() as conn:
        while True:
            reply = conn.call("download", {"id": history_id, "offset": offset,
                                           "max_bytes": part})
            data = base64.b64decode(reply.get("data", ""))
            assert int(reply.get("offset", 0)) == offset, reply
            assert len(data) <= (part or 4 * CHUNK), len(data)
            h.update(data)
            offset += len(data)
            if reply.get("end"):
                return h.hexdigest(), offset


class FileSocketTest(IntegrationTest):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="inmost-it-file-socket-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def incoming_file(self, d, name):
        return d.wait_find(lambda m: m["direction"] == "INCOMING" and
                           (m.get("file") or {}).get("name") == name,
                           ARRIVE, f"{d.name}: the file {name} to arrive")

    def wait_state(self, d, history_id, state, timeout=TRANSFER):
        def check(m):
            got = (m.get("file") or {}).get("state")
            if got == "FAILED" and state != "FAILED":
                raise AssertionError(f"{d.name}: the file failed: {m}")
            return got == state
        return d.wait_entry(history_id, check, timeout, f"file {history_id} {state}")

    def upload(self, conn, name, data):
        """Uploads `data` over `conn`; returns the upload id."""
        started = conn.call("upload", {"name": name, "size": len(data)})
        self.assertEqual(started["chunk_bytes"], CHUNK, started)
        upload_id = started["upload_id"]
        chunks = max(1, -(-len(data) // CHUNK))
        for i in range(chunks):
            reply = conn.call("upload_chunk", {
                "upload_id": upload_id, "index": i,
                "data": base64.b64encode(data[i * CHUNK:(i + 1) * CHUNK]).decode()})
            self.assertEqual(reply["complete"], i + 1 == chunks, reply)
        return upload_id

    # ---- the tests -------------------------------------------------------------------

    def test_cli_sends_an_uploaded_file_and_saves_it_locally(self):
        alice, bob = self.pair_up()
        size = 20 * MiB + 4321
        source = self.path("concert.bin")
        sha = write_random_file(source, size)
        sent = alice.cli("send", "--file", source, "--caption", "the whole concert")
        self.assertExit(sent, 0, "inmost send --file")
        os.remove(source)  # The daemon has its own copy: it never reads this path.
        self.assertEqual(sent.stderr, "", "no progress on stderr that is not a terminal")

        b_id = self.incoming_file(bob, "concert.bin")["id"]
        self.wait_state(bob, b_id, "RECEIVED")
        a_entry = alice.wait_find(lambda m: m["direction"] == "OUTGOING" and
                                  (m.get("file") or {}).get("name") == "concert.bin",
                                  ARRIVE, "alice's entry of the file")
        self.wait_state(alice, a_entry["id"], "SENT")
        wait_for(lambda: not uploads_left(alice), ARRIVE, "alice to delete the sent upload")

        target = tempfile.mkdtemp(prefix="saved-", dir=self.dir)
        saved = bob.cli("save", b_id, target, cwd=self.dir)
        self.assertExit(saved, 0, "inmost save ID DIR")
        path = os.path.join(target, "concert.bin")
        self.assertEqual(os.path.getsize(path), size)
        self.assertEqual(sha256_file(path), sha, "the saved file differs from the one sent")
        self.assertEqual([n for n in os.listdir(target) if n != "concert.bin"], [],
                         "save leaves no temporary file behind")
        # A second save keeps the first: the next free name.
        again = bob.cli("save", b_id, target, cwd=self.dir)
        self.assertExit(again, 0, "inmost save into the same directory")
        self.assertTrue(os.path.exists(os.path.join(target, "concert (1).bin")))
        # A taken file name is refused, never overwritten.
        taken = bob.cli("save", b_id, path, cwd=self.dir)
        self.assertNotEqual(taken.returncode, 0, taken)
        self.assertIn("already exists", taken.stderr)

        got, length = download_sha(bob, b_id, 100000)
        self.assertEqual((got, length), (sha, size), "download in parts differs")

    def test_cancelled_upload_and_bad_inputs(self):
        alice, bob = self.pair_up()
        data = os.urandom(3 * CHUNK + 17)
        with alice.connect() as conn:
            started = conn.call("upload", {"name": "draft.bin", "size": len(data)})
            upload_id = started["upload_id"]
            first = base64.b64encode(data[:CHUNK]).decode()
            second = base64.b64encode(data[CHUNK:2 * CHUNK]).decode()
            self.assertRefused(lambda: conn.call("upload_chunk", {
                "upload_id": upload_id, "index": 1, "data": second}),
                "invalid_argument", "a chunk out of order", message_has="out of order")
            self.assertRefused(lambda: conn.call("upload_chunk", {
                "upload_id": upload_id, "index": 0, "data": base64.b64encode(b"x").decode()}),
                "invalid_argument", "a chunk of the wrong length", message_has="must hold")
            conn.call("upload_chunk", {"upload_id": upload_id, "index": 0, "data": first})
            self.assertRefused(lambda: conn.call("send", {"upload_id": upload_id}),
                               "failed_precondition", "an incomplete upload",
                               message_has="not complete")
            self.assertRefused(lambda: conn.call("send", {"upload_id": upload_id,
                                                          "file_path": "/etc/hostname"}),
                               "invalid_argument", "a path and an upload", message_has="not both")
            self.assertEqual(len(uploads_left(alice)), 1)
            conn.call("upload_cancel", {"upload_id": upload_id})
            wait_for(lambda: not uploads_left(alice), ARRIVE, "a cancelled upload to leave nothing")
            self.assertRefused(lambda: conn.call("upload_chunk", {
                "upload_id": upload_id, "index": 1, "data": second}),
                "not_found", "a chunk of a cancelled upload")
            self.assertRefused(lambda: conn.call("upload", {"name": "huge", "size": 1 << 40}),
                               "invalid_argument", "a size over the limit",
                               message_has="max-file-size")
            self.assertRefused(lambda: conn.call("upload", {"name": "a/b", "size": 1}),
                               "invalid_argument", "a name with folders")
            self.assertRefused(lambda: conn.call("upload_cancel", {"upload_id": "../files"}),
                               "not_found", "an unknown upload")

            small = self.upload(conn, "small.txt", b"hello there")
            m_id = conn.call("send", {"upload_id": small, "text": "small"})["id"]
            text_id = conn.call("send", {"text": "just words"})["id"]
        b_id = self.incoming_file(bob, "small.txt")["id"]
        self.wait_state(bob, b_id, "RECEIVED")
        self.assertRefused(lambda: bob.rpc("download", {"id": b_id, "offset": 12}),
                           "invalid_argument", "a download past the end", message_has="past")
        self.assertRefused(lambda: alice.rpc("download", {"id": text_id}),
                           "failed_precondition", "a download of a text",
                           message_has="not a file")
        self.assertEqual(download_sha(bob, b_id, 4)[0], hashlib.sha256(b"hello there").hexdigest())
        self.wait_state(alice, m_id, "SENT")
        wait_for(lambda: not uploads_left(alice), ARRIVE, "alice to delete the sent upload")
        self.assertTrue(alice.status(), "the daemon keeps serving")

    def test_kill9_sender_mid_transfer_goes_on_from_the_upload(self):
        alice, bob = self.pair_up(extra_args=["--transfer-rate", "4M"])
        size = 8 * MiB
        source = self.path("album.bin")
        sha = write_random_file(source, size)
        self.assertExit(alice.cli("send", "--file", source), 0, "inmost send --file")
        os.remove(source)
        b_id = self.incoming_file(bob, "album.bin")["id"]

        def chunks_done():
            for t in bob.rpc("transfers", {}).get("transfers", []):
                if t["id"] == str(b_id):
                    return int(t.get("chunks_done", 0))
            return 0
        wait_for(lambda: chunks_done() >= 20, TRANSFER, "bob to have 20 chunks")
        alice.kill9()
        self.assertLess(chunks_done(), -(-size // CHUNK), "the transfer finished before the kill")
        self.assertEqual(len(uploads_left(alice)), 1, "the upload outlives the kill")
        alice.start()
        self.wait_state(bob, b_id, "RECEIVED", TRANSFER + size / (4 * MiB))
        self.assertEqual(download_sha(bob, b_id, 0), (sha, size))
        wait_for(lambda: not uploads_left(alice), ARRIVE, "alice to delete the sent upload")

    def test_json_rpc_batch_on_the_socket(self):
        alice = self.make_daemon("alice")
        with alice.connect() as conn:
            conn.send_line([
                {"jsonrpc": "2.0", "id": 1, "method": "status"},
                {"jsonrpc": "2.0", "method": "transfers"},
                42,
                {"jsonrpc": "2.0", "id": "t", "method": "transfers"},
            ])
            replies = conn.read_line(timeout=10)
            self.assertIsInstance(replies, list, replies)
            self.assertEqual([r.get("id") for r in replies], [1, None, "t"], replies)
            self.assertIn("fingerprint", replies[0]["result"])
            self.assertEqual(replies[1]["error"]["code"], -32600)
            self.assertIn("transfers", replies[2]["result"])
            conn.send_line([])
            empty = conn.read_line(timeout=10)
            self.assertEqual(empty["error"]["code"], -32600, empty)
            conn.send_line([{"jsonrpc": "2.0", "method": "status"}])
            self.assertEqual(conn.call("status")["fingerprint"], replies[0]["result"]["fingerprint"],
                             "a batch of notifications gets no line")


if __name__ == "__main__":
    harness.main()
