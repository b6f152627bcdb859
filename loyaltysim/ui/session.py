"""A UI session: the scenario columns of one browser tab, their models and the common clock.

Every column runs its own :class:`~loyaltysim.model.LoyaltyModel`, one ``step()`` per displayed
week, all with the same seed (common random numbers: the same customers and the same luck, so
differences come from the scenarios). A shared clock says which week is on screen: *Step* moves
it one week and steps every column; *Play* does so repeatedly at the chosen speed.

Changing a column's control (an override of its scenario) restarts that column from week 0 with
the new value; it then re-runs, without pausing between weeks, until it is back at the clock's
week, so the columns compare the same week again. Overrides go through
:func:`~loyaltysim.scenario.load_scenario`, so a bad value is refused with the CLI's message and
the column keeps running as it was.

Threads: button handlers and the background worker (:meth:`Session.work`) both call these
methods; a lock keeps one model operation at a time. What the page shows is published through
Solara reactives holding frozen snapshots (``configs``, ``frames``, ``status``, ``headlines``),
set only outside the lock, always to the latest snapshot, in one batched render.

The counterfactual overlay ("without the supermarket", on by default, :meth:`Session.set_counterfactual`):
when a column reaches the week its competitor opens (or, without a competitor, its first event),
its model is copied just before that week and the copy runs without that week's events, one
step for each step of the column. Before the event the two runs are identical (common random
numbers), so the copy is exactly the run without the event from week 0
(:func:`~loyaltysim.counterfactual.fork_without_events`) and costs nothing before the event.
With the overlay off the copy is still made (one copy, no steps) and stands still; turned on, it
catches up with its column in the background.

Playing keeps up with its speed by drawing less often, not by stepping slower: the worker steps
the models on the speed's schedule and draws (freezes frames and publishes them) at most every
:data:`DRAW_SECONDS`, so at 20 weeks per second every fourth week is drawn. Pause takes the lock
between two weeks and draws the week it stopped at, so the screen stops within one week.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import solara

from loyaltysim.counterfactual import (
    event_weeks,
    fork_without_events,
    without_events_of_week,
    without_label,
)
from loyaltysim.model import LoyaltyModel
from loyaltysim.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    parse_override,
    shipped_scenarios,
)
from loyaltysim.ui.columns import ColumnConfig, ColumnRun, SessionStatus
from loyaltysim.ui.config import COLUMN_COLOURS, FIRM_COLOURS, MAX_CUSTOMERS, UIConfig
from loyaltysim.ui.download import scenario_file, tweaked
from loyaltysim.ui.frames import ColumnFrame, ModelSnapshot, SeriesReader, build_frame
from loyaltysim.ui.shock import events_with_shock, fire_shock, shock_pending, waiting_competitor
from loyaltysim.ui.uploads import read_upload

logger = logging.getLogger(__name__)


def column_name(index: int) -> str:
    """The letter a column goes by on the page: A, B, ..."""
    return chr(ord("A") + index)


#: Shortest time between two drawn weeks while playing (seconds): the render interval. Weeks in
#: between are simulated but not drawn. The Mesa headline plots (a Matplotlib figure each, the
#: slowest thing to draw) are redrawn only when the clock stands still (paused, stepped, changed).
DRAW_SECONDS = 0.2


#: Shortest time between two publications while a column re-runs to the clock's week (seconds).
CATCH_UP_PUBLISH_SECONDS = 0.25

Source = str | Scenario


class Session:
    """The columns of one browser tab and the clock they share. See the module docstring."""

    def __init__(
        self,
        sources: Sequence[Source],
        *,
        customers: int | None = None,
        seed: int | None = None,
        speed: float = 5.0,
        present: bool = False,
        max_customers: int = MAX_CUSTOMERS,
        draw_seconds: float = DRAW_SECONDS,
        counterfactual: bool = True,
    ):
        self.lock = threading.RLock()
        self._publish_lock = threading.Lock()
        self._wake = threading.Event()
        self.sources: dict[str, Source] = {name: name for name in shipped_scenarios()}
        self.firm_colours: dict[str, str] = {}
        self.columns: list[ColumnRun] = []
        self.week = 0
        self.playing = False
        self.speed = float(speed)
        self.customers = customers
        self.present = present
        self.max_customers = int(max_customers)
        self.draw_seconds = float(draw_seconds)
        self.counterfactual = bool(counterfactual)
        self.drawn_every = 1  # weeks advanced between the last two drawn weeks
        self._drawn_week = 0
        self._last_draw = 0.0
        self._headlines_stale = False
        #: Other browser tabs watching this session (``loyaltysim ui --shared``).
        self.views: list[Any] = []
        self._worker_lock = threading.Lock()  # one worker plays the clock, however many tabs
        self.shock_week: int | None = None
        self.error: str | None = None
        #: The page's reacton render context, set by the app; batches publications.
        self.render_context: contextlib.AbstractContextManager | None = None
        self._last_catch_up_publish = 0.0
        self._halted = False  # a model step failed: nothing runs until a column is rebuilt
        labels = [self._register_source(source) for source in sources]
        first = load_scenario(self.sources[labels[0]])
        self.seed = int(first.market.seed if seed is None else seed)
        for label in labels:
            self._add_column(label)
        self.configs = solara.reactive(self._configs())
        self.frames = solara.reactive(self._frames())
        self.status = solara.reactive(self._status())
        self.headlines = solara.reactive(self._headlines())

    @classmethod
    def from_config(cls, config: UIConfig) -> Session:
        """A session with the columns and settings ``loyaltysim ui`` was started with."""
        return cls(
            list(config.scenarios),
            customers=config.customers,
            seed=config.seed,
            present=config.present,
            max_customers=config.max_customers,
            counterfactual=config.counterfactual,
        )

    # -- sources and columns ---------------------------------------------------------------------
    def _register_source(self, source: Source) -> str:
        """Add a scenario source (shipped name, file path or validated scenario); its label."""
        if isinstance(source, Scenario):
            label = source.name or f"uploaded_{len(self.sources)}"
        elif source in self.sources:
            return source
        else:
            load_scenario(source)  # fail early, with the CLI's message
            label = Path(source).name
        self.sources[label] = source
        return label

    def _town_overrides(self) -> dict[str, Any]:
        town: dict[str, Any] = {"market.seed": self.seed}
        if self.customers is not None:
            town["market.customers"] = self.customers
        return town

    def _resolve(self, label: str, overrides: Mapping[str, Any]) -> tuple[Scenario, Scenario]:
        """(scenario with overrides, same with the shock applied) for a source; may raise."""
        base = load_scenario(self.sources[label], {**overrides, **self._town_overrides()})
        if base.market.customers > self.max_customers:
            raise ScenarioError(
                f"{label}: market.customers = {base.market.customers:,} is more than this UI runs "
                f"per column (at most {self.max_customers:,}; start it with 'loyaltysim ui "
                f"--max-customers N' to allow more)"
            )
        scenario = base
        competitor = waiting_competitor(base)
        if self.shock_week is not None and competitor is not None and competitor.week > self.shock_week:
            scenario = load_scenario(base, {"events": events_with_shock(base, self.shock_week)})
        return base, scenario

    def _colour_firms(self, scenario: Scenario) -> None:
        """Give each new firm key a colour, the scenario's focus firm first."""
        keys = [scenario.focus_firm] + [k for k in scenario.firm_ids if k != scenario.focus_firm]
        for key in keys:
            if key not in self.firm_colours:
                self.firm_colours[key] = FIRM_COLOURS[len(self.firm_colours) % len(FIRM_COLOURS)]

    def _rebuild(
        self, column: ColumnRun, label: str, overrides: Mapping[str, Any], firm: str | None = None
    ) -> None:
        """Point ``column`` at a source and overrides and restart it from week 0 (may raise
        ScenarioError, leaving the column as it was)."""
        base, scenario = self._resolve(label, overrides)
        model = LoyaltyModel(scenario, rng=self.seed)
        column.source_label, column.overrides = label, dict(overrides)
        column.base, column.scenario, column.model = base, scenario, model
        column.firm = firm if firm in scenario.firms else scenario.focus_firm
        column.shadow, column.shadow_week, column.shadow_reader = None, None, None
        column.error = None
        if self._halted:  # a fresh model: let the session run again
            self._halted, self.error = False, None
        self._colour_firms(scenario)
        self._freeze(column)

    def _add_column(self, label: str) -> ColumnRun:
        column = ColumnRun(len(self.columns), label)
        self._rebuild(column, label, {})
        self.columns.append(column)
        return column

    # -- snapshots and publishing ----------------------------------------------------------------
    def _freeze(self, column: ColumnRun) -> None:
        model, scenario, week = column.model, column.scenario, column.shadow_week
        assert model is not None and scenario is not None
        label = without_label(scenario, week) if week is not None else ""
        reader = None
        if self.counterfactual and column.shadow is not None:
            reader = column.shadow_reader
            if reader is None or reader.model is not column.shadow or reader.firm != column.firm:
                reader = column.shadow_reader = SeriesReader(column.shadow, column.firm)
        column.frame = build_frame(model, column.firm, self.firm_colours, reader, week, label)

    # -- the counterfactual overlay ----------------------------------------------------------------
    @staticmethod
    def _overlay_week(column: ColumnRun) -> int | None:
        """The week whose events the column's dashed line leaves out: its competitor's opening
        (moved by the shock, if fired), else its first event; None without events."""
        if column.scenario is None:
            return None
        competitor = waiting_competitor(column.scenario)
        if competitor is not None and competitor.week <= column.scenario.market.weeks:
            return competitor.week
        weeks = event_weeks(column.scenario)
        return weeks[0] if weeks else None

    def _without_note(self, column: ColumnRun) -> str:
        week, scenario = self._overlay_week(column), column.scenario
        if week is None or scenario is None:
            return ""
        return f"Dashed: the same run {without_label(scenario, week)} (same seed)."

    def _fork_shadow(self, column: ColumnRun) -> None:
        """Copy the column's model just before its event week, without that week's events (also
        with the overlay off: the copy then waits there, costing no time, until it is turned on)."""
        if column.shadow is not None:
            return
        week, model = self._overlay_week(column), column.model
        if week is not None and model is not None and week == model.week + 1:
            column.shadow, column.shadow_week = fork_without_events(model, week), week

    def _rebuild_shadow(self, column: ColumnRun) -> None:
        """The run without the column's event from week 0, for a column already past it with no
        copy made before it (its run without the event failed); it catches up in the background
        (:meth:`catch_up_once`), after a warm-up."""
        week, scenario = self._overlay_week(column), column.scenario
        if week is not None and scenario is not None and column.week >= week:
            spec = without_events_of_week(scenario, week)
            column.shadow, column.shadow_week = LoyaltyModel(spec, rng=self.seed), week

    def set_counterfactual(self, on: bool) -> None:
        """Show (and run) each column's "without the event" line, or not. Off, the run without
        the event stands still (no time spent on it); on again, it catches up with its column in
        the background."""
        with self.lock:
            self.counterfactual = bool(on)
            for column in self.columns:
                if self.counterfactual and column.shadow is None:
                    self._rebuild_shadow(column)
                self._freeze(column)
        self._wake.set()
        self._publish(configs=True)

    def _configs(self) -> tuple[ColumnConfig, ...]:
        return tuple(
            ColumnConfig(
                index=c.index,
                uid=c.uid,
                name=column_name(c.index),
                colour=COLUMN_COLOURS[c.index % len(COLUMN_COLOURS)],
                source=c.source_label,
                scenario=c.scenario,
                base=c.base,
                overrides=dict(c.overrides),
                firm=c.firm,
                error=c.error,
                shock_note=self._shock_note(c),
                without_note=self._without_note(c) if self.counterfactual else "",
            )
            for c in self.columns
        )

    def _frames(self) -> tuple[ColumnFrame, ...]:
        return tuple(c.frame for c in self.columns)

    def _status(self) -> SessionStatus:
        return SessionStatus(
            week=self.week,
            weeks=self.max_weeks,
            playing=self.playing,
            speed=self.speed,
            seed=self.seed,
            customers=self.customers,
            catching_up=self.catching_up,
            shock_week=self.shock_week,
            shock_available=self.shock_available,
            error=self.error,
            present=self.present,
            drawn_every=self.drawn_every,
            max_customers=self.max_customers,
            counterfactual=self.counterfactual,
        )

    def _shock_note(self, column: ColumnRun) -> str:
        competitor = waiting_competitor(column.base)
        if competitor is None:
            return "No competitor waiting to open in this scenario."
        moved = waiting_competitor(column.scenario)
        if moved is not None and moved.week != competitor.week:
            return f"{competitor.label}: week {moved.week} (shock; the file said {competitor.week})."
        return f"{competitor.label}: week {competitor.week}."

    def _headlines(self) -> tuple[ModelSnapshot, ...]:
        return tuple(c.frame.snapshot for c in self.columns)

    def _publish(self, configs: bool = False, headlines: bool | None = None) -> None:
        """Show the latest snapshots (called without holding ``lock``). ``headlines`` None:
        redraw the Mesa plots only with a new configuration; otherwise they are marked stale and
        the worker redraws them once the clock stands still (:meth:`redraw_headlines`), so a
        click (pause, step) is answered before the slow Matplotlib figures are drawn."""
        # The snapshot is taken under the publish lock too: otherwise a publisher that read the
        # state before a click (the worker) could set its older frames after the click's own.
        with self._publish_lock:
            with self.lock:
                frames, status = self._frames(), self._status()
                config_values = self._configs() if configs else None
                if headlines is None:
                    headlines = configs
                self._headlines_stale = not headlines
                headline_values = self._headlines() if headlines else None
            # One render for all three changes: the page's render context batches them (without
            # it, each subscribed component would trigger its own render pass over the whole
            # page). Shared views (other tabs) are set inside their own kernel context.
            for target in [self, *self.views]:
                scope = target.scope() if target is not self else contextlib.nullcontext()
                with scope, target.render_context or contextlib.nullcontext():
                    if config_values is not None:
                        target.configs.set(config_values)
                    target.frames.set(frames)
                    target.status.set(status)
                    if headline_values is not None:
                        target.headlines.set(headline_values)

    def attach(self, view: Any) -> None:
        """Show this session in another browser tab too (see :mod:`loyaltysim.ui.shared`)."""
        with self._publish_lock:
            with self.lock:
                snapshot = self.snapshot()
            self.views.append(view)
            with view.scope():
                for reactive, value in zip(
                    (view.configs, view.frames, view.status, view.headlines), snapshot, strict=True
                ):
                    reactive.set(value)

    def snapshot(self) -> tuple:
        """(configs, frames, status, headlines) as of now (``lock`` held by the caller)."""
        return self._configs(), self._frames(), self._status(), self._headlines()

    def detach(self, view: Any) -> None:
        """A tab closed: stop publishing to it."""
        with self._publish_lock:
            self.views = [v for v in self.views if v is not view]

    def redraw_headlines(self) -> bool:
        """Redraw the Mesa plots if they are behind and the clock stands still; whether it did."""
        with self.lock:
            due = self._headlines_stale and not self.playing
        if due:
            self._publish(headlines=True)
        return due

    def refresh(self, headlines: bool = False) -> None:
        """Rebuild every column's frame from its model and show it, without stepping (what a
        displayed week costs besides the model step; ``headlines`` also redraws the Mesa plots).
        """
        with self.lock:
            for column in self.columns:
                self._freeze(column)
        self._publish(headlines=headlines)

    # -- clock -----------------------------------------------------------------------------------
    @property
    def max_weeks(self) -> int:
        """The longest run among the columns."""
        return max((c.weeks for c in self.columns), default=0)

    @property
    def catching_up(self) -> bool:
        """Whether some column is behind the clock (re-running after a change)."""
        return any(c.week < min(self.week, c.weeks) for c in self.columns)

    @property
    def shock_available(self) -> bool:
        """Whether firing the shock now would open a competitor in some column."""
        return (
            self.shock_week is None
            and self.week < self.max_weeks
            and any(c.model is not None and shock_pending(c.model) is not None for c in self.columns)
        )

    def step(self, *, playing: bool = False) -> bool:
        """Advance the clock one week and step every column that is at the clock's week.

        Columns still re-running after a change are left to :meth:`catch_up_once`. Returns False
        (and stops playing) when every column has reached the end of its run. ``playing=True``
        (the worker) steps only if the session is still playing, so a pause takes effect at once,
        and draws the week only when a draw is due (:data:`DRAW_SECONDS`); a step by hand, the
        last week and the week play stopped at are always drawn.
        """
        with self.lock:
            if self._halted:
                self.playing = False
                return False
            if playing and not self.playing:
                return False
            if self.week >= self.max_weeks:
                self.playing = False
                advanced = False
            else:
                self.week += 1
                for column in self.columns:
                    due = column.week == self.week - 1 and column.week < column.weeks
                    if due and not self._step_model(column):
                        break
                if self.week >= self.max_weeks:
                    self.playing = False
                advanced = not self._halted
        if not playing or not self.playing or self._draw_due():
            self.draw()
        return advanced

    def _draw_due(self) -> bool:
        """Whether a played week is drawn: every week at speeds up to one week per draw
        interval, otherwise once the interval has passed since the last draw."""
        if 0 < self.speed <= 1.0 / self.draw_seconds:
            return True
        return time.monotonic() - self._last_draw >= self.draw_seconds

    def draw(self) -> None:
        """Freeze every column whose frame is behind its model and show the clock's week."""
        with self.lock:
            for column in self.columns:
                if column.frame is None or column.frame.week != column.week:
                    self._freeze(column)
            if self.week != self._drawn_week:
                self.drawn_every = max(1, self.week - self._drawn_week)
            self._drawn_week = self.week
            self._last_draw = time.monotonic()
        self._publish()

    def catch_up_once(self) -> bool:
        """Step each column that is behind the clock by one week, and each run without an event
        that is behind its column; False if none was behind."""
        with self.lock:
            behind = [] if self._halted else [c for c in self.columns if c.week < min(self.week, c.weeks)]
            for column in behind:
                if not self._step_model(column):
                    break
            running = self.counterfactual and not self._halted
            shadows = [c for c in self.columns if c.shadow_behind] if running else []
            for column in shadows:
                if not self._step_shadow(column):
                    break
            behind += [c for c in shadows if c not in behind]
            now = time.monotonic()
            done = not self.catching_up or self._halted
            publish = bool(behind) and (done or now - self._last_catch_up_publish >= CATCH_UP_PUBLISH_SECONDS)
            if publish:
                for column in behind:
                    self._freeze(column)
                self._last_catch_up_publish = now
        if publish:
            self._publish()
        return bool(behind) and not self._halted

    def _step_model(self, column: ColumnRun) -> bool:
        """One week of a column's model (``lock`` held). A failure stops the session with the
        message on the page instead of breaking it; rebuilding a column (reset, a control, a
        new scenario) lets it run again."""
        model = column.model
        assert model is not None
        try:
            self._fork_shadow(column)
            model.step()
        except Exception as exc:
            logger.exception("column %s failed in week %s", column_name(column.index), column.week + 1)
            self.playing = False
            self._halted = True
            self.error = (
                f"Column {column_name(column.index)} stopped with an error in week "
                f"{column.week + 1}: {exc}. Reset, or change a control, to run again."
            )
            return False
        shadow = column.shadow
        if self.counterfactual and shadow is not None and shadow.week == model.week - 1:
            self._step_shadow(column)  # in lockstep after the event
        return True

    def _step_shadow(self, column: ColumnRun) -> bool:
        """One week of a column's run without its event (``lock`` held). A failure drops the
        overlay of that column with a message; the column runs on."""
        shadow = column.shadow
        assert shadow is not None
        try:
            shadow.step()
        except Exception as exc:  # the overlay is optional: drop it, keep the column running
            logger.exception("the run without the event of column %s failed", column_name(column.index))
            column.shadow, column.shadow_week, column.shadow_reader = None, None, None
            column.error = f"The line without the event stopped with an error: {exc}"
            return False
        return True

    def catch_up(self) -> None:
        """Run every column to the clock's week (what the worker does in the background)."""
        while self.catch_up_once():
            pass

    def play(self) -> None:
        """Start playing at the chosen speed (the worker steps the clock)."""
        with self.lock:
            self.playing = self.week < self.max_weeks
        self._wake.set()
        self._publish()

    def pause(self) -> None:
        """Stop playing: no week starts after this returns, and the week it stopped at is
        drawn (weeks simulated since the last drawn one included)."""
        with self.lock:
            self.playing = False
        self.draw()

    def set_present(self, present: bool) -> None:
        """Presentation mode on or off (larger text, thicker lines, the headline charts)."""
        with self.lock:
            self.present = bool(present)
        self._publish()

    def set_speed(self, weeks_per_second: float) -> None:
        """Playing speed in displayed weeks per second (0: as fast as the engine goes)."""
        with self.lock:
            self.speed = max(0.0, float(weeks_per_second))
        self._wake.set()
        self._publish()

    def reset(self) -> None:
        """Every column back to week 0 (keeping its overrides); the shock is withdrawn."""
        with self.lock:
            self.playing = False
            self.week = self._drawn_week = 0
            self.shock_week = None
            self.error = None
            for column in self.columns:
                self._rebuild(column, column.source_label, column.overrides, column.firm)
        self._publish(configs=True)

    def work(self, cancel: threading.Event) -> None:
        """Background loop: re-run columns behind the clock, and step the clock while playing.

        Runs until ``cancel`` is set (the browser tab closed). With several tabs on one session
        (``--shared``) only one worker runs; the others wait to take over.
        """
        while not self._worker_lock.acquire(timeout=0.5):
            if cancel.is_set():
                return
        try:
            self._work(cancel)
        finally:
            self._worker_lock.release()

    def _work(self, cancel: threading.Event) -> None:
        next_week = time.monotonic()
        while not cancel.is_set():
            if self.catch_up_once():
                continue
            if self.playing:
                now = time.monotonic()
                if now < next_week:
                    cancel.wait(min(next_week - now, 0.05))
                    continue
                self.step(playing=True)
                # Keep to the schedule (drawing time does not slow the weeks down), but do not
                # rush to catch up more than a quarter of a second lost to a slow week.
                interval = 1.0 / self.speed if self.speed > 0 else 0.0
                next_week = max(next_week + interval, now - 0.25)
                continue
            next_week = time.monotonic()
            if self.redraw_headlines():
                continue
            self._wake.wait(0.2)
            self._wake.clear()

    # -- the shock -------------------------------------------------------------------------------
    def fire_shock(self) -> list[str]:
        """Open every column's waiting competitor at the start of the next week.

        Returns the labels of what was moved. The moved event is part of each column's scenario
        from now on (restarts and downloads keep it) until :meth:`reset`.
        """
        fired = []
        with self.lock:
            if self.shock_week is None and self.week < self.max_weeks:
                self.shock_week = self.week + 1
                for column in self.columns:
                    base, scenario = self._resolve(column.source_label, column.overrides)
                    column.base, column.scenario = base, scenario
                    if column.model.week < self.shock_week:
                        competitor = fire_shock(column.model, self.shock_week)
                        shadow = column.shadow  # a run without an earlier event gets the shock too
                        if shadow is not None and shadow.week < self.shock_week:
                            fire_shock(shadow, self.shock_week)
                        if competitor is not None:
                            fired.append(f"{column_name(column.index)}: {competitor.label}")
        self._publish(configs=True)
        return fired

    # -- column changes --------------------------------------------------------------------------
    def _change(self, index: int, label: str, overrides: Mapping[str, Any], firm: str | None = None) -> bool:
        """Restart column ``index`` with a new source/overrides; on a bad value keep it as it
        was and show the message. Returns whether the change was applied."""
        with self.lock:
            column = self.columns[index]
            try:
                self._rebuild(column, label, overrides, firm or column.firm)
                applied = True
            except ScenarioError as exc:
                column.error = str(exc)
                applied = False
        # One line per change in the server's log: a record of what a class or a board tried,
        # and the server's side of a page that did not show a change.
        name = column_name(index)
        if applied:
            changes = ", ".join(f"{key} = {value!r}" for key, value in overrides.items()) or "no changes"
            logger.info("column %s runs %s with %s, from week 0", name, label, changes)
        else:
            logger.info("column %s refused a change: %s", name, column.error)
        self._wake.set()
        self._publish(configs=True)
        return applied

    def set_override(self, index: int, key: str, value: Any) -> bool:
        """Set one dotted-key override in a column (a control moved); restarts the column."""
        with self.lock:
            column = self.columns[index]
            overrides = {**column.overrides, key: value}
        return self._change(index, column.source_label, overrides)

    def set_override_text(self, index: int, text: str) -> bool:
        """Apply ``KEY=VALUE`` typed by the user (any schema key, as ``--set`` on the CLI)."""
        try:
            key, value = parse_override(text)
        except ScenarioError as exc:
            with self.lock:
                self.columns[index].error = str(exc)
            self._publish(configs=True)
            return False
        return self.set_override(index, key, value)

    def remove_override(self, index: int, key: str) -> bool:
        """Drop one override (back to the scenario's value); restarts the column."""
        with self.lock:
            column = self.columns[index]
            overrides = {k: v for k, v in column.overrides.items() if k != key}
        return self._change(index, column.source_label, overrides)

    def clear_overrides(self, index: int) -> bool:
        """Drop every override of a column; restarts it."""
        return self._change(index, self.columns[index].source_label, {})

    def choose_scenario(self, index: int, label: str) -> bool:
        """Show another scenario in a column (its overrides are dropped)."""
        return self._change(index, label, {}, firm="")

    def choose_firm(self, index: int, firm: str) -> None:
        """Chart and control another firm of the column's scenario (the run goes on)."""
        with self.lock:
            column = self.columns[index]
            if firm in column.scenario.firms:
                column.firm = firm
                self._freeze(column)
        self._publish(configs=True)

    def upload(self, index: int, filename: str, data: bytes) -> bool:
        """Validate an uploaded scenario file and show it in column ``index``.

        A bad file leaves the column as it was and shows the same message as the CLI.
        """
        try:
            scenario = read_upload(filename, data)
        except ScenarioError as exc:
            with self.lock:
                self.columns[index].error = str(exc)
            self._publish(configs=True)
            return False
        with self.lock:
            label = Path(filename).name
            if isinstance(self.sources.get(label), str):  # do not shadow a shipped scenario
                label = f"{label} (uploaded)"
            self.sources[label] = scenario
        return self._change(index, label, {}, firm="")

    def add_column(self, label: str | None = None) -> None:
        """Add a column (by default showing the next shipped scenario not yet shown)."""
        with self.lock:
            shown = {c.source_label for c in self.columns}
            label = label or next((s for s in self.sources if s not in shown), next(iter(self.sources)))
            self._add_column(label)
        self._wake.set()
        self._publish(configs=True)

    def remove_column(self, index: int) -> None:
        """Remove a column (at least one stays)."""
        with self.lock:
            if len(self.columns) > 1:
                del self.columns[index]
                for i, column in enumerate(self.columns):
                    column.index = i
        self._publish(configs=True)

    def set_town(self, customers: int | None, seed: int) -> bool:
        """Set customers per column (None: each scenario's own) and the common seed; restarts
        every column. A value the schema refuses is shown and nothing changes."""
        with self.lock:
            previous = (self.customers, self.seed)
            self.customers, self.seed = customers, int(seed)
            try:
                for column in self.columns:
                    self._resolve(column.source_label, column.overrides)
            except ScenarioError as exc:
                self.customers, self.seed = previous
                self.error = str(exc)
            else:
                self.error = None
                self.playing = False
                for column in self.columns:
                    self._rebuild(column, column.source_label, column.overrides, column.firm)
        self._wake.set()
        self._publish(configs=True)
        return self.error is None

    # -- download --------------------------------------------------------------------------------
    def downloadable(self, index: int) -> Scenario:
        """The column's scenario as it runs on screen (see :func:`~loyaltysim.ui.download.tweaked`)."""
        with self.lock:
            column = self.columns[index]
            return tweaked(column.scenario, column.base, column.overrides, self.shock_week)

    def download_name(self, index: int) -> str:
        """File name offered for a column's scenario download."""
        return f"{self.downloadable(index).name or 'scenario'}.toml"

    def scenario_toml(self, index: int) -> str:
        """The column's scenario as TOML that ``loyaltysim run`` accepts unchanged."""
        with self.lock:
            column = self.columns[index]
            source, overrides = column.source_label, dict(column.overrides)
        return scenario_file(self.downloadable(index), source, self.seed, overrides)

    # -- for tests and the worker ------------------------------------------------------------------
    def column_week(self, index: int) -> int:
        """Weeks column ``index`` has run."""
        with self.lock:
            return self.columns[index].week

    def model(self, index: int) -> LoyaltyModel:
        """Column ``index``'s running model (read it only while holding ``lock``)."""
        return self.columns[index].model

    def config(self, index: int) -> ColumnConfig:
        """The latest configuration snapshot of a column."""
        with self.lock:
            return self._configs()[index]
