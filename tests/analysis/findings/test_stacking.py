"""All tenants judged at once (pbxlab.analysis.findings.stacking) equal each tenant judged alone.

The lab samples, each renamed into a SIP domain of its own and put in one
capture, give a multi-tenant capture whose tenants show every rule that reads
per extension or per call: FLAPPING, NAT_BINDING_TIMEOUT, KEEPALIVE_DROPPED,
NAT_INBOUND_BLOCKED, ONE_WAY_AUDIO, MULTIPLE_PHONES, AUTH_FAILURE.  One
sample appears twice, under two domains, so two tenants share numbers, Call-IDs
(but for a prefix) and phone addresses.  ``diagnose(domain=...)`` judges one
tenant on its own (its own derivation, no stacking): the all-tenant diagnosis
must give exactly those findings for that domain.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pbxlab import read_capture
from pbxlab.analysis import diagnose
from pbxlab.analysis.events import capture_evidence
from pbxlab.analysis.findings.model import plain, positions_by_value, tenant_tag
from pbxlab.analysis.findings.security import _next_login
from pbxlab.analysis.findings.stacking import (
    TenantRows,
    latest,
    tag_keys,
    tenant_codes,
    tenant_tags,
)
from pbxlab.analysis.tenant_evidence import tenants_evidence
from pbxlab.analysis.tenants import tenants_rows
from pbxlab.tables import EVENTS, MESSAGES, RTP_STREAMS
from tests.conftest import SAMPLES

TENANTS = {
    "flapping.example.net": "lab-flapping.pcap",
    "timeout.example.net": "lab-nat-timeout.pcap",
    "no-answer.example.net": "lab-no-answer.pcap",
    "one-way.example.net": "lab-one-way-audio.pcap",
    "two-phones.example.net": "lab-two-phones.pcap",
    "password.example.net": "lab-wrong-password.pcap",
    "timeout-copy.example.net": "lab-nat-timeout.pcap",
    "nat.example.net": "lab-nat.pcap",
}
# nat.example.net's 202 renumbered 204: its handled-NAT findings (info) must not be
# escalated by no-answer.example.net's 204, whose requests get lost
RENUMBERED = {"nat.example.net": ("202", "204")}


def _renamed(table: pd.DataFrame, domain: str, copy: int) -> pd.DataFrame:
    """``table`` moved into ``domain``; a second copy of a sample gets its own file
    name and Call-IDs (so its transactions stay apart) but keeps its addresses."""
    out = table.copy()
    for column in ("from_host", "to_host"):
        if column in out.columns:
            out[column] = out[column].where(out[column].isna(), domain)
    if domain in RENUMBERED and "to_user" in out.columns:
        old, new = RENUMBERED[domain]
        for column in ("from_user", "to_user", "auth_user"):
            out[column] = out[column].where(out[column] != old, new)
        for column in ("contact", "contacts", "request_uri"):
            out[column] = out[column].str.replace(f"sip:{old}@", f"sip:{new}@", regex=False)
    if copy:
        out["source_file"] = "copy-" + out["source_file"].astype(str)
        out["call_id"] = "copy-" + out["call_id"].astype("string")
    return out


@cache
def tenants_capture() -> tuple[pd.DataFrame, pd.DataFrame]:
    messages, streams = [], []
    seen: dict[str, int] = {}
    for domain, name in TENANTS.items():
        capture = read_capture(SAMPLES / name)
        copy = seen.get(name, 0)
        seen[name] = copy + 1
        messages.append(_renamed(capture.messages, domain, copy))
        streams.append(_renamed(capture.rtp_streams, domain, copy))
    return MESSAGES.concat(messages), RTP_STREAMS.concat(streams)


def test_the_tenants_show_every_per_extension_rule() -> None:
    messages, streams = tenants_capture()
    found = diagnose(messages=messages, rtp_streams=streams)
    wanted = {
        "FLAPPING",
        "NAT_BINDING_TIMEOUT",
        "KEEPALIVE_DROPPED",
        "NAT_INBOUND_BLOCKED",
        "ONE_WAY_AUDIO",
        "MULTIPLE_PHONES",
        "AUTH_FAILURE",
        "NAT_CONTACT_PRIVATE",
    }
    assert wanted <= set(found["code"])
    assert set(found["domain"].dropna()) <= set(TENANTS)
    # the copied tenant's findings are its own, not merged with the original's
    timeouts = found[found["code"] == "NAT_BINDING_TIMEOUT"]
    assert sorted(timeouts["domain"]) == ["timeout-copy.example.net", "timeout.example.net"]
    handled = found[(found["domain"] == "nat.example.net") & (found["extension"] == "204")]
    assert len(handled) == 3 and set(handled["severity"]) == {"info"}


@pytest.mark.parametrize("domain", list(TENANTS))
def test_all_tenants_at_once_equal_each_tenant_alone(domain: str) -> None:
    messages, streams = tenants_capture()
    together = diagnose(messages=messages, rtp_streams=streams)
    alone = diagnose(messages=messages, rtp_streams=streams, domain=domain)
    # the findings about sources are judged over the whole capture in both
    assert_frame_equal(_sources(together), _sources(alone), check_categorical=False)
    assert_frame_equal(_of(together, domain), _of(alone, domain), check_categorical=False)


def _sources(found: pd.DataFrame) -> pd.DataFrame:
    return found[found["extension"].isna() & found["domain"].isna()].reset_index(drop=True)


def _of(found: pd.DataFrame, domain: str) -> pd.DataFrame:
    return found[found["domain"] == domain].reset_index(drop=True)


@pytest.mark.parametrize(
    ("key", "tag", "name"),
    [("3\x00201", "3\x00", "201"), ("201", "", "201"), ("12\x00", "12\x00", ""), ("", "", "")],
)
def test_tagged_keys_split_into_tag_and_name(key: str, tag: str, name: str) -> None:
    assert (tenant_tag(key), plain(key)) == (tag, name)


def test_tags_prefix_keys_and_read_back() -> None:
    tags = tenant_tags(3)
    assert list(tags) == ["0\x00", "1\x00", "2\x00"]
    keys = tag_keys(pd.Series(["201", None, "202"], dtype="string"), np.array([2, 0, 1]), tags)
    assert keys.tolist() == ["2\x00201", pd.NA, "1\x00202"]
    assert tenant_codes(keys, 3).tolist() == [2, -1, 1]
    assert tenant_codes(pd.Series(["201", "7\x00201"], dtype="string"), 3).tolist() == [-1, -1]


def test_rows_of_a_table_follow_the_calls_of_each_tenant() -> None:
    messages = pd.DataFrame({"call_id": pd.Series(["a", "b", "c", None, "a"], dtype="string")})
    # tenant 0 holds messages 0, 1, 3 (calls a, b); tenant 1 messages 1, 2 (calls b, c)
    stack = TenantRows.of(messages, {"t0": np.array([0, 1, 3]), "t1": np.array([1, 2])})
    table = pd.Series(["c", "a", None, "b", "z", "a"], dtype="string")
    owner, rows = stack.by_call(table)
    assert list(zip(owner.tolist(), rows.tolist(), strict=True)) == [
        (0, 1),
        (0, 3),
        (0, 5),
        (1, 0),
        (1, 3),
    ]
    assert stack.mask(owner, rows, len(table), 1).tolist() == [1, 0, 0, 1, 0, 0]


def test_latest_per_tenant_skips_missing_times() -> None:
    times = pd.Series(pd.to_datetime(["2024-01-01 10:00", None, "2024-01-01 09:00"], utc=True))
    owner = np.array([0, 1, 0])
    assert latest([(owner, times)], 3, missing_is_none=True) == [
        pd.Timestamp("2024-01-01 10:00", tz="UTC"),
        None,
        None,
    ]
    assert pd.isna(latest([(owner, times)], 3, missing_is_none=False)[1])


def test_positions_by_value_leaves_out_missing_values() -> None:
    groups = positions_by_value(pd.Series(["b", "a", None, "b"], dtype="string"))
    assert {k: v.tolist() for k, v in groups.items()} == {"b": [0, 3], "a": [1]}


def test_the_next_login_is_strictly_later_and_of_the_same_name() -> None:
    def at(*seconds: int) -> np.ndarray:
        return np.array([s * 1_000_000_000 for s in seconds], dtype="datetime64[ns]")

    # name 0 logs in at 10 and 30 s, name 1 at 5 s; name 2 never
    later, following = _next_login(
        np.array([0, 0, 0, 1, 2]), at(10, 20, 40, 1, 3), np.array([0, 0, 1]), at(10, 30, 5)
    )
    # a login at the very time of a failure does not follow it
    assert later.tolist() == [True, True, False, True, False]
    assert following.tolist() == at(30, 30, 40, 5, 3).tolist()


@pytest.mark.parametrize("table", ["bindings", "keepalives", "events"])
def test_each_tenants_split_tables_equal_its_own_derivation(table: str) -> None:
    messages, _ = tenants_capture()
    rows = tenants_rows(messages, list(TENANTS))
    ends = {name: messages["ts"].take(positions).max() for name, positions in rows.items()}
    derived = tenants_evidence(messages, rows, ends)
    for name, positions in rows.items():
        own = capture_evidence(
            messages.take(positions).reset_index(drop=True), EVENTS.empty(), until=ends[name]
        )
        expected = getattr(own, table)
        if table == "events":  # events of no extension belong to no tenant
            expected = expected[expected["extension"].notna()].reset_index(drop=True)
        assert_frame_equal(getattr(derived[name], table), expected, check_categorical=False)
