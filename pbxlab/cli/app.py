"""The ``pbxlab`` command: one Typer app, one module per subcommand family.

Contract (DESIGN.md): exit 0 on success, 1 when findings reach ``--fail-on``,
2 on bad input or usage; no traceback unless ``--debug``; machine-readable
output on stdout, progress and messages on stderr.
"""

from __future__ import annotations

import sys

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


def _register_commands() -> None:
    # Imported here so each subcommand module can import `app` helpers freely.
    from pbxlab.cli import ext, parse, status

    parse.register(app)
    status.register(app)
    ext.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used by the entry point)."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
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
