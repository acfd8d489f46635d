"""Run a lab scenario: Kamailio + SIPp on loopback in a private network namespace.

Strategy: the calling process never opens a socket.  It re-executes this
module with ``--inside`` under ``unshare --net --pid --fork --kill-child``, so
the worker is PID 1 of fresh network and PID namespaces: its only interface is
``lo`` (checked before anything starts; nothing can reach any other address),
and when it exits, or is killed by the caller's hard timeout, the kernel kills
every process it started (Kamailio's children included).  The worker brings up
``lo``, starts Kamailio on 127.0.0.1:PORT and dumpcap on ``lo`` (bounded in
duration, packets and file size), starts each SIPp agent at its offset, lets
the scenario run for its duration, stops the capture, then the registrar,
then the agents, and checks that no agent failed (non-zero exit, aborted
call).  The caller gets the pcap's path, or a :class:`LabError` quoting the
logs.

Usable from tests (:func:`run_scenario`, :func:`lab_unavailable_reason`) and
from the command line: ``python -m lab.run_scenario healthy -o out.pcap``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lab.catalog import (
    DEFAULT_REGISTRAR_PORT,
    REGISTRAR_IP,
    SCENARIO_DIR,
    Agent,
    Scenario,
    get_scenario,
)
from lab.media import write_tone_pcap

LAB_DIR = Path(__file__).resolve().parent
REPO = LAB_DIR.parent
KAMAILIO_CFG = LAB_DIR / "kamailio.cfg"
REQUIRED_PROGRAMS = ("kamailio", "sipp", "dumpcap", "unshare", "ip")

# Bounds on every run, whatever the scenario says.
MAX_PACKETS = 20_000
MAX_CAPTURE_KB = 20_000
STARTUP_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
# Seconds the caller waits for the worker beyond the scenario's duration
# (startup, shutdown) before killing the namespace.
HARD_TIMEOUT_MARGIN_S = 30.0
WORKER_FAILED = 3


class LabError(RuntimeError):
    """A lab run failed: a component did not start, or an agent's scenario failed."""


@dataclass(frozen=True)
class _Isolation:
    prefix: tuple[str, ...]


_NAMESPACE_PREFIXES = (
    ("unshare", "--net", "--pid", "--fork", "--kill-child"),
    # Without root: a user namespace maps us to root inside, which is enough
    # to bring up lo and capture on it.
    ("unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child"),
)


@cache
def _isolation() -> _Isolation | str:
    """The unshare prefix that works here, or why none does."""
    reasons = []
    for prefix in _NAMESPACE_PREFIXES:
        try:
            probe = subprocess.run(
                [*prefix, "true"], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            reasons.append(f"{' '.join(prefix)}: {exc}")
            continue
        if probe.returncode == 0:
            return _Isolation(prefix)
        reasons.append(f"{' '.join(prefix)}: {probe.stderr.strip() or probe.returncode}")
    return "network namespaces are not permitted here (" + "; ".join(reasons) + ")"


def lab_unavailable_reason() -> str | None:
    """Why the lab cannot run on this machine (missing program, no namespaces), or None."""
    missing = [p for p in REQUIRED_PROGRAMS if shutil.which(p) is None]
    if missing:
        return (
            f"lab needs {', '.join(missing)} (installed by scripts/install-system-deps.sh: "
            "kamailio, sip-tester, tshark, util-linux, iproute2)"
        )
    isolation = _isolation()
    return isolation if isinstance(isolation, str) else None


def run_scenario(
    scenario: str,
    pcap: Path | str | None = None,
    *,
    port: int = DEFAULT_REGISTRAR_PORT,
    workdir: Path | str | None = None,
) -> Path:
    """Run the scenario named ``scenario`` (lab/catalog.py) and return the pcap's path.

    ``pcap`` defaults to ``<workdir>/<scenario>.pcap``; ``workdir`` (logs of
    Kamailio, dumpcap and each SIPp agent) defaults to a new temporary
    directory.  Raises LabError when the lab is unavailable, a component
    fails to start, an agent's scenario fails, or the hard timeout (duration
    + 30 s) expires; the message names the logs to read.
    """
    chosen = get_scenario(scenario)  # the worker looks it up again by name
    reason = lab_unavailable_reason()
    if reason is not None:
        raise LabError(reason)
    isolation = _isolation()
    assert isinstance(isolation, _Isolation)
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix=f"pbxlab-lab-{chosen.name}-"))
    work.mkdir(parents=True, exist_ok=True)
    out = Path(pcap) if pcap else work / f"{chosen.name}.pcap"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    command = [
        *isolation.prefix,
        sys.executable,
        "-m",
        "lab.run_scenario",
        "--inside",
        chosen.name,
        "--port",
        str(port),
        "--workdir",
        str(work.resolve()),
        "-o",
        str(out.resolve()),
    ]
    python_path = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(python_path)}
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=env,
            timeout=chosen.duration + HARD_TIMEOUT_MARGIN_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise LabError(
            f"lab scenario {chosen.name!r} exceeded its hard timeout; logs in {work}"
        ) from None
    if done.returncode != 0 or not out.exists():
        raise LabError(
            f"lab scenario {chosen.name!r} failed (exit {done.returncode}); logs in {work}\n"
            + done.stderr[-4000:]
        )
    return out


# --- inside the namespace -------------------------------------------------


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"({path} unreadable)"
    return "\n".join(text.splitlines()[-lines:])


def _bring_up_loopback() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
    # /proc/self/net/dev lists the interfaces of *this* network namespace.
    lines = Path("/proc/self/net/dev").read_text().splitlines()[2:]
    interfaces = sorted(line.split(":", 1)[0].strip() for line in lines)
    if interfaces != ["lo"]:
        raise LabError(f"refusing to run: the namespace has interfaces {interfaces}, not only lo")


def _udp_listening(ip: str, port: int) -> bool:
    wanted = f"{''.join(f'{int(b):02X}' for b in reversed(ip.split('.')))}:{port:04X}"
    table = Path("/proc/self/net/udp").read_text().splitlines()[1:]
    return any(line.split()[1] == wanted for line in table)


def _wait_until(
    condition: Callable[[], bool], what: str, proc: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            raise LabError(f"{what} exited with status {proc.returncode}:\n{_log_tail(log)}")
        time.sleep(0.05)
    raise LabError(f"{what} not ready after {STARTUP_TIMEOUT_S} s:\n{_log_tail(log)}")


def _sipp_command(agent: Agent, port: int, scenario: Scenario) -> list[str]:
    command = [
        "sipp",
        f"{REGISTRAR_IP}:{port}",
        "-sf",
        str(SCENARIO_DIR / agent.scenario),
        "-i",
        agent.ip,
        "-p",
        str(agent.port),
        "-bind_local",
        "-m",
        str(agent.calls),
        "-nostdin",
        # A backstop only: the runner stops every agent at the end of the run.
        "-timeout",
        f"{int(scenario.duration) + 10}s",
        "-trace_err",
        "-error_file",
        f"{agent.name}.errors.log",
    ]
    if agent.out_of_call:
        command += ["-oocsf", str(SCENARIO_DIR / agent.out_of_call)]
    if agent.extension:
        command += ["-s", agent.extension, "-au", agent.extension]
    if agent.auth_password:
        command += ["-ap", agent.auth_password]
    if agent.rate_per_s:
        command += ["-r", str(agent.rate_per_s), "-rp", "1000"]
    if agent.inject_csv:
        command += ["-inf", str(SCENARIO_DIR / agent.inject_csv)]
    if agent.rtp_echo:
        command += ["-rtp_echo"]
    for name, value in agent.variables.items():
        command += ["-set", name, value]
    return command


def _agent_failures(agent: Agent, returncode: int | None, workdir: Path) -> list[str]:
    """Why ``agent`` failed, from its exit status and SIPp's error log (empty: fine)."""
    problems = []
    if returncode is None and agent.finite:
        problems.append(f"{agent.name}: still running at the end of the run")
    elif returncode is not None and returncode != 0:
        problems.append(f"{agent.name}: SIPp exited with status {returncode}")
    errors = workdir / f"{agent.name}.errors.log"
    if errors.exists():
        for line in errors.read_text(errors="replace").splitlines():
            lowered = line.lower()
            if "out-of-call" in lowered:
                continue  # SIPp notes every keepalive it hands to the out-of-call scenario
            if "abort" in lowered or "unexpected" in lowered or "timeout" in lowered:
                problems.append(f"{agent.name}: {line.strip()}")
    return problems


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)


def _run_inside(scenario: Scenario, port: int, workdir: Path, pcap: Path) -> None:
    _bring_up_loopback()
    processes: list[subprocess.Popen[bytes]] = []

    def start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                command, cwd=workdir, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
            )
        processes.append(proc)
        return proc

    try:
        kamailio_log = workdir / "kamailio.log"
        kamailio = start(
            [
                "kamailio",
                "-f",
                str(KAMAILIO_CFG),
                "-DD",
                "-E",
                "-l",
                f"udp:{REGISTRAR_IP}:{port}",
                "-m",
                "32",
                "-M",
                "8",
                "-Y",
                str(workdir),
                "-P",
                str(workdir / "kamailio.pid"),
            ],
            kamailio_log,
        )
        _wait_until(lambda: _udp_listening(REGISTRAR_IP, port), "kamailio", kamailio, kamailio_log)

        dumpcap_log = workdir / "dumpcap.log"
        dumpcap = start(
            [
                "dumpcap",
                "-i",
                "lo",
                "-P",
                "-w",
                str(pcap),
                "-c",
                str(MAX_PACKETS),
                "-a",
                f"duration:{int(scenario.duration) + 10}",
                "-a",
                f"filesize:{MAX_CAPTURE_KB}",
            ],
            dumpcap_log,
        )
        _wait_until(
            lambda: "Capturing on" in dumpcap_log.read_text(errors="replace"),
            "dumpcap",
            dumpcap,
            dumpcap_log,
        )

        # The callers' audio (lab/scenarios/phone-caller.xml plays it).
        write_tone_pcap(workdir / "tone-pcma.pcap", seconds=3.0)

        t0 = time.monotonic()
        agents: list[tuple[Agent, subprocess.Popen[bytes]]] = []
        for agent in sorted(scenario.agents, key=lambda a: a.start_after):
            time.sleep(max(0.0, t0 + agent.start_after - time.monotonic()))
            agents.append(
                (agent, start(_sipp_command(agent, port, scenario), workdir / f"{agent.name}.log"))
            )
        # Fail fast when an agent dies early; otherwise run the full duration.
        early: list[str] = []
        while time.monotonic() < t0 + scenario.duration and not early:
            for agent, proc in agents:
                if proc.poll() not in (None, 0):
                    early = _agent_failures(agent, proc.returncode, workdir)
            time.sleep(0.1)

        # Capture first (so it ends while every phone is still alive and
        # answering), then the registrar, then the agents.
        _stop(dumpcap, signal.SIGINT)
        _stop(kamailio)
        statuses = [(agent, proc.poll()) for agent, proc in agents]
        for _, proc in agents:
            _stop(proc)
        failures = early or [
            problem
            for agent, status in statuses
            for problem in _agent_failures(agent, status, workdir)
        ]
        if failures:
            raise LabError(
                "\n".join(failures)
                + "\n"
                + "\n".join(
                    f"--- {a.name}.log:\n{_log_tail(workdir / f'{a.name}.log', 8)}"
                    for a, _ in agents
                )
            )
        if not pcap.exists():
            raise LabError(f"dumpcap wrote no capture:\n{_log_tail(dumpcap_log)}")
        pcap.chmod(0o644)
    finally:
        for proc in reversed(processes):
            if proc.poll() is None:
                proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("scenario", help="a scenario name of lab/catalog.py")
    parser.add_argument("-o", "--output", type=Path, help="pcap to write")
    parser.add_argument("--port", type=int, default=DEFAULT_REGISTRAR_PORT)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        scenario = get_scenario(args.scenario)
        if args.inside:
            if os.getpid() != 1:
                raise LabError("--inside is only for the namespace worker (PID 1)")
            _run_inside(scenario, args.port, args.workdir, args.output)
        else:
            pcap = run_scenario(scenario.name, args.output, port=args.port, workdir=args.workdir)
            print(pcap)
    except (LabError, KeyError) as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return WORKER_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
