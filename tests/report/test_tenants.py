"""Tenants of the inputs when no batch run made them (pbxlab/report/tenants.py)."""

from __future__ import annotations

import pandas as pd

from pbxlab.analysis.findings import diagnose
from pbxlab.capture.reader import read_capture
from pbxlab.report.tenants import DEFAULT_TENANT, tenants_by_domain
from tests.conftest import corpus_path
from tests.report.conftest import LAB_TENANT


def _key(findings: pd.DataFrame) -> list[tuple[str, ...]]:
    return sorted(
        tuple(str(v) for v in row)
        for row in findings[["extension", "domain", "source", "code", "summary"]].itertuples(
            index=False
        )
    )


def test_samples_split_by_sip_domain(sample_tenants):
    assert set(sample_tenants) == {
        LAB_TENANT,
        "upbsml.onsip.com",
        "263734",
        "192.168.43.100",
        "bestel.com",
    }
    for name, tenant in sample_tenants.items():
        assert tenant.tenant == name
        named = tenant.findings["domain"].dropna().astype(str).str.lower()
        assert (named == name.lower()).all()


def test_every_finding_of_diagnose_is_in_a_tenant(sample_tenants, sample_files):
    capture = read_capture(sample_files)
    everything = diagnose(messages=capture.messages, rtp_streams=capture.rtp_streams)
    split = pd.concat([t.findings for t in sample_tenants.values()], ignore_index=True)
    # source findings may go to several tenants; each appears at least once
    assert set(_key(everything)) == set(_key(split))
    about_extensions = split[split["extension"].notna()]
    assert _key(about_extensions) == _key(everything[everything["extension"].notna()])


def test_the_lab_scanner_goes_to_the_tenant_it_probed(sample_tenants):
    scanners = {
        name for name, t in sample_tenants.items() if (t.findings["code"] == "SCANNER").any()
    }
    assert scanners == {LAB_TENANT}


def test_logs_alone_are_one_default_tenant():
    log = corpus_path("logs/asterisk_security/crowdsec_hub_asterisk-bf.log")
    tenants = tenants_by_domain([log])
    assert list(tenants) == [DEFAULT_TENANT]
    assert tenants[DEFAULT_TENANT].findings["code"].astype(str).tolist() == ["BRUTE_FORCE"]
    assert tenants[DEFAULT_TENANT].inputs == (log,)
