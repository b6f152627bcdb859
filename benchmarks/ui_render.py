"""Benchmark the browser UI while it plays: weeks per second displayed and bytes per drawn week.

Usage:  .venv/bin/python benchmarks/ui_render.py [--customers 20000] [--seconds 6]
        [--scenarios corner_pharmacy loyal_brand] [--speeds 1 2 5 10 20 0]

Builds the real UI session (one LoyaltyModel per column, common seed) and renders the whole page
with ``solara.render`` (no browser: Solara/reacton re-renders and widget updates are timed, the
browser's drawing and the network are not). For each speed setting it resets the clock, lets
the session's own worker play for ``--seconds`` (or to the end of the run), pauses, and reports:

* weeks/s shown: how fast the week on screen advances (the clock's week at each draw);
* draws/s: how many weeks were actually drawn per second (at most 1/DRAW_SECONDS);
* KiB per drawn week: what a drawn week sends to the browser - the chart patches
  (:class:`~loyaltysim.ui.components.livechart.LiveChartWidget` counts the JSON it sends) plus
  the two town-map PNGs; and, for comparison, what resending every chart option whole costs
  (what the UI did before issue 19);
* pause: how long ``pause()`` took and how many weeks the clock moved after it (should be 0).

Nothing here asserts a speed; quote only what this script prints (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import solara

from loyaltysim.ui.app import App
from loyaltysim.ui.charts import CHARTS
from loyaltysim.ui.components.charts import chart_columns
from loyaltysim.ui.components.livechart import LiveChartWidget
from loyaltysim.ui.config import SPEEDS
from loyaltysim.ui.session import DRAW_SECONDS, Session


def speed_name(speed: float) -> str:
    return "fastest" if speed == 0 else f"{speed:g} weeks/s"


def play_once(session: Session, rc, speed: float, seconds: float) -> dict:
    """Reset, play at ``speed`` for ``seconds`` (or to the end), pause; what was shown."""
    session.reset()
    charts = rc.find(LiveChartWidget).widgets
    draws: list[tuple[float, int, int]] = []  # (time, clock week, map bytes)

    def seen(status) -> None:
        if status.playing:
            maps = sum(len(f.map_png) for f in session.frames.value)
            draws.append((time.perf_counter(), status.week, maps))

    unsubscribe = session.status.subscribe(seen)
    sent_before = sum(w.sent_bytes for w in charts)
    session.set_speed(speed)
    session.play()
    start = time.perf_counter()
    while time.perf_counter() - start < seconds and session.status.value.playing:
        time.sleep(0.05)
    ran = time.perf_counter() - start
    t0 = time.perf_counter()
    session.pause()
    pause_s = time.perf_counter() - t0
    # Read after pause() returns: weeks already under way while it waited for the lock may finish
    # (on a loaded machine several, at the fastest speed); none may start after it returns.
    week_at_pause = session.week
    time.sleep(0.5)
    moved_after = session.week - week_at_pause
    shown_after = session.status.value.week == session.week == session.frames.value[0].week
    unsubscribe()
    sent = sum(w.sent_bytes for w in charts) - sent_before
    drawn = [d for d in draws if d[1] > 0]
    span = drawn[-1][0] - drawn[0][0] if len(drawn) > 1 else 0.0
    weeks_shown = (drawn[-1][1] - drawn[0][1]) / span if span else 0.0
    whole = len(json.dumps([spec.build(chart_columns(session)) for spec in CHARTS]))
    map_bytes = sum(d[2] for d in drawn) / max(len(drawn), 1)
    return {
        "speed": speed_name(speed),
        "weeks_shown": weeks_shown,
        "draws": len(drawn) / ran,
        "weeks": session.week,
        "seconds": ran,
        "kib_week": (sent / max(len(drawn), 1) + map_bytes) / 1024,
        "kib_maps": map_bytes / 1024,
        "kib_whole": (whole + map_bytes) / 1024,
        "pause_ms": pause_s * 1000,
        "moved_after": moved_after,
        "shown_after": shown_after,
    }


def main() -> None:
    """Build the session, render the page, play at each speed; print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--scenarios", nargs="+", default=["corner_pharmacy", "loyal_brand"])
    parser.add_argument("--speeds", nargs="+", type=float, default=list(SPEEDS))
    args = parser.parse_args()

    t0 = time.perf_counter()
    session = Session(args.scenarios, customers=args.customers, seed=1, max_customers=max(args.customers, 1))
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with session.lock:
        for _ in range(10):
            for column in session.columns:
                column.model.step()  # the models alone, nothing drawn
    step_s = (time.perf_counter() - t0) / 10
    engine = session.model(0).spec.market.engine
    # The page starts the session's worker (solara.use_thread), as in a browser tab.
    _, rc = solara.render(App(session), handle_error=False)
    try:
        rows = [play_once(session, rc, speed, args.seconds) for speed in args.speeds]
    finally:
        rc.close()

    print(
        f"machine: {platform.processor() or platform.machine()}, python "
        f"{platform.python_version()}; engine {engine}; {len(session.columns)} columns "
        f"({', '.join(args.scenarios)}), {args.customers:,} customers each; draw interval "
        f"{DRAW_SECONDS} s"
    )
    print(
        f"session build {build_s:.2f} s; model step (all columns, no drawing) {step_s * 1000:.1f} ms per week"
    )
    print(
        "| speed setting | weeks/s shown | draws/s | weeks played (s) | KiB per drawn week "
        "| of which maps | KiB if charts were resent whole | pause() ms | weeks after pause |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['speed']} | {r['weeks_shown']:.1f} | {r['draws']:.1f} "
            f"| {r['weeks']} ({r['seconds']:.1f}) | {r['kib_week']:.1f} | {r['kib_maps']:.1f} "
            f"| {r['kib_whole']:.1f} "
            f"| {r['pause_ms']:.0f} | {r['moved_after']}{'' if r['shown_after'] else ' (!)'} |"
        )


if __name__ == "__main__":
    main()
