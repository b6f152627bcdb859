"""Figures of simulation runs: per-run dashboards and scenario comparisons (matplotlib, Agg).

Every function takes the tidy per-firm weekly table (columns ``FIRM_WEEKLY_COLUMNS``: ``week``,
``firm`` and the metrics of :data:`loyaltysim.metrics.FIRM_METRICS`) and returns
:class:`matplotlib.figure.Figure` objects drawn on an Agg canvas. Nothing here touches pyplot's
global state or opens a window, so the module is safe in scripts, tests, servers and notebooks.

Event weeks are marked with dotted vertical lines at the week the change takes effect, labelled on
the top row of panels. The x axis is always the simulated week (one tick = one week).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

if TYPE_CHECKING:
    from loyaltysim.counterfactual import EventEffects
    from loyaltysim.runs import RunLike

__all__ = [
    "NPS_SMOOTHING_WEEKS",
    "comparison_dashboard_figure",
    "comparison_figures",
    "comparison_loyalty_figure",
    "complaints_figure",
    "counterfactual_figure",
    "dashboard_figure",
    "dick_basu_figure",
    "effects_figure",
    "figure_png",
    "render_png",
    "run_figures",
    "save_figures",
]

#: Weeks of the rolling mean applied to the surveyed NPS before plotting (weekly samples are small).
NPS_SMOOTHING_WEEKS = 4

Events = Iterable[tuple[int, str]]
#: ``{file stem: (caption, figure)}`` as returned by :func:`run_figures`/:func:`comparison_figures`.
Figures = dict[str, tuple[str, Figure]]

DICK_BASU = (
    ("true_loyal", "true loyalty (attached, heavy patron)", "#1a9850"),
    ("latent_loyal", "latent loyalty (attached, light patron)", "#91cf60"),
    ("spurious_loyal", "spurious loyalty (merely retained)", "#fc8d59"),
    ("no_loyal", "no loyalty", "#bdbdbd"),
)
COMPLAINT_OUTCOMES = (
    ("resolved_on_spot", "resolved on the spot", "#1a9850"),
    ("resolved_escalated", "resolved after escalation", "#fee08b"),
    ("unresolved", "unresolved", "#d73027"),
)


# --------------------------------------------------------------------------------------------------
# Helpers


def _new_figure(
    rows: int, cols: int, width: float = 12.0, row_height: float = 3.2
) -> tuple[Figure, np.ndarray]:
    """A constrained-layout figure on an Agg canvas and its axes as a 2-D array."""
    fig = Figure(figsize=(width, row_height * rows + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    return fig, axes


def _colors(keys: Sequence[str]) -> dict[str, str]:
    """A stable colour per key (firm or scenario) from the tab10 cycle."""
    cycle = mpl.colormaps["tab10"].colors
    return {key: mpl.colors.to_hex(cycle[i % len(cycle)]) for i, key in enumerate(keys)}


def _firms(firm_weekly: pd.DataFrame, labels: Mapping[str, str] | None = None) -> list[str]:
    """Firms in the table: those in ``labels`` first, in its order, then the rest as they appear."""
    present = list(dict.fromkeys(firm_weekly["firm"]))
    ordered = [firm for firm in (labels or {}) if firm in present]
    return ordered + [firm for firm in present if firm not in ordered]


def _series(firm_weekly: pd.DataFrame, firm: str, metric: str) -> pd.Series:
    frame = firm_weekly[firm_weekly["firm"] == firm].sort_values("week")
    return pd.Series(frame[metric].to_numpy(dtype=float), index=frame["week"].to_numpy())


def _merge_events(events: Events) -> list[tuple[int, str]]:
    """Events grouped by week (labels of the same week joined with " / ")."""
    by_week: dict[int, list[str]] = {}
    for week, label in events:
        labels = by_week.setdefault(int(week), [])
        if label and label not in labels:
            labels.append(str(label))
    return [(week, " / ".join(labels)) for week, labels in sorted(by_week.items())]


#: Characters of an event label written on a panel (about the height of a 3-inch panel at 7 pt).
EVENT_LABEL_CHARS = 60


def _shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mark_events(axes: Iterable[Axes], events: Events, label_axes: Iterable[Axes] = ()) -> None:
    """Draw a dotted vertical line at each event week on ``axes``; write the event's label
    (rotated, at the top) on ``label_axes``."""
    merged = _merge_events(events)
    label_set = set(map(id, label_axes))
    for ax in axes:
        for week, label in merged:
            ax.axvline(week, color="0.35", linestyle=":", linewidth=1.0, zorder=0)
            if id(ax) in label_set and label:
                ax.text(
                    week,
                    0.98,
                    f" {_shorten(label, EVENT_LABEL_CHARS)}",
                    transform=ax.get_xaxis_transform(),
                    rotation=90,
                    va="top",
                    ha="right",
                    fontsize=7,
                    color="0.3",
                    bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1},
                    # Labels of one week are joined and can still run longer than a short panel:
                    # cut at its edge rather than let the layout shrink the panel to nothing.
                    clip_on=True,
                    in_layout=False,
                )


def _finish(fig: Figure, axes: np.ndarray, title: str, events: Events) -> Figure:
    """Title, week labels on the bottom row, event markers, light grids."""
    fig.suptitle(title, fontsize=12)
    for ax in axes[-1]:
        ax.set_xlabel("week")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    mark_events(axes.flat, events, label_axes=axes[0])
    return fig


def _percent(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))


def _dollars(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{'-' if v < 0 else ''}${abs(v):,.0f}"))


def smoothed_nps(
    nps: pd.Series, se: pd.Series, weeks: int = NPS_SMOOTHING_WEEKS
) -> tuple[pd.Series, pd.Series]:
    """Rolling mean of the weekly surveyed NPS (points) and its standard error (points).

    Weekly surveys are independent samples, so the SE of a k-week mean is sqrt(sum SE^2) / k.
    Weeks without a survey (NaN) are skipped.
    """
    mean = nps.rolling(weeks, min_periods=1).mean()
    count = nps.notna().astype(float).rolling(weeks, min_periods=1).sum()
    var = (se.where(nps.notna()) ** 2).rolling(weeks, min_periods=1).sum()
    return mean, np.sqrt(var) / count.replace(0, np.nan)


def _plot_nps(ax: Axes, nps: pd.Series, se: pd.Series, color: str, label: str) -> None:
    mean, err = smoothed_nps(nps, se)
    ax.plot(mean.index, mean, color=color, label=label)
    ax.fill_between(mean.index, mean - err, mean + err, color=color, alpha=0.2, linewidth=0)


# --------------------------------------------------------------------------------------------------
# One run


def _stacked_panels(
    firm_weekly: pd.DataFrame,
    labels: Mapping[str, str] | None,
    stack: Sequence[tuple[str, str, str]],
    ylabel: str,
) -> tuple[Figure, np.ndarray]:
    """One panel per firm (two columns), each a stacked area of the ``(metric, label, colour)``
    series in ``stack``; unused panels are hidden."""
    labels = labels or {}
    firms = _firms(firm_weekly, labels)
    cols = min(2, len(firms))
    fig, axes = _new_figure(-(-len(firms) // cols), cols)
    for ax, firm in zip(axes.flat, firms, strict=False):
        parts = [_series(firm_weekly, firm, key).fillna(0.0) for key, _, _ in stack]
        ax.stackplot(
            parts[0].index,
            *parts,
            labels=[label for _, label, _ in stack],
            colors=[color for _, _, color in stack],
            alpha=0.9,
        )
        ax.set_title(labels.get(firm, firm))
        ax.set_ylabel(ylabel)
    for ax in axes.flat[len(firms) :]:
        ax.set_visible(False)
    return fig, axes


def dick_basu_figure(
    firm_weekly: pd.DataFrame, events: Events = (), labels: Mapping[str, str] | None = None
) -> Figure:
    """Dick & Basu loyalty cells of each firm's customer base over time (stacked, customers).

    Why: retention hides composition. A stable customer base can be mostly spuriously loyal
    (retained by convenience, orange) or truly loyal (attached, green); the split decides who
    leaves when a competitor opens. One panel per firm; the stack sums to the customer base.
    """
    fig, axes = _stacked_panels(firm_weekly, labels, DICK_BASU, "customers")
    axes.flat[0].legend(loc="lower left", fontsize=7)
    return _finish(fig, axes, "Customer base by Dick & Basu loyalty cell", events)


def dashboard_figure(
    firm_weekly: pd.DataFrame, events: Events = (), labels: Mapping[str, str] | None = None
) -> Figure:
    """Six panels, one line per firm: retention, market share, NPS, engagement, turnover, profit.

    Units: retention per purchase occasion (solid) and of the customer base over a quarter (dashed)
    as shares; market share of this week's purchases; surveyed NPS in points (4-week rolling mean,
    band = ±1 standard error of that mean); mean employee engagement (0-1); weekly staff turnover
    (share of staff quitting per week); profit in dollars per week.
    """
    labels = labels or {}
    firms = _firms(firm_weekly, labels)
    colors = _colors(firms)
    fig, axes = _new_figure(3, 2, row_height=3.0)
    (ret, share), (nps, engage), (turn, profit) = axes
    for firm in firms:
        c, name = colors[firm], labels.get(firm, firm)
        ret.plot(*_xy(firm_weekly, firm, "retention_purchase"), color=c, label=name)
        ret.plot(*_xy(firm_weekly, firm, "retention_base"), color=c, linestyle="--")
        share.plot(*_xy(firm_weekly, firm, "market_share"), color=c, label=name)
        _plot_nps(nps, _series(firm_weekly, firm, "nps"), _series(firm_weekly, firm, "nps_se"), c, name)
        engage.plot(*_xy(firm_weekly, firm, "engagement_mean"), color=c, label=name)
        turn.plot(*_xy(firm_weekly, firm, "turnover"), color=c, label=name)
        profit.plot(*_xy(firm_weekly, firm, "profit"), color=c, label=name)
    ret.set_title("Retention: per purchase (solid), customer base per quarter (dashed)")
    share.set_title("Market share of purchases")
    nps.set_title(f"NPS, {NPS_SMOOTHING_WEEKS}-week mean ± 1 SE (survey)")
    nps.set_ylabel("points")
    engage.set_title("Employee engagement (mean, 0-1)")
    turn.set_title("Staff turnover (share quitting per week)")
    profit.set_title("Profit (dollars per week)")
    for ax in (ret, share, turn):
        _percent(ax)
    _dollars(profit)
    profit.axhline(0, color="0.5", linewidth=0.8)
    fig.legend(
        *ret.get_legend_handles_labels(), loc="outside lower center", ncols=min(6, len(firms)), fontsize=8
    )
    return _finish(fig, axes, "Firm dashboard", events)


def _xy(firm_weekly: pd.DataFrame, firm: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
    series = _series(firm_weekly, firm, metric)
    return series.index.to_numpy(), series.to_numpy()


def complaints_figure(
    firm_weekly: pd.DataFrame, events: Events = (), labels: Mapping[str, str] | None = None
) -> Figure:
    """Complaints per week by outcome (stacked): resolved on the spot, after escalation, unresolved.

    Why: empowered frontline staff fix problems on the spot; in low-empowerment cultures complaints
    climb the chain or die unresolved. The dashed line counts failures nobody complained about (the
    silent dissatisfied). One panel per firm; units are complaints (or failures) per week.
    """
    fig, axes = _stacked_panels(firm_weekly, labels, COMPLAINT_OUTCOMES, "per week")
    for ax, firm in zip(axes.flat, _firms(firm_weekly, labels or {}), strict=False):
        ax.plot(
            *_xy(firm_weekly, firm, "silent_failures"),
            color="0.2",
            linestyle="--",
            linewidth=1.0,
            label="silent failures (no complaint)",
        )
    axes.flat[0].legend(loc="upper left", fontsize=7)
    return _finish(fig, axes, "Complaints by outcome", events)


def run_figures(run: RunLike) -> Figures:
    """The per-run figures for ``loyaltysim run``: ``{file stem: (caption, figure)}``."""
    df, events = run.firm_weekly, run.events
    focus = run.scenario.focus_firm
    firms = run.scenario.firms
    labels = {key: firms[key].label or key for key in [focus, *(k for k in firms if k != focus)]}
    name = run.scenario.name
    return {
        "dick_basu": (
            f"{name}: customer base by Dick & Basu loyalty cell",
            dick_basu_figure(df, events, labels),
        ),
        "dashboard": (
            f"{name}: retention, market share, NPS, engagement, turnover, profit",
            dashboard_figure(df, events, labels),
        ),
        "complaints": (f"{name}: complaints by outcome", complaints_figure(df, events, labels)),
    }


# --------------------------------------------------------------------------------------------------
# Comparisons


def _focus_frames(runs: Sequence[RunLike]) -> dict[str, pd.DataFrame]:
    """Each run's focus firm rows, keyed by a unique display title."""
    from loyaltysim.runs import run_title

    frames: dict[str, pd.DataFrame] = {}
    for run in runs:
        title = run_title(run)
        key, n = title, 2
        while key in frames:
            key, n = f"{title} #{n}", n + 1
        df = run.firm_weekly
        frames[key] = df[df["firm"] == run.scenario.focus_firm].sort_values("week")
    return frames


def _line(ax: Axes, frame: pd.DataFrame, metric: str, **kwargs: object) -> None:
    ax.plot(frame["week"].to_numpy(), frame[metric].to_numpy(dtype=float), **kwargs)


def comparison_loyalty_figure(frames: Mapping[str, pd.DataFrame], events: Events = ()) -> Figure:
    """Truly loyal vs spuriously loyal (merely retained) customers, and the customer base.

    Why: two firms can retain the same number of customers for opposite reasons; the left panel
    shows which kind each scenario's focus firm has (customers, solid = true loyalty, dashed =
    spurious loyalty), the right panel what happens to the whole customer base (customers).
    ``frames`` maps a scenario title to that scenario's focus-firm rows.
    """
    colors = _colors(list(frames))
    fig, axes = _new_figure(1, 2, row_height=4.2)
    loyal, base = axes[0]
    for title, frame in frames.items():
        _line(loyal, frame, "true_loyal", color=colors[title], label=f"{title}: truly loyal")
        _line(
            loyal,
            frame,
            "spurious_loyal",
            color=colors[title],
            linestyle="--",
            label=f"{title}: spuriously loyal",
        )
        _line(base, frame, "customer_base", color=colors[title], label=title)
    loyal.set_title("Truly loyal (solid) vs merely retained (dashed)")
    loyal.set_ylabel("customers")
    base.set_title("Customer base")
    base.set_ylabel("customers")
    fig.legend(*loyal.get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=8)
    return _finish(fig, axes, "Loyalty is not retention: focus firm of each scenario", events)


def comparison_dashboard_figure(frames: Mapping[str, pd.DataFrame], events: Events = ()) -> Figure:
    """Four panels comparing the scenarios' focus firms: retention, NPS, engagement, profit.

    Units: customer-base retention over a quarter (share); surveyed NPS in points
    (4-week rolling mean, band = ±1 standard error); mean employee engagement (0-1); profit in
    dollars per week. ``frames`` maps a scenario title to that scenario's focus-firm rows.
    """
    colors = _colors(list(frames))
    fig, axes = _new_figure(2, 2, row_height=3.4)
    (ret, nps), (engage, profit) = axes
    for title, frame in frames.items():
        c = colors[title]
        _line(ret, frame, "retention_base", color=c, label=title)
        weeks = frame["week"].to_numpy()
        _plot_nps(
            nps,
            pd.Series(frame["nps"].to_numpy(dtype=float), index=weeks),
            pd.Series(frame["nps_se"].to_numpy(dtype=float), index=weeks),
            c,
            title,
        )
        _line(engage, frame, "engagement_mean", color=c, label=title)
        _line(profit, frame, "profit", color=c, label=title)
    ret.set_title("Retention of the customer base (per quarter)")
    _percent(ret)
    nps.set_title(f"NPS, {NPS_SMOOTHING_WEEKS}-week mean ± 1 SE (survey)")
    nps.set_ylabel("points")
    engage.set_title("Employee engagement (mean, 0-1)")
    profit.set_title("Profit (dollars per week)")
    _dollars(profit)
    profit.axhline(0, color="0.5", linewidth=0.8)
    fig.legend(
        *ret.get_legend_handles_labels(), loc="outside lower center", ncols=min(4, len(frames)), fontsize=8
    )
    return _finish(fig, axes, "Focus firm of each scenario", events)


def comparison_figures(runs: Sequence[RunLike]) -> Figures:
    """The figures for ``loyaltysim compare`` and its report: ``{file stem: (caption, figure)}``.

    Event lines show every event that fired in any of the runs.
    """
    frames = _focus_frames(runs)
    events = [event for run in runs for event in run.events]
    return {
        "compare_loyalty": (
            "Truly loyal vs merely retained customers, and the customer base, of each scenario's focus firm",
            comparison_loyalty_figure(frames, events),
        ),
        "compare_dashboard": (
            "Retention, NPS (± 1 SE), employee engagement and profit of each scenario's focus firm",
            comparison_dashboard_figure(frames, events),
        ),
    }


# --------------------------------------------------------------------------------------------------
# Counterfactuals

#: Focus metrics drawn with and without an event: (metric, panel title, dollars?).
COUNTERFACTUAL_PANELS = (
    ("revenue", "Revenue (dollars per week)", True),
    ("customer_base", "Customer base (customers)", False),
)


def counterfactual_figure(
    lines: Mapping[str, tuple[pd.DataFrame, pd.DataFrame | None, str]],
    events: Events = (),
    title: str = "With the event (solid) and without it (dashed), same seed",
) -> Figure:
    """Revenue per week and customer base with an event (solid) and in the same run without it
    (dashed, same seed: identical before the event, so the gap after it is the event's doing).

    ``lines`` maps a display title to ``(factual rows, counterfactual rows, without label)``, the
    rows being one firm's ``firm_weekly`` rows of the run and of the run without the event (None:
    no dashed line, e.g. for the firm the event opens); the dashed line's legend reads
    "<title>: <without label>" ("without the supermarket").
    """
    colors = _colors(list(lines))
    fig, axes = _new_figure(1, len(COUNTERFACTUAL_PANELS), row_height=4.2)
    for ax, (metric, panel, dollars) in zip(axes[0], COUNTERFACTUAL_PANELS, strict=True):
        for name, (factual, counterfactual, without) in lines.items():
            _line(ax, factual.sort_values("week"), metric, color=colors[name], label=name)
            if counterfactual is None:
                continue
            _line(
                ax,
                counterfactual.sort_values("week"),
                metric,
                color=colors[name],
                linestyle="--",
                label=f"{name}: {without}",
            )
        ax.set_title(panel)
        if dollars:
            _dollars(ax)
        else:
            ax.set_ylabel("customers")
        ax.set_ylim(bottom=0)
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=8)
    return _finish(fig, axes, title, events)


def effects_figure(pairs: Sequence[tuple[EventEffects, Sequence[str]]]) -> Figure:
    """:func:`counterfactual_figure` of measured events: for each ``(effects, firms)``, those
    firms with and without the first event week measured (with several, named by scenario)."""
    from loyaltysim.counterfactual import opened_firms, without_label

    lines: dict[str, tuple[pd.DataFrame, pd.DataFrame | None, str]] = {}
    events: list[tuple[int, str]] = []
    for effects, firms in pairs:
        week = effects.weeks[0]
        spec = effects.scenario
        events.append((week, effects.label(week)))
        counter = effects.counterfactual[week]
        for firm in firms:
            name = spec.firms[firm].label or firm
            if len(pairs) > 1:
                name = f"{spec.name} ({name})"
            factual = effects.factual[effects.factual["firm"] == firm]
            # a firm the event opens was closed without it: no dashed line along zero
            without = None if firm in opened_firms(spec, week) else counter[counter["firm"] == firm]
            lines[name] = (factual, without, without_label(spec, week))
    return counterfactual_figure(lines, events, "With the event (solid) and without it (dashed), same seed")


# --------------------------------------------------------------------------------------------------
# Output


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """Render ``fig`` to PNG bytes (Agg)."""
    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def render_png(figures: Figures, dpi: int = 110) -> dict[str, tuple[str, bytes]]:
    """Render ``{stem: (caption, figure)}`` to ``{stem: (caption, PNG bytes)}``."""
    return {name: (caption, figure_png(fig, dpi)) for name, (caption, fig) in figures.items()}


def save_figures(
    figures: Figures | Mapping[str, tuple[str, bytes]], out_dir: str | Path, dpi: int = 110
) -> list[Path]:
    """Write each figure (or already-rendered PNG bytes) to ``out_dir/<stem>.png``; return paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (_, item) in figures.items():
        data = item if isinstance(item, bytes) else figure_png(item, dpi)
        path = out / f"{name}.png"
        path.write_bytes(data)
        paths.append(path)
    return paths
