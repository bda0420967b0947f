"""mmsis: an implementation-science workbench for MMS introduction and scale-up.

The main entry points, one per step of the loop (each loads on first use, so that
``import mmsis`` and ``mmsis --help`` stay fast):

- knowledge base: `load_framework`; a country's data: `CountryProgramme` (the example
  country, `example_country`, is one);
- plan: `load_programme`, `assess`, `build_agenda`;
- design: `survey_sample_size`, `crt_clusters`, `stepped_wedge_power`;
- measure: `cascade`, `adherence`, `equity` (survey), `compute_indicators`, `quality_review`
  (routine, on a `Store`);
- evaluate: `fit_its`, `fit_controlled_its`, `fit_did`, `fit_stepped_wedge`;
- decide: `load_scenario`, `run_forecast`, `run_impact`; report: `build_report`;
- every result follows `Result` (summary, to_dict, plot(ax), notebook view); `save_plot`
  writes one to a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mmsis.data.programme import CountryProgramme
    from mmsis.data.store import Store
    from mmsis.datasets import example_country
    from mmsis.design.crt import crt_clusters
    from mmsis.design.stepped_wedge import stepped_wedge_power
    from mmsis.design.survey import survey_sample_size
    from mmsis.evaluate.controlled_its import fit_controlled_its
    from mmsis.evaluate.did import fit_did
    from mmsis.evaluate.its import fit_its
    from mmsis.evaluate.stepped_wedge import fit_stepped_wedge
    from mmsis.forecast.engine import run_forecast
    from mmsis.forecast.scenario import load_scenario
    from mmsis.framework.loader import load_framework
    from mmsis.impact.engine import run_impact
    from mmsis.measure.routine.indicators import compute_indicators
    from mmsis.measure.routine.quality import quality_review
    from mmsis.measure.survey.cascade import adherence, cascade
    from mmsis.measure.survey.equity import equity
    from mmsis.plan.agenda import build_agenda
    from mmsis.plan.scorecard import assess
    from mmsis.plan.workspace import load_programme
    from mmsis.report.build import build_report
    from mmsis.results import Result, save_plot

__getattr__, __dir__, _exports = lazy_exports(__name__, {
    "Store": "mmsis.data.store",
    "CountryProgramme": "mmsis.data.programme",
    "example_country": "mmsis.datasets",
    "crt_clusters": "mmsis.design.crt",
    "stepped_wedge_power": "mmsis.design.stepped_wedge",
    "survey_sample_size": "mmsis.design.survey",
    "fit_controlled_its": "mmsis.evaluate.controlled_its",
    "fit_did": "mmsis.evaluate.did",
    "fit_its": "mmsis.evaluate.its",
    "fit_stepped_wedge": "mmsis.evaluate.stepped_wedge",
    "run_forecast": "mmsis.forecast.engine",
    "load_scenario": "mmsis.forecast.scenario",
    "load_framework": "mmsis.framework.loader",
    "run_impact": "mmsis.impact.engine",
    "compute_indicators": "mmsis.measure.routine.indicators",
    "quality_review": "mmsis.measure.routine.quality",
    "adherence": "mmsis.measure.survey.cascade",
    "cascade": "mmsis.measure.survey.cascade",
    "equity": "mmsis.measure.survey.equity",
    "build_agenda": "mmsis.plan.agenda",
    "assess": "mmsis.plan.scorecard",
    "load_programme": "mmsis.plan.workspace",
    "build_report": "mmsis.report.build",
    "Result": "mmsis.results",
    "save_plot": "mmsis.results",
})
__all__ = ["__version__", *_exports]
