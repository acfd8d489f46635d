"""Benchmark: deriving the analysis tables and the findings of a capture, against parsing it.

For each capture given (default: the bundled ``sample_pcaps/``), times
``pbxlab.read_capture`` (parsing), ``pbxlab.analyze`` (registrations,
events, bindings, keepalives, calls, status, reliability) on the whole
capture and, when it holds several SIP domains, on its largest tenant
(``analyze(..., domain=...)``), then ``pbxlab.diagnose`` twice: on the
``Analysis`` (``analyze_diagnose_to_parse`` = (analyze + diagnose) / parse;
with several SIP domains diagnose re-derives each tenant's bindings, so the
whole-capture analysis is not reused) and on the capture alone, which is what
``pbxlab diagnose`` runs (``diagnose_to_parse``).  The target (issue 4) is
analysis no slower than parsing; the ratios are printed per file, with the
table sizes and the findings per code.

Run: ``.venv/bin/python benchmarks/bench_analysis.py [CAPTURE ...]`` -- e.g. on
the generated benchmark capture of ``benchmarks/gen_capture.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pbxlab import analyze, diagnose, read_capture
from pbxlab.analysis import sip_domains

SAMPLES = Path(__file__).resolve().parent.parent / "sample_pcaps"


def bench(path: Path) -> dict[str, object]:
    """Timings and table sizes for one capture."""
    started = time.perf_counter()
    capture = read_capture(path)
    parsed = time.perf_counter()
    result = analyze(capture)
    analysed = time.perf_counter()
    report: dict[str, object] = {
        "file": path.name,
        "sip_messages": len(capture.messages),
        "parse_s": round(parsed - started, 3),
        "analyze_s": round(analysed - parsed, 3),
        "analyze_to_parse": round((analysed - parsed) / max(parsed - started, 1e-9), 2),
        "tables": {
            name: len(getattr(result, name))
            for name in ("registrations", "events", "bindings", "keepalives", "calls", "status")
        },
    }
    t0 = time.perf_counter()
    diagnose(result)
    on_analysis = time.perf_counter() - t0
    t0 = time.perf_counter()
    findings = diagnose(capture)
    on_capture = time.perf_counter() - t0
    parse = max(parsed - started, 1e-9)
    report["diagnose_analysis_s"] = round(on_analysis, 3)
    report["analyze_diagnose_to_parse"] = round((analysed - parsed + on_analysis) / parse, 2)
    report["diagnose_capture_s"] = round(on_capture, 3)
    report["diagnose_to_parse"] = round(on_capture / parse, 2)
    counts = findings.groupby(["code", "severity"], observed=True).size()
    report["findings"] = {f"{code}/{severity}": int(n) for (code, severity), n in counts.items()}
    domains = sip_domains(capture.messages)
    if len(domains) > 1:
        domain = str(domains["domain"].iloc[0])
        t0 = time.perf_counter()
        tenant = analyze(capture, domain=domain)
        report["largest_tenant"] = {
            "domain": domain,
            "analyze_s": round(time.perf_counter() - t0, 3),
            "extensions": int(tenant.status["extension"].nunique()),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captures", nargs="*", type=Path, help="pcap/pcapng files")
    args = parser.parse_args(argv)
    paths = args.captures or sorted(SAMPLES.glob("*.pcap*"))
    for path in paths:
        print(json.dumps(bench(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
