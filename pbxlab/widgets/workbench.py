"""The workbench: Extensions, Reliability and Triage as tabs of one page.

Strategy: composition only.  Evidence loaded in Triage (or given) feeds the
Extensions list's status dots and the Reliability view; a row's Reliability
button opens that extension's last 24 hours.  This is the page the notebooks
display and the web app serves.
"""

from __future__ import annotations

import os

import ipywidgets as widgets
import pandas as pd

from pbxlab.extensions.reboot import DEFAULT_TIMEOUT
from pbxlab.extensions.store import ExtensionStore
from pbxlab.widgets.common import classed
from pbxlab.widgets.extensions_page import ExtensionsPage
from pbxlab.widgets.loading import Evidence
from pbxlab.widgets.reliability import ReliabilityView
from pbxlab.widgets.triage import TriageView

__all__ = ["WORKBENCH_TABS", "Workbench"]

WORKBENCH_TABS = ("Extensions", "Reliability", "Triage")


class Workbench(widgets.VBox):
    """Every view over ``store`` and the loaded ``evidence``.

    ``directory`` is where Triage's file picker looks for captures and logs.
    :attr:`extensions` (:class:`ExtensionsPage`), :attr:`reliability`
    (:class:`ReliabilityView`) and :attr:`triage` (:class:`TriageView`) are the tabs.
    """

    def __init__(
        self,
        store: ExtensionStore,
        *,
        evidence: Evidence | None = None,
        directory: str | os.PathLike[str] | None = None,
        page_size: int = 25,
        reboot_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.store = store
        self.extensions = ExtensionsPage(store, page_size=page_size, reboot_timeout=reboot_timeout)
        self.reliability = ReliabilityView()
        self.triage = TriageView(directory=directory)
        self.triage.on_loaded(self.use)
        self.extensions.list.on_reliability(self.open_reliability)
        self.tabs = classed(
            widgets.Tab(children=[self.extensions, self.reliability, self.triage]),
            "pbx-workbench-tabs",
        )
        self.tabs.titles = WORKBENCH_TABS
        super().__init__([self.tabs])
        self.add_class("pbx-workbench")
        if evidence is not None:
            self.triage.show(evidence)
            self.use(evidence)

    def use(self, evidence: Evidence) -> None:
        """Take status and history from ``evidence`` in every view."""
        self.extensions.list.set_analysis(evidence.analysis)
        self.reliability.set_analysis(evidence.analysis, findings=evidence.findings)

    def open_reliability(self, number: str) -> None:
        """Switch to the Reliability tab showing ``number``'s last 24 hours."""
        self.tabs.selected_index = WORKBENCH_TABS.index("Reliability")
        self.reliability.show([number])
        end = self.reliability.analysis.end if self.reliability.analysis else None
        if end is not None:
            self.reliability.show_range(end - pd.Timedelta("24h"), end)
