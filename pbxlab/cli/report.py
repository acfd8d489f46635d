"""``pbxlab report``: captures and logs to a directory of tenant-health reports.

Writes, per tenant, a self-contained HTML page and machine-readable files, and
an index ranking the tenants by health (layout: :mod:`pbxlab.report.write`,
docs/report.md).  Tenants and the engine are chosen as for ``pbxlab batch``
(folder layout, SIP domain, ``--tenants`` map; ``--engine local|dask``): the
report renders :func:`pbxlab.batch.run_batch`'s per-tenant results.  Prints the
index's path on stdout, progress and a summary on stderr.  Exit 1 when a
finding of any tenant reaches ``--fail-on``; bad input exits 2 through the
app's error handling.
"""

from __future__ import annotations

from pathlib import Path

import typer

from pbxlab.cli.batch import (
    CacheOption,
    EngineOption,
    NoCacheOption,
    SchedulerOption,
    TenantsOption,
    WorkersOption,
    run_for_cli,
)
from pbxlab.cli.console import progress, say, settings
from pbxlab.cli.diagnose import reaches
from pbxlab.errors import InputError, Location
from pbxlab.report.write import write_report_set
from pbxlab.tables import SEVERITIES


def report(
    inputs: list[Path] = typer.Argument(
        ...,
        help="Captures, registrar logs and folders of them (INPUT/NAME/... is tenant NAME).",
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        "-o",
        help="Directory to write into (created): index.html, tenants.json and one "
        "directory per tenant.",
    ),
    tenants: TenantsOption = None,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
    fail_on: str | None = typer.Option(
        None,
        "--fail-on",
        help=f"Exit 1 when any tenant has a finding at least this severe: {', '.join(SEVERITIES)}.",
    ),
    tz: str = typer.Option("UTC", help="Time zone of log times written without an offset."),
    year: int | None = typer.Option(None, help="Year of log dates that omit it (syslog)."),
    xlog: Path | None = typer.Option(None, help="Kamailio/OpenSIPS xlog mapping (TOML)."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bars or notes."),
) -> int:
    """Tenant-health reports: per tenant a self-contained HTML page (health score and
    why, extensions, findings with actions and evidence, reliability, calls, media,
    security) and the same content as JSON/CSV/Parquet; an index ranks the tenants."""
    from pbxlab.batch import ReadOptions

    if fail_on is not None and fail_on not in SEVERITIES:
        raise InputError(f"unknown --fail-on {fail_on!r}: use one of {', '.join(SEVERITIES)}")
    if output.exists() and not output.is_dir():  # before the long part, not after
        raise InputError("-o must be a directory", Location(str(output)))
    settings.quiet = quiet = quiet or settings.quiet
    run = run_for_cli(
        inputs,
        tenants=tenants,
        engine=engine,
        scheduler=scheduler,
        cache=cache,
        workers=workers,
        no_cache=no_cache,
        quiet=quiet,
        read_options=ReadOptions(tz=tz, year=year, xlog=str(xlog) if xlog else None),
    )
    results = run.results
    with progress("writing reports", unit="items", quiet=quiet) as bar:
        done = iter(range(len(results)))

        def show(name: str) -> None:
            bar.update(next(done), len(results), f"writing the report of {name}")

        written = write_report_set(results, output, progress=show)
    ranked = written.ranking
    if len(ranked):
        worst = ranked.iloc[0]
        say(
            f"{len(ranked)} tenant report(s) in {output}; least healthy: "
            f"{worst['tenant']} ({worst['score']}/100)",
            quiet=quiet,
        )
    typer.echo(str(written.index))
    if fail_on is not None and any(reaches(r.findings, fail_on) for r in results.values()):
        raise typer.Exit(1)
    return 0


EXAMPLES = (
    "[bold]Examples[/bold]\n\n"
    "  pbxlab report ticket-4711.pcap /var/log/asterisk/full -o report/\n\n"
    "  pbxlab report /captures/2024-05-01/ -o reports/ --tenants tenants.toml\n\n"
    "  pbxlab report captures/ -o reports/ --engine dask --workers 4\n\n"
    "  pbxlab -q report captures/ -o reports/ --fail-on critical || notify-oncall\n\n"
    "Open reports/index.html. See docs/report.md."
)


def register(app: typer.Typer) -> None:
    """Add ``report`` to the pbxlab command."""
    app.command("report", epilog=EXAMPLES)(report)
