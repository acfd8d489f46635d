"""The extension model and its validation rules, without any database."""

from __future__ import annotations

from typing import Any

import pytest

from pbxlab.errors import ValidationError
from pbxlab.extensions import (
    FIELD_NAMES,
    Did,
    Extension,
    ProvisioningProfile,
    TenantIndex,
    apply_changes,
    check_references,
    flatten,
    generate_password,
    validated,
)
from pbxlab.extensions.fields import from_flat

BASE = {"number": "201", "name": "Alice"}


@pytest.mark.parametrize(
    ("fields", "normalised"),
    [
        ({}, {"sip_username": "201", "ring_timeout": 25}),
        ({"sip_username": "alice.201"}, {"sip_username": "alice.201"}),
        ({"local_ip": " 192.168.1.20 "}, {"local_ip": "192.168.1.20"}),
        ({"local_ip": "2001:DB8::1"}, {"local_ip": "2001:db8::1"}),
        ({"caller_id": {"outbound_did": "+1 (555) 123-0201"}}, {}),
        ({"phones": [{"mac": "0015.651A.2B3C", "model": "Yealink T46S"}]}, {}),
        ({"ring_timeout": "300"}, {"ring_timeout": 300}),
    ],
)
def test_valid_extensions_are_normalised(
    fields: dict[str, Any], normalised: dict[str, Any]
) -> None:
    ext = validated(Extension, **{**BASE, **fields})
    for name, value in normalised.items():
        assert getattr(ext, name) == value
    if "caller_id" in fields:
        assert ext.caller_id.outbound_did == "+15551230201"
    if "phones" in fields:
        assert ext.phones[0].mac == "00:15:65:1a:2b:3c"


@pytest.mark.parametrize(
    ("fields", "field", "rule"),
    [
        ({"number": "01"}, "number", "2 to 7 digits, not starting with 0"),
        ({"number": "12345678"}, "number", "2 to 7 digits"),
        ({"number": "20a"}, "number", "2 to 7 digits"),
        ({"name": "  "}, "name", "must not be empty"),
        ({"name": "x" * 81}, "name", "at most 80 characters"),
        ({"name": "Al\nice"}, "name", "control characters"),
        ({"sip_username": "al ice"}, "sip_username", "letters, digits"),
        ({"sip_password": "short"}, "sip_password", "8 to 128 characters"),
        ({"sip_password": "has space inside"}, "sip_password", "without spaces"),
        ({"local_ip": "192.168.1.300"}, "local_ip", "IPv4 or IPv6"),
        ({"ring_timeout": 4}, "ring_timeout", "between 5 and 300 seconds"),
        ({"ring_timeout": 301}, "ring_timeout", "between 5 and 300 seconds"),
        ({"voicemail": {"pin": "12a4"}}, "voicemail.pin", "4 to 10 digits"),
        ({"voicemail": {"pin": "123"}}, "voicemail.pin", "4 to 10 digits"),
        ({"voicemail": {"email_recipients": ["not-an-email"]}}, "voicemail.email_recipients.0",
         "email address"),
        ({"caller_id": {"outbound_did": "5551230201"}}, "caller_id.outbound_did", "E.164"),
        ({"caller_id": {"outbound_did": "+0551230201"}}, "caller_id.outbound_did", "E.164"),
        ({"caller_id": {"cnam": "A" * 16}}, "caller_id.cnam", "at most 15 characters"),
        ({"caller_id": {"inbound_prefix": "P" * 21}}, "caller_id.inbound_prefix", "at most 20"),
        ({"directory": {"recorded_name_file": "alice.txt"}}, "directory.recorded_name_file",
         "audio file"),
        ({"fmfm": {"enabled": True}}, "fmfm.destinations", "at least one destination"),
        ({"fmfm": {"destinations": [{"kind": "external", "target": "0044123"}]}},
         "fmfm.destinations.0.target", "E.164"),
        ({"fmfm": {"destinations": [{"kind": "extension", "target": "+15551234567"}]}},
         "fmfm.destinations.0.target", "2 to 7 digits"),
        ({"fmfm": {"destinations": [{"kind": "extension", "target": "202", "ring_timeout": 121}]}},
         "fmfm.destinations.0.ring_timeout", "between 5 and 120"),
        ({"fmfm": {"destinations": [{"kind": "phone", "target": "202"}]}},
         "fmfm.destinations.0.kind", "extension"),
        ({"fmfm": {"no_answer_action": "external"}}, "fmfm.no_answer_target", "is required"),
        ({"fmfm": {"no_answer_action": "hangup", "no_answer_target": "202"}},
         "fmfm.no_answer_target", "must be empty"),
        ({"phones": [{"mac": "00:15:65:1a:2b", "model": "Yealink T46S"}]}, "phones.0.mac",
         "12 hex digits"),
        ({"phones": [{"mac": "01:00:5e:00:00:01", "model": "Yealink T46S"}]}, "phones.0.mac",
         "unicast"),
        ({"phones": [{"mac": "00:15:65:1a:2b:3c", "model": "Yealink", "contact": "http://x"}]},
         "phones.0.contact", "sip: or sips: URI"),
        ({"bogus": 1}, "bogus", "Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_invalid_fields_are_named_with_their_rule(
    fields: dict[str, Any], field: str, rule: str
) -> None:
    with pytest.raises(ValidationError, match=rule) as caught:
        validated(Extension, **{**BASE, **fields})
    assert field in [p.field for p in caught.value.problems]


def test_every_broken_rule_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        validated(Extension, number="0", name="", ring_timeout=1)
    assert [p.field for p in caught.value.problems] == ["number", "name", "ring_timeout"]


@pytest.mark.parametrize(
    ("fields", "secret"),
    [
        ({"sip_password": "bad pass word"}, "bad pass word"),
        ({"voicemail": {"pin": "12x45"}}, "12x45"),
    ],
)
def test_secrets_are_never_quoted_in_errors(fields: dict[str, Any], secret: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validated(Extension, **{**BASE, **fields})
    assert secret not in str(caught.value)
    # assignment goes through pydantic's own error type: it must not quote it either
    ext = validated(Extension, **BASE)
    with pytest.raises(Exception) as assigned:
        ext.sip_password = "bad pass word"  # type: ignore[assignment]
    assert "bad pass word" not in str(assigned.value)


def test_passwords_are_random_long_and_hidden() -> None:
    passwords = {generate_password().get_secret_value() for _ in range(200)}
    assert len(passwords) == 200
    assert all(len(p) == 32 for p in passwords)  # 24 random bytes, URL-safe base64
    ext = validated(Extension, **BASE, sip_password="s3cr3t-Passw0rd", voicemail={"pin": "4321"})
    for shown in (repr(ext), str(ext), ext.model_dump_json(), str(ext.model_dump(mode="json"))):
        assert "s3cr3t-Passw0rd" not in shown
        assert "4321" not in shown
    assert "sip_password" not in flatten(ext)
    assert flatten(ext, include_secrets=True)["sip_password"] == "s3cr3t-Passw0rd"


def test_dotted_changes_are_decoded_and_validated() -> None:
    ext = validated(Extension, **BASE, phones=[{"mac": "00:15:65:1a:2b:3c", "model": "Yealink T46S",
                                                 "status": "online"}])  # fmt: skip
    changed = apply_changes(
        ext,
        {
            "voicemail.enabled": "off",
            "voicemail.email_recipients": "a@example.com; b@example.com",
            "fmfm.enabled": "true",
            "fmfm.strategy": "sequential",
            "fmfm.destinations": "extension:202@15;external:+15551234567",
            "caller_id.cnam": "ACME SALES",
            "phones": "00-15-65-1A-2B-3C|Yealink T48S|",
        },
    )
    assert changed.voicemail.enabled is False
    assert changed.voicemail.email_recipients == ["a@example.com", "b@example.com"]
    assert [(d.kind, d.target, d.ring_timeout) for d in changed.fmfm.destinations] == [
        ("extension", "202", 15),
        ("external", "+15551234567", 20),
    ]
    assert changed.phones[0].model == "Yealink T48S"
    assert changed.phones[0].status == "online"  # observed state survives an edit
    assert ext.voicemail.enabled is True  # the original is untouched


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"sip_username": "other"}, "sip_username", "read-only after creation"),
        ({"voicemail.enable": "true"}, "voicemail.enable", "no such field"),
        ({"ring_timeout": "soon"}, "ring_timeout", "valid integer"),
        ({"fmfm.destinations": "202"}, "fmfm.destinations", "kind:target"),
        ({"voicemail.enabled": "perhaps"}, "voicemail.enabled", "valid boolean"),
    ],
)
def test_bad_changes_name_the_field(changes: dict[str, str], field: str, rule: str) -> None:
    ext = validated(Extension, **BASE)
    with pytest.raises(ValidationError, match=rule) as caught:
        apply_changes(ext, changes)
    assert caught.value.problems[0].field == field


def test_flat_round_trip_keeps_every_field() -> None:
    ext = validated(
        Extension,
        **BASE,
        local_ip="10.0.0.5",
        voicemail={"pin": "4321", "email_recipients": ["a@example.com"], "transcribe": True},
        fmfm={"enabled": True, "destinations": [{"kind": "external", "target": "+15551234567"}],
              "no_answer_action": "hangup"},
        caller_id={"outbound_did": "+15551230201", "inbound_prefix": "EXT: ", "cnam": "ACME"},
        directory={"include": False, "first_name": "Al", "recorded_name_file": "alice.wav"},
        phones=[{"mac": "00:15:65:1a:2b:3c", "model": "Yealink T46S"}],
    )  # fmt: skip
    flat = flatten(ext, include_secrets=True)
    assert list(flat) == list(FIELD_NAMES)
    assert from_flat(flat) == ext


def _index(**kwargs: Any) -> TenantIndex:
    return TenantIndex(**kwargs)


@pytest.mark.parametrize(
    ("fields", "index", "field", "rule"),
    [
        ({}, _index(extensions={"201"}, sip_usernames={"201": "201"}), "number", "already exists"),
        ({"sip_username": "bob"}, _index(extensions={"202"}, sip_usernames={"bob": "202"}),
         "sip_username", "already used by 202"),
        ({"phones": [{"mac": "00:15:65:1a:2b:3c", "model": "Yealink T46S"}]},
         _index(macs={"00:15:65:1a:2b:3c": "202"}), "phones.0.mac", "already on extension 202"),
        ({"phones": [{"mac": "00:15:65:1a:2b:3c", "model": "Yealink T46S"},
                     {"mac": "00-15-65-1a-2b-3c", "model": "Yealink T48S"}]},
         _index(), "phones.1.mac", "already on this extension"),
        ({"phones": [{"mac": "00:15:65:1a:2b:3c", "model": "Yealink T46S", "profile": "lab"}]},
         _index(), "phones.0.profile", "no provisioning profile 'lab'"),
        ({"voicemail": {"box": "800"}}, _index(), "voicemail.box", "no voicemail box 800"),
        ({"fmfm": {"destinations": [{"kind": "extension", "target": "299"}]}}, _index(),
         "fmfm.destinations.0.target", "no extension 299"),
        ({"fmfm": {"destinations": [{"kind": "extension", "target": "201"}]}}, _index(),
         "fmfm.destinations.0.target", "must not point at the extension itself"),
        ({"fmfm": {"no_answer_action": "extension", "no_answer_target": "299"}}, _index(),
         "fmfm.no_answer_target", "no extension 299"),
        ({}, _index(ring_groups={"201"}), "number", "ring group number"),
        ({}, _index(voicemail_boxes={"201"}), "number", "voicemail box number"),
    ],
)  # fmt: skip
def test_cross_object_rules(
    fields: dict[str, Any], index: TenantIndex, field: str, rule: str
) -> None:
    ext = validated(Extension, **{**BASE, **fields})
    problems = check_references(ext, index, is_new=True)
    assert [p.field for p in problems] == [field]
    assert rule in problems[0].message


def test_cross_object_rules_accept_valid_destinations() -> None:
    ext = validated(
        Extension,
        **BASE,
        voicemail={"box": "800"},
        fmfm={"enabled": True, "destinations": [{"kind": "extension", "target": "202"},
                                                {"kind": "voicemail", "target": "201"}]},
        phones=[{"mac": "00:15:65:1a:2b:3c", "model": "Yealink T46S", "profile": "office"}],
    )  # fmt: skip
    index = _index(extensions={"202"}, voicemail_boxes={"800"}, profiles={"office"})
    assert check_references(ext, index, is_new=True) == []


@pytest.mark.parametrize(
    ("fields", "field", "rule"),
    [
        ({"number": "+15551230201", "route": "extension"}, "target", "is required"),
        ({"number": "+15551230201", "target": "201"}, "target", "must be empty"),
        ({"number": "15551230201"}, "number", "E.164"),
    ],
)
def test_did_rules(fields: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(ValidationError, match=rule) as caught:
        validated(Did, **fields)
    assert caught.value.problems[0].field == field


def test_profile_time_zone_must_exist() -> None:
    assert validated(ProvisioningProfile, name="paris", timezone="Europe/Paris").timezone
    with pytest.raises(ValidationError, match="IANA time zone"):
        validated(ProvisioningProfile, name="mars", timezone="Mars/Olympus")
