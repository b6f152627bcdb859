"""Scenario files: shipped scenarios load, ``extends`` and overrides behave, every bad file is
explained in one paragraph naming the file, the key path, the bad value and what is allowed, and
the committed parameter reference matches the schema."""

from __future__ import annotations

import re
import tomllib
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from loyaltysim import paramdoc
from loyaltysim.scenario import (
    ScenarioError,
    load_scenario,
    parse_override,
    scenario_from_toml,
    scenario_to_toml,
    scenarios_dir,
    shipped_scenarios,
)
from loyaltysim.schema import Distribution, Firm, Scenario

REPO = Path(__file__).resolve().parent.parent
SHIPPED = sorted(shipped_scenarios())
SHOP = "[firms.shop]\nx_km = 1.0\ny_km = 1.0\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(source, overrides=None) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(source, overrides)
    return info.value


def check_message(
    err: ScenarioError, *, file: Path | str | None, key_path: str | None, contains: tuple[str, ...] = ()
) -> str:
    """The common contract of every scenario error, then the case's specific fragments."""
    msg = str(err)
    assert "\n" not in msg and len(msg.splitlines()) == 1, f"not one paragraph: {msg!r}"
    assert "  " not in msg, f"formatting gap in {msg!r}"
    assert "Traceback" not in msg
    assert msg.endswith((".", ".)")), msg
    if file is not None:
        assert msg.startswith(str(file)), f"{msg!r} does not start with the file {file}"
        assert err.file == str(file)
    assert err.key_path == key_path
    for fragment in contains:
        assert fragment in msg, f"{fragment!r} missing from {msg!r}"
    return msg


# --- shipped scenarios -------------------------------------------------------------------------


def test_shipped_scenarios_are_listed_without_abstract_bases():
    assert "_town" not in SHIPPED
    assert {
        "corner_pharmacy",
        "loyal_brand",
        "fear_culture",
        "discount_chain",
        "turnaround",
        "pharmacy_vs_brand",
        "public_service_monopoly",
    } <= set(SHIPPED)
    assert all(path.parent == scenarios_dir() for path in shipped_scenarios().values())


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads(name):
    scenario = load_scenario(name)
    assert isinstance(scenario, Scenario)
    assert scenario.name == name
    assert scenario.description
    assert scenario.focus_firm in scenario.firms
    # by name and by path give the same scenario
    assert load_scenario(shipped_scenarios()[name]) == scenario


@pytest.mark.parametrize("name", SHIPPED)
def test_round_trip_through_toml(name, tmp_path):
    scenario = load_scenario(name)
    text = scenario_to_toml(scenario)
    assert "extends" not in tomllib.loads(text)
    path = write(tmp_path, "copy.toml", text)
    assert load_scenario(path) == scenario
    assert scenario_from_toml(text, label="upload") == scenario


# --- extends -----------------------------------------------------------------------------------


def test_extends_child_values_win_and_parent_values_are_inherited():
    parent = load_scenario("loyal_brand")
    child = load_scenario("fear_culture")
    assert child.firms["brand"].culture.trust == 0.05 != parent.firms["brand"].culture.trust
    assert child.firms["brand"].label == "Store with a fear culture"
    # not set by the child: inherited from loyal_brand, and from _town two levels up
    assert child.firms["brand"].culture.training == parent.firms["brand"].culture.training == 0.9
    # a table the child sets one key of keeps the parent's other keys
    child_staff, parent_staff = child.firms["brand"].staffing, parent.firms["brand"].staffing
    assert child_staff.frontline_per_1000 == 2.5 != parent_staff.frontline_per_1000
    assert child_staff.wage_per_week == parent_staff.wage_per_week == 650
    assert child_staff.model_copy(update={"frontline_per_1000": 3.0}) == parent_staff
    assert child.firms["supermarket"] == parent.firms["supermarket"]
    assert child.firms["supermarket"].price_index == 0.9
    assert child.market.customers == 2000


def test_extends_replaces_lists_whole():
    town_events = load_scenario("loyal_brand").events
    assert [e.week for e in town_events] == [104]
    turnaround = load_scenario("turnaround")
    # turnaround's own two events, not the three of an appended list
    assert [e.week for e in turnaround.events] == [104, 182]
    assert "firms.discounter.culture.training" in turnaround.events[0].set


def test_extends_replaces_lists_whole_in_files(tmp_path):
    write(
        tmp_path, "base.toml", SHOP + '[[events]]\nweek = 1\nlabel = "a"\n[[events]]\nweek = 2\nlabel = "b"\n'
    )
    child = write(tmp_path, "child.toml", 'extends = "base"\n[[events]]\nweek = 9\nlabel = "c"\n')
    assert [(e.week, e.label) for e in load_scenario(child).events] == [(9, "c")]


def test_multiple_parents_merge_in_order(tmp_path):
    write(tmp_path, "p1.toml", SHOP + "[market]\nweeks = 10\nseed = 5\n[firms.one]\nlabel = 'p1'\n")
    write(
        tmp_path,
        "p2.toml",
        SHOP + "[market]\nweeks = 20\n[firms.one]\nlabel = 'p2'\n[firms.two]\nopen = false\n",
    )
    a = load_scenario(write(tmp_path, "a.toml", 'extends = ["p1", "p2"]\n'))
    b = load_scenario(write(tmp_path, "b.toml", 'extends = ["p2", "p1"]\n'))
    c = load_scenario(write(tmp_path, "c.toml", 'extends = ["p1", "p2"]\n[market]\nweeks = 30\n'))
    assert (a.market.weeks, a.market.seed, a.firms["one"].label) == (20, 5, "p2")
    assert (b.market.weeks, b.market.seed, b.firms["one"].label) == (10, 5, "p1")
    assert c.market.weeks == 30 and c.market.seed == 5
    assert set(a.firms) == {"shop", "one", "two"} and a.firms["two"].open is False
    # tables merge key by key: p2's firm "one" did not wipe anything p1 set that p2 left alone
    assert list(b.firms) == ["shop", "one", "two"]


def test_multiple_shipped_parents_merge():
    both = load_scenario("pharmacy_vs_brand")
    assert set(both.firms) == {"supermarket", "pharmacy", "brand"}
    assert both.firms["pharmacy"] == load_scenario("corner_pharmacy").firms["pharmacy"]
    assert (both.firms["brand"].x_km, both.firms["brand"].y_km) == (3.0, 3.1)
    assert both.firms["brand"].culture == load_scenario("loyal_brand").firms["brand"].culture
    assert both.focus == "pharmacy"


def test_extends_resolves_beside_the_file_before_shipped_scenarios(tmp_path):
    write(tmp_path, "loyal_brand.toml", SHOP + "[market]\nweeks = 7\n")
    child = load_scenario(write(tmp_path, "child.toml", 'extends = "loyal_brand"\n'))
    assert child.market.weeks == 7 and set(child.firms) == {"shop"}


def test_name_defaults_to_file_stem(tmp_path):
    assert load_scenario(write(tmp_path, "my_town.toml", SHOP)).name == "my_town"


# --- overrides ---------------------------------------------------------------------------------


def test_override_from_python_mapping():
    base = load_scenario("corner_pharmacy")
    s = load_scenario(
        "corner_pharmacy",
        {
            "firms.pharmacy.culture.trust": 0.8,
            "market__weeks": 52,
            "firms__pharmacy__culture__empowerment__frontline": 25,
        },
    )
    assert s.firms["pharmacy"].culture.trust == 0.8
    assert s.market.weeks == 52
    assert s.firms["pharmacy"].culture.empowerment.frontline == 25
    # everything else as in the file
    assert s.firms["pharmacy"].culture.training == base.firms["pharmacy"].culture.training
    assert s.firms["supermarket"] == base.firms["supermarket"]


def test_override_from_strings_parses_toml_values():
    s = load_scenario(
        "corner_pharmacy",
        [
            "firms.pharmacy.open=false",
            "firms.pharmacy.culture.trust = 0.8",
            'firms.pharmacy.label="Chemist on the corner"',
            "market.weeks=52",
            "name=demo",
        ],
    )
    pharmacy = s.firms["pharmacy"]
    assert pharmacy.open is False
    assert pharmacy.culture.trust == 0.8
    assert pharmacy.label == "Chemist on the corner"
    assert s.market.weeks == 52 and isinstance(s.market.weeks, int)
    assert s.name == "demo"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.b=true", ("a.b", True)),
        ("a.b = false", ("a.b", False)),
        ("x=0.8", ("x", 0.8)),
        ("x=52", ("x", 52)),
        ('x="two words"', ("x", "two words")),
        ("x=bare", ("x", "bare")),
        ("x=a=b", ("x", "a=b")),
    ],
)
def test_parse_override(text, expected):
    key, value = parse_override(text)
    assert (key, value) == expected
    assert type(value) is type(expected[1])


def test_parse_override_without_equals_is_an_error():
    with pytest.raises(ScenarioError) as info:
        parse_override("firms.pharmacy.open")
    msg = check_message(info.value, file=None, key_path="firms.pharmacy.open")
    assert "KEY=VALUE" in msg


def test_override_a_scenario_object_copies_it():
    base = load_scenario("loyal_brand")
    changed = load_scenario(base, {"firms.brand.culture.trust": 0.1})
    assert changed.firms["brand"].culture.trust == 0.1
    assert base.firms["brand"].culture.trust == 0.9


def test_override_unknown_firm_suggests_the_right_one():
    err = load_error("corner_pharmacy", ["firms.pharmcy.open=true"])
    check_message(
        err,
        file="override firms.pharmcy.open",
        key_path="firms.pharmcy.open",
        contains=("unknown key 'firms.pharmcy'", "(did you mean 'pharmacy'?)", "pharmacy", "supermarket"),
    )


def test_override_never_creates_a_firm():
    err = load_error("corner_pharmacy", {"firms.newshop.open": True})
    check_message(
        err,
        file="override firms.newshop.open",
        key_path="firms.newshop.open",
        contains=("unknown key 'firms.newshop'", "Allowed at firms: supermarket, pharmacy"),
    )


@pytest.mark.parametrize(
    ("key", "bad", "hint", "where"),
    [
        ("firms.pharmacy.culture.trsut", "firms.pharmacy.culture.trsut", "trust", "firms.pharmacy.culture"),
        ("markt.weeks", "markt", "market", "the top level"),
        ("market.wekes", "market.wekes", "weeks", "market"),
        (
            "firms.pharmacy.culture.empowerment.frontlne",
            "firms.pharmacy.culture.empowerment.frontlne",
            "frontline",
            "firms.pharmacy.culture.empowerment",
        ),
    ],
)
def test_override_unknown_key_suggests(key, bad, hint, where):
    err = load_error("corner_pharmacy", {key: 1})
    check_message(
        err,
        file=f"override {key}",
        key_path=key,
        contains=(f"unknown key {bad!r}", f"(did you mean {hint!r}?)", f"Allowed at {where}: "),
    )


def test_override_below_a_value_is_an_error_not_a_crash():
    err = load_error("corner_pharmacy", ["market.weeks.x=1"])
    check_message(
        err,
        file="override market.weeks.x",
        key_path="market.weeks.x",
        contains=("unknown key 'market.weeks.x'",),
    )


def test_override_out_of_range_names_override_value_and_range():
    err = load_error("corner_pharmacy", ["firms.pharmacy.culture.trust=2"])
    check_message(
        err,
        file="override firms.pharmacy.culture.trust",
        key_path="firms.pharmacy.culture.trust",
        contains=("firms.pharmacy.culture.trust = 2 is not allowed", "from 0 to 1", "(share 0-1)"),
    )


def test_override_wrong_type_names_what_is_allowed():
    err = load_error("corner_pharmacy", ["market.weeks=many"])
    check_message(
        err,
        file="override market.weeks",
        key_path="market.weeks",
        contains=("market.weeks = 'many'", "whole number from 1 to 5200", "(weeks)"),
    )


# --- events ------------------------------------------------------------------------------------

EVENTS = SHOP + (
    '[[events]]\nweek = 3\nset = { "firms.shop.open" = false }\n'
    '[[events]]\nweek = 5\nset = { "firms.shop.culture.trust" = 0.9 }\n'
)


def test_valid_events_load(tmp_path):
    s = load_scenario(write(tmp_path, "ok.toml", EVENTS))
    assert [e.set for e in s.events] == [{"firms.shop.open": False}, {"firms.shop.culture.trust": 0.9}]


def test_event_key_typo_is_an_error_naming_the_event(tmp_path):
    path = write(tmp_path, "ev.toml", EVENTS.replace("culture.trust", "culture.trsut"))
    err = load_error(path)
    check_message(
        err,
        file=path,
        key_path="events.1.set.firms.shop.culture.trsut",
        contains=("events[1].set", "unknown key 'firms.shop.culture.trsut'", "(did you mean 'trust'?)"),
    )


def test_event_unknown_firm_is_an_error(tmp_path):
    path = write(tmp_path, "ev.toml", EVENTS.replace("firms.shop.open", "firms.shoop.open"))
    err = load_error(path)
    check_message(
        err,
        file=path,
        key_path="events.0.set.firms.shoop.open",
        contains=("events[0].set", "unknown key 'firms.shoop'", "(did you mean 'shop'?)"),
    )


def test_event_value_out_of_range_is_an_error(tmp_path):
    path = write(tmp_path, "ev.toml", EVENTS.replace("= 0.9", "= 1.9"))
    err = load_error(path)
    check_message(
        err,
        file=path,
        key_path="events.1.set.firms.shop.culture.trust",
        contains=("events[1].set", "firms.shop.culture.trust = 1.9 is not allowed", "from 0 to 1"),
    )


def test_event_value_of_no_allowed_type_is_reported_once(tmp_path):
    path = write(tmp_path, "ev.toml", EVENTS.replace("= false", "= [1, 2]"))
    err = load_error(path)
    msg = check_message(
        err,
        file=path,
        key_path="events.0.set.firms.shop.open",
        contains=("events.0.set.firms.shop.open = [1, 2] is not allowed",),
    )
    assert msg.count("is not allowed") == 1


def test_event_error_in_a_parent_names_the_parent(tmp_path):
    parent = write(tmp_path, "parent.toml", EVENTS.replace("culture.trust", "culture.trsut"))
    child = write(tmp_path, "child.toml", 'extends = "parent"\n[market]\nweeks = 50\n')
    err = load_error(child)
    check_message(
        err, file=parent, key_path="events.1.set.firms.shop.culture.trsut", contains=("events[1].set",)
    )


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("market.customers", "500", "the population is drawn once"),
        ("market.town_km", "3.0", "homes and the social network"),
        ("market.base_window_weeks", "4", "past customer bases"),
        ("network.ties_per_customer", "4", "social network is built once"),
        ("customers.habit.mean", "1.0", "segments and traits are drawn once"),
        ("customers.segments.heavy.share", "0.2", "segments and traits are drawn once"),
    ],
)
def test_an_event_may_not_set_what_is_drawn_when_the_model_is_built(tmp_path, key, value, why):
    """Such a change would be silently ignored by the running model: refused, with the reason."""
    path = write(tmp_path, "ev.toml", SHOP + f'[[events]]\nweek = 3\nset = {{ "{key}" = {value} }}\n')
    check_message(
        load_error(path),
        file=path,
        key_path=f"events.0.set.{key}",
        contains=("events[0].set", f"{key} cannot change during a run", why, "set it in the scenario itself"),
    )


def test_an_event_may_set_what_the_model_reads_every_week(tmp_path):
    keys = {
        "customers.spend_lift": "0.2",
        "customers.segments.heavy.basket_dollars": "40",
        "customers.segments.regular.purchases_per_week": "0.3",
        "market.survey_size": "50",
        "network.tell_promoter": "0.3",
        "behaviour.attachment_gain": "0.2",
    }
    sets = ", ".join(f'"{k}" = {v}' for k, v in keys.items())
    path = write(tmp_path, "ev.toml", SHOP + f"[[events]]\nweek = 3\nset = {{ {sets} }}\n")
    assert set(load_scenario(path).events[0].set) == set(keys)


def test_an_override_changes_an_event_by_its_position(tmp_path):
    """``events.N.key`` and ``events.N.set.<dotted key>`` overrides (what a sweep over the week a
    rival opens needs); the rest of the timeline is kept."""
    path = write(tmp_path, "ev.toml", EVENTS)
    s = load_scenario(
        path, {"events.1.week": 30, "events.1.set.firms.shop.culture.trust": 0.2, "events.0.label": "closed"}
    )
    assert [(e.week, e.label, e.set) for e in s.events] == [
        (3, "closed", {"firms.shop.open": False}),
        (30, "", {"firms.shop.culture.trust": 0.2}),
    ]
    added = load_scenario(path, ["events.1.set.firms.shop.staffing.capacity=90"]).events[1].set
    assert added == {"firms.shop.culture.trust": 0.9, "firms.shop.staffing.capacity": 90}


def test_an_event_override_that_names_no_entry_or_a_bad_key_says_so(tmp_path):
    path = write(tmp_path, "ev.toml", EVENTS)
    check_message(
        load_error(path, ["events.2.week=5"]),
        file="override events.2.week",
        key_path="events.2.week",
        contains=("events has 2 entries (0 to 1)", "'events.2' names none"),
    )
    check_message(
        load_error(path, ["events.0.weak=5"]),
        file="override events.0.weak",
        key_path="events.0.weak",
        contains=("(did you mean 'week'?)",),
    )
    check_message(
        load_error(path, ["events.0.week=-1"]),
        file="override events.0.week",
        key_path="events.0.week",
        contains=("from 1 to 5200",),
    )
    check_message(
        load_error(path, ["events.0.set.firms.shop.culture.trsut=1"]),
        file="override events.0.set.firms.shop.culture.trsut",
        key_path="events.0.set.firms.shop.culture.trsut",
        contains=("events[0].set", "(did you mean 'trust'?)"),
    )
    bare = write(tmp_path, "bare.toml", SHOP)
    check_message(
        load_error(bare, ["events.0.week=5"]),
        file="override events.0.week",
        key_path="events.0.week",
        contains=("events has no entries",),
    )


def test_an_event_cannot_move_the_timeline(tmp_path):
    path = write(tmp_path, "ev.toml", EVENTS.replace('"firms.shop.open" = false', '"events.1.week" = 2'))
    check_message(
        load_error(path),
        file=path,
        key_path="events.0.set.events.1.week",
        contains=("cannot change during a run", "the timeline is fixed"),
    )


# --- bad files ---------------------------------------------------------------------------------


def test_toml_syntax_error(tmp_path):
    path = write(tmp_path, "syntax.toml", SHOP + "[market]\nweeks = \n")
    err = load_error(path)
    check_message(err, file=path, key_path=None, contains=("not valid TOML", "line 5"))


def test_unknown_key_suggests(tmp_path):
    path = write(tmp_path, "unknown.toml", SHOP + "[firms.shop.culture]\ntrsut = 0.5\n")
    err = load_error(path)
    check_message(
        err,
        file=path,
        key_path="firms.shop.culture.trsut",
        contains=(
            "unknown key 'firms.shop.culture.trsut'",
            "(did you mean 'trust'?)",
            "allowed at firms.shop.culture: trust, empowerment, training",
        ),
    )


def test_unknown_table_suggests(tmp_path):
    path = write(tmp_path, "unknown.toml", SHOP + "[netwrk]\nties_per_customer = 3\n")
    err = load_error(path)
    check_message(
        err,
        file=path,
        key_path="netwrk",
        contains=(
            "unknown key 'netwrk'",
            "(did you mean 'network'?)",
            "allowed at the top level: name, description",
        ),
    )


def test_wrong_type(tmp_path):
    path = write(tmp_path, "type.toml", SHOP + '[market]\nweeks = "many"\n')
    err = load_error(path)
    check_message(
        err,
        file=path,
        key_path="market.weeks",
        contains=("market.weeks = 'many' is not allowed", "must be a whole number from 1 to 5200", "(weeks)"),
    )


def test_wrong_type_for_a_table(tmp_path):
    path = write(tmp_path, "type.toml", SHOP + "[customers]\nhabit = 3\n")
    err = load_error(path)
    check_message(
        err,
        file=path,
        key_path="customers.habit",
        contains=("customers.habit = 3 is not allowed", "a table with keys mean, sd"),
    )


@pytest.mark.parametrize(
    ("section", "key", "value", "allowed"),
    [
        ("firms.shop.culture", "trust", "1.5", "must be a number from 0 to 1 (share 0-1)"),
        ("firms.shop.culture.empowerment", "frontline", "-1", "must be a number from 0 to 1000000 (dollars)"),
        ("market", "weeks", "0", "must be a whole number from 1 to 5200 (weeks)"),
        ("market", "seed", "-3", "from 0 to 4611686018427387904"),
        ("network", "social_media", "0.5", "must be a number from 1 to 10 (multiplier)"),
        ("customers.habit", "sd", "-0.1", "must be a number from 0 to 100"),
    ],
)
def test_out_of_range(tmp_path, section, key, value, allowed):
    path = write(tmp_path, "range.toml", SHOP + f"[{section}]\n{key} = {value}\n")
    err = load_error(path)
    check_message(
        err,
        file=path,
        key_path=f"{section}.{key}",
        contains=(f"{section}.{key} = {value} is not allowed", allowed),
    )


def test_several_errors_are_all_reported_in_one_paragraph(tmp_path):
    path = write(tmp_path, "many.toml", SHOP + "[market]\nweeks = 0\ncustomers = -1\n")
    err = load_error(path)
    msg = check_message(
        err, file=path, key_path="market.weeks", contains=("market.weeks = 0", "market.customers = -1")
    )
    assert msg.count(str(path)) == 2


def test_unknown_extends_suggests(tmp_path):
    path = write(tmp_path, "ext.toml", 'extends = "lyal_brand"\n' + SHOP)
    err = load_error(path)
    check_message(
        err,
        file=path,
        key_path="extends",
        contains=(
            "extends = 'lyal_brand'",
            "no such scenario",
            "(did you mean 'loyal_brand'?)",
            "corner_pharmacy, discount_chain",
        ),
    )


def test_extends_of_wrong_type(tmp_path):
    path = write(tmp_path, "ext.toml", "extends = 3\n" + SHOP)
    err = load_error(path)
    check_message(
        err, file=path, key_path="extends", contains=("extends = 3 is not allowed", "a scenario name")
    )


def test_extends_cycle(tmp_path):
    a = write(tmp_path, "a.toml", 'extends = "b"\n' + SHOP)
    b = write(tmp_path, "b.toml", 'extends = "a"\n')
    err = load_error(a)
    msg = str(err)
    assert err.file in (str(a), str(b))
    check_message(err, file=err.file, key_path="extends", contains=("cycle", "a.toml -> b.toml -> a.toml"))
    assert msg.startswith((str(a), str(b)))


def test_extends_itself(tmp_path):
    path = write(tmp_path, "selfish.toml", 'extends = "selfish"\n' + SHOP)
    check_message(
        load_error(path), file=path, key_path="extends", contains=("cycle", "selfish.toml -> selfish.toml")
    )


def test_segment_shares_must_add_up_to_one(tmp_path):
    path = write(tmp_path, "seg.toml", SHOP + "[customers.segments.regular]\nshare = 0.9\n")
    err = load_error(path)
    check_message(
        err,
        file=path,
        key_path="customers.segments",
        contains=("customers.segments", "must add up to 1", "= 1.3"),
    )


def test_firm_outside_the_town(tmp_path):
    path = write(tmp_path, "out.toml", "[firms.shop]\nx_km = 5.0\ny_km = 1.0\n")
    err = load_error(path)
    msg = str(err)
    assert "\n" not in msg and msg.startswith(str(path)) and err.file == str(path)
    for fragment in ("firm 'shop'", "(5, 1) km", "outside the 4 km town", "market.town_km"):
        assert fragment in msg, msg


def test_firm_outside_the_town_names_the_key_and_the_file_that_set_it(tmp_path):
    path = write(tmp_path, "out.toml", "[firms.shop]\nx_km = 5.0\ny_km = 1.0\n")
    err = load_error(path)
    assert err.key_path == "firms.shop.x_km"
    assert "firms.shop.x_km" in str(err)
    write(tmp_path, "base.toml", "[firms.shop]\nx_km = 1.0\ny_km = 1.0\n")
    child = write(tmp_path, "moved.toml", 'extends = "base"\n[firms.shop]\ny_km = 4.5\n')
    check_message(
        load_error(child),
        file=child,
        key_path="firms.shop.y_km",
        contains=("(1, 4.5) km", "outside the 4 km town"),
    )


def test_focus_must_be_a_firm(tmp_path):
    path = write(tmp_path, "focus.toml", 'focus = "shoop"\n' + SHOP)
    msg = str(load_error(path))
    assert "\n" not in msg and msg.startswith(str(path))
    assert "focus = 'shoop' is not a firm" in msg and "shop" in msg


def test_no_firms(tmp_path):
    path = write(tmp_path, "empty.toml", 'name = "empty"\n')
    check_message(load_error(path), file=path, key_path="firms", contains=("firms is required", "1 to 32"))
    path = write(tmp_path, "none.toml", "[firms]\n")
    check_message(
        load_error(path), file=path, key_path="firms", contains=("firms = {} is not allowed", "1 to 32")
    )


def test_bad_firm_key(tmp_path):
    path = write(tmp_path, "id.toml", "[firms.Shop]\n")
    check_message(
        load_error(path), file=path, key_path="firms.Shop", contains=("firm key 'Shop'", "lowercase letters")
    )


def test_missing_file_and_unknown_name():
    check_message(
        load_error("no_such_scenario"),
        file=None,
        key_path=None,
        contains=("scenario 'no_such_scenario'", "no such scenario file"),
    )
    check_message(
        load_error("loyal_brnd"), file=None, key_path=None, contains=("(did you mean 'loyal_brand'?)",)
    )


def test_line_breaks_in_keys_stay_escaped(tmp_path):
    path = write(tmp_path, "nl.toml", SHOP + '[firms.shop."cul\\nture"]\ntrust = 1\n')
    err = load_error(path)
    check_message(err, file=path, key_path="firms.shop.cul\nture", contains=("firms.shop.cul\\nture",))


# --- errors from parent files ------------------------------------------------------------------


def test_unknown_key_in_a_parent_names_the_parent(tmp_path):
    parent = write(tmp_path, "parent.toml", SHOP + "[firms.shop.culture]\ntrsut = 0.5\n")
    child = write(tmp_path, "child.toml", 'extends = "parent"\n[market]\nweeks = 50\n')
    err = load_error(child)
    msg = check_message(
        err, file=parent, key_path="firms.shop.culture.trsut", contains=("(did you mean 'trust'?)",)
    )
    assert str(child) not in msg


def test_bad_value_in_a_grandparent_names_the_grandparent(tmp_path):
    grand = write(tmp_path, "grand.toml", SHOP + "[market]\nweeks = 0\n")
    write(tmp_path, "parent.toml", 'extends = "grand"\n[market]\nseed = 3\n')
    child = write(tmp_path, "child.toml", 'extends = "parent"\n')
    check_message(
        load_error(child), file=grand, key_path="market.weeks", contains=("market.weeks = 0 is not allowed",)
    )


def test_child_value_fixes_a_parents_bad_value(tmp_path):
    write(tmp_path, "parent.toml", SHOP + "[firms.shop.culture]\ntrust = 1.5\n")
    child = write(tmp_path, "child.toml", 'extends = "parent"\n[firms.shop.culture]\ntrust = 0.5\n')
    assert load_scenario(child).firms["shop"].culture.trust == 0.5


def test_bad_value_in_the_child_names_the_child(tmp_path):
    write(tmp_path, "parent.toml", SHOP)
    child = write(tmp_path, "child.toml", 'extends = "parent"\n[firms.shop]\ndeals = 2\n')
    check_message(
        load_error(child),
        file=child,
        key_path="firms.shop.deals",
        contains=("firms.shop.deals = 2 is not allowed", "from 0 to 1"),
    )


def test_uploaded_toml_errors_name_the_label():
    with pytest.raises(ScenarioError) as info:
        scenario_from_toml('extends = "corner_pharmacy"\n[market]\nweeks = -1\n', label="up.toml")
    check_message(
        info.value, file="up.toml", key_path="market.weeks", contains=("market.weeks = -1 is not allowed",)
    )
    with pytest.raises(ScenarioError) as info:
        scenario_from_toml("extends = [1]\n", label="up.toml")
    check_message(info.value, file="up.toml", key_path="extends", contains=("extends = [1]",))


# --- the parameter reference -------------------------------------------------------------------


def _schema_leaves(model: type[BaseModel], prefix: str = ""):
    """(key path, FieldInfo) of every schema leaf, found independently of paramdoc.

    A distribution-valued trait is a leaf (its unit and meaning live on the trait's field); so
    are the mean and sd of :class:`Distribution` themselves."""
    for name, info in model.model_fields.items():
        annotation = info.annotation
        item = typing.get_args(annotation)[-1] if typing.get_origin(annotation) in (dict, list) else None
        if annotation is Distribution:
            yield f"{prefix}{name}", info
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _schema_leaves(annotation, f"{prefix}{name}.")
        elif isinstance(item, type) and issubclass(item, BaseModel):
            if typing.get_origin(annotation) is list:
                yield f"{prefix}{name}", info
            yield from _schema_leaves(item, f"{prefix}{name}.<item>.")
        else:
            yield f"{prefix}{name}", info
    if prefix == "":
        yield from _schema_leaves(Distribution, "<distribution>.")


def test_every_schema_leaf_has_a_description_and_a_unit():
    leaves = dict(_schema_leaves(Scenario))
    assert len(leaves) > 100
    for key, info in leaves.items():
        assert (info.description or "").strip(), f"{key} has no description"
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        assert str(extra.get("unit", "")).strip(), f"{key} has no unit"


def test_parameter_reference_is_up_to_date():
    committed = (REPO / "docs" / "parameters.md").read_text(encoding="utf-8")
    assert committed == paramdoc.render(), (
        "docs/parameters.md is stale: run `python -m loyaltysim.paramdoc > docs/parameters.md`"
    )


def test_paramdoc_main_prints_the_reference(capsys):
    paramdoc.main()
    assert capsys.readouterr().out == paramdoc.render()


def _flatten(value, prefix=""):
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _flatten(sub, f"{prefix}{key}.")
    else:
        yield prefix[:-1], value


def _generic(key: str, firms: typing.Iterable[str]) -> str:
    for firm in firms:
        key = key.replace(f"firms.{firm}.", "firms.<id>.")
    return key


@pytest.mark.parametrize("name", SHIPPED)
def test_reference_documents_every_key_a_scenario_has(name):
    scenario = load_scenario(name)
    data = scenario.model_dump(mode="json")
    events = data.pop("events")
    documented = {row.key for row in paramdoc.leaf_rows()}
    for key, _ in _flatten(data):
        assert _generic(key, scenario.firms) in documented, key
    for event in events:
        assert {f"events[].{k}" for k in event} <= documented
        for key in event["set"]:
            assert _generic(key, scenario.firms) in documented, key


def test_reference_defaults_and_ranges_match_the_schema():
    default = Scenario(firms={"x": Firm()}, events=[{}]).model_dump(mode="json")
    values = dict(_flatten({k: v for k, v in default.items() if k != "events"}))
    values.update({f"events[].{k}": v for k, v in default["events"][0].items()})
    values["events"] = []
    rows = paramdoc.leaf_rows()
    assert len(rows) == len({r.key for r in rows}), "duplicate keys in the reference"
    for row in rows:
        key = row.key.replace("firms.<id>.", "firms.x.")
        assert tomllib.loads(f"v = {row.default}")["v"] == values[key], row.key
        assert row.unit and row.description and row.allowed, row
    by_key = {r.key: r for r in rows}
    assert by_key["firms.<id>.culture.trust"].allowed == "number from 0 to 1"
    assert by_key["market.weeks"].allowed == "whole number from 1 to 5200"
    assert by_key["customers.segments.regular.share"].default == "0.6"
    assert "clipped to 0-1" in by_key["customers.patience.mean"].allowed
    assert re.search(
        r"^\| `firms\.<id>\.culture\.trust` \| share 0-1 \| `0\.5` \| number from 0 "
        r"to 1 \| Trust in employees",
        paramdoc.render(),
        re.M,
    )


def test_bad_firm_key_in_a_child_names_the_child(tmp_path):
    write(tmp_path, "parent.toml", SHOP)
    child = write(tmp_path, "child.toml", 'extends = "parent"\n[firms.Shop2]\n')
    check_message(load_error(child), file=child, key_path="firms.Shop2", contains=("firm key 'Shop2'",))


def test_override_one_segment_key_keeps_the_others():
    s = load_scenario("corner_pharmacy", ["customers.segments.regular.basket_dollars=25"])
    assert s.customers.segments.regular.share == 0.6
    assert s.customers.segments.regular.basket_dollars == 25


def test_override_a_trait_mean_keeps_its_sd(tmp_path):
    assert load_scenario("corner_pharmacy").customers.habit.sd == 0.2
    s = load_scenario("corner_pharmacy", {"customers.habit.mean": 1.0})
    assert (s.customers.habit.mean, s.customers.habit.sd) == (1.0, 0.2)
    path = write(tmp_path, "trait.toml", SHOP + "[customers.habit]\nmean = 1.0\n")
    assert load_scenario(path).customers.habit.sd == 0.2
