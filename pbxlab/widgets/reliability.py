"""The Reliability view: the status history of one or many extensions, time range selectable.

Strategy: the figures are pbxlab.plots' (:func:`~pbxlab.plots.status_timeline`
in the guide's colours with transitions and flapping findings marked,
:func:`~pbxlab.plots.reliability_bars`), shown as plotly FigureWidgets that
are updated in place; the numbers are :func:`pbxlab.analysis.reliability`
over the chosen window.  By default the worst extensions (highest flapping
score) are shown, so a tenant of thousands opens on what matters.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from pbxlab.analysis import Analysis, reliability
from pbxlab.plots import reliability_bars, status_timeline
from pbxlab.widgets.common import button, classed, replace_figure

__all__ = ["RANGE_BUTTONS", "ReliabilityView"]

RANGE_BUTTONS = (("Last 1 h", "1h"), ("Last 6 h", "6h"), ("Last 24 h", "24h"))
"""Quick ranges ending at the end of the evidence (the guide's view is 24 hours)."""


def _utc(value: Any) -> pd.Timestamp:
    when = pd.Timestamp(value)
    return when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")


class ReliabilityView(widgets.VBox):
    """Status history and reliability of the extensions of ``analysis``.

    ``findings`` (FINDINGS table) shades the flapping and other findings of the
    shown extensions.  ``extensions`` picks the initial selection (default: the
    ``default_count`` worst by flapping score).
    """

    def __init__(
        self,
        analysis: Analysis | None = None,
        *,
        findings: pd.DataFrame | None = None,
        extensions: Sequence[str] | None = None,
        default_count: int = 10,
    ) -> None:
        self.default_count = default_count
        self.analysis: Analysis | None = None
        self.findings: pd.DataFrame | None = None
        self.window: tuple[pd.Timestamp, pd.Timestamp] | None = None
        self.table = pd.DataFrame()
        self.extensions = classed(
            widgets.SelectMultiple(
                description="Extensions", rows=8, layout=widgets.Layout(width="360px")
            ),
            "pbx-reliability-extensions",
        )
        self.extensions.observe(lambda _: self._draw(), names="value")
        self.range = classed(
            widgets.IntRangeSlider(
                description="Time range",
                min=0,
                max=0,
                value=(0, 0),
                continuous_update=False,
                readout=False,
                layout=widgets.Layout(width="520px"),
            ),
            "pbx-reliability-range",
        )
        self.range.observe(lambda _: self._range_moved(), names="value")
        self.range_label = classed(widgets.Label(), "pbx-reliability-range-label")
        quick: list[widgets.Widget] = []
        for title, span in RANGE_BUTTONS:
            made = button(title, f"pbx-reliability-{span}")
            made.on_click(self._last(span))
            quick.append(made)
        whole = button("Whole evidence", "pbx-reliability-all")
        whole.on_click(lambda _: self.show_range(None, None))
        quick.append(whole)
        self.figure = classed(go.FigureWidget(), "pbx-reliability-figure")
        self.bars = classed(go.FigureWidget(), "pbx-reliability-bars")
        self.summary = classed(widgets.HTML(), "pbx-reliability-table")
        self._drawing = False
        super().__init__(
            [
                widgets.HBox([self.extensions, widgets.VBox([self.range, self.range_label])]),
                widgets.HBox(quick),
                self.figure,
                self.summary,
                self.bars,
            ]
        )
        self.add_class("pbx-reliability")
        self.set_analysis(analysis, findings=findings, extensions=extensions)

    # -- inputs ----------------------------------------------------------------------------

    def set_analysis(
        self,
        analysis: Analysis | None,
        *,
        findings: pd.DataFrame | None = None,
        extensions: Sequence[str] | None = None,
    ) -> None:
        """Show ``analysis`` (whole time span; the worst extensions unless ``extensions``)."""
        self.analysis, self.findings = analysis, findings
        self._drawing = True
        try:
            if analysis is None or analysis.start is None or analysis.end is None:
                self.extensions.options = []
                self.range.max, self.range.value = 0, (0, 0)
                self.window = None
            else:
                ranked = _ranked(analysis.reliability, analysis.status)
                self.extensions.options = ranked
                chosen = (
                    list(extensions) if extensions is not None else ranked[: self.default_count]
                )
                self.extensions.value = tuple(e for e in chosen if e in ranked)
                span = max(1, math.ceil((analysis.end - analysis.start).total_seconds()))
                self.range.max = span
                self.range.value = (0, span)
                self.window = (analysis.start, analysis.end)
        finally:
            self._drawing = False
        self._draw()

    def show(self, extensions: Sequence[str]) -> None:
        """Show the history of ``extensions`` (unknown ones are ignored)."""
        known = set(self.extensions.options)
        self.extensions.value = tuple(e for e in extensions if e in known)

    def show_range(self, start: Any, end: Any) -> None:
        """Show from ``start`` to ``end`` (naive means UTC; None: the evidence's bound)."""
        if self.analysis is None or self.analysis.start is None or self.analysis.end is None:
            return
        begin = self.analysis.start
        low = 0 if start is None else (_utc(start) - begin).total_seconds()
        high = self.range.max if end is None else (_utc(end) - begin).total_seconds()
        low = max(0, min(self.range.max, math.floor(low)))
        high = max(low, min(self.range.max, math.ceil(high)))
        self.range.value = (low, high)

    def _last(self, span: str) -> Any:
        def show_last(_: widgets.Button) -> None:
            if self.analysis is not None and self.analysis.end is not None:
                self.show_range(self.analysis.end - pd.Timedelta(span), self.analysis.end)

        return show_last

    def _range_moved(self) -> None:
        if self.analysis is None or self.analysis.start is None or self.analysis.end is None:
            return
        low, high = self.range.value
        start = self.analysis.start + pd.Timedelta(seconds=low)
        end = min(self.analysis.end, self.analysis.start + pd.Timedelta(seconds=high))
        self.window = (start, end)
        self._draw()

    # -- drawing ---------------------------------------------------------------------------

    def _draw(self) -> None:
        if self._drawing:
            return
        if self.analysis is None or self.window is None:
            self.range_label.value = "No capture or log loaded."
            replace_figure(self.figure, status_timeline(_no_status(), title="Status history"))
            replace_figure(self.bars, reliability_bars(reliability(_no_status())))
            self.summary.value = ""
            self.table = pd.DataFrame()
            return
        start, end = self.window
        self.range_label.value = (
            f"{start:%Y-%m-%d %H:%M:%S} – {end:%Y-%m-%d %H:%M:%S} UTC ({_duration(end - start)})"
        )
        chosen = list(self.extensions.value)
        replace_figure(
            self.figure,
            status_timeline(
                self.analysis.status,
                extensions=chosen,
                start=start,
                end=end,
                findings=self.findings,
                title="Status history",
            ),
        )
        window = max(end - start, pd.Timedelta(seconds=1))
        picked = self.analysis.status[self.analysis.status["extension"].isin(chosen)]
        self.table = reliability(picked, window, end=end)
        replace_figure(self.bars, reliability_bars(self.table, title="Reliability in the range"))
        self.summary.value = _summary_html(self.table)


def _ranked(table: pd.DataFrame, status: pd.DataFrame) -> list[str]:
    """Extensions, worst flapping score first, then by number."""
    every = sorted((str(e) for e in status["extension"].unique()), key=_natural)
    if table.empty:
        return every
    score = dict(
        zip(table["extension"].astype(str), table["flapping_score"].fillna(0.0), strict=True)
    )
    return sorted(every, key=lambda e: (-float(score.get(e, 0.0)), _natural(e)))


def _natural(number: str) -> tuple[int, int, str]:
    return (0, int(number), "") if number.isdigit() else (1, 0, number)


def _duration(span: pd.Timedelta) -> str:
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {seconds:02d} s"


def _no_status() -> pd.DataFrame:
    from pbxlab.tables import STATUS

    return STATUS.empty()


def _summary_html(table: pd.DataFrame) -> str:
    if table.empty:
        return "<i>No status history for the selected extensions in this range.</i>"
    rows = []
    for row in table.itertuples(index=False):
        longest = row.longest_offline
        shown = _duration(longest) if isinstance(longest, pd.Timedelta) else "–"
        rows.append(
            "<tr>"
            f"<td>{html.escape(str(row.extension))}</td>"
            f"<td>{_number(row.transitions)}</td>"
            f"<td>{_number(row.transitions_per_hour, 1)}</td>"
            f"<td>{_number(row.offline_episodes)}</td>"
            f"<td>{shown}</td>"
            f"<td>{_percent(row.offline_fraction)}</td>"
            "</tr>"
        )
    head = (
        "<tr><th>Extension</th><th>Changes</th><th>Changes/h</th><th>Offline episodes</th>"
        "<th>Longest offline</th><th>Offline</th></tr>"
    )
    return f'<table class="pbx-reliability-rows">{head}{"".join(rows)}</table>'


def _number(value: object, digits: int = 0) -> str:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return "–"
    return f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def _percent(value: object) -> str:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return "–"
    return f"{100 * float(value):.0f} %"  # type: ignore[arg-type]
