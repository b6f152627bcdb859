"""Property tests: whatever is done to a valid scenario file or to ``--set`` arguments, loading
gives either a valid Scenario or a ScenarioError whose message is one paragraph of at most 2 KB
naming the file and the key path, within 5 seconds, never another exception (issue 21); an upload
never names a server path; and in-range overrides of any numeric parameter survive the TOML
round trip."""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
import tempfile
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schema_leaves import ALL_NUMERIC, FACTORY_DEFAULTED, NUMERIC
from work_count import counted, reading_the_largest_file_allowed

from loyaltysim import cli
from loyaltysim.limits import MESSAGE_CHARS
from loyaltysim.scenario import (
    ScenarioError,
    load_scenario,
    scenario_from_toml,
    scenario_to_toml,
    scenarios_dir,
)
from loyaltysim.schema import Scenario
from loyaltysim.ui.uploads import read_upload

FILES = {p.name: p.read_text(encoding="utf-8") for p in sorted(scenarios_dir().glob("*.toml"))}
SHIPPED_PATHS = {str(p) for p in scenarios_dir().glob("*.toml")}
# LOYALTYSIM_FUZZ_EXAMPLES=2000 for a longer hunt; the default keeps the file near 10 s.
SETTINGS = settings(
    max_examples=int(os.environ.get("LOYALTYSIM_FUZZ_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- strategies --------------------------------------------------------------------------------


def _paths(node, prefix=()):
    """Every key path in parsed TOML data (tables, values, and array-of-tables entries)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, dict):
                yield from _paths(value, (*prefix, i))


def _get(data, path):
    for part in path:
        data = data[part]
    return data


def _tables(data):
    return [()] + [p for p in _paths(data) if isinstance(_get(data, p), dict)]


text_no_surrogates = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
names = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=10)
toml_values = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    text_no_surrogates,
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(dt.UTC)),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(names, st.integers(-5, 5), max_size=2),
    st.lists(st.dictionaries(names, st.booleans(), min_size=1, max_size=2), min_size=1, max_size=2),
)
# values of the wrong type that lax parsing used to coerce (issue 21, finding 7)
coercible = st.sampled_from(["1_0", "10", "0.5", "true", "off", "yes", "1e3", " 7 ", ""])
out_of_range = st.sampled_from(
    [-1, -0.001, 1.0001, 2, 101, 5201, 1e9, -1e9, 2**62 + 1, 1e308, math.inf, -math.inf, math.nan]
)


def _typo(draw, key: str) -> str:
    kind = draw(st.sampled_from(["drop", "double", "swap", "insert", "case"]))
    i = draw(st.integers(0, max(len(key) - 1, 0)))
    if kind == "drop" and len(key) > 1:
        return key[:i] + key[i + 1 :]
    if kind == "double" and key:
        return key[:i] + key[i] + key[i:]
    if kind == "swap" and len(key) > 2:
        i = min(i, len(key) - 2)
        return key[:i] + key[i + 1] + key[i] + key[i + 2 :]
    if kind == "case":
        return key.upper()
    return key[:i] + draw(st.sampled_from("xzq_-.0 ")) + key[i:]


@st.composite
def mutated_files(draw):
    """(file name, text) of a shipped scenario after one to three random mutations."""
    name = draw(st.sampled_from(sorted(FILES)))
    text = FILES[name]
    data = tomllib.loads(text)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(["delete", "typo", "retype", "range", "table", "value", "coerce", "flatten"])
        )
        paths = [p for p in _paths(data) if not isinstance(p[-1], int)]
        if kind == "table" or not paths:
            where = _get(data, draw(st.sampled_from(_tables(data))))
            where[draw(names)] = draw(st.dictionaries(names, toml_values, max_size=2))
            continue
        path = draw(st.sampled_from(paths))
        parent, key = _get(data, path[:-1]), path[-1]
        if kind == "delete":
            del parent[key]
        elif kind == "typo":
            new = _typo(draw, key)
            parent[new] = parent.pop(key)
        elif kind == "retype":
            old = parent[key]
            parent[key] = draw(toml_values.filter(lambda v, old=old: type(v) is not type(old)))
        elif kind == "range":
            parent[key] = draw(out_of_range)
        elif kind == "coerce":
            parent[key] = draw(coercible | st.booleans())
        elif kind == "flatten":  # a whole table (or event) replaced by a scalar
            parent[key] = draw(st.integers(-1, 1) | st.booleans())
        else:
            parent[key] = draw(toml_values)
    return name, tomli_w.dumps(data)


@st.composite
def damaged_text(draw):
    """(file name, text) of a shipped scenario with garbage inserted or the end cut off."""
    name = draw(st.sampled_from(sorted(FILES)))
    text = FILES[name]
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        garbage = draw(
            st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8)
            | st.sampled_from(
                [
                    '"',
                    "[",
                    "]]",
                    "=",
                    "\n[x",
                    "{",
                    "\u2028",
                    "\r\n",
                    "\x00",
                    "'''",
                    "\\",
                    "\ufeff",
                    "extends = 'x'\n",
                ]
            )
        )
        return name, text[:at] + garbage + text[at:]
    return name, text[: draw(st.integers(0, len(text)))]


def _write(folder: Path, name: str, text: str) -> Path:
    """Write a file in a fresh subfolder, so that no damaged file is beside the next example's
    file (``extends`` looks beside the file first)."""
    path = Path(tempfile.mkdtemp(dir=folder)) / name
    path.write_text(text, encoding="utf-8")
    return path


#: Most work one case may cost, in files at the size limit parsed (the issue's probes took
#: minutes; counted, not timed, so that a busy machine cannot fail a case).
CASE_FILES_READ = 3
# Errors about the file as a whole (its syntax, encoding or size) have no key path.
WHOLE_FILE = (
    "not valid TOML",
    "not a UTF-8 text file",
    "larger than",
    "nested too deeply",
    "too many digits",
)


def _check_message(err: ScenarioError) -> str:
    """One paragraph of at most 2 KB that starts with the file and names the key path."""
    msg = str(err)
    assert msg and len(msg.splitlines()) == 1 and "\n" not in msg and "\r" not in msg, msg
    assert len(msg.encode()) <= MESSAGE_CHARS * 4 and len(msg) <= MESSAGE_CHARS, len(msg)
    assert "Traceback" not in msg
    assert err.file, msg
    assert msg.startswith(err.file), (err.file, msg)
    if err.key_path is None:
        assert any(kind in msg for kind in WHOLE_FILE), msg
    else:
        first = err.key_path.split(".")[0]
        shown = (first.translate(_ESCAPED)[:50], repr(first)[1:-1][:50])  # as written or quoted
        assert any(form in msg for form in shown), (err.key_path, msg)
    return msg


_ESCAPED = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def _check_outcome(path_or_label: str, load) -> Scenario | None:
    """Call ``load``; it may succeed or raise ScenarioError explained in one paragraph."""
    outcome = counted(load, expect=ScenarioError)
    assert outcome.calls < CASE_FILES_READ * reading_the_largest_file_allowed()
    if (err := outcome.error) is not None:
        msg = _check_message(err)
        # errors are in the damaged file: every other file it extends is a valid shipped one
        # (known exception: a bad firm key is blamed on whichever file first set [firms], see
        # test_bad_firm_key_in_a_child_names_the_child)
        if not (err.key_path == "firms" and "firm key" in msg and err.file in SHIPPED_PATHS):
            assert err.file == path_or_label, (err.file, msg)
        return None
    assert isinstance(outcome.value, Scenario)
    return outcome.value


def _check_round_trip(scenario: Scenario, folder: Path) -> None:
    copy_path = _write(folder, "round_trip.toml", scenario_to_toml(scenario))
    assert load_scenario(copy_path) == scenario


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _load_file_and_upload(case: tuple[str, str], folder: Path) -> None:
    """Loading the text as a file and as an upload gives a Scenario or a clear ScenarioError."""
    name, text = case
    path = _write(folder, name, text)
    scenario = _check_outcome(str(path), lambda: load_scenario(path))
    if scenario is not None:
        _check_round_trip(scenario, folder)
    _check_outcome("upload.toml", lambda: scenario_from_toml(text, label="upload.toml"))
    try:  # as the browser UI reads it: no server path in any message
        read_upload("upload.toml", text.encode())
    except ScenarioError as err:
        assert str(scenarios_dir().resolve()) not in str(err) and str(folder) not in str(err)


@SETTINGS
@given(case=mutated_files())
def test_mutated_files_load_or_explain(case, folder):
    _load_file_and_upload(case, folder)


@SETTINGS
@given(case=damaged_text())
def test_damaged_text_loads_or_explains(case, folder):
    _load_file_and_upload(case, folder)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(FILES)), junk=st.binary(min_size=1, max_size=16), at=st.integers(0, 10_000)
)
def test_non_utf8_bytes_are_explained(name, junk, at, folder):
    raw = FILES[name].encode()
    at = min(at, len(raw))
    path = Path(tempfile.mkdtemp(dir=folder)) / name
    path.write_bytes(raw[:at] + junk + raw[at:])
    _check_outcome(str(path), lambda: load_scenario(path))


# --- numeric overrides round-trip --------------------------------------------------------------


def test_numeric_leaves_cover_the_schema():
    keys = {leaf[0] for leaf in ALL_NUMERIC}
    assert {
        "market.weeks",
        "firms.<id>.culture.trust",
        "customers.habit.mean",
        "firms.<id>.culture.empowerment.frontline",
        "events.week",
    } - keys == {"events.week"}
    assert len(NUMERIC) > 70
    assert "customers.segments." in FACTORY_DEFAULTED and "customers.habit." in FACTORY_DEFAULTED


@st.composite
def numeric_overrides(draw, leaves=NUMERIC):
    name = draw(st.sampled_from(sorted(n[:-5] for n in FILES if not n.startswith("_"))))
    firms = list(load_scenario(name).firms)
    chosen = draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=6, unique_by=lambda leaf: leaf[0]))
    overrides = {}
    for template, kind, lo, hi in chosen:
        key = template.replace("<id>", draw(st.sampled_from(firms)))
        if kind is int:
            overrides[key] = draw(st.integers(lo, hi))
        else:
            overrides[key] = draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
    return name, overrides


def _leaves(data, prefix=""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, f"{prefix}{key}.")
    else:
        yield prefix[:-1], data


def _check_overrides(name, overrides, as_strings, folder):
    given_overrides = [f"{k}={v!r}" for k, v in overrides.items()] if as_strings else dict(overrides)
    scenario = load_scenario(name, given_overrides)
    dumped = scenario.model_dump(mode="json")
    # the overridden values are set, and nothing else changed
    before = dict(_leaves(load_scenario(name).model_dump(mode="json")))
    after = dict(_leaves(dumped))
    assert before.keys() == after.keys()
    for key, value in after.items():
        assert value == overrides.get(key, before[key]), key
    path = _write(folder, "override_round_trip.toml", scenario_to_toml(scenario))
    again = load_scenario(path)
    assert again == scenario
    assert scenario_to_toml(again) == scenario_to_toml(scenario)
    # overriding the loaded copy with the same values changes nothing
    assert load_scenario(scenario, copy.deepcopy(overrides)) == scenario


@SETTINGS
@given(case=numeric_overrides(), as_strings=st.booleans())
def test_numeric_overrides_round_trip(case, as_strings, folder):
    _check_overrides(*case, as_strings, folder)


@settings(
    max_examples=30,
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    case=numeric_overrides([leaf for leaf in ALL_NUMERIC if leaf[0].startswith(FACTORY_DEFAULTED)]),
    as_strings=st.booleans(),
)
def test_numeric_overrides_of_traits_and_segments_round_trip(case, as_strings, folder):
    _check_overrides(*case, as_strings, folder)


# --- --set arguments, through the command line ------------------------------------------------

SHIPPED_NAMES = sorted(n[:-5] for n in FILES if not n.startswith("_"))
REAL_KEYS = sorted(
    {leaf[0] for leaf in ALL_NUMERIC}
    | {
        "name",
        "description",
        "focus",
        "market",
        "firms",
        "events",
        "market.engine",
        "market.outside_option",
        "firms.<id>.open",
        "firms.<id>.label",
        "firms.<id>.culture",
        "events.0",
        "events.0.week",
        "events.0.label",
        "events.0.set",
        "events.0.set.firms.<id>.open",
        "events.0.set.market.weeks",
        "events.1.week",
        "events.9.week",
        "customers.habit",
        "extends",
    }
)
set_values = st.one_of(
    st.sampled_from(
        [
            "true",
            "false",
            "1_0",
            '"10"',
            "10",
            "0",
            "-1",
            "0.5",
            "1e999",
            "nan",
            "inf",
            "[1, 2]",
            "[]",
            "{}",
            "{weeks = 10}",
            '"x"',
            "off",
            "",
            "=",
            "'",
            "[[[[",
            "9" * 5000,
            '"' + "y" * 3000 + '"',
            "x" * 300,
            "\x00",
            "2024-01-01",
            "[" * 600 + "]" * 600,
        ]
    ),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
)


@st.composite
def set_arguments(draw):
    """(scenario name, ``--set`` arguments): real keys, typos and tables, with odd values."""
    name = draw(st.sampled_from(SHIPPED_NAMES))
    firms = list(load_scenario(name).firms)
    sets = []
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(REAL_KEYS)).replace("<id>", draw(st.sampled_from(firms)))
        if draw(st.integers(0, 4)) == 0:
            key = _typo(draw, key)
        sets.append(f"{key}={draw(set_values)}")
    return name, sets


@settings(
    max_examples=int(os.environ.get("LOYALTYSIM_FUZZ_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=set_arguments())
def test_set_arguments_run_or_explain(case):
    """``loyaltysim scenarios show NAME --set ...``: exit 0, or exit 2 with one paragraph that
    names the override or file and the key; never a traceback (main lets other exceptions out)."""
    name, sets = case
    outcome = counted(lambda: load_scenario(name, sets), expect=ScenarioError)
    assert outcome.calls < CASE_FILES_READ * reading_the_largest_file_allowed()
    loaded = outcome.value
    if (err := outcome.error) is not None:
        msg = _check_message(err)
        assert msg.startswith(("override ", "--set ", str(scenarios_dir()))), msg
    # --set=KEY=VALUE: a typo may start the key with "-", which argparse would take for an option
    args = ["scenarios", "show", name, *(f"--set={s}" for s in sets)]
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(args)
    assert code == (0 if loaded is not None else 2), err.getvalue()
    if loaded is not None:
        assert load_scenario(loaded) == loaded
    else:
        assert err.getvalue().startswith("loyaltysim: error: ")
        assert len(err.getvalue()) <= MESSAGE_CHARS + 40
