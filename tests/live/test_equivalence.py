"""Incremental == batch: evidence fed in pieces, compacted to a tiny window, ends in the
status :func:`pbxlab.analyze` gives for the whole input (and at points along the way)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import pbxlab
from pbxlab.analysis import status_at
from pbxlab.capture.reader import Capture
from pbxlab.live import SourceUpdate, Watcher, WatchPolicy
from pbxlab.live.decoder import LiveDecoder
from pbxlab.live.logfeed import LogFollower
from pbxlab.live.pcapstream import PcapStream
from pbxlab.tables import ERRORS, MESSAGES, RTP_STREAMS
from tests.conftest import CORPUS, SAMPLES

TINY_WINDOW = pd.Timedelta(seconds=2)  # far below real use: compaction must carry the state


def _current(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    return [(str(e), str(s), str(r)) for e, s, r in frame[["extension", "state", "reason"]].values]


def _batch_at(messages: pd.DataFrame, t: pd.Timestamp) -> list[tuple[str, str, str]]:
    prefix = messages[messages["ts"] <= t].reset_index(drop=True)
    capture = Capture(prefix, RTP_STREAMS.empty(), ERRORS.empty(), [], Counter())
    analysis = pbxlab.analyze(capture)
    return _current(status_at(analysis.status, t))


def _feed_capture(path: Path, pieces: int, check: bool) -> tuple[Watcher, pd.DataFrame]:
    data = path.read_bytes()
    stream, decoder = PcapStream(str(path)), LiveDecoder(str(path))
    watcher = Watcher(policy=WatchPolicy(window=TINY_WINDOW))
    step = len(data) // pieces + 1
    seen: list[pd.DataFrame] = []
    for start in range(0, len(data), step):
        chunk = decoder.feed(stream.feed(data[start : start + step]))
        seen.append(chunk.messages)
        watcher.feed(SourceUpdate(messages=chunk.messages))
        latest = watcher.window.latest
        if latest is None:
            continue
        watcher.evaluate(latest, final=True)
        if check:
            assert _current(watcher.status()) == _batch_at(MESSAGES.concat(seen), latest)
        watcher.compact(latest)
    return watcher, MESSAGES.concat(seen)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.pcap")), ids=lambda p: p.name)
def test_a_sample_fed_in_pieces_ends_in_the_batch_status(path: Path) -> None:
    batch = pbxlab.analyze(pbxlab.read_capture(path))
    watcher, messages = _feed_capture(path, pieces=4, check=False)
    assert len(messages) == len(batch.messages)
    assert batch.end is not None
    watcher.evaluate(batch.end, final=True)
    assert _current(watcher.status()) == _current(status_at(batch.status, batch.end))


@pytest.mark.parametrize("name", ["lab-flapping.pcap", "lab-nat-timeout.pcap", "lab-call.pcap"])
def test_at_every_piece_the_status_is_the_batch_status_of_what_arrived(name: str) -> None:
    watcher, _ = _feed_capture(SAMPLES / name, pieces=7, check=True)
    assert len(watcher.window.messages) > 0


def _line_logs() -> list[Path]:
    found = []
    for path in sorted((CORPUS / "logs").glob("*/*")):
        if path.suffix not in (".log", ".txt"):
            continue
        try:
            read = pbxlab.read_registrar_log(path)
        except pbxlab.PbxlabError:
            continue
        # line formats, with times of their own (snapshot listings take the time they are read)
        if read.formats[str(path)] in ("asterisk", "freeswitch") and "show" not in path.name:
            found.append(path)
    return found


@pytest.mark.parametrize("path", _line_logs(), ids=lambda p: p.name)
def test_a_log_written_in_pieces_and_followed_ends_in_the_batch_status(
    path: Path, tmp_path: Path
) -> None:
    read = pbxlab.read_registrar_log(path)
    batch = pbxlab.analyze(events=read.events)
    followed = tmp_path / "registrar.log"
    followed.write_bytes(b"")
    now = [0.0]
    follower = LogFollower(followed, read.formats[str(path)], hold=0.0, clock=lambda: now[0])
    watcher = Watcher(policy=WatchPolicy(window=TINY_WINDOW))
    data = path.read_bytes()
    events = 0
    for start in range(0, len(data), 333):
        with followed.open("ab") as sink:
            sink.write(data[start : start + 333])
        update = follower.poll()
        events += len(update.events)
        watcher.feed(SourceUpdate(events=update.events))
        if watcher.window.latest is not None:
            watcher.compact(watcher.window.latest)
    now[0] += 60.0  # quiet long enough: a last line without a newline counts too
    update = follower.poll()
    events += len(update.events)
    watcher.feed(SourceUpdate(events=update.events))
    assert events == len(read.events)
    if batch.end is None:
        return
    watcher.evaluate(batch.end, final=True)
    assert _current(watcher.status()) == _current(status_at(batch.status, batch.end))
