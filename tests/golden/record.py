"""Golden outputs: numbers a restructuring must not move, recorded once and compared exactly.

``python -m tests.golden.record`` (from the repository root) recomputes every table below and writes
it to ``tests/golden/data/``; ``tests/test_golden.py`` recomputes them and compares value for value.
Re-record only when a change is *meant* to move the model's numbers, and say so in CHANGELOG.md.

What is recorded:

* ``firm_weekly`` of every shipped scenario with the numba engine (3,000 customers, 208 weeks) and
  with the reference engine (300 customers, 104 weeks);
* each validation finding at ``--quick`` size: its detail table and its comparisons' simulated
  figures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

DATA = Path(__file__).parent / "data"

#: (engine, customers, weeks) of the recorded scenario runs.
RUNS = {"numba": (3000, 208), "reference": (300, 104)}


def scenario_table(name: str, engine: str) -> pd.DataFrame:
    """``firm_weekly`` of shipped scenario ``name`` at the recorded size for ``engine``."""
    from loyaltysim.model import LoyaltyModel

    customers, weeks = RUNS[engine]
    model = LoyaltyModel(
        name, engine=engine, overrides={"market.customers": customers, "market.weeks": weeks}
    )
    model.run()
    return model.firm_weekly().reset_index(drop=True)


def finding_tables(key: str) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """A validation finding at --quick size: (its detail table, quantity -> simulated figure)."""
    from loyaltysim.validation.runner import run_finding

    result = run_finding(key, quick=True)
    table = None if result.table is None else result.table.reset_index(drop=True)
    return table, {c.quantity: c.simulated for c in result.comparisons}


def scenario_path(name: str, engine: str) -> Path:
    return DATA / f"scenario-{name}-{engine}.parquet"


def finding_paths(key: str) -> tuple[Path, Path]:
    return DATA / f"finding-{key}.parquet", DATA / f"finding-{key}.json"


def _stringify_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Parquet needs string column names; finding tables sometimes use tuples or numbers."""
    out = table.copy()
    out.columns = [str(c) for c in out.columns]
    return out


def record(only: list[str] | None = None) -> None:
    from loyaltysim.scenario import shipped_scenarios
    from loyaltysim.validation.registry import FINDINGS

    DATA.mkdir(parents=True, exist_ok=True)
    for name in shipped_scenarios():
        for engine in RUNS:
            if only and f"{name}-{engine}" not in only and name not in only:
                continue
            scenario_table(name, engine).to_parquet(scenario_path(name, engine))
            print("recorded", name, engine, flush=True)
    for key in FINDINGS:
        if only and key not in only:
            continue
        table, simulated = finding_tables(key)
        table_path, json_path = finding_paths(key)
        if table is not None:
            _stringify_columns(table).to_parquet(table_path)
        json_path.write_text(json.dumps(simulated, indent=1, sort_keys=True) + "\n")
        print("recorded finding", key, flush=True)


if __name__ == "__main__":
    record(sys.argv[1:] or None)
