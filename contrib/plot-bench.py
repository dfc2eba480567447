#!/usr/bin/env python3
"""Plot vhostfs-bench JSON results (vhostfs-bench --json FILE) to a PNG.

Needs matplotlib: `apt-get install python3-matplotlib` (Debian; use /usr/bin/python3) or `pip install matplotlib`.

    contrib/plot-bench.py result.json                 # writes result.png
    contrib/plot-bench.py a.json b.json -o both.png   # backends of several runs side by side

Three panels, one row per workload/queue-depth/queue-count, one bar per backend: throughput (ops/s, with the native
floor as a black tick), p50 latency with the p99 as a whisker (with the floor's p50), and time per operation over the
native floor (1 = the floor; dashed lines at 1 and 2).
"""

import argparse
import json
import os
import sys


def load(paths):
    """Merges the backends of several reports; the floor comes from the first report that has one."""
    backends, floor, settings = [], {}, None
    for path in paths:
        with open(path) as f:
            report = json.load(f)
        if report.get("tool") != "vhostfs-bench":
            sys.exit(f"plot-bench: {path} is not a vhostfs-bench result")
        if not floor:
            floor = {entry["name"]: entry for entry in report.get("floor", []) if entry.get("operations", 0) > 0}
        settings = settings or report.get("settings")
        for backend in report.get("backends", []):
            label = backend["label"]
            if len(paths) > 1:
                label = f"{label} ({os.path.basename(path)})"
            backends.append((label, backend))
    return backends, floor, settings


def keys_in_order(backends):
    keys = []
    for _, backend in backends:
        for result in backend.get("results", []):
            if result["workload"] == "idle":
                continue
            key = (result["workload"], result["queue_depth"], result["queues"])
            if key not in keys:
                keys.append(key)
    return keys


def main():
    parser = argparse.ArgumentParser(description="Plot vhostfs-bench JSON results to a PNG.")
    parser.add_argument("json", nargs="+", help="result files from vhostfs-bench --json")
    parser.add_argument("-o", "--output", help="PNG to write (default: the first JSON's name with .png)")
    parser.add_argument("--title", help="figure title")
    args = parser.parse_args()

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("plot-bench: needs matplotlib (apt-get install python3-matplotlib, or pip install matplotlib)")

    backends, floor, settings = load(args.json)
    keys = keys_in_order(backends)
    if not keys:
        sys.exit("plot-bench: no results to plot")
    output = args.output or os.path.splitext(args.json[0])[0] + ".png"

    by_key = []
    for label, backend in backends:
        table = {}
        for result in backend.get("results", []):
            table[(result["workload"], result["queue_depth"], result["queues"])] = result
        by_key.append((label, table))

    rows = len(keys)
    height = max(4.0, 0.32 * rows * max(1, len(backends)) + 1.5)
    fig, (ax_ops, ax_lat, ax_ratio) = plt.subplots(1, 3, figsize=(18, height), sharey=True)
    bar = 0.8 / max(1, len(backends))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    for i, (label, table) in enumerate(by_key):
        ys, ops, p50, p99, ratio = [], [], [], [], []
        for row, key in enumerate(keys):
            result = table.get(key)
            if not result or result.get("operations", 0) == 0:
                continue
            ys.append(row + i * bar - 0.4 + bar / 2)
            ops.append(result["ops_per_second"])
            p50.append(result["latency_microseconds"]["p50"])
            p99.append(result["latency_microseconds"]["p99"])
            ratio.append(result.get("floor_ratio") or 0)
        color = colors[i % len(colors)]
        ax_ops.barh(ys, ops, height=bar, color=color, label=label)
        ax_lat.barh(ys, p50, height=bar, color=color,
                    xerr=[[0] * len(p50), [max(b - a, 0) for a, b in zip(p50, p99)]], ecolor="gray", capsize=2)
        ax_ratio.barh(ys, ratio, height=bar, color=color)

    # The floor each workload is compared with, as black ticks.
    floor_of = {}
    for _, table in by_key:
        for key, result in table.items():
            if result.get("floor"):
                floor_of[key] = result["floor"]
    for row, key in enumerate(keys):
        entry = floor.get(floor_of.get(key, ""))
        if not entry:
            continue
        ax_ops.plot([entry["ops_per_second"]] * 2, [row - 0.45, row + 0.45], color="black", linewidth=2)
        ax_lat.plot([entry["latency_microseconds"]["p50"]] * 2, [row - 0.45, row + 0.45], color="black", linewidth=2)

    labels = [f"{w} qd{qd} q{q}" for (w, qd, q) in keys]
    ax_ops.set_yticks(range(rows))
    ax_ops.set_yticklabels(labels)
    ax_ops.invert_yaxis()
    ax_ops.set_xscale("log")
    ax_ops.set_xlabel("operations/s (black: native floor)")
    ax_lat.set_xscale("log")
    ax_lat.set_xlabel("latency us: p50, whisker to p99 (black: floor p50)")
    ax_ratio.set_xscale("log")
    ax_ratio.set_xlabel("time per operation / native floor (log)")
    for x in (1, 2):
        ax_ratio.axvline(x, color="black", linestyle="--", linewidth=0.8)
    for ax in (ax_ops, ax_lat, ax_ratio):
        ax.grid(axis="x", which="both", alpha=0.3)
    ax_ops.legend(loc="lower right", fontsize="small")
    title = args.title or "vhostfs-bench"
    if settings:
        wait = settings.get("wait", "")
        duration = settings.get("duration_seconds")
        title += f"  (client wait {wait}" + (f", {duration:g} s per workload)" if duration else ")")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    print(output)


if __name__ == "__main__":
    main()
