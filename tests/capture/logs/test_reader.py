"""The I/O layer: files, gzip, merging, streaming, errors, strict mode."""

from __future__ import annotations

import gzip
import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from pbxlab.capture.logs import iter_registrar_log, read_registrar_log, reader
from pbxlab.errors import InputError, LogFormatError, LogLineError
from pbxlab.tables import ERRORS, EVENTS

REGISTRAR = "[Oct 28 15:36:0{}] VERBOSE[1] res_pjsip_registrar.c:     -- "
PJSIP_LOG = "\n".join(
    [
        REGISTRAR.format(6) + "Added contact 'sip:a@10.0.0.1:5060' to AOR '101' with "
        "expiration of 600 seconds",
        "[Oct 28 15:36:07] VERBOSE[1] pbx.c: Executing [s@x:1] NoOp()",
        REGISTRAR.format(8) + "Removed contact 'sip:a@10.0.0.1:5060' from AOR",
        REGISTRAR.format(9) + "Removed contact 'sip:a@10.0.0.1:5060' from AOR '101' due to "
        "expiration",
        "    -- Contact 101/sip:a@10.0.0.1:5060 is now Unreachable.  RTT: 0.000 msec",
        "",
    ]
)
CHANSIP_LOG = """\
[2024-10-28 15:36:05] NOTICE[1] chan_sip.c: Peer '202' is now Reachable. (12ms / 2000ms)
[2024-10-28 15:36:10] NOTICE[1] chan_sip.c: Peer '202' is now UNREACHABLE!  Last qualify: 12
"""


def _log(path: Path, text: str, mtime: datetime | None = None) -> Path:
    path.write_text(text)
    when = (mtime or datetime(2024, 11, 1, tzinfo=UTC)).timestamp()
    os.utime(path, (when, when))
    return path


def test_events_errors_and_skipped(tmp_path: Path) -> None:
    path = _log(tmp_path / "full", PJSIP_LOG)
    read = read_registrar_log(path)
    EVENTS.validate(read.events)
    ERRORS.validate(read.errors)
    assert read.events[["line", "event", "extension"]].values.tolist() == [
        [1, "registered", "101"],
        [4, "expired", "101"],
        [5, "unreachable", "101"],
    ]
    # the untimed console line takes the time of the line before it
    assert read.events["ts"].iloc[2] == pd.Timestamp("2024-10-28 15:36:09", tz="UTC")
    assert read.errors[["line", "stage"]].values.tolist() == [[3, "log"]]
    assert "Removed contact" in read.errors["error"].iloc[0]
    assert read.errors["excerpt"].iloc[0].startswith("[Oct 28 15:36:08]")
    assert read.formats == {str(path): "asterisk"}
    assert read.skipped_lines == {str(path): 1}


def test_strict_raises_the_first_malformed_line_with_its_location(tmp_path: Path) -> None:
    path = _log(tmp_path / "full", PJSIP_LOG)
    with pytest.raises(LogLineError, match=r"full, line 3: looks like a chan_pjsip") as info:
        read_registrar_log(path, strict=True)
    assert info.value.location.line == 3


def test_several_files_merge_in_time_order_gzip_included(tmp_path: Path) -> None:
    first = _log(tmp_path / "full", PJSIP_LOG)
    second = tmp_path / "messages.gz"
    second.write_bytes(gzip.compress(CHANSIP_LOG.encode()))
    read = read_registrar_log([first, second], year=2024)
    assert read.events["ts"].is_monotonic_increasing
    assert read.events["event"].tolist() == [
        "reachable",
        "registered",
        "expired",
        "unreachable",
        "unreachable",
    ]
    assert set(read.events["source_file"]) == {str(first), str(second)}
    assert read.formats == {str(first): "asterisk", str(second): "asterisk"}


def test_time_zone_parameter_converts_local_times(tmp_path: Path) -> None:
    path = _log(tmp_path / "messages", CHANSIP_LOG)
    read = read_registrar_log(path, tz="America/New_York")
    assert read.events["ts"].iloc[0] == pd.Timestamp("2024-10-28 19:36:05", tz="UTC")


def test_year_defaults_to_the_file_time_and_can_be_forced(tmp_path: Path) -> None:
    path = _log(tmp_path / "full", PJSIP_LOG, mtime=datetime(2025, 1, 5, tzinfo=UTC))
    assert read_registrar_log(path).events["ts"].dt.year.tolist() == [2024] * 3
    assert read_registrar_log(path, year=2019).events["ts"].dt.year.tolist() == [2019] * 3


def test_streaming_in_small_chunks_gives_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (PJSIP_LOG + CHANSIP_LOG) * 15
    path = _log(tmp_path / "big", text)
    whole = read_registrar_log(path, year=2024)
    monkeypatch.setattr(reader, "CHUNK_CHARS", 211)
    monkeypatch.setattr(reader, "YIELD_CHARS", 1)
    chunks = list(iter_registrar_log(path, year=2024))
    assert len(chunks) > 10
    assert sum(c.lines for c in chunks) == text.count("\n")
    streamed = read_registrar_log(path, year=2024)
    pd.testing.assert_frame_equal(whole.events, streamed.events)
    pd.testing.assert_frame_equal(whole.errors, streamed.errors)
    assert whole.skipped_lines == streamed.skipped_lines


def test_freeswitch_register_entry_across_a_chunk_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = (
        "2024-05-01 10:00:00.000000 [DEBUG] sofia_reg.c:1 Register:\nFrom:    [1001@pbx]\n"
        "Contact: [<sip:1001@198.51.100.7:5060>]\nExpires: [3600]\n"
    )
    noise = "2024-05-01 10:00:00.000000 [DEBUG] switch_core.c:1 noise\n"
    path = _log(tmp_path / "freeswitch.log", (noise * 7 + entry) * 20)
    monkeypatch.setattr(reader, "CHUNK_CHARS", 150)
    read = read_registrar_log(path)
    assert len(read.events) == 20
    assert set(read.events["contact"]) == {"sip:1001@198.51.100.7:5060"}
    assert read.errors.empty


def test_a_file_without_line_breaks_stops_with_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _log(tmp_path / "full", "[Oct 28 15:36:06] VERBOSE[1] pbx.c: " + "x" * 5000)
    monkeypatch.setattr(reader, "CHUNK_CHARS", 256)
    monkeypatch.setattr(reader, "MAX_LINE_CHARS", 1024)
    with pytest.raises(LogFormatError, match=r"full, line 1: no line break in 0 MiB"):
        read_registrar_log(path)


def test_untimed_event_at_the_start_is_an_error(tmp_path: Path) -> None:
    path = _log(tmp_path / "console", "    -- Contact 1/sip:a@b is now Reachable.  RTT: 1 msec\n")
    read = read_registrar_log(path)
    assert read.events.empty
    assert "no time" in read.errors["error"].iloc[0]


def test_snapshots_without_time_take_the_file_time(tmp_path: Path) -> None:
    when = datetime(2024, 3, 1, 8, 30, tzinfo=UTC)
    path = _log(
        tmp_path / "contacts.txt",
        "  Contact:  201/sip:201@10.0.0.5:5060  3fc5bbd1b6 Avail  1.5\n",
        when,
    )
    read = read_registrar_log(path)
    assert read.events["ts"].tolist() == [pd.Timestamp(when)]


def test_generic_csv_and_jsonl(tmp_path: Path) -> None:
    csv_path = _log(
        tmp_path / "events.csv",
        "ts,event,extension,rtt_ms\n2024-05-01T10:00:00Z,registered,201,\n"
        "2024-05-01T10:00:05Z,bogus,201,\n1714557610,reachable,201,7.5\n",
    )
    jsonl_path = _log(
        tmp_path / "events.jsonl",
        '{"ts": "2024-05-01T10:00:02Z", "event": "unregistered", "extension": "202"}\n\n',
    )
    read = read_registrar_log([csv_path, jsonl_path])
    assert read.events[["event", "extension", "line"]].values.tolist() == [
        ["registered", "201", 2],
        ["unregistered", "202", 1],
        ["reachable", "201", 4],
    ]
    assert read.errors["line"].tolist() == [3]
    assert read.skipped_lines == {str(csv_path): 1, str(jsonl_path): 1}
    assert read.formats == {str(csv_path): "generic_csv", str(jsonl_path): "generic_jsonl"}


def test_forced_format_and_bad_arguments(tmp_path: Path) -> None:
    path = _log(tmp_path / "full", PJSIP_LOG)
    assert read_registrar_log(path, format="asterisk_chansip").events.empty
    with pytest.raises(InputError, match="unknown log format 'syslog'"):
        read_registrar_log(path, format="syslog")
    with pytest.raises(InputError, match="unknown time zone"):
        read_registrar_log(path, tz="Nowhere/Land")
    with pytest.raises(InputError, match="no such file"):
        read_registrar_log(tmp_path / "missing.log")


def test_unknown_and_binary_files_name_themselves(tmp_path: Path) -> None:
    text = _log(tmp_path / "notes.txt", "shopping list\nmilk\n")
    with pytest.raises(LogFormatError, match=r"notes\.txt: not a registrar log"):
        read_registrar_log(text)
    binary = tmp_path / "capture.pcap"
    binary.write_bytes(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    with pytest.raises(LogFormatError, match=r"capture.pcap: a packet capture \(pcap\)"):
        read_registrar_log(binary, format="asterisk")


def test_empty_input_gives_empty_tables_with_every_column(tmp_path: Path) -> None:
    path = _log(tmp_path / "empty.log", "")
    read = read_registrar_log(path)
    assert list(read.events.columns) == list(EVENTS.names)
    assert read.events.empty and read.errors.empty
    assert read.formats == {str(path): "empty"}
    EVENTS.validate(read.events)
    assert read_registrar_log([]).events.dtypes.equals(EVENTS.empty().dtypes)


def test_ami_stream_blocks_inherit_the_last_time_seen(tmp_path: Path) -> None:
    ami = (
        "Event: PeerStatus\nPeer: SIP/1\nPeerStatus: Reachable\nTime: 5\n\n"
        "Event: CEL\nEventTime: 2014-10-28 16:36:40\n\n"
        "Event: PeerStatus\nPeer: SIP/1\nPeerStatus: Unreachable\n\n"
        "Event: ContactStatusDetail\nAOR: 2\nURI: sip:2@10.0.0.2\nStatus: Reachable\n"
        "RoundtripUsec: 2000\n\n"
    )
    path = _log(tmp_path / "ami.txt", ami, datetime(2014, 10, 29, tzinfo=UTC))
    read = read_registrar_log(path)
    assert read.errors["line"].tolist() == [1]  # nothing gives the first event a time
    assert read.events[["line", "event"]].values.tolist() == [
        [9, "unreachable"],
        [13, "registered"],
    ]
    assert read.events["ts"].tolist() == [
        pd.Timestamp("2014-10-28 16:36:40", tz="UTC"),
        pd.Timestamp("2014-10-28 16:36:40", tz="UTC"),
    ]
