"""Triage, driven headless: pick or upload evidence, select a finding, see evidence and ladder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pbxlab.extensions import ExtensionStore
from pbxlab.widgets import TriageView, Workbench
from pbxlab.widgets.loading import Evidence
from tests.widgets.conftest import SAMPLES


def test_pick_a_sample_and_read_its_findings() -> None:
    loaded: list[Evidence] = []
    view = TriageView(directory=SAMPLES, on_loaded=loaded.append)
    assert "lab-no-answer.pcap" in view.files.options
    view.files.value = ("lab-no-answer.pcap",)
    view.load_button.click()
    assert len(loaded) == 1 and view.evidence is loaded[0]
    assert view.message.kind == "ok"
    codes = list(view.evidence.findings["code"])
    assert "NAT_INBOUND_BLOCKED" in codes
    assert "pbx-finding-0" in view.findings_table.value
    assert view.selected == 0  # the most severe, selected at once
    assert "NAT_INBOUND_BLOCKED" in view.detail.value
    assert "Evidence messages" in view.evidence_messages.value
    assert len(view.ladder.data) > 0


def test_selecting_a_finding_shows_its_own_evidence(flapping_evidence: Evidence) -> None:
    view = TriageView(evidence=flapping_evidence)
    findings = flapping_evidence.findings
    second = int(findings.index[findings["extension"] == "211"][0])
    view.select_finding(second)
    assert view.finding is not None and view.finding["extension"] == "211"
    assert "211" in view.detail.value
    first_frame = str(view.finding["evidence"]).split(";")[0].rsplit(" ", 1)[1]
    assert f"<td>{first_frame}</td>" in view.evidence_messages.value
    assert "211" in view.ladder.layout.title.text


def test_a_typed_path_and_a_bad_file(tmp_path: Path) -> None:
    view = TriageView()
    view.load_button.click()
    assert view.message.kind == "error"
    assert "Pick a file" in view.message.text
    bad = tmp_path / "notes.pcap"
    bad.write_bytes(b"these are not packets" * 4)
    view.path.value = str(bad)
    view.load_button.click()
    assert view.message.kind == "error"
    assert "notes.pcap" in view.message.text
    assert view.evidence is None


def test_upload_loads_at_once() -> None:
    view = TriageView()
    data = (SAMPLES / "lab-wrong-password.pcap").read_bytes()
    # what the browser sends: the FileUpload widget's value entries
    view.upload.value = (
        {
            "name": "lab-wrong-password.pcap",
            "type": "application/vnd.tcpdump.pcap",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime(2026, 11, 26, tzinfo=UTC),
        },
    )
    assert view.evidence is not None
    assert "AUTH_FAILURE" in set(view.evidence.findings["code"])
    assert view.evidence.captures[0].name == "lab-wrong-password.pcap"


def test_a_healthy_capture_has_no_finding() -> None:
    view = TriageView()
    view.load([SAMPLES / "lab-healthy.pcap"])
    assert view.evidence is not None and view.evidence.findings.empty
    assert "No finding" in view.findings_table.value
    assert view.finding is None


def test_workbench_feeds_status_and_reliability(store: ExtensionStore) -> None:
    bench = Workbench(store, directory=SAMPLES)
    assert bench.tabs.titles == ("Extensions", "Reliability", "Triage")
    bench.triage.load([SAMPLES / "lab-flapping.pcap"])
    row = bench.extensions.list.row("210")
    assert row.state.value == "🟢 Online"
    assert set(bench.reliability.extensions.options) == {"210", "211"}
    row.reliability.click()
    assert bench.tabs.selected_index == 1
    assert bench.reliability.extensions.value == ("210",)
