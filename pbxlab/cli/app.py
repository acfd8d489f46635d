"""The ``pbxlab`` command: one Typer app, one module per subcommand family.

Contract (DESIGN.md): exit 0 on success, 1 when findings reach ``--fail-on``,
2 on bad input or usage; no traceback unless ``--debug``; machine-readable
output on stdout, progress and messages on stderr.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from collections.abc import Iterable

import typer

from pbxlab.cli.console import settings
from pbxlab.errors import PbxlabError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2

EPILOG = (
    "[bold]Exit codes[/bold]: 0 success; 1 findings at or above --fail-on; 2 bad input or "
    "usage.  Machine-readable output goes to stdout, messages and progress bars to stderr "
    "(bars only on a terminal).\n\n"
    "[bold]Examples[/bold]\n\n"
    "  pbxlab diagnose capture.pcap registrar.log\n\n"
    "  pbxlab --quiet diagnose *.pcap --format json --fail-on critical > findings.json\n\n"
    "  pbxlab status capture.pcap --history 201\n\n"
    "  pbxlab batch captures/ -o dataset/ --tenants tenants.toml --engine dask\n\n"
    "Run 'pbxlab COMMAND --help' for a command's options and examples."
)

app = typer.Typer(
    name="pbxlab",
    help="SIP captures and registrar logs to tables, diagnoses and reports.",
    epilog=EPILOG,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _show_version(value: bool) -> None:
    if value:
        from pbxlab import __version__

        typer.echo(f"pbxlab {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of unexpected errors."),
    quiet: bool = typer.Option(
        False,
        "--quiet",
        "-q",
        help="No progress bars, summaries or notes on stderr (errors are still shown).",
    ),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_show_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    settings.debug = debug
    settings.quiet = quiet


# Subcommand -> module with register(app).  A run imports only the module of the
# subcommand it runs (the store's SQLAlchemy stack need not load to parse a capture:
# memory matters when streaming big captures); --help and bare `pbxlab` load all.
COMMANDS = {
    "parse": "pbxlab.cli.parse",
    "diagnose": "pbxlab.cli.diagnose",
    "status": "pbxlab.cli.status",
    "ext": "pbxlab.cli.ext",
    "batch": "pbxlab.cli.batch",
    "web": "pbxlab.cli.web",
    "report": "pbxlab.cli.report",
    "watch": "pbxlab.cli.watch",
}
_registered: set[str] = set()


def register_commands(names: Iterable[str] = COMMANDS) -> None:
    """Add the named subcommands to ``app`` (each once; all by default)."""
    for name in names:
        if name not in _registered:
            importlib.import_module(COMMANDS[name]).register(app)
            _registered.add(name)


def _commands_needed(args: list[str]) -> list[str]:
    first = next((a for a in args if not a.startswith("-")), None)
    return [first] if first in COMMANDS else list(COMMANDS)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used by the entry point)."""
    args = argv if argv is not None else sys.argv[1:]
    debug = "--debug" in args
    settings.quiet = settings.debug = False  # a fresh run (tests call main repeatedly)
    register_commands(_commands_needed(args))
    try:
        result = app(args=argv, standalone_mode=False, prog_name="pbxlab")
    except PbxlabError as exc:
        if debug:
            raise
        typer.echo(f"pbxlab: error: {exc}", err=True)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # the reader of stdout went away (`| head`): nothing left to say to anyone
        _silence_stdout()
        return EXIT_OK
    except OSError as exc:  # a file that cannot be written, a full disk
        if debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"pbxlab: error: {where}{exc.strerror or exc}", err=True)
        return EXIT_BAD_INPUT
    except SystemExit as exc:
        # typer ends a run whose stdout reader went away (`| head`) with sys.exit(1)
        # while handling the EPIPE: that is not "findings reached"
        cause = exc.__context__
        if isinstance(cause, OSError) and cause.errno == errno.EPIPE:
            _silence_stdout()
            return EXIT_OK
        raise
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        typer.echo("pbxlab: aborted", err=True)
        return EXIT_BAD_INPUT
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"pbxlab: error: {exc}", err=True)
        return EXIT_BAD_INPUT
    except Exception as exc:  # the contract: no traceback unless --debug
        if debug:
            raise
        typer.echo(f"pbxlab: unexpected error: {exc!r} (run with --debug for details)", err=True)
        return EXIT_BAD_INPUT
    return int(result) if isinstance(result, int) else EXIT_OK


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test double)
        pass


def entry_point() -> None:
    """Console-script entry point."""
    sys.exit(main())
