"""Run a script under several numba thread counts (for the thread-count tests of the engine)."""

from __future__ import annotations

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
