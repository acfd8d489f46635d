"""The benchmark harness: prefixes, subprocess measurement, target checks (no timing asserted)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.bench_capture import Result, check_targets, measure, render_table, write_prefix
from benchmarks.bench_tools import run_floor, run_tshark_fields
from benchmarks.gen_capture import PRESETS, CaptureTruth, generate_capture


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CaptureTruth]:
    path = tmp_path_factory.mktemp("bench") / "tiny.pcap"
    return path, generate_capture(path, replace(PRESETS["tiny"], duration=30.0))


def test_prefix_is_a_byte_prefix_ending_at_the_nth_sip_frame(
    tiny: tuple[Path, CaptureTruth],
) -> None:
    path, _ = tiny
    prefix = write_prefix(path, 50)
    data = prefix.read_bytes()
    assert path.read_bytes().startswith(data)
    assert run_floor(prefix) == 50
    assert write_prefix(path, 50) == prefix  # reused, not rewritten


def test_measure_runs_the_tool_in_a_fresh_process(tiny: tuple[Path, CaptureTruth]) -> None:
    path, _ = tiny
    result = measure("floor", path)
    assert result.error == ""
    assert result.sip_rows == run_floor(path)
    assert result.seconds is not None and result.seconds > 0
    assert result.peak_rss_mb is not None and result.peak_rss_mb > 5
    assert result.processes >= 1


def test_measure_reports_a_failing_tool(tmp_path: Path) -> None:
    result = measure("floor", tmp_path / "missing.pcap")
    assert result.seconds is None
    assert "No such file" in result.error


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
@pytest.mark.tshark
def test_tshark_fields_gives_one_row_per_sip_frame(tiny: tuple[Path, CaptureTruth]) -> None:
    path, truth = tiny
    assert run_tshark_fields(path) == truth.sip_frames


def _result(tool: str, seconds: float, **kw: object) -> Result:
    return replace(Result(tool, "x.pcap", seconds=seconds, cpu_seconds=seconds), **kw)


@pytest.mark.parametrize(
    ("tshark", "pyshark", "expected"),
    [
        (3.5, 25.0, [True, True]),
        (2.0, 25.0, [False, True]),
        (3.5, 10.0, [True, False]),
    ],
)
def test_check_targets_ratios(tshark: float, pyshark: float, expected: list[bool]) -> None:
    results = [
        _result("pbxlab", 1.0),
        _result("tshark-fields", tshark),
        _result("pyshark-json", pyshark),
        # Faster, but it left fields empty: not "pyshark's best configuration".
        _result("pyshark-ek", 0.5, complete=False),
    ]
    checks = check_targets(results, [], None)
    assert [c["met"] for c in checks] == expected
    assert "pyshark-json" in checks[1]["detail"]


def test_check_targets_streaming_needs_a_big_capture() -> None:
    stream = _result("pbxlab-stream", 9.0, peak_rss_mb=180.0)
    small = check_targets([], [stream], 10**6)
    big = check_targets([], [stream], 2 * 10**9)
    over = check_targets([], [replace(stream, peak_rss_mb=300.0)], 2 * 10**9)
    assert [c["met"] for c in small] == [None, None, None]
    assert [c["met"] for c in big][-1] is True
    assert [c["met"] for c in over][-1] is False


def test_render_table_shows_ratio_to_pbxlab() -> None:
    pbx = _result("pbxlab", 2.0, sip_rows=100)
    table = render_table([pbx, _result("tshark-fields", 6.0, sip_rows=100)], pbx)
    line = next(row for row in table.splitlines() if row.startswith("tshark-fields"))
    assert "3.00" in line
    assert "17" in line  # 100 rows / 6 s
