"""What a batch run reads: files and directories -> captures and logs, with layout tenants.

Strategy: a file named on the command line is read whatever it looks like
(a capture unless it is a registrar log, as everywhere in pbxlab, so a bad file
fails with the capture reader's error).  A directory is walked: a file directly
inside it has no tenant of its own (its evidence is split by SIP domain or the
tenant map); a file anywhere under ``DIR/NAME/`` belongs to tenant ``NAME``
(the directory layout).  Walking skips names starting with "." (caches, editor
files) and lists files that are neither a capture nor a known log as skipped,
so the caller can report them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pbxlab.capture.logs import looks_like_registrar_log
from pbxlab.capture.logs.detect import binary_kind, read_head
from pbxlab.errors import InputError, Location

__all__ = ["BatchFile", "BatchInputs", "collect_inputs"]

Kind = Literal["capture", "log"]


@dataclass(frozen=True)
class BatchFile:
    """One input file: absolute ``path``, ``kind``, and the tenant its directory names
    (None when the file's evidence is to be split by domain or tenant map)."""

    path: Path
    kind: Kind
    layout_tenant: str | None = None


@dataclass(frozen=True)
class BatchInputs:
    """The files of a run, in a stable order, and the files a directory walk skipped."""

    files: tuple[BatchFile, ...]
    skipped: tuple[Path, ...] = field(default=())


def _kind(path: Path) -> Kind | None:
    """capture, log, or None for a file that is neither (never raises)."""
    try:
        head = read_head(path, 16)
    except InputError:
        return None
    found = binary_kind(head)
    if found is not None and found.startswith("a packet capture"):
        return "capture"
    return "log" if looks_like_registrar_log(path) else None


def _walk(root: Path) -> Iterable[tuple[Path, str | None]]:
    """Files under ``root`` with their layout tenant, sorted, dot-names skipped."""
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            yield entry, None
        elif entry.is_dir():
            for path in sorted(entry.rglob("*")):
                relative = path.relative_to(entry).parts
                if path.is_file() and not any(p.startswith(".") for p in relative):
                    yield path, entry.name


def collect_inputs(paths: Iterable[str | Path]) -> BatchInputs:
    """Expand files and directories into :class:`BatchInputs` (see module doc).

    A file given twice (or found twice) is read once.  Raises InputError for a
    path that does not exist and for a run with no capture or log at all.
    """
    given_paths = list(paths)
    files: list[BatchFile] = []
    skipped: list[Path] = []
    seen: set[Path] = set()
    for given in given_paths:
        path = Path(given)
        if not path.exists():
            raise InputError("no such file or directory", Location(str(path)))
        if path.is_dir():
            for found, tenant in _walk(path):
                kind = _kind(found)
                resolved = found.resolve()
                if kind is None:
                    skipped.append(resolved)
                elif resolved not in seen:
                    seen.add(resolved)
                    files.append(BatchFile(resolved, kind, tenant))
            continue
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            kind = "log" if looks_like_registrar_log(path) else "capture"
            files.append(BatchFile(resolved, kind, None))
    if not files:
        shown = ", ".join(str(p) for p in given_paths)
        raise InputError(f"no capture or registrar log found in {shown}")
    return BatchInputs(tuple(files), tuple(skipped))
