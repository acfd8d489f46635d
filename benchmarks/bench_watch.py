"""Long-run benchmark of ``pbxlab watch``: memory over time and change latency under load.

Runs the watcher on ``lo`` in the lab's private network namespace
(:mod:`lab.live_watch`, plan ``steady``) against Kamailio and N SIPp phones
that each stay registered 6 s and unregistered 2 s, over and over, answering
the registrar's keepalives every 2 s -- a status change every few seconds per
phone, for ``--minutes`` minutes (default 30).  Reports the watcher process's
resident memory and the evidence rows it keeps every 10 s, and the
distribution of the delay between a change in the evidence (the packet) and
the watcher reporting it.  Not a test and not run in CI: run it by hand,
e.g. ``python benchmarks/bench_watch.py --minutes 3``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lab.live_watch import run_live_watch  # noqa: E402 (after the path is set)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    """Latency distribution (s) of the changes after the first report, and memory growth."""
    delays = [c["delay_s"] for c in result["changes"] if c["from_state"] is not None]
    memory = result["memory"]
    half = [m["rss_kib"] for m in memory if m["t_s"] >= result["seconds"] / 2]
    return {
        "minutes": result["seconds"] / 60.0,
        "phones": result["phones"],
        "changes": len(delays),
        "latency_s": {
            "p50": statistics.median(delays) if delays else None,
            "p90": _quantile(delays, 0.90) if delays else None,
            "p99": _quantile(delays, 0.99) if delays else None,
            "max": max(delays) if delays else None,
            "over_5s": sum(d >= 5.0 for d in delays),
        },
        "rss_mib": {
            "first": memory[0]["rss_kib"] / 1024 if memory else None,
            "second_half_min": min(half) / 1024 if half else None,
            "second_half_max": max(half) / 1024 if half else None,
            "last": memory[-1]["rss_kib"] / 1024 if memory else None,
        },
        "errors_seen": result["errors_seen"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long (default 30)")
    parser.add_argument("--phones", type=int, default=10, help="SIPp phones (1-18, default 10)")
    parser.add_argument(
        "--window", type=float, default=300.0, help="seconds of evidence kept (default 300)"
    )
    parser.add_argument("--workdir", type=Path, help="keep logs and the capture ring here")
    parser.add_argument("--json", type=Path, help="also write the raw result and summary here")
    args = parser.parse_args(argv)
    result = run_live_watch(
        "steady", args.workdir, minutes=args.minutes, phones=args.phones, window_s=args.window
    )
    summary = summarize(result)
    print(
        f"pbxlab watch: {summary['minutes']:g} min, {summary['phones']} phones on lo, "
        f"window {result['window_s']:g} s"
    )
    print(f"{'t (s)':>7} {'RSS (MiB)':>10} {'kept rows':>10} {'changes':>8} {'CPU (s)':>8}")
    for sample in result["memory"]:
        print(
            f"{sample['t_s']:>7.0f} {sample['rss_kib'] / 1024:>10.1f} "
            f"{sample['kept_rows']:>10} {sample['changes']:>8} {sample.get('cpu_s', 0):>8.1f}"
        )
    latency = summary["latency_s"]
    if summary["changes"]:
        print(
            f"latency of {summary['changes']} changes (s): p50 {latency['p50']:.2f}, "
            f"p90 {latency['p90']:.2f}, p99 {latency['p99']:.2f}, max {latency['max']:.2f}, "
            f"{latency['over_5s']} at or over 5 s"
        )
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "result": result}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
