"""scripts/bench's JSON (issue 24): inmost_bench --quick --json - (made smaller still by
INMOST_BENCH_TINY=1) writes every figure with its median, spread and repetitions, each
of inmost's figures beside its ceiling with the ratio value/ceiling, and the ceilings
include the durable model's and the primitives'. It checks the shape, never the
speed: the numbers on a loaded machine mean nothing here."""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BENCH = os.path.join(harness.BIN_DIR, "tests", "bench", "inmost_bench")
FIGURE_KEYS = {"name", "kind", "unit", "better", "value", "median", "spread", "samples",
               "repetitions", "ceiling", "ceiling_name", "ratio", "in_flight", "note"}
MACHINE_KEYS = {"cores", "cpu", "kernel", "tmp_filesystem", "load_before", "load_after",
                "quick", "repetitions", "seconds"}
# Ceilings the issue names: the model at 1 and at the pipelined number in flight, its
# latency, and the one-core rates of the primitives inmost uses.
REQUIRED_CEILINGS = [
    "model: durable msgs/s, 256 B, both sides synced, 1 in flight",
    "model: durable msgs/s, 256 B, both sides synced, 512 in flight",
    "model: one durable message latency p50, 1 in flight",
    "model: file ceiling min(seal 64 KiB, disk append)",
    "primitive: XChaCha20-Poly1305 seal, 256 B",
    "primitive: XChaCha20-Poly1305 open, 256 B",
    "primitive: XChaCha20-Poly1305 seal, 64 KiB",
    "primitive: XChaCha20-Poly1305 open, 64 KiB",
    "primitive: ChaCha20-Poly1305 IETF seal, 256 B",
    "primitive: ChaCha20-Poly1305 IETF seal, 64 KiB",
    "primitive: X25519 (crypto_scalarmult)",
    "primitive: BLAKE2b-512 of 64 B",
    "primitive: LevelDB synced batch of 100, 296 B values",
    "primitive: Noise KK primitives per side (derived)",
]
# inmost's figures the ratio goals are about, and the ceiling each must face.
REQUIRED_PAIRS = {
    "inmost: durable msgs/s, 256 B, both sides synced, 512 in flight":
        "model: durable msgs/s, 256 B, both sides synced, 512 in flight",
    "inmost: durable msgs/s, 256 B, both sides synced, 1 in flight":
        "model: durable msgs/s, 256 B, both sides synced, 1 in flight",
    "inmost: one message send-to-receive p50, idle link":
        "model: one durable message latency p50, 1 in flight",
    "inmost: Noise KK handshake CPU per side":
        "primitive: Noise KK primitives per side (derived)",
    "bot: JSON-RPC sends pipelined, one connection, 512 in flight":
        "inmost: durable msgs/s, 256 B, both sides synced, 512 in flight",
}


def close(a, b):
    # The JSON carries six significant digits.
    return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-9)


class BenchJsonTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(BENCH):
            raise AssertionError(BENCH + " is missing: build the target inmost_bench")
        cls.tmp = tempfile.mkdtemp(prefix="inmost-bench-json-")
        env = dict(os.environ, INMOST_BENCH_TINY="1", TMPDIR=cls.tmp,
                   INMOST_BENCH_CACHE=os.path.join(cls.tmp, "cache"))
        try:
            run = subprocess.run([BENCH, "--quick", "--json", "-"], env=env,
                                 capture_output=True, text=True, timeout=240)
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise
        cls.returncode, cls.table = run.returncode, run.stderr
        cls.leftovers = sorted(set(os.listdir(cls.tmp)) - {"cache"})
        shutil.rmtree(cls.tmp, ignore_errors=True)
        cls.bench = json.loads(run.stdout) if run.returncode == 0 else None

    def setUp(self):
        self.assertEqual(self.returncode, 0, self.table[-3000:])
        self.figures = {f["name"]: f for f in self.bench["figures"]}

    def test_document_and_machine(self):
        self.assertEqual(self.bench["schema"], "inmost-bench/1")
        self.assertEqual(set(self.bench["machine"]), MACHINE_KEYS)
        self.assertTrue(self.bench["machine"]["quick"])
        self.assertGreaterEqual(self.bench["machine"]["cores"], 1)
        self.assertEqual(len(self.figures), len(self.bench["figures"]), "names repeat")

    def test_every_figure_has_median_spread_and_repetitions(self):
        for f in self.bench["figures"]:
            with self.subTest(f["name"]):
                self.assertEqual(set(f), FIGURE_KEYS)
                self.assertIn(f["kind"], ("ceiling", "inmost"))
                self.assertIn(f["better"], ("higher", "lower"))
                self.assertTrue(f["unit"])
                self.assertGreaterEqual(f["repetitions"], 1)
                self.assertEqual(f["repetitions"], len(f["samples"]))
                self.assertEqual(f["value"], f["median"])
                samples = sorted(f["samples"])
                self.assertEqual(f["spread"]["min"], samples[0])
                self.assertEqual(f["spread"]["max"], samples[-1])
                self.assertLessEqual(samples[0], f["median"])
                self.assertLessEqual(f["median"], samples[-1])

    def test_ratio_is_value_over_its_ceiling(self):
        for f in self.bench["figures"]:
            with self.subTest(f["name"]):
                if f["ceiling_name"] is None:
                    self.assertIsNone(f["ceiling"])
                    self.assertIsNone(f["ratio"])
                    continue
                ceiling = self.figures[f["ceiling_name"]]
                self.assertEqual(ceiling["unit"], f["unit"])
                self.assertTrue(close(f["ceiling"], ceiling["median"]))
                self.assertTrue(close(f["ratio"], f["value"] / f["ceiling"]),
                                (f["ratio"], f["value"], f["ceiling"]))

    def test_ceilings_include_the_model_and_the_primitives(self):
        for name in REQUIRED_CEILINGS:
            with self.subTest(name):
                self.assertIn(name, self.figures)
                self.assertEqual(self.figures[name]["kind"], "ceiling")
        kinds = [f["kind"] for f in self.bench["figures"]]
        # Measured before inmost's own figures, in the same run.
        self.assertLess(max(i for i, k in enumerate(kinds) if k == "ceiling" and
                            self.bench["figures"][i]["name"].startswith(("model:", "primitive:"))
                            and "opens of 100 B" not in self.bench["figures"][i]["name"]),
                        kinds.index("inmost"))

    def test_inmost_figures_face_their_ceilings(self):
        for name, ceiling in REQUIRED_PAIRS.items():
            with self.subTest(name):
                self.assertEqual(self.figures[name]["ceiling_name"], ceiling)
        for f in self.bench["figures"]:
            if f["in_flight"] is not None and f["kind"] == "inmost":
                model = self.figures[f["ceiling_name"]]
                self.assertEqual(model["in_flight"], f["in_flight"], f["name"])
        durable = self.figures["inmost: durable msgs/s, 256 B, both sides synced, 512 in flight"]
        self.assertGreater(durable["value"], 0)

    def test_the_table_prints_each_ratio(self):
        for name, f in self.figures.items():
            if f["ratio"] is None:
                continue
            line = next((l for l in self.table.splitlines() if l.startswith(name)), None)
            self.assertIsNotNone(line, name)
            self.assertIn(f["ceiling_name"], line)
            self.assertRegex(line, r"\s[0-9.e+-]+x\s")

    def test_scratch_files_are_removed(self):
        self.assertEqual(self.leftovers, [])


if __name__ == "__main__":
    unittest.main()
