"""``pbxlab ext``: the extensions store from the command line.

Actions follow DESIGN.md's command-line contract.  Machine-readable output
(tables, JSON, CSV, a new password) goes to stdout, messages to stderr.  Bad
input raises a :class:`~pbxlab.errors.PbxlabError` (exit 2, no traceback);
a reboot the phone did not accept exits 1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from pbxlab.errors import InputError
from pbxlab.extensions import actions
from pbxlab.extensions.bulk import ImportReport
from pbxlab.extensions.fields import FIELD_NAMES, flatten
from pbxlab.extensions.importers import ImportResult, parse_freepbx_csv, parse_pjsip_conf
from pbxlab.extensions.listing import SORTABLE, sort_table
from pbxlab.extensions.reboot import DEFAULT_TIMEOUT
from pbxlab.extensions.store import DEFAULT_DB_FILE, ExtensionStore

EXIT_NOT_ACCEPTED = 1

EXAMPLES = (
    "[bold]Examples[/bold]\n\n"
    "  pbxlab ext list --search 20 --sort status\n\n"
    "  pbxlab ext add 201 --name 'Front desk'\n\n"
    "  pbxlab ext edit 201 --set voicemail.enabled=true --set fmfm.strategy=sequential\n\n"
    "  pbxlab ext --db postgresql://pbx@db/acme show 201 --format json\n\n"
    "  pbxlab ext renumber 201 301 --update-references\n\n"
    "Run 'pbxlab ext ACTION --help' for an action's options."
)

ext_app = typer.Typer(
    name="ext",
    help="View and edit a tenant's extensions (a SQLite file or any SQLAlchemy URL).",
    epilog=EXAMPLES,
    no_args_is_help=True,
)


def _say(message: str) -> None:
    typer.echo(message, err=True)


_state: dict[str, str | None] = {"db": None}

FormatOption = Annotated[str, typer.Option("--format", "-f", help="Output: table, json or csv.")]


@ext_app.callback()
def _ext_root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="PBXLAB_EXT_DB",
            help=f"Store: SQLAlchemy URL or SQLite file path (default ./{DEFAULT_DB_FILE}).",
        ),
    ] = None,
) -> None:
    _state["db"] = db


@contextmanager
def _store() -> Iterator[ExtensionStore]:
    store = ExtensionStore.open(_state["db"])
    try:
        yield store
    finally:
        store.close()


def _check_format(fmt: str, allowed: tuple[str, ...] = ("table", "json", "csv")) -> str:
    if fmt not in allowed:
        raise InputError(f"--format must be one of {', '.join(allowed)}, not {fmt!r}")
    return fmt


def _print_frame(frame: pd.DataFrame, fmt: str, title: str | None = None) -> None:
    if fmt == "json":
        typer.echo(frame.to_json(orient="records", date_format="iso"))
    elif fmt == "csv":
        typer.echo(frame.to_csv(index=False), nl=False)
    elif frame.empty:
        _say(f"{title or 'table'}: no rows")
    else:
        text = frame.astype(object).where(frame.notna(), "")
        typer.echo(text.to_string(index=False))


def _parse_sets(items: list[str]) -> dict[str, str]:
    changes: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(
                f"--set expects FIELD=VALUE (e.g. voicemail.enabled=true), got {item!r}"
            )
        changes[name.strip()] = value
    return changes


@ext_app.command("list")
def list_extensions(
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Number, name or SIP username contains.")
    ] = None,
    sort: Annotated[str, typer.Option(help=f"Column: {', '.join(SORTABLE)}.")] = "number",
    descending: Annotated[bool, typer.Option("--desc", help="Sort descending.")] = False,
    fmt: FormatOption = "table",
    status_from: Annotated[
        list[Path] | None,
        typer.Option(
            "--status-from",
            help="Captures or registrar logs whose analysis gives the Status and Phones "
            "columns (repeatable; state at the end of the evidence).",
        ),
    ] = None,
    domain: Annotated[
        str | None, typer.Option(help="SIP domain of this tenant in --status-from captures.")
    ] = None,
) -> None:
    """List extensions (the guide's Extensions list), with live status from evidence."""
    _check_format(fmt)
    with _store() as store:
        frame = store.table(search=search)
    if status_from:
        from pbxlab.analysis import list_view_status
        from pbxlab.cli.status import load
        from pbxlab.extensions.listing import join_status

        analysis = load(list(status_from), domain)
        frame = join_status(frame, list_view_status(analysis.status, analysis.bindings))
    frame = sort_table(frame, sort, descending=descending)
    _print_frame(frame, fmt, title="Extensions")


@ext_app.command("show")
def show(
    number: Annotated[str, typer.Argument(help="Extension number.")],
    reveal_password: Annotated[
        bool, typer.Option("--reveal-password", help="Include the SIP password (audited).")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Show every field of one extension (the detail tabs)."""
    _check_format(fmt, ("table", "json"))
    with _store() as store:
        ext = store.get(number)
        fields: dict[str, Any] = flatten(ext)
        if reveal_password:
            fields = {"sip_password": store.reveal_password(number), **fields}
        refs = store.references(number)
    if fmt == "json":
        typer.echo(json.dumps({**fields, "references": [str(r) for r in refs]}, indent=2))
        return
    if not reveal_password:
        fields["sip_password"] = "******** (use --reveal-password)"
    rows = [*fields.items(), *(("referenced by", str(ref)) for ref in refs)]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        typer.echo(f"{name:<{width}}  {value}")


@ext_app.command("add", epilog="Fields: " + ", ".join(FIELD_NAMES) + ".")
def add(
    number: Annotated[str, typer.Argument(help="New extension number.")],
    name: Annotated[str, typer.Option("--name", help="The user's name.")],
    username: Annotated[
        str | None, typer.Option("--username", help="SIP username (default: the number).")
    ] = None,
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="FIELD=VALUE, repeatable (dotted names).")
    ] = None,
) -> None:
    """Add an extension; a random SIP password is generated."""
    changes = _parse_sets(sets or [])
    if username:
        changes["sip_username"] = username
    with _store() as store:
        ext = store.create(number, name, changes)
    _say(
        f"created extension {ext.number} (SIP username {ext.sip_username}); "
        f"see its password with: pbxlab ext show {ext.number} --reveal-password"
    )


@ext_app.command("edit", epilog="Fields: " + ", ".join(FIELD_NAMES) + ".")
def edit(
    number: Annotated[str, typer.Argument(help="Extension number.")],
    sets: Annotated[
        list[str],
        typer.Option("--set", help="FIELD=VALUE, repeatable, e.g. fmfm.strategy=sequential."),
    ],
) -> None:
    """Change fields of an extension (validated, audited, all or nothing)."""
    changes = _parse_sets(sets)
    with _store() as store:
        store.update(number, changes)
    _say(f"updated extension {number}: {', '.join(changes)}")


@ext_app.command("delete")
def delete(
    number: Annotated[str, typer.Argument(help="Extension number.")],
    cascade: Annotated[
        bool, typer.Option("--cascade", help="Detach DIDs, ring groups and FMFM pointing at it.")
    ] = False,
) -> None:
    """Delete an extension (refused while something points at it, unless --cascade)."""
    with _store() as store:
        refs = store.delete(number, cascade=cascade)
    for ref in refs:
        _say(f"detached: {ref}")
    _say(f"deleted extension {number}")


@ext_app.command("renumber")
def renumber(
    old: Annotated[str, typer.Argument(help="Current number.")],
    new: Annotated[str, typer.Argument(help="New number.")],
    update_references: Annotated[
        bool,
        typer.Option("--update-references", help="Also repoint DIDs, ring groups and FMFM."),
    ] = False,
) -> None:
    """Renumber an extension, listing (and optionally updating) every reference."""
    with _store() as store:
        result = store.renumber(old, new, update_references=update_references)
    for ref in result.references:
        state = "updated" if result.updated else "still points at the old number"
        _say(f"{ref}: {state}")
    _say(f"renumbered {old} -> {new}")
    if result.dangling:
        _say("re-run with --update-references, or fix the references listed above")


@ext_app.command("reset-password")
def reset_password(number: Annotated[str, typer.Argument(help="Extension number.")]) -> None:
    """Give the extension a new random SIP password and print it (once)."""
    with _store() as store:
        password = store.reset_password(number)
    typer.echo(password.get_secret_value())
    _say("update the phone's configuration: the old password no longer registers")


@ext_app.command("export")
def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="CSV file to write.")],
    numbers: Annotated[list[str] | None, typer.Argument(help="Extensions (default: all).")] = None,
    include_secrets: Annotated[
        bool, typer.Option("--include-secrets", help="Include SIP passwords and PINs.")
    ] = False,
) -> None:
    """Export extensions to CSV (no passwords unless --include-secrets)."""
    with _store() as store:
        text = store.export_csv(numbers or None, include_secrets=include_secrets)
    if include_secrets:  # a file holding passwords is private like the store
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    else:
        output.write_text(text, encoding="utf-8", newline="")
    count = text.count("\n") - 1
    _say(f"exported {count} extension(s) to {output}")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text (byte {exc.start})") from None


def _detect_source(path: Path, text: str) -> str:
    if path.suffix.lower() == ".conf":
        return "pjsip"
    header = text.splitlines()[0] if text else ""
    return "freepbx" if "extension" in header.split(",") else "pbxlab"


@ext_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="pbxlab CSV, FreePBX bulk CSV or pjsip.conf.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate only; write nothing.")
    ] = False,
    source: Annotated[str, typer.Option("--from", help="auto, pbxlab, freepbx or pjsip.")] = "auto",
    country_code: Annotated[
        str | None, typer.Option(help="Country code for FreePBX national numbers (e.g. 1).")
    ] = None,
    fmt: FormatOption = "table",
) -> None:
    """Import extensions (all or nothing), with a per-row report."""
    _check_format(fmt)
    text = _read_text(path)
    kind = _detect_source(path, text) if source == "auto" else source
    if kind not in ("pbxlab", "freepbx", "pjsip"):
        raise InputError(f"--from must be auto, pbxlab, freepbx or pjsip, not {source!r}")
    with _store() as store:
        if kind == "pbxlab":
            report = store.import_csv(text, dry_run=dry_run, source=str(path))
        else:
            parsed: ImportResult = (
                parse_pjsip_conf(text, str(path))
                if kind == "pjsip"
                else parse_freepbx_csv(text, str(path), country_code=country_code)
            )
            for row in parsed.errors.itertuples(index=False):
                _say(f"{path}:{row.line}: {_text(row.item)}: {_text(row.message)}")
            report = store.import_extensions(parsed.extensions, dry_run=dry_run)
    _report(report, fmt)


def _text(value: object) -> str:
    return "" if value is None or value is pd.NA else str(value)


def _report(report: ImportReport, fmt: str) -> None:
    _print_frame(report.rows, fmt, title="Import")
    _say(report.summary())
    if not report.ok:
        raise typer.Exit(2)


@ext_app.command("bulk-voicemail")
def bulk_voicemail(
    state: Annotated[str, typer.Argument(help="on or off.")],
    numbers: Annotated[list[str], typer.Argument(help="Extension numbers.")],
) -> None:
    """Switch voicemail on or off for many extensions (all or nothing)."""
    if state not in ("on", "off"):
        raise InputError(f"voicemail state must be on or off, not {state!r}")
    with _store() as store:
        changed = store.bulk_set_voicemail(numbers, state == "on")
    _say(f"voicemail {state}: {changed} extension(s) changed")


@ext_app.command("bulk-profile")
def bulk_profile(
    profile: Annotated[str, typer.Argument(help="Provisioning profile name.")],
    numbers: Annotated[list[str], typer.Argument(help="Extension numbers.")],
) -> None:
    """Apply a provisioning profile to every phone of the extensions (all or nothing)."""
    with _store() as store:
        changed = store.bulk_apply_profile(profile, numbers)
    _say(f"profile {profile!r} applied: {changed} phone(s) changed")


@ext_app.command("reboot")
def reboot(
    number: Annotated[str, typer.Argument(help="Extension number.")],
    timeout: Annotated[
        float, typer.Option(min=0.1, max=120.0, help="Seconds to wait for the phone's answer.")
    ] = DEFAULT_TIMEOUT,
    mac: Annotated[str | None, typer.Option(help="Which phone (default: the first).")] = None,
    contact: Annotated[
        str | None, typer.Option(help="Contact URI to use instead of the stored one.")
    ] = None,
) -> None:
    """Reboot the extension's phone with a SIP NOTIFY (exit 1 if it does not accept)."""
    with _store() as store:
        result = actions.reboot_phone(store, number, mac=mac, contact=contact, timeout=timeout)
    typer.echo(result.summary())
    if result.outcome != "accepted":
        raise typer.Exit(EXIT_NOT_ACCEPTED)


def register(app: typer.Typer) -> None:
    """Add ``pbxlab ext`` to the root app."""
    app.add_typer(ext_app, name="ext")
