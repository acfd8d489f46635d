"""The served page: a line saying what is shown, and the workbench's tabs.

Strategy: composition of :mod:`pbxlab.widgets` -- the Extensions page, the
Reliability view and Triage as tabs, wired as :class:`pbxlab.widgets.Workbench`
wires them (evidence loaded in Triage feeds the status dots and the timeline;
a row's Reliability button opens that extension's last 24 hours) -- with one
difference that matters in a browser: the Reliability and Triage views are
built the first time their tab is opened.  Their plotly FigureWidgets each
bring a 5 MB script that anywidget must load within 2 s of the page creating
the widget; built with the page, they compete with every other widget being
drawn and, on a busy machine, fail ("[anywidget] Failed to initialize
model").  And Voilà runs the notebook before the browser connects, so a
FigureWidget filled in place then (``add_traces``) sends its traces to nobody
and shows empty axes.  Built on demand, both problems are gone, and the page
appears sooner.

A person using the page cannot read a traceback: a store that does not open,
or evidence that does not load, is shown as one sentence at the top -- with
the evidence missing, the extensions are still listed and editable.
"""

from __future__ import annotations

import getpass
import html
from typing import Any

import ipywidgets as widgets
import pandas as pd

from pbxlab.errors import PbxlabError
from pbxlab.extensions.store import ExtensionStore
from pbxlab.web.config import WebConfig, shown_store
from pbxlab.widgets.common import classed
from pbxlab.widgets.extensions_page import ExtensionsPage
from pbxlab.widgets.loading import Evidence, load_evidence
from pbxlab.widgets.reliability import ReliabilityView
from pbxlab.widgets.triage import TriageView
from pbxlab.widgets.workbench import WORKBENCH_TABS

__all__ = ["WebPage", "workbench_page"]

ACTOR_SUFFIX = " (web)"
"""Appended to the OS user in the audit log: the change came through the web page."""
EXTENSIONS = WORKBENCH_TABS.index("Extensions")
RELIABILITY = WORKBENCH_TABS.index("Reliability")
TRIAGE = WORKBENCH_TABS.index("Triage")
HISTORY_SPAN = pd.Timedelta("24h")
"""What a row's Reliability button shows: the guide's 24-hour view."""


class WebPage(widgets.VBox):
    """What ``pbxlab web`` shows for ``config``: a header line and the workbench tabs.

    :attr:`store` and :attr:`evidence` are None when they could not be opened or
    loaded; :attr:`problems` says why, one sentence each.  :attr:`extensions` is
    the Extensions page (None without a store); :attr:`reliability` and
    :attr:`triage` are built when their tab is first opened (or by
    :meth:`reliability_view` / :meth:`triage_view`).
    """

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.problems: list[str] = []
        self.store: ExtensionStore | None = None
        self.evidence: Evidence | None = None
        self.extensions: ExtensionsPage | None = None
        self.reliability: ReliabilityView | None = None
        self.triage: TriageView | None = None
        try:
            self.store = ExtensionStore.open(config.db, actor=getpass.getuser() + ACTOR_SUFFIX)
        except PbxlabError as exc:
            self.problems.append(f"The extensions store could not be opened: {exc}")
        if config.inputs:
            try:
                self.evidence = load_evidence(config.inputs, domain=config.domain)
            except PbxlabError as exc:
                self.problems.append(f"The capture or log could not be read: {exc}")
        self.header = classed(widgets.HTML(), "pbx-web-header")
        self._show_header()
        children: list[widgets.Widget] = [self.header]
        if self.problems:
            children.append(classed(widgets.HTML(_problems_html(self.problems)), "pbx-web-error"))
        holders = [widgets.VBox([_loading(title)]) for title in WORKBENCH_TABS]
        self.tabs = classed(widgets.Tab(children=holders), "pbx-workbench-tabs")
        self.tabs.titles = WORKBENCH_TABS
        if self.store is not None:
            self.extensions = ExtensionsPage(
                self.store, analysis=self.evidence.analysis if self.evidence else None
            )
            self.extensions.list.on_reliability(self.open_reliability)
            self._set_tab(EXTENSIONS, self.extensions)
            self.tabs.observe(self._tab_opened, names="selected_index")
            children.append(classed(widgets.VBox([self.tabs]), "pbx-workbench"))
        super().__init__(children)
        self.add_class("pbx-web-page")

    # -- the lazily built tabs --------------------------------------------------------------

    def reliability_view(self) -> ReliabilityView:
        """The Reliability view over the loaded evidence (built on the first call)."""
        if self.reliability is None:
            evidence = self.evidence
            self.reliability = ReliabilityView(
                evidence.analysis if evidence else None,
                findings=evidence.findings if evidence else None,
            )
            self._set_tab(RELIABILITY, self.reliability)
        return self.reliability

    def triage_view(self) -> TriageView:
        """The Triage view, showing the loaded evidence (built on the first call)."""
        if self.triage is None:
            self.triage = TriageView(
                directory=self.config.directory, evidence=self.evidence, domain=self.config.domain
            )
            self.triage.on_loaded(self.use)
            self._set_tab(TRIAGE, self.triage)
        return self.triage

    def _set_tab(self, index: int, view: widgets.Widget) -> None:
        holder = self.tabs.children[index]
        holder.children = [view]

    def _tab_opened(self, change: dict[str, Any]) -> None:
        if change["new"] == RELIABILITY:
            self.reliability_view()
        elif change["new"] == TRIAGE:
            self.triage_view()

    # -- what the tabs share ------------------------------------------------------------------

    def use(self, evidence: Evidence) -> None:
        """Take status and history from ``evidence`` (loaded in Triage) in every view."""
        self.evidence = evidence
        if self.extensions is not None:
            self.extensions.list.set_analysis(evidence.analysis)
        if self.reliability is not None:
            self.reliability.set_analysis(evidence.analysis, findings=evidence.findings)
        self._show_header()

    def open_reliability(self, number: str) -> None:
        """Switch to the Reliability tab showing ``number``'s last 24 hours."""
        view = self.reliability_view()
        self.tabs.selected_index = RELIABILITY
        view.show([number])
        end = view.analysis.end if view.analysis is not None else None
        if end is not None:
            view.show_range(end - HISTORY_SPAN, end)

    def _show_header(self) -> None:
        store = html.escape(shown_store(self.config.db))
        if self.evidence is not None:
            names = ", ".join(p.name for p in self.evidence.files)
            shown = f"{html.escape(names)} — {html.escape(self.evidence.summary())}"
        elif self.config.inputs:
            shown = "not loaded"
        else:
            shown = "none given: load a capture or log in the Triage tab"
        self.header.value = f"<b>Store:</b> {store} &nbsp;·&nbsp; <b>Evidence:</b> {shown}"


def _loading(title: str) -> widgets.HTML:
    return classed(widgets.HTML(f"<i>Opening {html.escape(title)}…</i>"), "pbx-web-loading")


def _problems_html(problems: list[str]) -> str:
    lines = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    return f'<ul style="color: #b71c1c; margin: 0.5em 0">{lines}</ul>'


def workbench_page(config: WebConfig | None = None) -> widgets.VBox:
    """The page ``pbxlab web`` serves: a :class:`WebPage` for ``config``.

    ``config`` defaults to the one ``pbxlab web`` passed in the environment; when
    that names a file that is gone, the page says so (nothing is raised).
    """
    if config is None:
        try:
            config = WebConfig.from_environment()
        except PbxlabError as exc:
            problem = f"The page's configuration is not usable: {exc}"
            shown = classed(widgets.HTML(_problems_html([problem])), "pbx-web-error")
            return classed(widgets.VBox([shown]), "pbx-web-page")
    return WebPage(config)
