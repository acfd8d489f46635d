"""How long diagnose() takes on a large tenant: 1000 phones for one hour.

Synthesises the messages table of a busy registrar (each phone: challenge-then-
login REGISTER every 5 min, an OPTIONS qualify every 30 s answered, behind NAT;
plus a brute-force source hammering one account) straight through the MESSAGES
schema, then times ``analyze`` (derived tables) and ``diagnose`` (findings) on
it.  Run: ``python benchmarks/bench_findings.py [--phones N] [--minutes M]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from pbxlab.analysis import analyze, diagnose
from pbxlab.capture.reader import Capture
from pbxlab.tables import ERRORS, MESSAGES, RTP_STREAMS

PLATFORM = "198.51.100.10"


def synthesise(phones: int, minutes: int, seed: int = 7) -> pd.DataFrame:
    """A messages table for ``phones`` NATed phones over ``minutes`` minutes."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2026-11-02 08:00", tz="UTC").value
    rows: dict[str, list[object]] = {name: [] for name in MESSAGES.names}

    def add(**values: object) -> None:
        for name in MESSAGES.names:
            rows[name].append(values.get(name))

    for p in range(phones):
        ext = str(1000 + p)
        public = f"203.0.{p // 250}.{p % 250 + 1}"
        port = 40000 + p
        offset = int(rng.integers(0, 300))
        for cycle, start in enumerate(range(offset, minutes * 60, 300)):
            call_id = f"reg-{ext}@{public}"
            for step, (auth, status) in enumerate(((False, 401), (True, 200))):
                ts = t0 + int((start + step * 0.05) * 1e9)
                common = {
                    "source_file": "bench.pcap",
                    "call_id": call_id,
                    "cseq_num": cycle * 2 + step + 1,
                    "cseq_method": "REGISTER",
                    "from_user": ext,
                    "to_user": ext,
                    "transport": "udp",
                    "encap": "none",
                    "via_host": "192.168.1.20",
                    "via_port": 5060,
                }
                add(
                    ts=ts,
                    src=public,
                    sport=port,
                    dst=PLATFORM,
                    dport=5060,
                    is_request=True,
                    method="REGISTER",
                    auth=auth,
                    contact=f"sip:{ext}@192.168.1.20:5060",
                    contact_count=1,
                    expires=300,
                    user_agent="Yealink SIP-T46S",
                    **common,
                )
                add(
                    ts=ts + 20_000_000,
                    src=PLATFORM,
                    sport=5060,
                    dst=public,
                    dport=port,
                    is_request=False,
                    status=status,
                    auth=False,
                    via_received=public,
                    via_rport=str(port),
                    contact_expires=300 if status == 200 else None,
                    contact_count=1 if status == 200 else 0,
                    **common,
                )
        for i, start in enumerate(range(offset + 15, minutes * 60, 30)):
            ts = t0 + int(start * 1e9)
            common = {
                "source_file": "bench.pcap",
                "call_id": f"q-{ext}-{i}@{PLATFORM}",
                "cseq_num": 1,
                "cseq_method": "OPTIONS",
                "from_user": "qualify",
                "to_user": ext,
                "transport": "udp",
                "encap": "none",
                "via_host": PLATFORM,
                "via_port": 5060,
                "branch": f"z9hG4bK-{ext}-{i}",
            }
            add(
                ts=ts,
                src=PLATFORM,
                sport=5060,
                dst=public,
                dport=port,
                is_request=True,
                method="OPTIONS",
                auth=False,
                request_uri=f"sip:{ext}@{public}:{port}",
                **common,
            )
            add(
                ts=ts + 30_000_000,
                src=public,
                sport=port,
                dst=PLATFORM,
                dport=5060,
                is_request=False,
                status=200,
                auth=False,
                **common,
            )
    for i in range(2000):  # a brute-force run on extension 1000
        ts = t0 + int((600 + i * 0.2) * 1e9)
        common = {
            "source_file": "bench.pcap",
            "call_id": f"bf-{i}@192.0.2.66",
            "cseq_num": 1,
            "cseq_method": "REGISTER",
            "from_user": "1000",
            "to_user": "1000",
            "transport": "udp",
            "encap": "none",
            "via_host": "192.0.2.66",
            "via_port": 5060,
        }
        add(
            ts=ts,
            src="192.0.2.66",
            sport=5060,
            dst=PLATFORM,
            dport=5060,
            is_request=True,
            method="REGISTER",
            auth=True,
            auth_user="1000",
            user_agent="sipcli/v1.8",
            **common,
        )
        add(
            ts=ts + 1_000_000,
            src=PLATFORM,
            sport=5060,
            dst="192.0.2.66",
            dport=5060,
            is_request=False,
            status=403,
            auth=False,
            **common,
        )
    order = np.argsort(np.array(rows["ts"], dtype=np.int64), kind="stable")
    ordered = {name: [values[i] for i in order] for name, values in rows.items()}
    ordered["frame"] = list(range(1, len(order) + 1))
    return MESSAGES.build(ordered)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=60)
    args = parser.parse_args()
    started = time.perf_counter()
    messages = synthesise(args.phones, args.minutes)
    built = time.perf_counter()
    capture = Capture(messages, RTP_STREAMS.empty(), ERRORS.empty(), ["bench.pcap"], {})  # type: ignore[arg-type]
    analysis = analyze(capture)
    analysed = time.perf_counter()
    findings = diagnose(analysis)
    diagnosed = time.perf_counter()
    print(f"{len(messages)} messages from {args.phones} phones over {args.minutes} min")
    print(f"synthesise {built - started:6.1f} s")
    print(f"analyze    {analysed - built:6.1f} s")
    print(f"diagnose   {diagnosed - analysed:6.1f} s  -> {len(findings)} findings:")
    print(findings.groupby(["code", "severity"], observed=True).size().to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
