"""The Extensions list, driven headless: search, sort, pages, status, bulk and row actions."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from pbxlab.analysis import Analysis
from pbxlab.errors import InputError
from pbxlab.extensions import Extension, ExtensionStore, validated
from pbxlab.widgets import ExtensionsList, state_label


def test_rows_show_the_guides_columns(store: ExtensionStore) -> None:
    view = ExtensionsList(store)
    assert view.shown_numbers == ["201", "202", "210", "211"]
    alice = view.row("201")
    assert alice.name.value == "Alice"
    assert alice.username.value == "201"
    assert alice.voicemail.value is True
    assert alice.phones.value == "1: Yealink T46S (00:15:65:1a:2b:3c)"
    assert alice.state.value == "– Unknown"  # no evidence loaded
    assert "pbx-row-201" in alice.box._dom_classes
    assert view.row("202").username.value == "bob202"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("20", ["201", "202"]),
        ("b202", ["202"]),  # SIP username only
        ("bob", ["202"]),  # SIP username
        ("ALI", ["201"]),  # name, case-insensitive
        ("21", ["210", "211"]),
        ("nobody", []),
    ],
)
def test_search_by_number_name_or_username(
    store: ExtensionStore, query: str, expected: list[str]
) -> None:
    view = ExtensionsList(store)
    view.search.value = query
    assert view.shown_numbers == expected


def test_header_click_sorts_and_a_second_click_reverses(store: ExtensionStore) -> None:
    view = ExtensionsList(store)
    header = view._header_buttons["name"]
    header.click()
    assert view.shown_numbers == ["201", "202", "210", "211"]  # Alice Bob Carol Dave
    assert header.description == "Name ▲"
    header.click()
    assert view.shown_numbers == ["211", "210", "202", "201"]
    assert header.description == "Name ▼"
    view.sort_by("sip_username")
    assert view.shown_numbers == ["201", "210", "211", "202"]  # "bob202" after digits
    with pytest.raises(InputError, match="cannot sort by 'colour'"):
        view.sort_by("colour")


def test_pages_of_a_larger_tenant(store: ExtensionStore) -> None:
    store.import_extensions(
        [validated(Extension, number=str(n), name=f"User {n}") for n in range(300, 330)]
    )
    view = ExtensionsList(store, page_size=10)
    assert view.page_count == 4
    assert view.page_label.value == "1–10 of 34"
    view.next_page.click()
    assert view.shown_numbers[0] == "306"
    assert not view.prev_page.disabled
    view.go_to_page(99)
    assert view.shown_numbers == ["326", "327", "328", "329"]
    assert view.next_page.disabled
    assert sum(r.box.layout.display != "none" for r in view._rows) == 4
    view.search.value = "User 31"
    assert view.page == 0
    assert view.page_label.value == "1–10 of 10 (of 34)"


def test_status_comes_from_the_analysis_at_the_chosen_time(
    store: ExtensionStore, flapping: Analysis
) -> None:
    view = ExtensionsList(store, analysis=flapping)
    # at the end of the capture 210 is registered, 211 has just unregistered
    assert view.row("210").state.value == "🟢 Online"
    assert view.row("211").state.value == "⚫ Offline"
    assert view.row("210").phones.value == "1: pbxlab-lab-phone/1.0"
    assert view.row("201").state.value == "– Unknown"  # not in this capture
    assert view.time_box.layout.display == ""
    # before 210's first REGISTER nothing is known about it
    view.show_status_at(flapping.start)
    assert view.status_time == flapping.start
    assert view.row("210").state.value in {"– Unknown", "🟢 Online"}
    history = flapping.status[flapping.status["extension"] == "211"]
    offline = history[history["state"] == "offline"].iloc[0]
    view.show_status_at(offline["start"] + (offline["end"] - offline["start"]) / 2)
    assert view.row("211").state.value == "⚫ Offline"
    assert view.time_label.value.endswith("UTC")


def test_sort_by_status_follows_the_guides_order(store: ExtensionStore, flapping: Analysis) -> None:
    view = ExtensionsList(store, analysis=flapping)
    view.sort_by("state")
    assert view.shown_numbers == ["210", "211", "201", "202"]  # online, offline, unknown


def test_set_status_replaces_or_merges_pushed_states(store: ExtensionStore) -> None:
    view = ExtensionsList(store)
    view.set_status(pd.DataFrame({"extension": ["201", "202"], "state": ["in_use", "ringing"]}))
    assert view.row("201").state.value == "🔴 In Use"
    assert view.row("202").state.value == "🟡 Ringing"
    view.set_status(pd.DataFrame({"extension": ["202"], "state": ["online"]}), merge=True)
    assert view.row("201").state.value == "🔴 In Use"
    assert view.row("202").state.value == "🟢 Online"
    view.set_status(pd.DataFrame({"extension": ["202"], "state": ["offline"]}))
    assert view.row("201").state.value == state_label(None)
    with pytest.raises(InputError, match="unknown state"):
        view.set_status(pd.DataFrame({"extension": ["201"], "state": ["dancing"]}))


def test_voicemail_toggle_writes_the_store(store: ExtensionStore) -> None:
    view = ExtensionsList(store)
    view.row("202").voicemail.value = False
    assert store.get("202").voicemail.enabled is False
    assert view.table.set_index("number").loc["202", "voicemail"] == False  # noqa: E712
    assert "Voicemail off" in view.message.text


def test_bulk_export_voicemail_and_profile_act_on_the_selection(store: ExtensionStore) -> None:
    view = ExtensionsList(store)
    assert view.bulk_export.disabled  # nothing selected
    view.row("201").select.value = True
    view.row("210").select.value = True
    assert view.selection_label.value == "2 selected"
    text = view.export_selected()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["number"] for r in rows] == ["201", "210"]
    assert "sip_password" not in rows[0]  # secrets only when asked
    assert 'download="extensions.csv"' in view.export_link.value
    view.bulk_voicemail_off.click()
    assert [store.get(n).voicemail.enabled for n in ("201", "202", "210")] == [False, True, False]
    assert view.row("210").voicemail.value is False
    # 210 has no phone: the profile is applied to nobody (all or nothing)
    view.bulk_profile.value = "warehouse"
    view.bulk_profile_apply.click()
    assert view.message.kind == "error"
    assert "210 has no phone" in view.message.text
    assert store.get("201").phones[0].profile == "office"
    view.select("210", False)
    view.bulk_profile_apply.click()
    assert store.get("201").phones[0].profile == "warehouse"


def test_select_all_takes_what_the_search_shows(store: ExtensionStore) -> None:
    view = ExtensionsList(store)
    view.search.value = "21"
    view.select_all.value = True
    assert view.selected_numbers == ["210", "211"]
    view.search.value = ""
    assert [view.row(n).select.value for n in view.shown_numbers] == [False, False, True, True]


def test_copy_password_reveals_it_on_request_and_audits(store: ExtensionStore) -> None:
    view = ExtensionsList(store)
    assert view.password_box.layout.display == "none"
    view.row("201").copy_password.click()
    assert view.password.value == store.get("201").sip_password.get_secret_value()
    assert "reveal_password" in set(store.audit_log()["action"])
    view.password_hide.click()
    assert view.password.value == ""


def test_reset_password_asks_then_shows_the_new_one(store: ExtensionStore) -> None:
    view = ExtensionsList(store)
    before = store.get("202").sip_password.get_secret_value()
    view.row("202").reset_password.click()
    assert view.confirm_bar.pending
    view.confirm_bar.cancel.click()
    assert store.get("202").sip_password.get_secret_value() == before
    view.row("202").reset_password.click()
    view.confirm_bar.confirm.click()
    after = store.get("202").sip_password.get_secret_value()
    assert after != before
    assert view.password.value == after


def test_delete_asks_and_refuses_while_referenced(store: ExtensionStore) -> None:
    store.update("201", {"fmfm.enabled": True, "fmfm.destinations": "extension:202@20"})
    view = ExtensionsList(store)
    view.row("202").delete.click()
    view.confirm_bar.confirm.click()
    assert view.message.kind == "error"
    assert "still referenced" in view.message.text
    assert store.exists("202")
    view.row("202").delete.click()
    view.confirm_bar.option.value = True  # also detach references
    view.confirm_bar.confirm.click()
    assert not store.exists("202")
    assert view.shown_numbers == ["201", "210", "211"]
    assert store.get("201").fmfm.enabled is False  # its only destination was removed


def test_reboot_without_a_contact_says_why(store: ExtensionStore) -> None:
    view = ExtensionsList(store, reboot_timeout=0.5)
    view.row("201").reboot.click()
    assert view.message.kind == "error"
    assert "no registered contact" in view.message.text


def test_edit_calls_back_with_the_number(store: ExtensionStore) -> None:
    opened: list[str] = []
    view = ExtensionsList(store, on_edit=opened.append)
    view.row("210").edit.click()
    view.row("211").open.click()
    assert opened == ["210", "211"]


def test_bulk_voicemail_on_a_large_selection_reloads_once(store: ExtensionStore) -> None:
    store.import_extensions(
        [validated(Extension, number=str(n), name=f"User {n}") for n in range(300, 380)]
    )
    view = ExtensionsList(store)
    view.select_all.value = True
    view.bulk_voicemail_off.click()
    assert view.message.text == "Voicemail off for 84 extension(s) (84 changed)."
    assert not view.table["voicemail"].any()
    assert not any(e.voicemail.enabled for e in store.extensions())
