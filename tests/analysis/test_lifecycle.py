"""The registration life-cycle table: total, and each transition as documented."""

from __future__ import annotations

import pytest

from pbxlab.analysis.lifecycle import TRANSITIONS, Action, Input, State, next_transition
from pbxlab.tables import BINDING_END_REASONS


def test_table_is_total() -> None:
    for state in State:
        assert set(TRANSITIONS[state]) == set(Input), state


def test_every_end_reason_is_declared_in_the_bindings_schema() -> None:
    reasons = {t.end_reason for row in TRANSITIONS.values() for t in row.values()}
    assert reasons - {None} == set(BINDING_END_REASONS)


@pytest.mark.parametrize(
    ("state", "event", "next_state", "action", "end_reason"),
    [
        (State.UNBOUND, Input.REGISTER, State.BOUND, Action.OPEN, None),
        (State.UNBOUND, Input.REFRESH, State.BOUND, Action.OPEN, None),
        (State.UNBOUND, Input.QUALIFY, State.BOUND, Action.OPEN, None),
        (State.UNBOUND, Input.UNREGISTER, State.UNBOUND, Action.IGNORE, None),
        (State.UNBOUND, Input.EXPIRE, State.UNBOUND, Action.IGNORE, None),
        (State.UNBOUND, Input.END, State.UNBOUND, Action.IGNORE, None),
        (State.BOUND, Input.REGISTER, State.BOUND, Action.EXTEND, None),
        (State.BOUND, Input.REFRESH, State.BOUND, Action.EXTEND, None),
        (State.BOUND, Input.QUALIFY, State.BOUND, Action.IGNORE, None),
        (State.BOUND, Input.UNREGISTER, State.UNBOUND, Action.CLOSE, "unregistered"),
        (State.BOUND, Input.EXPIRE, State.UNBOUND, Action.CLOSE, "expired"),
        (State.BOUND, Input.REPLACE, State.UNBOUND, Action.CLOSE, "replaced"),
        (State.BOUND, Input.END, State.UNBOUND, Action.CLOSE, "still_active"),
        (State.BOUND, Input.END_UNKNOWN_EXPIRY, State.UNBOUND, Action.CLOSE, "capture_ended"),
    ],
)
def test_transition(
    state: State, event: Input, next_state: State, action: Action, end_reason: str | None
) -> None:
    transition = next_transition(state, event)
    assert (transition.state, transition.action, transition.end_reason) == (
        next_state,
        action,
        end_reason,
    )
