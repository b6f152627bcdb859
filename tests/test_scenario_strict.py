"""Strict input (issue 21, finding 7): a string is not a number, ``true`` is not 1.0, an override
cannot replace a whole table, events start at week 1, and an override is blamed for what it set."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyaltysim.scenario import ScenarioError, load_scenario, parse_override, scenario_from_toml

SHOP = "[firms.shop]\nx_km = 1.0\ny_km = 1.0\n"


def write(folder: Path, text: str) -> Path:
    path = folder / "strict.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(source, overrides=None) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(source, overrides)
    return info.value


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ('[market]\nweeks = "1_0"\n', "market.weeks", "a whole number"),
        ('[market]\nweeks = "10"\n', "market.weeks", "a whole number"),
        ("[market]\nweeks = 10.0\n", "market.weeks", "a whole number"),
        ("[market]\nweeks = true\n", "market.weeks", "a whole number"),
        ("[firms.shop.culture]\ntrust = true\n", "firms.shop.culture.trust", "a number"),
        ('[firms.shop.culture]\ntrust = "0.5"\n', "firms.shop.culture.trust", "a number"),
        ('open = "off"\n', "firms.shop.open", "true or false"),
        ("open = 0\n", "firms.shop.open", "true or false"),
        ("label = 3\n", "firms.shop.label", "text"),
        ("[market]\nengine = 1\n", "market.engine", "one of 'numba', 'reference'"),
    ],
)
def test_values_of_the_wrong_type_are_errors_not_coerced(tmp_path, text, key, allowed):
    path = write(tmp_path, SHOP + text)
    err = error_of(path)
    assert err.file == str(path) and err.key_path == key
    assert f"{key} = " in str(err) and allowed in str(err)


def test_whole_numbers_are_still_accepted_for_numbers(tmp_path):
    scenario = load_scenario(write(tmp_path, SHOP + "price_index = 2\n[firms.shop.culture]\ntrust = 1\n"))
    assert scenario.firms["shop"].culture.trust == 1.0
    assert isinstance(scenario.firms["shop"].culture.trust, float)
    assert scenario.firms["shop"].price_index == 2.0


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("market.customers=true", "market.customers"),
        ('market.weeks="10"', "market.weeks"),
        ("market.weeks=10.5", "market.weeks"),
        ("firms.pharmacy.culture.trust=false", "firms.pharmacy.culture.trust"),
        ("firms.pharmacy.culture.trust=high", "firms.pharmacy.culture.trust"),
        ("firms.pharmacy.open=off", "firms.pharmacy.open"),
        ("firms.pharmacy.open=1", "firms.pharmacy.open"),
    ],
)
def test_set_values_of_the_wrong_type_are_errors(override, key):
    err = error_of("corner_pharmacy", [override])
    assert err.file == f"override {key}" and err.key_path == key, str(err)
    assert str(err).startswith(f"override {key}: {key} = ")


def test_set_parses_toml_values_to_the_right_python_types():
    assert parse_override("market.weeks=1_0") == ("market.weeks", 10)  # TOML's own integer syntax
    assert parse_override("firms.pharmacy.culture.trust=1") == ("firms.pharmacy.culture.trust", 1)
    assert parse_override("firms.pharmacy.open=true") == ("firms.pharmacy.open", True)
    # text keys take the text as written, so a name may look like a number
    assert parse_override("name=2024") == ("name", "2024")
    assert parse_override("firms.pharmacy.label=true") == ("firms.pharmacy.label", "true")
    assert load_scenario("corner_pharmacy", ["name=2024"]).name == "2024"
    s = load_scenario("corner_pharmacy", ["market.customers=300", "firms.pharmacy.culture.trust=1"])
    assert s.market.customers == 300 and s.firms["pharmacy"].culture.trust == 1.0


@pytest.mark.parametrize(
    "override",
    [
        "market=1",
        "market={weeks = 10}",
        "firms.discounter=1",
        "firms.discounter.culture=0.5",
        "customers.habit=1",
        "firms={}",
        "events.0=1",
    ],
)
def test_set_may_not_replace_a_whole_table(override):
    key = override.split("=")[0]
    err = error_of("turnaround", [override])
    assert err.key_path == key and "is a table" in str(err), str(err)


def test_a_refused_table_override_does_not_drop_the_scenarios_table():
    """The probe: ``--set market=1 --set market.customers=100`` ran 208 weeks instead of 260."""
    with pytest.raises(ScenarioError):
        load_scenario("turnaround", ["market=1", "market.customers=100"])
    assert load_scenario("turnaround", ["market.customers=100"]).market.weeks == 260


def test_a_list_override_of_bad_entries_is_blamed_on_the_override():
    err = error_of("corner_pharmacy", ["events=[1,2]"])
    assert err.file == "override events" and str(err).startswith("override events: events.0")


@pytest.mark.parametrize("week", [0, -1])
def test_an_event_before_week_1_is_refused(tmp_path, week):
    path = write(tmp_path, SHOP + f'[[events]]\nweek = {week}\nset = {{ "firms.shop.open" = false }}\n')
    err = error_of(path)
    assert err.key_path == "events.0.week" and "from 1 to 5200" in str(err)
    err = error_of("corner_pharmacy", [f"events.0.week={week}"])
    assert err.key_path == "events.0.week" and "from 1 to 5200" in str(err)


def test_an_event_without_a_week_fires_at_the_start_of_week_1(tmp_path):
    path = write(tmp_path, SHOP + '[[events]]\nset = { "firms.shop.open" = false }\n')
    assert load_scenario(path).events[0].week == 1


def test_an_event_may_not_change_the_length_of_the_run(tmp_path):
    """The model ignored it, yet the written scenario said the new value."""
    path = write(tmp_path, SHOP + '[[events]]\nweek = 3\nset = { "market.weeks" = 10 }\n')
    err = error_of(path)
    assert err.key_path == "events.0.set.market.weeks"
    assert "cannot change during a run" in str(err)


def test_event_values_are_strict_too(tmp_path):
    path = write(tmp_path, SHOP + '[[events]]\nweek = 3\nset = { "firms.shop.culture.trust" = "1" }\n')
    err = error_of(path)
    assert err.key_path == "events.0.set.firms.shop.culture.trust" and "a number" in str(err)


def test_events_are_checked_as_they_apply_week_by_week(tmp_path):
    """Each week's state must be valid, as the model re-validates it when the events fire: a firm
    moved out of town in week 5 is refused even though each change alone would be fine."""
    text = (
        SHOP
        + "[market]\ntown_km = 4.0\n"
        + (
            '[[events]]\nweek = 5\nset = { "firms.shop.x_km" = 3.5 }\n'
            '[[events]]\nweek = 9\nset = { "firms.shop.x_km" = 5.0 }\n'
        )
    )
    err = error_of(write(tmp_path, text))
    assert err.key_path == "events.1.set.firms.shop.x_km" and "outside" in str(err)


@settings(max_examples=60, deadline=None)
@given(
    value=st.one_of(
        st.booleans(),
        st.text(max_size=8),
        st.floats(allow_nan=False).filter(lambda v: not float(v).is_integer()),
    )
)
def test_no_non_integer_is_taken_as_a_whole_number(value):
    """Property: market.weeks accepts only whole numbers (TOML integers), whatever else comes."""
    text = 'extends = "corner_pharmacy"\n[market]\nweeks = ' + _toml(value) + "\n"
    with pytest.raises(ScenarioError) as info:
        scenario_from_toml(text, label="up.toml")
    assert info.value.file == "up.toml" and info.value.key_path == "market.weeks"


def _toml(value) -> str:
    import tomli_w

    return tomli_w.dumps({"v": value})[4:].strip()
