"""The served page built headless: header, problems shown in place, tabs built on demand."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbxlab.extensions import ExtensionStore
from pbxlab.web.config import ENV_DB, ENV_INPUTS, WebConfig
from pbxlab.web.page import ACTOR_SUFFIX, WebPage, workbench_page
from pbxlab.widgets.workbench import RELIABILITY, Workbench
from tests.conftest import SAMPLES
from tests.webapp.conftest import CAPTURE, seed_tenant


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "tenant.db"
    with ExtensionStore.open(str(path)) as store:
        seed_tenant(store)
    return path


def test_the_page_shows_store_evidence_and_the_extensions_with_status(db: Path) -> None:
    page = WebPage(WebConfig.checked(str(db), [CAPTURE]))
    assert page.problems == []
    assert f"<b>Store:</b> {db}" in page.header.value
    assert "lab-flapping.pcap — 1 capture(s), 0 log(s)" in page.header.value
    assert isinstance(page.workbench, Workbench)
    assert page.children == (page.header, page.workbench)
    assert page.workbench.evidence is page.evidence
    table = page.workbench.extensions.list.table.set_index("number")
    assert table.loc["210", "state"] == "online"
    assert table.loc["211", "state"] == "offline"
    assert page.workbench.tabs.titles == ("Extensions", "Reliability", "Triage")
    assert page.workbench.built_tabs() == ("Extensions",)  # the rest on first opening


def test_a_rows_reliability_button_opens_that_extension(db: Path) -> None:
    page = WebPage(WebConfig.checked(str(db), [CAPTURE]))
    assert page.workbench is not None
    page.workbench.extensions.list.row("211").reliability.click()
    assert page.workbench.tabs.selected_index == RELIABILITY
    assert page.workbench.reliability_view().extensions.value == ("211",)


def test_evidence_loaded_in_triage_reaches_the_list_and_the_header(db: Path) -> None:
    page = WebPage(WebConfig.checked(str(db)))
    assert "none given: load a capture or log in the Triage tab" in page.header.value
    assert page.workbench is not None and page.evidence is None
    assert page.workbench.extensions.list.table["state"].isna().all()
    page.workbench.triage_view().load([CAPTURE])
    assert page.evidence is not None
    assert "lab-flapping.pcap" in page.header.value
    table = page.workbench.extensions.list.table.set_index("number")
    assert table.loc["210", "state"] == "online"


def test_edits_are_audited_as_made_on_the_web(db: Path) -> None:
    page = WebPage(WebConfig.checked(str(db)))
    assert page.store is not None
    page.store.update("202", {"name": "Robert Stone"})
    assert page.store.audit_log("202")["actor"].iloc[-1].endswith(ACTOR_SUFFIX)


def test_unreadable_evidence_is_said_on_the_page_and_the_extensions_stay(
    db: Path, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"this is not a capture at all\n" * 4)
    page = WebPage(WebConfig.checked(str(db), [junk]))
    assert len(page.problems) == 1
    assert page.problems[0].startswith("The capture or log could not be read: ")
    assert "junk.pcap" in page.problems[0]
    assert "<b>Evidence:</b> not loaded" in page.header.value
    assert page.workbench is not None and len(page.workbench.extensions.list.table) == 5
    assert "pbx-web-error" in page.children[1]._dom_classes


def test_a_store_that_does_not_open_is_said_on_the_page(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a SQLite database" * 100)
    page = WebPage(WebConfig.checked(str(broken), [CAPTURE]))
    assert page.store is None and page.workbench is None
    assert page.problems[0].startswith("The extensions store could not be opened: ")
    assert [c._dom_classes for c in page.children] == [("pbx-web-header",), ("pbx-web-error",)]


def test_the_environment_names_what_the_page_shows(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_DB, str(db))
    monkeypatch.setenv(ENV_INPUTS, str(CAPTURE))
    page = workbench_page()
    assert isinstance(page, WebPage) and page.config.inputs == (CAPTURE,)
    monkeypatch.setenv(ENV_INPUTS, str(SAMPLES / "gone.pcap"))
    shown = workbench_page()
    assert not isinstance(shown, WebPage)
    assert "gone.pcap: no such file" in shown.children[0].value
