"""``tail -F`` semantics: growth, rotation by rename, copytruncate, vanishing, reappearing."""

from __future__ import annotations

import os
from pathlib import Path

from pbxlab.live.tail import FileTail


def _kinds(read: object) -> list[str]:
    return [n.kind for n in read.notices]


def test_appended_bytes_come_once_in_order(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"one\n")
    tail = FileTail(log)
    first = tail.read()
    assert (first.data, _kinds(first), first.new_file) == (b"one\n", ["opened"], True)
    assert tail.read().data == b""
    with log.open("ab") as sink:
        sink.write(b"two\n")
    assert tail.read().data == b"two\n"


def test_from_end_skips_what_the_file_already_holds(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"old\n")
    tail = FileTail(log, from_start=False)
    assert tail.read().data == b""
    with log.open("ab") as sink:
        sink.write(b"new\n")
    assert tail.read().data == b"new\n"


def test_rotation_by_rename_finishes_the_old_file_then_reads_the_new_one(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"a\n")
    tail = FileTail(log)
    tail.read()
    os.rename(log, tmp_path / "x.log.1")
    with (tmp_path / "x.log.1").open("ab") as sink:
        sink.write(b"late line of the old file\n")  # written after the rename
    log.write_bytes(b"first of the new file\n")
    late = tail.read()
    assert late.data == b"late line of the old file\n" and not late.new_file
    switched = tail.read()
    assert switched.data == b"first of the new file\n"
    assert switched.new_file and _kinds(switched) == ["rotated"]


def test_copytruncate_restarts_at_the_beginning(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"a long first line\n")
    tail = FileTail(log)
    tail.read()
    with log.open("r+b") as handle:
        handle.truncate(0)
    with log.open("ab") as sink:
        sink.write(b"b\n")
    read = tail.read()
    assert (read.data, read.new_file, _kinds(read)) == (b"b\n", True, ["truncated"])


def test_a_vanished_file_is_reported_once_and_waited_for(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"a\n")
    tail = FileTail(log)
    tail.read()
    log.unlink()
    gone = tail.read()
    assert _kinds(gone) == ["vanished"] and "waiting for it" in gone.notices[0].message
    assert _kinds(tail.read()) == []  # said once
    assert not tail.is_open
    log.write_bytes(b"back\n")
    back = tail.read()
    assert (back.data, back.new_file, _kinds(back)) == (b"back\n", True, ["reappeared"])


def test_a_file_that_does_not_exist_yet_is_waited_for(tmp_path: Path) -> None:
    tail = FileTail(tmp_path / "later.log")
    missing = tail.read()
    assert "does not exist" in missing.notices[0].message
    (tmp_path / "later.log").write_bytes(b"x\n")
    assert tail.read().data == b"x\n"
