"""Splitting a multi-tenant capture by SIP domain."""

from __future__ import annotations

from pbxlab.analysis import bindings, sip_domains, tenant_messages
from tests.analysis.builders import PBX, register, reply, request, table

ACME, GLOBEX = "acme.pbx.example.net", "globex.pbx.example.net"


def _two_tenants() -> list[dict[str, object]]:
    # both tenants have an extension 201 behind NAT with the same private contact
    acme = {**register(0, src=("198.51.100.1", 40000), contact="sip:201@192.168.1.10:5060")}
    acme["to_host"] = ACME
    globex = {**register(1, src=("198.51.100.2", 41000), contact="sip:201@192.168.1.10:5060")}
    globex["to_host"] = GLOBEX.upper()  # domains compare case-insensitively
    qualify = request(
        10,
        "OPTIONS",
        src=PBX,
        dst=("198.51.100.2", 41000),
        from_user=None,
        to_user="201",
        call_id="q1",
    )
    rows = [acme, reply(acme, 0.1, 200, contacts=[(str(acme["contact"]), 600)])]
    rows += [globex, reply(globex, 1.1, 200, contacts=[(str(globex["contact"]), 600)])]
    return [*rows, qualify, reply(qualify, 10.1, 200)]


def test_domains_and_their_messages() -> None:
    messages = table(*_two_tenants())
    domains = sip_domains(messages)
    assert sorted(domains["domain"]) == [ACME, GLOBEX]
    assert domains["extensions"].tolist() == [1, 1]
    globex = tenant_messages(messages, GLOBEX)
    # its REGISTER and answer, and the qualify sent to its phone's address
    assert globex["frame"].tolist() == [3, 4, 5, 6]
    assert tenant_messages(messages, "nobody.example").empty


def test_whole_capture_mixes_the_two_201s_one_tenant_does_not() -> None:
    messages = table(*_two_tenants())
    mixed = bindings(messages)
    # same contact from another source looks like NAT rebinding when tenants are mixed
    assert mixed["end_reason"].tolist() == ["replaced", "still_active"]
    alone = bindings(tenant_messages(messages, ACME))
    assert alone["end_reason"].tolist() == ["still_active"]
    assert alone["source"].tolist() == ["198.51.100.1:40000"]
