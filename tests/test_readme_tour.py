"""README's command-line tour runs exactly as written, in order, in a scratch folder.

The shell blocks of the "A tour of the command line" section are read from README.md and run
one command at a time through bash with the venv's ``mmsis`` first on PATH; ``export`` lines
carry into the later commands. ``mmsis serve`` is started in the background on a free loopback
port (``--port`` appended), the admin created by the tour logs in with the password from the
documented environment variable, and the server is stopped. Human output (not ``--json``) must
carry no number in scientific notation.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## A tour of the command line"
SCIENTIFIC = re.compile(r"\b\d(?:\.\d+)?e[+-]\d+\b", re.IGNORECASE)

pytestmark = pytest.mark.slow


def tour_commands(readme: str) -> list[str]:
    """The tour section's shell commands, continuation lines joined, comments dropped."""
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    section = readme[start:end if end > 0 else None]
    blocks = re.findall(r"```(?:sh|bash|console)\n(.*?)```", section, flags=re.S)
    assert blocks, "no shell block in the tour section"
    commands: list[str] = []
    for block in blocks:
        pending = ""
        for raw in block.splitlines():
            line = pending + raw
            if line.rstrip().endswith("\\"):
                pending = line.rstrip()[:-1] + " "
                continue
            pending = ""
            words = shlex.split(line, comments=True)
            if words:
                commands.append(shlex.join(words))
    return commands


def test_tour_parser_reads_the_section() -> None:
    cmds = tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert cmds[0] == "mmsis --help"
    assert any(c.startswith("mmsis serve") for c in cmds)
    assert any(c.startswith("export MMSIS_ADMIN_PASSWORD=") for c in cmds)
    assert not any("[" in c for c in cmds), "literal brackets in a command"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _login(port: int, email: str, password: str) -> None:
    import httpx

    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        page = client.get("/login")
        assert page.status_code == 200, page.text[:500]
        token = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
        assert token, "no login CSRF token in the form"
        res = client.post("/login", data={"email": email, "password": password,
                                          "csrf_token": token.group(1), "next": "/"})
        assert res.status_code in (302, 303), res.text[:500]
        home = client.get("/")
        assert home.status_code == 200, home.text[:500]
        assert email in home.text or "Log out" in home.text or "logout" in home.text


def _serve(command: str, cwd: Path, env: dict[str, str], email: str) -> None:
    port = _free_port()
    proc = subprocess.Popen(["bash", "-c", f"exec {command} --port {port}"], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"`{command}` exited early:\n{out[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, f"`{command}` did not listen on {port}"
                time.sleep(0.5)
        _login(port, email, env["MMSIS_ADMIN_PASSWORD"])
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_readme_tour_runs_as_written(tmp_path: Path) -> None:
    commands = tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MMSIS_") and k not in ("DHIS2_TOKEN", "DHIS2_PASSWORD")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "200"
    emails = []
    for command in commands:
        words = shlex.split(command)
        if words[0] == "export":
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                env[name] = value
            continue
        if "--email" in words:
            emails.append(words[words.index("--email") + 1])
        if words[:2] == ["mmsis", "serve"]:
            assert emails, "the tour serves the workspace before creating an admin"
            _serve(command, tmp_path, env, emails[-1])
            continue
        res = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, text=True,
                             capture_output=True, timeout=900, stdin=subprocess.DEVNULL)
        assert res.returncode == 0, f"`{command}` failed ({res.returncode}):\n{res.stderr[-3000:]}"
        if "--json" not in words:
            found = SCIENTIFIC.findall(res.stdout)
            assert not found, f"`{command}` prints scientific notation: {found[:5]}"
