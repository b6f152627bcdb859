"""The browser UI in a real browser: Debian's Chromium driven by Playwright.

Starts ``loyaltysim ui`` (the real command), runs both columns, sets a dollar limit with the
keyboard and by typing it, fires the shock, downloads the tweaked scenario and validates it,
uploads a bad file, and saves screenshots. The layout test checks at 1366x768 and 1920x1080 that
the toolbar and the headline views of both columns are in view without scrolling (and the
toolbar stays there when the page scrolls), that chart and monitor text is at least 12 px (18 px
in presentation mode), and that no chart label leaves its chart or overlaps another; at 390x844
that nothing runs off a phone's screen. Set ``LOYALTYSIM_UPDATE_SCREENSHOT=1`` to copy the
1366x768 screenshot to ``docs/img/ui.png``.
"""

from __future__ import annotations

import os
import shutil
import time
import warnings
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect, sync_playwright

from loyaltysim.scenario import load_scenario
from loyaltysim.ui.controls import control_groups

README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "ui.png"
FRONTLINE = "firms.pharmacy.culture.empowerment.frontline"
TIMEOUT_MS = 30_000


class Stopwatch:
    """Prints how long the test took to reach each phase (shown with ``pytest -s``)."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def __call__(self, phase: str) -> None:
        print(f"[browser test] {time.monotonic() - self.start:6.1f} s  {phase}", flush=True)


def week(page: Page, testid: str = "week") -> int:
    return int(page.get_by_test_id(testid).get_attribute("data-week"))


def wait_week(page: Page, value: int, testid: str = "week") -> None:
    expect(page.get_by_test_id(testid)).to_have_attribute("data-week", str(value), timeout=TIMEOUT_MS)


def step(page: Page, times: int = 1) -> None:
    for _ in range(times):
        before = week(page)
        page.get_by_test_id("step").click()
        wait_week(page, before + 1)


def frontline_grid() -> tuple[float, ...]:
    """Slider positions of the pharmacy's frontline limit (the UI reads them from the schema)."""
    scenario = load_scenario("corner_pharmacy")
    controls = {c.key: c for g in control_groups(scenario, "pharmacy") for c in g.controls}
    return controls[FRONTLINE].values


def type_amount(number: Locator, control: Locator, typed: str, shown: str, server_log: Path) -> None:
    """Type an amount and press Enter; the control must show it.

    On a loaded CI machine the page has now and then kept the old amount for 30 s (never in 31
    runs here: alone, beside three CPU hogs, or beside the heaviest tests). The server logs each
    change it applies, so the test tells whether the entry reached the session (the page then
    missed its update) or not (the entry was lost on the way), says so in a warning and tries
    once more, as a person would. A second miss fails."""

    def changes() -> list[str]:
        return [
            line for line in server_log.read_text(errors="replace").splitlines() if f"{FRONTLINE} = " in line
        ]

    for attempt in (1, 2):
        seen = len(changes())
        number.fill(typed)
        number.press("Enter")
        try:
            expect(control).to_have_attribute("data-value", shown, timeout=TIMEOUT_MS)
            return
        except AssertionError:
            reached = [line for line in changes()[seen:] if f"{FRONTLINE} = {typed}," in line]
            where = (
                f"the session applied it ({reached[-1]!r}) but the page did not show it"
                if reached
                else "the entry never reached the session"
            )
            message = (
                f"typed ${typed} + Enter, attempt {attempt}: the control still shows "
                f"{control.get_attribute('data-value')} after {TIMEOUT_MS / 1000:.0f} s; {where}"
            )
            if attempt == 2:
                raise AssertionError(message) from None
            warnings.warn(message, stacklevel=2)


def move_slider(control: Locator, values: tuple[float, ...], target: float) -> None:
    """Drag-free slider move: click the track where ``target`` sits, then nudge with the arrow
    keys (one key press, one server round trip) until the control shows it."""
    slider = control.locator(".v-slider")
    box = slider.bounding_box()
    fraction = values.index(target) / (len(values) - 1)
    slider.click(position={"x": fraction * box["width"], "y": box["height"] / 2})
    thumb = control.locator(".v-slider__thumb-container")
    for _ in range(10):
        expect(control).not_to_have_attribute("data-value", "0.0")
        current = float(control.get_attribute("data-value"))
        if current == target:
            return
        thumb.press("ArrowRight" if current < target else "ArrowLeft")
        expect(control).not_to_have_attribute("data-value", str(current))
    raise AssertionError(f"slider stuck at {control.get_attribute('data-value')}")


def set_speed(page: Page, label: str) -> None:
    """Choose a speed ('20 weeks/s', 'fastest') in the speed menu."""
    page.get_by_test_id("speed").locator(".v-select__selection").click()
    page.get_by_role("option", name=label).click()
    expect(page.get_by_test_id("speed").locator(".v-select__selection")).to_have_text(label)


def play_until(page: Page, target: int) -> None:
    """Play until the clock reaches ``target``, then pause."""
    page.get_by_test_id("play").click()
    deadline = time.monotonic() + 180
    while week(page) < target:
        assert time.monotonic() < deadline, "playing did not reach the target week"
        time.sleep(0.3)
    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("play")).to_contain_text("Play")


def chart_image(page: Page, chart: str) -> bytes:
    return page.get_by_test_id(f"chart-{chart}").screenshot()


@pytest.mark.slow
def test_browser_ui_end_to_end(chromium_launch, ui_server, tmp_path):
    url, server_log = ui_server
    log = Stopwatch()
    log("server up")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    bad_responses: list[str] = []
    page_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1900}, accept_downloads=True)
            page.set_default_timeout(TIMEOUT_MS)
            page.on(
                "response", lambda r: bad_responses.append(f"{r.status} {r.url}") if r.status >= 400 else None
            )
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(url)
            wait_week(page, 0)
            expect(page.get_by_test_id("chart-retention").locator("svg").first).to_be_visible()
            expect(page.get_by_test_id("mesa-0").locator("img")).to_be_visible()
            page.screenshot(path=shots / "01-start.png")
            log("page loaded")
            start_chart = chart_image(page, "retention")

            # Step both columns; the week counters and the charts follow.
            step(page, 3)
            wait_week(page, 3, "week-0")
            wait_week(page, 3, "week-1")
            expect(page.get_by_test_id("chart-retention")).to_have_attribute("data-weeks", "3,3")
            assert chart_image(page, "retention") != start_chart

            # Play, then pause: the clock moves on its own and stops.
            page.get_by_test_id("play").click()
            deadline = time.monotonic() + 40
            while week(page) < 12:
                assert time.monotonic() < deadline, "playing did not advance the weeks"
                time.sleep(0.2)
            page.get_by_test_id("play").click()
            expect(page.get_by_test_id("play")).to_contain_text("Play")  # the server paused
            time.sleep(0.5)
            paused_at = week(page)
            time.sleep(1.5)
            assert week(page) == paused_at and paused_at >= 12
            wait_week(page, paused_at, "week-0")
            wait_week(page, paused_at, "week-1")
            page.screenshot(path=shots / "02-played.png")
            log("played and paused")

            # Move the pharmacy's frontline limit up to $100 in column A's setup drawer (click
            # and keyboard): column A re-runs from week 0.
            complaints_before = chart_image(page, "complaints")
            page.get_by_test_id("setup-0").click()
            control = page.get_by_test_id(f"control-{FRONTLINE}")
            expect(control).to_be_in_viewport()
            expect(control).to_have_attribute("data-value", "0.0")
            move_slider(control, frontline_grid(), 100.0)
            expect(control).to_contain_text("$100")
            # Type an exact amount, then $100 again; each sticks (no revert a few seconds later).
            number = page.get_by_test_id(f"number-{FRONTLINE}").locator("input")
            for before, typed, shown in (("100", "120", "120.0"), ("120", "100", "100.0")):
                # Type once the field shows the value in force, while the column may still be
                # re-running from the last change: its re-renders must not put the old value back
                # under the typing (they did on a loaded CI machine: $120 typed, $100 kept).
                expect(number).to_have_value(before, timeout=TIMEOUT_MS)
                type_amount(number, control, typed, shown, server_log)
            time.sleep(2.0)
            expect(control).to_have_attribute("data-value", "100.0")
            page.get_by_test_id("close-setup-0").click()
            expect(page.get_by_test_id("column-0")).to_contain_text("Frontline employees' limit: $100")
            wait_week(page, paused_at, "week-0")
            expect(page.get_by_test_id("week")).to_have_attribute("data-week", str(paused_at))
            assert chart_image(page, "complaints") != complaints_before

            # Fire the shock: the supermarket opens next week in both columns.
            log("slider moved")
            legend_before = page.get_by_test_id("column-0").inner_text()
            assert "Supermarket: not open" in legend_before
            page.get_by_test_id("shock").click()
            expect(page.get_by_test_id("shock-note")).to_contain_text(f"week {paused_at + 1}")
            expect(page.get_by_test_id("shock")).to_be_disabled()
            base_before = chart_image(page, "base")
            step(page, 3)
            for column in ("column-0", "column-1"):
                text = page.get_by_test_id(column).text_content()
                assert "Supermarket: not open" not in text
                assert f"week {paused_at + 1} (shock; the file said 104)" in text
            assert chart_image(page, "base") != base_before
            page.screenshot(path=shots / "03-shock.png")
            log("shock fired")

            # Download column A's scenario: valid, with the slider value and the shock in it.
            page.get_by_test_id("setup-0").click()
            with page.expect_download() as download_info:
                page.get_by_test_id("download-0").get_by_role("button").click()
            page.get_by_test_id("close-setup-0").click()
            download = download_info.value
            assert download.suggested_filename == "corner_pharmacy_tweaked.toml"
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
            scenario = load_scenario(saved)
            assert scenario.firms["pharmacy"].culture.empowerment.frontline == 100
            assert scenario.events[0].week == paused_at + 1
            assert (scenario.market.seed, scenario.market.customers) == (3, 300)

            log("downloaded")
            # A bad upload shows the CLI's message in the page; the app keeps working.
            page.get_by_test_id("column-1").locator("input[type=file]").set_input_files(
                files=[
                    {
                        "name": "bad.toml",
                        "mimeType": "text/plain",
                        "buffer": b'extends = "loyal_brand"\n[firms.brand.culture]\ntrsut = 0.9\n',
                    }
                ]
            )
            error = page.get_by_test_id("error-1")
            expect(error).to_contain_text(
                "bad.toml: unknown key 'firms.brand.culture.trsut' (did you mean 'trust'?)"
            )
            now = week(page)
            step(page, 1)
            wait_week(page, now + 1, "week-1")
            page.screenshot(path=shots / "04-bad-upload.png")
            log("bad upload shown")

            page.set_viewport_size({"width": 1366, "height": 768})
            time.sleep(1.5)
            page.screenshot(path=shots / "05-1366x768.png")
        finally:
            browser.close()
    assert not page_errors, page_errors
    assert not bad_responses, bad_responses  # every asset served locally (no internet here)
    server_output = server_log.read_text(errors="replace")
    assert "Traceback" not in server_output, server_output
    assert "Could not load URL" not in server_output, server_output


#: The headline views: the toolbar, each column's card, map and monitors, the headline charts.
HEADLINE_VIEWS = [
    "toolbar",
    "column-0",
    "column-1",
    "map-0",
    "map-1",
    "monitor-0-customers",
    "monitor-0-loyalty",
    "monitor-0-nps",
    "monitor-0-engagement",
    "monitor-1-customers",
    "monitor-1-loyalty",
    "monitor-1-nps",
    "monitor-1-engagement",
    "chart-loyalty",
    "chart-base",
    "chart-nps",
]

# Every rendered text of the charts (SVG <text>), the monitors, chart titles and legends: its
# font size, and whether it lies inside its chart and overlaps no other text of that chart.
MEASURE_TEXT = """() => {
  const out = {small: [], clipped: [], overlapping: [], count: 0};
  const size = (el) => parseFloat(getComputedStyle(el).fontSize);
  const inside = (b, box) => b.left >= box.left - 1 && b.right <= box.right + 1 &&
                             b.top >= box.top - 1 && b.bottom <= box.bottom + 1;
  const meets = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 &&
                          a.top < b.bottom - 1 && b.top < a.bottom - 1;
  for (const chart of document.querySelectorAll('[data-testid^="chart-"]')) {
    const box = chart.getBoundingClientRect();
    const texts = [...chart.querySelectorAll('svg text')]
      .filter((t) => t.textContent.trim() && getComputedStyle(t).display !== 'none');
    const boxes = texts.map((t) => t.getBoundingClientRect());
    texts.forEach((t, i) => {
      out.count += 1;
      const label = `${chart.dataset.testid}: ${t.textContent}`;
      if (size(t) < window.minText) out.small.push(`${label} (${size(t)} px)`);
      if (!inside(boxes[i], box)) {
        const b = boxes[i];
        out.clipped.push(`${label} at ${[b.left, b.top, b.right, b.bottom].map(Math.round)} ` +
                         `outside ${[box.left, box.top, box.right, box.bottom].map(Math.round)}`);
      }
      for (let j = 0; j < i; j++) {
        if (meets(boxes[i], boxes[j])) out.overlapping.push(`${label} / ${texts[j].textContent}`);
      }
    });
  }
  const html = '.ls-monitor-value, .ls-monitor-label, .ls-chart-title, .ls-legend span, .ls-week';
  for (const el of document.querySelectorAll(html)) {
    if (!el.textContent.trim() || el.closest('.ls-more')) continue;
    out.count += 1;
    if (size(el) < window.minText) out.small.push(`${el.textContent} (${size(el)} px)`);
  }
  return out;
}"""


def _in_view(page: Page, testid: str) -> bool:
    box = page.get_by_test_id(testid).bounding_box()
    view = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["height"] > 0
        and box["x"] + box["width"] <= view["width"] + 1
        and box["y"] + box["height"] <= view["height"] + 1
    )


def _check_text(page: Page, smallest: int) -> dict:
    page.evaluate(f"window.minText = {smallest}")
    found = page.evaluate(MEASURE_TEXT)
    assert found["count"] > 50, found  # the charts are drawn as SVG and were measured
    assert not found["small"], found["small"]
    assert not found["clipped"], found["clipped"]
    assert not found["overlapping"], found["overlapping"]
    return found


@pytest.mark.slow
def test_one_screen_readable_and_unclipped_at_projector_and_laptop_sizes(
    chromium_launch, ui_server, tmp_path
):
    url, server_log = ui_server
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(url)
            wait_week(page, 0)
            # Story so far: loyalty forms, the competitor arrives, the merely retained leave.
            set_speed(page, "20 weeks/s")
            play_until(page, 40)
            page.get_by_test_id("shock").click()
            play_until(page, 70)
            expect(page.get_by_test_id("chart-nps").locator("svg text").first).to_be_visible()
            for width, height in ((1366, 768), (1920, 1080)):
                page.set_viewport_size({"width": width, "height": height})
                time.sleep(1.5)  # charts follow their boxes' new sizes
                outside = [t for t in HEADLINE_VIEWS if not _in_view(page, t)]
                assert not outside, f"{width}x{height}: not in view without scrolling: {outside}"
                _check_text(page, 12)
                page.screenshot(path=shots / f"layout-{width}x{height}.png")
                # The toolbar stays in view when the page scrolls to the other charts.
                page.mouse.move(width / 2, height / 2)
                page.mouse.wheel(0, 1500)
                time.sleep(0.5)
                assert not _in_view(page, "chart-nps"), "the page did not scroll"
                assert _in_view(page, "toolbar") and _in_view(page, "play")
                page.mouse.wheel(0, -3000)
                time.sleep(0.5)
            # After the opening, the customers chart also draws each column's run without it
            # (dashed, explained under the chart); the switch turns that off.
            note = page.get_by_test_id("without-base")
            expect(note).to_contain_text("without the supermarket")
            dashed = page.get_by_test_id("chart-base").locator("svg path[stroke-dasharray]")
            with_lines = dashed.count()
            page.get_by_role("switch", name="Without the event (dashed)").uncheck(force=True)
            expect(note).to_have_count(0)
            expect(dashed).to_have_count(with_lines - 2)  # one per column
            page.get_by_role("switch", name="Without the event (dashed)").check(force=True)
            expect(note).to_have_count(1)
            expect(dashed).to_have_count(with_lines)
            # Presentation mode: 18 px and more, the headline charts only.
            page.get_by_role("switch", name="Present").check(force=True)
            expect(page.get_by_test_id("present-on")).to_have_count(1)
            expect(page.get_by_test_id("chart-profit")).to_have_count(0)
            time.sleep(1.5)
            _check_text(page, 18)
            page.screenshot(path=shots / "layout-1920x1080-present.png")
            # A phone: everything fits 390 px; the controls that ran off the edge are in view.
            page.get_by_role("switch", name="Present").uncheck(force=True)
            page.set_viewport_size({"width": 390, "height": 844})
            time.sleep(1.5)
            # (closed setup drawers wait off-screen, to the right: not counted)
            widest = page.evaluate(
                "Math.max(...[...document.querySelectorAll('[data-testid]')]"
                ".filter((e) => !e.closest('.v-navigation-drawer'))"
                ".map((e) => e.getBoundingClientRect().right))"
            )
            assert widest <= 391, f"something runs off a 390 px screen (right edge {widest})"
            for testid in ("play", "speed", "shock", "week"):
                assert _in_view(page, testid), testid
            page.screenshot(path=shots / "layout-390x844.png")
        finally:
            browser.close()
    assert not page_errors, page_errors
    assert "Traceback" not in server_log.read_text(errors="replace")
    if os.environ.get("LOYALTYSIM_UPDATE_SCREENSHOT") == "1":
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shots / "layout-1366x768.png", README_SCREENSHOT)


@pytest.mark.slow
def test_shared_mode_two_browsers_watch_one_simulation(chromium_launch, shared_ui_server, tmp_path):
    """``--shared``: two browsers see the same week and charts; a click in one acts for both."""
    url, server_log = shared_ui_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch)
        try:
            # two browser contexts: two separate visitors (no shared cookies)
            teacher = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            student = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            for page in (teacher, student):
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(url)
                wait_week(page, 0)
            step(teacher, 3)
            wait_week(student, 3)
            for page in (teacher, student):
                expect(page.get_by_test_id("chart-base")).to_have_attribute(
                    "data-weeks", "3,3", timeout=TIMEOUT_MS
                )
            time.sleep(1.0)
            assert chart_image(teacher, "base") == chart_image(student, "base")
            # the student's click is seen by the teacher (a loaded machine may take seconds)
            student.get_by_test_id("shock").click()
            for page in (student, teacher):
                expect(page.get_by_test_id("shock-note")).to_contain_text("week 4", timeout=TIMEOUT_MS)
            student.get_by_test_id("step").click()
            wait_week(teacher, 4)
            wait_week(student, 4)
            teacher.screenshot(path=tmp_path / "shared-teacher.png")
            student.screenshot(path=tmp_path / "shared-student.png")
        finally:
            browser.close()
    output = server_log.read_text(errors="replace")
    assert "Traceback" not in output, output
