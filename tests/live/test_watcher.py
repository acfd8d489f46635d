"""The watcher: time-driven changes, live semantics, reporting, the notebook API."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pandas as pd
import pytest

import pbxlab
from pbxlab.live import (
    FindingChange,
    Notice,
    SourceUpdate,
    StatusChange,
    Watcher,
    WatchPolicy,
)
from pbxlab.live.changes import FindingTracker, StatusTracker
from pbxlab.tables import FINDINGS, STATUS
from tests.conftest import SAMPLES

T0 = pd.Timestamp("2024-05-01T10:00:00Z")


def _event(seconds: float, extension: str, event: str, detail: str | None = None) -> str:
    row = {"ts": (T0 + pd.Timedelta(seconds=seconds)).isoformat(), "extension": extension}
    row |= {"event": event, "contact": f"sip:{extension}@192.0.2.1:5060"}
    if detail:
        row["detail"] = detail
    return json.dumps(row) + "\n"


def _states(changes: list[object]) -> list[tuple[str, str]]:
    return [(c.extension, c.state) for c in changes if isinstance(c, StatusChange)]


def test_a_binding_expires_with_no_new_evidence_when_time_passes(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text(_event(0, "201", "registered", "expires 60 s"))
    watcher = Watcher.follow(log)
    watcher.feed(watcher.source.poll())  # type: ignore[union-attr]
    assert _states(watcher.evaluate(T0 + pd.Timedelta(seconds=1))) == [("201", "online")]
    assert watcher.evaluate(T0 + pd.Timedelta(seconds=61)) == []  # grace: a refresh may be late
    expired = watcher.evaluate(T0 + pd.Timedelta(seconds=63))
    assert _states(expired) == [("201", "offline")]
    change = expired[0]
    assert isinstance(change, StatusChange)
    assert change.ts == T0 + pd.Timedelta(seconds=60) and change.previous == "online"
    assert "expired" in change.reason
    watcher.stop()


def test_a_keepalive_timeout_takes_a_registered_phone_offline_without_a_packet() -> None:
    capture = pbxlab.read_capture(SAMPLES / "lab-no-answer.pcap")
    first_probe = capture.messages.loc[capture.messages["method"] == "OPTIONS", "ts"].min()
    watcher = Watcher()
    watcher.feed(SourceUpdate(messages=capture.messages[capture.messages["ts"] <= first_probe]))
    before = watcher.evaluate(first_probe + pd.Timedelta(seconds=2.9))
    assert ("204", "online") in _states(before)
    after = watcher.evaluate(first_probe + pd.Timedelta(seconds=3.1))
    assert ("204", "offline") in _states(after)
    assert any("unanswered" in c.reason for c in after if isinstance(c, StatusChange))


def test_a_call_in_progress_lasts_while_no_packet_comes() -> None:
    capture = pbxlab.read_capture(SAMPLES / "lab-call.pcap")
    messages = capture.messages
    answered = messages.loc[(messages["status"] == 200) & (messages["cseq_method"] == "INVITE")]
    until = answered["ts"].min() + pd.Timedelta(milliseconds=10)
    watcher = Watcher()
    watcher.feed(SourceUpdate(messages=messages[messages["ts"] <= until]))
    watcher.evaluate(until)
    later = until + pd.Timedelta(seconds=20)  # live: the call has not ended, only gone quiet
    watcher.evaluate(later)
    states = dict(watcher.status()[["extension", "state"]].values.tolist())
    assert states["208"] == "in_use" and states["209"] == "in_use"
    # a batch analysis ending at the last packet would end it there: final=True does
    watcher.evaluate(later, final=True)
    assert dict(watcher.status()[["extension", "state"]].values.tolist())["208"] != "in_use"


def _history(rows: list[tuple[str, str, float, float, str]]) -> pd.DataFrame:
    return STATUS.build(
        {
            "extension": [r[0] for r in rows],
            "start": [T0 + pd.Timedelta(seconds=r[2]) for r in rows],
            "end": [T0 + pd.Timedelta(seconds=r[3]) for r in rows],
            "state": [r[1] for r in rows],
            "reason": [r[4] for r in rows],
        }
    )


def test_the_tracker_reports_the_first_snapshot_then_every_transition_even_short_ones() -> None:
    tracker = StatusTracker()
    at = T0 + pd.Timedelta(seconds=5)
    first = tracker.update(_history([("201", "online", 0, 5, "registered")]), at, at)
    assert [(c.extension, c.state, c.previous) for c in first] == [("201", "online", None)]
    later = _history(
        [
            ("201", "online", 0, 6, "registered"),
            ("201", "ringing", 6, 6.3, "call from 209 ringing"),  # shorter than a tick
            ("201", "in_use", 6.3, 9, "in a call with 209"),
        ]
    )
    now = T0 + pd.Timedelta(seconds=9)
    changes = tracker.update(later, now, now)
    assert [(c.state, c.previous) for c in changes] == [
        ("ringing", "online"),
        ("in_use", "ringing"),
    ]
    assert tracker.update(later, now, now) == []  # nothing new, nothing said


def test_the_tracker_reconciles_a_revised_past_and_an_extension_that_disappears() -> None:
    tracker = StatusTracker()
    at = T0 + pd.Timedelta(seconds=5)
    tracker.update(
        _history([("201", "offline", 0, 5, "registration timeout"), ("209", "in_use", 0, 5, "x")]),
        at,
        at,
    )
    revised = _history([("201", "online", 0, 6, "registered")])  # the answer came after all
    now = T0 + pd.Timedelta(seconds=6)
    changes = tracker.update(revised, now, now)
    assert sorted((c.extension, c.state) for c in changes) == [
        ("201", "online"),
        ("209", "unknown"),
    ]
    assert tracker.snapshot()["extension"].tolist() == ["201"]


def test_findings_are_reported_when_new_and_when_their_severity_rises() -> None:
    tracker = FindingTracker()

    def finding(severity: str) -> pd.DataFrame:
        return FINDINGS.build(
            {
                "extension": ["204"],
                "domain": [None],
                "source": [None],
                "code": ["KEEPALIVE_DROPPED"],
                "severity": [severity],
                "first_seen": [T0],
                "last_seen": [T0],
                "summary": ["s"],
                "action": ["a"],
                "evidence": ["x:frame 1"],
            }
        )

    assert [c.new for c in tracker.update(finding("warning"), T0)] == [True]
    assert tracker.update(finding("warning"), T0) == []
    escalated = tracker.update(finding("critical"), T0)
    assert [c.new for c in escalated] == [False]
    record = escalated[0].to_dict()
    assert record["type"] == "finding" and record["code"] == "KEEPALIVE_DROPPED"
    assert record["first_seen"] == "2024-05-01T10:00:00.000000Z"
    json.dumps(record)  # JSON-ready


def test_in_a_background_thread_subscribers_see_changes_and_notices(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    now = pd.Timestamp.now(tz="UTC")
    log.write_text(
        json.dumps(
            {
                "ts": now.isoformat(),
                "extension": "201",
                "event": "registered",
                "detail": "expires 60 s",
            }
        )
        + "\n"
    )
    seen: list[object] = []
    online = threading.Event()

    def on_change(change: object) -> None:
        seen.append(change)
        if isinstance(change, StatusChange) and change.state == "online":
            online.set()

    policy = WatchPolicy(poll=0.05, tick=0.2)
    with Watcher.follow(log, policy=policy) as watcher:
        watcher.subscribe(on_change)
        watcher.start()
        assert online.wait(timeout=10), seen
        assert watcher.status()["state"].tolist() == ["online"]
        log.unlink()
        deadline = threading.Event()
        for _ in range(100):
            if any(isinstance(c, Notice) and c.kind == "vanished" for c in seen):
                break
            deadline.wait(0.05)
    assert any(isinstance(c, Notice) and c.kind == "vanished" for c in seen)
    assert next(c for c in watcher.changes if isinstance(c, StatusChange)).extension == "201"


def test_findings_come_from_the_window() -> None:
    capture = pbxlab.read_capture(SAMPLES / "lab-no-answer.pcap")
    watcher = Watcher()
    watcher.feed(SourceUpdate(messages=capture.messages))
    changes = watcher.evaluate(capture.messages["ts"].max(), findings=True)
    codes = {c.finding["code"] for c in changes if isinstance(c, FindingChange)}
    assert "KEEPALIVE_DROPPED" in codes
    assert set(watcher.findings()["code"]) == codes


@pytest.mark.parametrize("window", ["10s", "5min"])
def test_compaction_keeps_what_decides_the_current_state(window: str) -> None:
    capture = pbxlab.read_capture(SAMPLES / "lab-two-phones.pcap")
    end = capture.messages["ts"].max()
    watcher = Watcher(policy=WatchPolicy(window=pd.Timedelta(window)))
    watcher.feed(SourceUpdate(messages=capture.messages))
    watcher.evaluate(end, final=True)
    before = watcher.status()
    dropped = watcher.compact(end + pd.Timedelta(minutes=10))
    watcher.evaluate(end, final=True)
    assert dropped > 0
    pd.testing.assert_frame_equal(watcher.status(), before)


def test_a_big_backlog_read_at_start_is_compacted_at_once(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    with log.open("w") as sink:
        for i in range(3_000):
            kind = "registered" if i < 100 else "refreshed"
            sink.write(_event(i * 0.5, str(200 + i % 100), kind, "expires 120 s"))
    watcher = Watcher.follow(log, policy=WatchPolicy(compact_rows=1_000))
    watcher.step()
    assert 0 < len(watcher.window) < 500  # the backlog's old rows are gone at once
    current = watcher.status()
    assert len(current) == 100 and set(current["state"]) == {"offline"}  # 2024: long expired
    assert set(current["reason"]) == {"binding expired"}
    watcher.stop()
