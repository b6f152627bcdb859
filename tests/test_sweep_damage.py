"""Damaged sweep folders: a run file whose bytes changed is never used - resume redoes it, and
``load_results`` / ``analyze`` leave it out and name it; truncated, empty or junk run files, a
manifest missing keys and a truncated manifest give clear messages, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sweep_helpers import canonical, cli, run_files, write_experiment

from loyaltysim.sweep import ExperimentError, load_experiment, load_results, run_sweep
from loyaltysim.sweep.analysis import analyze
from loyaltysim.sweep.results import DamagedResultsWarning, PartialResultsWarning
from loyaltysim.sweep.runfile import DamagedRunFile, encode_run_file, read_run_file
from loyaltysim.sweep.store import ResultStore

VICTIM = "p00003-r001.parquet"


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The tiny grid (12 runs) swept once: (experiment file, results folder)."""
    folder = tmp_path_factory.mktemp("damage")
    exp = write_experiment(folder)
    out = folder / "clean"
    report = run_sweep(load_experiment(exp), out, workers=2, progress=False)
    assert report.complete and not report.failed
    return exp, out


@pytest.fixture
def copy(swept, tmp_path):
    """A fresh copy of the swept folder, to damage."""
    return Path(shutil.copytree(swept[1], tmp_path / "out"))


def _flip_inside_a_data_page(path: Path) -> None:
    """XOR 8 bytes inside the 'value' column's pages, footer untouched, at a place where plain
    pyarrow still reads the file - and returns other numbers: the silent case."""
    meta = pq.read_metadata(path)
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    chunk = meta.row_group(0).column(names.index("value"))
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    end = start + chunk.total_compressed_size
    data = path.read_bytes()
    original = pq.read_table(pa.BufferReader(data)).column("value")
    for at in range(end - 8, start, -1):
        damaged = data[:at] + bytes(b ^ 0x5A for b in data[at : at + 8]) + data[at + 8 :]
        try:
            values = pq.read_table(pa.BufferReader(damaged)).column("value")
        except (OSError, pa.ArrowException):
            continue
        if not values.equals(original):
            path.write_bytes(damaged)
            assert pq.read_metadata(path).num_rows == meta.num_rows  # the footer still reads
            return
    raise AssertionError("no silent flip found in the value column")


def _no_traceback(proc) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "ArrowInvalid" not in proc.stderr and "KeyError" not in proc.stderr


# --------------------------------------------------------------------------------------------------
# run files


def test_every_changed_byte_of_a_run_file_is_detected(swept):
    data = (swept[1] / "runs" / VICTIM).read_bytes()

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(position=st.integers(0, len(data) - 1), mask=st.integers(1, 255))
    def check(position: int, mask: int) -> None:
        damaged = bytearray(data)
        damaged[position] ^= mask
        target = swept[1].parent / "flipped.parquet"
        target.write_bytes(bytes(damaged))
        with pytest.raises(DamagedRunFile):
            read_run_file(target)

    check()


def test_a_written_run_file_reads_back_as_written(tmp_path):
    table = pa.table({"value": [0.5, 1.5, float("nan")], "metric": ["a", "b", "c"]})
    path = tmp_path / "run.parquet"
    path.write_bytes(encode_run_file(table, {"run_hash": "abc", "seed": 3}))
    verified = read_run_file(path)
    assert verified.meta == {"run_hash": "abc", "seed": 3}
    pd.testing.assert_frame_equal(verified.table.to_pandas(), table.to_pandas())


def test_flipped_bytes_in_a_data_page_are_reported_by_analysis_and_redone_on_resume(swept, copy):
    exp, clean = swept
    before = run_files(copy)
    _flip_inside_a_data_page(copy / "runs" / VICTIM)

    with pytest.warns(DamagedResultsWarning, match=rf"{VICTIM}: checksum mismatch"):
        damaged = load_results(copy)
    expected = load_results(clean)
    victim = (expected["point"] == 3) & (expected["replication"] == 1)
    pd.testing.assert_frame_equal(canonical(damaged), canonical(expected[~victim]))

    analysed = cli("analyze", copy, "--no-plots")
    _no_traceback(analysed)
    assert analysed.returncode == 1
    assert VICTIM in analysed.stderr and "checksum mismatch" in analysed.stderr
    assert "partial results: 11 of 12 runs" in analysed.stderr
    assert "**Warning**: 1 damaged run file(s) left out" in (copy / "analysis" / "summary.md").read_text()

    resumed = cli("sweep", exp, "--out", copy, "--workers", "1", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert "1 damaged run file(s) set aside" in resumed.stderr and "checksum" in resumed.stderr
    assert (copy / "damaged" / VICTIM).is_file()  # kept for inspection
    after = run_files(copy)
    assert after[VICTIM] != before[VICTIM]
    assert {k: v for k, v in after.items() if k != VICTIM} == {
        k: v for k, v in before.items() if k != VICTIM
    }  # nothing else redone
    for weekly in (False, True):  # the redone run is bit-identical to the clean sweep's
        pd.testing.assert_frame_equal(
            canonical(load_results(copy, weekly=weekly)), canonical(load_results(clean, weekly=weekly))
        )


@pytest.mark.parametrize("damage", ["truncated", "empty", "junk", "directory"])
def test_analyze_names_unusable_run_files_and_uses_the_others(copy, damage):
    path = copy / "runs" / VICTIM
    data = path.read_bytes()
    if damage == "directory":
        path.unlink()
        path.mkdir()
    else:
        path.write_bytes(
            {"truncated": data[: len(data) // 2], "empty": b"", "junk": b"not parquet at all\n" * 40}[damage]
        )
    proc = cli("analyze", copy, "--no-plots")
    _no_traceback(proc)
    if damage == "directory":  # not a file: the run is missing, not damaged
        assert proc.returncode == 0, proc.stderr
        assert "partial results: 11 of 12 runs (1 not finished)" in proc.stderr
    else:
        assert proc.returncode == 1, proc.stderr
        assert f"{copy / 'runs' / VICTIM}: " in proc.stderr
        assert {
            "truncated": "not a complete Parquet file",
            "empty": "empty file",
            "junk": "not a complete Parquet file",
        }[damage] in proc.stderr
    summary = pd.read_csv(copy / "analysis" / "summary.csv")
    row = summary[(summary["point"] == 3) & (summary["window"] == "final")].iloc[0]
    assert row["n"] == 1  # point 3 rests on its one intact replication


def test_a_run_file_of_another_run_is_not_used(copy):
    shutil.copyfile(copy / "runs" / "p00000-r000.parquet", copy / "runs" / VICTIM)
    with pytest.warns(DamagedResultsWarning, match="not those of this run"):
        results = load_results(copy)
    assert not ((results["point"] == 3) & (results["replication"] == 1)).any()


def test_partial_results_are_warned_about(copy):
    (copy / "runs" / VICTIM).unlink()
    with pytest.warns(PartialResultsWarning, match="11 of 12 runs"):
        load_results(copy)


# --------------------------------------------------------------------------------------------------
# the manifest


def _drop(manifest: dict, path: tuple) -> None:
    target = manifest
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]


@pytest.mark.parametrize(
    "path",
    [
        ("design", "keys"),
        ("design",),
        ("runs", 4, "run_hash"),
        ("counts", "done"),
        ("experiment", "name"),
        ("scenario", "focus"),
        ("runs",),
    ],
)
def test_a_manifest_missing_keys_is_named_with_the_key(copy, path):
    manifest = json.loads((copy / "manifest.json").read_text())
    _drop(manifest, path)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExperimentError) as caught:
        analyze(copy, plots=False)
    message = str(caught.value)
    dotted = ".".join(map(str, path))
    assert str(copy / "manifest.json") in message
    assert f"{dotted}: field required" in message
    assert caught.value.key_path == dotted
    assert not (copy / "analysis").exists()


def test_a_manifest_with_a_wrong_type_is_refused_by_the_cli(copy):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["design"]["keys"] = "firms.pharmacy.culture.trust"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    proc = cli("analyze", copy)
    _no_traceback(proc)
    assert proc.returncode == 2
    assert "manifest.json" in proc.stderr and "design.keys" in proc.stderr


def _key_paths(value, prefix=()) -> list[tuple]:
    """Every key path in a JSON value (the first two items of each list stand for all)."""
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _key_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:2]):
            paths += _key_paths(item, (*prefix, index))
    return paths


REPLACEMENTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 30),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.just([]),
    st.just({}),
    st.just([1, "x"]),
)


def test_any_altered_manifest_key_is_analysed_or_refused_naming_the_file(copy):
    original = json.loads((copy / "manifest.json").read_text())
    paths = _key_paths(original)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(path=st.sampled_from(paths), delete=st.booleans(), value=REPLACEMENTS)
    def check(path: tuple, delete: bool, value) -> None:
        manifest = json.loads(json.dumps(original))
        target = manifest
        for part in path[:-1]:
            target = target[part]
        if delete and isinstance(target, dict):
            del target[path[-1]]
        else:
            target[path[-1]] = value
        (copy / "manifest.json").write_text(json.dumps(manifest))
        try:
            analyze(copy, plots=False)
        except ExperimentError as exc:
            assert str(copy / "manifest.json") in str(exc) and len(str(exc)) < 2048

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialResultsWarning)
        check()


@pytest.mark.parametrize("content", ["truncated", "empty", "list"])
def test_a_damaged_manifest_is_explained_then_rebuilt_by_the_sweep(swept, copy, content):
    exp, clean = swept
    text = (copy / "manifest.json").read_text()
    (copy / "manifest.json").write_text(
        {"truncated": text[: len(text) // 3], "empty": "", "list": "[]"}[content]
    )
    before = run_files(copy)
    analysed = cli("analyze", copy)
    _no_traceback(analysed)
    assert analysed.returncode == 2
    assert "manifest.json: damaged manifest" in analysed.stderr
    assert "12 intact run file(s) are kept" in analysed.stderr
    assert "rerun the 'loyaltysim sweep' command" in analysed.stderr

    resumed = cli("sweep", exp, "--out", copy, "--workers", "1", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert "rebuilt from the 12 intact run files" in resumed.stderr
    assert run_files(copy) == before  # nothing redone
    assert (copy / "manifest.json.damaged").is_file()
    assert json.loads((copy / "manifest.json").read_text())["counts"]["done"] == 12
    pd.testing.assert_frame_equal(canonical(load_results(copy)), canonical(load_results(clean)))


def test_a_damaged_manifest_in_a_folder_of_another_experiment_deletes_nothing(swept, copy):
    exp, _ = swept
    (copy / "manifest.json").write_text('{"format": 1, "identity": {')
    foreign = copy / "runs" / "p00099-r000.parquet"
    shutil.copyfile(copy / "runs" / "p00000-r000.parquet", foreign)
    data = read_run_file(foreign)
    foreign.write_bytes(
        encode_run_file(
            data.table.replace_schema_metadata(None), {**data.meta, "run_hash": "another experiment"}
        )
    )
    before = run_files(copy)
    proc = cli("sweep", exp, "--out", copy, "--workers", "1")
    _no_traceback(proc)
    assert proc.returncode == 2
    assert "not runs of tiny_grid" in proc.stderr and "--force" in proc.stderr
    assert run_files(copy) == before
    assert (copy / "manifest.json").read_text() == '{"format": 1, "identity": {'


# --------------------------------------------------------------------------------------------------
# the folder lock


def test_a_second_sweep_on_a_locked_folder_is_refused_naming_the_holder(tmp_path):
    holder = ResultStore(tmp_path / "out").lock()
    second = ResultStore(tmp_path / "out").lock()
    with holder, pytest.raises(ExperimentError, match=rf"another sweep .* \(process {os.getpid()}\)"):
        second.__enter__()
    with ResultStore(tmp_path / "out").lock():  # released: free again
        pass


def test_damaged_failure_records_do_not_break_the_analysis(copy):
    (copy / "failures").mkdir()
    (copy / "failures" / "p00000-r000.json").write_text("[1, 2]")
    (copy / "failures" / "p00000-r001.json").write_text('{"run_id": "p00000-r001", "err')
    written = analyze(copy, plots=False)
    assert copy / "analysis" / "failures.csv" not in written
