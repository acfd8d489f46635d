"""A watcher driving the notebook widgets: the Extensions list's dots and the Reliability view.

Strategy: the widgets are views over plain tables (pbxlab.widgets); this
module only subscribes to a :class:`~pbxlab.live.Watcher` and pushes its
current tables into them -- every status change into
``ExtensionsList.set_status`` (the whole current snapshot, so an extension
the evidence stops speaking of goes back to "unknown"), and the kept
evidence's analysis into ``ReliabilityView.set_analysis`` at most every
``every`` seconds (redrawing a timeline costs more than moving a dot).
Callbacks run in the watcher's thread; ipywidgets sends the updates to the
browser from there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from pbxlab.live.changes import StatusChange
from pbxlab.live.watcher import Change, Watcher

__all__ = ["connect_widgets", "list_status"]


def list_status(watcher: Watcher) -> pd.DataFrame:
    """The watcher's current states as ``ExtensionsList.set_status`` takes them
    (columns extension, state, start)."""
    current = watcher.status()
    return pd.DataFrame(
        {
            "extension": current["extension"].astype(str),
            "state": current["state"].astype(str),
            "start": current["since"],
        }
    )


def connect_widgets(
    watcher: Watcher,
    extensions_list: Any = None,
    reliability: Any = None,
    *,
    every: float = 5.0,
) -> Callable[[], None]:
    """Keep ``extensions_list`` (an ExtensionsList) and ``reliability`` (a ReliabilityView)
    up to date from ``watcher``; returns a function that disconnects them.

    Both are optional; they are filled at once with the watcher's current state.
    """
    last_drawn = [-float("inf")]

    def push_status() -> None:
        if extensions_list is not None:
            extensions_list.set_status(list_status(watcher))

    def push_history(force: bool = False) -> None:
        if reliability is None:
            return
        now = time.monotonic()
        if force or now - last_drawn[0] >= every:
            last_drawn[0] = now
            reliability.set_analysis(watcher.analysis())

    def on_change(change: Change) -> None:
        if isinstance(change, StatusChange):
            push_status()
            push_history()

    push_status()
    push_history(force=True)
    return watcher.subscribe(on_change)
