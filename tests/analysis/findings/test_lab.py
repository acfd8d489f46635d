"""Findings on the lab recordings (kamailio + SIPp on loopback) against lab/truth.py.

Every scenario's ``must`` findings appear with an allowed severity (FLAPPING with
its pattern and period), and none of its ``must_not`` findings does.  The live
counterpart of these recordings runs under the ``lab`` marker in tests/lab/.
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd
import pytest

import pbxlab
from lab.truth import TRUTH, Finding
from tests.lab.conftest import sample_path


@cache
def findings_of(scenario: str) -> pd.DataFrame:
    return pbxlab.diagnose(pbxlab.analyze(pbxlab.read_capture(sample_path(scenario))))


def matching(found: pd.DataFrame, expected: Finding) -> pd.DataFrame:
    rows = found
    if expected.code != "*":
        rows = rows[rows["code"] == expected.code]
    if expected.extension is not None:
        rows = rows[rows["extension"] == expected.extension]
    if expected.source is not None:
        hosts = rows["source"].fillna("").astype(str).str.rsplit(":", n=1).str[0]
        rows = rows[(rows["source"] == expected.source) | (hosts == expected.source)]
    return rows[rows["severity"].astype(str).isin(expected.severities)]


@pytest.mark.parametrize("scenario", sorted(TRUTH))
def test_lab_scenario_is_diagnosed_as_its_truth_says(scenario: str) -> None:
    assert_truth(scenario, findings_of(scenario))


def assert_truth(scenario: str, found: pd.DataFrame) -> None:
    """``found`` has every ``must`` finding of the scenario and none of its ``must_not``."""
    truth = TRUTH[scenario]
    for expected in truth.must:
        rows = matching(found, expected)
        assert not rows.empty, f"{scenario}: missing {expected}\n{found[['extension', 'code']]}"
        summary = str(rows.iloc[0]["summary"])
        if expected.pattern is not None:
            assert expected.pattern in summary
        if expected.period_s is not None:
            period = re.search(r"every (\d+) s", summary)
            assert period is not None and abs(int(period[1]) - expected.period_s) <= 1, summary
    for unwanted in truth.must_not:
        rows = matching(found, unwanted)
        assert rows.empty, f"{scenario}: unwanted {unwanted}: {list(rows['summary'])}"


def test_nat_binding_timeout_on_the_lab_recording_names_delay_and_bound() -> None:
    # 213's NAT forgets it 1.8 s after its last packet; the registrar pings every
    # 2 s: the answered keepalives came at most ~1.8 s after a packet, the lost
    # ones 2 s after the last answer (whole seconds would say "between 2 s and 2 s").
    found = findings_of("nat-timeout")
    rows = found[(found["code"] == "NAT_BINDING_TIMEOUT") & (found["extension"] == "213")]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["source"] == "127.0.0.22:5062"
    assert (
        "became unreachable 3 times, each time about 2.0 s after its last packet"
        in (row["summary"])
    )
    assert "after between 1.8 s and 2.0 s of silence" in row["summary"]
