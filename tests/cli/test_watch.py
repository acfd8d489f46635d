"""`pbxlab watch`: usage, JSON lines, table output, Ctrl-C, capture errors (exit codes)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from lab.run_scenario import _isolation
from pbxlab.cli.app import main
from tests.conftest import REPO


def _registered_now(extension: str) -> str:
    now = pd.Timestamp.now(tz="UTC").isoformat()
    return (
        json.dumps(
            {"ts": now, "extension": extension, "event": "registered", "detail": "expires 600 s"}
        )
        + "\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of --interface IFACE or --follow LOGFILE"),
        (["--interface", "lo", "--follow", "x.log"], "exactly one of"),
        (["--follow", "x.log", "--format", "csv"], "unknown format 'csv'"),
        (["--follow", "x.log", "--filter", "udp"], "--filter applies to --interface only"),
        (["--follow", "x.log", "--window", "5"], "at least 60 s"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["watch", *args]) == 2
    assert message in capsys.readouterr().err


def test_help_explains_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage: pbxlab watch" in out and "Examples" in out and "--follow" in out


def test_quiet_keeps_only_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "gone.log"
    assert main(["--quiet", "watch", "--follow", str(log), "--duration", "0.3"]) == 0
    err = capsys.readouterr().err
    assert "does not exist; waiting for it" in err and "Ctrl-C" not in err


def test_jsonl_lines_carry_ts_extension_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text(_registered_now("201") + _registered_now("202"))
    assert main(["watch", "--follow", str(log), "--format", "jsonl", "--duration", "1.5"]) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(r["type"], r["extension"], r["state"]) for r in lines] == [
        ("status", "201", "online"),
        ("status", "202", "online"),
    ]
    assert set(lines[0]) >= {"ts", "extension", "state", "from_state", "reason", "detected_at"}
    assert lines[0]["ts"].endswith("Z") and lines[0]["from_state"] is None
    assert f"following {log}" in err and "stopped" in err


def test_table_output_names_extension_and_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text(_registered_now("201"))
    assert main(["watch", "--follow", str(log), "--duration", "1.0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["time", "(UTC)", "extension"]
    assert out[1].split()[1:3] == ["201", "online"]


def test_a_missing_log_is_waited_for_and_said_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "not-yet.log"
    assert main(["watch", "--follow", str(log), "--format", "jsonl", "--duration", "0.5"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "does not exist; waiting for it" in err


def test_ctrl_c_stops_the_watch_and_exits_0(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text(_registered_now("201"))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pbxlab", "watch", "--follow", str(log), "--format", "jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())  # waits for the first change
        assert (first["extension"], first["state"]) == ("201", "online")
        with log.open("a") as sink:
            sink.write(
                json.dumps(
                    {
                        "ts": pd.Timestamp.now(tz="UTC").isoformat(),
                        "extension": "201",
                        "event": "unregistered",
                    }
                )
                + "\n"
            )
        second = json.loads(proc.stdout.readline())
        assert (second["state"], second["from_state"]) == ("offline", "online")
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in err and "stopped" in err


@pytest.mark.skipif(shutil.which("dumpcap") is None, reason="needs dumpcap")
def test_an_interface_that_does_not_exist_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "--interface", "pbxlab-no-such-if0", "--duration", "1"]) == 2
    err = capsys.readouterr().err
    assert "no interface named 'pbxlab-no-such-if0'" in err and "Traceback" not in err


@pytest.mark.skipif(
    shutil.which("dumpcap") is None or shutil.which("setpriv") is None or os.geteuid() != 0,
    reason="needs dumpcap, setpriv and root (to drop to an unprivileged user)",
)
def test_capturing_without_the_privilege_exits_2_with_what_to_do() -> None:
    # as nobody, in a private network namespace: dumpcap must refuse to capture
    isolation = _isolation()
    if isinstance(isolation, str):
        pytest.skip(isolation)
    tmp_path = Path(tempfile.mkdtemp(prefix="pbxlab-nobody-"))
    tmp_path.chmod(0o777)
    env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    done = subprocess.run(
        [
            *isolation.prefix,
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-m",
            "pbxlab",
            "watch",
            "--interface",
            "lo",
            "--ring-dir",
            str(tmp_path / "ring"),
            "--duration",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    shutil.rmtree(tmp_path, ignore_errors=True)
    assert done.returncode == 2, done.stderr
    assert "not permitted to capture on 'lo'" in done.stderr
    assert "Traceback" not in done.stderr
