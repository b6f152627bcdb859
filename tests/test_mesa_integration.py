"""LoyaltyModel under Mesa's own tools: SolaraViz's controller (Step, Reset, Step), Mesa's
Scenario, batch_run replicates, and the Mesa-4-ready replacement (loyaltysim.replicate)."""

from __future__ import annotations

import warnings

import ipyvuetify as v
import mesa
import numpy as np
import pandas as pd
import pytest
import solara
from hypothesis import given, settings
from hypothesis import strategies as st
from mesa.experimental.scenarios import Scenario as MesaScenario
from mesa.visualization.solara_viz import ModelController

from loyaltysim.model import LoyaltyModel
from loyaltysim.model_args import SCENARIO_SEED, fresh_seed
from loyaltysim.replicate import replicate, run_outputs
from loyaltysim.scenario import ScenarioError, load_scenario

SMALL = {"market.customers": 80}


def _weekly(model: LoyaltyModel) -> pd.DataFrame:
    return model.firm_weekly().reset_index(drop=True)


def _controller(model: solara.Reactive, params: dict):
    """Mesa's own Step/Reset controller, wired as SolaraViz wires it (reactive settings)."""
    return ModelController(
        model,
        model_parameters=params,
        play_interval=solara.reactive(100),
        render_interval=solara.reactive(1),
        use_threads=solara.reactive(False),
    )


def _button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def test_solaraviz_controller_steps_resets_and_steps_again_with_overrides():
    params = {
        "spec": "corner_pharmacy",
        "market__customers": 80,
        "firms__pharmacy__culture__trust": 0.9,
        "rng": 11,
    }
    model = solara.reactive(LoyaltyModel(**params))
    _, rc = solara.render(_controller(model, params), handle_error=False)
    try:
        _button(rc, "Step").click()
        _button(rc, "Step").click()
        first = model.value
        assert first.week == 2
        _button(rc, "Reset").click()  # Mesa builds type(model)(scenario=mesa.Scenario(), **params)
        rc.find(v.Alert).assert_empty()  # no "error in ..." message
        reset = model.value
        assert reset is not first and reset.week == 0
        assert isinstance(reset.scenario, MesaScenario) and reset.scenario.rng == 11
        assert reset.spec.name == "corner_pharmacy" and reset.n_customers == 80
        assert reset.spec.firms["pharmacy"].culture.trust == 0.9
        _button(rc, "Step").click()
        _button(rc, "Step").click()
        assert reset.week == 2
        pd.testing.assert_frame_equal(_weekly(reset), _weekly(first))  # same seed, same run
    finally:
        rc.close()


def test_reset_without_a_seed_parameter_draws_a_fresh_seed_as_mesa_does():
    params = {"spec": "corner_pharmacy", "market__customers": 60}
    model = solara.reactive(LoyaltyModel(**params))
    _, rc = solara.render(_controller(model, params), handle_error=False)
    try:
        seeds = set()
        for _ in range(3):
            _button(rc, "Reset").click()
            seeds.add(model.value.seed)
            assert model.value.seed == model.value.scenario.rng
        assert len(seeds) == 3
    finally:
        rc.close()


def test_batch_run_iterations_gives_different_replicates():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Mesa 3.5 deprecates iterations=
        rows = mesa.batch_run(
            LoyaltyModel,
            parameters={"spec": "corner_pharmacy", "market__customers": 150},
            iterations=3,
            max_steps=20,
            number_processes=1,
            display_progress=False,
        )
    assert len(rows) == 3
    outcomes = {
        tuple(value for key, value in sorted(row.items()) if key.startswith("focus_")) for row in rows
    }
    assert len(outcomes) == 3


def test_leaving_rng_out_keeps_the_scenarios_seed():
    spec = load_scenario("corner_pharmacy", {"market.seed": 17, **SMALL})
    assert LoyaltyModel(spec).seed == 17
    assert LoyaltyModel(spec, rng=SCENARIO_SEED).seed == 17
    assert LoyaltyModel(spec, rng=3).seed == 3
    assert LoyaltyModel(spec, rng=np.int64(4)).seed == 4
    fresh = {LoyaltyModel(spec, rng=None).seed for _ in range(3)}
    assert len(fresh) == 3 and 17 not in fresh


def test_old_scenario_keyword_still_works_and_gives_the_same_run():
    by_spec = LoyaltyModel("loyal_brand", rng=2, overrides=SMALL)
    by_old_name = LoyaltyModel(scenario="loyal_brand", rng=2, overrides=SMALL)
    by_spec.run(5)
    by_old_name.run(5)
    pd.testing.assert_frame_equal(_weekly(by_spec), _weekly(by_old_name))


def test_mesa_scenario_carries_seed_scenario_engine_and_overrides():
    mesa_scenario = MesaScenario(
        rng=9, spec="loyal_brand", engine="reference", market__customers=70, firms__brand__culture__trust=0.3
    )
    model = LoyaltyModel(scenario=mesa_scenario)
    assert (model.seed, model.spec.name, model.engine.name) == (9, "loyal_brand", "reference")
    assert model.n_customers == 70 and model.spec.firms["brand"].culture.trust == 0.3
    assert model.scenario.rng == 9 and model.scenario.model is model
    assert mesa_scenario.model is None  # the caller's object is left alone


def test_contradicting_arguments_are_refused_with_the_reason():
    with pytest.raises(TypeError, match=r"spec .* or as scenario="):
        LoyaltyModel("corner_pharmacy", scenario="loyal_brand")
    with pytest.raises(ValueError, match="disagree"):
        LoyaltyModel("corner_pharmacy", rng=1, scenario=MesaScenario(rng=2), overrides=SMALL)
    with pytest.raises(TypeError, match="integer seed"):
        LoyaltyModel("corner_pharmacy", rng="42", overrides=SMALL)
    with pytest.raises(ValueError, match="out of range"):
        LoyaltyModel("corner_pharmacy", rng=-1, overrides=SMALL)
    with pytest.raises(ScenarioError, match="trsut"):
        LoyaltyModel(scenario=MesaScenario(rng=1, firms__pharmacy__culture__trsut=0.5))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**62))
def test_any_allowed_seed_is_used_as_given(seed):
    assert LoyaltyModel("corner_pharmacy", rng=seed, overrides={"market.customers": 5}).seed == seed


def test_fresh_seeds_are_in_the_allowed_range():
    seeds = [fresh_seed() for _ in range(200)]
    assert all(0 <= s <= 2**62 for s in seeds) and len(set(seeds)) == 200


def test_replicate_keeps_every_firm_and_each_replication_has_its_seed():
    overrides = {"market.customers": 120, "market.weeks": 20}
    df = replicate(
        "pharmacy_vs_brand",
        overrides,
        replications=2,
        seed=5,
        outputs={"metrics": ["customer_base", "loyalty_rate"], "final_weeks": 4},
    )
    assert set(df["firm"]) == set(load_scenario("pharmacy_vs_brand").firm_ids)
    assert sorted(set(zip(df["replication"], df["seed"], strict=True))) == [(0, 5), (1, 6)]
    one = run_outputs(
        "pharmacy_vs_brand",
        overrides,
        seed=6,
        firms="all",
        outputs={"metrics": ["customer_base", "loyalty_rate"], "final_weeks": 4},
    )
    second = df[df["replication"] == 1].drop(columns=["replication", "seed"])
    pd.testing.assert_frame_equal(second.reset_index(drop=True), one)
    first = df[df["replication"] == 0].drop(columns=["replication", "seed"])
    assert not first.reset_index(drop=True)["value"].equals(one["value"])


def test_replicate_refuses_unknown_firms():
    with pytest.raises(ValueError, match="unknown firm 'pharmacyy'"):
        run_outputs("corner_pharmacy", SMALL, firms=["pharmacyy"])


def test_readme_mesa_examples_run_and_mean_what_they_say():
    """The README's Mesa section: its code runs (at a small size) and the seeds are as described."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- BEGIN mesa (issue 20) -->", 1)[1].split("<!-- END mesa (issue 20) -->", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    small = ", market__customers=60)"
    models_code = blocks[0].replace('"corner_pharmacy")', '"corner_pharmacy"' + small)
    models_code = models_code.replace("rng=7)", "rng=7" + small).replace("rng=None)", "rng=None" + small)
    lines = [line.split("#")[0].strip() for line in models_code.splitlines()]
    namespace: dict = {}
    exec("\n".join(line for line in lines if line and not line.startswith("LoyaltyModel(")), namespace)
    built = [eval(line, namespace) for line in lines if line.startswith("LoyaltyModel(")]
    assert [m.seed for m in built[:2]] == [load_scenario("corner_pharmacy").market.seed, 7]
    assert built[3].seed == 7 and built[3].spec.name == "loyal_brand"
    assert built[3].n_customers == 500
    replicate_code = blocks[1].replace(
        '{"firms.pharmacy.culture.trust": 0.8}',
        '{"firms.pharmacy.culture.trust": 0.8, "market.customers": 80, "market.weeks": 30}',
    )
    replicate_code = replicate_code.replace(
        'run_outputs("corner_pharmacy", seed=5',
        'run_outputs("corner_pharmacy", {"market.customers": 80, "market.weeks": 130}, seed=5',
    )
    exec(replicate_code, namespace)
    df, kept = namespace["df"], namespace["kept"]
    assert sorted(df["seed"].unique()) == [
        s + r for s in [load_scenario("pharmacy_vs_brand").market.seed] for r in range(3)
    ]
    assert set(df["firm"]) == set(load_scenario("pharmacy_vs_brand").firm_ids)
    assert set(kept.loc[kept["window"] == "derived", "metric"]) == {"kept"}
