"""The database behind the store: engine, migrations, transactions, audit, lookups.

Opening creates the SQLite file (mode 0600: SIP passwords are in it) and brings
the schema to the latest Alembic revision.  Every public call runs in exactly
one transaction (:meth:`Database._tx`) that also carries its audit entries.
Errors from the database are re-raised as :class:`~pbxlab.errors.StoreError`
without the SQL parameters, which could contain a password.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self, TypeVar

import pandas as pd
from alembic import command
from alembic.config import Config
from pydantic import BaseModel
from sqlalchemy import Connection, Engine, create_engine, delete, event, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from pbxlab.errors import NotFoundError, StoreError
from pbxlab.extensions import audit, rows
from pbxlab.extensions.dbschema import (
    extensions,
    phones,
    provisioning_profiles,
    ring_groups,
    voicemail_boxes,
)
from pbxlab.extensions.model import Extension
from pbxlab.extensions.validation import TenantIndex

DEFAULT_DB_FILE = "pbxlab-extensions.db"
MIGRATIONS = "pbxlab.extensions:migrations"

M = TypeVar("M", bound=BaseModel)


def resolve_url(url: str | os.PathLike[str] | None) -> str:
    """A SQLAlchemy URL from a URL, a file path, or None (the default file in the cwd)."""
    if url is None:
        return f"sqlite:///{Path.cwd() / DEFAULT_DB_FILE}"
    text = os.fspath(url)
    return text if "://" in text else f"sqlite:///{Path(text).resolve()}"


def _create_private_file(path: Path) -> None:
    # Create the file ourselves, readable by its owner only, before SQLite does so with
    # the umask's mode.  SQLite gives its journal files the database file's mode.
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def _sqlite_setup(engine: Engine) -> None:
    # SQLAlchemy's documented recipe: let SQLAlchemy, not the sqlite3 module, issue
    # BEGIN so reads and writes of a call share one transaction; enforce foreign keys.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite files created 0600); raises StoreError if unusable."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError(f"not a database URL: {_safe(url)}") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            _create_private_file(Path(database))
        else:  # one in-memory database shared by every use of the engine
            kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot use database {_safe(url)}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        _sqlite_setup(engine)
    return engine


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unparsable URL>"


def migrate(engine: Engine) -> None:
    """Bring the database schema to the latest revision (Alembic, in one transaction)."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def describe_db_error(exc: SQLAlchemyError) -> str:
    """The driver's message of a database error, without SQL or parameters."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        first_line = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
        return f"{type(exc.orig).__name__}: {first_line}"
    return type(exc).__name__


class Database:
    """An open extensions database; :class:`~pbxlab.extensions.store.ExtensionStore` builds on it.

    ``actor`` is the name written in audit entries.
    """

    def __init__(self, engine: Engine, *, actor: str | None = None) -> None:
        self._engine = engine
        self.actor = actor or audit.default_actor()

    @classmethod
    def open(cls, url: str | os.PathLike[str] | None = None, *, actor: str | None = None) -> Self:
        """Open (creating and migrating as needed) the store at ``url``.

        ``url``: any SQLAlchemy URL, a file path (SQLite), or None for
        ``pbxlab-extensions.db`` in the working directory.  Raises StoreError when
        the database cannot be reached or migrated.
        """
        text = resolve_url(url)
        engine = make_engine(text)
        try:
            migrate(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"cannot open store {_safe(text)}: {describe_db_error(exc)}") from None
        return cls(engine, actor=actor)

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tests and tools that need raw access)."""
        return self._engine

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.url}: {describe_db_error(exc)}") from None

    def _audit(self, conn: Connection, entries: list[dict[str, Any]]) -> None:
        audit.record(conn, entries)

    def _entry(
        self, action: str, entity: str, key: str, changes: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return audit.entry(self.actor, action, entity, key, changes)

    def _get(self, conn: Connection, number: str) -> Extension:
        found = rows.load(conn, extensions.c.number == number)
        if not found:
            raise NotFoundError(f"no extension {number!r}")
        return found[0]

    def _exists(self, conn: Connection, number: str) -> bool:
        query = select(extensions.c.id).where(extensions.c.number == number)
        return conn.execute(query).first() is not None

    def _index(self, conn: Connection) -> TenantIndex:
        index = TenantIndex()
        for number, username in conn.execute(
            select(extensions.c.number, extensions.c.sip_username)
        ):
            index.extensions.add(number)
            index.sip_usernames[username] = number
        for mac, number in conn.execute(
            select(phones.c.mac, extensions.c.number).join(
                extensions, extensions.c.id == phones.c.extension_id
            )
        ):
            index.macs[mac] = number
        index.voicemail_boxes = set(conn.execute(select(voicemail_boxes.c.number)).scalars())
        index.profiles = set(conn.execute(select(provisioning_profiles.c.name)).scalars())
        index.ring_groups = set(conn.execute(select(ring_groups.c.number)).scalars())
        return index

    def record_action(
        self, action: str, entity: str, key: str, details: Mapping[str, Any] | None = None
    ) -> None:
        """Append an audit entry for an action that changes nothing stored (a reboot)."""
        with self._tx() as conn:
            self._audit(conn, [self._entry(action, entity, key, details)])

    def audit_log(self, key: str | None = None) -> pd.DataFrame:
        """The audit log (for one number/MAC/name when ``key``), oldest first."""
        with self._tx() as conn:
            return audit.read(conn, key)

    def _all(self, table: Any, model: type[M], order: Any) -> list[M]:
        with self._tx() as conn:
            return [
                model.model_validate(dict(r))
                for r in conn.execute(select(table).order_by(order)).mappings()
            ]

    def _upsert_row(
        self, conn: Connection, table: Any, key_col: Any, key: str, data: dict[str, Any]
    ) -> None:
        if conn.execute(select(key_col).where(key_col == key)).first() is None:
            conn.execute(insert(table).values(data))
        else:
            conn.execute(update(table).where(key_col == key).values(data))

    def _delete_object(self, table: Any, key_col: Any, key: str, entity: str) -> None:
        with self._tx() as conn:
            if conn.execute(delete(table).where(key_col == key)).rowcount == 0:
                raise NotFoundError(f"no {entity.replace('_', ' ')} {key!r}")
            self._audit(conn, [self._entry("delete", entity, key)])
