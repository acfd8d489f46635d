"""Batch runs (local engine): tenants told apart, results equal to a direct analysis,
the cache, progress, the dataset and the errors."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pandas as pd
import pytest

from pbxlab import analyze, diagnose, read_capture, read_registrar_log
from pbxlab.analysis import tenant_messages
from pbxlab.batch import (
    UNMAPPED,
    BatchWarning,
    Step,
    TenantResult,
    run_batch,
    tenant_results,
)
from pbxlab.batch.tenantmap import parse_toml_map
from pbxlab.errors import CaptureFormatError, InputError
from pbxlab.tables import FINDINGS
from tests.batch.conftest import GENERIC_LOG, copy_to, sample

ANALYSIS_TABLES = (
    "messages",
    "rtp_streams",
    "registrations",
    "events",
    "bindings",
    "keepalives",
    "calls",
    "status",
    "transitions",
    "reliability",
)


def assert_same_frame(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal frames; an all-missing categorical column may differ in the dtype of its
    (empty) categories -- object after Parquet, float64 when built from Nones -- and
    unused categories do not count."""
    got, expected = got.copy(), expected.copy()
    for name in got.columns:
        both = (got[name], expected[name]) if name in expected else ()
        if not both or not all(isinstance(c.dtype, pd.CategoricalDtype) for c in both):
            continue
        if all(c.isna().all() for c in both):
            got[name] = got[name].astype(object)
            expected[name] = expected[name].astype(object)
        else:  # a tenant's share of several files need not know every file name
            got[name] = got[name].cat.remove_unused_categories()
            expected[name] = expected[name].cat.remove_unused_categories()
    pd.testing.assert_frame_equal(got, expected)


def assert_same_analysis(got: TenantResult, capture_files: list[Path], logs=()) -> None:
    """``got`` equals analyze + diagnose of the files read directly."""
    capture = read_capture(capture_files) if capture_files else None
    events = read_registrar_log(list(logs)).events if logs else None
    expected = analyze(capture=capture, events=events)
    for name in ANALYSIS_TABLES:
        assert_same_frame(getattr(got.analysis, name), getattr(expected, name))
    assert (got.analysis.start, got.analysis.end) == (expected.start, expected.end)
    assert_same_frame(got.findings, diagnose(expected))


def test_one_tenant_gives_what_analyze_and_diagnose_give() -> None:
    files = [sample("lab-flapping.pcap"), sample("lab-healthy.pcap")]
    results = tenant_results(files)
    assert list(results) == ["127.0.0.1"]
    result = results["127.0.0.1"]
    assert result.tenant == "127.0.0.1" and result.inputs == tuple(files)
    assert_same_analysis(result, files)
    assert "FLAPPING" in set(result.findings["code"])
    FINDINGS.validate(result.findings)


def test_captures_and_logs_of_one_tenant_are_analysed_together(tmp_path: Path) -> None:
    log = tmp_path / "registrar.csv"
    log.write_text(GENERIC_LOG)
    capture = sample("lab-healthy.pcap")
    results = tenant_results([capture, log])
    assert list(results) == ["127.0.0.1"]
    assert_same_analysis(results["127.0.0.1"], [capture], [log])


def test_a_log_alone_is_the_default_tenant(tmp_path: Path) -> None:
    log = tmp_path / "registrar.csv"
    log.write_text(GENERIC_LOG)
    results = tenant_results([log])
    assert list(results) == ["default"]
    assert_same_analysis(results["default"], [], [log])


def test_several_sip_domains_are_split_into_tenants() -> None:
    files = [
        sample("xlite-register-call.pcap"),
        sample("lab-nat.pcap"),
        sample("android-nat-onsip-register-call.pcap"),
    ]
    results = tenant_results(files)
    assert list(results) == ["127.0.0.1", "bestel.com", "upbsml.onsip.com"]
    everything = read_capture(files).messages
    for domain, result in results.items():
        assert_same_frame(result.analysis.messages, tenant_messages(everything, domain))
    assert results["bestel.com"].inputs == (files[0],)
    assert results["upbsml.onsip.com"].inputs == (files[2],)


def test_the_directory_layout_names_tenants_and_wins(tmp_path: Path) -> None:
    acme = copy_to(tmp_path / "acme", "lab-healthy.pcap")
    beta = copy_to(tmp_path / "beta", "lab-nat.pcap", "xlite-register-call.pcap")
    results = tenant_results([tmp_path])
    assert list(results) == ["acme", "beta"]  # beta's two domains stay one tenant
    assert_same_analysis(results["acme"], acme)
    assert_same_analysis(results["beta"], beta)


def test_a_tenant_map_names_domains_and_networks_and_reports_the_rest(tmp_path: Path) -> None:
    tenant_map = tmp_path / "tenants.toml"
    tenant_map.write_text(
        '[tenants.onsip]\ndomains = ["*.onsip.com"]\n'
        '[tenants.acme]\nnetworks = ["198.51.100.0/24"]\n'
    )
    log = tmp_path / "registrar.csv"
    log.write_text(GENERIC_LOG)
    files = [sample("android-nat-onsip-register-call.pcap"), sample("lab-healthy.pcap"), log]

    with pytest.warns(BatchWarning, match=r"1 events matched no tenant \(most named: 203.0.113.9"):
        run = run_batch(files, tenants=tenant_map)

    assert list(run.results) == ["127.0.0.1", "acme", "onsip", UNMAPPED]
    events = {t: r.analysis.events for t, r in run.results.items()}
    # a network rule, a phone that registered in the lab captures, and what nothing names
    assert list(events["acme"]["source"]) == ["198.51.100.4:5060"]
    assert "127.0.0.11:5060" in set(events["127.0.0.1"]["source"])
    assert list(events[UNMAPPED]["source"]) == ["203.0.113.9:5060"]
    assert run.unmapped.rows == {"messages": 0, "rtp_streams": 0, "events": 1}
    assert run.unmapped.by_file == {str(log): {"events": 1}}
    assert run.results["onsip"].inputs == (files[0],)
    assert run.results[UNMAPPED].inputs == (log,)


def test_messages_no_domain_claims_go_to_the_unmapped_tenant() -> None:
    files = [sample("register-401-503-504.pcap"), sample("lab-healthy.pcap")]
    with pytest.warns(BatchWarning, match="messages.*matched no tenant"):
        run = run_batch(files, tenants=parse_toml_map('[tenants.lab]\ndomains = ["127.0.0.1"]\n'))
    assert list(run.results) == ["lab", UNMAPPED]
    unmapped = run.results[UNMAPPED].analysis.messages
    assert len(unmapped) == run.unmapped.rows["messages"] == len(read_capture(files[0]).messages)


def test_a_second_run_reads_the_cache_and_a_changed_file_is_parsed_again(tmp_path: Path) -> None:
    (capture,) = copy_to(tmp_path / "in", "lab-healthy.pcap")
    cache = tmp_path / "cache"
    first = run_batch([capture], cache_dir=cache)
    second = run_batch([capture], cache_dir=cache)
    assert [u.cached for u in first.units] == [False]
    assert [u.cached for u in second.units] == [True]
    pd.testing.assert_frame_equal(
        first.results["127.0.0.1"].findings, second.results["127.0.0.1"].findings
    )
    stat = capture.stat()
    os.utime(capture, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    third = run_batch([capture], cache_dir=cache)
    assert [u.cached for u in third.units] == [False]
    assert len(list((cache / "units").iterdir())) == 2  # no temporary folders left


def test_progress_reports_bytes_parsed_and_tenants_analysed() -> None:
    files = [sample("lab-healthy.pcap"), sample("xlite-register-call.pcap")]
    steps: list[Step] = []
    tenant_results(files, progress=steps.append)
    total = sum(f.stat().st_size for f in files)
    parse = [s for s in steps if s.stage == "parse"]
    assert {s.total for s in parse} == {total} and parse[-1].done == total
    assert [s.done for s in parse] == sorted(s.done for s in parse)
    analyse = [s for s in steps if s.stage == "analyse"]
    assert analyse[-1] == Step("analyse", 2, 2, "")


def test_the_dataset_is_partitioned_by_tenant_and_date(tmp_path: Path) -> None:
    files = [sample("lab-healthy.pcap"), sample("android-nat-onsip-register-call.pcap")]
    dataset = tmp_path / "dataset"
    tenant_results(files, dataset_dir=dataset)
    # a second run replaces the partitions, never duplicates rows
    results = tenant_results(files, dataset_dir=dataset)
    findings = pd.read_parquet(dataset / "findings")
    assert len(findings) == sum(len(r.findings) for r in results.values()) > 0
    assert list(findings["severity"].cat.categories) == ["info", "warning", "critical"]
    assert sorted(p.name for p in (dataset / "messages").iterdir()) == [
        "tenant=127.0.0.1",
        "tenant=upbsml.onsip.com",
    ]
    assert sorted(p.name for p in (dataset / "status" / "tenant=upbsml.onsip.com").iterdir()) == [
        "date=2018-05-10"
    ]
    messages = pd.read_parquet(dataset / "messages", filters=[("tenant", "=", "127.0.0.1")])
    assert len(messages) == len(results["127.0.0.1"].analysis.messages)
    assert set(messages["date"].astype(str)) == {"2026-11-26"}


def test_bad_arguments_and_unreadable_files_raise_typed_errors(tmp_path: Path) -> None:
    capture = sample("lab-healthy.pcap")
    with pytest.raises(InputError, match="unknown engine 'spark'"):
        tenant_results([capture], engine="spark")
    with pytest.raises(InputError, match="needs engine='dask'"):
        tenant_results([capture], scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(InputError, match="cache folder that the workers share"):
        tenant_results([capture], engine="dask", scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(InputError, match=r"nowhere.pcap.*no such file"):
        tenant_results([tmp_path / "nowhere.pcap"])
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"this is not a capture at all\n" * 10)
    with pytest.raises(CaptureFormatError, match=r"junk\.pcap"):
        tenant_results([junk])


def test_skipped_files_in_a_directory_are_reported(tmp_path: Path) -> None:
    copy_to(tmp_path, "lab-healthy.pcap")
    (tmp_path / "notes.txt").write_text("not evidence\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = run_batch([tmp_path])
    assert run.skipped == ((tmp_path / "notes.txt").resolve(),)
    assert any("skipped 1 file(s)" in str(w.message) for w in caught)
