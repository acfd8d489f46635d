"""The command-line contract every subcommand keeps (DESIGN.md "Command line"):
--help that explains with examples, exit codes 0/1/2, machine output on stdout
and messages on stderr, progress bars only on a terminal and never with --quiet,
no traceback unless --debug."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pbxlab.cli.app import main
from pbxlab.errors import InputError
from tests.conftest import REPO, SAMPLES

CAPTURE = str(SAMPLES / "lab-healthy.pcap")
FLAPPING = str(SAMPLES / "lab-flapping.pcap")
COMMANDS = ("parse", "diagnose", "status", "batch", "report", "ext", "web", "watch")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real ``pbxlab`` entry point in a subprocess (stdout and stderr are pipes)."""
    return subprocess.run(
        [sys.executable, "-m", "pbxlab", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", [*COMMANDS, None])
def test_help_explains_with_examples_on_stdout(
    command: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"] if command else ["--help"]) == 0
    out = capsys.readouterr()
    assert "Usage: pbxlab" in out.out and "Examples" in out.out
    assert out.err == ""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from pbxlab import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"pbxlab {__version__}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diagnose"], "Missing argument"),
        (["nosuch"], "No such command 'nosuch'"),
        (["diagnose", CAPTURE, "--no-such-option"], "No such option"),
        (["status", CAPTURE, "--format", "xml"], "unknown format 'xml'"),
        (["diagnose", CAPTURE, "--format", "xml"], "unknown --format 'xml'"),
        (["diagnose", CAPTURE, "--fail-on", "fatal"], "unknown --fail-on 'fatal'"),
        (["batch", CAPTURE, "-o", "x", "--format", "csv"], "unknown --format 'csv'"),
        (["batch", CAPTURE, "-o", "x", "--engine", "spark"], "unknown engine 'spark'"),
        (["parse", CAPTURE, "-o", "out.txt"], "use a .parquet or .csv extension"),
        (["status", CAPTURE, "--at", "yesterday-ish"], "cannot read the time"),
    ],
)
def test_usage_errors_exit_2_with_a_message_on_stderr(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    out = capsys.readouterr()
    assert message in out.err
    assert out.out == ""


@pytest.mark.parametrize(
    "args",
    [
        ["parse", "nowhere.pcap", "-o", "{tmp}/m.parquet"],
        ["diagnose", "nowhere.pcap"],
        ["status", "nowhere.pcap"],
        ["batch", "nowhere.pcap", "-o", "{tmp}/ds"],
        ["report", "nowhere.pcap", "-o", "{tmp}/reports"],
    ],
)
def test_bad_input_exits_2_naming_the_file_without_traceback(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([a.format(tmp=tmp_path) for a in args]) == 2
    out = capsys.readouterr()
    assert out.err.startswith("pbxlab: error: nowhere.pcap")
    assert "Traceback" not in out.err and out.out == ""


def test_debug_lets_the_traceback_through() -> None:
    with pytest.raises(InputError, match=r"nowhere\.pcap"):
        main(["--debug", "diagnose", "nowhere.pcap"])
    done = run_cli("--debug", "diagnose", "nowhere.pcap")
    assert "Traceback" in done.stderr and done.returncode != 0


def test_an_output_that_cannot_be_written_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "messages.parquet"
    blocked.mkdir()  # a folder where the file should go
    assert main(["parse", CAPTURE, "-o", str(blocked)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pbxlab: error:") and "messages.parquet" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("fail_on", "code"), [(None, 0), ("critical", 0), ("warning", 1)])
def test_fail_on_exit_codes_of_diagnose_and_batch(
    fail_on: str | None, code: int, tmp_path: Path
) -> None:
    extra = ["--fail-on", fail_on] if fail_on else []  # the capture's worst: two warnings
    assert main(["-q", "diagnose", FLAPPING, "-f", "json", *extra]) == code
    batch = ["-q", "batch", FLAPPING, "-o", str(tmp_path / "ds"), "--no-cache", "-f", "json"]
    assert main(batch + extra) == code


def test_a_closed_stdout_ends_the_run_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    class ClosedPipe:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["-q", "diagnose", CAPTURE, "--format", "json"]) == 0


def test_json_on_stdout_messages_on_stderr_and_quiet_silences_them() -> None:
    loud = run_cli("diagnose", FLAPPING, "--format", "json")
    assert loud.returncode == 0
    assert {r["code"] for r in json.loads(loud.stdout)} >= {"FLAPPING"}
    assert "finding(s)" in loud.stderr
    for quiet in (["--quiet", "diagnose"], ["diagnose", "-q"]):
        silent = run_cli(*quiet, FLAPPING, "--format", "json")
        assert silent.returncode == 0
        assert silent.stdout == loud.stdout and silent.stderr == ""


def test_progress_bars_draw_on_a_terminal_only_and_never_when_quiet() -> None:
    piped = run_cli("status", CAPTURE, "--format", "json")
    assert piped.stderr == ""  # stderr is a pipe: no bar frames in a cron log
    terminal = {"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"}  # rich then treats it as one
    drawn = run_cli("status", CAPTURE, "--format", "json", env=terminal)
    assert "reading captures" in drawn.stderr
    assert json.loads(drawn.stdout) == json.loads(piped.stdout)  # stdout untouched
    quiet = run_cli("status", CAPTURE, "--format", "json", "--quiet", env=terminal)
    assert quiet.stderr == "" and quiet.stdout == piped.stdout


def test_batch_json_on_stdout_and_unmapped_evidence_on_stderr(tmp_path: Path) -> None:
    done = run_cli(
        "batch",
        CAPTURE,
        str(SAMPLES / "register-401-503-504.pcap"),
        str(SAMPLES / "xlite-register-call.pcap"),
        "-o",
        str(tmp_path / "ds"),
        "--cache",
        str(tmp_path / "cache"),
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [t["tenant"] for t in summary["tenants"]] == ["127.0.0.1", "bestel.com", "(unmapped)"]
    assert summary["unmapped"]["rows"]["messages"] == 4
    assert "matched no tenant" in done.stderr and "3 tenant(s)" in done.stderr
    assert summary["tenants"][0]["start"] == "2026-11-26T12:33:15.745592Z"
    assert (tmp_path / "ds" / "messages" / "tenant=bestel.com").is_dir()
    assert (tmp_path / "ds" / "status" / "tenant=127.0.0.1" / "date=2026-11-26").is_dir()
