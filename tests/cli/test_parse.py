"""`pbxlab parse`: outputs, exit codes, messages on stderr (DESIGN.md command-line contract)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pbxlab import read_capture
from pbxlab.cli.app import main
from pbxlab.io import read_table
from pbxlab.tables import ERRORS, MESSAGES, RTP_STREAMS
from tests.conftest import SAMPLES, corpus_path


def test_parse_writes_parquet_equal_to_read_capture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = SAMPLES / "android-nat-onsip-register-call.pcap"
    out = tmp_path / "m.parquet"
    rtp = tmp_path / "rtp.parquet"
    assert main(["parse", str(sample), "-o", str(out), "--rtp", str(rtp)]) == 0
    written = read_table(out, MESSAGES)
    expected = read_capture(sample).messages
    pd.testing.assert_frame_equal(written, expected, check_categorical=False)
    assert len(read_table(rtp, RTP_STREAMS)) == len(read_capture(sample).rtp_streams)
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing machine-readable requested on stdout
    assert "19 SIP messages" in captured.err
    assert "REGISTER" in captured.err


def test_parse_small_chunks_give_the_same_table(tmp_path: Path) -> None:
    sample = corpus_path("pcaps/wireshark-wiki/wireuploaded.pcap")
    out = tmp_path / "m.parquet"
    assert main(["parse", str(sample), "-o", str(out), "--chunk-size", "1000", "-q"]) == 0
    assert len(read_table(out, MESSAGES)) == 196


def test_parse_csv_and_errors_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fuzz = corpus_path("pcaps/ndpi/fuzz-2006-06-26-2594.pcap")
    out, errors = tmp_path / "m.csv", tmp_path / "e.csv"
    assert main(["parse", str(fuzz), "-o", str(out), "--errors", str(errors)]) == 0
    assert len(read_table(out, MESSAGES)) == 55
    problems = read_table(errors, ERRORS)
    assert len(problems) > 0
    assert problems["frame"].notna().all()
    assert "skipped" in capsys.readouterr().err


def test_parse_strict_fails_on_first_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fuzz = corpus_path("pcaps/ndpi/fuzz-2006-06-26-2594.pcap")
    assert main(["parse", str(fuzz), "-o", str(tmp_path / "m.csv"), "--strict"]) == 2
    err = capsys.readouterr().err
    assert "fuzz-2006-06-26-2594.pcap, frame 45, byte 6580" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["parse", "/nonexistent.pcap", "-o", "x.parquet"], "no such file"),
        (["parse", __file__, "-o", "x.parquet"], "not a pcap or pcapng capture"),
        (["parse", __file__, "-o", "x.txt"], "use a .parquet or .csv extension"),
        (["parse", __file__, "-o", "x.csv", "--backend", "wireshark"], "unknown capture backend"),
        (["parse"], "Missing argument"),
    ],
)
def test_bad_input_exits_2_without_traceback(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "--help"]) == 0
    assert "--backend" in capsys.readouterr().out


def test_parse_registrar_log_writes_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pbxlab.tables import EVENTS

    log = corpus_path("logs/asterisk_security/crowdsec_hub_asterisk-bf.log")
    out = tmp_path / "events.parquet"
    assert main(["parse", str(log), "-o", str(out)]) == 0
    events = read_table(out, EVENTS)
    assert len(events) > 0
    assert set(events["event"]) == {"auth_failed"}
    err = capsys.readouterr().err
    assert "registrar events" in err
    assert "asterisk" in err


def test_parse_refuses_captures_and_logs_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = corpus_path("logs/asterisk_security/crowdsec_hub_asterisk-bf.log")
    sample = SAMPLES / "xlite-register-call.pcap"
    assert main(["parse", str(log), str(sample), "-o", str(tmp_path / "x.csv")]) == 2
    assert "separate runs" in capsys.readouterr().err
