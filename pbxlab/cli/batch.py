"""``pbxlab batch``: many captures and logs, many tenants -> a Parquet dataset and a summary.

The options that choose tenants and the engine are declared here once
(:data:`TenantsOption`, :data:`EngineOption`, ...) and :func:`open_for_cli` /
:func:`run_for_cli` run a batch the way every command should (progress bars on
stderr, the batch's warnings as messages), so ``pbxlab report`` can offer the
same options.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from pbxlab.cli.console import batch_progress, echo_json, say, settings
from pbxlab.errors import InputError
from pbxlab.tables import SEVERITIES

if TYPE_CHECKING:  # the batch machinery loads only when a batch runs
    from pbxlab.batch import BatchRun, OpenBatch, TenantResult

__all__ = [
    "CacheOption",
    "EngineOption",
    "SchedulerOption",
    "TenantsOption",
    "WorkersOption",
    "default_cache_dir",
    "open_for_cli",
    "run_for_cli",
    "summary_record",
]

FORMATS = ("table", "json")

TenantsOption = Annotated[
    Path | None,
    typer.Option(
        "--tenants",
        help="Tenant map (.toml or .csv: domains, IPs, CIDRs -> tenant). Default: tenants are "
        "the INPUT/NAME/ folders and the SIP domains.",
    ),
]
EngineOption = Annotated[
    str, typer.Option("--engine", help="Where the work runs: local (this process) or dask.")
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Address of a Dask scheduler (tcp://host:8786); default: a local cluster. "
        "Workers must see the inputs and --cache at the same paths.",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Processes of the local Dask cluster (default: CPUs)."),
]
CacheOption = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="Folder keeping parsed files as Parquet, so a second run is fast (default: "
        "$XDG_CACHE_HOME/pbxlab or ~/.cache/pbxlab; safe to delete).",
    ),
]
NoCacheOption = Annotated[
    bool, typer.Option("--no-cache", help="Parse into a temporary folder removed afterwards.")
]


def default_cache_dir() -> Path:
    """Where parsed files are cached by default: ``$XDG_CACHE_HOME/pbxlab`` or
    ``~/.cache/pbxlab``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pbxlab"


@contextmanager
def open_for_cli(
    inputs: list[Path],
    *,
    tenants: Path | None,
    engine: str,
    scheduler: str | None,
    cache: Path | None,
    workers: int | None = None,
    dataset_dir: Path | None = None,
    no_cache: bool = False,
    quiet: bool = False,
    **more: Any,
) -> Iterator[OpenBatch]:
    """:func:`pbxlab.batch.open_batch` the way a command runs it: the default cache
    folder, progress bars on stderr, the batch's warnings as messages on stderr
    (after the block).  Raises what ``open_batch`` raises."""
    from pbxlab.batch import BatchWarning, open_batch

    cache_dir = None if no_cache else (cache or default_cache_dir())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BatchWarning)
        with (
            batch_progress(quiet=quiet) as show,
            open_batch(
                inputs,
                tenants=tenants,
                engine=engine,
                scheduler=scheduler,
                cache_dir=cache_dir,
                progress=show,
                dataset_dir=dataset_dir,
                workers=workers,
                **more,
            ) as batch,
        ):
            yield batch
    for warning in caught:
        if issubclass(warning.category, BatchWarning):
            say(f"[yellow]{warning.message}[/yellow]", quiet=quiet)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def run_for_cli(inputs: list[Path], **options: Any) -> BatchRun:
    """A whole :class:`pbxlab.batch.BatchRun` (every tenant kept), run as
    :func:`open_for_cli` runs it; same options."""
    from pbxlab.batch import BatchRun

    with open_for_cli(inputs, **options) as batch:
        results = {result.tenant: result for result in batch.results()}
    return BatchRun(results, batch.units, batch.unmapped, batch.skipped)


def _counts(findings: pd.DataFrame) -> dict[str, int]:
    counts = findings["severity"].value_counts()
    return {s: int(counts.get(s, 0)) for s in reversed(SEVERITIES)}


def _iso(ts: pd.Timestamp | None) -> str | None:
    """ISO 8601 UTC with a ``Z``, as every pbxlab JSON output writes times."""
    return None if ts is None else ts.tz_convert("UTC").isoformat().replace("+00:00", "Z")


def summary_record(result: TenantResult) -> dict[str, Any]:
    """A tenant's JSON-ready summary: inputs, row counts, extensions, findings by severity."""
    analysis = result.analysis
    return {
        "tenant": result.tenant,
        "inputs": [str(p) for p in result.inputs],
        "messages": len(analysis.messages),
        "events": len(analysis.events),
        "extensions": int(analysis.status["extension"].nunique()),
        "findings": _counts(result.findings),
        "start": _iso(analysis.start),
        "end": _iso(analysis.end),
    }


def batch(
    inputs: list[Path] = typer.Argument(
        ...,
        help="Captures, registrar logs and folders of them (INPUT/NAME/... is tenant NAME).",
    ),
    output: Path = typer.Option(
        ...,
        "-o",
        "--output",
        help="Dataset folder: messages/, events/, status/, findings/ partitioned by tenant "
        "and date.",
    ),
    tenants: TenantsOption = None,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
    output_format: str = typer.Option(
        "table", "--format", "-f", help=f"Summary on stdout: {', '.join(FORMATS)}."
    ),
    fail_on: str | None = typer.Option(
        None,
        "--fail-on",
        help=f"Exit 1 when any tenant has a finding this severe: {', '.join(SEVERITIES)}.",
    ),
    tz: str = typer.Option("UTC", help="Time zone of log times written without an offset."),
    year: int | None = typer.Option(None, help="Year of log dates that omit it (syslog)."),
    xlog: Path | None = typer.Option(None, help="Kamailio/OpenSIPS xlog mapping (TOML)."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bars or notes."),
) -> int:
    """Analyse many captures and logs tenant by tenant; write a Parquet dataset.

    Each file is parsed once (and cached), its evidence is split into tenants
    (folder layout, SIP domain, --tenants map; evidence no rule names is the
    tenant "(unmapped)", reported on stderr), and each tenant is analysed and
    diagnosed.  stdout gets one line per tenant (or JSON); the dataset holds
    every tenant's messages, events, status and findings.
    """
    from pbxlab.batch import ReadOptions

    if output_format not in FORMATS:
        raise InputError(f"unknown --format {output_format!r}: use one of {', '.join(FORMATS)}")
    if fail_on is not None and fail_on not in SEVERITIES:
        raise InputError(f"unknown --fail-on {fail_on!r}: use one of {', '.join(SEVERITIES)}")
    settings.quiet = quiet = quiet or settings.quiet
    with open_for_cli(
        inputs,
        tenants=tenants,
        engine=engine,
        scheduler=scheduler,
        cache=cache,
        workers=workers,
        dataset_dir=output,
        no_cache=no_cache,
        quiet=quiet,
        read_options=ReadOptions(tz=tz, year=year, xlog=str(xlog) if xlog else None),
    ) as run:
        # one tenant in memory at a time: its tables are in the dataset, its summary here
        records = [summary_record(result) for result in run.results()]
    errors = {str(u.file.path): u.rows["errors"] for u in run.units if u.rows.get("errors")}
    if output_format == "json":
        echo_json(
            {
                "dataset": str(output),
                "tenants": records,
                "unmapped": {
                    "rows": run.unmapped.rows,
                    "by_file": run.unmapped.by_file,
                    "hints": list(run.unmapped.hints),
                },
                "skipped": [str(p) for p in run.skipped],
                "unreadable": errors,
            }
        )
    else:
        _print_table(records)
    if errors:
        say(
            f"[yellow]{sum(errors.values())} unreadable packet(s) or line(s) in {len(errors)} "
            "file(s) were skipped (see pbxlab parse --errors)[/yellow]",
            quiet=quiet,
        )
    say(f"{len(records)} tenant(s) -> {output}", quiet=quiet)
    if fail_on is not None:
        floor = SEVERITIES.index(fail_on)
        worst = [s for r in records for s, n in r["findings"].items() if n]
        if any(SEVERITIES.index(s) >= floor for s in worst):
            raise typer.Exit(1)
    return 0


def _print_table(records: list[dict[str, Any]]) -> None:
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 160)
    table = Table(show_edge=False)
    for name in ("tenant", "files", "messages", "events", "extensions", *reversed(SEVERITIES)):
        table.add_column(name, justify="left" if name == "tenant" else "right")
    for record in records:
        table.add_row(
            record["tenant"],
            str(len(record["inputs"])),
            str(record["messages"]),
            str(record["events"]),
            str(record["extensions"]),
            *(str(record["findings"][s]) for s in reversed(SEVERITIES)),
        )
    console.print(table)


EXAMPLES = (
    "[bold]Examples[/bold]\n\n"
    "  pbxlab batch /captures/2024-05-01/ -o dataset/\n\n"
    "  pbxlab batch *.pcap registrar.log -o dataset/ --tenants tenants.toml --format json\n\n"
    "  pbxlab batch captures/ -o dataset/ --engine dask --workers 4\n\n"
    "  pbxlab batch captures/ -o dataset/ --engine dask --scheduler tcp://10.0.0.5:8786 "
    "--cache /shared/pbxlab-cache\n\n"
    "  pbxlab -q batch captures/ -o dataset/ --fail-on critical || notify-oncall\n\n"
    "Read the dataset with pandas.read_parquet('dataset/findings'). See docs/batch.md."
)


def register(app: typer.Typer) -> None:
    """Add ``batch`` to the pbxlab command."""
    app.command("batch", epilog=EXAMPLES)(batch)
