"""TableWriter / read_table: Parquet and CSV round trips keep the schema's dtypes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pbxlab.errors import InputError
from pbxlab.io import TableWriter, arrow_schema, output_format, read_table, write_table
from pbxlab.schema import TableSchema
from pbxlab.tables import ERRORS, MESSAGES, RTP_STREAMS
from tests.capture import packets as pkt
from tests.capture import samples

T0 = 1_700_000_000 * 10**9


def dtype_names(frame: pd.DataFrame) -> list[str]:
    return ["category" if isinstance(d, pd.CategoricalDtype) else str(d) for d in frame.dtypes]


def same_table(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert dtype_names(got) == dtype_names(expected)
    assert got.astype(object).equals(expected.astype(object))


def messages_frame(tmp_path: Path) -> pd.DataFrame:
    """A realistic messages table, read from a small capture."""
    from pbxlab import read_capture

    frames = [
        (T0 + n * 1_000_001, pkt.udp_frame(message, sport=5062 + n))
        for n, message in enumerate(samples.MESSAGES)
    ]
    messages = read_capture(pkt.write(tmp_path, "in.pcap", pkt.pcap(frames))).messages
    assert len(messages) == len(samples.MESSAGES)
    return messages


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("m.parquet", "parquet"), ("m.PQ", "parquet"), ("dir/m.csv", "csv"), ("M.CSV", "csv")],
)
def test_output_format_by_extension(name: str, fmt: str) -> None:
    assert output_format(Path(name)) == fmt


@pytest.mark.parametrize("name", ["m.xlsx", "m", "m.parquet.gz"])
def test_unknown_output_format(name: str) -> None:
    with pytest.raises(InputError, match=r"cannot tell the output format of .*: use a \.parquet "
                       r"or \.csv extension"):  # fmt: skip
        output_format(Path(name))


def csv_view(messages: pd.DataFrame) -> pd.DataFrame:
    """What CSV can hold: it cannot tell an empty string from a missing value, so
    via_rport '' (rport requested, no value) reads back as missing."""
    via_rport = messages["via_rport"].mask(messages["via_rport"] == "")
    return messages.assign(via_rport=via_rport)


def test_messages_round_trip_through_parquet(tmp_path: Path) -> None:
    messages = messages_frame(tmp_path)
    assert "" in messages["via_rport"].tolist()
    path = tmp_path / "out" / "messages.parquet"  # the folder is created
    write_table(messages, path, MESSAGES)
    same_table(read_table(path, MESSAGES), messages)


def test_messages_round_trip_through_csv(tmp_path: Path) -> None:
    messages = messages_frame(tmp_path)
    path = tmp_path / "out" / "messages.csv"
    write_table(messages, path, MESSAGES)
    same_table(read_table(path, MESSAGES), csv_view(messages))


def test_chunked_parquet_reads_back_as_one_table(tmp_path: Path) -> None:
    messages = messages_frame(tmp_path)
    path = tmp_path / "chunked.parquet"
    # chunks with different categories in their categorical columns
    parts = [messages.iloc[:2], messages.iloc[2:3], messages.iloc[3:]]
    with TableWriter(path, MESSAGES) as writer:
        for part in parts:
            writer.write(MESSAGES.conform(part.reset_index(drop=True)))
    assert writer.rows == len(messages)
    assert pq.ParquetFile(path).num_row_groups == 3
    same_table(read_table(path, MESSAGES), messages)


def test_chunked_csv_has_one_header(tmp_path: Path) -> None:
    messages = messages_frame(tmp_path)
    path = tmp_path / "chunked.csv"
    with TableWriter(path, MESSAGES) as writer:
        writer.write(messages.iloc[:3])
        writer.write(messages.iloc[3:])
    assert path.read_text().count("source_file,") == 1
    same_table(read_table(path, MESSAGES), csv_view(messages))


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.parametrize("schema", [MESSAGES, RTP_STREAMS, ERRORS], ids=lambda s: s.name)
def test_an_empty_table_is_written_with_its_columns(
    tmp_path: Path, suffix: str, schema: TableSchema
) -> None:
    path = tmp_path / f"empty{suffix}"
    TableWriter(path, schema).close()
    back = read_table(path, schema)
    assert back.empty
    assert dtype_names(back) == dtype_names(schema.empty())


def test_text_that_looks_like_numbers_stays_text_in_csv(tmp_path: Path) -> None:
    errors = ERRORS.build({
        "source_file": ["a.pcap", "b.pcap"], "frame": [1, None], "line": [None, 7],
        "byte_offset": [24, None], "stage": ["sip", "log"],
        "error": ["0201", "+4930123456789012345"], "excerpt": ["1e5", None],
    })  # fmt: skip
    path = tmp_path / "errors.csv"
    write_table(errors, path, ERRORS)
    same_table(read_table(path, ERRORS), errors)


def test_arrow_schema_of_messages() -> None:
    schema = arrow_schema(MESSAGES)
    assert schema.names == list(MESSAGES.names)
    assert schema.field("ts").type == pa.timestamp("ns", tz="UTC")
    assert not schema.field("ts").nullable
    assert schema.field("method").type == pa.dictionary(pa.int32(), pa.string())
    assert schema.field("sport").type == pa.uint16()
    assert schema.field("cseq_num").type == pa.int64()
    assert schema.field("is_request").type == pa.bool_()
    assert schema.field("call_id").type == pa.string()


def test_writer_reports_a_folder_it_cannot_create(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="cannot create the folder for"):
        TableWriter(blocker / "out.parquet", MESSAGES)
