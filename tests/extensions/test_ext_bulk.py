"""Bulk CSV export/import: round trip, per-row report, dry run, secrets policy."""

from __future__ import annotations

import csv
import io

import pytest

from pbxlab.errors import InputError, NotFoundError
from pbxlab.extensions import IMPORT_REPORT, ExtensionStore
from pbxlab.extensions.bulk import read_csv

SECRET = "s3cr3t-Passw0rd"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_has_no_secrets_unless_asked(tenant: ExtensionStore) -> None:
    plain = tenant.export_csv()
    assert SECRET not in plain and "4321" not in plain
    assert "sip_password" not in plain.splitlines()[0]
    with_secrets = tenant.export_csv(["201"], include_secrets=True)
    row = _rows(with_secrets)[0]
    assert row["sip_password"] == SECRET and row["voicemail.pin"] == "4321"
    assert "export_secrets" in set(tenant.audit_log("201")["action"])


def test_export_selected_in_the_order_asked(tenant: ExtensionStore) -> None:
    assert [r["number"] for r in _rows(tenant.export_csv(["203", "201"]))] == ["203", "201"]
    with pytest.raises(NotFoundError, match="299"):
        tenant.export_csv(["201", "299"])


def test_csv_round_trip_into_an_empty_store(tenant: ExtensionStore, tmp_path: object) -> None:
    exported = tenant.export_csv(include_secrets=True)
    with ExtensionStore.open(f"sqlite:///{tmp_path}/copy.db") as copy:
        copy.put_profile(tenant.profile("office"))
        report = copy.import_csv(exported)
        assert report.ok and report.applied and report.created == 3
        assert copy.export_csv(include_secrets=True) == exported
        assert copy.get("201") == tenant.get("201")
        # re-importing the same file changes nothing and writes no audit entry
        entries = len(copy.audit_log())
        again = copy.import_csv(exported)
        assert again.updated == 3 and len(copy.audit_log()) == entries


def test_import_report_names_rows_and_fields_and_writes_nothing(tenant: ExtensionStore) -> None:
    text = (
        "number,name,ring_timeout,voicemail.pin,phones,fmfm.enabled,fmfm.destinations\n"
        "204,Dan,30,1234,,false,\n"
        "205,Eve,9999,12ab,,false,\n"
        "206,Gus,20,,,true,extension:299\n"
        "207,Fay,20,,00:15:65:1a:2b:3c|Yealink T46S|,false,\n"
        "204,Dan again,20,,,false,\n"
        "201,Alice Renamed,25,,,false,\n"
        "208,,20,,,false,\n"
    )
    report = tenant.import_csv(text, source="batch.csv")
    assert not report.ok and not report.applied
    rows = IMPORT_REPORT.validate(report.rows)
    assert list(rows["line"]) == [2, 3, 4, 5, 6, 7, 8]
    assert list(rows["action"]) == [
        "create", "error", "error", "error", "error", "update", "error"
    ]  # fmt: skip
    messages = list(rows["message"])
    assert "ring_timeout: must be between 5 and 300" in messages[1]
    assert "voicemail.pin: must be 4 to 10 digits" in messages[1] and "12ab" not in messages[1]
    assert messages[6] == "name: Field required"
    assert "fmfm.destinations.0.target: no extension 299" in messages[2]
    assert "phones.0.mac: 00:15:65:1a:2b:3c is already on extension 201" in messages[3]
    assert "number: appears twice (first on line 2)" in messages[4]
    assert not tenant.exists("204")
    assert tenant.get("201").name == "Alice"
    assert "1 row" not in report.summary() and "5 row(s) with errors" in report.summary()


def test_dry_run_validates_everything_and_writes_nothing(tenant: ExtensionStore) -> None:
    text = "number,name,fmfm.enabled,fmfm.destinations\n204,Dan,true,extension:205\n205,Eve,,\n"
    before = len(tenant.audit_log())
    report = tenant.import_csv(text, dry_run=True)
    assert report.ok and not report.applied and report.created == 2
    assert "dry run" in report.summary()
    assert not tenant.exists("204") and len(tenant.audit_log()) == before
    # a later row may be the destination of an earlier one
    assert tenant.import_csv(text).applied
    assert tenant.get("204").fmfm.destinations[0].target == "205"


def test_import_update_keeps_password_and_observed_phone_state(tenant: ExtensionStore) -> None:
    tenant.record_phone("00:15:65:1a:2b:3c", status="online", contact="sip:201@127.0.0.1:5062")
    text = "number,name,sip_password,phones\n201,Alice B,,00:15:65:1a:2b:3c|Yealink T48S|office\n"
    assert tenant.import_csv(text).applied
    alice = tenant.get("201")
    assert alice.name == "Alice B"
    assert alice.sip_password.get_secret_value() == SECRET
    assert (alice.phones[0].model, alice.phones[0].status) == ("Yealink T48S", "online")
    assert alice.phones[0].contact == "sip:201@127.0.0.1:5062"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty CSV"),
        ("name,voicemail.enabled\nAlice,true\n", "no 'number' column"),
        ("number,voicemail.enable\n201,true\n", r"unknown column\(s\) \['voicemail.enable'\]"),
        ("number,name,name\n201,a,b\n", "duplicated column"),
    ],
)
def test_unusable_csv_headers(text: str, match: str) -> None:
    with pytest.raises(InputError, match=match) as caught:
        read_csv(text, "in.csv")
    assert caught.value.location.file == "in.csv" and caught.value.location.line == 1


def test_rows_with_too_many_cells_are_reported() -> None:
    rows = read_csv("number,name\n201,Alice,extra\n\n202,Bob\n")
    assert [r.line for r in rows] == [2, 4]
    assert "__error__" in rows[0].cells
