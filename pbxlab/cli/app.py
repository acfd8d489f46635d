"""The ``pbxlab`` command: one Typer app, one module per subcommand family.

Contract (DESIGN.md): exit 0 on success, 1 when findings reach ``--fail-on``,
2 on bad input or usage; no traceback unless ``--debug``; machine-readable
output on stdout, progress and messages on stderr.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable

import typer

from pbxlab.errors import PbxlabError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="pbxlab",
    help="SIP captures and registrar logs to tables, diagnoses and reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_state = {"debug": False}


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of unexpected errors."),
) -> None:
    _state["debug"] = debug


# Subcommand -> module with register(app).  A run imports only the module of the
# subcommand it runs (the store's SQLAlchemy stack need not load to parse a capture:
# memory matters when streaming big captures); --help and bare `pbxlab` load all.
COMMANDS = {
    "parse": "pbxlab.cli.parse",
    "diagnose": "pbxlab.cli.diagnose",
    "status": "pbxlab.cli.status",
    "ext": "pbxlab.cli.ext",
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
    register_commands(_commands_needed(args))
    try:
        result = app(args=argv, standalone_mode=False)
    except PbxlabError as exc:
        if debug:
            raise
        typer.echo(f"pbxlab: error: {exc}", err=True)
        return EXIT_BAD_INPUT
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


def entry_point() -> None:
    """Console-script entry point."""
    sys.exit(main())
