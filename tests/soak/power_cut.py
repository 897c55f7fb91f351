#!/usr/bin/env python3
"""The power-cut soak (issue 23): tests/integration/test_power_cut.py's scenario (a daemon
on tests/tools/power_cut_fs.py, traffic both ways, a power cut at a seeded moment, checks
on what survived) over many random seeds until the time is up.

Usage: power_cut.py [--seconds N] [--seed S]   (scripts/soak --power-cut runs it on build/)
Seeds are S, S+1, ... (S random unless given), run in batches of BATCH. Prints one
summary; exits non-zero on the first failing batch and prints the seeds that reproduce it.
"""

import argparse
import os
import random
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEST = os.path.join(ROOT, "tests", "integration", "test_power_cut.py")
BATCH = 5
SUMMARY = re.compile(r"^power cuts: (\d+) survived, (\d+) checks$", re.M)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**9)
    print(f"soak --power-cut: seeds from {seed}, {args.seconds:g} s", flush=True)
    deadline = time.monotonic() + args.seconds
    survived = checks = 0
    while True:
        seeds = " ".join(str(seed + i) for i in range(BATCH))
        env = dict(os.environ, INMOST_POWER_CUT_SEEDS=seeds, PYTHONDONTWRITEBYTECODE="1")
        r = subprocess.run([sys.executable, TEST], env=env, capture_output=True, text=True)
        found = SUMMARY.search(r.stdout)
        if r.returncode != 0 or not found:
            sys.stderr.write(r.stdout + r.stderr)
            print(f"soak --power-cut: FAILED after {survived} power cuts; reproduce with: "
                  f"INMOST_POWER_CUT_SEEDS=\"{seeds}\" python3 {TEST}", file=sys.stderr)
            sys.exit(1)
        survived += int(found.group(1))
        checks += int(found.group(2))
        seed += BATCH
        if time.monotonic() >= deadline:
            break
    print(f"soak --power-cut: power cuts: {survived} survived, {checks} checks", flush=True)


if __name__ == "__main__":
    main()
