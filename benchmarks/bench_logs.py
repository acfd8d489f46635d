"""Benchmark: reading a large Asterisk log into the events table, against grep.

Generates (once) a >= 1M-line Asterisk full log in benchmarks/data/ -- mostly
irrelevant lines (dialplan, pjsip logger SIP dumps, debug), about 2 % registrar
and security events, as in real logs -- then, in one run, times

* ``grep -cE`` with the event trigger patterns pbxlab itself uses, as the floor
  (grep only counts candidate lines, it parses nothing), and
* ``pbxlab.capture.logs.read_registrar_log`` (detect, frame, parse, resolve
  times, build the DataFrame),

and prints lines/s, events/s, the ratio to grep and the peak RSS of this
process.  Run: ``.venv/bin/python benchmarks/bench_logs.py [--lines N]``.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

NOISE = [
    "[{t}] VERBOSE[{tid}][C-{call:08x}] pbx.c:     -- Executing [{ext}@from-internal:{n}] "
    'Dial("PJSIP/{ext}-{call:08x}", "PJSIP/{other},30,tT") in new stack',
    "[{t}] VERBOSE[{tid}][C-{call:08x}] pbx.c:     -- Executing [{ext}@from-internal:{n}] "
    'Set("PJSIP/{ext}-{call:08x}", "CALLERID(num)={ext}") in new stack',
    "[{t}] DEBUG[{tid}] res_pjsip/pjsip_distributor.c: Found endpoint {ext} for request",
    "[{t}] VERBOSE[{tid}] res_pjsip_logger.c: <--- Received SIP request (612 bytes) from "
    "UDP:198.51.100.{host}:5060 --->",
    "REGISTER sip:pbx.example.com SIP/2.0",
    "Via: SIP/2.0/UDP 10.0.{host}.5:5060;rport;branch=z9hG4bK{call:08x}",
    "From: <sip:{ext}@pbx.example.com>;tag={call:x}",
    "To: <sip:{ext}@pbx.example.com>",
    "Call-ID: {call:016x}@10.0.{host}.5",
    "CSeq: {n} REGISTER",
    "Contact: <sip:{ext}@10.0.{host}.5:5060;ob>",
    "Expires: 3600",
    "User-Agent: Yealink SIP-T46U 108.86.0.20",
    "Content-Length: 0",
    "",
    "[{t}] VERBOSE[{tid}][C-{call:08x}] app_dial.c:     -- PJSIP/{other}-{call:08x} "
    "is making progress passing it to PJSIP/{ext}-{call:08x}",
    "[{t}] DEBUG[{tid}] res_rtp_asterisk.c: Setting RTP source address to 198.51.100.{host}:{port}",
    "[{t}] VERBOSE[{tid}][C-{call:08x}] bridge_channel.c:   == Spawn extension (from-internal,"
    " {ext}, 1) exited non-zero on 'PJSIP/{ext}-{call:08x}'",
]
EVENTS = [
    "[{t}] VERBOSE[{tid}] res_pjsip_registrar.c:     -- Added contact 'sip:{ext}@10.0.{host}.5:"
    "5060;ob' to AOR '{ext}' with expiration of 3600 seconds",
    "[{t}] VERBOSE[{tid}] res_pjsip_registrar.c:     -- Removed contact 'sip:{ext}@10.0.{host}"
    ".5:5060;ob' from AOR '{ext}' due to expiration",
    "[{t}] VERBOSE[{tid}] res_pjsip/pjsip_options.c:     -- Contact {ext}/sip:{ext}@10.0.{host}"
    ".5:5060;ob is now Reachable.  RTT: {rtt}.125 msec",
    "[{t}] VERBOSE[{tid}] res_pjsip/pjsip_options.c:     -- Contact {ext}/sip:{ext}@10.0.{host}"
    ".5:5060;ob is now Unreachable.  RTT: 0.000 msec",
    "[{t}] NOTICE[{tid}] chan_sip.c: Peer '{ext}' is now Reachable. ({rtt}ms / 2000ms)",
    "[{t}] NOTICE[{tid}] chan_sip.c: Registration from '<sip:{ext}@pbx.example.com>' failed for"
    " '203.0.113.{host}:5060' - Wrong password",
    '[{t}] SECURITY[{tid}] res_security_log.c: SecurityEvent="InvalidAccountID",EventTV="x",'
    'Severity="Error",Service="PJSIP",EventVersion="1",AccountID="{ext}",SessionID="s",'
    'LocalAddress="IPV4/UDP/10.0.0.1/5060",RemoteAddress="IPV4/UDP/203.0.113.{host}/5060"',
]
EVENT_SHARE = 0.02
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def generate(path: Path, lines: int) -> None:
    """Write a deterministic Asterisk log of ``lines`` lines to ``path``."""
    rng = random.Random(20261126)
    path.parent.mkdir(parents=True, exist_ok=True)
    second = 0
    with open(path, "w", encoding="utf-8") as out:
        batch = []
        for _ in range(lines):
            second += rng.random() < 0.05
            day, rest = divmod(second, 86400)
            t = (
                f"{MONTHS[(day // 28) % 12]} {day % 28 + 1:2d} {rest // 3600:02d}:"
                f"{rest // 60 % 60:02d}:{rest % 60:02d}"
            )
            pool = EVENTS if rng.random() < EVENT_SHARE else NOISE
            template = pool[rng.randrange(len(pool))]
            batch.append(
                template.format(
                    t=t,
                    tid=rng.randrange(1000, 9999),
                    call=rng.randrange(1 << 32),
                    ext=rng.randrange(200, 400),
                    other=rng.randrange(200, 400),
                    n=rng.randrange(1, 9),
                    host=rng.randrange(1, 250),
                    port=rng.randrange(10000, 20000),
                    rtt=rng.randrange(5, 300),
                )
            )
            if len(batch) >= 10_000:
                out.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            out.write("\n".join(batch) + "\n")


def grep_pattern(triggers: tuple[str, ...]) -> str:
    """An ERE alternation of the literal trigger strings."""
    return "|".join(re.sub(r"([.\[\]()*+?{}|^$\\])", r"\\\1", t) for t in triggers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_200_000)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()

    path = DATA / f"asterisk-full-{args.lines}.log"
    if args.regenerate or not path.exists():
        started = time.perf_counter()
        generate(path, args.lines)
        print(f"generated {path} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    size_mb = path.stat().st_size / 2**20

    from pbxlab.capture.logs import read_registrar_log
    from pbxlab.capture.logs.formats import ASTERISK_TRIGGERS

    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    started = time.perf_counter()
    grep = subprocess.run(
        ["grep", "-cE", grep_pattern(ASTERISK_TRIGGERS), str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    grep_s = time.perf_counter() - started
    grep_lines = int(grep.stdout)

    started = time.perf_counter()
    read = read_registrar_log(path, year=2026)
    pbx_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    lines = args.lines
    events = len(read.events)
    print(f"file: {path.name}, {lines:,} lines, {size_mb:.0f} MiB")
    print(
        f"grep -cE (floor): {grep_s:6.2f} s  {lines / grep_s:12,.0f} lines/s  "
        f"{grep_lines:,} candidate lines"
    )
    print(
        f"read_registrar_log: {pbx_s:6.2f} s  {lines / pbx_s:12,.0f} lines/s  "
        f"{events / pbx_s:10,.0f} events/s  {events:,} events, {len(read.errors)} errors"
    )
    print(f"ratio pbxlab / grep: {pbx_s / grep_s:.1f}x (target <= 10x)")
    print(
        f"peak RSS: {peak_mb:.0f} MiB ({baseline_mb:.0f} MiB after imports, file {size_mb:.0f} MiB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
