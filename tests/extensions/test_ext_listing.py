"""The list view: extensions joined with the analysis' status table."""

from __future__ import annotations

import pandas as pd
import pytest

from pbxlab.errors import InputError
from pbxlab.extensions import EXTENSION_LIST, Extension, join_status, validated
from pbxlab.extensions.listing import extension_table, search_table, sort_table


@pytest.fixture
def table() -> pd.DataFrame:
    return extension_table(
        [
            validated(Extension, number="201", name="Alice",
                      phones=[{"mac": "00:15:65:1a:2b:3c", "model": "Yealink T46S"}]),
            validated(Extension, number="202", name="Bob", voicemail={"enabled": False}),
            validated(Extension, number="1001", name="Carol", sip_username="carol"),
        ]
    )  # fmt: skip


def test_extension_table_follows_its_schema(table: pd.DataFrame) -> None:
    EXTENSION_LIST.validate(table)
    assert list(table["phone_count"]) == [1, 0, 0]
    assert table["state"].isna().all()
    assert EXTENSION_LIST.validate(extension_table([])).empty


def test_latest_status_and_registered_phones_are_joined(table: pd.DataFrame) -> None:
    ts = pd.Timestamp("2026-11-26T10:00:00Z")
    status = pd.DataFrame(
        {
            "extension": ["201", "201", "202", "999"],
            "start": [ts, ts + pd.Timedelta(minutes=5), ts, ts],
            "state": ["offline", "in_use", "ringing", "online"],
            "phones": [[], ["Yealink T46S", "Zoiper 5"], "Polycom VVX 450", ["X"]],
        }
    )
    joined = join_status(table, status)
    EXTENSION_LIST.validate(joined)
    assert list(joined["state"].astype(object).where(joined["state"].notna(), None)) == [
        "in_use", "ringing", None
    ]  # fmt: skip
    assert list(joined["phone_count"]) == [2, 1, 0]
    assert joined.loc[0, "phones"] == "Yealink T46S, Zoiper 5"
    assert len(joined) == 3  # 999 is not an extension of the tenant: not added


def test_status_without_phones_keeps_the_provisioned_ones(table: pd.DataFrame) -> None:
    status = pd.DataFrame({"extension": [201], "state": ["online"]})  # numbers as ints too
    joined = join_status(table, status)
    assert joined.loc[0, "state"] == "online"
    assert joined.loc[0, "phones"] == "Yealink T46S (00:15:65:1a:2b:3c)"


@pytest.mark.parametrize(
    ("status", "match"),
    [
        (pd.DataFrame({"extension": ["201"]}), "lacks column"),
        (pd.DataFrame({"extension": ["201"], "state": ["registered"]}), "unknown state"),
    ],
)
def test_bad_status_tables(table: pd.DataFrame, status: pd.DataFrame, match: str) -> None:
    with pytest.raises(InputError, match=match):
        join_status(table, status)


def test_search_and_sort(table: pd.DataFrame) -> None:
    assert list(search_table(table, "CAR")["number"]) == ["1001"]
    assert list(search_table(table, "20")["number"]) == ["201", "202"]
    assert list(sort_table(table, "number", descending=True)["number"]) == ["1001", "202", "201"]
    assert list(sort_table(table, "voicemail")["number"]) == ["202", "201", "1001"]
    with pytest.raises(InputError, match="cannot sort by 'colour'"):
        sort_table(table, "colour")
