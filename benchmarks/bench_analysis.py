"""Benchmark: deriving the analysis tables and the findings of a capture, against parsing it.

For each capture given (default: the bundled ``sample_pcaps/``), times -- best
of ``--repeat`` runs (3) in one process, so parse and diagnose meet the same
machine -- ``pbxlab.read_capture`` (parsing), ``pbxlab.analyze``
(registrations, events, bindings, keepalives, calls, status, reliability) on
the whole capture, and ``pbxlab.diagnose`` twice: on the capture alone, which is
what ``pbxlab diagnose`` runs (``diagnose_to_parse``, the target of issue 4:
no slower than parsing, so <= 1.0; also as CPU time of the process,
``diagnose_to_parse_cpu``, steadier on a shared machine), and on the ``Analysis``
(``analyze_diagnose_to_parse`` = (analyze + diagnose) / parse; with several SIP
domains diagnose derives the tenants' own tables, so the whole-capture analysis
is not reused).  With several SIP domains it also times ``analyze`` of the
largest tenant.  Prints one JSON line per file with the timings, the ratios,
the table sizes and the findings per code.

``--snapshot DIR`` guards speed work on captures too big for the test suite:
the first run stores each capture's findings and status in DIR
(``NAME.findings.pkl`` / ``NAME.status.pkl``); later runs compare with them
(``pandas.testing.assert_frame_equal``) and exit 1 on any difference.

Run: ``.venv/bin/python benchmarks/bench_analysis.py [--repeat N] [CAPTURE ...]`` -- e.g. on
the generated benchmark capture of ``benchmarks/gen_capture.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd
from pandas.testing import assert_frame_equal

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pbxlab import analyze, diagnose, read_capture
from pbxlab.analysis import sip_domains

SAMPLES = Path(__file__).resolve().parent.parent / "sample_pcaps"
T = TypeVar("T")


def best_of(repeat: int, step: Callable[[], T]) -> tuple[float, float, T]:
    """The shortest wall time and the shortest CPU time of this process over ``repeat``
    runs of ``step``, and its last result.  On a shared machine wall time also measures
    the neighbours; one process's CPU time much less so."""
    times: list[float] = []
    cpu: list[float] = []
    result: T | None = None
    for _ in range(max(repeat, 1)):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = step()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    assert result is not None
    return min(times), min(cpu), result


def bench(path: Path, repeat: int = 3) -> tuple[dict[str, object], dict[str, pd.DataFrame]]:
    """Timings (best of ``repeat``) and table sizes for one capture, and its
    findings and status."""
    parse, parse_cpu, capture = best_of(repeat, lambda: read_capture(path))
    analysed, _, result = best_of(repeat, lambda: analyze(capture))
    on_capture, on_capture_cpu, findings = best_of(repeat, lambda: diagnose(capture))
    on_analysis, _, _ = best_of(repeat, lambda: diagnose(result))
    parse = max(parse, 1e-9)
    report: dict[str, object] = {
        "file": path.name,
        "sip_messages": len(capture.messages),
        "repeat": repeat,
        "parse_s": round(parse, 3),
        "diagnose_capture_s": round(on_capture, 3),
        "diagnose_to_parse": round(on_capture / parse, 2),
        "parse_cpu_s": round(parse_cpu, 3),
        "diagnose_capture_cpu_s": round(on_capture_cpu, 3),
        "diagnose_to_parse_cpu": round(on_capture_cpu / max(parse_cpu, 1e-9), 2),
        "analyze_s": round(analysed, 3),
        "analyze_to_parse": round(analysed / parse, 2),
        "diagnose_analysis_s": round(on_analysis, 3),
        "analyze_diagnose_to_parse": round((analysed + on_analysis) / parse, 2),
        "tables": {
            name: len(getattr(result, name))
            for name in ("registrations", "events", "bindings", "keepalives", "calls", "status")
        },
    }
    counts = findings.groupby(["code", "severity"], observed=True).size()
    report["findings"] = {f"{code}/{severity}": int(n) for (code, severity), n in counts.items()}
    domains = sip_domains(capture.messages)
    if len(domains) > 1:
        domain = str(domains["domain"].iloc[0])
        seconds, _, tenant = best_of(1, lambda: analyze(capture, domain=domain))
        report["largest_tenant"] = {
            "domain": domain,
            "analyze_s": round(seconds, 3),
            "extensions": int(tenant.status["extension"].nunique()),
        }
    return report, {"findings": findings, "status": result.status}


def check_snapshot(directory: Path, path: Path, tables: dict[str, pd.DataFrame]) -> bool:
    """Store the tables the first time; afterwards True when they equal the stored ones."""
    directory.mkdir(parents=True, exist_ok=True)
    same = True
    for name, frame in tables.items():
        stored = directory / f"{path.name}.{name}.pkl"
        if not stored.exists():
            frame.to_pickle(stored)
            print(f"{path.name}: {name} stored in {stored}", file=sys.stderr)
            continue
        try:
            assert_frame_equal(frame, pd.read_pickle(stored), obj=f"{path.name} {name}")
        except AssertionError as exc:
            print(f"{path.name}: {name} differs from {stored}:\n{exc}", file=sys.stderr)
            same = False
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captures", nargs="*", type=Path, help="pcap/pcapng files")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (best kept)")
    parser.add_argument(
        "--snapshot", type=Path, help="directory of stored findings/status to compare with"
    )
    args = parser.parse_args(argv)
    paths = args.captures or sorted(SAMPLES.glob("*.pcap*"))
    unchanged = True
    for path in paths:
        report, tables = bench(path, args.repeat)
        print(json.dumps(report), flush=True)
        if args.snapshot is not None:
            unchanged = check_snapshot(args.snapshot, path, tables) and unchanged
    return 0 if unchanged else 1


if __name__ == "__main__":
    sys.exit(main())
