"""Bundled example datasets: the synthetic example country used by the demo, docs and tests.

Attributes load lazily so that `mmsis --help` does not pay for numpy and scipy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mmsis.datasets._country import DEFAULT_SEED, ExampleCountry, example_country

__all__ = ["DEFAULT_SEED", "ExampleCountry", "example_country"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        import importlib

        module = importlib.import_module("mmsis.datasets._country")
        # importing the submodule binds its name on this package; rebind the public names
        for public in __all__:
            globals()[public] = getattr(module, public)
        return globals()[name]
    raise AttributeError(f"module 'mmsis.datasets' has no attribute {name!r}")
