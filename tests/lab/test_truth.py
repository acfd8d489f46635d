"""lab/truth.py is consistent with the recordings it describes.

The checkpoints are checked against a deliberately naive reading of each
recording (bindings from accepted REGISTERs, keepalives answered within 2 s,
INVITE dialogs), so that the truth handed to the analysis tests is not
itself wrong.  Finding expectations are checked for shape only: they are
the analysis' to meet.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest

import pbxlab
from lab.catalog import SCENARIOS
from lab.truth import TRUTH, Checkpoint
from tests.lab.conftest import sample_path
from tests.lab.expectations import REGISTRAR, transactions

ANSWER_TIMEOUT = pd.Timedelta(seconds=2)
CODES = {
    "*",
    "FLAPPING",
    "NAT_CONTACT_PRIVATE",
    "NAT_VIA_MISMATCH",
    "NAT_PORT_MISMATCH",
    "NAT_SDP_PRIVATE",
    "NAT_INBOUND_BLOCKED",
    "ONE_WAY_AUDIO",
    "KEEPALIVE_DROPPED",
    "NAT_BINDING_TIMEOUT",
    "AUTH_FAILURE",
    "SCANNER",
    "BRUTE_FORCE",
    "CREDENTIAL_LEAK_SUSPECTED",
    "MULTIPLE_PHONES",
}


def naive_state(messages: pd.DataFrame, t: pd.DataFrame, extension: str, at: pd.Timestamp) -> str:
    """The DESIGN.md state of ``extension`` at ``at``, read naively.

    ``t`` is ``transactions(messages)``.
    """
    invites = t[(t["method"] == "INVITE") & (t["final"] == 200)]
    mine = invites[(invites["to_user"] == extension) | (invites["from_user"] == extension)]
    for call_id, answered in zip(mine["call_id"], mine["final_ts"], strict=True):
        byes = t[(t["call_id"] == call_id) & (t["method"] == "BYE") & (t["final_ts"] <= at)]
        if answered <= at and byes.empty:
            return "in_use"
    to_phone = t[(t["method"] == "INVITE") & (t["to_user"] == extension) & (t["src"] == REGISTRAR)]
    alerting = messages[messages["status"].isin([180, 183]) & (messages["ts"] <= at)]
    for _, hop in to_phone.iterrows():
        rang = alerting[
            (alerting["call_id"].astype(str) == hop["call_id"])
            & (alerting["src"].astype(str) == hop["dst"])
        ]
        if not rang.empty and not (hop["final_ts"] <= at):
            return "ringing"
    registers = t[
        (t["method"] == "REGISTER")
        & (t["to_user"] == extension)
        & (t["final"] == 200)
        & (t["ts"] <= at)
    ]
    for (ip, port), phone in registers.groupby(["src", "sport"]):
        last = phone.iloc[-1]
        if at - last["ts"] >= pd.Timedelta(seconds=int(last["expires"])):
            continue  # expired, or unregistered (Expires: 0)
        decided = t[
            (t["method"] == "OPTIONS")
            & (t["src"] == REGISTRAR)
            & (t["dst"] == ip)
            & (t["dport"] == port)
            & (t["ts"] <= at - ANSWER_TIMEOUT)
        ]
        if decided.empty or bool(decided["answered"].iloc[-1]):
            return "online"
    return "offline"


def test_truth_covers_every_scenario() -> None:
    assert set(TRUTH) == set(SCENARIOS)


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_findings_name_known_codes_and_subjects(name: str) -> None:
    truth = TRUTH[name]
    for finding in (*truth.must, *truth.must_not):
        assert finding.code in CODES
        assert (finding.extension is None) != (finding.source is None)
        assert finding.severities <= {"info", "warning", "critical"}
    musts = {(f.code, f.extension, f.source) for f in truth.must}
    for forbidden in truth.must_not:
        key = (forbidden.code, forbidden.extension, forbidden.source)
        if key in musts:  # allowed at one severity, forbidden at another
            allowed = next(f for f in truth.must if (f.code, f.extension, f.source) == key)
            assert not allowed.severities & forbidden.severities


@cache
def _recording(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    messages = pbxlab.read_capture(sample_path(name)).messages
    return messages, transactions(messages)


def _checkpoints() -> list[tuple[str, Checkpoint]]:
    return [(name, c) for name in sorted(TRUTH) for c in TRUTH[name].checkpoints]


@pytest.mark.parametrize(
    ("name", "checkpoint"), _checkpoints(), ids=lambda v: str(getattr(v, "t", v))
)
def test_checkpoint_agrees_with_the_recording(name: str, checkpoint: Checkpoint) -> None:
    messages, t = _recording(name)
    at = messages["ts"].min() + pd.Timedelta(seconds=checkpoint.t)
    assert at <= messages["ts"].max(), "checkpoint after the end of the capture"
    assert naive_state(messages, t, checkpoint.extension, at) == checkpoint.state
