"""The README's Browser UI section matches what the code and tests do."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("<!-- BEGIN browser-ui", 1)[1].split("<!-- END browser-ui", 1)[0]


def test_the_screenshot_in_the_readme_is_a_real_page_capture():
    assert "](docs/img/ui.png)" in SECTION
    with Image.open(ROOT / "docs" / "img" / "ui.png") as image:
        assert image.format == "PNG"
        assert image.width >= 1300 and image.height >= 760  # a one-screen capture at 1366x768


def test_the_browser_test_switches_named_in_the_readme_are_the_ones_the_tests_read():
    conftest = (ROOT / "tests" / "browser" / "conftest.py").read_text(encoding="utf-8")
    browser_test = (ROOT / "tests" / "browser" / "test_ui_browser.py").read_text(encoding="utf-8")
    script = (ROOT / "scripts" / "install-chromium.sh").read_text(encoding="utf-8")
    for name in ("LOYALTYSIM_SKIP_BROWSER_TESTS", "LOYALTYSIM_CHROMIUM"):
        assert name in SECTION and name in conftest and name in script
    assert "LOYALTYSIM_UPDATE_SCREENSHOT" in SECTION and "LOYALTYSIM_UPDATE_SCREENSHOT" in browser_test
    assert "install-chromium.sh" in (ROOT / "Makefile").read_text(encoding="utf-8")
