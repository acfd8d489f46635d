"""``pbxlab ext`` end to end: return codes, stdout/stderr, a real store file."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import pytest

from pbxlab.cli.app import main
from pbxlab.extensions import ExtensionStore, ProvisioningProfile
from tests.extensions.sipp_phone import sipp_phone

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "tenant.db")


def ext(db: str, *args: str) -> int:
    return main(["ext", "--db", db, *args])


def _seed(db: str) -> None:
    assert ext(db, "add", "201", "--name", "Alice", "--set", "voicemail.pin=4321") == 0
    fmfm = ["--set", "fmfm.enabled=true", "--set", "fmfm.destinations=extension:201@15"]
    assert ext(db, "add", "202", "--name", "Bob", "--username", "bob202", *fmfm) == 0
    assert ext(db, "add", "203", "--name", "Carol") == 0


def test_add_list_and_formats(db: str, capsys: Capsys) -> None:
    _seed(db)
    capsys.readouterr()
    assert ext(db, "list", "--format", "json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["number"], r["sip_username"], r["fmfm"]) for r in rows] == [
        ("201", "201", False), ("202", "bob202", True), ("203", "203", False)
    ]  # fmt: skip
    assert ext(db, "list", "--search", "bo", "--format", "csv") == 0
    out = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["name"] for r in out] == ["Bob"]
    assert ext(db, "list", "--sort", "name", "--desc") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["number", "name"]
    assert [line.split()[1] for line in lines[1:]] == ["Carol", "Bob", "Alice"]
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_show_hides_the_password_unless_revealed(db: str, capsys: Capsys) -> None:
    _seed(db)
    with ExtensionStore.open(db) as store:
        password = store.get("201").sip_password.get_secret_value()
    capsys.readouterr()
    assert ext(db, "show", "201") == 0
    shown = capsys.readouterr().out
    assert password not in shown and "4321" not in shown
    assert "referenced by" in shown and "fmfm destination 202" in shown
    assert ext(db, "show", "201", "--reveal-password", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sip_password"] == password and data["voicemail.enabled"] == "true"


def test_edit_with_dotted_names(db: str, capsys: Capsys) -> None:
    _seed(db)
    assert ext(db, "edit", "201", "--set", "voicemail.enabled=false",
               "--set", "caller_id.outbound_did=+1 555 123 0201") == 0  # fmt: skip
    with ExtensionStore.open(db) as store:
        alice = store.get("201")
    assert not alice.voicemail.enabled and alice.caller_id.outbound_did == "+15551230201"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["edit", "201", "--set", "ring_timeout=1"], "ring_timeout: must be between 5 and 300"),
        (["edit", "201", "--set", "voicemail.enable=true"], "voicemail.enable: no such field"),
        (["edit", "201", "--set", "novalue"], "--set expects FIELD=VALUE"),
        (["edit", "201", "--set", "sip_username=x"], "sip_username: is read-only"),
        (["show", "299"], "no extension '299'"),
        (["add", "201", "--name", "Again"], "number: extension 201 already exists"),
        (["add", "0201", "--name", "Zero"], "number: must be 2 to 7 digits"),
        (["delete", "201"], "still referenced"),
        (["renumber", "201", "202"], "202 is already in use"),
        (["bulk-voicemail", "maybe", "201"], "on or off"),
        (["bulk-voicemail", "off", "201", "299"], "no extension '299'; nothing was changed"),
        (["bulk-profile", "lab", "201"], "no provisioning profile 'lab'"),
        (["list", "--sort", "colour"], "cannot sort by 'colour'"),
        (["list", "--format", "xml"], "--format must be one of"),
        (["reboot", "201"], "no registered contact on record"),
        (["import", "missing.csv"], "cannot read missing.csv"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(
    db: str, capsys: Capsys, args: list[str], message: str
) -> None:
    _seed(db)
    capsys.readouterr()
    assert ext(db, *args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_usage_errors_exit_2(db: str, capsys: Capsys) -> None:
    assert ext(db, "edit", "201") == 2  # --set is required
    assert "Missing option" in capsys.readouterr().err
    assert main(["ext", "frobnicate"]) == 2


def test_bulk_voicemail_is_atomic(db: str) -> None:
    _seed(db)
    assert ext(db, "bulk-voicemail", "off", "201", "202", "299") == 2
    with ExtensionStore.open(db) as store:
        assert store.get("201").voicemail.enabled
    assert ext(db, "bulk-voicemail", "off", "201", "202") == 0
    with ExtensionStore.open(db) as store:
        assert not store.get("202").voicemail.enabled


def test_bulk_profile(db: str, capsys: Capsys) -> None:
    _seed(db)
    assert ext(db, "edit", "201", "--set", "phones=00:15:65:1a:2b:3c|Yealink T46S|") == 0
    with ExtensionStore.open(db) as store:
        store.put_profile(ProvisioningProfile(name="office"))
    assert ext(db, "bulk-profile", "office", "201") == 0
    assert "1 phone(s) changed" in capsys.readouterr().err
    assert ext(db, "bulk-profile", "office", "201", "203") == 2
    assert "extension 203 has no phone" in capsys.readouterr().err


def test_renumber_lists_and_updates_references(db: str, capsys: Capsys) -> None:
    _seed(db)
    capsys.readouterr()
    assert ext(db, "renumber", "201", "211") == 0
    err = capsys.readouterr().err
    assert "fmfm destination 202 (fmfm.destinations.0.target -> 201): still points" in err
    assert "--update-references" in err
    assert ext(db, "renumber", "211", "221", "--update-references") == 0
    with ExtensionStore.open(db) as store:
        assert store.get("202").fmfm.destinations[0].target == "201"  # left dangling earlier
    assert ext(db, "delete", "221") == 0


def test_reset_password_prints_it_once(db: str, capsys: Capsys) -> None:
    _seed(db)
    capsys.readouterr()
    assert ext(db, "reset-password", "201") == 0
    captured = capsys.readouterr()
    password = captured.out.strip()
    assert len(password) == 32 and password not in captured.err
    with ExtensionStore.open(db) as store:
        assert store.reveal_password("201") == password
        assert password not in store.audit_log().to_json(date_format="iso")


def test_export_import_round_trip(db: str, tmp_path: Path, capsys: Capsys) -> None:
    _seed(db)
    plain, secret = tmp_path / "plain.csv", tmp_path / "secret.csv"
    assert ext(db, "export", "-o", str(plain)) == 0
    assert "sip_password" not in plain.read_text() and "4321" not in plain.read_text()
    assert ext(db, "export", "201", "-o", str(secret), "--include-secrets") == 0
    assert "sip_password" in secret.read_text()
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    other = str(tmp_path / "other.db")
    capsys.readouterr()
    assert ext(other, "import", str(plain), "--dry-run", "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["action"] for r in report] == ["create", "create", "create"]
    with ExtensionStore.open(other) as store:
        assert store.table().empty
    assert ext(other, "import", str(plain)) == 0
    assert "created 3, updated 0" in capsys.readouterr().err
    with ExtensionStore.open(other) as store:
        assert store.export_csv() == plain.read_text()


def test_import_with_row_errors_exits_2_and_writes_nothing(
    db: str, tmp_path: Path, capsys: Capsys
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("number,name,ring_timeout\n204,Dan,30\n205,Eve,999\n")
    assert ext(db, "import", str(bad)) == 2
    captured = capsys.readouterr()
    assert "ring_timeout: must be between 5 and 300" in captured.out
    assert "1 row(s) with errors; nothing imported" in captured.err
    with ExtensionStore.open(db) as store:
        assert not store.exists("204")


def test_import_foreign_formats(db: str, capsys: Capsys) -> None:
    data = Path(__file__).parent / "data"
    assert ext(db, "import", str(data / "freepbx-extensions.csv"), "--country-code", "1") == 0
    err = capsys.readouterr().err
    assert "tech 'dahdi' is not a SIP extension" in err and "created 2" in err
    assert ext(db, "import", str(data / "pjsip.conf"), "--dry-run") == 2  # usernames clash
    assert "sip_username: is read-only after creation" in capsys.readouterr().out


@pytest.mark.lab
def test_reboot_against_a_sipp_phone(db: str, tmp_path: Path, capsys: Capsys) -> None:
    _seed(db)
    capsys.readouterr()
    with sipp_phone("phone_reboot_plain.xml", tmp_path) as phone:
        code = ext(db, "edit", "201", "--set", "phones=00:0e:08:aa:bb:cc|Linksys SPA942|")
        assert code == 0
        contact = f"sip:201@127.0.0.1:{phone.port}"
        assert ext(db, "reboot", "201", "--contact", contact, "--timeout", "8") == 0
    assert phone.returncode == 0, phone.errors
    assert "accepted the reboot NOTIFY (Event: reboot_now)" in capsys.readouterr().out


@pytest.mark.lab
def test_reboot_timeout_exits_1(db: str, capsys: Capsys) -> None:
    import socket

    _seed(db)
    capsys.readouterr()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        contact = f"sip:201@127.0.0.1:{silent.getsockname()[1]}"
        assert ext(db, "reboot", "201", "--contact", contact, "--timeout", "0.6") == 1
    assert "no answer from 127.0.0.1" in capsys.readouterr().out


def test_any_sqlalchemy_url(store_url: str, capsys: Capsys) -> None:
    # store_url: a SQLite file, then a schema on the throwaway PostgreSQL server
    assert main(["ext", "--db", store_url, "add", "201", "--name", "Alice"]) == 0
    assert main(["ext", "--db", store_url, "bulk-voicemail", "off", "201"]) == 0
    capsys.readouterr()
    assert main(["ext", "--db", store_url, "list", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["voicemail"] is False


def test_export_needs_an_output_file(db: str, capsys: Capsys) -> None:
    assert ext(db, "export", "201") == 2
    assert "Missing option '-o'" in capsys.readouterr().err
