"""diagnose(): what it accepts, the table it returns, the policy it obeys."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools

import pandas as pd
import pytest

from pbxlab import read_capture
from pbxlab.analysis import DiagnosisPolicy, analyze, diagnose
from pbxlab.analysis.findings import CODES, gather
from pbxlab.analysis.findings import policy as policy_module
from pbxlab.analysis.findings.model import join_evidence
from pbxlab.tables import FINDINGS
from tests.analysis.findings import frames as f
from tests.conftest import corpus_path


def test_empty_evidence_gives_an_empty_findings_table() -> None:
    found = diagnose()
    assert found.empty and list(found.columns) == list(FINDINGS.names)
    FINDINGS.validate(found)


def test_capture_analysis_and_tables_give_the_same_findings() -> None:
    capture = read_capture(corpus_path("pcaps/heplify/ipip0.pcap"))
    from_analysis = diagnose(analyze(capture))
    pd.testing.assert_frame_equal(from_analysis, diagnose(capture))
    pd.testing.assert_frame_equal(
        from_analysis, diagnose(messages=capture.messages, rtp_streams=capture.rtp_streams)
    )
    FINDINGS.validate(from_analysis)
    assert set(from_analysis["code"]) <= set(CODES)


def test_an_object_without_tables_is_refused() -> None:
    with pytest.raises(TypeError, match="carries none of the evidence tables"):
        diagnose(object())
    with pytest.raises(TypeError, match="unknown evidence tables"):
        gather(None, calls=pd.DataFrame())


def test_findings_are_ordered_most_severe_first() -> None:
    rows = [
        *f.login(0, "201", "192.168.1.20", received="203.0.113.7", rport="5060"),  # info NAT
        *f.exchange(5, "REGISTER", user="210", src="192.168.1.30", status=403),  # warning
    ]
    found = diagnose(messages=f.messages(rows))
    assert list(found["severity"].astype(str)) == sorted(
        found["severity"].astype(str), key=["critical", "warning", "info"].index
    )
    assert found.iloc[0]["code"] == "AUTH_FAILURE"


def test_the_policy_moves_the_thresholds() -> None:
    rows = [
        r
        for i in range(3)
        for r in f.exchange(i, "REGISTER", user=f"9{i}", src="192.0.2.66", status=404)
    ]
    messages = f.messages(rows)
    assert diagnose(messages=messages).empty
    strict = dataclasses.replace(DiagnosisPolicy(), scanner_min_accounts=3)
    assert list(diagnose(messages=messages, policy=strict)["code"]) == ["SCANNER"]


def test_policy_is_frozen_and_every_threshold_is_documented() -> None:
    policy = DiagnosisPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.max_evidence = 3  # type: ignore[misc]
    tree = ast.parse(inspect.getsource(policy_module))
    body = next(
        node.body
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name == "DiagnosisPolicy"
    )
    documented = {
        statement.target.id
        for statement, following in itertools.pairwise(body)
        if isinstance(statement, ast.AnnAssign)
        and isinstance(statement.target, ast.Name)
        and isinstance(following, ast.Expr)
        and isinstance(following.value, ast.Constant)
        and isinstance(following.value.value, str)
    }
    assert documented == {field.name for field in dataclasses.fields(DiagnosisPolicy)}


@pytest.mark.parametrize(
    ("evidence", "limit", "expected"),
    [
        (["a:frame 1", "a:frame 2", "a:frame 1"], 8, "a:frame 1;a:frame 2"),
        ([f"a:frame {i}" for i in range(1, 11)], 3, "a:frame 1;a:frame 2;a:frame 10"),
        ([], 3, ""),
    ],
)
def test_evidence_is_unique_and_bounded(evidence: list[str], limit: int, expected: str) -> None:
    assert join_evidence(evidence, limit) == expected
