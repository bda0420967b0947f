"""Shared test fixtures: reference peers (R, PostgreSQL, Chromium) and the example country.

A peer that is absent skips its tests with a clear reason on a user's machine; CI sets
MMSIS_REQUIRE_PEERS=1 so that an absent peer fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mmsis.datasets import ExampleCountry

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def peer_missing(reason: str) -> None:
    """Skip (or, in CI, fail) a test whose reference peer is absent."""
    if os.environ.get("MMSIS_REQUIRE_PEERS") == "1":
        pytest.fail(f"required peer absent: {reason}", pytrace=False)
    pytest.skip(reason)


def r_available(*packages: str) -> bool:
    """True when Rscript runs and can load every named package."""
    if shutil.which("Rscript") is None:
        return False
    libs = "; ".join(f"suppressMessages(library({p}))" for p in packages) or "invisible(0)"
    proc = subprocess.run(["Rscript", "-e", libs], capture_output=True, text=True)
    return proc.returncode == 0


def run_r(script: str, timeout: float = 300) -> str:
    """Run an R script with Rscript and return its standard output."""
    proc = subprocess.run(
        ["Rscript", "--vanilla", "-e", script], capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise RuntimeError(f"R failed:\n{proc.stderr}")
    return proc.stdout


@pytest.fixture(scope="session")
def r_survey() -> None:
    """R with the survey package, as a reference peer."""
    if not r_available("survey"):
        peer_missing("R with the 'survey' package is not installed (apt-get install r-cran-survey)")


@pytest.fixture(scope="session")
def r_lme4() -> None:
    """R with lme4, as a reference peer."""
    if not r_available("lme4"):
        peer_missing("R with the 'lme4' package is not installed (apt-get install r-cran-lme4)")


@pytest.fixture(scope="session")
def example_country() -> ExampleCountry:
    """The bundled example country, generated once per test session."""
    from mmsis.datasets import example_country as make

    return make()
