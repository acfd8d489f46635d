"""The workbench, driven headless: tabs built on first opening, evidence shared by every view."""

from __future__ import annotations

import pandas as pd

from pbxlab.extensions import ExtensionStore
from pbxlab.widgets import ReliabilityView, TriageView, Workbench
from pbxlab.widgets.loading import Evidence, load_evidence
from pbxlab.widgets.workbench import RELIABILITY, TRIAGE
from tests.widgets.conftest import SAMPLES


def opening_notice(bench: Workbench, index: int) -> str:
    (shown,) = bench.tabs.children[index].children
    assert "pbx-workbench-loading" in shown._dom_classes
    return str(shown.value)


def test_reliability_and_triage_are_built_when_their_tab_opens(
    store: ExtensionStore, flapping_evidence: Evidence
) -> None:
    bench = Workbench(store, evidence=flapping_evidence, directory=SAMPLES)
    assert bench.tabs.titles == ("Extensions", "Reliability", "Triage")
    assert bench._dom_classes == ("pbx-workbench",)
    assert bench.tabs._dom_classes == ("pbx-workbench-tabs",)
    assert bench.built_tabs() == ("Extensions",)
    assert opening_notice(bench, RELIABILITY) == "<i>Opening Reliability…</i>"
    assert opening_notice(bench, TRIAGE) == "<i>Opening Triage…</i>"
    assert bench.extensions.list.row("210").state_label == "🟢 Online"

    bench.tabs.selected_index = RELIABILITY
    assert bench.built_tabs() == ("Extensions", "Reliability")
    (view,) = bench.tabs.children[RELIABILITY].children
    assert isinstance(view, ReliabilityView) and view is bench.reliability_view()
    assert view.extensions.value == ("210", "211")
    assert [t.name for t in view.figure.data] == ["FLAPPING", "Online", "Offline", "state change"]

    bench.tabs.selected_index = TRIAGE
    (triage,) = bench.tabs.children[TRIAGE].children
    assert isinstance(triage, TriageView) and triage is bench.triage_view()
    assert triage.evidence is flapping_evidence
    assert "lab-flapping.pcap" in triage.files.options
    bench.tabs.selected_index = RELIABILITY
    assert bench.reliability_view() is view  # built once


def test_evidence_loaded_in_triage_feeds_status_reliability_and_subscribers(
    store: ExtensionStore,
) -> None:
    taken: list[Evidence] = []
    bench = Workbench(store, directory=SAMPLES)
    bench.on_evidence(taken.append)
    assert bench.evidence is None
    assert bench.extensions.list.table["state"].isna().all()
    evidence = bench.triage_view().load([SAMPLES / "lab-flapping.pcap"])
    assert evidence is not None and bench.evidence is evidence and taken == [evidence]
    row = bench.extensions.list.row("210")
    assert row.state_label == "🟢 Online"
    assert set(bench.reliability_view().extensions.options) == {"210", "211"}
    row.reliability.click()
    assert bench.tabs.selected_index == RELIABILITY
    assert bench.reliability_view().extensions.value == ("210",)


def test_a_rows_reliability_button_builds_the_view_on_the_last_24_hours(
    store: ExtensionStore, flapping_evidence: Evidence
) -> None:
    bench = Workbench(store, evidence=flapping_evidence)
    bench.extensions.list.row("211").reliability.click()
    assert bench.tabs.selected_index == RELIABILITY
    view = bench.reliability_view()
    assert view.extensions.value == ("211",)
    analysis = flapping_evidence.analysis
    assert analysis.start is not None and analysis.end is not None
    # the whole capture is shorter than 24 h: the range is all of it
    assert analysis.end - analysis.start < pd.Timedelta("24h")
    assert view.window == (analysis.start, analysis.end)


def test_use_reaches_the_views_built_before_and_after(
    store: ExtensionStore, flapping_evidence: Evidence
) -> None:
    healthy = load_evidence(SAMPLES / "lab-healthy.pcap")
    bench = Workbench(store, evidence=healthy)
    reliability = bench.reliability_view()
    assert "210" not in reliability.extensions.options
    bench.use(flapping_evidence)
    assert bench.evidence is flapping_evidence
    assert set(reliability.extensions.options) == {"210", "211"}
    assert bench.built_tabs() == ("Extensions", "Reliability")
    assert bench.triage_view().evidence is flapping_evidence  # built after: shows it too
    bench.use(healthy)
    assert bench.triage_view().evidence is healthy  # built before: follows
    assert "210" not in reliability.extensions.options


def test_without_evidence_the_views_open_empty(store: ExtensionStore) -> None:
    bench = Workbench(store)
    bench.extensions.list.row("201").reliability.click()
    view = bench.reliability_view()
    assert bench.tabs.selected_index == RELIABILITY
    assert view.analysis is None and view.extensions.options == ()
    assert bench.triage_view().evidence is None
