"""Tenant rules for log events, on literal rows: which address is read, and precedence."""

from __future__ import annotations

import pandas as pd
import pytest

from pbxlab.batch.assign import _address_host, _event_tenants
from pbxlab.batch.tenantmap import parse_csv_map

TENANT_MAP = parse_csv_map(
    "match,tenant\n198.51.100.0/24,acme\n203.0.113.0/24,beta\nphones.acme.example,acme\n"
)
PHONES = {"192.0.2.7": "gamma", "198.51.100.9": "gamma"}


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("198.51.100.4:5060", "198.51.100.4"),
        ("198.51.100.4", "198.51.100.4"),
        ("[2001:db8::1]:5060", "2001:db8::1"),
        ("sip:301@198.51.100.4:5060;transport=udp", "198.51.100.4"),
        ("<sip:301@[2001:db8::1]:5062>", "2001:db8::1"),
        ("sips:301@phones.acme.example", "phones.acme.example"),
    ],
)
def test_the_address_of_a_source_or_contact(value: str, host: str) -> None:
    assert _address_host(value) == host


@pytest.mark.parametrize(
    ("source", "contact", "tenant"),
    [
        ("198.51.100.4:5060", None, "acme"),  # a mapped network
        (None, "sip:301@203.0.113.5:5060", "beta"),  # the contact's address
        ("203.0.113.5:5060", "sip:301@198.51.100.4", "beta"),  # the source first
        (None, "sip:301@phones.acme.example", "acme"),  # a mapped domain as contact host
        ("192.0.2.7:5060", None, "gamma"),  # a phone that registered in one tenant
        ("198.51.100.9:5060", None, "acme"),  # a mapped network beats the phone link
        ("192.0.2.99:5060", "sip:1@192.0.2.100", None),  # nothing names it: unmapped
        (None, None, None),
    ],
)
def test_event_rules_apply_in_order(
    source: str | None, contact: str | None, tenant: str | None
) -> None:
    events = pd.DataFrame({"source": [source], "contact": [contact]}, dtype="string")
    assert _event_tenants(events, TENANT_MAP, PHONES).tolist() == [tenant]
