"""Demos and examples on the synthetic example country (Examplia), outside the library.

- `mmsis.demos.examples`: the example programme workspace and forecast scenario (used by the
  report for the example country; sits between the report and the plan);
- `mmsis.demos.steps`: one ``run_demo(out_dir, country)`` per step of the loop;
- `mmsis.demos.loop`: `run_loop`, the whole loop in order (`mmsis demo`);
- `mmsis.demos.web`: the seeded demo web workspace (`seed_demo`, `serve_demo`);
- `mmsis.demos.cli`: the commands that use the example (`mmsis demo`, `mmsis plan init`).

The library packages never import this package except the report, which reads
`mmsis.demos.examples` (import-linter contracts in pyproject.toml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.demos.examples import example_plan_data, example_programme, example_scenario
    from mmsis.demos.loop import run_loop
    from mmsis.demos.steps.plan import measured_example_programme
    from mmsis.demos.web import seed_demo, serve_demo

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "example_plan_data": ".examples",
    "example_programme": ".examples",
    "example_scenario": ".examples",
    "measured_example_programme": ".steps.plan",
    "run_loop": ".loop",
    "seed_demo": ".web",
    "serve_demo": ".web",
})
