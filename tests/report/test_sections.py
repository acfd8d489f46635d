"""The report's section tables (pbxlab/report/sections.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from pbxlab.report import sections
from pbxlab.tables import SEVERITIES
from tests.report.conftest import LAB_TENANT
from tests.report.frames import calls, findings, streams


def test_call_outcomes_count_every_outcome():
    table = sections.call_outcomes(
        calls(
            (200, "bye", True),
            (200, "ongoing", True),
            (486, "failed", False),
            (603, "failed", False),
            (487, "cancel", False),
            (None, "cancel", False),
            (503, "failed", False),
            (None, "timeout", False),
            (None, "ongoing", False),
        )
    )
    assert table.set_index("outcome")["calls"].to_dict() == {
        "answered": 2,
        "busy or declined": 2,
        "cancelled": 2,
        "failed": 2,
        "ringing or ongoing": 1,
        "from a flagged attacker": 0,
    }
    assert table["share"].sum() == pytest.approx(1.0)


def test_call_outcomes_put_a_flagged_attackers_calls_apart():
    probes = calls((407, "failed", False), (200, "bye", True))
    probes["src"] = ["198.51.100.7:5070", "192.0.2.10:5060"]
    table = sections.call_outcomes(probes, {"198.51.100.7"}).set_index("outcome")["calls"]
    assert (table["from a flagged attacker"], table["answered"], table["failed"]) == (1, 1, 0)


def test_call_outcomes_count_a_b2bua_call_once():
    legs = calls((200, "bye", True), (200, "bye", True))
    legs["leg_group"] = "c0"
    assert sections.call_outcomes(legs).set_index("outcome")["calls"]["answered"] == 1


def test_call_outcomes_of_no_calls_are_zero():
    table = sections.call_outcomes(calls())
    assert table["calls"].tolist() == [0] * len(sections.CALL_OUTCOMES)
    assert table["share"].tolist() == [0.0] * len(sections.CALL_OUTCOMES)


def test_media_quality_rows():
    table = sections.media_quality(streams((1000, 0, 4.0), (900, 100, 12.0)))
    assert table["direction"].tolist() == [
        "192.0.2.1:4000 → 192.0.2.2:5000",
        "192.0.2.1:4001 → 192.0.2.2:5001",
    ]
    assert table["loss"].tolist() == pytest.approx([0.0, 0.1])
    assert table["poor"].tolist() == [False, True]


def test_findings_by_severity_has_every_severity_most_severe_first():
    split = sections.findings_by_severity(
        findings(("A", "info", "1"), ("B", "critical", "2"), ("C", "info", "3"))
    )
    assert list(split) == list(reversed(SEVERITIES))
    assert [len(split[s]) for s in split] == [1, 0, 2]


def test_security_findings_by_code():
    split = sections.security_findings(
        findings(("SCANNER", "warning", None), ("FLAPPING", "warning", "210"))
    )
    assert list(split) == list(sections.SECURITY_CODES)
    assert len(split["SCANNER"]) == 1
    assert sum(len(f) for f in split.values()) == 1


def test_extensions_table_of_the_lab(sample_tenants):
    lab = sample_tenants[LAB_TENANT]
    table = sections.extensions_table(lab.analysis, lab.findings)
    assert set(table.columns) >= {"extension", "state", "phones", "findings", "worst_severity"}
    assert table["extension"].is_unique
    # every extension a finding names is listed, with its count
    named = lab.findings["extension"].dropna().astype(str)
    assert set(named) <= set(table["extension"])
    counts = table.set_index("extension")["findings"]
    for extension, n in named.value_counts().items():
        assert counts[extension] == n
    # worst first: the critical finding's extension leads
    critical = lab.findings.loc[lab.findings["severity"] == "critical", "extension"]
    assert table["extension"].iloc[0] in set(critical.dropna())
    assert table["state"].isin(["online", "ringing", "in_use", "offline", "unknown"]).all()


def test_worst_extensions_of_the_lab_include_the_flapping_ones(sample_tenants):
    lab = sample_tenants[LAB_TENANT]
    worst = sections.worst_extensions(lab.analysis, lab.findings, limit=10)
    flapping = set(lab.findings.loc[lab.findings["code"] == "FLAPPING", "extension"].astype(str))
    assert flapping and flapping <= set(worst)
    assert len(worst) == len(set(worst)) <= 10
    assert sections.worst_extensions(lab.analysis, lab.findings, limit=2) == worst[:2]


def test_phones_are_the_user_agents_of_active_bindings(sample_tenants):
    xlite = sample_tenants["bestel.com"]
    table = sections.extensions_table(xlite.analysis, xlite.findings)
    assert table.set_index("extension")["phones"].to_dict() == {"francisco": "X-Lite release 1103m"}


def test_media_quality_is_empty_without_rtp():
    table = sections.media_quality(streams())
    assert table.empty and list(table.columns) == [
        "call_id",
        "direction",
        "codec",
        "packets",
        "loss",
        "max_jitter_ms",
        "poor",
    ]
    assert isinstance(table, pd.DataFrame)
