"""``pbxlab batch``: many captures and logs, many tenants -> a Parquet dataset and a summary.

The options that choose tenants and the engine are declared here once
(:data:`TenantsOption`, :data:`EngineOption`, ...) and :func:`run_for_cli` runs a
batch the way every command should (progress bars on stderr, the batch's
warnings as messages), so ``pbxlab report`` can offer the same options.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from pbxlab.cli.console import batch_progress, echo_json, say, settings
from pbxlab.errors import InputError
from pbxlab.tables import SEVERITIES

__all__ = [
    "CacheOption",
    "EngineOption",
    "SchedulerOption",
    "TenantsOption",
    "WorkersOption",
    "default_cache_dir",
    "run_for_cli",
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


def run_for_cli(
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
) -> Any:
    """A :func:`pbxlab.batch.run_batch` with progress bars and its warnings on stderr.

    Returns the :class:`pbxlab.batch.BatchRun`; raises what ``run_batch`` raises.
    """
    from pbxlab.batch import BatchWarning, run_batch

    cache_dir = None if no_cache else (cache or default_cache_dir())
    with warnings.catch_warnings(record=True) as caught, batch_progress(quiet=quiet) as show:
        warnings.simplefilter("always", BatchWarning)
        run = run_batch(
            inputs,
            tenants=tenants,
            engine=engine,
            scheduler=scheduler,
            cache_dir=cache_dir,
            progress=show,
            dataset_dir=dataset_dir,
            workers=workers,
            **more,
        )
    for warning in caught:
        if issubclass(warning.category, BatchWarning):
            say(f"[yellow]{warning.message}[/yellow]", quiet=quiet)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return run


def _counts(findings: pd.DataFrame) -> dict[str, int]:
    counts = findings["severity"].value_counts()
    return {s: int(counts.get(s, 0)) for s in reversed(SEVERITIES)}


def summary_records(run: Any) -> list[dict[str, Any]]:
    """One JSON-ready record per tenant: inputs, row counts, extensions, findings by severity."""
    records = []
    for tenant, result in run.results.items():
        analysis = result.analysis
        records.append(
            {
                "tenant": tenant,
                "inputs": [str(p) for p in result.inputs],
                "messages": len(analysis.messages),
                "events": len(analysis.events),
                "extensions": int(analysis.status["extension"].nunique()),
                "findings": _counts(result.findings),
                "start": None if analysis.start is None else analysis.start.isoformat(),
                "end": None if analysis.end is None else analysis.end.isoformat(),
            }
        )
    return records


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
    run = run_for_cli(
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
    )
    records = summary_records(run)
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
