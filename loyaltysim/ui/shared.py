"""Classroom mode (``loyaltysim ui --shared``): one session that every connected browser watches.

Solara keeps a reactive's value per browser tab (per virtual kernel), so a session's own
reactives reach only one tab. A :class:`SessionView` gives each tab its own reactives and passes
every action (play, step, a control, the shock) to the one shared
:class:`~loyaltysim.ui.session.Session`, which publishes each drawn week to every attached view
inside that view's kernel context. Fifty students cost one simulation; a click in any tab is
seen in all of them. Only one tab's worker thread plays the clock at a time (the session's
worker lock); when that tab closes, another tab's worker takes over.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import solara

from loyaltysim.ui.config import UIConfig
from loyaltysim.ui.session import Session


def current_kernel_context() -> Any:
    """The Solara kernel context of the calling thread (None outside the server)."""
    try:
        from solara.server import kernel_context
    except ImportError:  # pragma: no cover - solara always ships its server
        return None
    return kernel_context.get_current_context() if kernel_context.has_current_context() else None


class SessionView:
    """One browser tab's view of a shared session: its own reactives, the session's actions."""

    def __init__(self, session: Session):
        self.session = session
        with session.lock:
            configs, frames, status, headlines = session.snapshot()
        self.configs = solara.reactive(configs)
        self.frames = solara.reactive(frames)
        self.status = solara.reactive(status)
        self.headlines = solara.reactive(headlines)
        self.render_context: contextlib.AbstractContextManager | None = None
        self.kernel_context = current_kernel_context()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)

    def scope(self) -> contextlib.AbstractContextManager:
        """Enter this tab's kernel context (values set inside reach this tab)."""
        return self.kernel_context if self.kernel_context is not None else contextlib.nullcontext()


_shared: Session | None = None
_shared_lock = threading.Lock()


def shared_session(config: UIConfig) -> Session:
    """The server's one shared session, built on first use from the command's settings."""
    global _shared
    with _shared_lock:
        if _shared is None:
            with _without_kernel_context():
                _shared = Session.from_config(config)
        return _shared


@contextlib.contextmanager
def _without_kernel_context():
    """Build the shared session outside any tab's kernel (its defaults belong to no tab)."""
    try:
        from solara.server.kernel_context import without_context
    except ImportError:  # pragma: no cover
        yield
        return
    with without_context():
        yield
