"""Helpers for framework tests: write edited copies of default YAML files into a folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mmsis.framework.loader import DATA_DIR


def _default_data(name: str) -> dict[str, Any]:
    """A fresh parsed copy of one bundled knowledge-base file."""
    data: dict[str, Any] = yaml.load(
        (DATA_DIR / name).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader
    )
    return data


@pytest.fixture
def default_data() -> Callable[[str], dict[str, Any]]:
    """Return a function giving a fresh parsed copy of a bundled file."""
    return _default_data


@pytest.fixture
def write_country(tmp_path: Path) -> Callable[..., Path]:
    """Write `{file name: mapping}` into a country folder and return the folder."""

    def _write(files: dict[str, Any]) -> Path:
        folder = tmp_path / "country"
        folder.mkdir(exist_ok=True)
        for name, data in files.items():
            text = (
                data
                if isinstance(data, str)
                else yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False)
            )
            (folder / name).write_text(text, encoding="utf-8")
        return folder

    return _write
