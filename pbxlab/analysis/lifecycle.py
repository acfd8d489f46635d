"""The registration life-cycle of one contact binding, as one transition table.

Strategy (after h11's ``_state.py``): every rule about how a binding starts,
continues and ends lives in :data:`TRANSITIONS` -- ``TRANSITIONS[state][input]``
gives the next state and what happens to the binding interval.  The code
that walks the evidence (:mod:`pbxlab.analysis.bindings`) only translates
evidence into inputs and applies the table; it has no if-chains of its own
about the life-cycle.

States: ``UNBOUND`` (no binding for this extension+contact) and ``BOUND``.

Inputs (what the evidence can say about one binding):

- ``REGISTER``: the registrar accepted a registration of the contact
  (``registered`` event; 200 OK to a REGISTER);
- ``REFRESH``: the registrar accepted a re-registration (``refreshed``);
- ``UNREGISTER``: the contact was removed on request (Expires 0, Contact *);
- ``EXPIRE``: the granted expiry passed without a refresh, or the
  registrar said it expired (``expired`` event);
- ``REPLACE``: the same phone bound a new contact or registered from a new
  network address (reboot, NAT rebinding), so this binding is stale;
- ``QUALIFY``: the registrar reported the contact reachable, lagged or
  unreachable -- it only probes contacts it holds, so the contact is bound
  (used for logs that report qualify results but no registrations);
- ``END``: the evidence ends before the granted expiry (``still_active``);
- ``END_UNKNOWN_EXPIRY``: the evidence ends and no expiry is known (a log
  that does not report one), so all we can say is ``capture_ended``.

Actions on the binding interval: ``OPEN`` a new interval, ``EXTEND`` the
open one (count a refresh, move the expiry), ``CLOSE`` it with an end
reason, or ``IGNORE`` the input (e.g. an unregister of a contact we never
saw bound).
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

__all__ = ["TRANSITIONS", "Action", "Input", "State", "Transition", "next_transition"]


class State(Enum):
    """Life-cycle state of one (extension, contact) binding."""

    UNBOUND = "unbound"
    BOUND = "bound"


class Input(Enum):
    """What the evidence says happened to the binding."""

    REGISTER = "register"
    REFRESH = "refresh"
    UNREGISTER = "unregister"
    EXPIRE = "expire"
    REPLACE = "replace"
    QUALIFY = "qualify"
    END = "end"
    END_UNKNOWN_EXPIRY = "end_unknown_expiry"


class Action(Enum):
    """What happens to the binding interval."""

    OPEN = "open"
    EXTEND = "extend"
    CLOSE = "close"
    IGNORE = "ignore"


class Transition(NamedTuple):
    """Next state, action on the interval, and the end reason when it closes."""

    state: State
    action: Action
    end_reason: str | None = None


TRANSITIONS: dict[State, dict[Input, Transition]] = {
    State.UNBOUND: {
        Input.REGISTER: Transition(State.BOUND, Action.OPEN),
        # a refresh of a binding made before the evidence began: it is bound from now
        Input.REFRESH: Transition(State.BOUND, Action.OPEN),
        Input.UNREGISTER: Transition(State.UNBOUND, Action.IGNORE),
        Input.EXPIRE: Transition(State.UNBOUND, Action.IGNORE),
        Input.REPLACE: Transition(State.UNBOUND, Action.IGNORE),
        # bound since before the evidence; its expiry is unknown
        Input.QUALIFY: Transition(State.BOUND, Action.OPEN),
        Input.END: Transition(State.UNBOUND, Action.IGNORE),
        Input.END_UNKNOWN_EXPIRY: Transition(State.UNBOUND, Action.IGNORE),
    },
    State.BOUND: {
        # a registrar answering "registered" for a bound contact is a refresh (RFC 3261 10.3)
        Input.REGISTER: Transition(State.BOUND, Action.EXTEND),
        Input.REFRESH: Transition(State.BOUND, Action.EXTEND),
        Input.UNREGISTER: Transition(State.UNBOUND, Action.CLOSE, "unregistered"),
        Input.EXPIRE: Transition(State.UNBOUND, Action.CLOSE, "expired"),
        Input.REPLACE: Transition(State.UNBOUND, Action.CLOSE, "replaced"),
        # reachability is the status rules' business, not the binding's
        Input.QUALIFY: Transition(State.BOUND, Action.IGNORE),
        Input.END: Transition(State.UNBOUND, Action.CLOSE, "still_active"),
        Input.END_UNKNOWN_EXPIRY: Transition(State.UNBOUND, Action.CLOSE, "capture_ended"),
    },
}


def next_transition(state: State, event: Input) -> Transition:
    """The transition for ``event`` in ``state`` (the table is total: never raises)."""
    return TRANSITIONS[state][event]
