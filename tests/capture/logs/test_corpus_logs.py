"""Every log of the public corpus against its reviewed golden files, and the
fail2ban ``# failJSON`` comments as an independent oracle for time and host.

Golden files (tests/golden/logs/) were written by
``python -m tests.golden.logs.make_log_golden`` and reviewed line by line
against the corpus files; see corpus_logs.py for how files are read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from pbxlab.capture.logs.model import source_host
from pbxlab.errors import LogFormatError
from pbxlab.tables import ERRORS, EVENTS
from tests.capture.logs.corpus_logs import (
    GOLDEN,
    errors_table,
    events_table,
    golden_name,
    load_golden,
    read_corpus_log,
)
from tests.conftest import CORPUS

INDEX: dict[str, dict[str, object]] = json.loads((GOLDEN / "index.json").read_text())


def test_every_corpus_log_has_a_golden_entry() -> None:
    if not (CORPUS / "logs").exists():
        pytest.skip(f"public corpus not found at {CORPUS}")
    present = sorted(
        str(p.relative_to(CORPUS))
        for p in (CORPUS / "logs").rglob("*")
        if p.is_file() and p.name != "SOURCES.md"
    )
    assert present == sorted(INDEX)


@pytest.mark.parametrize("relative", sorted(INDEX))
def test_corpus_log_matches_golden(corpus: Path, relative: str, tmp_path: Path) -> None:
    expected = INDEX[relative]
    if "raises" in expected:
        assert expected["raises"] == "LogFormatError"
        with pytest.raises(LogFormatError, match=re.escape(str(expected["message"]))):
            read_corpus_log(corpus, relative, tmp_path)
        return
    read = read_corpus_log(corpus, relative, tmp_path)
    EVENTS.validate(read.events)
    ERRORS.validate(read.errors)
    assert list(read.formats.values()) == [expected["format"]]
    assert list(read.skipped_lines.values()) == [expected["skipped"]]
    stem = golden_name(relative)
    golden_events = load_golden(GOLDEN / f"{stem}.events.csv")
    pd.testing.assert_frame_equal(
        events_table(read).astype(str), golden_events.astype(str), check_dtype=False
    )
    errors_file = GOLDEN / f"{stem}.errors.csv"
    if errors_file.exists():
        pd.testing.assert_frame_equal(
            errors_table(read).astype(str), load_golden(errors_file).astype(str)
        )
    else:
        assert read.errors.empty


FAIL_JSON = re.compile(r"^# failJSON: (?P<json>\{.*\})\s*$")


def _fail2ban_cases(relative: str) -> list[tuple[int, dict[str, object]]]:
    """(line number of the log line, its failJSON expectation) for every failJSON comment."""
    lines = (CORPUS / relative).read_text(encoding="utf-8").splitlines()
    cases = []
    for index, line in enumerate(lines):
        m = FAIL_JSON.match(line)
        if not m:
            continue
        target = next(
            i for i in range(index + 1, len(lines)) if lines[i].strip() and lines[i][0] != "#"
        )
        cases.append((target + 1, json.loads(m["json"])))
    return cases


@pytest.mark.parametrize(
    "relative",
    [
        "logs/asterisk_security/fail2ban_tests_asterisk.log",
        "logs/freeswitch_sofia/fail2ban_tests_freeswitch.log",
    ],
)
def test_fail2ban_failjson_oracle(corpus: Path, relative: str, tmp_path: Path) -> None:
    read = read_corpus_log(corpus, relative, tmp_path)
    cases = _fail2ban_cases(relative)
    assert len(cases) >= 10
    by_line = {line: group for line, group in read.events.groupby("line")}
    for line, expect in cases:
        found = by_line.get(line)
        if not expect["match"]:
            assert found is None, f"line {line} is not a failure in fail2ban's eyes"
            continue
        assert found is not None and len(found) == 1, f"line {line}: expected one event"
        row = found.iloc[0]
        assert source_host(row["source"]) == expect["host"], f"line {line}"
        if "time" in expect:
            logged = row["ts"].tz_convert(None).floor("s")
            assert logged == pd.Timestamp(str(expect["time"])), f"line {line}"
    matched = {line for line, expect in cases if expect["match"]}
    assert set(by_line) == matched, "every event line is one fail2ban counts as a failure"
