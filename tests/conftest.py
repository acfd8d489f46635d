"""Shared test fixtures: where the public corpus and the bundled samples are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO.parent / "shared" / "corpus").resolve()
SAMPLES = REPO / "sample_pcaps"

# headless Chromium fixtures (browser, page, console, screenshot) for any test
pytest_plugins = ["tests.browser"]


def corpus_path(relative: str) -> Path:
    """A file of ../shared/corpus; skips the test when the corpus is not beside the repo."""
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus file {relative} not found under {CORPUS}")
    return path


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.exists():
        pytest.skip(f"public corpus not found at {CORPUS}")
    return CORPUS
