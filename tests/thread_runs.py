"""Run a script under several numba thread counts (for the thread-count tests of the engine)."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys


def results_by_threads(script: str, counts: tuple[int, ...], timeout: int = 900) -> list[dict]:
    """The JSON object ``script`` prints last, run once per numba thread count in ``counts``."""
    results = []
    for threads in counts:
        env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
        out = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=timeout,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


#: A town where failures are frequent (a fifth of visits at both stores), run for ten weeks with
#: avoidance at its probe's weight: the digest covers the weekly table and the state the failure
#: mechanisms keep (the memory of failures, the grudges the choice reads) and what they move
#: (satisfaction, attachment, where customers last bought).
FAILING_TOWN = """
import hashlib, json
import numba
from loyaltysim.model import LoyaltyModel
model = LoyaltyModel("pharmacy_vs_brand", rng=3, engine="numba",
                     overrides={"market.customers": 70000, "market.warmup_weeks": 4,
                                "firms.supermarket.open": True,
                                "firms.pharmacy.process.base_failure_rate": 0.2,
                                "firms.brand.process.base_failure_rate": 0.2,
                                "behaviour.avoidance_weight": 6.0})
model.run(10)
digest = hashlib.sha256()
digest.update(model.firm_weekly().to_csv().encode())
for name in ("failure_memory", "grudge", "satisfaction", "attachment", "last_firm"):
    digest.update(getattr(model.state, name).tobytes())
print(json.dumps({"threads": numba.get_num_threads(), "parallel": model.engine.parallel,
                  "digest": digest.hexdigest(),
                  "repeat": int(model.firm_weekly()["repeat_failures"].sum()),
                  "held": int(((model.state.grudge & 7) > 0).sum())}))
"""


@functools.cache
def failing_town_by_threads() -> tuple[dict, ...]:
    """:data:`FAILING_TOWN` on 1 and 2 numba threads (run once per test process)."""
    return tuple(results_by_threads(FAILING_TOWN, (1, 2), timeout=900))
