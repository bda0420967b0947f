"""Bundled example datasets: the synthetic example country used by the demo, docs and tests.

Attributes load lazily so that `mmsis --help` does not pay for numpy and scipy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.datasets._country import DEFAULT_SEED, ExampleCountry, example_country

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "DEFAULT_SEED": "._country",
    "ExampleCountry": "._country",
    "example_country": "._country",
})
