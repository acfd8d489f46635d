"""The dask engine gives exactly the local engine's results (a 2-process LocalCluster
on loopback, no dashboard)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from pbxlab.batch import BatchWarning, run_batch
from tests.batch.conftest import GENERIC_LOG, copy_to

pytest.importorskip("distributed")

TABLES = (
    "messages",
    "rtp_streams",
    "registrations",
    "events",
    "bindings",
    "keepalives",
    "calls",
    "status",
    "transitions",
    "reliability",
)


def test_dask_gives_the_local_results_and_dataset(tmp_path: Path) -> None:
    copy_to(tmp_path / "in" / "acme", "lab-healthy.pcap")
    copy_to(tmp_path / "in", "xlite-register-call.pcap", "register-401-503-504.pcap")
    copy_to(tmp_path / "in", "android-nat-onsip-register-call.pcap")
    (tmp_path / "in" / "registrar.csv").write_text(GENERIC_LOG)
    inputs = [tmp_path / "in"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BatchWarning)  # unmapped rows: reported, expected
        local = run_batch(inputs, cache_dir=tmp_path / "c1", dataset_dir=tmp_path / "d1")
        remote = run_batch(
            inputs,
            engine="dask",
            workers=2,
            cache_dir=tmp_path / "c2",
            dataset_dir=tmp_path / "d2",
        )

    assert list(remote.results) == list(local.results)
    assert len(local.results) >= 4  # layout, domains and the unmapped pseudo-tenant
    for tenant, expected in local.results.items():
        got = remote.results[tenant]
        assert got.inputs == expected.inputs
        pd.testing.assert_frame_equal(got.findings, expected.findings)
        for name in TABLES:
            pd.testing.assert_frame_equal(
                getattr(got.analysis, name), getattr(expected.analysis, name)
            )
    assert remote.unmapped == local.unmapped
    for table in ("messages", "events", "status", "findings"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "d2" / table), pd.read_parquet(tmp_path / "d1" / table)
        )
