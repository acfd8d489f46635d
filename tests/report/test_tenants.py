"""Tenants of the inputs when no batch run made them (pbxlab/report/tenants.py)."""

from __future__ import annotations

import pandas as pd

from pbxlab.report.tenants import DEFAULT_TENANT, LOGS_TENANT, tenants_by_domain
from tests.conftest import corpus_path
from tests.report.conftest import LAB_TENANT


def _key(findings: pd.DataFrame) -> list[tuple[str, ...]]:
    return sorted(
        tuple(str(v) for v in row)
        for row in findings[["extension", "domain", "source", "code", "summary"]].itertuples(
            index=False
        )
    )


def test_samples_split_by_sip_domain_and_the_log_apart(sample_tenants):
    assert set(sample_tenants) == {
        LAB_TENANT,
        "upbsml.onsip.com",
        "263734",
        "192.168.43.100",
        "bestel.com",
        LOGS_TENANT,
    }
    for name, tenant in sample_tenants.items():
        assert tenant.tenant == name
        named = tenant.findings["domain"].dropna().astype(str).str.lower()
        assert (named == name.lower()).all()
    assert [p.suffix for p in sample_tenants[LOGS_TENANT].inputs] == [".log"]
    assert all(p.suffix == ".pcap" for p in sample_tenants[LAB_TENANT].inputs)


def test_every_finding_of_diagnose_is_in_a_tenant(sample_tenants, diagnosed):
    everything = diagnosed
    split = pd.concat([t.findings for t in sample_tenants.values()], ignore_index=True)
    # source findings may go to several tenants; each appears at least once
    assert set(_key(everything)) == set(_key(split))
    about_extensions = split[split["extension"].notna()]
    assert _key(about_extensions) == _key(everything[everything["extension"].notna()])


def test_network_sources_go_to_the_tenants_they_reached(sample_tenants):
    def holders(code: str) -> set[str]:
        return {name for name, t in sample_tenants.items() if (t.findings["code"] == code).any()}

    assert holders("SCANNER") == {LAB_TENANT}  # the lab's scanner probed the lab's registrar
    assert holders("BRUTE_FORCE") == {LOGS_TENANT}  # the attack is in the log


def test_logs_alone_are_one_default_tenant():
    log = corpus_path("logs/asterisk_security/crowdsec_hub_asterisk-bf.log")
    tenants = tenants_by_domain([log])
    assert list(tenants) == [DEFAULT_TENANT]
    assert tenants[DEFAULT_TENANT].findings["code"].astype(str).tolist() == ["BRUTE_FORCE"]
    assert tenants[DEFAULT_TENANT].inputs == (log,)
