"""A real server (uvicorn, SQLite, example country) and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _peer_missing(reason: str) -> None:
    spec = importlib.util.spec_from_file_location(
        "mmsis_tests_root_conftest", ROOT / "tests" / "conftest.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.peer_missing(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, example_country) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """`mmsis serve` on a random loopback port over a seeded demo database."""
    from mmsis.demos.web import seed_demo

    base = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{base / 'workspace.sqlite3'}"
    info = seed_demo(url, base / "data", country=example_country)
    port = _free_port()
    env = {**os.environ, "MMSIS_SECRET_KEY": "browser-test-secret"}
    log = (base / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmsis.cli", "serve", "--port", str(port), "--database", url],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    root = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{root}/login", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"server did not start: {(base / 'server.log').read_text()[-2000:]}")
    try:
        yield {
            "root": root,
            "email": info["email"],
            "password": info["password"],
            "workspace": str(info["workspace_id"]),
            "database": url,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        print((base / "server.log").read_text()[-3000:])


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, through the Playwright Python package."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        _peer_missing("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _peer_missing("the playwright Python package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    """A logged-in page on a laptop-sized screen."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(30000)
    pg.goto(server["root"] + "/login")
    pg.get_by_label("E-mail").fill(server["email"])
    pg.get_by_label("Password").fill(server["password"])
    pg.get_by_role("button", name="Log in").click()
    pg.get_by_role("heading", name="Your workspaces").wait_for(timeout=90000)
    yield pg
    ctx.close()


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot():  # type: ignore[no-untyped-def]
    """The screenshot helper as a fixture."""
    return shot
