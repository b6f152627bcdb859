"""The browser UI in a real browser: Debian's Chromium driven by Playwright.

Starts ``loyaltysim ui`` (the real command), runs both columns, moves a slider, fires the shock,
downloads the tweaked scenario and validates it, uploads a bad file, and saves screenshots. Set
``LOYALTYSIM_UPDATE_SCREENSHOT=1`` to copy the overview screenshot to ``docs/img/ui.png``.
"""

from __future__ import annotations

import os
import shutil
import time
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
    expect(page.get_by_test_id(testid)).to_have_attribute("data-week", str(value),
                                                          timeout=TIMEOUT_MS)


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


def set_fastest(page: Page) -> None:
    """Choose 'as fast as possible' in the speed menu."""
    page.locator(".v-select__selection", has_text="5 weeks/s").click()
    page.get_by_role("option", name="as fast as possible").click()
    expect(page.locator(".v-select__selection", has_text="as fast as possible")).to_be_visible()


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
            page = browser.new_page(viewport={"width": 1440, "height": 1900},
                                    accept_downloads=True)
            page.set_default_timeout(TIMEOUT_MS)
            page.on("response", lambda r: bad_responses.append(f"{r.status} {r.url}")
                    if r.status >= 400 else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(url)
            wait_week(page, 0)
            expect(page.get_by_test_id("chart-retention").locator("canvas").first).to_be_visible()
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

            # Move the pharmacy's frontline limit up to $100: column A re-runs from week 0.
            complaints_before = chart_image(page, "complaints")
            control = page.get_by_test_id(f"control-{FRONTLINE}")
            expect(control).to_have_attribute("data-value", "0.0")
            move_slider(control, frontline_grid(), 100.0)
            expect(control).to_contain_text("$100")
            expect(page.get_by_test_id("column-0")).to_contain_text(
                "pharmacy.culture.empowerment.frontline = 100")
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
                text = page.get_by_test_id(column).inner_text()
                assert "Supermarket: not open" not in text
                assert f"week {paused_at + 1} (shock; the file said 104)" in text
            assert chart_image(page, "base") != base_before
            page.screenshot(path=shots / "03-shock.png")
            log("shock fired")

            # Download column A's scenario: valid, with the slider value and the shock in it.
            with page.expect_download() as download_info:
                page.get_by_test_id("download-0").get_by_role("button").click()
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
            page.get_by_test_id("column-1").locator("input[type=file]").set_input_files(files=[{
                "name": "bad.toml", "mimeType": "text/plain",
                "buffer": b'extends = "loyal_brand"\n[firms.brand.culture]\ntrsut = 0.9\n'}])
            error = page.get_by_test_id("error-1")
            expect(error).to_contain_text("bad.toml: unknown key 'firms.brand.culture.trsut' "
                                          "(did you mean 'trust'?)")
            now = week(page)
            step(page, 1)
            wait_week(page, now + 1, "week-1")
            page.screenshot(path=shots / "04-bad-upload.png")
            log("bad upload shown")

            # Overview: controls folded away, both columns and the first charts in view.
            for index in (0, 1):
                panel = page.get_by_test_id(f"controls-{index}")
                panel.locator(".v-expansion-panel-header").click()
                expect(panel.locator(".ls-control").first).to_be_hidden()
            if os.environ.get("LOYALTYSIM_UPDATE_SCREENSHOT") == "1":
                # For the README: loyalty has time to form before the competitor arrives.
                page.get_by_test_id("reset").click()
                wait_week(page, 0)
                set_fastest(page)
                play_until(page, 70)
                page.get_by_test_id("shock").click()
                play_until(page, 120)
            page.set_viewport_size({"width": 1440, "height": 2300})
            page.evaluate("window.scrollTo(0, 0)")
            time.sleep(1.5)
            overview = shots / "00-overview.png"
            page.screenshot(path=overview)
        finally:
            browser.close()
    assert not page_errors, page_errors
    assert not bad_responses, bad_responses  # every asset served locally (no internet here)
    server_output = server_log.read_text(errors="replace")
    assert "Traceback" not in server_output, server_output
    assert "Could not load URL" not in server_output, server_output
    if os.environ.get("LOYALTYSIM_UPDATE_SCREENSHOT") == "1":
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(overview, README_SCREENSHOT)
