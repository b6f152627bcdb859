"""Serve the Solara app for ``loyaltysim ui``: settings in, a local web server out.

Solara serves the page and its JavaScript; the front-end assets (Vue, Vuetify, ECharts, Vega)
come from the ``solara-assets`` package installed beside it, so the app works without internet.
Solara's usage telemetry and its PyPI version check are switched off.
"""

from __future__ import annotations

import os
import socket
import sys

from loyaltysim.ui.config import CONFIG_ENV, UIConfig

#: The module Solara serves (its ``Page`` component is the app).
APP_MODULE = "loyaltysim.ui.app"


def port_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound (a busy port gives a clear message instead of a
    traceback from the web server)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def serve(
    config: UIConfig,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = False,
    token: str | None = None,
) -> int:
    """Run the UI web server until interrupted; returns an exit code (130 after Ctrl+C).

    ``config`` reaches the app through the ``LOYALTYSIM_UI_CONFIG`` environment variable, so the
    page (imported by Solara in this process) builds the same columns for every browser tab.
    ``token``: every request must carry it (:class:`~loyaltysim.ui.access.TokenGate`).
    """
    os.environ[CONFIG_ENV] = config.to_env()
    # Read by Solara's settings at import: no telemetry, no network calls at start-up.
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # No "This website runs on Solara" badge: it covered text at the bottom right.
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    from solara.__main__ import run as solara_run

    if token:
        # uvicorn imports this same module object ("solara.server.starlette:app") in-process;
        # Solara registers the page when that import sees SOLARA_APP, so it must be set first
        os.environ["SOLARA_APP"] = APP_MODULE
        from solara.server.starlette import app

        from loyaltysim.ui.access import TokenGate

        app.add_middleware(TokenGate, token=token)
        if open_browser:  # Solara would open the address without the token: open it ourselves
            import threading
            import webbrowser

            threading.Timer(3.0, webbrowser.open, [f"http://{host}:{port}/?token={token}"]).start()
            open_browser = False
    args = [
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-check-version",
        "--log-level-uvicorn",
        "warning",
        "--open" if open_browser else "--no-open",
    ]
    from click.exceptions import Abort

    try:
        solara_run.main(args=args, standalone_mode=False)
    except (KeyboardInterrupt, Abort):  # click turns Ctrl+C into Abort outside standalone mode
        print("loyaltysim ui: stopped.", file=sys.stderr)
        return 130
    return 0
