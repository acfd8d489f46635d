"""`pbxlab status`: snapshot and history output, formats, exit codes (DESIGN.md contract)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pbxlab.cli.app import main
from tests.conftest import corpus_path

G711 = "pcaps/wireshark-wiki/SIP_CALL_RTP_G711.pcap"


def test_history_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["status", str(corpus_path(G711)), "--history", "francisco", "--format", "json"]) == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert [(r["extension"], r["state"]) for r in rows] == [
        ("francisco", "ringing"),
        ("francisco", "in_use"),
    ]
    assert rows[0]["start"] == "2005-01-14T17:58:03.013468Z"
    assert rows[0]["end"] == rows[1]["start"] == "2005-01-14T17:58:11.443869Z"
    assert set(rows[0]) >= {"extension", "state", "start", "end"}


def test_snapshot_at_a_time_as_csv(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(corpus_path(G711))
    assert main(["status", path, "--at", "2005-01-14T17:58:05Z", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "extension,state,since,reason"
    assert lines[1].startswith("francisco,ringing,2005-01-14T17:58:03.013468Z,")


def test_snapshot_default_is_the_end_of_the_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", str(corpus_path(G711)), "--format", "json"]) == 0
    rows = {r["extension"]: r["state"] for r in json.loads(capsys.readouterr().out)}
    assert rows == {"Ivan": "online", "francisco": "in_use"}


def test_table_output_and_logs_as_input(capsys: pytest.CaptureFixture[str]) -> None:
    log = corpus_path(
        "logs/asterisk_chansip/gh_futel_asteriskserver_issue119_peer_reachability.log"
    )
    assert main(["status", str(log)]) == 0
    out = capsys.readouterr().out
    assert "668" in out and "online" in out


def test_captures_and_logs_together(capsys: pytest.CaptureFixture[str]) -> None:
    log = corpus_path("logs/asterisk_chansip/gh_linphone_android_issue1064_lagged_unreachable.log")
    assert main(["status", str(corpus_path(G711)), str(log), "--format", "json"]) == 0
    extensions = {r["extension"] for r in json.loads(capsys.readouterr().out)}
    assert {"4001", "Ivan", "francisco"} <= extensions


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--at", "yesterday-ish"], "cannot read the time"),
        (["--history", "999"], "no extension '999' in the input"),
        (["--format", "xml"], "unknown format 'xml'"),
        (["--domain", "nope.example"], "no REGISTER to 'nope.example' in the input"),
    ],
)
def test_bad_arguments_exit_2(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", str(corpus_path(G711)), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["status", str(tmp_path / "none.pcap")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_time_outside_the_input_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", str(corpus_path(G711)), "--at", "1999-01-01", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []
    assert "no extension has evidence at 1999-01-01T00:00:00.000000Z" in captured.err


def test_one_tenant_of_a_capture(capsys: pytest.CaptureFixture[str]) -> None:
    capture = str(corpus_path("pcaps/wireshark-wiki/wireuploaded.pcap"))
    # the office PBX registers upstream as a trunk: that tenant holds only the trunk line
    assert main(["status", capture, "--domain", "voip.commpartners.us", "--format", "json"]) == 0
    rows = {r["extension"]: r["state"] for r in json.loads(capsys.readouterr().out)}
    assert rows == {"5053493876": "in_use", "15054732211": "in_use"}
    assert main(["status", capture, "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "the input holds 2 SIP domains" in captured.err
    assert len(json.loads(captured.out)) == 16
