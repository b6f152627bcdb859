"""What a displayed week shows: the town map, its legend and the chart data."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from loyaltysim.model import LoyaltyModel
from loyaltysim.state import NEVER
from loyaltysim.ui import townmap
from loyaltysim.ui.charts import CHARTS, ChartColumn, loyalty_mix, retention_vs_loyalty
from loyaltysim.ui.config import LOYALTY_CELLS
from loyaltysim.ui.frames import build_frame
from loyaltysim.ui.shock import fire_shock

COLOURS = {"pharmacy": "#00897b", "supermarket": "#c62828", "brand": "#5e35b1"}


@pytest.fixture(scope="module")
def model() -> LoyaltyModel:
    model = LoyaltyModel("pharmacy_vs_brand", rng=2, overrides={"market.customers": 300})
    model.run(6)
    fire_shock(model, 7)
    model.run(4)
    return model


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_legend_counts_are_the_customer_bases_of_the_week(model):
    frame = build_frame(model, "pharmacy", COLOURS)
    table = model.firm_weekly()
    last = table[table["week"] == model.week].set_index("firm")
    for entry in frame.legend:
        assert entry.customers == last.loc[entry.firm, "customer_base"]
        assert entry.open == bool(model.spec.firms[entry.firm].open)
    assert frame.legend[[e.firm for e in frame.legend].index("supermarket")].open


def test_customer_colours_follow_firm_recency_and_attachment():
    model = LoyaltyModel("pharmacy_vs_brand", rng=3, overrides={"market.customers": 60})
    model.run(20)
    st, window = model.state, model.spec.market.base_window_weeks
    rgb = [townmap.hex_to_rgb(COLOURS[f.key]) for f in model.firms]
    pharmacy = model.firm_keys.index("pharmacy")
    cases = {
        0: (pharmacy, 20, 1.0),
        1: (pharmacy, 20, 0.0),
        2: (model.n_firms, 20, 0.5),
        3: (-1, NEVER, 0.5),
        4: (pharmacy, 20 - window, 1.0),
    }
    for row, (firm, week, attachment) in cases.items():
        st.last_firm[row], st.last_purchase_week[row] = firm, week
        if 0 <= firm < model.n_firms:
            st.attachment[row, firm] = attachment
    colour = townmap.customer_colours(model, rgb)
    assert tuple(colour[0]) == rgb[pharmacy]
    palest = 255 * (1 - townmap.PALEST) + np.array(rgb[pharmacy]) * townmap.PALEST
    np.testing.assert_allclose(colour[1], palest, atol=1)
    assert tuple(colour[2]) == townmap.OUTSIDE
    assert tuple(colour[3]) == townmap.NO_RECENT
    assert tuple(colour[4]) == townmap.NO_RECENT  # last purchase fell out of the base window


@pytest.mark.parametrize("dense", [False, True])
def test_map_marks_open_and_closed_firms_and_colours_households(model, monkeypatch, dense):
    if dense:  # the averaged-cells drawing, exercised on a small town
        monkeypatch.setattr(townmap, "DOTS_UP_TO", 10)
    png, _ = townmap.render_town(model, COLOURS)
    image = _decode(png)
    side = image.shape[0]
    assert image.shape == (side, side, 3) and side <= townmap.MAP_PIXELS
    town = model.spec.market.town_km
    for firm in model.firms:
        cx = round(firm.params.x_km / town * (side - 1))
        cy = round((town - firm.params.y_km) / town * (side - 1))
        assert tuple(image[cy - 5, cx]) == townmap.OUTLINE  # the square's border
        centre = townmap.hex_to_rgb(COLOURS[firm.key]) if firm.params.open else townmap.BACKGROUND
        assert tuple(image[cy, cx]) == centre
    # Households of the pharmacy appear in its hue somewhere on the map.
    teal = np.array(townmap.hex_to_rgb(COLOURS["pharmacy"]), dtype=float)
    white = np.full(3, 255.0)
    direction = (teal - white) / np.linalg.norm(teal - white)
    offsets = image.reshape(-1, 3).astype(float) - white
    along = offsets @ direction
    residual = np.linalg.norm(offsets - np.outer(along, direction), axis=1)
    assert ((along > 40) & (residual < 12)).sum() > 20


def _columns(model) -> list[ChartColumn]:
    other = LoyaltyModel("corner_pharmacy", rng=2, overrides={"market.customers": 300})
    other.run(3)
    return [
        ChartColumn("A", "#1565c0", build_frame(model, "pharmacy", COLOURS)),
        ChartColumn("B", "#e65100", build_frame(other, "pharmacy", COLOURS)),
    ]


def test_charts_are_json_and_show_every_column_week_by_week(model):
    columns = _columns(model)
    for spec in CHARTS:
        option = spec.build(columns)
        json.dumps(option, allow_nan=False)
        axes = option["xAxis"] if isinstance(option["xAxis"], list) else [option["xAxis"]]
        assert all(axis["max"] == 208 for axis in axes), spec.id
    retention = retention_vs_loyalty(columns)
    lengths = {s["name"]: len(s["data"]) for s in retention["series"]}
    assert lengths == {"A retention": 10, "A loyalty": 10, "B retention": 3, "B loyalty": 3}
    marks = retention["series"][0]["markLine"]["data"]
    assert marks == [{"xAxis": 7, "name": "Supermarket", "label": {"align": "left"}}]
    assert "markLine" not in retention["series"][2] or retention["series"][2]["markLine"]["data"] == []


def test_dick_basu_panels_stack_to_the_customer_base(model):
    columns = _columns(model)
    option = loyalty_mix(columns)
    assert len(option["grid"]) == 2 and len(option["series"]) == 2 * len(LOYALTY_CELLS)
    labels = {label: metric for metric, (label, _) in LOYALTY_CELLS.items()}
    for index, column in enumerate(columns):
        layers = {s["name"]: s["data"] for s in option["series"] if s["xAxisIndex"] == index}
        base = column.frame.series["customer_base"]
        own = {labels[name]: [value for _, _, value in data] for name, data in layers.items()}
        for metric, values in own.items():
            assert values == list(column.frame.series[metric])
        np.testing.assert_allclose(np.sum(list(own.values()), axis=0), base)
        # Drawn as running totals: the last cell's layer reaches the whole customer base.
        top = [stacked for _, stacked, _ in layers[LOYALTY_CELLS["no_loyal"][0]]]
        np.testing.assert_allclose(top, base)
        running = np.cumsum([own[m] for m in LOYALTY_CELLS], axis=0)
        for metric, expected in zip(LOYALTY_CELLS, running, strict=True):
            drawn = [stacked for _, stacked, _ in layers[LOYALTY_CELLS[metric][0]]]
            np.testing.assert_allclose(drawn, expected)
