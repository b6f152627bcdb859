"""The town map: customers coloured by the firm they use, shaded by attachment; firms marked.

The map is rasterised with NumPy into a small PNG (tens of kilobytes) rather than drawn as one
vector mark per customer, so 20,000 or 2,000,000 customers cost the browser the same. In a sparse
town each customer is a dot, sized by the population density; in a dense town (more than
:data:`DOTS_UP_TO` customers) each small square cell shows the average colour of the households
in it, so territories and attachment read as areas rather than as speckle.

Colours: a customer whose most recent purchase, within the customer-base window, was at firm f is
drawn in f's colour, pale at attachment 0 and full at attachment 1; one who last bought outside
the town is dark grey; one with no recent purchase is light grey. Open firms are filled squares with
a dark outline; closed firms are outlined only.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from loyaltysim.model import LoyaltyModel

#: Side of the map image in pixels.
MAP_PIXELS = 240

BACKGROUND = (250, 250, 250)
NO_RECENT = (224, 224, 224)
OUTSIDE = (117, 117, 117)
OUTLINE = (33, 33, 33)

#: Share of the firm colour at attachment 0 (the rest is white); full colour at attachment 1.
PALEST = 0.35

#: Up to this many customers, each is drawn as a dot; above, cells show average colours.
DOTS_UP_TO = 5000

#: Households per cell, on average, in a dense town's map.
HOUSEHOLDS_PER_CELL = 1.5


@dataclass(frozen=True)
class LegendEntry:
    """One firm on the map: its key, label, colour, open or not, and customers in its base."""

    firm: str
    label: str
    colour: str
    open: bool
    customers: int


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """``"#00897b"`` -> ``(0, 137, 123)``."""
    text = colour.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def dot_size(customers: int, pixels: int = MAP_PIXELS) -> int:
    """Side of one customer's dot in pixels: larger for sparse towns, 1 pixel for dense ones."""
    if customers <= 0:
        return 1
    return int(np.clip(round(pixels / np.sqrt(customers) / 1.5), 1, 6))


def customer_colours(model: LoyaltyModel, colours: list[tuple[int, int, int]]) -> np.ndarray:
    """RGB (n, 3) uint8 colour of every customer, from last week's firm and attachment."""
    state, market = model.state, model.spec.market
    n, n_firms = model.n_customers, model.n_firms
    last = state.last_firm.astype(np.int64)
    recent = (last >= 0) & (model.week - state.last_purchase_week < market.base_window_weeks)
    at_firm = recent & (last < n_firms)
    result = np.empty((n, 3), dtype=np.float64)
    result[:] = NO_RECENT
    result[recent & (last >= n_firms)] = OUTSIDE
    rows = np.flatnonzero(at_firm)
    firm = last[rows]
    attachment = np.clip(state.attachment[rows, firm], 0.0, 1.0)
    share = (PALEST + (1.0 - PALEST) * attachment)[:, None]
    palette = np.asarray(colours, dtype=np.float64)
    result[rows] = 255.0 * (1.0 - share) + palette[firm] * share
    return result.astype(np.uint8)


def _draw_firm(
    image: np.ndarray, cx: int, cy: int, colour: tuple[int, int, int], is_open: bool, half: int = 5
) -> None:
    size = image.shape[0]
    y0, y1 = max(cy - half, 0), min(cy + half + 1, size)
    x0, x1 = max(cx - half, 0), min(cx + half + 1, size)
    image[y0:y1, x0:x1] = OUTLINE
    inner = colour if is_open else BACKGROUND
    image[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2] = inner


def render_town(
    model: LoyaltyModel, firm_colours: Mapping[str, str], pixels: int = MAP_PIXELS
) -> tuple[bytes, tuple[LegendEntry, ...]]:
    """The town map of ``model`` as PNG bytes, and its legend.

    ``firm_colours`` maps firm keys to ``#rrggbb`` colours. Reads only public model attributes:
    ``population`` (x, y in km), ``state`` (last firm, last purchase week, attachment), ``firms``,
    ``spec`` and ``week``.
    """
    town = model.spec.market.town_km
    keys = [firm.key for firm in model.firms]
    rgb = [hex_to_rgb(firm_colours[key]) for key in keys]
    colour = customer_colours(model, rgb)
    x, y = model.population["x"], model.population["y"]
    if model.n_customers <= DOTS_UP_TO:
        image = _dots(x, y, colour, town, pixels)
    else:
        image = _cells(x, y, colour, town, pixels)
    pixels = image.shape[0]
    for firm, firm_rgb in zip(model.firms, rgb, strict=True):
        cx = round(firm.params.x_km / town * (pixels - 1))
        cy = round((town - firm.params.y_km) / town * (pixels - 1))
        _draw_firm(image, cx, cy, firm_rgb, bool(firm.params.open))
    buffer = io.BytesIO()
    Image.fromarray(image, mode="RGB").save(buffer, format="PNG", compress_level=1)
    legend = tuple(
        LegendEntry(
            firm=firm.key,
            label=firm.label,
            colour=firm_colours[firm.key],
            open=bool(firm.params.open),
            customers=int(count),
        )
        for firm, count in zip(model.firms, _base_counts(model), strict=True)
    )
    return buffer.getvalue(), legend


def _dots(x: np.ndarray, y: np.ndarray, colour: np.ndarray, town: float, pixels: int) -> np.ndarray:
    """Each household a square dot (north up: y grows upwards in town, downwards in images)."""
    image = np.empty((pixels, pixels, 3), dtype=np.uint8)
    image[:] = BACKGROUND
    size = dot_size(len(x), pixels)
    scale = (pixels - size) / town
    px = np.clip((x * scale).astype(np.int64), 0, pixels - size)
    py = np.clip(((town - y) * scale).astype(np.int64), 0, pixels - size)
    for dy in range(size):
        for dx in range(size):
            image[py + dy, px + dx] = colour
    return image


def _cells(x: np.ndarray, y: np.ndarray, colour: np.ndarray, town: float, pixels: int) -> np.ndarray:
    """Square cells of about :data:`HOUSEHOLDS_PER_CELL` households, each the average colour of
    its households (empty cells show the background)."""
    cell = max(1, int(np.ceil(np.sqrt(HOUSEHOLDS_PER_CELL * pixels * pixels / len(x)))))
    side = max(1, pixels // cell)
    cx = np.clip((x / town * side).astype(np.int64), 0, side - 1)
    cy = np.clip(((town - y) / town * side).astype(np.int64), 0, side - 1)
    index = cy * side + cx
    counts = np.bincount(index, minlength=side * side)
    grid = np.empty((side * side, 3))
    grid[:] = BACKGROUND
    filled = counts > 0
    for channel in range(3):
        sums = np.bincount(index, weights=colour[:, channel], minlength=side * side)
        grid[filled, channel] = sums[filled] / counts[filled]
    image = grid.reshape(side, side, 3).round().astype(np.uint8)
    return np.repeat(np.repeat(image, cell, axis=0), cell, axis=1)


def _base_counts(model: LoyaltyModel) -> np.ndarray:
    """Customers whose most recent purchase, within the base window, was at each firm."""
    state = model.state
    last = state.last_firm.astype(np.int64)
    recent = (
        (last >= 0)
        & (last < model.n_firms)
        & (model.week - state.last_purchase_week < model.spec.market.base_window_weeks)
    )
    return np.bincount(last[recent], minlength=model.n_firms)[: model.n_firms]
