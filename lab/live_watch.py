"""The watcher against the lab: Kamailio + SIPp phones on loopback, ``pbxlab watch`` on ``lo``.

Strategy: as :mod:`lab.run_scenario` does, the calling process opens no
socket; it re-executes this module with ``--inside`` under ``unshare --net
--pid --fork --kill-child``, so everything runs in a private network
namespace whose only interface is ``lo`` (checked first) and dies with it.
Inside, Kamailio starts on 127.0.0.1:5060, a :class:`pbxlab.live.Watcher`
captures ``lo`` through its dumpcap ring (in the working directory, kept for
inspection), and SIPp phones play one of two plans:

- ``latency`` (about 20 s): phone 201 registers (and refreshes), 211
  registers and unregisters every 2 s, 209 calls 201 (it rings, is answered,
  hangs up), then 201's SIPp is killed: it goes silent and the registrar's
  keepalives go unanswered;
- ``steady`` (``--minutes``, for ``benchmarks/bench_watch.py``): N phones
  each registered 6 s and unregistered 2 s, over and over, answering
  keepalives; the worker samples its own memory every 10 s.

The worker writes ``result.json`` in the working directory: every change the
watcher reported (evidence time and the wall-clock time it was reported),
the time 201 was silenced, and the memory samples.  Bounded: the caller kills
the namespace after the plan's duration + 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lab.catalog import REGISTRAR_IP, Agent, Scenario
from lab.media import write_tone_pcap
from lab.run_scenario import (
    KAMAILIO_CFG,
    REPO,
    LabError,
    _bring_up_loopback,
    _Isolation,
    _isolation,
    _sipp_command,
    _stop,
    _udp_listening,
    _wait_until,
    lab_unavailable_reason,
)

PORT = 5060
LATENCY_SECONDS = 20.0
HARD_MARGIN_S = 60.0
MEMORY_EVERY_S = 10.0
MAX_STEADY_PHONES = 18  # the registrar's directory is 200-219; 209 calls in the other plan


def run_live_watch(
    plan: str,
    workdir: Path | str | None = None,
    *,
    minutes: float = 1.0,
    phones: int = 10,
    window_s: float = 300.0,
) -> dict[str, Any]:
    """Run ``plan`` ('latency' or 'steady') in a private namespace; returns result.json's content.

    Raises LabError when the lab is unavailable or the run fails (the message
    names the working directory with the logs).
    """
    if plan not in ("latency", "steady"):
        raise LabError(f"unknown plan {plan!r}: latency or steady")
    if not 1 <= phones <= MAX_STEADY_PHONES:
        raise LabError(f"phones must be 1..{MAX_STEADY_PHONES}")
    reason = lab_unavailable_reason()
    if reason is not None:
        raise LabError(reason)
    isolation = _isolation()
    assert isinstance(isolation, _Isolation)
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix=f"pbxlab-watch-{plan}-"))
    work.mkdir(parents=True, exist_ok=True)
    seconds = LATENCY_SECONDS if plan == "latency" else minutes * 60.0
    command = [
        *isolation.prefix,
        sys.executable,
        "-m",
        "lab.live_watch",
        "--inside",
        plan,
        "--workdir",
        str(work.resolve()),
        "--minutes",
        str(minutes),
        "--phones",
        str(phones),
        "--window",
        str(window_s),
    ]
    python_path = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(python_path)}
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=env,
            timeout=seconds + HARD_MARGIN_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise LabError(f"live watch {plan!r} exceeded its hard timeout; logs in {work}") from None
    result = work / "result.json"
    if done.returncode != 0 or not result.exists():
        raise LabError(
            f"live watch {plan!r} failed (exit {done.returncode}); logs in {work}\n"
            + done.stderr[-4000:]
        )
    loaded: dict[str, Any] = json.loads(result.read_text())
    loaded["workdir"] = str(work)
    return loaded


# --- inside the namespace -------------------------------------------------


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _agents(plan: str, phones: int) -> list[Agent]:
    if plan == "latency":
        return [
            Agent(
                name="phone-201",
                scenario="phone-healthy.xml",
                ip="127.0.0.11",
                extension="201",
                out_of_call="answer-calls.xml",
            ),
            Agent(
                name="phone-211",
                scenario="phone-unregister-loop.xml",
                ip="127.0.0.21",
                extension="211",
                start_after=0.5,
            ),
            Agent(
                name="caller-209",
                scenario="phone-caller.xml",
                ip="127.0.0.19",
                extension="209",
                variables={"callee": "201"},
                start_after=3.0,
            ),
        ]
    numbers = [n for n in range(200, 220) if n != 209][:phones]
    return [
        Agent(
            name=f"phone-{n}",
            scenario="phone-steady.xml",
            ip=f"127.0.0.{100 + i}",
            extension=str(n),
            start_after=0.37 * i,  # spread: not every phone on the same beat
        )
        for i, n in enumerate(numbers)
    ]


def _run_inside(plan: str, workdir: Path, minutes: float, phones: int, window_s: float) -> None:
    import pandas as pd

    from pbxlab.live import StatusChange, Watcher, WatchPolicy

    _bring_up_loopback()
    processes: list[subprocess.Popen[bytes]] = []
    seconds = LATENCY_SECONDS if plan == "latency" else minutes * 60.0
    scenario = Scenario(plan, plan, seconds, tuple(_agents(plan, phones)))

    def start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                command, cwd=workdir, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
            )
        processes.append(proc)
        return proc

    changes: list[dict[str, Any]] = []
    memory: list[dict[str, Any]] = []
    marks: dict[str, str] = {}

    def record(change: object) -> None:
        if isinstance(change, StatusChange):
            changes.append({**change.to_dict(), "delay_s": change.delay.total_seconds()})

    watcher = None
    try:
        kamailio_log = workdir / "kamailio.log"
        kamailio = start(
            [
                *("kamailio", "-f", str(KAMAILIO_CFG), "-DD", "-E"),
                *("-l", f"udp:{REGISTRAR_IP}:{PORT}", "-m", "32", "-M", "8"),
                *("-Y", str(workdir), "-P", str(workdir / "kamailio.pid")),
            ],
            kamailio_log,
        )
        _wait_until(lambda: _udp_listening(REGISTRAR_IP, PORT), "kamailio", kamailio, kamailio_log)
        write_tone_pcap(workdir / "tone-pcma.pcap", seconds=3.0)
        policy = WatchPolicy(window=pd.Timedelta(seconds=window_s))
        watcher = Watcher.capture("lo", "udp", ring_dir=workdir / "ring", policy=policy)
        watcher.subscribe(record)
        watcher.start()
        t0 = time.monotonic()
        agents: dict[str, subprocess.Popen[bytes]] = {}
        pending = sorted(scenario.agents, key=lambda a: a.start_after)
        next_memory = t0
        killed = False
        while time.monotonic() < t0 + seconds:
            now = time.monotonic()
            while pending and now >= t0 + pending[0].start_after:
                agent = pending.pop(0)
                agents[agent.name] = start(
                    _sipp_command(agent, PORT, scenario), workdir / f"{agent.name}.log"
                )
            if plan == "latency" and not killed and now >= t0 + 11.0:
                agents["phone-201"].kill()  # unplugged: silent from now on
                marks["silenced"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + (
                    f".{int((time.time() % 1) * 1e6):06d}Z"
                )
                killed = True
            if now >= next_memory:
                memory.append(
                    {
                        "t_s": round(now - t0, 1),
                        "rss_kib": _rss_kib(),
                        "cpu_s": round(os.times().user + os.times().system, 1),
                        "kept_rows": len(watcher.window),
                        "changes": len(changes),
                    }
                )
                next_memory += MEMORY_EVERY_S
            time.sleep(0.05)
        watcher.stop()
        _stop(kamailio)
        for proc in agents.values():
            _stop(proc)
        (workdir / "result.json").write_text(
            json.dumps(
                {
                    "plan": plan,
                    "seconds": seconds,
                    "phones": len(scenario.agents),
                    "window_s": window_s,
                    "changes": changes,
                    "marks": marks,
                    "memory": memory,
                    "errors_seen": watcher.errors_seen,
                },
                indent=1,
            )
        )
    finally:
        if watcher is not None:
            watcher.stop()
        for proc in reversed(processes):
            if proc.poll() is None:
                proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("plan", choices=["latency", "steady"])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--phones", type=int, default=10)
    parser.add_argument("--window", type=float, default=300.0)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.inside:
            if os.getpid() != 1:
                raise LabError("--inside is only for the namespace worker (PID 1)")
            _run_inside(args.plan, args.workdir, args.minutes, args.phones, args.window)
        else:
            result = run_live_watch(
                args.plan,
                args.workdir,
                minutes=args.minutes,
                phones=args.phones,
                window_s=args.window,
            )
            print(json.dumps(result, indent=1))
    except LabError as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
