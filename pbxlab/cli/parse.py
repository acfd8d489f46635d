"""``pbxlab parse``: captures to the ``messages`` table, logs to ``events``, in chunks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from pbxlab.capture.logs import FORMATS, iter_registrar_log
from pbxlab.capture.native import DEFAULT_CHUNK_SIZE
from pbxlab.capture.reader import BACKENDS, Capture, iter_capture
from pbxlab.cli.console import progress, settings
from pbxlab.cli.inputs import sort_inputs
from pbxlab.errors import InputError
from pbxlab.io import TableWriter, output_format
from pbxlab.tables import ERRORS, EVENTS, MESSAGES, RTP_STREAMS

_err = Console(stderr=True)


def parse(
    inputs: list[Path] = typer.Argument(
        ..., help="Capture files (pcap, pcapng, .gz) or registrar logs (auto-detected)."
    ),
    output: Path = typer.Option(
        ..., "-o", "--output", help="Output table (messages or events): .parquet or .csv."
    ),
    backend: str = typer.Option("native", help=f"Capture backend: {' or '.join(BACKENDS)}."),
    strict: bool = typer.Option(False, help="Stop at the first unreadable packet or message."),
    errors_out: Path | None = typer.Option(
        None, "--errors", help="Also write the errors table here."
    ),
    rtp_out: Path | None = typer.Option(None, "--rtp", help="Also write rtp_streams here."),
    chunk_size: int = typer.Option(
        DEFAULT_CHUNK_SIZE, min=1000, help="Messages per written chunk (bounds memory)."
    ),
    workers: int = typer.Option(
        0,
        min=0,
        help="Extra processes parsing SIP (native backend); 0 parses in one process.",
    ),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No summary on stderr."),
    log_format: str = typer.Option(
        "auto", "--log-format", help=f"Log format: auto or one of {', '.join(FORMATS)}."
    ),
    tz: str = typer.Option("UTC", help="Time zone of log times written without an offset."),
    year: int | None = typer.Option(None, help="Year of log dates that omit it (syslog)."),
    xlog: Path | None = typer.Option(None, help="Kamailio/OpenSIPS xlog mapping (TOML)."),
) -> None:
    """Parse SIP captures into the messages table, or registrar logs into the events table.

    Captures and logs are told apart by their content.  One run writes one
    table, so give captures and logs in separate runs.  Files of any size are
    streamed (memory follows --chunk-size); a summary goes to stderr.
    """
    quiet = settings.quiet = settings.quiet or quiet
    output_format(output)  # fail on a bad extension before reading anything
    for extra in (errors_out, rtp_out):
        if extra is not None:
            output_format(extra)
    sorted_inputs = sort_inputs(inputs)
    if sorted_inputs.captures and sorted_inputs.logs:
        raise InputError(
            "captures and registrar logs give different tables (messages, events): parse "
            f"them in separate runs (captures: {', '.join(map(str, sorted_inputs.captures))}; "
            f"logs: {', '.join(map(str, sorted_inputs.logs))})"
        )
    if sorted_inputs.logs:
        if rtp_out is not None:
            raise InputError("--rtp applies to captures, not to registrar logs")
        _parse_logs(
            sorted_inputs.logs, output, errors_out, log_format, tz, year, xlog, strict, quiet
        )
        return
    stream = iter_capture(
        sorted_inputs.captures,
        backend=backend,
        strict=strict,
        chunk_size=chunk_size,
        workers=workers,
    )
    messages_seen = []
    errors_seen = []
    with (
        TableWriter(output, MESSAGES) as writer,
        _maybe_writer(errors_out) as err_writer,
        progress("reading captures") as bar,
    ):
        total = stream.total_bytes
        for chunk in stream:
            writer.write(chunk.messages)
            if not quiet:  # keep only what the summary needs, not the chunk
                messages_seen.append(
                    chunk.messages[
                        ["is_request", "method", "status", "cseq_method", "transport", "encap"]
                    ]
                )
            errors_seen.append(chunk.errors)
            if err_writer is not None:
                err_writer.write(chunk.errors)
            bar.update(stream.position, total, f"reading captures: {writer.rows} messages")
    if rtp_out is not None:
        with TableWriter(rtp_out, RTP_STREAMS) as rtp_writer:
            rtp_writer.write(stream.rtp_streams)
    if quiet:
        return

    summary_capture = Capture(
        messages=pd.concat(messages_seen, ignore_index=True) if messages_seen else MESSAGES.empty(),
        rtp_streams=stream.rtp_streams,
        errors=pd.concat(errors_seen, ignore_index=True) if errors_seen else ERRORS.empty(),
        files=[str(p) for p in stream.paths],
        stats=stream.stats,
    )
    print_summary(summary_capture, output)


def _parse_logs(
    paths: list[Path],
    output: Path,
    errors_out: Path | None,
    log_format: str,
    tz: str,
    year: int | None,
    xlog: Path | None,
    strict: bool,
    quiet: bool,
) -> None:
    formats: dict[str, str] = {}
    skipped: dict[str, int] = {}
    error_count = 0
    with (
        TableWriter(output, EVENTS) as writer,
        _maybe_writer(errors_out) as err_writer,
        progress("reading logs", unit="items") as bar,
    ):
        for chunk in iter_registrar_log(paths, log_format, tz, year, strict, xlog=xlog):
            writer.write(chunk.events)
            if err_writer is not None:
                err_writer.write(chunk.errors)
            error_count += len(chunk.errors)
            formats[chunk.source_file] = chunk.format
            skipped[chunk.source_file] = skipped.get(chunk.source_file, 0) + chunk.skipped
            bar.update(writer.rows, None, f"reading logs: {writer.rows} events")
    if quiet:
        return
    _err.print(f"[bold]{writer.rows} registrar events[/bold] from {len(paths)} log(s) -> {output}")
    for name, fmt in formats.items():
        _err.print(f"  {name}: {fmt}, {skipped.get(name, 0)} irrelevant lines skipped")
    if error_count:
        _err.print(
            f"[yellow]{error_count} event-like line(s) could not be parsed "
            "(write them with --errors FILE)[/yellow]"
        )


class _NullWriter:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _maybe_writer(path: Path | None) -> TableWriter | _NullWriter:
    return TableWriter(path, ERRORS) if path is not None else _NullWriter()


def print_summary(capture: Capture, output: Path) -> None:
    """One screen on stderr: what was read, by method/status, transports and problems."""
    summary = capture.summary()
    _err.print(
        f"[bold]{summary['sip_messages']} SIP messages[/bold] from {summary['frames']} frames "
        f"in {summary['files']} file(s) -> {output}"
    )
    table = Table(title="Requests and responses", show_edge=False)
    table.add_column("request")
    table.add_column("count", justify="right")
    table.add_column("response")
    table.add_column("count", justify="right")
    requests = list(summary["requests"].items())  # type: ignore[attr-defined]
    responses = list(summary["responses"].items())  # type: ignore[attr-defined]
    for i in range(max(len(requests), len(responses))):
        req = requests[i] if i < len(requests) else ("", "")
        resp = responses[i] if i < len(responses) else ("", "")
        table.add_row(str(req[0]), str(req[1]), str(resp[0]), str(resp[1]))
    _err.print(table)
    _err.print(
        f"transports: {_fmt(summary['transports'])}; "
        f"encapsulations: {_fmt(summary['encapsulations'])}"
    )
    _err.print(
        f"media: {summary['media_streams']} RTP/RTCP streams, {summary['media_packets']} packets"
    )
    errors = summary["errors"]
    if errors:
        total = sum(errors.values())  # type: ignore[attr-defined]
        _err.print(
            f"[yellow]skipped {total} unreadable item(s): {_fmt(errors)} "
            "(write them with --errors FILE)[/yellow]"
        )
    else:
        _err.print("nothing skipped")


def _fmt(counts: object) -> str:
    items = dict(counts).items()  # type: ignore[call-overload]
    return ", ".join(f"{k} {v}" for k, v in items) or "none"


EXAMPLES = (
    "[bold]Examples[/bold]\n\n"
    "  pbxlab parse capture.pcapng -o messages.parquet --rtp rtp.parquet --errors errors.csv\n\n"
    "  pbxlab parse big.pcap.gz -o messages.parquet --workers 2\n\n"
    "  pbxlab parse /var/log/asterisk/full* -o events.csv --tz Europe/Berlin\n\n"
    "  pbxlab parse kamailio.log -o events.parquet --xlog xlog-mapping.toml"
)


def register(app: typer.Typer) -> None:
    """Add ``parse`` to the pbxlab command."""
    app.command("parse", epilog=EXAMPLES)(parse)
