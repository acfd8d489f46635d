"""Loading captures and logs for the views: sorting by content, uploads, log evidence pointers."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbxlab.errors import CaptureFormatError, InputError
from pbxlab.widgets.loading import evidence_events, load_evidence, save_uploads
from tests.widgets.conftest import SAMPLES

# The documented generic CSV export: 230 registers, then its qualify fails twice.
REGISTRAR_CSV = """ts,event,extension,contact,source,rtt_ms,user_agent,detail
2026-11-26T12:37:50Z,registered,230,sip:230@10.0.0.5:5060,198.51.100.4:5060,,Yealink,expires 60
2026-11-26T12:37:55Z,reachable,230,sip:230@10.0.0.5:5060,,12.5,,
2026-11-26T12:38:00Z,unreachable,230,sip:230@10.0.0.5:5060,,,,
not-a-time,registered,231,,,,,
"""


def test_a_capture_and_a_log_together(tmp_path: Path) -> None:
    log = tmp_path / "registrar.csv"
    log.write_text(REGISTRAR_CSV)
    evidence = load_evidence([SAMPLES / "lab-flapping.pcap", log])
    assert evidence.captures == (SAMPLES / "lab-flapping.pcap",)
    assert evidence.logs == (log,)
    assert set(evidence.analysis.status["extension"]) == {"210", "211", "230"}
    assert {"210", "211"} <= set(evidence.findings["extension"].dropna())
    assert len(evidence.errors) == 1  # the line with a bad time, reported not dropped
    assert int(evidence.errors["line"].iloc[0]) == 5
    assert "1 capture(s), 1 log(s)" in evidence.summary()
    assert "1 unreadable item(s) skipped" in evidence.summary()


def test_log_pointers_select_their_events(tmp_path: Path) -> None:
    log = tmp_path / "registrar.csv"
    log.write_text(REGISTRAR_CSV)
    events = load_evidence(log).analysis.events
    picked = evidence_events(events, "registrar.csv:line 2;registrar.csv:line 4;x.pcap:frame 2")
    assert list(picked["event"]) == ["registered", "unreachable"]
    assert evidence_events(events, None).empty
    assert evidence_events(events, "other.csv:line 2").empty


def test_uploads_keep_their_names(tmp_path: Path) -> None:
    data = (SAMPLES / "lab-call.pcap").read_bytes()
    paths = save_uploads([{"name": "../../call.pcap", "content": memoryview(data)}], tmp_path)
    assert paths == [tmp_path / "call.pcap"]
    assert paths[0].read_bytes() == data
    with pytest.raises(InputError, match="no name"):
        save_uploads([{"name": "", "content": b""}], tmp_path)


@pytest.mark.parametrize(
    ("name", "content", "error", "match"),
    [
        ("missing.pcap", None, InputError, "no such file"),
        ("noise.bin", b"\x00\x01not a capture at all" * 10, CaptureFormatError, "noise.bin"),
    ],
)
def test_bad_files_name_themselves(
    tmp_path: Path, name: str, content: bytes | None, error: type[Exception], match: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(error, match=match):
        load_evidence(path)


def test_nothing_to_load() -> None:
    with pytest.raises(InputError, match="no capture or log"):
        load_evidence([])
