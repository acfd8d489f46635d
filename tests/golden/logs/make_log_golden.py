"""Write the golden files of the corpus logs, for review by hand.

Run from the repository root: ``python -m tests.golden.logs.make_log_golden``.
It writes ``<dir>__<file>.events.csv`` (and ``.errors.csv`` when there are
errors) plus ``index.json`` (format and skipped-line count per file, or the
error a file must raise).  Review every diff before committing: these files
are the oracle of tests/capture/logs/test_corpus_logs.py.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from pbxlab.errors import PbxlabError
from tests.capture.logs.corpus_logs import (
    GOLDEN,
    errors_table,
    events_table,
    golden_name,
    read_corpus_log,
)
from tests.conftest import CORPUS


def corpus_logs() -> list[str]:
    """Every log of the corpus, relative to corpus/."""
    root = CORPUS / "logs"
    return sorted(
        str(p.relative_to(CORPUS))
        for p in root.rglob("*")
        if p.is_file() and p.name != "SOURCES.md"
    )


def main() -> None:
    index: dict[str, dict[str, object]] = {}
    for old in GOLDEN.glob("*.csv"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        for relative in corpus_logs():
            try:
                read = read_corpus_log(CORPUS, relative, Path(tmp))
            except PbxlabError as exc:
                index[relative] = {
                    "raises": type(exc).__name__,
                    "message": exc.message.split(": ", 1)[-1],
                }
                continue
            (name,) = read.formats.values()
            (skipped,) = read.skipped_lines.values()
            index[relative] = {
                "format": name,
                "skipped": skipped,
                "events": len(read.events),
                "errors": len(read.errors),
            }
            stem = golden_name(relative)
            events_table(read).to_csv(GOLDEN / f"{stem}.events.csv", index=False)
            if len(read.errors):
                errors_table(read).to_csv(GOLDEN / f"{stem}.errors.csv", index=False)
    (GOLDEN / "index.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
