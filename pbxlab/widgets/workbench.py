"""The workbench: Extensions, Reliability and Triage as tabs of one page.

Strategy: composition only.  Evidence loaded in Triage (or given, or passed
to :meth:`Workbench.use`) feeds the Extensions list's status dots and the
Reliability view; a row's Reliability button opens that extension's last 24
hours.  This is the page the notebooks display and the web app serves
(:class:`pbxlab.web.page.WebPage` puts a header above it).

The Reliability and Triage views are built the first time their tab is
opened (or asked for).  Their plotly FigureWidgets each bring a 5 MB script
that anywidget must load within 2 s of the widget's creation; built with the
page, they compete with every other widget being drawn and, on a busy
machine, fail ("[anywidget] Failed to initialize model").  And Voilà runs
the notebook before the browser connects, so a FigureWidget filled in place
then sends its traces to nobody and shows empty axes.  Built on demand, both
problems are gone, and the page appears sooner.  Until then the workbench
keeps the evidence itself, so :meth:`Workbench.use` and
:meth:`Workbench.open_reliability` work whether or not the tabs exist yet.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from pbxlab.extensions.reboot import DEFAULT_TIMEOUT
from pbxlab.extensions.store import ExtensionStore
from pbxlab.widgets.common import classed
from pbxlab.widgets.extensions_page import ExtensionsPage
from pbxlab.widgets.loading import Evidence
from pbxlab.widgets.reliability import ReliabilityView
from pbxlab.widgets.triage import TriageView

__all__ = ["HISTORY_SPAN", "WORKBENCH_TABS", "Workbench"]

WORKBENCH_TABS = ("Extensions", "Reliability", "Triage")
EXTENSIONS = WORKBENCH_TABS.index("Extensions")
RELIABILITY = WORKBENCH_TABS.index("Reliability")
TRIAGE = WORKBENCH_TABS.index("Triage")
HISTORY_SPAN = pd.Timedelta("24h")
"""What a row's Reliability button shows: the guide's 24-hour view."""

EvidenceCallback = Callable[[Evidence], Any]


class Workbench(widgets.VBox):
    """Every view over ``store`` and the loaded ``evidence``.

    ``directory`` is where Triage's file picker looks for captures and logs;
    ``domain`` keeps one tenant of a multi-tenant capture loaded there.
    :attr:`extensions` is the :class:`ExtensionsPage`; the Reliability and Triage
    views are built when their tab is first opened, or by :meth:`reliability_view`
    / :meth:`triage_view`.  :attr:`evidence` is what every view shows (None until
    some is given or loaded).
    """

    def __init__(
        self,
        store: ExtensionStore,
        *,
        evidence: Evidence | None = None,
        directory: str | os.PathLike[str] | None = None,
        domain: str | None = None,
        page_size: int = 25,
        reboot_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.store = store
        self.evidence = evidence
        self.directory = directory
        self.domain = domain
        self._reliability: ReliabilityView | None = None
        self._triage: TriageView | None = None
        self._evidence_callbacks: list[EvidenceCallback] = []
        self.extensions = ExtensionsPage(
            store,
            analysis=evidence.analysis if evidence is not None else None,
            page_size=page_size,
            reboot_timeout=reboot_timeout,
        )
        self.extensions.list.on_reliability(self.open_reliability)
        children = [
            self.extensions if index == EXTENSIONS else widgets.VBox([_opening(title)])
            for index, title in enumerate(WORKBENCH_TABS)
        ]
        self.tabs = classed(widgets.Tab(children=children), "pbx-workbench-tabs")
        self.tabs.titles = WORKBENCH_TABS
        self.tabs.observe(self._tab_opened, names="selected_index")
        super().__init__([self.tabs])
        self.add_class("pbx-workbench")

    # -- the tabs built on first opening ------------------------------------------------------

    def reliability_view(self) -> ReliabilityView:
        """The Reliability view over :attr:`evidence` (built on the first call)."""
        if self._reliability is None:
            evidence = self.evidence
            self._reliability = ReliabilityView(
                evidence.analysis if evidence is not None else None,
                findings=evidence.findings if evidence is not None else None,
            )
            self.tabs.children[RELIABILITY].children = [self._reliability]
        return self._reliability

    def triage_view(self) -> TriageView:
        """The Triage view showing :attr:`evidence` (built on the first call)."""
        if self._triage is None:
            self._triage = TriageView(
                directory=self.directory, evidence=self.evidence, domain=self.domain
            )
            self._triage.on_loaded(self.use)
            self.tabs.children[TRIAGE].children = [self._triage]
        return self._triage

    def built_tabs(self) -> tuple[str, ...]:
        """The titles of the tabs whose view exists (Extensions always does)."""
        views = {
            "Extensions": self.extensions,
            "Reliability": self._reliability,
            "Triage": self._triage,
        }
        return tuple(title for title in WORKBENCH_TABS if views[title] is not None)

    def _tab_opened(self, change: dict[str, Any]) -> None:
        if change["new"] == RELIABILITY:
            self.reliability_view()
        elif change["new"] == TRIAGE:
            self.triage_view()

    # -- what the tabs share ------------------------------------------------------------------

    def on_evidence(self, callback: EvidenceCallback) -> None:
        """Call ``callback(evidence)`` each time the workbench takes new evidence."""
        self._evidence_callbacks.append(callback)

    def use(self, evidence: Evidence) -> None:
        """Take status, history and findings from ``evidence`` in every view (built or not)."""
        self.evidence = evidence
        self.extensions.list.set_analysis(evidence.analysis)
        if self._reliability is not None:
            self._reliability.set_analysis(evidence.analysis, findings=evidence.findings)
        if self._triage is not None and self._triage.evidence is not evidence:
            self._triage.show(evidence)
        for callback in self._evidence_callbacks:
            callback(evidence)

    def open_reliability(self, number: str) -> None:
        """Switch to the Reliability tab showing ``number``'s last 24 hours."""
        view = self.reliability_view()
        self.tabs.selected_index = RELIABILITY
        view.show([number])
        end = view.analysis.end if view.analysis is not None else None
        if end is not None:
            view.show_range(end - HISTORY_SPAN, end)


def _opening(title: str) -> widgets.HTML:
    return classed(widgets.HTML(f"<i>Opening {html.escape(title)}…</i>"), "pbx-workbench-loading")
