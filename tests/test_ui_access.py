"""``loyaltysim ui --host`` beyond this machine (issue 21, finding 1): a warning, and a token that
every request must carry (TokenGate, driven here as the ASGI app it is)."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from loyaltysim.ui.access import COOKIE, TokenGate, is_loopback, new_token
from loyaltysim.ui.command import access_token

TOKEN = "s3cret-token"


async def _inner(scope, receive, send):
    if scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"the app"})


def call(path: str = "/", query: str = "", cookie: str | None = None, kind: str = "http") -> list[dict]:
    headers = [(b"host", b"example:8765")]
    if cookie is not None:
        headers.append((b"cookie", f"{COOKIE}={cookie}".encode()))
    scope = {
        "type": kind,
        "path": path,
        "query_string": query.encode(),
        "headers": headers,
        "root_path": "",
        "method": "GET",
        "scheme": "http",
        "server": ("example", 8765),
    }
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(TokenGate(_inner, TOKEN)(scope, receive, send))
    return sent


def status(sent: list[dict]) -> int:
    return sent[0]["status"]


def header(sent: list[dict], name: bytes) -> str:
    return next(v.decode() for k, v in sent[0]["headers"] if k == name)


def test_a_request_without_the_token_is_refused():
    assert status(call()) == 403
    assert status(call("/static/assets/app.js")) == 403
    assert status(call(query="token=wrong")) == 403
    assert status(call(cookie="wrong")) == 403
    assert call(kind="websocket") == [{"type": "websocket.close", "code": 1008}]


def test_the_token_in_the_address_sets_a_cookie_and_cleans_the_address():
    sent = call("/", query=f"token={TOKEN}&theme=dark")
    assert status(sent) == 303
    assert header(sent, b"location") == "/?theme=dark"
    cookie = header(sent, b"set-cookie")
    assert f"{COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie and "strict" in cookie.lower()


def test_the_cookie_lets_every_request_through():
    assert status(call(cookie=TOKEN)) == 200
    assert status(call("/static/assets/app.js", cookie=TOKEN)) == 200
    assert call(kind="websocket", cookie=TOKEN) == [{"type": "websocket.accept"}]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("myhost.example", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def args(host: str, token: str | None = None, no_token: bool = False) -> argparse.Namespace:
    return argparse.Namespace(host=host, port=8765, token=token, no_token=no_token)


def test_a_public_host_warns_and_gets_a_random_token(capsys):
    token = access_token(args("0.0.0.0"))
    err = capsys.readouterr().err
    assert token and len(token) >= 20 and token != access_token(args("0.0.0.0"))
    assert "WARNING" in err and "0.0.0.0" in err and "token" in err
    assert access_token(args("0.0.0.0", token="chosen")) == "chosen"
    assert access_token(args("0.0.0.0", no_token=True)) is None
    assert "Anyone can" in capsys.readouterr().err


def test_loopback_needs_no_token_and_prints_no_warning(capsys):
    assert access_token(args("127.0.0.1")) is None
    assert access_token(args("127.0.0.1", token="t")) == "t"
    assert capsys.readouterr().err == ""
    assert new_token() != new_token()


def test_the_gate_fits_solaras_app():
    """The server adds TokenGate to Solara's Starlette app before uvicorn starts it."""
    from starlette.applications import Starlette

    app = Starlette()
    app.add_middleware(TokenGate, token=TOKEN)
    assert any(m.cls is TokenGate for m in app.user_middleware)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_real_server_requires_the_token_and_stops_quietly_on_ctrl_c(tmp_path):
    """``loyaltysim ui --host 0.0.0.0``: the gate sits in front of Solara's page, the printed
    address opens it, and Ctrl+C ends the server without a traceback."""
    import http.client
    import re
    import signal
    import subprocess
    import sys
    import time

    port = _free_port()
    err_path = tmp_path / "stderr.txt"
    with err_path.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "loyaltysim", "ui", "--host", "0.0.0.0", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:

        def get(path: str, cookie: str | None = None) -> http.client.HTTPResponse:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            return conn.getresponse()

        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, err_path.read_text()
            try:
                first = get("/")
                break
            except OSError:
                assert time.monotonic() < deadline, err_path.read_text()
                time.sleep(1)
        printed = err_path.read_text()
        assert "WARNING: --host 0.0.0.0" in printed
        token = re.search(r"\?token=([\w-]+)", printed).group(1)
        assert first.status == 403
        opened = get(f"/?token={token}")
        assert opened.status == 303 and opened.getheader("location") == "/"
        cookie = opened.getheader("set-cookie").split(";")[0]
        page = get("/", cookie)
        assert page.status == 200 and b"solara" in page.read().lower()
        assert get("/", "loyaltysim_token=wrong").status == 403
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert "Traceback" not in err_path.read_text()
