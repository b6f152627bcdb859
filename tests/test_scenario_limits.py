"""Limits (issue 21, findings 3 and 8): no small file costs minutes, exhausts the stack or fills a
message. Each probe of the issue, as a test: it is refused (or loaded) in well under its old time,
with one paragraph naming the file and key path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from work_count import counted, function_calls, reading_the_largest_file_allowed

from loyaltysim.limits import MESSAGE_CHARS, ScenarioLimits
from loyaltysim.scenario import ScenarioError, load_scenario, scenario_from_toml

SHOP = "[firms.shop]\nx_km = 1.0\ny_km = 1.0\n"
LIMITS = ScenarioLimits()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(load) -> ScenarioError:
    """``load()`` raises a ScenarioError, with little work, in one paragraph of at most 2 KB."""
    outcome = counted(load, expect=ScenarioError)
    assert isinstance(outcome.error, ScenarioError), outcome.value
    assert outcome.calls < 3 * reading_the_largest_file_allowed()
    msg = str(outcome.error)
    assert len(msg) <= MESSAGE_CHARS and "\n" not in msg and outcome.error.file, msg
    assert msg.startswith(outcome.error.file)
    return outcome.error


def events(n: int, weeks: int = 5200) -> str:
    return "".join(
        f'[[events]]\nweek = {1 + i % weeks}\nlabel = "e{i}"\n'
        f'set = {{ "firms.pharmacy.culture.trust" = {i % 100 / 100} }}\n'
        for i in range(n)
    )


def test_20000_events_are_refused_at_once_by_the_documented_limit():
    # well under a megabyte of TOML: the events limit, not the size, refuses it
    text = 'extends = "corner_pharmacy"\n' + "[[events]]\nweek = 3\n" * 20_000
    err = refused(lambda: scenario_from_toml(text, label="many.toml"))
    assert err.key_path == "events" and "20,000 entries" in str(err)
    assert f"at most {LIMITS.events:,}" in str(err) and "LOYALTYSIM_MAX_EVENTS" in str(err)


def validating(n: int, weeks: int = 5200) -> int:
    """Function calls that loading a scenario of ``n`` events costs (checking it loaded them)."""
    text = 'extends = "corner_pharmacy"\n' + events(n, weeks)
    outcome = counted(lambda: scenario_from_toml(text, label="many.toml"))
    assert len(outcome.value.events) == n
    return outcome.calls


def test_2000_events_validate_in_linear_time(monkeypatch):
    """The old check deep-copied the scenario once per event: 5,000 events took 24.5 s. Ten
    times the events may cost about ten times the work (quadratic: a hundred times)."""
    monkeypatch.setenv("LOYALTYSIM_MAX_EVENTS", "2000")
    assert validating(2_000) < 12 * validating(200)


def test_a_run_with_the_most_events_allowed_stays_cheap():
    """Every event that fires re-validates the scenario without its timeline: an event costs a
    run the same work however many there are (with the timeline re-validated too, each event
    cost work in proportion to all of them, and 2,000 events cost a run 90 s)."""
    from loyaltysim.simulate import simulate

    def running(n: int) -> int:
        text = 'extends = "corner_pharmacy"\n[market]\nweeks = 40\ncustomers = 50\n'
        scenario = scenario_from_toml(text + events(n, weeks=40), label="many.toml")
        if n == 0:
            simulate(scenario)  # compiled and cached before counting
        return function_calls(lambda: simulate(scenario))

    without, few, most = 0, LIMITS.events // 10, LIMITS.events
    cost = {n: running(n) for n in (without, few, most)}
    per_event_few = (cost[few] - cost[without]) / few
    per_event_most = (cost[most] - cost[without]) / most
    assert 0 < per_event_most < 1.5 * per_event_few


def test_20000_events_validate_in_linear_time_when_the_limit_is_raised(monkeypatch):
    monkeypatch.setenv("LOYALTYSIM_MAX_EVENTS", "20000")
    monkeypatch.setenv("LOYALTYSIM_MAX_SCENARIO_BYTES", "3000000")
    # a guard against quadratic work (the old check: over 300 s)
    assert validating(20_000, weeks=500) < 12 * validating(2_000, weeks=500)


def test_a_file_over_the_size_limit_is_refused_while_reading(tmp_path):
    """A sparse 20 GB file: reading it whole would take minutes and all the memory."""
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.truncate(20 * 10**9)
    err = refused(lambda: load_scenario(path))
    assert err.file == str(path) and "larger than 1,000,000 bytes" in str(err)


def test_the_size_limit_can_be_raised(tmp_path, monkeypatch):
    text = SHOP + f'description = "{"x" * 4000}"\n'.replace("description", "# padding") * 300
    path = write(tmp_path, "big.toml", text)
    assert path.stat().st_size > LIMITS.file_bytes
    refused(lambda: load_scenario(path))
    monkeypatch.setenv("LOYALTYSIM_MAX_SCENARIO_BYTES", str(2 * LIMITS.file_bytes))
    assert load_scenario(path).firms["shop"].x_km == 1.0


def test_a_megabyte_of_unknown_keys_gives_a_short_message_quickly(tmp_path):
    """Was: 50 MB took 116 s, 6.8 GB of memory and a 563 MB message."""
    lines = "".join(f"unknown_key_{i} = {i}\n" for i in range(35_000))
    path = write(tmp_path, "keys.toml", SHOP + "[market]\n" + lines)
    assert path.stat().st_size < LIMITS.file_bytes
    err = refused(lambda: load_scenario(path))
    assert "unknown key 'market.unknown_key_" in str(err) and "more problems" in str(err)


@pytest.mark.parametrize("depth", [50, 500, 5_000])
def test_deep_nesting_is_refused_without_a_recursion_error(tmp_path, depth):
    arrays = write(tmp_path, "arrays.toml", SHOP + "x = " + "[" * depth + "]" * depth + "\n")
    tables = write(tmp_path, "tables.toml", SHOP + "[" + ".".join(["t"] * depth) + "]\n")
    inline = write(tmp_path, "inline.toml", SHOP + "y = " + "{a = " * depth + "1" + "}" * depth + "\n")
    for path in (arrays, tables, inline):
        err = refused(lambda path=path: load_scenario(path))
        assert "nested" in str(err) and err.file == str(path)


def test_a_long_extends_chain_is_refused(tmp_path):
    """Was: a RecursionError at 1,000 files."""
    write(tmp_path, "f0.toml", SHOP)
    for i in range(1, 40):
        write(tmp_path, f"f{i}.toml", f'extends = "f{i - 1}"\n')
    err = refused(lambda: load_scenario(tmp_path / "f39.toml"))
    assert err.key_path == "extends" and f"more than {LIMITS.extends} files deep" in str(err)
    assert load_scenario(tmp_path / f"f{LIMITS.extends - 1}.toml").firms["shop"].x_km == 1.0


def test_a_long_extends_list_is_refused_at_once():
    """Was: 45,000 names took 101 s."""
    text = "extends = [" + ", ".join(['"corner_pharmacy"'] * 45_000) + "]\n"
    err = refused(lambda: scenario_from_toml(text, label="list.toml"))
    assert err.key_path == "extends" and "45,000 entries" in str(err)
    text = "extends = [" + ", ".join(['"corner_pharmacy"'] * 20) + "]\n"
    err = refused(lambda: scenario_from_toml(text, label="list.toml"))
    assert err.key_path == "extends" and f"20 scenarios; at most {LIMITS.extends}" in str(err)


def test_an_extends_name_too_long_for_the_file_system_is_explained(tmp_path):
    """Was: a bare "[Errno 36] File name too long"."""
    path = write(tmp_path, "long.toml", f'extends = "{"a" * 5000}"\n')
    err = refused(lambda: load_scenario(path))
    assert err.key_path == "extends" and "5,000 characters is too long" in str(err)
    path = write(tmp_path, "long2.toml", f'extends = "{"a" * 250}"\n')  # within the limit
    assert "no such scenario" in str(refused(lambda: load_scenario(path)))


def test_an_extended_file_that_is_not_toml_names_the_file_that_extends_it(tmp_path):
    (tmp_path / "data.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    child = write(tmp_path, "child.toml", 'extends = "data"\n')
    err = refused(lambda: load_scenario(child))
    assert err.file == str(tmp_path / "data.toml") and f"extended by {child}" in str(err)


@pytest.mark.parametrize(
    ("key", "where"),
    [
        ("name", "name"),
        ("firms.shop.label", "firms.shop.label"),
        ("events.0.label", "events.0.label"),
        ("description", "description"),
    ],
)
def test_over_long_text_is_refused(tmp_path, key, where):
    """Was: a 1,000,000-character firm label hung ``run`` in matplotlib."""
    most = LIMITS.description_chars if key == "description" else LIMITS.label_chars
    path = write(tmp_path, "t.toml", SHOP + '[[events]]\nweek = 2\nset = { "firms.shop.deals" = 0.1 }\n')
    ok = load_scenario(path, {key: "x" * most})
    assert ok is not None
    err = refused(lambda: load_scenario(path, {key: "x" * 1_000_000}))
    assert err.key_path == where and f"at most {most:,}" in str(err)
    assert err.file == f"override {key}"
    text = SHOP.replace("[firms.shop]", f'name = "{"n" * 1_000}"\n[firms.shop]')
    assert refused(lambda: scenario_from_toml(text, label="n.toml")).key_path == "name"


def test_a_huge_override_value_is_echoed_short():
    err = refused(lambda: load_scenario("corner_pharmacy", {"market.weeks": "9" * 3_000}))
    assert err.key_path == "market.weeks" and "(3,002 characters)" in str(err)
    assert len(str(err)) < 400
    err = refused(lambda: load_scenario("corner_pharmacy", {"market.weeks": 10**5000}))
    assert err.key_path == "market.weeks" and "digits" in str(err)


def test_a_number_too_long_for_python_is_explained(tmp_path):
    path = write(tmp_path, "n.toml", SHOP + "[market]\nweeks = " + "9" * 5_000 + "\n")
    assert "too many digits" in str(refused(lambda: load_scenario(path)))
    err = refused(lambda: load_scenario("corner_pharmacy", ["market.weeks=" + "9" * 5_000]))
    assert err.key_path == "market.weeks"


def test_limits_from_the_environment_must_be_whole_numbers(monkeypatch):
    monkeypatch.setenv("LOYALTYSIM_MAX_EVENTS", "lots")
    with pytest.raises(ValueError, match="LOYALTYSIM_MAX_EVENTS"):
        ScenarioLimits.from_env()
    with pytest.raises(ScenarioError, match="LOYALTYSIM_MAX_EVENTS"):
        load_scenario("corner_pharmacy")
    monkeypatch.setenv("LOYALTYSIM_MAX_EVENTS", "0")
    with pytest.raises(ValueError, match="at least 1"):
        ScenarioLimits.from_env()
    monkeypatch.delenv("LOYALTYSIM_MAX_EVENTS")
    assert ScenarioLimits.from_env() == ScenarioLimits()
    assert os.environ.get("LOYALTYSIM_MAX_SCENARIO_BYTES") is None


def test_docs_security_lists_the_limits_in_force():
    """docs/security.md's table states the defaults of ScenarioLimits and the upload limit."""
    from loyaltysim.ui.uploads import MAX_UPLOAD_BYTES

    doc = (Path(__file__).resolve().parent.parent / "docs" / "security.md").read_text()
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in doc.splitlines()
        if line.startswith("| ") and "---" not in line
    }
    assert (
        rows["Size of one scenario file (checked while reading: a larger file is never read whole)"]
        == f"{LIMITS.file_bytes:,} bytes"
    )
    assert rows["Entries of `events`"] == f"{LIMITS.events:,}"
    assert rows["Entries of any other list"] == f"{LIMITS.list_length:,}"
    assert rows["Nesting of tables and arrays"].startswith(f"{LIMITS.depth} levels")
    assert (
        rows["Names in one `extends`; files in one `extends` chain"] == f"{LIMITS.extends}; {LIMITS.extends}"
    )
    assert rows["Characters of one `extends` name or path"] == f"{LIMITS.extends_chars}"
    assert rows["Characters of `name`, `focus`, a label or a key"] == f"{LIMITS.label_chars}"
    assert rows["Characters of any other text (`description`)"] == f"{LIMITS.description_chars:,}"
    assert rows["Length of an error message"].startswith(f"{MESSAGE_CHARS:,} characters")
    assert rows["Size of an upload in the browser UI"].startswith(f"{MAX_UPLOAD_BYTES:,} bytes")
