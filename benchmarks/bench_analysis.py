"""Benchmark: deriving the analysis tables of a capture, against parsing it.

For each capture given (default: the bundled ``sample_pcaps/``), times
``pbxlab.read_capture`` (parsing) and ``pbxlab.analyze`` (registrations,
events, bindings, keepalives, calls, status, reliability) on the whole
capture and, when it holds several SIP domains, on its largest tenant
(``analyze(..., domain=...)``).  The target (issue 4) is analysis no slower
than parsing; the ratio is printed per file, with the table sizes.

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

from pbxlab import analyze, read_capture
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
