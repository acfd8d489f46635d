"""Status rules of DESIGN.md, one hand-built case each; status_at, transitions, reliability."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbxlab import read_capture, read_registrar_log
from pbxlab.analysis import (
    RELIABILITY,
    STATUS_CHANGES,
    StatusPolicy,
    analyze,
    bindings_from_events,
    reliability,
    status,
    status_at,
    transitions,
)
from pbxlab.analysis.status import _last_at_or_before
from pbxlab.tables import CALLS, STATUS
from tests.analysis.builders import at, event, events
from tests.conftest import corpus_path

DESK = "sip:201@192.168.1.10:5060"
SOFT = "sip:201@192.168.1.11:5060"


def _history(evts: pd.DataFrame, until: float, **kwargs: Any) -> list[tuple[float, float, str]]:
    found = status(bindings_from_events(evts, until=at(until)), evts, until=at(until), **kwargs)
    STATUS.validate(found)
    t0 = at(0)
    return [
        (
            (r.start - t0).total_seconds(),
            (r.end - t0).total_seconds(),
            str(r.state),
        )
        for r in found.itertuples()
    ]


def test_online_while_the_binding_is_unexpired_then_offline() -> None:
    evts = events(event(0, "registered", contact=DESK, detail="expires 60 s"))
    assert _history(evts, 100) == [(0, 60, "online"), (60, 100, "offline")]


def test_unregistered_is_offline() -> None:
    evts = events(
        event(0, "registered", contact=DESK, detail="expires 600 s"),
        event(30, "unregistered", contact=DESK),
    )
    assert _history(evts, 100) == [(0, 30, "online"), (30, 100, "offline")]


def test_failed_keepalives_make_a_bound_phone_offline() -> None:
    evts = events(
        event(0, "registered", contact=DESK, source="192.168.1.10:5060", detail="expires 600 s"),
        event(20, "reachable", source="192.168.1.10:5060"),
        event(50, "unreachable", source="192.168.1.10:5060", detail="OPTIONS unanswered"),
        event(80, "reachable", source="192.168.1.10:5060"),
    )
    assert _history(evts, 100) == [(0, 50, "online"), (50, 80, "offline"), (80, 100, "online")]


def test_a_registration_resets_reachability() -> None:
    evts = events(
        event(0, "registered", contact=DESK, detail="expires 600 s"),
        event(50, "unreachable", contact=DESK),
        event(70, "refreshed", contact=DESK, detail="expires 600 s"),
    )
    assert _history(evts, 100) == [(0, 50, "online"), (50, 70, "offline"), (70, 100, "online")]
    kept = _history(evts, 100, policy=StatusPolicy(registration_resets_reachability=False))
    assert kept == [(0, 50, "online"), (50, 100, "offline")]


def test_two_phones_online_while_any_contact_is() -> None:
    evts = events(
        event(0, "registered", contact=DESK, detail="expires 60 s"),
        event(10, "registered", contact=SOFT, detail="expires 600 s", user_agent="Zoiper"),
        event(30, "unreachable", contact=SOFT),
    )
    # desk phone expires at 60 s; the softphone is bound but unreachable from 30 s
    assert _history(evts, 100) == [(0, 60, "online"), (60, 100, "offline")]
    found = status(bindings_from_events(evts, until=at(100)), evts, until=at(100))
    assert found["reason"].iloc[-1].startswith("registered but unreachable")


def _call(
    caller: str, callee: str, *, ringing: float | None, answered: float | None, end: float, why: str
) -> dict[str, Any]:
    return {
        "call_id": f"{caller}-{callee}",
        "caller": caller,
        "callee": callee,
        "src": None,
        "dst": None,
        "start": at(0),
        "ringing_at": None if ringing is None else at(ringing),
        "answered_at": None if answered is None else at(answered),
        "end": at(end),
        "end_reason": why,
        "final_status": None,
        "rtp_streams": 0,
        "rtp_directions": 0,
        "leg_group": f"{caller}-{callee}",
        "source_file": None,
        "evidence": None,
    }


def _calls(*rows: dict[str, Any]) -> pd.DataFrame:
    return CALLS.build({name: [r[name] for r in rows] for name in CALLS.names})


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        # rings from 20 s, answered at 30 s, hung up at 60 s
        (
            _call("202", "201", ringing=20, answered=30, end=60, why="bye"),
            [(0, 20, "online"), (20, 30, "ringing"), (30, 60, "in_use"), (60, 100, "online")],
        ),
        # the extension calls out: in use once answered, no ringing for the caller
        (
            _call("201", "202", ringing=20, answered=30, end=60, why="bye"),
            [(0, 30, "online"), (30, 60, "in_use"), (60, 100, "online")],
        ),
        # rings and the caller gives up
        (
            _call("202", "201", ringing=20, answered=None, end=40, why="cancel"),
            [(0, 20, "online"), (20, 40, "ringing"), (40, 100, "online")],
        ),
        # answered and still going when the evidence ends
        (
            _call("202", "201", ringing=20, answered=30, end=100, why="ongoing"),
            [(0, 20, "online"), (20, 30, "ringing"), (30, 100, "in_use")],
        ),
        # still going when an earlier capture of a merged input ends: known until then only
        (
            _call("202", "201", ringing=20, answered=30, end=50, why="ongoing"),
            [(0, 20, "online"), (20, 30, "ringing"), (30, 50, "in_use"), (50, 100, "online")],
        ),
    ],
)
def test_ringing_and_in_use(call: dict[str, Any], expected: list[tuple[float, float, str]]) -> None:
    evts = events(event(0, "registered", contact=DESK, detail="expires 600 s"))
    found = status(
        bindings_from_events(evts, until=at(100)),
        evts,
        _calls(call),
        until=at(100),
        policy=StatusPolicy(include_call_parties=False),
    )
    t0 = at(0)
    got = [
        ((r.start - t0).total_seconds(), (r.end - t0).total_seconds(), str(r.state))
        for r in found.itertuples()
    ]
    assert got == expected


def test_status_at_transitions_and_reliability() -> None:
    evts = events(
        event(0, "registered", contact=DESK, detail="expires 600 s"),
        *[
            event(t, kind, contact=DESK)
            for t, kind in [(600, "unreachable"), (900, "reachable"), (1800, "unreachable")]
        ],
        event(2400, "reachable", contact=DESK),
        event(3000, "unregistered", contact=DESK),
    )
    found = status(bindings_from_events(evts, until=at(3600)), evts, until=at(3600))
    # the binding was granted 600 s and never refreshed: it expires at 600 s
    assert [str(s) for s in found["state"]] == ["online", "offline"]

    refreshed = events(
        *[event(t, "refreshed", contact=DESK, detail="expires 600 s") for t in range(0, 3600, 300)],
        event(600, "unreachable", contact=DESK),
        event(1800, "unreachable", contact=DESK),
    )
    history = status(
        bindings_from_events(refreshed, until=at(3600)),
        refreshed,
        until=at(3600),
        policy=StatusPolicy(),
    )
    # unreachable at 600 s until the refresh at 900 s; again at 1800 s until 2100 s
    t0 = at(0)
    assert [((r.start - t0).total_seconds(), str(r.state)) for r in history.itertuples()] == [
        (0, "online"),
        (600, "offline"),
        (900, "online"),
        (1800, "offline"),
        (2100, "online"),
    ]

    snapshot = status_at(history, at(700))
    assert snapshot[["extension", "state"]].values.tolist() == [["201", "offline"]]
    assert snapshot["since"].iloc[0] == at(600)
    # at a boundary the state that begins there wins
    assert status_at(history, at(900))["state"].tolist() == ["online"]
    assert status_at(history, at(-5)).empty

    changes = transitions(history)
    STATUS_CHANGES.validate(changes)
    assert changes["to_state"].astype(str).tolist() == [
        "online",
        "offline",
        "online",
        "offline",
        "online",
    ]
    assert pd.isna(changes["from_state"].iloc[0])

    summary = reliability(history)
    RELIABILITY.validate(summary)
    row = summary.iloc[0]
    assert row["transitions"] == 4
    assert row["observed_hours"] == pytest.approx(1.0)
    assert row["transitions_per_hour"] == pytest.approx(4.0)
    assert row["offline_episodes"] == 2
    assert row["longest_offline"] == pd.Timedelta(seconds=300)
    assert row["offline_fraction"] == pytest.approx(600 / 3600)
    assert row["flapping_score"] == pytest.approx(1.0)
    # a shorter window sees only the second half hour: offline from its start until 2100 s
    half = reliability(history, "30min").iloc[0]
    assert (half["transitions"], half["offline_episodes"]) == (1, 1)
    assert half["longest_offline"] == pd.Timedelta(seconds=300)


def test_webex_never_answered_is_offline() -> None:
    result = analyze(read_capture(corpus_path("pcaps/ndpi/webex.pcap")))
    assert result.status[["extension", "state", "reason"]].values.tolist() == [
        ["45191", "offline", "registration timeout"]
    ]


def test_sip_call_rtp_g711_francisco_rings_then_talks() -> None:
    result = analyze(read_capture(corpus_path("pcaps/wireshark-wiki/SIP_CALL_RTP_G711.pcap")))
    francisco = result.status[result.status["extension"] == "francisco"]
    assert francisco["state"].astype(str).tolist() == ["ringing", "in_use"]
    ivan = result.status[result.status["extension"] == "Ivan"]
    assert ivan["state"].astype(str).tolist() == ["online"]


def test_wireuploaded_forbidden_lines_are_offline_and_registered_lines_online() -> None:
    result = analyze(read_capture(corpus_path("pcaps/wireshark-wiki/wireuploaded.pcap")))
    now = status_at(result.status, result.end).set_index("extension")
    assert set(now.loc[["210", "210E210.1", "210E210.2", "210E210.3"], "state"]) == {"offline"}
    assert now.loc["210", "reason"] == "registration forbidden (403)"
    assert set(now.loc[["203", "205", "206E206.2"], "state"]) == {"online"}
    assert now.loc["5053493876", "state"] == "in_use"


def test_chansip_qualify_log_flaps() -> None:
    log = read_registrar_log(
        corpus_path("logs/asterisk_chansip/gh_futel_asteriskserver_issue119_peer_reachability.log")
    )
    result = analyze(events=log.events)
    states = result.status["state"].astype(str).tolist()
    assert states[:4] == ["offline", "online", "offline", "online"]
    assert states[-1] == "online"  # reachable again on the last line
    # the log spans ten days: the 24-hour view sees its last day only
    assert result.reliability.iloc[0]["transitions"] == 4
    assert reliability(result.status, "30D").iloc[0]["transitions"] == len(states) - 1


def test_no_evidence_gives_empty_tables() -> None:
    result = analyze()
    assert result.status.empty and result.end is None
    assert list(result.status.columns) == list(STATUS.names)
    assert list(result.reliability.columns) == list(RELIABILITY.names)


def test_ami_extension_status_rings_then_in_use() -> None:
    log = read_registrar_log(
        corpus_path("logs/asterisk_ami/panoramisk_originate_with_events.ami.txt")
    )
    history = analyze(events=log.events).status
    ext = history[history["extension"] == "259"]
    assert ext["state"].astype(str).tolist() == ["ringing", "in_use"]
    assert ext["start"].tolist() == [
        pd.Timestamp("2014-10-28 16:36:41Z"),
        pd.Timestamp("2014-10-28 16:36:49Z"),
    ]
    assert ext["end"].iloc[-1] == pd.Timestamp("2014-10-28 16:36:58Z")


def test_log_call_states_over_a_registered_extension() -> None:
    evts = events(
        event(0, "registered", contact=DESK, detail="expires 600 s"),
        event(10, "ringing"),
        event(15, "in_use"),
        event(40, "idle"),
    )
    assert _history(evts, 100) == [
        (0, 10, "online"),
        (10, 15, "ringing"),
        (15, 40, "in_use"),
        (40, 100, "online"),
    ]


@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 99)), max_size=12),
    st.integers(-1, 7),
)
def test_the_last_item_before_a_time_is_the_one_max_would_pick(
    items: list[tuple[int, int]], t: int
) -> None:
    """The status sweep finds the last ended binding / failure by bisection; ties must
    resolve as ``max`` over the unsorted list does (the first of the latest)."""
    ordered = sorted(items, key=lambda item: item[0])
    expected = max((i for i in items if i[0] <= t), default=None, key=lambda i: i[0])
    assert _last_at_or_before(ordered, [i[0] for i in ordered], t) is expected
