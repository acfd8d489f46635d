"""Regenerate tests/golden/capture_counts.json from tshark (run by hand, then review).

For each corpus capture: SIP message counts by request method and by
"status/CSeq method", as `tshark -Y sip` decodes them with default settings
(the same numbers as corpus/pcaps/SOURCES.md).  Usage:
    python tests/golden/make_capture_counts.py ../shared/corpus/pcaps \
        > tests/golden/capture_counts.json
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path


def tshark_counts(path: Path) -> dict[str, int] | None:
    proc = subprocess.run(
        [
            "tshark",
            "-r",
            str(path),
            "-Y",
            "sip",
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-e",
            "sip.Method",
            "-e",
            "sip.Status-Code",
            "-e",
            "sip.CSeq.method",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return None
    counts: Counter[str] = Counter()
    for line in proc.stdout.splitlines():
        method, status, cseq_method = [*line.split("|"), "", "", ""][:3]
        for m in filter(None, method.split(",")):
            counts[m] += 1
        for s in filter(None, status.split(",")):
            counts[f"{s}/{cseq_method.split(',')[0]}"] += 1
    return dict(sorted(counts.items()))


def main(root: Path) -> None:
    result = {}
    for path in sorted(root.glob("*/*")):
        if path.suffix == ".md":
            continue
        result[str(path.relative_to(root))] = tshark_counts(path)
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
