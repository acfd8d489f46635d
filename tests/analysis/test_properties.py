"""Property tests: any registrar event sequence gives well-formed bindings and status."""

from __future__ import annotations

import itertools
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pbxlab import read_capture
from pbxlab.analysis import analyze, bindings_from_events, status, status_at
from pbxlab.tables import BINDINGS, CALLS, EVENTS, KEEPALIVES, REGISTRATIONS, STATUS
from tests.analysis.builders import at, event, events
from tests.conftest import corpus_path

CONTACTS = ["sip:201@10.0.0.1:5060", "sip:201@10.0.0.2:5060", None]
KINDS = ["registered", "refreshed", "unregistered", "expired", "reachable", "unreachable"]


@st.composite
def event_sequences(draw: Any) -> pd.DataFrame:
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=25))):
        kind = draw(st.sampled_from(KINDS))
        expires = draw(st.sampled_from([None, 0, 30, 120, 3600]))
        rows.append(
            event(
                draw(st.integers(min_value=0, max_value=600)),
                kind,
                draw(st.sampled_from(["201", "202"])),
                contact=draw(st.sampled_from(CONTACTS)),
                source=draw(st.sampled_from([None, "10.0.0.1:5060", "198.51.100.9:4000"])),
                detail=f"expires {expires} s" if expires is not None else None,
                user_agent=draw(st.sampled_from([None, "PhoneA", "PhoneB"])),
            )
        )
    return events(*rows)


@settings(max_examples=40, deadline=None)
@given(event_sequences())
def test_bindings_and_status_are_well_formed(evts: pd.DataFrame) -> None:
    until = at(700)
    bound = bindings_from_events(evts, until=until)
    BINDINGS.validate(bound)
    assert (bound["start"] <= bound["end"]).all()
    assert (bound["end"] <= until).all()
    # one contact of one extension is never bound twice at the same time
    for _, intervals in bound.groupby(["extension", "contact"]):
        ordered = intervals.sort_values("start")
        assert (ordered["start"].iloc[1:].to_numpy() >= ordered["end"].iloc[:-1].to_numpy()).all()

    history = status(bound, evts, until=until)
    STATUS.validate(history)
    for extension, intervals in history.groupby("extension"):
        ordered = intervals.sort_values("start")
        # contiguous, non-overlapping, inside the evidence, adjacent states differ
        assert (ordered["start"].iloc[1:].to_numpy() == ordered["end"].iloc[:-1].to_numpy()).all()
        assert ordered["end"].iloc[-1] == until
        states = ordered["state"].astype(str).tolist()
        assert all(a != b for a, b in itertools.pairwise(states))
        mine = bound[bound["extension"] == extension]
        snapshot = history[history["extension"] == extension]
        for row in ordered.itertuples():
            if row.end == row.start:
                continue
            middle = row.start + (row.end - row.start) / 2
            # online only with a binding behind it
            if row.state == "online":
                assert ((mine["start"] <= middle) & (mine["end"] > middle)).any()
            # status_at agrees with the history
            assert status_at(snapshot, middle)["state"].tolist() == [row.state]


def test_every_table_of_a_real_analysis_follows_its_schema() -> None:
    capture = read_capture(corpus_path("pcaps/student-labs/MaryLS-Laborator09__sip.pcap"))
    result = analyze(capture)
    for frame, schema in [
        (result.registrations, REGISTRATIONS),
        (result.events, EVENTS),
        (result.bindings, BINDINGS),
        (result.keepalives, KEEPALIVES),
        (result.calls, CALLS),
        (result.status, STATUS),
    ]:
        schema.validate(frame)
