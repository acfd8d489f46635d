"""What the served workbench shows: a store and the evidence, passed by environment.

``pbxlab web`` runs Voilà, and Voilà runs the workbench notebook in a kernel it
starts itself; the only thing that reaches that kernel unchanged is the
environment.  So the command writes a :class:`WebConfig` into environment
variables (absolute paths, checked first) and the notebook reads it back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from pbxlab.errors import InputError, Location
from pbxlab.extensions.store import DEFAULT_DB_FILE

ENV_DB = "PBXLAB_WEB_DB"
"""The extensions store: a SQLAlchemy URL or a SQLite file path."""
ENV_INPUTS = "PBXLAB_WEB_INPUTS"
"""Captures and registrar logs, mixed, separated by ``os.pathsep`` (``:``)."""
ENV_DOMAIN = "PBXLAB_WEB_DOMAIN"
"""Optional: the tenant's SIP domain, when a capture holds several tenants."""
ENV_DIRECTORY = "PBXLAB_WEB_DIRECTORY"
"""Where the Triage tab's file picker starts (the kernel runs in the notebook's folder)."""


@dataclass(frozen=True)
class WebConfig:
    """A store (URL or SQLite path), the captures/logs whose analysis the page shows,
    the tenant's SIP domain if needed, and the folder the file picker opens on."""

    db: str
    inputs: tuple[Path, ...] = ()
    domain: str | None = None
    directory: Path | None = None

    @classmethod
    def checked(
        cls,
        db: str | None,
        inputs: tuple[Path, ...] | list[Path] = (),
        domain: str | None = None,
        directory: Path | None = None,
    ) -> WebConfig:
        """A config with absolute paths (the kernel runs elsewhere); raises InputError.

        ``db`` None falls back to ``$PBXLAB_EXT_DB``, then ``./pbxlab-extensions.db``
        (as ``pbxlab ext`` does).  Every input must be an existing file; a SQLite
        store may not exist yet (it is created empty), but its folder must.
        ``directory`` defaults to the current one.
        """
        store = absolute_store(db or os.environ.get("PBXLAB_EXT_DB") or DEFAULT_DB_FILE)
        files: list[Path] = []
        for given in inputs:
            path = Path(given).expanduser().resolve()
            if not path.is_file():
                problem = (
                    "is a directory, not a capture or log" if path.is_dir() else "no such file"
                )
                raise InputError(problem, Location(str(given)))
            files.append(path)
        folder = Path(directory or Path.cwd()).expanduser().resolve()
        if not folder.is_dir():
            raise InputError("no such folder", Location(str(directory)))
        return cls(db=store, inputs=tuple(files), domain=domain or None, directory=folder)

    def environment(self) -> dict[str, str]:
        """The variables that carry this config to the notebook's kernel."""
        env = {ENV_DB: self.db, ENV_INPUTS: os.pathsep.join(str(p) for p in self.inputs)}
        if self.directory is not None:
            env[ENV_DIRECTORY] = str(self.directory)
        if self.domain:
            env[ENV_DOMAIN] = self.domain
        return env

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> WebConfig:
        """The config ``pbxlab web`` passed (``os.environ`` by default); raises InputError.

        Without ``PBXLAB_WEB_DB`` the defaults of :meth:`checked` apply, so the
        notebook also runs when opened directly in JupyterLab.
        """
        values = os.environ if env is None else env
        inputs = [Path(p) for p in values.get(ENV_INPUTS, "").split(os.pathsep) if p]
        directory = values.get(ENV_DIRECTORY)
        return cls.checked(
            values.get(ENV_DB),
            inputs,
            values.get(ENV_DOMAIN),
            Path(directory) if directory else None,
        )


def absolute_store(store: str) -> str:
    """``store`` with a SQLite file made absolute; raises InputError for a bad URL or folder.

    The kernel that opens the store runs in another directory, so a relative
    path (plain, or in a ``sqlite:///`` URL) must be resolved here.  An
    in-memory SQLite store would be private to that kernel: refused.
    """
    if "://" not in store:
        return str(_sqlite_file(Path(store)))
    try:
        url = make_url(store)
    except (ArgumentError, ValueError) as exc:
        raise InputError(f"--db: not a database URL: {store!r}") from exc
    if not url.drivername.startswith("sqlite"):
        return store
    if not url.database or url.database == ":memory:":
        raise InputError(f"--db: an in-memory SQLite store cannot be shared: {store!r}")
    return url.set(database=str(_sqlite_file(Path(url.database)))).render_as_string(
        hide_password=False
    )


def shown_store(store: str) -> str:
    """The store as a person may see it: the file path, or the URL with its password masked."""
    if "://" not in store:
        return store
    try:
        return make_url(store).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unreadable URL>"


def _sqlite_file(given: Path) -> Path:
    path = given.expanduser().resolve()
    if path.is_dir():
        raise InputError("is a directory, not a store file", Location(str(given)))
    if not path.parent.is_dir():
        raise InputError("the store's folder does not exist", Location(str(given)))
    return path
