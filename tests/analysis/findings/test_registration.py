"""FLAPPING, KEEPALIVE_DROPPED, NAT_INBOUND_BLOCKED, NAT_BINDING_TIMEOUT on hand-built tables."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from pbxlab.analysis import diagnose
from pbxlab.analysis.findings.registration import regular_period
from tests.analysis.findings import frames as f

PHONE = "203.0.113.7:40001"


def binding(
    start: float, end: float, reason: str, contact: str = "sip:201@192.168.1.20"
) -> dict[str, Any]:
    return {
        "extension": "201",
        "contact": contact,
        "source": PHONE,
        "start": f.at(start),
        "end": f.at(end),
        "end_reason": reason,
        "evidence": f"lab.pcap:frame {int(start) + 1};lab.pcap:frame {int(end) + 2}",
    }


def only(findings: pd.DataFrame, code: str) -> pd.DataFrame:
    return findings[findings["code"] == code]


def test_lapsing_and_re_registering_every_ten_minutes_is_flapping_with_its_period() -> None:
    # each REGISTER succeeds, but the 60-s binding lapses and the phone comes back 10 min later
    rows = [binding(600 * i, 600 * i + 60, "expired") for i in range(5)]
    found = only(diagnose(bindings=f.bindings(rows)), "FLAPPING")
    assert len(found) == 1
    row = found.iloc[0]
    assert row["extension"] == "201" and row["severity"] == "warning"
    assert "went offline 4 times" in row["summary"]
    assert "expiry without refresh" in row["summary"]
    assert "regularly every 10 min" in row["summary"]
    assert "Shorten the registration interval" in row["action"]
    assert row["first_seen"] == f.at(60)


def test_an_unregister_register_loop_is_named_as_such() -> None:
    rows = [binding(100 * i, 100 * i + 40 + 7 * i, "unregistered") for i in range(5)]
    row = only(diagnose(bindings=f.bindings(rows)), "FLAPPING").iloc[0]
    assert "unregister/register loop" in row["summary"]
    assert "Reboot the phone" in row["action"]


@pytest.mark.parametrize(
    "rows",
    [
        # refreshed on time: one continuous binding
        [binding(0, 3600, "still_active")],
        # two lapses in an hour: a reboot and a power cut, not a pattern
        [
            binding(0, 60, "expired"),
            binding(600, 660, "expired"),
            binding(1200, 3600, "still_active"),
        ],
        # a second phone overlapping the first leaves no offline gap
        [binding(0, 100, "expired"), binding(50, 3600, "still_active", contact="sip:201@10.0.0.9")],
        # phone rebooting onto a new port: replaced, no lapse
        [
            binding(0, 100, "replaced"),
            binding(100, 200, "replaced"),
            binding(200, 300, "replaced"),
            binding(300, 400, "still_active"),
        ],
    ],
)
def test_no_flapping(rows: list[dict[str, Any]]) -> None:
    assert only(diagnose(bindings=f.bindings(rows)), "FLAPPING").empty


def probes(
    answers: list[bool], target: str = PHONE, step: float = 30, method: str = "OPTIONS"
) -> pd.DataFrame:
    return f.keepalives(
        [
            {
                "ts": f.at(step * (i + 1)),
                "extension": "201",
                "target": target,
                "answered": ok,
                "method": method,
            }
            for i, ok in enumerate(answers)
        ]
    )


def registered() -> pd.DataFrame:
    return f.bindings([binding(0, 3600, "still_active")])


def test_keepalives_lost_in_runs_while_registered() -> None:
    answers = [True, True, False, False, False, True, True, False, True]
    found = diagnose(bindings=registered(), keepalives=probes(answers))
    row = only(found, "KEEPALIVE_DROPPED").iloc[0]
    assert "4 of 9 requests" in row["summary"] and "up to 3 in a row" in row["summary"]
    assert "Enable keepalives" in row["action"]
    assert len(row["evidence"].split(";")) == 3  # the unanswered run only
    assert only(found, "NAT_INBOUND_BLOCKED").empty


def test_a_single_lost_keepalive_is_not_a_finding() -> None:
    found = diagnose(bindings=registered(), keepalives=probes([True, False, True, False, True]))
    assert found[found["code"].isin(["KEEPALIVE_DROPPED", "NAT_INBOUND_BLOCKED"])].empty


def test_registered_but_nothing_ever_answered_is_inbound_blocked() -> None:
    found = diagnose(bindings=registered(), keepalives=probes([False] * 3, method="INVITE"))
    row = only(found, "NAT_INBOUND_BLOCKED").iloc[0]
    assert row["severity"] == "critical"
    assert "none of the 3 requests" in row["summary"] and "3 INVITE" in row["summary"]
    assert "calls cannot ring" in row["summary"]


def test_an_unregistered_target_is_not_judged() -> None:
    assert diagnose(keepalives=probes([False] * 4)).empty


def test_unreachable_events_from_a_registrar_log() -> None:
    rows = [
        {"ts": f.at(0), "extension": "201", "event": "registered"},
        {"ts": f.at(60), "extension": "201", "event": "unreachable"},
        {"ts": f.at(90), "extension": "201", "event": "reachable"},
        {"ts": f.at(200), "extension": "201", "event": "unreachable"},
        {"ts": f.at(230), "extension": "201", "event": "reachable"},
    ]
    found = diagnose(events=f.events(rows))
    row = only(found, "KEEPALIVE_DROPPED").iloc[0]
    assert "unreachable 2 times" in row["summary"]
    assert row["evidence"] == "registrar.log:line 2;registrar.log:line 4"


def phone_packets(times: list[float]) -> pd.DataFrame:
    return f.messages(
        [
            {
                "ts": f.at(t),
                "src": "203.0.113.7",
                "sport": 40001,
                "dst": f.PLATFORM,
                "dport": 5060,
                "is_request": True,
                "method": "REGISTER",
                "call_id": f"r{t}",
                "cseq_num": 1,
                "cseq_method": "REGISTER",
                "to_user": "201",
                "from_user": "201",
            }
            for t in times
        ]
    )


def test_offline_a_regular_delay_after_the_last_packet_is_a_nat_binding_timeout() -> None:
    # the phone registers every 300 s; the NAT forgets it after ~60 s of silence
    sent = phone_packets([0, 300, 600, 900])
    times = [20, 40, 70, 100, 320, 340, 370, 400, 620]
    answers = [t % 300 < 60 for t in times]
    table = f.keepalives(
        [
            {"ts": f.at(t), "extension": "201", "target": PHONE, "answered": ok}
            for t, ok in zip(times, answers, strict=True)
        ]
    )
    found = diagnose(messages=sent, keepalives=table, bindings=registered())
    row = only(found, "NAT_BINDING_TIMEOUT").iloc[0]
    assert "about 70 s after its last packet" in row["summary"]
    assert "between 40 s and 70 s" in row["summary"]
    assert "Enable keepalives" in row["action"]


def test_irregular_losses_are_not_a_nat_binding_timeout() -> None:
    sent = phone_packets([0, 300, 600, 900])
    times = [20, 40, 70, 100, 320, 450, 500, 620]
    answers = [True, True, False, False, True, False, False, True]
    table = f.keepalives(
        [
            {"ts": f.at(t), "extension": "201", "target": PHONE, "answered": ok}
            for t, ok in zip(times, answers, strict=True)
        ]
    )
    found = diagnose(messages=sent, keepalives=table, bindings=registered())
    assert only(found, "NAT_BINDING_TIMEOUT").empty
    assert not only(found, "KEEPALIVE_DROPPED").empty


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        ([0, 300, 600, 900], pd.Timedelta(seconds=300)),
        ([0, 290, 600, 905], pd.Timedelta(seconds=305)),
        ([0, 60, 600, 700], None),
        ([0, 300], None),
    ],
)
def test_regular_period(seconds: list[int], expected: pd.Timedelta | None) -> None:
    starts = pd.Series([f.at(s) for s in seconds])
    assert regular_period(starts, 0.25) == expected


def test_repeated_keepalive_loss_is_flapping_with_that_pattern() -> None:
    # answered, then two lost, over and over: offline three times within the hour
    answers = [True, False, False] * 4
    found = diagnose(bindings=registered(), keepalives=probes(answers, step=60))
    row = only(found, "FLAPPING").iloc[0]
    assert "keepalive loss" in row["summary"] and "regularly every 3 min" in row["summary"]
    assert "Enable keepalives" in row["action"]
    assert not only(found, "KEEPALIVE_DROPPED").empty
