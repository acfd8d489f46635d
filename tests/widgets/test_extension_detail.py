"""The extension detail view, driven headless: tabs, validation next to fields, save/cancel."""

from __future__ import annotations

import pytest

from pbxlab.extensions import Did, ExtensionStore
from pbxlab.widgets import TABS, ExtensionDetail, ExtensionsPage


def test_tabs_and_fields_show_the_stored_extension(store: ExtensionStore) -> None:
    store.update("201", {"voicemail.email_recipients": "a@example.com;b@example.com"})
    view = ExtensionDetail(store, "201")
    assert view.tabs.titles == TABS
    assert view.fields["name"].widget.value == "Alice"
    assert view.fields["voicemail.email_recipients"].widget.value == "a@example.com; b@example.com"
    assert view.fields["ring_timeout"].widget.value == 25
    assert "pbx-field-voicemail-enabled" in view.fields["voicemail.enabled"].widget._dom_classes
    assert view.fields["sip_username"].widget.disabled  # read-only
    assert "sip_username" not in view.changes()


def test_password_is_masked_until_revealed(store: ExtensionStore) -> None:
    view = ExtensionDetail(store, "201")
    assert view.password.value == "********"
    view.reveal_button.click()
    assert view.password.value == store.get("201").sip_password.get_secret_value()
    view.hide_button.click()
    assert view.password.value == "********"
    assert list(store.audit_log()["action"]).count("reveal_password") == 1


def test_save_writes_the_changed_fields(store: ExtensionStore) -> None:
    saved: list[tuple[str, str]] = []
    view = ExtensionDetail(store, "201", on_saved=lambda old, new: saved.append((old, new)))
    view.fields["name"].widget.value = "Alice Smith"
    view.fields["voicemail.enabled"].widget.value = False
    view.fields["voicemail.pin"].widget.value = "4321"
    view.fields["caller_id.outbound_did"].widget.value = "+15551230000"
    view.fields["directory.last_name"].widget.value = "Smith"
    view.fields["ring_timeout"].widget.value = 40
    view.save_button.click()
    assert view.message.kind == "ok"
    stored = store.get("201")
    assert stored.name == "Alice Smith"
    assert stored.voicemail.enabled is False
    assert stored.voicemail.pin is not None
    assert stored.voicemail.pin.get_secret_value() == "4321"
    assert stored.caller_id.outbound_did == "+15551230000"
    assert stored.directory.last_name == "Smith"
    assert stored.ring_timeout == 40
    assert saved == [("201", "201")]
    assert view.fields["voicemail.pin"].widget.value == ""  # write-only


def test_a_blank_pin_keeps_the_stored_one(store: ExtensionStore) -> None:
    store.update("201", {"voicemail.pin": "1234"})
    view = ExtensionDetail(store, "201")
    view.fields["name"].widget.value = "Alice B"
    assert view.save()
    pin = store.get("201").voicemail.pin
    assert pin is not None and pin.get_secret_value() == "1234"


@pytest.mark.parametrize(
    ("field", "value", "tab", "message"),
    [
        ("voicemail.pin", "12", "Voicemail", "must be 4 to 10 digits"),
        ("ring_timeout", 2, "General", "5"),
        ("name", "", "General", ""),
        ("caller_id.outbound_did", "555-1234", "General", "E.164"),
        ("voicemail.box", "999", "Voicemail", "no voicemail box 999"),
        ("directory.recorded_name_file", "name.exe", "Directory", ""),
        ("caller_id.cnam", "x" * 30, "Caller ID", "15"),
    ],
)
def test_validation_errors_show_next_to_the_field(
    store: ExtensionStore, field: str, value: object, tab: str, message: str
) -> None:
    view = ExtensionDetail(store, "201")
    view.fields[field].widget.value = value
    assert not view.save()
    assert set(view.errors) == {field}
    assert message in view.errors[field]
    assert f"{tab} ⚠" in view.tabs.titles
    assert view.message.kind == "error"
    assert store.get("201").name == "Alice"  # nothing stored
    view.cancel_button.click()
    assert view.errors == {}
    assert view.tabs.titles == TABS


def test_fmfm_destinations_add_reorder_remove(store: ExtensionStore) -> None:
    view = ExtensionDetail(store, "201")
    editor = view.destinations
    view.fields["fmfm.enabled"].widget.value = True
    view.fields["fmfm.strategy"].widget.value = "sequential"
    editor.add.click()
    editor.add.click()
    editor.add.click()
    first, second, third = editor.rows
    first.children[2].value = "202"  # target
    second.children[1].value = "external"  # kind
    second.children[2].value = "+15551234567"
    second.children[3].value = 30  # ring timeout
    third.children[1].value = "voicemail"
    third.children[2].value = "201"
    editor.rows[1].children[4].click()  # second one up
    assert view.save(), view.errors
    destinations = store.get("201").fmfm.destinations
    assert [(d.kind, d.target, d.ring_timeout) for d in destinations] == [
        ("external", "+15551234567", 30),
        ("extension", "202", 20),
        ("voicemail", "201", 20),
    ]
    assert store.get("201").fmfm.strategy == "sequential"
    editor.rows[0].children[6].click()  # remove the external number
    editor.rows[0].children[5].click()  # 202 down, after the box
    assert view.save()
    assert [d.target for d in store.get("201").fmfm.destinations] == ["201", "202"]


def test_a_bad_destination_is_flagged_on_its_row(store: ExtensionStore) -> None:
    view = ExtensionDetail(store, "201")
    view.fields["fmfm.enabled"].widget.value = True
    view.destinations.append("extension", "202")
    view.destinations.append("extension", "201")  # itself
    view.destinations.append("external", "12")
    assert not view.save()
    assert "fmfm.destinations.0" not in view.errors
    assert view.errors.keys() >= {"fmfm.destinations.2"}
    assert "Find Me/Follow Me ⚠" in view.tabs.titles
    assert not store.get("201").fmfm.enabled


def test_fmfm_enabled_without_destinations_is_refused(store: ExtensionStore) -> None:
    view = ExtensionDetail(store, "201")
    view.fields["fmfm.enabled"].widget.value = True
    assert not view.save()
    assert "at least one destination" in view.errors["fmfm.destinations"]


def test_renumber_reports_or_repoints_references(store: ExtensionStore) -> None:
    store.put_did(Did(number="+15550000201", route="extension", target="201"))
    view = ExtensionDetail(store, "201")
    view.fields["number"].widget.value = "221"
    view.update_references.value = True
    assert view.save()
    assert store.exists("221") and not store.exists("201")
    assert store.dids()[0].target == "221"
    assert "repointed" in view.message.text
    assert store.get("221").sip_username == "201"  # never changes
    assert "pbx-detail-221" in view._dom_classes and "pbx-detail-201" not in view._dom_classes
    view.fields["number"].widget.value = "202"  # taken
    assert not view.save()
    assert "202" in view.errors["number"]
    assert store.exists("221")


def test_cancel_discards_edits(store: ExtensionStore) -> None:
    view = ExtensionDetail(store, "201")
    view.fields["name"].widget.value = "Mallory"
    view.cancel_button.click()
    assert view.fields["name"].widget.value == "Alice"
    assert store.get("201").name == "Alice"


def test_phones_tab_assign_view_configuration_unassign(store: ExtensionStore) -> None:
    view = ExtensionDetail(store, "202")
    phones = view.phones
    phones.new_mac.value = "00-04-f2-aa-bb-cc"
    phones.new_model.value = "Polycom VVX 450"
    phones.new_profile.value = "office"
    phones.assign.click()
    assert [p.mac for p in store.get("202").phones] == ["00:04:f2:aa:bb:cc"]
    row = phones.rows_box.children[0]
    assert "pbx-phone-00-04-f2-aa-bb-cc" in row._dom_classes
    row.children[3].click()  # view configuration
    assert "VVX" in phones.config.value or "reg.1" in phones.config.value
    assert store.get("202").sip_password.get_secret_value() not in phones.config.value
    phones.new_mac.value = "00:15:65:1a:2b:3c"  # Alice's phone
    phones.new_model.value = "Yealink T46S"
    phones.assign.click()
    assert "already on extension 201" in phones.new_error.value
    row.children[2].click()  # unassign
    assert store.get("202").phones == []


def test_page_opens_saves_and_reloads_the_list(store: ExtensionStore) -> None:
    page = ExtensionsPage(store)
    page.list.search.value = "bob"
    page.list.row("202").edit.click()
    assert page.detail is not None and page.detail.number == "202"
    page.detail.fields["name"].widget.value = "Robert"
    page.detail.fields["voicemail.enabled"].widget.value = False
    page.detail.save_button.click()
    assert page.list.row("202").name.value == "Robert"
    assert page.list.row("202").voicemail.value is False
    page.detail.close_button.click()
    assert page.detail is None and page.detail_box.children == ()
