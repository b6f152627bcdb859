"""Benchmark the browser UI's rendering of one displayed week, excluding the model step.

Usage:  .venv/bin/python benchmarks/ui_render.py [--customers 20000] [--weeks 26] [--repeats 8]
        [--scenarios corner_pharmacy loyal_brand]

Builds the real UI session (one LoyaltyModel per column, common seed), runs ``--weeks`` weeks so
the charts have a history, renders the whole page once with ``solara.render`` (no browser), then
times what every displayed week costs on top of the model step:

* frame: per column, the weekly series of the charted firm and the rasterised town map (PNG);
* charts: building the ECharts options of every comparison chart;
* page week: publishing new frames to the rendered page (Solara/reacton re-render and widget
  updates of the week counters, maps and charts), the normal cost of a week;
* Mesa plot: the extra re-render when the Mesa headline plots are redrawn (every 4 weeks);
* bytes: what one week sends to the browser (chart options as JSON plus map PNGs).

The model step itself is reported separately (it depends on the engine). Nothing here asserts a
speed; quote only what this script prints (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable

import solara

from loyaltysim.ui.app import App
from loyaltysim.ui.charts import CHARTS
from loyaltysim.ui.components.charts import chart_columns
from loyaltysim.ui.frames import build_frame
from loyaltysim.ui.session import HEADLINE_EVERY_WEEKS, Session


def timed(action: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(median, min) wall time of ``action`` in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    """Build the session, render the page, time one displayed week; print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--scenarios", nargs="+", default=["corner_pharmacy", "loyal_brand"])
    args = parser.parse_args()
    if args.weeks % HEADLINE_EVERY_WEEKS == 0:
        args.weeks += 1  # time an ordinary week; the Mesa redraw is timed on its own below

    t0 = time.perf_counter()
    session = Session(args.scenarios, customers=args.customers, seed=1)
    t1 = time.perf_counter()
    for _ in range(args.weeks):
        session.step()
    t2 = time.perf_counter()
    step_s = (t2 - t1) / args.weeks
    engine = session.model(0).spec.market.engine

    _, rc = solara.render(App(session), handle_error=False)
    try:
        models = [session.model(i) for i in range(len(session.columns))]
        firms = [c.firm for c in session.columns]
        frame_ms = timed(lambda: [build_frame(m, f, session.firm_colours)
                                  for m, f in zip(models, firms, strict=True)], args.repeats)
        columns = chart_columns(session)
        charts_ms = timed(lambda: [spec.build(columns) for spec in CHARTS], args.repeats)
        week_ms = timed(lambda: session.refresh(), args.repeats)
        mesa_ms = timed(lambda: session.refresh(headlines=True), max(2, args.repeats // 2))
        options = [spec.build(chart_columns(session)) for spec in CHARTS]
        json_bytes = len(json.dumps(options))
        png_bytes = sum(len(f.map_png) for f in session.frames.value)
    finally:
        rc.close()

    print(f"machine: {platform.processor() or platform.machine()}, python "
          f"{platform.python_version()}; engine {engine}; {len(session.columns)} columns "
          f"({', '.join(args.scenarios)}), {args.customers:,} customers each, "
          f"history {args.weeks} weeks")
    print(f"session build {t1 - t0:.2f} s; model step (all columns) {step_s:.3f} s per week")
    print("| customers per column | frame ms | charts ms | page week ms | page week + Mesa plot ms "
          "| sent per week KiB |")
    print("|---|---|---|---|---|---|")
    print(f"| {args.customers:,} | {frame_ms[0]:.1f} (min {frame_ms[1]:.1f}) "
          f"| {charts_ms[0]:.1f} (min {charts_ms[1]:.1f}) "
          f"| {week_ms[0]:.0f} (min {week_ms[1]:.0f}) "
          f"| {mesa_ms[0]:.0f} (min {mesa_ms[1]:.0f}) "
          f"| {(json_bytes + png_bytes) / 1024:.0f} |")
    print("(page week includes the frames; it and the Mesa column are what a displayed week "
          "costs besides the model step)")


if __name__ == "__main__":
    main()
