"""Live lab runs: Kamailio and SIPp in a private network namespace, captured on loopback.

Three of the quicker scenarios (about 30 s together); each live capture must
show what the scenario's committed recording shows (tests/lab/expectations.py).
And a run the caller's hard timeout cuts short leaves no process behind.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest

import lab.run_scenario as run_scenario_module
from lab.run_scenario import LabError, lab_unavailable_reason, run_scenario
from tests.lab.conftest import LabCapture
from tests.lab.expectations import CHECKS, assert_loopback_only

pytestmark = pytest.mark.lab

LIVE = ["wrong-password", "nat", "no-answer"]


@pytest.mark.parametrize("name", LIVE)
def test_live_run_shows_the_scenario(lab_capture: LabCapture, name: str) -> None:
    capture = lab_capture(name)
    assert_loopback_only(capture)
    CHECKS[name](capture)


def test_register_is_challenged_then_accepted(lab_capture: LabCapture) -> None:
    capture = lab_capture("nat")
    m = capture.messages
    first = m[m["to_user"].astype(str) == "202"].head(4)
    ladder = [
        (str(method) if is_request else int(status), "" if pd.isna(user) else str(user))
        for method, status, is_request, user in zip(
            first["method"], first["status"], first["is_request"], first["auth_user"], strict=True
        )
    ]
    # Credentials only on the second REGISTER, in the extension's name.
    assert ladder == [("REGISTER", ""), (401, ""), ("REGISTER", "202"), (200, "")]


def _processes_in(workdir: Path) -> list[str]:
    """Processes whose working directory or command line is ``workdir``'s."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone, or not ours to read
        if cwd == str(workdir) or str(workdir) in cmdline:
            found.append(f"{proc.name}: {cmdline}")
    return found


def test_hard_timeout_kills_every_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reason = lab_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    # healthy runs 12 s; give it 4 s in all so the caller's timeout strikes mid-run.
    monkeypatch.setattr(run_scenario_module, "HARD_TIMEOUT_MARGIN_S", -8.0)
    workdir = (tmp_path / "run").resolve()
    with pytest.raises(LabError, match="exceeded its hard timeout"):
        run_scenario("healthy", workdir=workdir)
    deadline = time.monotonic() + 5
    while _processes_in(workdir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_in(workdir) == []
    # It was killed mid-run: the agents had started.
    assert (workdir / "phone-201.log").exists()
