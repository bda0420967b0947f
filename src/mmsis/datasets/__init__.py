"""Bundled example datasets: the synthetic example country used by the demo, docs and tests."""

from mmsis.datasets.example_country import DEFAULT_SEED, ExampleCountry, example_country

__all__ = ["DEFAULT_SEED", "ExampleCountry", "example_country"]
