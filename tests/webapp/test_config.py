"""The page's configuration: absolute paths, checked inputs, the trip through the environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pbxlab.errors import InputError
from pbxlab.web.config import (
    ENV_DB,
    ENV_DIRECTORY,
    ENV_DOMAIN,
    ENV_INPUTS,
    WebConfig,
    absolute_store,
    shown_store,
)
from tests.conftest import SAMPLES

FLAPPING = SAMPLES / "lab-flapping.pcap"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("tenant.db", "{cwd}/tenant.db"),
        ("./sub/../tenant.db", "{cwd}/tenant.db"),
        ("sqlite:///tenant.db", "sqlite:///{cwd}/tenant.db"),
        ("sqlite+pysqlite:///tenant.db", "sqlite+pysqlite:///{cwd}/tenant.db"),
        ("sqlite:////var/tmp/tenant.db", "sqlite:////var/tmp/tenant.db"),
        (
            "postgresql+psycopg://pbx:secret@127.0.0.1:5432/tenant",
            "postgresql+psycopg://pbx:secret@127.0.0.1:5432/tenant",
        ),
    ],
)
def test_sqlite_stores_are_made_absolute(
    given: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    assert absolute_store(given) == expected.format(cwd=tmp_path)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("sqlite://", "in-memory SQLite store cannot be shared"),
        ("sqlite:///:memory:", "in-memory SQLite store cannot be shared"),
        ("://tenant", "not a database URL"),
        ("postgresql://h:port/db", "not a database URL"),
        ("missing/tenant.db", "missing/tenant.db: the store's folder does not exist"),
        ("sub", "sub: is a directory, not a store file"),
    ],
)
def test_unusable_stores_are_refused(
    given: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=message):
        absolute_store(given)


def test_inputs_must_be_existing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothere\.pcap: no such file"):
        WebConfig.checked(str(tmp_path / "t.db"), [FLAPPING, tmp_path / "nothere.pcap"])
    with pytest.raises(InputError, match="is a directory, not a capture or log"):
        WebConfig.checked(str(tmp_path / "t.db"), [tmp_path])
    with pytest.raises(InputError, match="elsewhere: no such folder"):
        WebConfig.checked(str(tmp_path / "t.db"), [], directory=tmp_path / "elsewhere")


def test_the_config_survives_the_environment(tmp_path: Path) -> None:
    config = WebConfig.checked(
        str(tmp_path / "t.db"), [FLAPPING, FLAPPING], "pbx.example.com", SAMPLES
    )
    env = config.environment()
    assert env == {
        ENV_DB: str(tmp_path / "t.db"),
        ENV_INPUTS: f"{FLAPPING}{os.pathsep}{FLAPPING}",
        ENV_DOMAIN: "pbx.example.com",
        ENV_DIRECTORY: str(SAMPLES),
    }
    assert WebConfig.from_environment(env) == config


def test_without_a_config_the_defaults_of_pbxlab_ext_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PBXLAB_EXT_DB", raising=False)
    assert WebConfig.from_environment({}) == WebConfig(
        db=str(tmp_path / "pbxlab-extensions.db"), directory=tmp_path
    )
    monkeypatch.setenv("PBXLAB_EXT_DB", "other.db")
    assert WebConfig.from_environment({}).db == str(tmp_path / "other.db")


@pytest.mark.parametrize(
    ("store", "shown"),
    [
        ("/srv/tenant.db", "/srv/tenant.db"),
        ("sqlite:////srv/tenant.db", "sqlite:////srv/tenant.db"),
        ("postgresql+psycopg://pbx:s3cret@db/acme", "postgresql+psycopg://pbx:***@db/acme"),
        ("://broken", "<unreadable URL>"),
    ],
)
def test_the_store_is_shown_without_its_password(store: str, shown: str) -> None:
    assert shown_store(store) == shown
