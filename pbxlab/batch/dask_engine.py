"""The ``dask`` engine: per-file and per-tenant work as tasks on a Dask cluster.

Strategy: the functions are the local engine's (:func:`pbxlab.batch.units.parse_unit`,
:func:`pbxlab.batch.run.analyse_and_write`); Dask only decides where they run.
Parsed units and the dataset are files, so the workers must see the inputs, the
cache folder and the dataset folder at the same paths (a local cluster does; a
remote one needs a shared filesystem).  The default cluster is a
``LocalCluster`` of worker processes (one thread each: parsing and pandas hold
the GIL) listening on loopback only, without the dashboard.  Errors raised in a
worker are re-raised here with the same family and message (file and place).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from distributed import Client, LocalCluster, as_completed

from pbxlab.analysis import DiagnosisPolicy
from pbxlab.batch.assign import Assignment, TenantParts
from pbxlab.batch.inputs import BatchFile
from pbxlab.batch.run import Progress, Step, _Runner, analyse_and_write
from pbxlab.batch.tenant import TenantResult
from pbxlab.batch.units import ReadOptions, UnitResult, parse_unit
from pbxlab.errors import BackendUnavailableError, InputError, PbxlabError

__all__ = ["DaskRunner", "local_cluster"]

T = TypeVar("T")
CONNECT_TIMEOUT = "15s"


def _portable(function: Callable[..., T], *args: Any) -> T:
    """Run ``function`` in a worker; a PbxlabError comes back with its message whole
    (its location is part of the text: the exception classes do not pickle it)."""
    try:
        return function(*args)
    except InputError as exc:
        raise InputError(str(exc)) from None
    except PbxlabError as exc:
        raise PbxlabError(str(exc)) from None


def _parse(file: BatchFile, cache: Path, options: ReadOptions, version: str) -> UnitResult:
    return _portable(parse_unit, file, cache, options, version)


def _analyse(
    tenant: str,
    parts: TenantParts,
    units: Sequence[UnitResult],
    policy: DiagnosisPolicy | None,
    dataset: Path | None,
) -> TenantResult:
    return _portable(analyse_and_write, tenant, parts, units, policy, dataset)


def local_cluster(workers: int) -> LocalCluster:
    """A cluster of ``workers`` single-threaded processes on 127.0.0.1, no dashboard."""
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )


class DaskRunner(_Runner):
    """Runs a batch's tasks through ``client``."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @classmethod
    @contextmanager
    def connect(cls, scheduler: str | None, workers: int) -> Iterator[DaskRunner]:
        """A runner on the scheduler at ``scheduler``, or on a new local cluster of
        ``workers`` processes (closed afterwards).  Raises BackendUnavailableError
        when the scheduler cannot be reached."""
        if scheduler is None:
            with local_cluster(workers) as cluster, Client(cluster) as client:
                yield cls(client)
            return
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise BackendUnavailableError(
                f"cannot reach the Dask scheduler at {scheduler!r}: {exc}"
            ) from exc
        with client:
            yield cls(client)

    def parse(
        self,
        files: Sequence[BatchFile],
        cache: Path,
        options: ReadOptions,
        version: str,
        report: Progress,
    ) -> list[UnitResult]:
        futures = [
            self.client.submit(_parse, file, cache, options, version, pure=False) for file in files
        ]
        sizes = {future.key: _size(file.path) for future, file in zip(futures, files, strict=True)}
        total, done = sum(sizes.values()), 0
        report(Step("parse", done, total, f"{len(files)} file(s) on the cluster"))
        for future in as_completed(futures):
            future.result()  # raises the worker's error at once
            done += sizes[future.key]
            report(Step("parse", done, total, ""))
        return [future.result() for future in futures]

    def analyse(
        self,
        assignment: Assignment,
        units: Sequence[UnitResult],
        policy: DiagnosisPolicy | None,
        dataset: Path | None,
        report: Progress,
    ) -> dict[str, TenantResult]:
        shared = self.client.scatter(list(units), broadcast=True)
        futures = {
            tenant: self.client.submit(_analyse, tenant, parts, shared, policy, dataset, pure=False)
            for tenant, parts in assignment.tenants.items()
        }
        total = len(futures)
        for done, future in enumerate(as_completed(list(futures.values())), start=1):
            future.result()
            report(Step("analyse", done, total, ""))
        return {tenant: future.result() for tenant, future in futures.items()}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
