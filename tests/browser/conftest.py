"""Fixtures for the real-browser test: Debian's Chromium and a running ``loyaltysim ui``.

Chromium must be at ``/usr/bin/chromium`` (``make test`` installs Debian's package when it runs as
root; Playwright's own browser download is not used). A missing browser fails the test with a
message saying how to install it, unless ``LOYALTYSIM_SKIP_BROWSER_TESTS=1`` opts out explicitly.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("LOYALTYSIM_CHROMIUM", "/usr/bin/chromium"))
OPT_OUT = "LOYALTYSIM_SKIP_BROWSER_TESTS"
#: As Debian's Chromium needs it here: headless, as root without a sandbox, no GPU, and no
#: background connections (this machine has no internet).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_launch() -> dict:
    """Keyword arguments for Playwright's ``chromium.launch``: Debian's Chromium, headless."""
    if CHROMIUM.exists():
        return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}
    if os.environ.get(OPT_OUT) == "1":
        pytest.skip(f"{OPT_OUT}=1: browser test skipped on request (no Chromium at {CHROMIUM})")
    pytest.fail(
        f"Chromium not found at {CHROMIUM}. Install Debian's browser with "
        "'apt-get install -y chromium' (as root; 'make test' does this), point "
        f"LOYALTYSIM_CHROMIUM at another Chromium, or set {OPT_OUT}=1 to skip the "
        "browser test explicitly.",
        pytrace=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The server answers once the engine is warmed up: on a fresh machine that includes compiling
# every numba kernel (a minute or more on a loaded 2-core CI box); later starts take seconds.
def wait_for_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"loyaltysim ui exited with {process.returncode}:\n{log.read_text(errors='replace')}"
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise AssertionError(
        f"loyaltysim ui did not answer at {url} within {timeout:.0f} s:\n{log.read_text(errors='replace')}"
    )


@contextlib.contextmanager
def serve_ui(tmp_path: Path, *extra: str) -> Iterator[tuple[str, Path]]:
    """``loyaltysim ui corner_pharmacy loyal_brand`` on a free port (the real command)."""
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "loyaltysim",
                "ui",
                "corner_pharmacy",
                "loyal_brand",
                "--port",
                str(port),
                "--customers",
                "300",
                "--seed",
                "3",
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, process, log)
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture
def ui_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A server of its own for the test (one session per browser tab)."""
    with serve_ui(tmp_path) as served:
        yield served


@pytest.fixture
def shared_ui_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The same with ``--shared``: one session that every browser watches."""
    with serve_ui(tmp_path, "--shared") as served:
        yield served
