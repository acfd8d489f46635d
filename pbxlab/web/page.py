"""The served page: a line saying what is shown, and the workbench.

Strategy: composition -- a header line (the store, the evidence), the
problems met opening them, and a :class:`pbxlab.widgets.Workbench` (which
builds its Reliability and Triage tabs the first time they are opened: in
Voilà, FigureWidgets made before the browser connects show empty axes or
time out; see :mod:`pbxlab.widgets.workbench`).  Evidence loaded in Triage
updates the header through :meth:`Workbench.on_evidence`.

A person using the page cannot read a traceback: a store that does not open,
or evidence that does not load, is shown as one sentence at the top -- with
the evidence missing, the extensions are still listed and editable.
"""

from __future__ import annotations

import getpass
import html

import ipywidgets as widgets

from pbxlab.errors import PbxlabError
from pbxlab.extensions.store import ExtensionStore
from pbxlab.web.config import WebConfig, shown_store
from pbxlab.widgets.common import classed
from pbxlab.widgets.loading import Evidence, load_evidence
from pbxlab.widgets.workbench import Workbench

__all__ = ["WebPage", "workbench_page"]

ACTOR_SUFFIX = " (web)"
"""Appended to the OS user in the audit log: the change came through the web page."""


class WebPage(widgets.VBox):
    """What ``pbxlab web`` shows for ``config``: a header line and the workbench.

    :attr:`store` is None when it could not be opened, and then there is no
    :attr:`workbench`; :attr:`problems` says why, one sentence each.
    :attr:`evidence` is what the page shows (None when none was given or it
    could not be loaded, until evidence is loaded in the Triage tab).
    """

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.problems: list[str] = []
        self.store: ExtensionStore | None = None
        self.workbench: Workbench | None = None
        self._evidence: Evidence | None = None
        try:
            self.store = ExtensionStore.open(config.db, actor=getpass.getuser() + ACTOR_SUFFIX)
        except PbxlabError as exc:
            self.problems.append(f"The extensions store could not be opened: {exc}")
        if config.inputs:
            try:
                self._evidence = load_evidence(config.inputs, domain=config.domain)
            except PbxlabError as exc:
                self.problems.append(f"The capture or log could not be read: {exc}")
        self.header = classed(widgets.HTML(), "pbx-web-header")
        children: list[widgets.Widget] = [self.header]
        if self.problems:
            children.append(classed(widgets.HTML(_problems_html(self.problems)), "pbx-web-error"))
        if self.store is not None:
            self.workbench = Workbench(
                self.store,
                evidence=self._evidence,
                directory=config.directory,
                domain=config.domain,
            )
            self.workbench.on_evidence(self._evidence_taken)
            children.append(self.workbench)
        self._show_header()
        super().__init__(children)
        self.add_class("pbx-web-page")

    @property
    def evidence(self) -> Evidence | None:
        """The evidence the page shows (the workbench's, once it has a store)."""
        return self.workbench.evidence if self.workbench is not None else self._evidence

    def _evidence_taken(self, evidence: Evidence) -> None:
        self._show_header()

    def _show_header(self) -> None:
        store = html.escape(shown_store(self.config.db))
        evidence = self.evidence
        if evidence is not None:
            names = ", ".join(p.name for p in evidence.files)
            shown = f"{html.escape(names)} — {html.escape(evidence.summary())}"
        elif self.config.inputs:
            shown = "not loaded"
        else:
            shown = "none given: load a capture or log in the Triage tab"
        self.header.value = f"<b>Store:</b> {store} &nbsp;·&nbsp; <b>Evidence:</b> {shown}"


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
