"""The health score's rule, deduction by deduction (pbxlab/report/health.py)."""

from __future__ import annotations

import pytest

from pbxlab.report.health import Health, HealthPolicy, failed_calls, health, poor_streams
from tests.report.frames import calls, findings, reliability, streams

NONE = findings()
NO_RELIABILITY = reliability()
NO_CALLS = calls()
NO_STREAMS = streams()


def score(
    f=NONE, r=NO_RELIABILITY, c=NO_CALLS, s=NO_STREAMS, policy: HealthPolicy | None = None
) -> Health:
    return health(f, r, c, s, policy)


@pytest.mark.parametrize(
    ("rows", "expected_score", "expected_reasons"),
    [
        ([], 100, []),
        ([("FLAPPING", "critical", "210")], 80, [(20.0, "FLAPPING: 1 critical finding")]),
        ([("FLAPPING", "warning", "210")], 93, [(7.0, "FLAPPING: 1 warning finding")]),
        ([("MULTIPLE_PHONES", "info", "205")], 99, [(1.0, "MULTIPLE_PHONES: 1 info finding")]),
        # two codes: two reasons, largest first
        (
            [("AUTH_FAILURE", "warning", "206"), ("BRUTE_FORCE", "critical", None)],
            73,
            [(20.0, "BRUTE_FORCE: 1 critical finding"), (7.0, "AUTH_FAILURE: 1 warning finding")],
        ),
        # one code over many extensions costs at most the cap (3 x 20 -> 40)
        (
            [("NAT_INBOUND_BLOCKED", "critical", e) for e in ("201", "202", "203")],
            60,
            [(40.0, "NAT_INBOUND_BLOCKED: 3 critical findings")],
        ),
        # mixed severities of one code are counted apart
        (
            [("NAT_CONTACT_PRIVATE", "warning", "202"), ("NAT_CONTACT_PRIVATE", "info", "203")],
            92,
            [(8.0, "NAT_CONTACT_PRIVATE: 1 warning, 1 info findings")],
        ),
        # the score never goes below 0
        (
            [(code, "critical", "201") for code in ("A", "B", "C", "D", "E", "F")],
            0,
            None,
        ),
    ],
)
def test_findings_cost_their_severity_capped_per_code(rows, expected_score, expected_reasons):
    result = score(findings(*rows))
    assert result.score == expected_score
    if expected_reasons is not None:
        assert [(r.points, r.text.split(" (")[0]) for r in result.reasons] == expected_reasons


def test_reason_names_the_extensions_or_sources():
    result = score(findings(("FLAPPING", "warning", "211"), ("FLAPPING", "warning", "210")))
    assert result.reasons[0].text == ("FLAPPING: 2 warning findings (extension 210, extension 211)")
    assert result.reasons[0].code == "FLAPPING"
    scanner = score(findings(("SCANNER", "warning", None)))
    assert scanner.reasons[0].text == "SCANNER: 1 warning finding (source 198.51.100.7)"


def test_capped_reason_says_so():
    rows = [("KEEPALIVE_DROPPED", "critical", e) for e in ("201", "202", "203")]
    assert "(capped at 40)" in score(findings(*rows)).reasons[0].text


@pytest.mark.parametrize(
    ("rows", "points"),
    [
        ([("201", 24.0, 0.0)], None),  # never offline: no deduction
        ([("201", 24.0, 0.5)], 10.0),  # half the time offline: 20 x 0.5
        ([("201", 24.0, 1.0), ("202", 24.0, 0.0)], 10.0),  # the mean over extensions
        ([("201", 0.0, 1.0)], None),  # nothing observed: not judged
    ],
)
def test_availability_costs_the_mean_offline_share(rows, points):
    result = score(r=reliability(*rows))
    if points is None:
        assert result.reasons == ()
    else:
        assert [r.points for r in result.reasons] == [pytest.approx(points)]
        assert "offline" in result.reasons[0].text


@pytest.mark.parametrize(
    ("status", "end", "answered", "failed"),
    [
        (200, "bye", True, False),
        (486, "failed", False, False),  # busy: the callee's choice
        (603, "failed", False, False),  # declined
        (487, "cancel", False, False),  # the caller hung up
        (480, "failed", False, True),  # temporarily unavailable (offline extension)
        (503, "failed", False, True),
        (None, "timeout", False, True),  # no answer at all within Timer B
        (None, "ongoing", False, False),
    ],
)
def test_failed_calls_exclude_the_parties_choices(status, end, answered, failed):
    assert failed_calls(calls((status, end, answered))).tolist() == [failed]


def test_failed_call_share_costs_up_to_15():
    result = score(c=calls((200, "bye", True), (503, "failed", False)))
    assert [(r.points, r.text) for r in result.reasons] == [(7.5, "1 of 2 calls failed (50%)")]


def test_calls_from_a_flagged_attacker_are_not_the_tenants_failures():
    probes = calls((407, "failed", False), (407, "failed", False), (200, "bye", True))
    probes["src"] = ["198.51.100.7:5070", "198.51.100.7:5070", "192.0.2.10:5060"]
    scanner = findings(("SCANNER", "warning", None))  # source 198.51.100.7
    result = score(scanner, c=probes)
    assert [r.text for r in result.reasons] == ["SCANNER: 1 warning finding (source 198.51.100.7)"]
    # the same calls without the finding are two failures in three
    unflagged = score(c=probes)
    assert unflagged.reasons[0].text == "2 of 3 calls failed (67%)"


@pytest.mark.parametrize(
    ("packets", "lost", "jitter", "poor"),
    [
        (1000, 0, 5.0, False),
        (1000, 50, 5.0, False),  # 50 / 1050 = 4.8 %: under 5 %
        (1000, 60, 5.0, True),  # 5.7 %
        (1000, 0, 31.0, True),
        (1000, 0, 30.0, False),
    ],
)
def test_poor_streams(packets, lost, jitter, poor):
    assert poor_streams(streams((packets, lost, jitter))).tolist() == [poor]


def test_poor_media_share_costs_up_to_10():
    result = score(s=streams((1000, 0, 5.0), (1000, 0, 80.0)))
    assert result.reasons[0].points == pytest.approx(5.0)
    assert result.reasons[0].text.startswith("1 of 2 RTP streams")


@pytest.mark.parametrize(
    ("penalty", "grade"), [(20, "healthy"), (21, "degraded"), (51, "unhealthy")]
)
def test_grades(penalty, grade):
    policy = HealthPolicy(critical_penalty=penalty, code_cap=100)
    assert score(findings(("X", "critical", "201")), policy=policy).grade == grade


def test_deductions_add_up_to_the_score():
    result = score(
        findings(("FLAPPING", "critical", "210"), ("MULTIPLE_PHONES", "info", "205")),
        reliability(("210", 10.0, 0.25)),
        calls((200, "bye", True), (480, "failed", False)),
        streams((1000, 200, 5.0)),
    )
    assert result.score == 57  # 100 - 20 - 1 - 5 - 7.5 - 10 = 56.5, rounded half up
    assert [r.points for r in result.reasons] == sorted(
        (r.points for r in result.reasons), reverse=True
    )


def test_the_rule_is_described_with_the_policy_numbers():
    rule = HealthPolicy(critical_penalty=25, code_cap=50, jitter_threshold_ms=40).describe()
    assert "25 (critical), 7 (warning) or 1 (info)" in rule
    assert "at most 50 for all findings of one code" in rule
    assert "jitter above 40 ms" in rule
    assert score().rule == HealthPolicy().describe()
