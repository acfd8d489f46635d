"""Regenerate tests/golden/diagnoses.json: findings and status of every sample and corpus capture.

Run by hand after a reviewed change of the rules, then review the diff:
    .venv/bin/python tests/golden/make_diagnoses.py > tests/golden/diagnoses.json

For each capture of ``sample_pcaps/``, each capture of ``../shared/corpus/pcaps``
that pbxlab reads, and a small generated multi-tenant capture
(:data:`GENERATED`, three SIP domains sharing extension numbers): the
``findings`` of ``pbxlab.diagnose(capture)`` and the ``status`` of
``pbxlab.analyze(capture)``.  ``tests/analysis/test_diagnoses_golden.py``
asserts the current code gives exactly these frames -- the guard that makes
speed work (one derivation for all tenants instead of one per tenant) provably
change nothing.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.gen_capture import CaptureParams, generate_capture  # noqa: E402
from pbxlab import analyze, diagnose, read_capture  # noqa: E402
from pbxlab.errors import UnsupportedFormatError  # noqa: E402

SAMPLES = REPO / "sample_pcaps"
CORPUS = REPO.parent / "shared" / "corpus" / "pcaps"
GENERATED = CaptureParams(phones=180, duration=200.0, seed=11)
"""Three tenants (the generator makes one per 60 phones) sharing numbers 200-259."""
GENERATED_NAME = "generated:tenants"


def captures(corpus: Path = CORPUS) -> Iterator[tuple[str, Path]]:
    """(name in the golden file, path) of every sample and corpus capture."""
    for path in sorted(SAMPLES.glob("*.pcap*")):
        yield f"sample_pcaps/{path.name}", path
    if corpus.exists():
        for path in sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix != ".md"):
            yield f"corpus/pcaps/{path.relative_to(corpus)}", path


def diagnoses(path: Path) -> dict[str, pd.DataFrame] | None:
    """findings and status of one capture; None when pbxlab does not read its format."""
    try:
        capture = read_capture(path)
    except UnsupportedFormatError:
        return None
    return {"findings": diagnose(capture), "status": analyze(capture).status}


def as_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """JSON-ready rows (ISO times to the nanosecond, null for missing)."""
    text = frame.to_json(orient="records", date_format="iso", date_unit="ns")
    rows: list[dict[str, object]] = json.loads(text)
    return rows


def main() -> int:
    golden: dict[str, object] = {}
    for name, path in captures():
        result = diagnoses(path)
        if result is not None:
            golden[name] = {key: as_records(frame) for key, frame in result.items()}
    with tempfile.TemporaryDirectory() as tmp:
        generated = Path(tmp) / "tenants.pcap"
        generate_capture(generated, GENERATED)
        result = diagnoses(generated)
        assert result is not None
        golden[GENERATED_NAME] = {key: as_records(frame) for key, frame in result.items()}
    json.dump(golden, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
