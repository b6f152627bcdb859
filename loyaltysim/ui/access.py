"""Who may open the UI when it listens beyond this machine: a token in the address.

``loyaltysim ui --host 0.0.0.0`` lets every machine that can reach the port use the page (run
simulations, upload scenarios). Unless told ``--no-token``, it then asks for a token: the address
printed at start-up carries ``?token=...``; the first visit with it sets a cookie (HttpOnly,
SameSite=Strict) and drops the token from the address bar, and every later request - the page, its
assets, the websocket - must carry that cookie. Anything else gets 403. See docs/security.md.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The cookie that carries the token after the first visit.
COOKIE = "loyaltysim_token"
#: Query parameter of the address printed at start-up.
PARAM = "token"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A fresh random token (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


class TokenGate:
    """ASGI middleware: pass requests that carry the token (cookie or ``?token=``), refuse others."""

    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.token = token

    def _matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        from starlette.requests import HTTPConnection
        from starlette.responses import PlainTextResponse, RedirectResponse

        conn = HTTPConnection(scope)
        if self._matches(conn.cookies.get(COOKIE)):
            await self.app(scope, receive, send)
            return
        if self._matches(conn.query_params.get(PARAM)):
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
                return
            # set the cookie and show a clean address (the token stays out of the history)
            rest = urlencode(
                [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1")) if k != PARAM]
            )
            target = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        refusal = PlainTextResponse(
            "loyaltysim ui: this page needs its token. Open the address "
            "that 'loyaltysim ui' printed when it started (it ends in "
            "?token=...).\n",
            status_code=403,
        )
        await refusal(scope, receive, send)
