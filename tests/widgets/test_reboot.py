"""Reboot phone from the list and the Phones tab: a real NOTIFY to a SIPp phone on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbxlab.extensions import Extension, ExtensionStore, validated
from pbxlab.widgets import ExtensionDetail, ExtensionsList
from tests.extensions.sipp_phone import sipp_phone

pytestmark = pytest.mark.lab

MAC = "00:0e:08:aa:bb:cc"


def _linksys(store: ExtensionStore, port: int) -> None:
    store.add(
        validated(
            Extension,
            number="220",
            name="Front desk",
            phones=[
                {"mac": MAC, "model": "Linksys SPA942", "contact": f"sip:220@127.0.0.1:{port}"}
            ],
        )
    )


def test_row_action_reboots_the_phone(tmp_path: Path, store: ExtensionStore) -> None:
    with sipp_phone("phone_reboot_plain.xml", tmp_path) as phone:
        _linksys(store, phone.port)
        view = ExtensionsList(store, reboot_timeout=8)
        view.search.value = "front"
        view.row("220").reboot.click()
    assert phone.returncode == 0, phone.errors  # SIPp checked Event: reboot_now
    assert view.message.kind == "ok"
    assert "accepted the reboot NOTIFY" in view.message.text
    assert list(store.audit_log(MAC)["action"]) == ["reboot"]


def test_phones_tab_reboot_and_a_silent_phone(tmp_path: Path, store: ExtensionStore) -> None:
    with sipp_phone("phone_reboot_plain.xml", tmp_path) as phone:
        _linksys(store, phone.port)
        detail = ExtensionDetail(store, "220", reboot_timeout=8)
        detail.phones.rows_box.children[0].children[1].click()  # Reboot
    assert phone.returncode == 0, phone.errors
    assert detail.phones.message.kind == "ok"
    # SIPp has exited: nobody answers on that port any more
    short = ExtensionDetail(store, "220", reboot_timeout=1)
    short.phones.reboot(MAC)
    assert short.phones.message.kind == "error"
    assert "no answer" in short.phones.message.text
