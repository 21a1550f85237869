"""`hailong demo`: seeds a district on SQLite and serves the overview over real HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode("utf-8")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAILONG_")}
    log = open(data / "demo.out", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--data-dir", str(data), "--port", str(port)],
        cwd=data, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"demo exited early:\n{(data / 'demo.out').read_text()}")
        try:
            get(base + "/healthz")
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("demo did not start serving in time")
    yield base, data
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_demo_serves_the_overview_with_hundreds_of_evaluations(demo_server) -> None:
    base, _ = demo_server
    status, page = get(base + "/")
    assert status == 200
    assert "Văn phòng HĐND và UBND Quận 3" in page and "UBND Phường 1" in page
    import re

    total = int(re.search(r"trên ([\d.]+) phiếu đánh giá", page).group(1).replace(".", ""))  # "1.234"
    assert total >= 200
    rate = float(re.search(r'class="big">([\d,]+)\u00a0%', page).group(1).replace(",", "."))  # "83,3 %"
    assert 50 < rate < 100


def test_demo_overview_in_english(demo_server) -> None:
    base, _ = demo_server
    status, page = get(base + "/?lang=en")
    assert status == 200 and "Satisfaction rate" in page and 'lang="en"' in page


def test_demo_reuses_its_database(demo_server, tmp_path: Path) -> None:
    _, data = demo_server
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAILONG_")}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--data-dir", str(data), "--no-serve"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "already present" in out.stdout


def test_demo_staff_accounts_sign_in(demo_server) -> None:
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    from bot.demo.links import DEMO_PASSWORD

    base, _ = demo_server
    status, landing = get(base + "/demo")
    assert status == 200 and "/staff/login" in landing and DEMO_PASSWORD in landing
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(base + "/staff/login", timeout=30) as response:
        csrf = re.search(r'name="_csrf" value="([^"]+)"', response.read().decode()).group(1)
    body = urllib.parse.urlencode({"_csrf": csrf, "username": "quanly", "password": DEMO_PASSWORD}).encode()
    with opener.open(urllib.request.Request(base + "/staff/login", data=body), timeout=30) as response:
        page = response.read().decode()
    assert response.status == 200 and 'data-user="quanly"' in page


def test_the_command_line_next_to_the_demo_sees_its_data(demo_server) -> None:
    """A newcomer's path: the demo says how to use the CLI and where; the CLI run from there sees the demo."""
    _, data = demo_server
    printed = (data / "demo.out").read_text()
    assert ".env" in printed and ".venv/bin/hailong" in printed
    code = re.search(r"survey send (\S+)", printed).group(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAILONG_")}
    out = subprocess.run([sys.executable, "-m", "bot", "survey", "send", code],
                         cwd=data, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "/s/" in out.stdout  # the survey link of a dossier that exists only in the demo database
    assert not (data / "var" / "hailong.db").exists()  # no empty database made next to it
