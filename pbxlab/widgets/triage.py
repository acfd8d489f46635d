"""Triage: pick or upload a capture/log, read the findings, open one's evidence and ladder.

Strategy: loading is :func:`pbxlab.widgets.loading.load_evidence` (read,
analyse, diagnose); the findings table is the FINDINGS frame as it comes
(critical first); selecting a finding shows its evidence -- the SIP messages
its ``file:frame N`` pointers name (:func:`pbxlab.plots.ladder_messages`) and
the registrar-log lines its ``file:line N`` pointers name -- and the ladder
diagram of the dialogs those messages belong to (:func:`pbxlab.plots.ladder`).
Other views subscribe with :meth:`TriageView.on_loaded` to follow what is loaded.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from pbxlab.errors import PbxlabError
from pbxlab.plots import SEVERITY_COLOURS, empty_figure, ladder, ladder_messages
from pbxlab.widgets.common import Notice, button, classed, replace_figure
from pbxlab.widgets.loading import Evidence, evidence_events, load_evidence, save_uploads

__all__ = ["EVIDENCE_COLUMNS", "EVIDENCE_SUFFIXES", "TriageView"]

EVIDENCE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".gz", ".log", ".txt", ".csv", ".jsonl")
"""Files offered by the picker (captures, compressed captures/logs, logs)."""

EVIDENCE_COLUMNS = (
    "source_file",
    "frame",
    "ts",
    "src",
    "sport",
    "dst",
    "dport",
    "method",
    "status",
    "reason",
    "cseq_method",
    "from_user",
    "to_user",
    "call_id",
    "user_agent",
)
"""The MESSAGES columns shown for a finding's evidence."""

LoadedCallback = Callable[[Evidence], Any]


class TriageView(widgets.VBox):
    """Findings of the evidence picked from ``directory`` (or any path, or an upload).

    ``evidence`` shows an already loaded :class:`Evidence`; ``domain`` keeps one
    tenant of a multi-tenant capture.
    """

    def __init__(
        self,
        *,
        directory: str | os.PathLike[str] | None = None,
        evidence: Evidence | None = None,
        domain: str | None = None,
        on_loaded: LoadedCallback | None = None,
    ) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.domain = domain
        self.evidence: Evidence | None = None
        self.selected: int | None = None
        self._loaded_callbacks: list[LoadedCallback] = [on_loaded] if on_loaded else []
        self.files = classed(
            widgets.SelectMultiple(
                description="Files", rows=6, layout=widgets.Layout(width="460px")
            ),
            "pbx-triage-files",
        )
        self.path = classed(
            widgets.Text(
                description="or path",
                placeholder="/path/to/capture.pcap",
                layout=widgets.Layout(width="460px"),
            ),
            "pbx-triage-path",
        )
        self.load_button = button("Load and diagnose", "pbx-triage-load", style="primary")
        self.load_button.on_click(lambda _: self.load_selected())
        self.upload = classed(
            widgets.FileUpload(
                accept=",".join(EVIDENCE_SUFFIXES), multiple=True, description="Upload"
            ),
            "pbx-triage-upload",
        )
        self.upload.observe(lambda _: self.load_uploads(), names="value")
        self.message = Notice("pbx-triage-message")
        self.findings_table = classed(widgets.HTML(), "pbx-findings-table")
        self.findings = classed(
            widgets.Select(description="Finding", rows=8, layout=widgets.Layout(width="100%")),
            "pbx-findings",
        )
        self.findings.observe(self._finding_picked, names="value")
        self.detail = classed(widgets.HTML(), "pbx-finding-detail")
        self.evidence_messages = classed(widgets.HTML(), "pbx-evidence-messages")
        self.ladder = classed(go.FigureWidget(), "pbx-ladder")
        super().__init__(
            [
                widgets.HBox(
                    [
                        widgets.VBox([self.files, self.path]),
                        widgets.VBox([self.load_button, self.upload]),
                    ]
                ),
                self.message,
                self.findings_table,
                self.findings,
                self.detail,
                self.evidence_messages,
                self.ladder,
            ]
        )
        self.add_class("pbx-triage")
        self.refresh_files()
        if evidence is not None:
            self.show(evidence)
        else:
            self._show_finding(None)

    # -- loading ---------------------------------------------------------------------------

    def refresh_files(self) -> None:
        """List the evidence files of ``directory`` in the picker."""
        if self.directory is None or not self.directory.is_dir():
            self.files.options = []
            self.files.layout.display = "none"
            return
        names = sorted(
            p.name
            for p in self.directory.iterdir()
            if p.is_file() and p.name.lower().endswith(EVIDENCE_SUFFIXES)
        )
        self.files.options = names
        self.files.layout.display = ""

    def on_loaded(self, callback: LoadedCallback) -> None:
        """Call ``callback(evidence)`` each time new evidence is loaded."""
        self._loaded_callbacks.append(callback)

    def load_selected(self) -> Evidence | None:
        """Load the files picked in the list and the typed path (either or both)."""
        chosen: list[Path] = []
        if self.directory is not None:
            chosen += [self.directory / name for name in self.files.value]
        typed = self.path.value.strip()
        if typed:
            chosen.append(Path(typed).expanduser())
        if not chosen:
            self.message.error("Pick a file, type a path or upload a capture or log first.")
            return None
        return self.load(chosen)

    def load_uploads(self) -> Evidence | None:
        """Load what was uploaded (saved to a private temporary directory first)."""
        if not self.upload.value:
            return None
        try:
            paths = save_uploads(list(self.upload.value))
        except PbxlabError as exc:
            self.message.error(str(exc))
            return None
        return self.load(paths)

    def load(self, paths: Iterable[str | os.PathLike[str]]) -> Evidence | None:
        """Read, analyse and diagnose ``paths``; shows the findings (or the error)."""
        chosen = [Path(p) for p in paths]
        self.message.info(f"Reading {', '.join(p.name for p in chosen)}…")
        try:
            evidence = load_evidence(chosen, domain=self.domain)
        except PbxlabError as exc:
            self.message.error(str(exc))
            return None
        self.show(evidence)
        for callback in self._loaded_callbacks:
            callback(evidence)
        return evidence

    # -- findings --------------------------------------------------------------------------

    def show(self, evidence: Evidence) -> None:
        """Show the findings of ``evidence`` (the first one selected)."""
        self.evidence = evidence
        self.message.ok(evidence.summary())
        findings = evidence.findings
        self.findings_table.value = _findings_html(findings)
        self.findings.options = [(_finding_label(row), i) for i, row in enumerate(_rows(findings))]
        if len(findings):
            self.findings.value = 0
            self._show_finding(0)
        else:
            self._show_finding(None)

    @property
    def finding(self) -> pd.Series | None:
        """The selected finding (a FINDINGS row), None when none is."""
        if self.evidence is None or self.selected is None:
            return None
        return self.evidence.findings.iloc[self.selected]

    def select_finding(self, index: int) -> None:
        """Select finding ``index`` (its row in the findings table)."""
        self.findings.value = index

    def _finding_picked(self, change: dict[str, Any]) -> None:
        new = change["new"]
        self._show_finding(None if new is None else int(new))

    def _show_finding(self, index: int | None) -> None:
        self.selected = index
        finding = self.finding
        if self.evidence is None or finding is None:
            self.detail.value = ""
            self.evidence_messages.value = ""
            text = "Load a capture or log" if self.evidence is None else "No finding"
            replace_figure(self.ladder, empty_figure(f"{text}: no call flow to draw."))
            return
        pointers = _text(finding["evidence"])
        messages = self.evidence.analysis.messages
        shown = ladder_messages(messages, evidence=pointers) if pointers else messages.head(0)
        events = evidence_events(self.evidence.analysis.events, pointers)
        self.detail.value = _detail_html(finding)
        self.evidence_messages.value = _evidence_html(shown, events)
        subject = _text(finding["extension"]) or _text(finding["source"]) or ""
        title = f"{finding['code']} {subject}: the flow of the evidence".strip()
        if len(shown):
            figure = ladder(messages, evidence=pointers, whole_dialogs=True, title=title)
        else:
            figure = empty_figure(
                "The evidence of this finding is in a registrar log: no SIP messages to draw."
                if len(events)
                else "This finding points at no SIP message."
            )
        replace_figure(self.ladder, figure)


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value) or None


def _finding_label(row: dict[str, Any]) -> str:
    subject = _text(row["extension"]) or _text(row["source"]) or "—"
    label = f"{str(row['severity']).upper()} · {subject} · {row['code']} — {row['summary']}"
    return label if len(label) <= 140 else label[:139] + "…"


def _severity_html(severity: str) -> str:
    colour = SEVERITY_COLOURS.get(severity, "#57606a")
    return f'<b style="color:{colour}">{html.escape(severity)}</b>'


def _findings_html(findings: pd.DataFrame) -> str:
    if findings.empty:
        return "<p><b>No finding</b>: nothing in this evidence matches a diagnosis rule.</p>"
    head = (
        "<tr><th>Severity</th><th>Extension</th><th>Code</th><th>Summary</th><th>Action</th></tr>"
    )
    body = []
    for i, row in enumerate(_rows(findings)):
        subject = _text(row["extension"]) or _text(row["source"]) or "—"
        body.append(
            f'<tr class="pbx-finding-row pbx-finding-{i}">'
            f"<td>{_severity_html(str(row['severity']))}</td>"
            f"<td>{html.escape(subject)}</td>"
            f"<td>{html.escape(str(row['code']))}</td>"
            f"<td>{html.escape(str(row['summary']))}</td>"
            f"<td>{html.escape(_text(row['action']) or '')}</td>"
            "</tr>"
        )
    return f'<table class="pbx-findings-rows">{head}{"".join(body)}</table>'


def _detail_html(finding: pd.Series) -> str:
    def when(value: Any) -> str:
        return "–" if value is None or pd.isna(value) else f"{value:%Y-%m-%d %H:%M:%S} UTC"

    subject = _text(finding["extension"]) or _text(finding["source"]) or "—"
    domain = _text(finding["domain"])
    return (
        f"<h4>{html.escape(str(finding['code']))} — {html.escape(subject)}"
        f"{' @ ' + html.escape(domain) if domain else ''} "
        f"({_severity_html(str(finding['severity']))})</h4>"
        f"<p>{html.escape(str(finding['summary']))}</p>"
        f"<p><b>Action:</b> {html.escape(_text(finding['action']) or '–')}</p>"
        f"<p><small>First seen {when(finding['first_seen'])}, last seen "
        f"{when(finding['last_seen'])}. Evidence: "
        f"{html.escape((_text(finding['evidence']) or '–').replace(';', '; '))}</small></p>"
    )


def _evidence_html(messages: pd.DataFrame, events: pd.DataFrame) -> str:
    parts = []
    if len(messages):
        shown = messages[[c for c in EVIDENCE_COLUMNS if c in messages.columns]]
        parts.append(
            f"<b>Evidence messages ({len(shown)})</b>"
            + shown.to_html(index=False, na_rep="", classes="pbx-evidence-table", border=0)
        )
    if len(events):
        columns = [
            "source_file",
            "line",
            "ts",
            "event",
            "extension",
            "contact",
            "source",
            "user_agent",
        ]
        shown = events[[c for c in columns if c in events.columns]]
        parts.append(
            f"<b>Evidence log lines ({len(shown)})</b>"
            + shown.to_html(index=False, na_rep="", classes="pbx-evidence-table", border=0)
        )
    return "".join(parts) or "<i>No evidence pointer resolves in the loaded files.</i>"
