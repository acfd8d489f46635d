"""Findings and status of every sample and corpus capture equal the reviewed golden frames.

tests/golden/diagnoses.json is written by tests/golden/make_diagnoses.py; it holds
the exact ``diagnose(capture)`` and ``analyze(capture).status`` frames, so any change
of the rules, of the derivation or of its speed-ups that alters a single value
fails here.  The generated entry has three tenants sharing extension numbers: it
checks that deriving every tenant's tables at once (pbxlab.analysis.tenant_evidence)
gives what deriving them tenant by tenant gave.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pbxlab.tables import FINDINGS, STATUS
from tests.conftest import CORPUS, REPO
from tests.golden.make_diagnoses import GENERATED, GENERATED_NAME, diagnoses, generate_capture

GOLDEN = json.loads((REPO / "tests" / "golden" / "diagnoses.json").read_text())
SCHEMAS = {"findings": FINDINGS, "status": STATUS}


def expected(name: str, table: str) -> pd.DataFrame:
    rows = GOLDEN[name][table]
    schema = SCHEMAS[table]
    if not rows:
        return schema.empty()
    return schema.build({c: [r[c] for r in rows] for c in schema.names})


@cache
def generated_capture(tmp: Path) -> Path:
    path = tmp / "tenants.pcap"
    generate_capture(path, GENERATED)
    return path


def path_of(name: str, tmp: Path) -> Path:
    if name == GENERATED_NAME:
        return generated_capture(tmp)
    if name.startswith("sample_pcaps/"):
        return REPO / name
    path = CORPUS / name.removeprefix("corpus/")
    if not path.exists():
        pytest.skip(f"corpus capture {name} not found under {CORPUS}")
    return path


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("golden")


def test_the_golden_file_covers_samples_corpus_and_tenants() -> None:
    names = set(GOLDEN)
    assert GENERATED_NAME in names
    assert {f"sample_pcaps/{p.name}" for p in (REPO / "sample_pcaps").glob("*.pcap")} <= names
    generated = expected(GENERATED_NAME, "findings")
    assert generated["domain"].nunique() == 3  # several tenants, sharing numbers
    assert generated.groupby("extension")["domain"].nunique().max() > 1


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_findings_and_status_are_unchanged(name: str, tmp: Path) -> None:
    result = diagnoses(path_of(name, tmp))
    assert result is not None
    for table in ("findings", "status"):
        assert_frame_equal(result[table], expected(name, table), obj=f"{name} {table}")
