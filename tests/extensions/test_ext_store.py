"""The store on real databases: SQLite files and PostgreSQL (every test runs on both)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, select, update

from pbxlab.errors import ConflictError, NotFoundError, StoreError, ValidationError
from pbxlab.extensions import (
    Did,
    Extension,
    ExtensionStore,
    Phone,
    RingGroup,
    TenantDefaults,
    VoicemailBox,
    validated,
)
from pbxlab.extensions.audit import AUDIT
from pbxlab.extensions.dbschema import audit_log, extensions, metadata
from pbxlab.extensions.references import REFERENCES
from pbxlab.extensions.references import as_frame as references_frame

SECRET = "s3cr3t-Passw0rd"


def test_schema_from_migrations_matches_the_declared_tables(store: ExtensionStore) -> None:
    with store.engine.connect() as conn:
        drift = compare_metadata(MigrationContext.configure(conn), metadata)
    assert drift == []


def test_reopening_keeps_data_and_does_not_migrate_twice(store_url: str) -> None:
    with ExtensionStore.open(store_url) as first:
        first.add(validated(Extension, number="201", name="Alice"))
    with ExtensionStore.open(store_url) as second:
        assert second.get("201").name == "Alice"


def test_sqlite_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "tenant.db"
    with ExtensionStore.open(path) as store:
        store.add(validated(Extension, number="201", name="Alice"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_unusable_urls_are_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        ExtensionStore.open("postgresql+psycopg://:@:notaport/x")
    with pytest.raises(StoreError, match=r"cannot open store .*OperationalError"):
        ExtensionStore.open("postgresql+psycopg://nobody:hunter2@127.0.0.1:9/none")
    try:
        ExtensionStore.open("postgresql+psycopg://nobody:hunter2@127.0.0.1:9/none")
    except StoreError as exc:
        assert "hunter2" not in str(exc)


def test_add_get_and_duplicates(tenant: ExtensionStore) -> None:
    alice = tenant.get("201")
    assert alice.sip_password.get_secret_value() == SECRET
    assert alice.voicemail.pin is not None and alice.voicemail.pin.get_secret_value() == "4321"
    assert alice.phones[0].profile == "office"
    bob = tenant.get("202")
    assert [d.target for d in bob.fmfm.destinations] == ["201", "+15551234567"]
    with pytest.raises(ValidationError, match="number: extension 201 already exists"):
        tenant.add(validated(Extension, number="201", name="Again"))
    with pytest.raises(ValidationError, match=r"phones.0.mac: 00:15:65:1a:2b:3c is already on"):
        tenant.add(
            validated(Extension, number="204", name="Dan",
                      phones=[{"mac": "0015651a2b3c", "model": "Yealink T46S"}])
        )  # fmt: skip
    with pytest.raises(NotFoundError, match="no extension '299'"):
        tenant.get("299")


def test_search_and_sort(tenant: ExtensionStore) -> None:
    tenant.add(validated(Extension, number="1001", name="alicia", sip_username="x1001"))
    assert list(tenant.table(search="ALI")["number"]) == ["201", "1001"]
    assert list(tenant.table(search="x10")["number"]) == ["1001"]
    assert list(tenant.table(search="20")["number"]) == ["201", "202", "203"]
    assert list(tenant.table(sort="number")["number"]) == ["201", "202", "203", "1001"]
    assert list(tenant.table(sort="name", descending=True)["name"]) == [
        "alicia", "Carol", "Bob", "Alice"
    ]  # fmt: skip
    assert [e.number for e in tenant.extensions(search="bob")] == ["202"]
    table = tenant.table()
    assert table.loc[0, "phones"] == "Yealink T46S (00:15:65:1a:2b:3c)"
    assert table.loc[0, "phone_count"] == 1


def test_update_is_validated_and_audited(tenant: ExtensionStore) -> None:
    updated = tenant.update("201", {"voicemail.enabled": "false", "ring_timeout": "40"})
    assert updated.ring_timeout == 40
    assert tenant.get("201").voicemail.enabled is False
    with pytest.raises(ValidationError, match="ring_timeout: must be between 5 and 300"):
        tenant.update("201", {"ring_timeout": "400", "name": "Changed"})
    assert tenant.get("201").name == "Alice"  # nothing of the failed edit landed
    with pytest.raises(ValidationError, match="read-only"):
        tenant.update("201", {"sip_username": "alice"})
    with pytest.raises(ValidationError, match="renumber"):
        tenant.update("201", {"number": "299"})
    with pytest.raises(ValidationError, match="no extension 299"):
        tenant.update("201", {"fmfm.enabled": "true", "fmfm.destinations": "extension:299"})
    log = tenant.audit_log("201")
    last = json.loads(log.iloc[-1]["changes"])
    assert log.iloc[-1]["action"] == "update"
    assert log.iloc[-1]["actor"] == "tester"
    assert last == {"ring_timeout": ["25", "40"], "voicemail.enabled": ["true", "false"]}


def test_references_and_renumber_without_update(tenant: ExtensionStore) -> None:
    refs = tenant.references("201")
    frame = REFERENCES.validate(references_frame(refs))
    assert list(frame["kind"].astype(str)) == [r.kind for r in refs]
    assert sorted((r.kind, r.owner, r.field) for r in refs) == [
        ("did", "+15551230201", "target (extension)"),
        ("fmfm_destination", "202", "fmfm.destinations.0.target"),
        ("fmfm_no_answer", "202", "fmfm.no_answer_target"),
        ("ring_group", "600", "members.1"),
        ("voicemail_box", "203", "voicemail.box"),
    ]
    result = tenant.renumber("201", "211")
    assert not result.updated and len(result.dangling) == 5
    assert tenant.get("211").sip_username == "201"  # read-only: unchanged
    assert tenant.references("201") == [r for r in tenant.references("201")]
    assert len(tenant.references("201")) == 5  # the guide's behaviour: left pointing at 201
    assert tenant.references("211") == []


def test_renumber_updates_every_reference_in_one_transaction(tenant: ExtensionStore) -> None:
    result = tenant.renumber("201", "211", update_references=True)
    assert result.updated and len(result.references) == 5
    assert tenant.references("201") == []
    assert len(tenant.references("211")) == 5
    bob = tenant.get("202")
    assert bob.fmfm.destinations[0].target == "211"
    assert bob.fmfm.no_answer_target == "211"
    assert tenant.get("203").voicemail.box == "211"
    assert tenant.dids()[0].target == "211"
    assert tenant.ring_groups()[0].members == ["202", "211"]
    actions = list(tenant.audit_log()["action"])
    assert actions.count("renumber") == 1 and actions.count("renumber_reference") == 5


@pytest.mark.parametrize(
    ("old", "new", "error", "match"),
    [
        ("201", "202", ConflictError, "202 is already in use"),
        ("201", "600", ConflictError, "600 is already in use"),
        ("201", "0201", ValidationError, "number: must be 2 to 7 digits"),
        ("299", "298", NotFoundError, "no extension '299'"),
    ],
)
def test_renumber_refusals(
    tenant: ExtensionStore, old: str, new: str, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        tenant.renumber(old, new)
    assert tenant.exists("201")


def test_delete_refuses_while_referenced_then_cascades(tenant: ExtensionStore) -> None:
    with pytest.raises(ConflictError, match=r"still referenced .*ring group 600"):
        tenant.delete("201")
    assert tenant.exists("201")
    detached = tenant.delete("201", cascade=True)
    assert len(detached) == 5
    assert not tenant.exists("201")
    bob = tenant.get("202")
    assert [d.target for d in bob.fmfm.destinations] == ["+15551234567"]
    assert (bob.fmfm.no_answer_action, bob.fmfm.no_answer_target) == ("voicemail", None)
    assert tenant.get("203").voicemail.box is None
    assert tenant.dids()[0].route == "unrouted"
    assert tenant.ring_groups()[0].members == ["202"]
    phone, owner = tenant.phone("00:15:65:1a:2b:3c")  # stays in the inventory
    assert owner is None and phone.model == "Yealink T46S"
    # an unassigned phone can be given to another extension
    tenant.assign_phone("203", phone)
    assert tenant.phone("00:15:65:1a:2b:3c")[1] == "203"


def test_delete_without_references(tenant: ExtensionStore) -> None:
    tenant.delete("203")
    assert not tenant.exists("203")
    with pytest.raises(NotFoundError):
        tenant.delete("203")


def test_reset_and_reveal_password_are_audited_without_the_password(
    tenant: ExtensionStore,
) -> None:
    new = tenant.reset_password("201").get_secret_value()
    assert len(new) >= 32 and new != SECRET
    assert tenant.reveal_password("201") == new
    log = tenant.audit_log()
    assert {"reset_password", "reveal_password"} <= set(log["action"])
    dumped = log.to_json(date_format="iso")
    for secret in (new, SECRET, "4321"):
        assert secret not in dumped
    assert "********" in dumped


def test_password_resets_for_the_analysis(tenant: ExtensionStore) -> None:
    assert tenant.password_resets().empty
    tenant.reset_password("202")
    tenant.reset_password("201")
    tenant.reset_password("201")
    resets = tenant.password_resets()
    assert list(resets["extension"]) == ["201", "202"]
    assert str(resets["ts"].dtype) == "datetime64[ns, UTC]"
    log = tenant.audit_log("201")
    AUDIT.validate(log)
    assert resets.loc[0, "ts"] == log[log["action"] == "reset_password"]["ts"].max()


def test_audit_never_holds_a_secret(tenant: ExtensionStore) -> None:
    tenant.update("201", {"sip_password": "An0ther-Secret!", "voicemail.pin": "98765"})
    tenant.export_csv(include_secrets=True)
    tenant.delete("203")
    with tenant.engine.connect() as conn:
        raw = json.dumps([dict(r._mapping) for r in conn.execute(select(audit_log))], default=str)
    for secret in (SECRET, "4321", "An0ther-Secret!", "98765"):
        assert secret not in raw
    entry = tenant.audit_log("201").iloc[-2]
    assert json.loads(entry["changes"])["sip_password"] == ["********", "********"]


def test_bulk_voicemail_is_all_or_nothing(tenant: ExtensionStore) -> None:
    with pytest.raises(NotFoundError, match="no extension '299'; nothing was changed"):
        tenant.bulk_set_voicemail(["201", "202", "299", "203"], False)
    assert all(tenant.get(n).voicemail.enabled for n in ("201", "202", "203"))
    assert "bulk_voicemail" not in set(tenant.audit_log()["action"])
    assert tenant.bulk_set_voicemail(["201", "202"], False) == 2
    assert tenant.bulk_set_voicemail(["201", "203"], False) == 1
    assert [tenant.get(n).voicemail.enabled for n in ("201", "202", "203")] == [False] * 3


def test_bulk_profile_is_all_or_nothing(tenant: ExtensionStore) -> None:
    with pytest.raises(ConflictError, match="extension 203 has no phone"):
        tenant.bulk_apply_profile("remote", ["201", "202", "203"])
    assert tenant.get("201").phones[0].profile == "office"
    assert tenant.get("202").phones[0].profile is None
    with pytest.raises(NotFoundError, match="no provisioning profile 'lab'"):
        tenant.bulk_apply_profile("lab", ["201"])
    assert tenant.bulk_apply_profile("remote", ["201", "202"]) == 2
    assert {tenant.get(n).phones[0].profile for n in ("201", "202")} == {"remote"}


class InjectedFailureError(Exception):
    """Raised by the database hook below, standing in for a disk or network failure."""


@contextmanager
def _fail_on(store: ExtensionStore, statement_prefix: str) -> Iterator[None]:
    # A real database, a real transaction: only the chosen statement is made to fail,
    # after the earlier statements of the same call have already been executed.
    def hook(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith(statement_prefix):
            raise InjectedFailureError(statement_prefix)

    event.listen(store.engine, "before_cursor_execute", hook)
    try:
        yield
    finally:
        event.remove(store.engine, "before_cursor_execute", hook)


def test_import_failing_half_way_changes_nothing(tenant: ExtensionStore) -> None:
    before = tenant.export_csv()
    audit_rows = len(tenant.audit_log())
    csv_text = (
        "number,name,phones\n"
        "203,Carol Updated,\n"
        "204,Dan,00:11:22:33:44:55|Yealink T46S|\n"
        "205,Eve,\n"
    )
    # extensions are inserted, then inserting the phones fails
    with _fail_on(tenant, "INSERT INTO PHONES"), pytest.raises(InjectedFailureError):
        tenant.import_csv(csv_text)
    assert tenant.export_csv() == before
    assert not tenant.exists("204") and not tenant.exists("205")
    assert len(tenant.audit_log()) == audit_rows
    assert tenant.import_csv(csv_text).applied  # the same import succeeds afterwards
    assert tenant.get("203").name == "Carol Updated"


def test_renumber_failing_half_way_changes_nothing(tenant: ExtensionStore) -> None:
    # the extension row and the DIDs are already renumbered when the ring groups fail
    with _fail_on(tenant, "UPDATE RING_GROUP_MEMBERS"), pytest.raises(InjectedFailureError):
        tenant.renumber("201", "211", update_references=True)
    assert tenant.exists("201") and not tenant.exists("211")
    assert tenant.dids()[0].target == "201"
    assert len(tenant.references("201")) == 5


def test_cascade_delete_failing_half_way_changes_nothing(tenant: ExtensionStore) -> None:
    with _fail_on(tenant, "DELETE FROM EXTENSIONS"), pytest.raises(InjectedFailureError):
        tenant.delete("201", cascade=True)
    assert tenant.exists("201")
    assert tenant.ring_groups()[0].members == ["202", "201"]
    assert tenant.get("202").fmfm.enabled


def test_tenant_objects(tenant: ExtensionStore) -> None:
    tenant.put_voicemail_box(validated(VoicemailBox, number="800", name="Sales box"))
    tenant.update("203", {"voicemail.box": "800"})
    with pytest.raises(ValidationError, match="is an extension"):
        tenant.put_voicemail_box(validated(VoicemailBox, number="201", name="Nope"))
    with pytest.raises(ValidationError, match="no extension 299"):
        tenant.put_ring_group(validated(RingGroup, number="601", name="X", members=["299"]))
    with pytest.raises(ValidationError, match="no ring group 601"):
        tenant.put_did(validated(Did, number="+15551230600", route="ring_group", target="601"))
    tenant.put_did(validated(Did, number="+15551230600", route="ring_group", target="600"))
    assert [d.number for d in tenant.dids()] == ["+15551230201", "+15551230600"]
    tenant.delete_did("+15551230600")
    with pytest.raises(NotFoundError):
        tenant.delete_did("+15551230600")
    tenant.set_tenant_defaults(TenantDefaults(cnam="ACME CORP", sip_domain="acme.pbx.example"))
    assert tenant.tenant_defaults().cnam == "ACME CORP"
    assert [p.name for p in tenant.profiles()] == ["office", "remote"]


def test_phone_observations(tenant: ExtensionStore) -> None:
    phone = tenant.record_phone(
        "00:15:65:1A:2B:3C", status="online", contact="sip:201@127.0.0.1:5062",
        user_agent="Yealink SIP-T46S 66.86.0.15",
    )  # fmt: skip
    assert phone.status == "online"
    stored = tenant.get("201").phones[0]
    assert stored.contact == "sip:201@127.0.0.1:5062"
    with pytest.raises(ValidationError, match=r"phone.contact"):
        tenant.record_phone("00:15:65:1a:2b:3c", contact="tel:+1555")
    tenant.unassign_phone("00:15:65:1a:2b:3c")
    assert tenant.get("201").phones == []
    with pytest.raises(NotFoundError):
        tenant.phone("00:15:65:99:99:99")
    assert isinstance(phone, Phone)


def test_a_row_edited_behind_pbxlabs_back_is_a_store_error(tenant: ExtensionStore) -> None:
    with tenant.engine.begin() as conn:
        conn.execute(update(extensions).where(extensions.c.number == "203").values(ring_timeout=1))
    with pytest.raises(StoreError, match=r"extension '203' in the database breaks .*ring_timeout"):
        tenant.get("203")
