"""Following a registrar log: complete lines only, formats, headers, refusals."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from pbxlab.errors import InputError, LogFormatError
from pbxlab.live.logfeed import LogFollower

PJSIP = (
    "[2024-05-01 10:00:00] VERBOSE[123] res_pjsip_registrar.c: Added contact "
    "'sip:201@192.0.2.10:5060' to AOR '201' with expiration of 60 seconds\n"
)
JSONL = '{"ts": "2024-05-01T10:00:00Z", "extension": "201", "event": "registered"}\n'


def test_a_line_is_parsed_only_once_its_newline_is_written(tmp_path: Path) -> None:
    log = tmp_path / "asterisk.log"
    log.write_text(PJSIP[:40])
    clock = [0.0]
    follower = LogFollower(log, "asterisk", clock=lambda: clock[0])
    assert len(follower.poll().events) == 0
    with log.open("a") as sink:
        sink.write(PJSIP[40:])
    update = follower.poll()
    assert update.events[["extension", "event", "line"]].values.tolist() == [
        ["201", "registered", 1]
    ]


def test_line_numbers_go_on_across_polls_and_restart_after_rotation(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text(JSONL)
    follower = LogFollower(log)
    assert follower.poll().events["line"].tolist() == [1]
    with log.open("a") as sink:
        sink.write(JSONL)
    assert follower.poll().events["line"].tolist() == [2]
    assert follower.format == "generic_jsonl"
    log.rename(tmp_path / "events.jsonl.1")
    log.write_text(JSONL)
    update = follower.poll()
    update = update if len(update.events) else follower.poll()
    assert update.events["line"].tolist() == [1]


def test_a_csv_log_reads_its_header_first(tmp_path: Path) -> None:
    log = tmp_path / "events.csv"
    log.write_text("ts,extension,event\n2024-05-01T10:00:00Z,201,registered\n")
    follower = LogFollower(log, "generic_csv")
    assert follower.poll().events[["extension", "line"]].values.tolist() == [["201", 2]]


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "capture.log"
    log.write_bytes(b"\xd4\xc3\xb2\xa1" + bytes(40) + b"\n")
    with pytest.raises(LogFormatError, match="packet capture"):
        LogFollower(log, "asterisk").poll()


def test_a_snapshot_format_cannot_be_followed(tmp_path: Path) -> None:
    log = tmp_path / "ul.json"
    log.write_text('{"Domains": []}\n')
    with pytest.raises(InputError, match="cannot be followed"):
        LogFollower(log, "ul_dump").poll()


def test_bad_arguments_are_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown log format"):
        LogFollower(tmp_path / "x.log", "syslog-ng")


def test_gzip_is_not_followable_text(tmp_path: Path) -> None:
    log = tmp_path / "old.log"
    log.write_bytes(gzip.compress(PJSIP.encode()) + b"\n")
    with pytest.raises(LogFormatError, match="binary"):
        LogFollower(log, "asterisk").poll()
