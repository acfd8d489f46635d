"""A SIPp phone (UAS) on 127.0.0.1 for reboot tests: started, waited for, stopped."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SCENARIOS = Path(__file__).parent / "sipp"
SIPP_LIFETIME = "10s"  # SIPp gives up by itself even if no NOTIFY ever comes


@dataclass
class SippPhone:
    """A running SIPp scenario: its port, and (after the block) its exit code and errors."""

    port: int
    process: subprocess.Popen[bytes]
    error_file: Path
    returncode: int | None = None

    @property
    def errors(self) -> str:
        return self.error_file.read_text() if self.error_file.exists() else ""


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sipp_phone(
    scenario: str, workdir: Path, username: str = "", password: str = ""
) -> Iterator[SippPhone]:
    """Run SIPp with ``scenario`` (a file in sipp/) for one call; yields the phone.

    After the block, waits (bounded) for SIPp to finish and records its exit code:
    0 when the scenario ran to its end (every ereg check passed).
    """
    sipp = shutil.which("sipp")
    if sipp is None:
        pytest.skip("SIPp missing: run scripts/install-system-deps.sh (Debian sip-tester)")
    accounts = workdir / "accounts.csv"
    accounts.write_text(f"SEQUENTIAL\n{username};{password}\n")
    port = _free_udp_port()
    error_file = workdir / f"sipp-{port}-errors.log"
    process = subprocess.Popen(
        [sipp, "-sf", str(SCENARIOS / scenario), "-inf", str(accounts),
         "-i", "127.0.0.1", "-p", str(port), "-m", "1", "-nostdin",
         "-timeout", SIPP_LIFETIME, "-timeout_error", "-trace_err", "-error_file", str(error_file)],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    phone = SippPhone(port, process, error_file)
    try:
        yield phone
        phone.returncode = process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
