"""Importers: Asterisk pjsip.conf and FreePBX Bulk Handler CSV, then into a store."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbxlab.errors import InputError
from pbxlab.extensions import (
    IMPORT_ERRORS,
    ExtensionStore,
    parse_freepbx_csv,
    parse_pjsip_conf,
)
from pbxlab.extensions.importers import e164_from_national

DATA = Path(__file__).parent / "data"


def test_pjsip_conf_endpoints_auths_and_templates() -> None:
    result = parse_pjsip_conf((DATA / "pjsip.conf").read_text(), "pjsip.conf")
    by_number = {e.number: e for e in result.extensions}
    assert sorted(by_number) == ["201", "202", "203"]
    alice, bob, carol = by_number["201"], by_number["202"], by_number["203"]
    assert (alice.name, alice.sip_username) == ("Alice Smith", "201")
    assert alice.sip_password.get_secret_value() == "Xk9#mP2vL7qR"  # comment stripped
    assert alice.voicemail.enabled and not bob.voicemail.enabled
    assert (bob.name, bob.sip_username) == ("Bob Jones", "bob202")
    assert bob.sip_password.get_secret_value() == "Vt5;semicolon1"  # \; is a literal ;
    assert carol.name == "Carol" and len(carol.sip_password.get_secret_value()) == 32
    IMPORT_ERRORS.validate(result.errors)
    problems = {
        (row.line, row.item if isinstance(row.item, str) else None): row.message
        for row in result.errors.itertuples()
    }
    assert "no clear-text password" in problems[(59, "203")]
    assert "no extension number" in problems[(68, "provider")]
    assert "#include is not followed" in problems[(81, None)]
    assert set(result.errors["source_file"]) == {"pjsip.conf"}


def test_pjsip_conf_strict_raises_with_location() -> None:
    text = (DATA / "pjsip.conf").read_text()
    with pytest.raises(InputError, match="#include is not followed") as caught:
        parse_pjsip_conf(text, "pjsip.conf", strict=True)
    assert caught.value.location.line == 81
    with pytest.raises(InputError, match="no clear-text password") as caught:
        parse_pjsip_conf(text.replace("#include", ";#include"), "pjsip.conf", strict=True)
    assert caught.value.location.line == 59
    assert str(caught.value).startswith("pjsip.conf, line 59: 203: ")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("[201]\ntype=endpoint\nauth=missing\naors=201\n", 1, "auth section 'missing' not found"),
        ("[201]\ntype=endpoint\n", 1, "no aors="),
        ("[201](nope)\ntype=endpoint\naors=201\n", 1, "unknown template 'nope'"),
        ("garbage before any section\n", 1, "not an option line"),
        ("[2x1]\ntype=endpoint\naors=2x1\n", 1, "no extension number"),
    ],
)
def test_pjsip_conf_problems(text: str, line: int, message: str) -> None:
    result = parse_pjsip_conf(text)
    assert message in result.errors.loc[0, "message"]
    assert result.errors.loc[0, "line"] == line


def test_freepbx_bulk_handler_csv() -> None:
    result = parse_freepbx_csv(
        (DATA / "freepbx-extensions.csv").read_text(), "fpbx.csv", country_code="1"
    )
    by_number = {e.number: e for e in result.extensions}
    assert sorted(by_number) == ["201", "202"]
    alice, bob = by_number["201"], by_number["202"]
    assert alice.sip_password.get_secret_value() == "f3e1c2b4a5d6e7f8"
    assert alice.caller_id.outbound_did == "+16135550201"
    assert alice.ring_timeout == 30 and bob.ring_timeout == 25  # 0: the default
    assert alice.voicemail.enabled and alice.voicemail.email_recipients == ["alice@example.com"]
    assert alice.voicemail.pin is not None and alice.voicemail.pin.get_secret_value() == "4321"
    assert alice.fmfm.enabled and alice.fmfm.strategy == "simultaneous"
    assert [(d.kind, d.target, d.ring_timeout) for d in alice.fmfm.destinations] == [
        ("extension", "202", 20),
        ("external", "+16135559876", 20),
    ]
    assert not bob.fmfm.enabled and bob.fmfm.strategy == "sequential"  # ddial CHECKED: off
    assert not bob.voicemail.enabled
    errors = {row.item: (row.line, row.message) for row in result.errors.itertuples()}
    assert errors["203"][0] == 4 and "voicemail.pin: must be 4 to 10 digits" in errors["203"][1]
    assert "12ab" not in errors["203"][1]
    assert errors["300"] == (5, "tech 'dahdi' is not a SIP extension; skipped")
    assert result.ignored_columns == ["callwaiting_enable", "findmefollow_postdest",
                                      "voicemail_pager"]  # fmt: skip


def test_freepbx_csv_without_extension_column() -> None:
    with pytest.raises(InputError, match="no 'extension' column"):
        parse_freepbx_csv("number,name\n201,Alice\n", "x.csv")


@pytest.mark.parametrize(
    ("number", "country", "expected"),
    [
        ("6135550201", "1", "+16135550201"),
        ("16135550201", "1", "+16135550201"),
        ("0612345678", "33", "+33612345678"),
        ("0033612345678", None, "+33612345678"),
        ("+44 20 7946 0000", None, "+442079460000"),
        ("5550201", None, "5550201"),
    ],
)
def test_national_numbers_to_e164(number: str, country: str | None, expected: str) -> None:
    assert e164_from_national(number, country) == expected


def test_imported_extensions_land_in_the_store_all_or_nothing(store: ExtensionStore) -> None:
    result = parse_freepbx_csv(
        (DATA / "freepbx-extensions.csv").read_text(), "fpbx.csv", country_code="1"
    )
    report = store.import_extensions(result.extensions)
    assert report.ok and report.created == 2
    assert store.get("201").fmfm.destinations[0].target == "202"
    pjsip = parse_pjsip_conf((DATA / "pjsip.conf").read_text())
    # 201 exists with SIP username 201 from FreePBX; pjsip's 202 would rename bob's username
    clash = store.import_extensions(pjsip.extensions)
    assert not clash.ok and not clash.applied
    assert "sip_username: is read-only after creation" in " ".join(clash.rows["message"])
    assert store.get("202").sip_username == "202"
    assert not store.exists("203")
