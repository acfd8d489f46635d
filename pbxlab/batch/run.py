"""A batch run: parse every file (cached), assign rows to tenants, analyse each tenant.

Strategy: three stages with one function each, so the engines differ only in
*where* the functions run.  ``local`` runs them in this process, one after the
other (memory: one file's chunk while parsing, one tenant while analysing);
``dask`` submits the per-file and per-tenant functions to a Dask cluster (a
``LocalCluster`` of worker processes on loopback by default, or the scheduler
at ``scheduler``) and assigns tenants in between on the client.  Both call the
same pure functions on the same inputs, so they give the same results.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pbxlab.analysis import DiagnosisPolicy
from pbxlab.batch.assign import Assignment, TenantParts, Unmapped, assign_tenants
from pbxlab.batch.dataset import write_tenant_dataset
from pbxlab.batch.inputs import BatchFile, collect_inputs
from pbxlab.batch.tenant import TenantResult, analyse_tenant
from pbxlab.batch.tenantmap import TenantMap, load_tenant_map
from pbxlab.batch.units import ReadOptions, UnitResult, parse_unit
from pbxlab.errors import BackendUnavailableError, InputError

__all__ = [
    "ENGINES",
    "BatchRun",
    "BatchWarning",
    "Progress",
    "Step",
    "run_batch",
    "tenant_results",
]

ENGINES = ("local", "dask")


class BatchWarning(UserWarning):
    """Evidence a batch run could not place: skipped files, unmapped rows."""


@dataclass(frozen=True)
class Step:
    """Progress of a run: ``stage`` (parse, assign, analyse), ``done`` of ``total``
    (bytes of input for parse, tenants for analyse), and what is being done."""

    stage: str
    done: int
    total: int
    detail: str = ""


Progress = Callable[[Step], None]


@dataclass(frozen=True)
class BatchRun:
    """What :func:`run_batch` produced: per-tenant ``results`` (sorted by tenant,
    the unmapped pseudo-tenant last), the parsed ``units`` (with their cached
    tables, row counts and errors), what was ``unmapped`` and the files a
    directory walk ``skipped`` (neither a capture nor a known log)."""

    results: dict[str, TenantResult]
    units: tuple[UnitResult, ...]
    unmapped: Unmapped
    skipped: tuple[Path, ...]


def _version() -> str:
    from pbxlab import __version__

    return __version__


def _tenant_map(tenants: TenantMap | str | Path | None) -> TenantMap:
    if tenants is None:
        return TenantMap()
    if isinstance(tenants, TenantMap):
        return tenants
    return load_tenant_map(tenants)


@contextmanager
def _cache(cache_dir: str | Path | None) -> Iterator[Path]:
    if cache_dir is not None:
        path = Path(cache_dir)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the cache folder {str(path)!r}: {exc}") from exc
        yield path.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="pbxlab-batch-") as scratch:
        yield Path(scratch)


def run_batch(
    inputs: Iterable[str | Path],
    *,
    tenants: TenantMap | str | Path | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
    dataset_dir: str | Path | None = None,
    read_options: ReadOptions | None = None,
    policy: DiagnosisPolicy | None = None,
    workers: int | None = None,
) -> BatchRun:
    """Parse, split by tenant, analyse and diagnose ``inputs`` (capture and log files,
    and directories: see docs/batch.md for the tenant rules).

    ``tenants``: a :class:`TenantMap` or the path of a TOML/CSV mapping file.
    ``engine``: ``local`` (this process) or ``dask`` (``scheduler`` address, or
    a local cluster of ``workers`` processes).  ``cache_dir``: where parsed files
    are kept as Parquet (a second run over unchanged files skips parsing);
    default a temporary folder removed afterwards.  ``dataset_dir``: also write
    messages/events/status/findings as a Parquet dataset partitioned by tenant
    and date.  ``progress`` is called with :class:`Step` s.  Skipped files and
    unmapped evidence are reported as :class:`BatchWarning` s.

    Returns a :class:`BatchRun`.  Raises InputError (missing input, bad tenant
    map, unknown engine, a scheduler without a shared ``cache_dir``),
    BackendUnavailableError (dask not installed or its scheduler unreachable)
    and the readers' errors for unreadable files.
    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if scheduler is not None and engine != "dask":
        raise InputError("a scheduler address needs engine='dask'")
    if scheduler is not None and cache_dir is None:
        raise InputError(
            "with a Dask scheduler, give a cache folder that the workers share (--cache DIR): "
            "they write the parsed files there"
        )
    if workers is not None and workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}")
    tenant_map = _tenant_map(tenants)
    collected = collect_inputs(list(inputs))
    if collected.skipped:
        shown = ", ".join(str(p) for p in collected.skipped[:5])
        more = f" and {len(collected.skipped) - 5} more" if len(collected.skipped) > 5 else ""
        warnings.warn(
            f"skipped {len(collected.skipped)} file(s) that are neither a capture nor a known "
            f"registrar log: {shown}{more}",
            BatchWarning,
            stacklevel=2,
        )
    options = read_options or ReadOptions()
    report = progress or (lambda step: None)
    dataset = Path(dataset_dir).resolve() if dataset_dir is not None else None
    with ExitStack() as stack:
        cache = stack.enter_context(_cache(cache_dir))
        if engine == "local":
            runner: _Runner = _LocalRunner()
        else:
            runner = stack.enter_context(_dask_runner(scheduler, workers, len(collected.files)))
        units = runner.parse(collected.files, cache, options, _version(), report)
        report(Step("assign", 0, 1, "assigning evidence to tenants"))
        assignment = assign_tenants(units, tenant_map)
        report(Step("assign", 1, 1, f"{len(assignment.tenants)} tenant(s)"))
        if assignment.unmapped:
            _warn_unmapped(assignment.unmapped)
        results = runner.analyse(assignment, units, policy, dataset, report)
    return BatchRun(results, tuple(units), assignment.unmapped, collected.skipped)


def tenant_results(
    inputs: Iterable[str | Path],
    *,
    tenants: TenantMap | str | Path | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
    **more: Any,
) -> dict[str, TenantResult]:
    """Per-tenant analysis and findings of ``inputs``: tenant -> :class:`TenantResult`
    (sorted by tenant; ``"(unmapped)"`` last when some evidence matched no
    tenant).  Arguments, further keywords and errors as :func:`run_batch`."""
    run = run_batch(
        inputs,
        tenants=tenants,
        engine=engine,
        scheduler=scheduler,
        cache_dir=cache_dir,
        progress=progress,
        **more,
    )
    return run.results


def _warn_unmapped(unmapped: Unmapped) -> None:
    counts = ", ".join(f"{n} {table}" for table, n in unmapped.rows.items() if n)
    hints = f" (most named: {', '.join(unmapped.hints[:5])})" if unmapped.hints else ""
    warnings.warn(
        f"{counts} matched no tenant{hints}; they are analysed as the tenant "
        "'(unmapped)' -- add their domains or networks to the tenant map",
        BatchWarning,
        stacklevel=3,
    )


class _Runner:
    """Where the per-file and per-tenant functions run."""

    def parse(
        self,
        files: Sequence[BatchFile],
        cache: Path,
        options: ReadOptions,
        version: str,
        report: Progress,
    ) -> list[UnitResult]:
        raise NotImplementedError

    def analyse(
        self,
        assignment: Assignment,
        units: Sequence[UnitResult],
        policy: DiagnosisPolicy | None,
        dataset: Path | None,
        report: Progress,
    ) -> dict[str, TenantResult]:
        raise NotImplementedError


def analyse_and_write(
    tenant: str,
    parts: TenantParts,
    units: Sequence[UnitResult],
    policy: DiagnosisPolicy | None,
    dataset: Path | None,
) -> TenantResult:
    """One tenant's result, also written to ``dataset`` when given (one engine task)."""
    result = analyse_tenant(tenant, parts, units, policy)
    if dataset is not None:
        write_tenant_dataset(result, dataset)
    return result


class _LocalRunner(_Runner):
    def parse(
        self,
        files: Sequence[BatchFile],
        cache: Path,
        options: ReadOptions,
        version: str,
        report: Progress,
    ) -> list[UnitResult]:
        sizes = [_size(f.path) for f in files]
        total, done = sum(sizes), 0
        units = []
        for file, size in zip(files, sizes, strict=True):
            report(Step("parse", done, total, file.path.name))
            counter = _RowCounter(report, done, total, file.path, size)
            units.append(parse_unit(file, cache, options, version, counter))
            done += size
            report(Step("parse", done, total, file.path.name))
        return units

    def analyse(
        self,
        assignment: Assignment,
        units: Sequence[UnitResult],
        policy: DiagnosisPolicy | None,
        dataset: Path | None,
        report: Progress,
    ) -> dict[str, TenantResult]:
        results = {}
        total = len(assignment.tenants)
        for done, (tenant, parts) in enumerate(assignment.tenants.items()):
            report(Step("analyse", done, total, tenant))
            results[tenant] = analyse_and_write(tenant, parts, units, policy, dataset)
        report(Step("analyse", total, total, ""))
        return results


class _RowCounter:
    """Progress within one file: bytes read when the reader tells, rows written."""

    def __init__(self, report: Progress, done: int, total: int, file: Path, size: int) -> None:
        self.report, self.done, self.total = report, done, total
        self.name, self.size = file.name, size

    def __call__(self, rows: int, position: int | None) -> None:
        # a .gz file's position counts uncompressed bytes: never past the file's share
        done = self.done + min(position or 0, self.size)
        self.report(Step("parse", done, self.total, f"{self.name}: {rows} rows"))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _dask_runner(
    scheduler: str | None, workers: int | None, files: int
) -> AbstractContextManager[_Runner]:
    try:
        from pbxlab.batch.dask_engine import DaskRunner
    except ImportError as exc:  # the optional extra is missing
        raise BackendUnavailableError(
            "the dask engine needs dask.distributed: pip install 'pbxlab[dask]'"
        ) from exc
    count = workers if workers is not None else max(1, min(files, os.cpu_count() or 1))
    return DaskRunner.connect(scheduler, count)
