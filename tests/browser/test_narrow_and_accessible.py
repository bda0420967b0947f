"""Every page at 390 x 844 (a phone) and 1280 x 900 (a laptop) in Debian's Chromium: the body
never scrolls sideways (wide tables and charts scroll inside their own box), axe-core finds no
serious or critical WCAG 2.1 A/AA violation, and a screenshot of each page is saved under
test-artifacts/screenshots/ (issue #15).

axe-core is fetched once with npm at the pinned version below and checked against its SHA-256
(tests/browser/axe.min.js, git-ignored), so a clean clone installs it itself; `make axe` does the
same ahead of time.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.peer, pytest.mark.slow]

AXE_VERSION = "4.10.3"
AXE_SHA256 = "880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb"
AXE = Path(__file__).resolve().parent / "axe.min.js"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WIDTHS = {"phone": (390, 844), "laptop": (1280, 900)}
SERIOUS = ("serious", "critical")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_axe() -> Path:
    """axe.min.js at the pinned version (npm pack, checked against its SHA-256)."""
    if AXE.exists() and _sha(AXE) == AXE_SHA256:
        return AXE
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to fetch axe-core (apt-get install npm)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--silent"], cwd=tmp,
                       check=True, capture_output=True, timeout=300)
        with tarfile.open(Path(tmp) / f"axe-core-{AXE_VERSION}.tgz") as tar:
            member = tar.extractfile("package/axe.min.js")
            assert member is not None
            data = member.read()
    if hashlib.sha256(data).hexdigest() != AXE_SHA256:
        pytest.fail(f"axe-core {AXE_VERSION} from npm does not match its pinned SHA-256")
    AXE.write_bytes(data)
    return AXE


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The axe-core script, fetched once."""
    return fetch_axe().read_text(encoding="utf-8")


def _pages(server: dict[str, str]) -> dict[str, str]:
    w = f"/w/{server['workspace']}"
    return {
        "workspaces": "/", "dashboard": w, "key-results": f"{w}/key-results",
        "agenda": f"{w}/agenda", "priorities": f"{w}/priorities",
        "decisions": f"{w}/decisions", "actions": f"{w}/actions", "design": f"{w}/design",
        "design-survey": f"{w}/design?kind=survey&submitted=1", "uploads": f"{w}/uploads",
        "evaluation": f"{w}/evaluation?data_element=MMS_CLIENTS&start=202307",
        "scenario": f"{w}/scenario", "report": f"{w}/report", "setup": f"{w}/setup",
        "audit": f"{w}/audit", "members": f"{w}/members", "account": "/account",
        "users": "/users",
    }


def _login(browser: Any, server: dict[str, str], size: tuple[int, int]) -> Any:
    # bypass_csp: axe-core is injected as an inline script, which the app's CSP refuses
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, bypass_csp=True)
    pg = ctx.new_page()
    pg.set_default_timeout(60000)
    pg.goto(server["root"] + "/login")
    pg.get_by_label("E-mail").fill(server["email"])
    pg.get_by_label("Password").fill(server["password"])
    pg.get_by_role("button", name="Log in").click()
    pg.get_by_role("heading", name="Your workspaces").wait_for(timeout=90000)
    return ctx, pg


def _axe(pg: Any, source: str) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the WCAG 2.0/2.1 A and AA rules."""
    pg.add_script_tag(content=source)
    result = pg.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in result if v["impact"] in SERIOUS]


@pytest.mark.parametrize("device", list(WIDTHS))
def test_every_page_fits_the_screen_and_passes_axe(browser, server, axe_source, device) -> None:  # type: ignore[no-untyped-def]
    width, height = WIDTHS[device]
    SHOTS.mkdir(parents=True, exist_ok=True)
    wide: dict[str, int] = {}
    failing: dict[str, list[dict[str, Any]]] = {}
    anon = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    try:  # the login page, before anyone is logged in
        lp = anon.new_page()
        lp.goto(server["root"] + "/login")
        lp.screenshot(path=str(SHOTS / f"login-{width}.png"), full_page=True)
        if int(lp.evaluate("document.scrollingElement.scrollWidth")) > width:
            wide["login"] = int(lp.evaluate("document.scrollingElement.scrollWidth"))
        if found := _axe(lp, axe_source):
            failing["login"] = found
    finally:
        anon.close()
    ctx, pg = _login(browser, server, (width, height))
    try:
        for name, path in _pages(server).items():
            response = pg.goto(server["root"] + path)
            assert response is not None and response.status == 200, (name, path)
            pg.wait_for_load_state("networkidle")
            pg.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
            scroll = int(pg.evaluate("document.scrollingElement.scrollWidth"))
            if scroll > width:
                wide[name] = scroll
            found = _axe(pg, axe_source)
            if found:
                failing[name] = found
    finally:
        ctx.close()
    assert not wide, f"pages wider than {width} px (body scrolls sideways): {wide}"
    assert not failing, json.dumps(failing, indent=1)


def test_the_width_check_can_fail(browser, server) -> None:  # type: ignore[no-untyped-def]
    """A page made wider than the screen is caught by the same measure."""
    ctx, pg = _login(browser, server, WIDTHS["phone"])
    try:
        pg.goto(server["root"] + f"/w/{server['workspace']}")
        pg.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                    "'<div style=\"width: 900px\">wide</div>')")
        assert int(pg.evaluate("document.scrollingElement.scrollWidth")) > WIDTHS["phone"][0]
    finally:
        ctx.close()
