"""Live lab runs: Kamailio and SIPp in a private network namespace, captured on loopback.

Three of the quicker scenarios (about 30 s together); each live capture must
show what the scenario's committed recording shows (tests/lab/expectations.py).
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.lab.conftest import LabCapture
from tests.lab.expectations import CHECKS, assert_loopback_only

pytestmark = pytest.mark.lab

LIVE = ["wrong-password", "nat", "no-answer"]


@pytest.mark.parametrize("name", LIVE)
def test_live_run_shows_the_scenario(lab_capture: LabCapture, name: str) -> None:
    capture = lab_capture(name)
    assert_loopback_only(capture)
    CHECKS[name](capture)


def test_register_is_challenged_then_accepted(lab_capture: LabCapture) -> None:
    capture = lab_capture("nat")
    m = capture.messages
    first = m[m["to_user"].astype(str) == "202"].head(4)
    ladder = [
        (str(method) if is_request else int(status), "" if pd.isna(user) else str(user))
        for method, status, is_request, user in zip(
            first["method"], first["status"], first["is_request"], first["auth_user"], strict=True
        )
    ]
    # Credentials only on the second REGISTER, in the extension's name.
    assert ladder == [("REGISTER", ""), (401, ""), ("REGISTER", "202"), (200, "")]
