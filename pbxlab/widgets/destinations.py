"""The Find Me/Follow Me destinations editor: an ordered list to add to, remove from, reorder.

Strategy: the editor holds plain dicts (``kind``, ``target``, ``ring_timeout``,
the input of :class:`pbxlab.extensions.FmfmDestination`) in ring order and
redraws its few rows (at most ten) whenever the order changes; it validates
nothing itself -- the extension detail saves the list through the store and
shows each problem (``fmfm.destinations.<i>.<field>``) next to row ``i``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

import ipywidgets as widgets

from pbxlab.extensions.model import (
    MAX_FMFM_DESTINATIONS,
    DestinationKind,
    FmfmDestination,
)
from pbxlab.widgets.common import button, classed

__all__ = ["DestinationsEditor"]

KINDS: tuple[str, ...] = get_args(DestinationKind)
DEFAULT_RING_TIMEOUT = FmfmDestination.model_fields["ring_timeout"].default


class DestinationsEditor(widgets.VBox):
    """Ordered FMFM destinations; :attr:`value` is a list of dicts in ring order."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.errors: dict[int, str] = {}
        self.rows: list[widgets.HBox] = []
        self.add = button("Add destination", "pbx-fmfm-add", tooltip="Ring one more destination")
        self.add.on_click(lambda _: self.append())
        self.rows_box = classed(widgets.VBox(), "pbx-fmfm-destinations")
        super().__init__([self.rows_box, self.add])
        self.add_class("pbx-field-fmfm-destinations")

    @property
    def value(self) -> list[dict[str, Any]]:
        """The destinations in ring order (copies)."""
        return [dict(item) for item in self.items]

    @value.setter
    def value(self, destinations: list[Any]) -> None:
        self.items = [
            d.model_dump() if isinstance(d, FmfmDestination) else dict(d) for d in destinations
        ]
        self.errors = {}
        self._draw()

    def append(
        self, kind: str = "extension", target: str = "", ring_timeout: int | None = None
    ) -> None:
        """Add a destination at the end (rung last in sequential mode)."""
        timeout = DEFAULT_RING_TIMEOUT if ring_timeout is None else ring_timeout
        self.items.append({"kind": kind, "target": target, "ring_timeout": timeout})
        self.errors = {}
        self._draw()

    def remove(self, index: int) -> None:
        """Remove destination ``index``."""
        del self.items[index]
        self.errors = {}
        self._draw()

    def move(self, index: int, offset: int) -> None:
        """Move destination ``index`` by ``offset`` places (-1: rung earlier), within the list."""
        to = max(0, min(len(self.items) - 1, index + offset))
        self.items.insert(to, self.items.pop(index))
        self.errors = {}
        self._draw()

    def show_error(self, index: int | None, message: str) -> None:
        """Show ``message`` next to row ``index`` (None: under the list)."""
        key = -1 if index is None or not 0 <= index < len(self.items) else index
        self.errors[key] = (self.errors[key] + "; " if key in self.errors else "") + message
        self._draw()

    def clear_errors(self) -> None:
        """Hide every error message."""
        if self.errors:
            self.errors = {}
            self._draw()

    def _draw(self) -> None:
        self.rows = [self._row(i, item) for i, item in enumerate(self.items)]
        general = self.errors.get(-1)
        extra: list[widgets.Widget] = []
        if general:
            extra.append(classed(widgets.HTML(_error_html(general)), "pbx-error-fmfm-destinations"))
        self.rows_box.children = [*self.rows, *extra]
        self.add.disabled = len(self.items) >= MAX_FMFM_DESTINATIONS

    def _row(self, index: int, item: dict[str, Any]) -> widgets.HBox:
        kind = classed(
            widgets.Dropdown(
                options=list(KINDS), value=item["kind"], layout=widgets.Layout(width="120px")
            ),
            "pbx-fmfm-kind",
        )
        target = classed(
            widgets.Text(
                value=str(item["target"]),
                placeholder="202, +15551234567 or a box",
                layout=widgets.Layout(width="180px"),
            ),
            "pbx-fmfm-target",
        )
        timeout = classed(
            widgets.IntText(
                value=int(item["ring_timeout"]),
                description="rings (s)",
                layout=widgets.Layout(width="150px"),
            ),
            "pbx-fmfm-ring-timeout",
        )
        kind.observe(self._setter(index, "kind"), names="value")
        target.observe(self._setter(index, "target"), names="value")
        timeout.observe(self._setter(index, "ring_timeout"), names="value")
        up = button("▲", "pbx-fmfm-up", tooltip="Ring earlier")
        down = button("▼", "pbx-fmfm-down", tooltip="Ring later")
        remove = button("Remove", "pbx-fmfm-remove")
        up.disabled = index == 0
        down.disabled = index == len(self.items) - 1
        up.on_click(lambda _: self.move(index, -1))
        down.on_click(lambda _: self.move(index, +1))
        remove.on_click(lambda _: self.remove(index))
        error = classed(
            widgets.HTML(_error_html(self.errors.get(index, ""))), "pbx-error-fmfm-destination"
        )
        order = widgets.Label(f"{index + 1}.", layout=widgets.Layout(width="24px"))
        return classed(
            widgets.HBox([order, kind, target, timeout, up, down, remove, error]),
            "pbx-fmfm-destination",
            f"pbx-fmfm-destination-{index}",
        )

    def _setter(self, index: int, key: str) -> Callable[[dict[str, Any]], None]:
        def set_value(change: dict[str, Any]) -> None:
            self.items[index][key] = change["new"]

        return set_value


def _error_html(message: str) -> str:
    import html

    return f'<span style="color:#cf222e">{html.escape(message)}</span>' if message else ""
