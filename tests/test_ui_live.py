"""Play that keeps up: charts send only what changed, weeks are drawn at most every
``draw_seconds`` while playing, and pause stops within one week and draws the week it stopped at."""

from __future__ import annotations

import copy
import json
import threading
import time

import ipyvuetify as v
import solara
from hypothesis import given, settings
from hypothesis import strategies as st

from loyaltysim.ui.charts import NORMAL, ChartColumn, customer_base, loyalty_mix
from loyaltysim.ui.components.livechart import LiveChartWidget, data_patch
from loyaltysim.ui.session import Session

points = st.lists(st.lists(st.integers(-5, 5), min_size=2, max_size=2), max_size=30)


def _apply(sent: dict, patch: list) -> list[list]:
    """What the browser does with a patch (livechart.vue's applyPatch)."""
    data = [list(s["data"]) for s in sent["series"]]
    for index, start, new in patch:
        assert len(data[index]) >= start
        data[index] = data[index][:start] + new
    return data


@settings(max_examples=80, deadline=None)
@given(old=st.lists(points, min_size=1, max_size=4), grow=st.data())
def test_a_patch_turns_what_the_browser_holds_into_the_new_option(old, grow):
    new = [grow.draw(points) for _ in old]
    sent = {"xAxis": {"max": 208}, "series": [{"name": str(i), "data": d} for i, d in enumerate(old)]}
    option = {"xAxis": {"max": 208}, "series": [{"name": str(i), "data": d} for i, d in enumerate(new)]}
    patch = data_patch(sent, option)
    assert patch is not None
    assert _apply(sent, patch) == new
    # only what differs is sent: never a point the browser already has at its place
    for index, start, _ in patch:
        assert old[index][:start] == new[index][:start]


def test_anything_but_series_data_changing_needs_the_whole_option():
    sent = {"xAxis": {"max": 208}, "series": [{"name": "A", "data": [[1, 2]]}]}
    assert data_patch(sent, {**sent, "xAxis": {"max": 104}}) is None
    assert data_patch(sent, {**sent, "series": sent["series"] * 2}) is None
    marked = copy.deepcopy(sent)
    marked["series"][0]["markLine"] = {"data": [{"xAxis": 7}]}
    assert data_patch(sent, marked) is None
    assert data_patch(None, sent) is None


def test_a_played_week_sends_a_few_points_not_every_series_again():
    session = Session(["corner_pharmacy", "loyal_brand"], customers=300, seed=2)
    for _ in range(30):
        session.step()

    def columns():
        return [
            ChartColumn(f"{c.name}: x", c.colour, f)
            for c, f in zip(session.configs.value, session.frames.value, strict=True)
        ]

    widget = LiveChartWidget(full=customer_base(columns(), NORMAL))
    whole, first_id = widget.sent_bytes, widget.option_id
    session.step()
    widget.full = customer_base(columns(), NORMAL)
    week_bytes = widget.sent_bytes - whole
    assert widget.option_id == first_id  # no whole option sent again
    assert widget.patch["base"] == first_id
    assert sorted(i for i, _, _ in widget.patch["series"]) == [0, 1]
    assert all(start == 30 and len(new) == 1 for _, start, new in widget.patch["series"])
    assert 0 < week_bytes < whole / 10
    # a chart whose y scale grows with the data sends the whole option again when it does
    stacked = LiveChartWidget(full=loyalty_mix(columns(), NORMAL))
    stacked.full = loyalty_mix(columns(), NORMAL)  # unchanged: nothing sent
    assert stacked.sent_bytes == len(json.dumps(loyalty_mix(columns(), NORMAL)))


def test_a_missed_patch_is_repaired_by_sending_the_whole_option():
    option = {"series": [{"name": "A", "data": [[1, 1]]}]}
    widget = LiveChartWidget(full=option)
    widget.full = {"series": [{"name": "A", "data": [[1, 1], [2, 2]]}]}
    before = widget.option_id
    widget.vue_resync()
    assert widget.option_id == before + 1
    assert widget.option == {"series": [{"name": "A", "data": [[1, 1], [2, 2]]}]}


def _play(session: Session, weeks: int) -> tuple[list, threading.Event, threading.Thread, float]:
    """Play at full speed until the clock has passed ``weeks`` (however long a busy machine
    takes); returns the draws, the worker, its stop flag and the seconds played."""
    drawn: list[tuple[int, int]] = []
    session.status.subscribe(lambda status: drawn.append((status.week, status.drawn_every)))
    cancel = threading.Event()
    worker = threading.Thread(target=session.work, args=(cancel,), daemon=True)
    worker.start()
    session.set_speed(0)
    start = time.monotonic()
    session.play()
    while session.week < weeks:
        assert time.monotonic() - start < 120, f"playing did not reach week {weeks}"
        time.sleep(0.01)
    return drawn, cancel, worker, time.monotonic() - start


def test_playing_fast_draws_every_few_weeks_and_says_so():
    session = Session(["corner_pharmacy"], customers=200, seed=3, draw_seconds=0.5)
    drawn, cancel, worker, seconds = _play(session, 40)
    try:
        session.pause()
    finally:
        cancel.set()
        worker.join(timeout=10)
    distinct = sorted({week for week, _ in drawn})
    assert len(distinct) <= seconds / 0.5 + 3  # play, the timed draws, pause
    assert max(every for _, every in drawn) > 1  # the toolbar says it skips weeks


def test_pause_stops_within_one_week_and_shows_the_week_it_stopped_at():
    session = Session(
        ["corner_pharmacy", "loyal_brand"], customers=200, seed=3, draw_seconds=10.0
    )  # nothing drawn while playing but the first week
    _, cancel, worker, _ = _play(session, 3)
    try:
        session.pause()
        stopped = session.week
        time.sleep(0.5)
        assert session.week == stopped > 2
        # the screen shows the clock's week, though the last draw was many weeks ago
        assert session.status.value.week == stopped
        assert [f.week for f in session.frames.value] == [stopped, stopped]
        assert not session.status.value.playing
    finally:
        cancel.set()
        worker.join(timeout=10)


def test_the_chart_component_patches_its_widget_as_weeks_are_drawn():
    from loyaltysim.ui.app import App

    session = Session(["corner_pharmacy", "loyal_brand"], customers=200, seed=4)
    _, rc = solara.render(App(session), handle_error=False)
    try:
        for _ in range(5):
            session.step()
        widget = rc.find(
            LiveChartWidget,
            attributes={"class": "ls-chart-box", "data-testid": "chart-base", "data-weeks": "5,5"},
        ).widget
        first = widget.option_id
        session.step()
        assert widget.option_id == first and widget.patch["series"]
        assert [len(s["data"]) for s in widget.full["series"]] == [6, 6]
    finally:
        rc.close()


def test_a_shared_session_shows_every_tab_the_same_week_and_runs_one_worker():
    from loyaltysim.ui.app import App
    from loyaltysim.ui.shared import SessionView

    session = Session(["corner_pharmacy"], customers=200, seed=4)
    teacher, student = SessionView(session), SessionView(session)
    session.attach(teacher)
    session.attach(student)
    _, rc_teacher = solara.render(App(teacher), handle_error=False)
    _, rc_student = solara.render(App(student), handle_error=False)
    try:
        student.step()  # a click in the student's tab
        for rc in (rc_teacher, rc_student):
            rc.find(v.Html, attributes={"data-testid": "week", "data-week": "1"}).assert_single()
        assert teacher.frames.value[0] is student.frames.value[0]
        # both tabs started a worker (solara.use_thread); only one plays the clock: every week
        # played is stepped by the same thread (counted, not timed: a busy machine once played
        # under two weeks in the 1.2 s this test used to wait)
        players, step = [], session.step

        def recorded_step(*, playing: bool = False) -> bool:
            if playing:
                players.append(threading.get_ident())
            return step(playing=playing)

        session.step = recorded_step
        session.set_speed(5)
        session.play()
        deadline = time.monotonic() + 60
        while len(players) < 4:
            assert time.monotonic() < deadline, "playing did not step the clock"
            time.sleep(0.05)
        session.pause()
        assert len(set(players)) == 1, "more than one worker played the clock"
        session.detach(student)
        session.step()
        assert teacher.status.value.week == session.week != student.status.value.week
    finally:
        rc_teacher.close()
        rc_student.close()
