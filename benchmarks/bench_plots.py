"""Time to build each figure for a tenant of 1,000 extensions over a day (the widgets' target).

Builds a deterministic (seeded) day of status history -- every extension
changes state ``--changes`` times, some ringing and in use, a tenth of them
flapping -- derives its transitions and reliability with pbxlab.analysis, then
times each plot builder and the figure's JSON (what a notebook or the HTML
report ships to the browser).  The SIP ladder is timed at its cap of 500
messages on the bundled lab-scanner sample repeated.

    python benchmarks/bench_plots.py [--extensions 1000] [--changes 40]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import pbxlab
from pbxlab import plots
from pbxlab.analysis.status import reliability, transitions
from pbxlab.tables import STATUS

SAMPLES = Path(__file__).resolve().parents[1] / "sample_pcaps"
DAY_START = pd.Timestamp("2026-11-26", tz="UTC")


def day_of_status(extensions: int, changes: int, seed: int = 7) -> pd.DataFrame:
    """A STATUS table: ``extensions`` rows of ``changes`` + 1 intervals over 24 hours."""
    rng = np.random.default_rng(seed)
    # adjacent intervals always differ, as in pbxlab.analysis.status's merged output
    flapping_cycle = ("online", "offline")
    day_cycle = ("online", "ringing", "in_use", "online", "offline")
    columns: dict[str, list[object]] = {k: [] for k in ("extension", "start", "end", "state")}
    for index in range(extensions):
        cuts = np.sort(rng.uniform(0, 86_400, changes))
        edges = pd.to_timedelta(np.concatenate([[0.0], cuts, [86_400.0]]), unit="s")
        cycle = flapping_cycle if index % 10 == 0 else day_cycle
        columns["extension"].extend([str(1000 + index)] * (changes + 1))
        columns["start"].extend(DAY_START + edges[:-1])
        columns["end"].extend(DAY_START + edges[1:])
        columns["state"].extend(cycle[i % len(cycle)] for i in range(changes + 1))
    return STATUS.build({**columns, "reason": ["synthetic"] * len(columns["state"])})


def timed(label: str, build: Callable[[], go.Figure]) -> None:
    start = time.perf_counter()
    figure = build()
    built = time.perf_counter() - start
    start = time.perf_counter()
    payload = figure.to_json()
    serialised = time.perf_counter() - start
    size = len(payload) / 1e6
    print(f"{label:<40} build {built:5.2f} s  to_json {serialised:5.2f} s  {size:5.1f} MB")


def main() -> None:
    """Run the benchmark and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extensions", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=40)
    args = parser.parse_args()
    status = day_of_status(args.extensions, args.changes)
    changes = transitions(status)
    summary = reliability(status)
    print(f"{args.extensions} extensions, {len(status)} status intervals, {len(changes)} changes")
    some = [str(1000 + i) for i in range(0, args.extensions, max(args.extensions // 10, 1))]
    timed("status_timeline (all extensions)", lambda: plots.status_timeline(status))
    timed("status_timeline (10 extensions)", lambda: plots.status_timeline(status, extensions=some))
    timed(
        "status_timeline (all, last hour)",
        lambda: plots.status_timeline(status, start=DAY_START + pd.Timedelta(hours=23)),
    )
    timed("transitions_heatmap", lambda: plots.transitions_heatmap(changes))
    timed("reliability_bars", lambda: plots.reliability_bars(summary))
    scanner = pbxlab.read_capture(SAMPLES / "lab-scanner.pcap").messages
    many = pd.concat([scanner] * 4, ignore_index=True)
    timed("ladder (500 of the scanner's messages)", lambda: plots.ladder(many, max_messages=500))


if __name__ == "__main__":
    main()
