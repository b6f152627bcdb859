"""How :class:`loyaltysim.model.LoyaltyModel`'s constructor arguments become a scenario and a seed.

Kept apart from the model so the rules Mesa's tools rely on are in one small, tested place:

* ``spec`` (or the old name ``scenario``) is a shipped scenario name, a TOML path or a validated
  :class:`loyaltysim.scenario.Scenario`.
* ``scenario`` may also be Mesa's own :class:`mesa.experimental.scenarios.Scenario`, which Mesa's
  ``SolaraViz`` passes on Reset: its ``rng`` seeds the run, its ``spec``/``engine`` entries choose
  the scenario and engine, and every other entry is an override (``__`` for ``.``).
* ``rng`` left out: the scenario's ``market.seed`` (reproducible by default); ``rng=None``: a fresh
  seed, as in Mesa (``mesa.batch_run(iterations=3)`` passes ``rng=None`` for each replicate);
  an int: that seed. The seed used is always ``model.seed``.
"""

from __future__ import annotations

import operator
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from mesa.experimental.scenarios import Scenario as MesaScenario

from loyaltysim.scenario import Scenario, load_scenario

__all__ = ["MAX_SEED", "SCENARIO_SEED", "ModelArgs", "ScenarioSeed", "fresh_seed", "resolve_model_args"]

#: Largest seed ``market.seed`` allows.
MAX_SEED: Final = 2**62


class ScenarioSeed:
    """Type of :data:`SCENARIO_SEED`, the default of ``rng``: "use the scenario's market.seed"."""

    _instance: ScenarioSeed | None = None

    def __new__(cls) -> ScenarioSeed:  # one instance, so pickled models compare equal
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SCENARIO_SEED"

    def __reduce__(self) -> str:
        return "SCENARIO_SEED"


#: ``rng``'s default: the scenario's ``market.seed`` (distinct from ``None``, a fresh seed).
SCENARIO_SEED: Final = ScenarioSeed()

ScenarioSource = str | os.PathLike[str] | Scenario


@dataclass(frozen=True)
class ModelArgs:
    """The resolved constructor arguments."""

    spec: Scenario  # the validated scenario, overrides applied
    seed: int  # the seed of every random stream
    mesa_scenario: MesaScenario | None  # what to hand to mesa.Model (None: Mesa makes its own)

    @property
    def mesa_init(self) -> dict[str, Any]:
        """Keyword arguments for ``mesa.Model.__init__``: the seed, or the Mesa Scenario that
        carries it (Mesa 4 refuses both at once)."""
        if self.mesa_scenario is None:
            return {"rng": self.seed}
        return {"scenario": self.mesa_scenario}


def fresh_seed() -> int:
    """A new seed from the operating system's entropy, in ``market.seed``'s range."""
    return secrets.randbelow(MAX_SEED + 1)


def _seed_from(value: Any, where: str) -> int:
    """An explicit seed: an integer (Python or NumPy) 0..:data:`MAX_SEED`."""
    try:
        if isinstance(value, bool):
            raise TypeError
        seed = operator.index(value)
    except TypeError:
        raise TypeError(
            f"LoyaltyModel: {where}={value!r} is not allowed: give an integer seed "
            "0..2**62, None for a fresh seed, or leave it out for the scenario's "
            "market.seed"
        ) from None
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"LoyaltyModel: {where}={seed} is out of range: a seed is 0..2**62")
    return seed


def _mesa_seed(mesa_scenario: MesaScenario) -> int | None:
    """The seed a Mesa Scenario carries: its ``rng`` (Mesa 3: the seed given, or None), or one
    integer drawn from it when it is a NumPy Generator (Mesa 4 turns every rng into one)."""
    given = mesa_scenario.rng
    if isinstance(given, np.random.Generator):
        return int(given.integers(0, MAX_SEED, endpoint=True))
    return None if given is None else _seed_from(given, "scenario.rng")


def _mesa_entries(mesa_scenario: MesaScenario) -> dict[str, Any]:
    """The parameters a Mesa Scenario carries (everything but its rng)."""
    return {key: value for key, value in mesa_scenario.__dict__.items() if key not in ("rng", "model")}


def resolve_model_args(
    spec: ScenarioSource | None,
    scenario: Any,
    rng: Any,
    engine: str | None,
    overrides: Mapping[str, Any] | None,
    params: Mapping[str, Any],
    default: str,
) -> ModelArgs:
    """Turn ``LoyaltyModel(spec, *, rng, engine, overrides, scenario, **params)`` into a scenario,
    a seed and the Mesa Scenario to record. Raises ``TypeError``/``ValueError`` for arguments that
    contradict each other, :class:`loyaltysim.ScenarioError` for a bad scenario or override."""
    mesa_scenario: MesaScenario | None = None
    if isinstance(scenario, MesaScenario):
        mesa_scenario = scenario
    elif scenario is not None:
        if spec is not None:
            raise TypeError(
                "LoyaltyModel: give the scenario once, as spec (the first argument) or as scenario=, not both"
            )
        spec = scenario
    extra: dict[str, Any] = {}
    if mesa_scenario is not None:
        entries = _mesa_entries(mesa_scenario)
        mesa_spec = entries.pop("spec", None)
        mesa_engine = entries.pop("engine", None)
        if mesa_spec is not None and spec is None:
            spec = mesa_spec
        if mesa_engine is not None and engine is None:
            engine = mesa_engine
        extra.update(entries)
    extra.update(overrides or {})
    extra.update(params)
    if engine is not None:
        extra["market.engine"] = engine
    loaded = load_scenario(default if spec is None else spec, extra)

    given = None if mesa_scenario is None else _mesa_seed(mesa_scenario)
    if rng is SCENARIO_SEED and mesa_scenario is None:
        seed = loaded.market.seed
    elif rng is SCENARIO_SEED:  # Mesa's Scenario carries the seed (None: a fresh one)
        seed = fresh_seed() if given is None else given
    elif rng is None:
        seed = fresh_seed()
    else:
        seed = _seed_from(rng, "rng")
        if given is not None and given != seed:
            raise ValueError(f"LoyaltyModel: rng={rng} and scenario.rng={given} disagree; give the seed once")
    if mesa_scenario is not None:  # record the seed actually used, as Mesa does
        mesa_scenario = type(mesa_scenario)(rng=seed, **_mesa_entries(mesa_scenario))
    return ModelArgs(spec=loaded, seed=seed, mesa_scenario=mesa_scenario)
