"""``loyaltysim ui`` on the command line (the real command, in a subprocess)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from loyaltysim.ui.config import CONFIG_ENV, UIConfig


def _cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "loyaltysim", *args], capture_output=True, text=True, timeout=timeout, cwd=cwd
    )


def test_help_shows_the_defaults_and_examples():
    result = _cli("ui", "--help")
    assert result.returncode == 0
    for text in (
        "--port",
        "default: 8765",
        "127.0.0.1",
        "--customers",
        "--seed",
        "examples:",
        "corner_pharmacy loyal_brand",
        "--present",
        "--shared",
        "--max-customers",
        "default: 50,000",
    ):
        assert text in result.stdout


def test_a_bad_scenario_stops_before_serving_with_the_cli_message(tmp_path):
    (tmp_path / "bad.toml").write_text(
        'extends = "corner_pharmacy"\n[firms.pharmacy]\nprice_index = 9\n', encoding="utf-8"
    )
    ui = _cli("ui", "bad.toml", "--port", "1", cwd=tmp_path)
    validate = _cli("scenarios", "validate", "bad.toml", cwd=tmp_path)
    assert ui.returncode == 2
    message = ui.stderr.strip().removeprefix("loyaltysim: error: ")
    assert "bad.toml: firms.pharmacy.price_index = 9 is not allowed" in message
    assert message in validate.stderr
    missing = _cli("ui", "no_such_scenario")
    assert missing.returncode == 2 and "no such scenario" in missing.stderr


def test_a_busy_port_is_a_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _cli("ui", "--port", str(port))
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert "--port" in result.stderr


def test_bad_option_values_are_refused():
    for args, text in (
        (["--port", "70000"], "must be from 1 to 65535"),
        (["--customers", "-3"], "must be at least 1"),
        (["--port", "http"], "is not a whole number"),
    ):
        result = _cli("ui", *args)
        assert result.returncode == 2 and text in result.stderr, result.stderr


def test_config_travels_through_the_environment():
    config = UIConfig(scenarios=("a.toml", "loyal_brand"), customers=300, seed=9)
    assert UIConfig.from_env({CONFIG_ENV: config.to_env()}) == config
    classroom = UIConfig(present=True, shared=True, max_customers=1234)
    assert UIConfig.from_env({CONFIG_ENV: classroom.to_env()}) == classroom
    assert UIConfig.from_env({}).scenarios == ("corner_pharmacy", "loyal_brand")


def test_the_server_answers_on_localhost(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "loyaltysim", "ui", "--port", str(port), "--customers", "100"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline, page = time.monotonic() + 90, ""
        while time.monotonic() < deadline and not page:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as reply:
                    page = reply.read().decode("utf-8", "replace")
            except OSError:
                time.sleep(0.25)
        assert "solaraInit('solara-main')" in page  # Solara's page shell; the app renders into it
        assert f"at http://127.0.0.1:{port}/" in (tmp_path / "server.log").read_text()
        # Bound to localhost only: the port is not open on the machine's other addresses.
        other = socket.gethostbyname(socket.gethostname())
        if not other.startswith("127."):
            with socket.socket() as outside:
                outside.settimeout(2)
                assert outside.connect_ex((other, port)) != 0
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
