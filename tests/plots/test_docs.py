"""The examples of docs/plots.md run (from the repository root, as the doc says)."""

from __future__ import annotations

import re
from typing import Any

import plotly.graph_objects as go
import pytest

from pbxlab.plots import evidence_frames
from tests.conftest import REPO


def test_the_documented_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (REPO / "docs" / "plots.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks
    monkeypatch.chdir(REPO)
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, "docs/plots.md", "exec"), namespace)
    call, evidence = namespace["call"], namespace["one_way"]["evidence"]
    figure = namespace["plots"].ladder(call.messages, evidence=evidence, whole_dialogs=True)
    assert isinstance(figure, go.Figure)
    frames = [frame for _, frame in evidence_frames(evidence)]
    dialogs = set(call.messages.loc[call.messages["frame"].isin(frames), "call_id"])
    assert dialogs
    (points,) = figure.data
    assert len(points.x) == call.messages["call_id"].isin(dialogs).sum()
