"""Which pyshark configuration reads SIP fastest? Times them on one capture.

Builds (once, under benchmarks/data/) a larger capture by repeating a corpus
capture N times with shifted timestamps, then times, on that same file:
tshark's JSON output alone (the floor for any pyshark JSON configuration),
several pyshark configurations iterating packets and counting SIP layers,
and pbxlab's pyshark backend end to end (rows in a DataFrame).  Prints the
best of ``--repeat`` runs: wall seconds, CPU seconds (Python plus tshark, which
a busy shared machine disturbs far less than wall time), SIP messages per CPU
second and the speed-up over pyshark's default.

    python benchmarks/bench_pyshark_configs.py [--source PCAP] [--copies 20]
        [--repeat 3] [--skip-default]
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyshark

from pbxlab.capture.pyshark_backend import DISPLAY_FILTER, LAYERS, PysharkBackend

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "pcaps"
DEFAULT_SOURCE = CORPUS / "wireshark-wiki" / "wireuploaded.pcap"
DATA = REPO / "benchmarks" / "data"
PCAP_MAGIC_LE_US = 0xA1B2C3D4


def repeated_capture(source: Path, copies: int, gap_seconds: int = 4000) -> Path:
    """``source`` (classic little-endian pcap) repeated ``copies`` times, later copies shifted."""
    target = DATA / f"{source.stem}-x{copies}.pcap"
    if target.exists():
        return target
    data = source.read_bytes()
    (magic,) = struct.unpack_from("<I", data, 0)
    if magic != PCAP_MAGIC_LE_US:
        raise SystemExit(f"{source}: only little-endian microsecond pcap is supported here")
    header, records = data[:24], []
    pos = 24
    while pos + 16 <= len(data):
        ts_sec, ts_usec, incl, orig = struct.unpack_from("<IIII", data, pos)
        records.append((ts_sec, ts_usec, incl, orig, data[pos + 16 : pos + 16 + incl]))
        pos += 16 + incl
    DATA.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        out.write(header)
        for copy in range(copies):
            for ts_sec, ts_usec, incl, orig, payload in records:
                out.write(struct.pack("<IIII", ts_sec + copy * gap_seconds, ts_usec, incl, orig))
                out.write(payload)
    return target


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (tshark): robust to a busy machine."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def count_sip_layers(path: Path, **options: Any) -> int:
    capture = pyshark.FileCapture(str(path), **options)
    try:
        return sum(
            1 + len(getattr(layer, "duplicate_layers", ()))
            for packet in capture
            for layer in packet.layers
            if layer.layer_name == "sip"
        )
    finally:
        capture.close()


def backend_rows(path: Path) -> int:
    run = PysharkBackend().open(path, strict=False, chunk_size=50_000)
    return sum(len(chunk.messages) for chunk in run.chunks())


def tshark_json_only(path: Path) -> int:
    tshark = shutil.which("tshark") or "tshark"
    subprocess.run(
        [tshark, "-n", "-r", str(path), "-Y", DISPLAY_FILTER, "-T", "json",
         "--no-duplicate-keys", "-J", LAYERS],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
    )  # fmt: skip
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument(
        "--skip-default", action="store_true", help="skip pyshark's default (PDML) run"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per configuration; the best is shown"
    )
    args = parser.parse_args()
    if not args.source.exists():
        print(f"capture not found: {args.source}", file=sys.stderr)
        return 2
    path = repeated_capture(args.source, args.copies)
    layers = ["-J", LAYERS]
    configs: list[tuple[str, Callable[[], int]]] = [
        ("tshark -T json alone (floor)", lambda: tshark_json_only(path)),
        ("pyshark default (PDML, no filter)", lambda: count_sip_layers(path)),
        ("PDML + display_filter", lambda: count_sip_layers(path, display_filter="sip")),
        ("EK + display_filter", lambda: count_sip_layers(path, use_ek=True, display_filter="sip")),
        ("JSON + display_filter", lambda: count_sip_layers(
            path, use_json=True, display_filter="sip")),
        ("JSON + filter + include_raw", lambda: count_sip_layers(
            path, use_json=True, include_raw=True, display_filter="sip", keep_packets=False)),
        ("JSON + filter + keep_packets=False", lambda: count_sip_layers(
            path, use_json=True, display_filter="sip", keep_packets=False)),
        ("JSON + filter + keep_packets=False + -J layers", lambda: count_sip_layers(
            path, use_json=True, display_filter="sip", keep_packets=False,
            custom_parameters=layers)),
        ("  ... + -o tcp.analyze_sequence_numbers:FALSE", lambda: count_sip_layers(
            path, use_json=True, display_filter="sip", keep_packets=False,
            custom_parameters=[*layers, "-o", "tcp.analyze_sequence_numbers:FALSE"])),
        ("pbxlab PysharkBackend (rows in DataFrames)", lambda: backend_rows(path)),
    ]  # fmt: skip
    if args.skip_default:
        configs = [c for c in configs if not c[0].startswith("pyshark default")]
    print(f"capture: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    baseline: float | None = None
    messages = 0
    print(f"{'configuration':48s} {'wall':>7s}   {'CPU':>7s}   {'SIP msg/CPU-s':>13s} speed-up")
    for name, run in configs:
        wall = cpu = float("inf")
        # the default configuration is ~100x slower: once is enough to place it
        for _ in range(1 if name.startswith("pyshark default") else max(1, args.repeat)):
            start, start_cpu = time.perf_counter(), _cpu_seconds()
            found = run()
            wall = min(wall, time.perf_counter() - start)
            cpu = min(cpu, _cpu_seconds() - start_cpu)
        messages = found or messages
        if name.startswith("pyshark default"):
            baseline = cpu
        rate = f"{messages / cpu:13.0f}" if messages else f"{'-':>13s}"
        speedup = f"{baseline / cpu:6.1f}x" if baseline else ""
        print(f"{name:48s} {wall:7.2f} s {cpu:7.2f} s {rate} {speedup}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
