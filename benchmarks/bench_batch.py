"""Batch benchmark: the local and dask engines on a multi-file input, cold and cached.

Strategy: the generated capture of the capture benchmark (``sip-default.pcap``,
16 tenants) is split with ``editcap -c`` into parts, as a rotating ``tcpdump -C``
would leave it (dialogs and registrations cross file boundaries).  Each run is
a fresh Python process (``--child``) so its peak memory is its own; it times the
stages through the batch's progress callback.  Runs: local cold, local with the
cache of the previous run, dask with 1 and with N worker processes (cold, each
its own cache), dask cached.  ``--big`` adds the bounded-memory check: the local
engine over ``sip-big.pcap`` (1.1 GiB) with its peak RSS.

    python benchmarks/bench_batch.py                      # default capture, 8 parts
    python benchmarks/bench_batch.py --parts 4 --workers 2 --json out.json
    python benchmarks/bench_batch.py --big                # + the 1.1 GiB capture

Numbers depend on the machine and on what else runs on it (docs/batch.md).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


def child(engine: str, workers: int, cache: Path, inputs: list[Path]) -> dict[str, Any]:
    """One batch run in this process: seconds per stage, peak RSS, what it found."""
    from pbxlab.batch import BatchWarning, Step, run_batch

    marks: dict[str, float] = {}

    def progress(step: Step) -> None:
        marks.setdefault(step.stage, time.perf_counter())

    warnings.simplefilter("ignore", BatchWarning)
    start = time.perf_counter()
    run = run_batch(inputs, engine=engine, workers=workers, cache_dir=cache, progress=progress)
    end = time.perf_counter()
    parse_end = marks.get("assign", end)
    return {
        "engine": engine,
        "workers": workers if engine == "dask" else None,
        "seconds": round(end - start, 2),
        "parse_seconds": round(parse_end - start, 2),
        "analyse_seconds": round(end - marks.get("analyse", parse_end), 2),
        "cached_units": sum(u.cached for u in run.units),
        "units": len(run.units),
        "tenants": len(run.results),
        "messages": sum(u.rows.get("messages", 0) for u in run.units),
        "findings": sum(len(r.findings) for r in run.results.values()),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_child(engine: str, workers: int, cache: Path, inputs: list[Path]) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        engine,
        str(workers),
        str(cache),
        *map(str, inputs),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def split(capture: Path, parts: int, out: Path) -> list[Path]:
    """``capture`` cut into ``parts`` files of consecutive packets (editcap -c)."""
    frames = int(
        subprocess.run(
            ["capinfos", "-M", "-c", "-r", "-T", str(capture)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-1]
    )
    out.mkdir(parents=True, exist_ok=True)
    per_part = -(-frames // parts)
    subprocess.run(
        ["editcap", "-c", str(per_part), str(capture), str(out / "part.pcap")], check=True
    )
    return sorted(out.glob("part*.pcap"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--capture", type=Path, default=DATA / "sip-default.pcap")
    parser.add_argument("--parts", type=int, default=8, help="files to split the capture into")
    parser.add_argument("--workers", type=int, default=2, help="dask workers of the parallel run")
    parser.add_argument("--big", action="store_true", help="also the 1.1 GiB capture, locally")
    parser.add_argument("--json", type=Path, help="write the results here too")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, workers, cache, *inputs = args.child
        print(json.dumps(child(engine, int(workers), Path(cache), [Path(p) for p in inputs])))
        return 0
    if not args.capture.exists():
        print(
            f"{args.capture} missing: run python benchmarks/gen_capture.py first", file=sys.stderr
        )
        return 2
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pbxlab-bench-batch-") as scratch:
        root = Path(scratch)
        parts = split(args.capture, args.parts, root / "parts")
        size = sum(p.stat().st_size for p in parts)
        print(f"{args.capture.name}: {len(parts)} parts, {size / 2**20:.0f} MiB", flush=True)
        plan = [
            ("local cold", "local", 1, "local"),
            ("local cached", "local", 1, "local"),
            ("dask 1 worker cold", "dask", 1, "dask1"),
            (f"dask {args.workers} workers cold", "dask", args.workers, "daskN"),
            (f"dask {args.workers} workers cached", "dask", args.workers, "daskN"),
        ]
        for label, engine, workers, cache in plan:
            result = run_child(engine, workers, root / f"cache-{cache}", parts)
            result["run"] = label
            results.append(result)
            print(
                f"{label:28} {result['seconds']:8.1f} s  (parse {result['parse_seconds']:.1f} s, "
                f"analyse {result['analyse_seconds']:.1f} s)  {result['tenants']} tenants, "
                f"{result['findings']} findings, client peak {result['peak_rss_mib']} MiB",
                flush=True,
            )
        one, many = results[2]["seconds"], results[3]["seconds"]
        print(f"speed-up with {args.workers} workers: {one / many:.2f}x", flush=True)
        print(f"cached second run: {results[0]['seconds'] / results[1]['seconds']:.1f}x faster")
        if args.big:
            big = DATA / "sip-big.pcap"
            result = run_child("local", 1, root / "cache-big", [big])
            result["run"] = f"local cold {big.name} ({big.stat().st_size / 2**30:.2f} GiB)"
            results.append(result)
            print(
                f"{result['run']}: {result['seconds']:.0f} s, {result['messages']} messages, "
                f"{result['tenants']} tenants, peak RSS {result['peak_rss_mib']} MiB",
                flush=True,
            )
        shutil.rmtree(root / "parts", ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
