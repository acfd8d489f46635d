"""Multi-tenant captures: an extension is (SIP domain, number), never the number alone."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from pbxlab.analysis import diagnose
from pbxlab.tables import FINDINGS
from tests.analysis.findings import frames as f

ALPHA = "alpha.pbx.example.net"
BETA = "beta.pbx.example.net"
ALPHA_OFFICE = "203.0.113.50"
BETA_OFFICE = "198.18.7.9"
SCANNER = "192.0.2.66"


def in_domain(rows: list[dict[str, Any]], domain: str) -> list[dict[str, Any]]:
    """Rows whose From and To URIs name ``domain``."""
    return [{**row, "from_host": domain, "to_host": domain} for row in rows]


def two_tenants() -> pd.DataFrame:
    """Both tenants have a 201, registered at the same time from unrelated sites and
    devices; beta's 201 has a password the registrar refuses; alpha's is behind a
    handled NAT.  A scanner probes three accounts of each tenant."""
    alpha = f.login(
        0, "201", ALPHA_OFFICE, sport=40000, contact="sip:201@192.168.1.20:5060", rport="40000"
    )
    alpha += f.login(
        600, "201", ALPHA_OFFICE, sport=40000, contact="sip:201@192.168.1.20:5060", rport="40000"
    )
    beta = f.login(30, "201", BETA_OFFICE, user_agent="MicroSIP/3.21.3")
    for minute in (2, 3, 4):
        beta += f.exchange(
            minute * 60, "REGISTER", user="201", src=BETA_OFFICE, status=403, auth=True
        )
    probes: list[dict[str, Any]] = []
    for i, (user, domain) in enumerate(
        [*((u, ALPHA) for u in ("100", "101", "102")), *((u, BETA) for u in ("103", "104", "105"))]
    ):
        rows = f.exchange(900 + i, "REGISTER", user=user, src=SCANNER, status=404, cseq=i)
        probes += in_domain(rows, domain)
    return f.messages([*in_domain(alpha, ALPHA), *in_domain(beta, BETA), *probes])


def test_two_tenants_201_are_not_merged() -> None:
    found = diagnose(messages=two_tenants())
    FINDINGS.validate(found)
    # merged, beta's 201 would look like a leak of alpha's and a second phone on it
    assert not found["code"].isin(["CREDENTIAL_LEAK_SUSPECTED", "MULTIPLE_PHONES"]).any()
    auth = found[found["code"] == "AUTH_FAILURE"]
    assert list(zip(auth["extension"], auth["domain"], strict=True)) == [("201", BETA)]
    assert "never logged in after" in auth.iloc[0]["summary"]
    nat = found[found["code"] == "NAT_CONTACT_PRIVATE"]
    assert list(zip(nat["extension"], nat["domain"], nat["severity"], strict=True)) == [
        ("201", ALPHA, "info")
    ]


def test_a_scanner_spreading_over_tenants_is_judged_on_the_whole_capture() -> None:
    found = diagnose(messages=two_tenants())
    scanner = found[found["code"] == "SCANNER"]
    assert list(scanner["source"]) == [SCANNER]
    assert scanner["domain"].isna().all() and scanner["extension"].isna().all()
    assert "6 extensions" in scanner.iloc[0]["summary"]


@pytest.mark.parametrize(("domain", "auth_failures"), [(ALPHA, 0), (BETA, 1), (BETA.upper(), 1)])
def test_one_chosen_domain_gives_that_tenant_only(domain: str, auth_failures: int) -> None:
    found = diagnose(messages=two_tenants(), domain=domain)
    about_extensions = found[found["extension"].notna()]
    assert set(about_extensions["domain"]) == {domain}
    assert int((found["code"] == "AUTH_FAILURE").sum()) == auth_failures


def test_a_single_domain_capture_names_its_domain() -> None:
    rows = in_domain(f.exchange(0, "REGISTER", user="210", src="192.168.60.76", status=403), ALPHA)
    found = diagnose(messages=f.messages(rows))
    assert list(found["domain"]) == [ALPHA]


def test_registrar_logs_alone_have_no_domain() -> None:
    log = f.events(
        [
            {
                "ts": f.at(i * 60),
                "event": "auth_failed",
                "extension": "201",
                "source": "1.2.3.4:5060",
            }
            for i in range(3)
        ]
    )
    found = diagnose(events=log)
    assert len(found) and found["domain"].isna().all()
