"""The plot benchmark's synthetic day is a valid status history (no timing asserted)."""

from __future__ import annotations

import pandas as pd

from benchmarks.bench_plots import DAY_START, day_of_status
from pbxlab.analysis.status import reliability, transitions
from pbxlab.tables import STATUS


def test_the_synthetic_day_is_a_merged_status_history() -> None:
    status = day_of_status(extensions=20, changes=6)
    STATUS.validate(status)
    assert len(status) == 20 * 7
    for _, rows in status.groupby("extension"):
        assert rows["start"].iloc[0] == DAY_START
        assert rows["end"].iloc[-1] == DAY_START + pd.Timedelta(days=1)
        assert (rows["start"].iloc[1:].to_numpy() == rows["end"].iloc[:-1].to_numpy()).all()
        assert (rows["state"].iloc[1:].to_numpy() != rows["state"].iloc[:-1].to_numpy()).all()
    changes = transitions(status)
    assert changes["from_state"].notna().sum() == 20 * 6
    flapping = reliability(status).set_index("extension")["transitions"]
    assert flapping["1000"] == 6  # every tenth extension alternates online/offline
