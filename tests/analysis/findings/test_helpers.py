"""The small pure helpers the classifiers stand on: addresses, windows, typos, evidence."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbxlab.analysis.findings.model import host_of, is_private, join_evidence, uri_hostport
from pbxlab.analysis.findings.policy import DEFAULT_PRIVATE_NETWORKS
from pbxlab.analysis.findings.security import _typo_distance, best_window
from pbxlab.analysis.findings.transactions import observed_address


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("sip:201@192.168.1.2:5060;transport=udp", ("192.168.1.2", 5060)),
        ("<sip:eim@192.168.60.101:47366;transport=udp>", ("192.168.60.101", 47366)),
        ("sip:voi18063@192.168.1.2;line=9c7d", ("192.168.1.2", None)),
        ("sips:alice@[2001:db8::1]:5061", ("2001:db8::1", 5061)),
        ("sip:pbx.example.com", ("pbx.example.com", None)),
        ("*", ("*", None)),
        (None, (None, None)),
    ],
)
def test_uri_hostport(uri: str | None, expected: tuple[str | None, int | None]) -> None:
    assert uri_hostport(uri) == expected


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("10.8.0.1", True),
        ("172.31.255.1", True),
        ("172.32.0.1", False),
        ("192.168.60.240", True),
        ("100.64.1.1", True),  # carrier-grade NAT (RFC 6598)
        ("fd00::5", True),
        ("203.0.113.7", False),
        ("127.0.0.13", False),  # loopback is not a NAT'd LAN
        ("pbx.example.com", False),
        (None, False),
    ],
)
def test_is_private(address: str | None, private: bool) -> None:
    assert is_private(address, DEFAULT_PRIVATE_NETWORKS) is private


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("80.230.219.70", "192.168.1.2", "5060", 5060), ("80.230.219.70", 5060)),
        (("141.85.225.204", "192.168.60.101", "60959", 46047), ("141.85.225.204", 60959)),
        ((None, "203.0.113.7", None, 40001), ("203.0.113.7", 40001)),
        (("203.0.113.9", "192.168.1.2", "", 5060), ("203.0.113.9", None)),
    ],
)
def test_observed_address(args: tuple[object, ...], expected: tuple[str, int | None]) -> None:
    assert observed_address(*args) == expected


@pytest.mark.parametrize(
    ("text", "host"), [("1.2.3.4:5060", "1.2.3.4"), ("[::1]:5060", "::1"), ("1.2.3.4", "1.2.3.4")]
)
def test_host_of(text: str, host: str) -> None:
    assert host_of(text) == host


@given(st.text(max_size=8), st.text(max_size=8))
def test_typo_distance_is_a_symmetric_bounded_distance(a: str, b: str) -> None:
    distance = _typo_distance(a, b)
    assert distance == _typo_distance(b, a)
    assert abs(len(a) - len(b)) <= distance <= max(len(a), len(b))
    assert (distance == 0) == (a == b)


@given(
    st.lists(st.integers(min_value=0, max_value=600), max_size=40),
    st.integers(min_value=1, max_value=6),
)
def test_best_window_is_the_fullest_window(seconds: list[int], minimum: int) -> None:
    ts = pd.Series(pd.to_datetime(sorted(seconds), unit="s", utc=True))
    window = pd.Timedelta(seconds=60)
    found = best_window(ts, window, minimum, lambda i, j: True)
    fullest = max((sum(1 for t in seconds if s <= t <= s + 60) for s in seconds), default=0)
    if fullest < minimum:
        assert found is None
    else:
        assert found is not None
        i, j = found
        assert j - i == fullest
        assert ts.iloc[j - 1] - ts.iloc[i] <= window


@given(
    st.lists(st.sampled_from(["a:frame 1", "a:frame 2", "b:line 3", "c:frame 9"]), max_size=12),
    st.integers(2, 5),
)
def test_join_evidence_is_unique_and_bounded(evidence: list[str], limit: int) -> None:
    joined = [e for e in join_evidence(evidence, limit).split(";") if e]
    assert len(joined) == len(set(joined)) <= limit
    assert set(joined) <= set(evidence)
