#!/usr/bin/env python3
"""Draws scripts/bench's sweep: durable messages per second against the number of
messages in flight, inmost beside the ceiling model, medians with their min-max
spread, into an SVG. It reads inmost_bench's JSON (`sweep --json`); it measures
nothing. Needs Debian's python3-matplotlib (scripts/setup installs it).

usage: plot_in_flight.py BENCH.json OUT.svg
"""

import json
import sys


def series(figures, prefix):
    """(in_flight, median, min, max) of the durable-rate figures named `prefix`..."""
    points = [(f["in_flight"], f["median"], f["spread"]["min"], f["spread"]["max"])
              for f in figures
              if f["in_flight"] is not None and f["name"].startswith(prefix)]
    return sorted(points)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    with open(sys.argv[1]) as f:
        bench = json.load(f)
    try:
        import matplotlib
    except ImportError:
        sys.exit("plot_in_flight.py: matplotlib is missing: apt-get install python3-matplotlib "
                 "(scripts/setup does), and run Debian's /usr/bin/python3")
    matplotlib.use("svg")
    matplotlib.rcParams["svg.hashsalt"] = "inmost-bench"  # The same picture, the same file.
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for prefix, label, style in (("model:", "ceiling model (TCP + fdatasync, group commit)", "o--"),
                                 ("inmost:", "inmost (two daemons on loopback)", "s-")):
        points = series(bench["figures"], prefix)
        if not points:
            sys.exit("plot_in_flight.py: no " + prefix + " sweep figures in " + sys.argv[1])
        x = [p[0] for p in points]
        y = [p[1] for p in points]
        low = [p[1] - p[2] for p in points]
        high = [p[3] - p[1] for p in points]
        ax.errorbar(x, y, yerr=[low, high], fmt=style, capsize=3, label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    # A tick at each number in flight measured, written plainly (1, 4, 16, ...).
    ax.set_xticks([p[0] for p in series(bench["figures"], "inmost:")])
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlabel("messages in flight (sent, not yet stored by the partner)")
    ax.set_ylabel("durable messages/s (256 B, both sides synced)")
    machine = bench["machine"]
    ax.set_title("inmost against its ceiling: %d cores, %s, %d repetition(s), load %.1f"
                 % (machine["cores"], machine["tmp_filesystem"], machine["repetitions"],
                    machine["load_before"]), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[2], format="svg", metadata={"Date": None})
    print("plot: wrote " + sys.argv[2])


if __name__ == "__main__":
    main()
