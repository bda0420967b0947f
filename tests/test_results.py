"""Every result class of survey, design, evaluate, forecast and impact implements the protocol.

The classes are discovered (every public class named ``*Result``/``*Table`` in those packages,
the design result models, every fitted evaluation model), so a new result class is checked
without being listed here; a few real results are then built and used through the protocol.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Any

import matplotlib

from mmsis.datasets import ExampleCountry

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import mmsis  # noqa: E402
from mmsis.results import SUMMARY_COLUMNS, Result, save_plot  # noqa: E402

PACKAGES = ["mmsis.measure.survey", "mmsis.design", "mmsis.evaluate", "mmsis.forecast",
            "mmsis.impact"]


def _modules() -> list[Any]:
    """Every module of the computing packages (command modules included)."""
    out = []
    for name in PACKAGES:
        pkg = importlib.import_module(name)
        out.append(pkg)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{name}."):
            out.append(importlib.import_module(info.name))
    return out


def result_classes() -> list[type]:
    """Public result classes defined in the computing packages."""
    from mmsis.design.results import _Result
    from mmsis.evaluate._base import EffectModel

    found: dict[str, type] = {}
    for mod in _modules():
        for name, cls in vars(mod).items():
            if (inspect.isclass(cls) and cls.__module__ == mod.__name__
                    and not name.startswith("_")
                    and (name.endswith(("Result", "Table"))
                         or issubclass(cls, _Result | EffectModel))):
                found[f"{cls.__module__}.{name}"] = cls
    return [found[k] for k in sorted(found)]


CLASSES = result_classes()


def test_discovery_finds_the_result_classes() -> None:
    names = {c.__name__ for c in CLASSES}
    assert {"CascadeTable", "AdherenceTable", "EquityResult", "SurveySampleSize",
            "CrtResult", "SimulationPower", "ITSResult", "DiDResult", "ControlledITSResult",
            "ForecastResult", "ImpactResult"} <= names
    assert len(CLASSES) >= 18


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_class_offers_the_protocol(cls: type) -> None:
    hints = {k for c in cls.__mro__ for k in getattr(c, "__annotations__", {})}
    assert hasattr(cls, "summary") or "summary" in hints, "summary"
    for method in ("to_dict", "plot", "_repr_html_"):
        assert callable(getattr(cls, method, None)), method
    params = inspect.signature(cls.plot).parameters
    assert list(params)[:2] == ["self", "ax"] and params["ax"].default is None, "plot(ax=None)"


def _check(result: Any, tmp_path: Path) -> None:
    """Use a real result through the protocol only."""
    assert isinstance(result, Result)
    summary = result.summary
    assert isinstance(summary, pd.DataFrame) and not summary.empty
    # tidy: the estimate in a column named so, and the protocol's names for what applies
    assert "estimate" in summary.columns, list(summary.columns)
    assert not {"central", "ui_low", "ui_high", "value"} & set(summary.columns), "tidy names"
    assert isinstance(result.to_dict(), dict)
    assert "<table" in result._repr_html_()
    fig, ax = plt.subplots()
    assert result.plot(ax) is ax
    plt.close(fig)
    out = save_plot(result, tmp_path / f"{type(result).__name__}.png")
    assert out.stat().st_size > 1000


def test_design_results_behave(tmp_path: Path) -> None:
    from mmsis.design.crt import crt_clusters
    from mmsis.design.survey import survey_sample_size

    res = survey_sample_size(p=0.5, margin=0.05, deff=2.0)
    _check(res, tmp_path)
    assert res.summary.set_index("quantity").loc["n_total", "estimate"] == res.n_total
    _check(crt_clusters("proportion", pe=0.4, pc=0.3, m=20, icc=0.05), tmp_path)


def test_evaluate_result_behaves(tmp_path: Path) -> None:
    from mmsis.evaluate.its import fit_its

    rng = np.random.default_rng(1)
    t = np.arange(48)
    post = (t >= 24).astype(int)
    y = rng.poisson(np.exp(4 + 0.01 * t + 0.2 * post))
    res = fit_its(pd.DataFrame({"time": t, "y": y, "post": post}), "y", "time", "post")
    _check(res, tmp_path)
    assert {"estimate", "se", "ci_low", "ci_high"} <= set(res.summary.columns)


def test_survey_results_behave(tmp_path: Path, example_country: ExampleCountry) -> None:
    from mmsis.data.survey import load_profile, recode
    from mmsis.measure.survey.cascade import adherence, cascade, design_of
    from mmsis.measure.survey.equity import equity

    rec = recode(example_country.survey, load_profile("dhs"))
    d = design_of(rec)
    casc = cascade(rec, design=d)
    _check(casc, tmp_path)
    assert type(casc.head()) is pd.DataFrame  # derived frames are plain
    _check(adherence(rec, design=d), tmp_path)
    eq = equity(d, "received_any", ["wealth"])
    groups, measures = eq  # still a (groups, measures) pair
    _check(eq, tmp_path)
    assert eq.summary is measures and set(groups["dimension"]) == {"wealth"}


def test_forecast_and_impact_results_behave(tmp_path: Path,
                                            example_country: ExampleCountry) -> None:
    from mmsis.demos.examples import example_scenario
    from mmsis.forecast.engine import run_forecast
    from mmsis.forecast.scenario import scenario_from_dict
    from mmsis.impact.engine import run_impact

    sc = scenario_from_dict(example_scenario(example_country))
    fc = run_forecast(sc)
    _check(fc, tmp_path)
    assert list(fc.summary.columns) == ["quantity", "estimate", "method"]
    # the export keeps its shape: item, value (CLI --json "summary", the web's forecast table)
    assert list(fc.to_dict()["summary"].columns) == ["item", "value"]
    assert list(fc.summary["estimate"]) == list(fc.totals["value"].astype(float))
    imp = run_impact(sc, draws=200, seed=1)
    _check(imp, tmp_path)
    assert set(SUMMARY_COLUMNS) <= set(imp.summary.columns)
    tidy = imp.summary.set_index("measure").loc["cost_per_daly"]
    assert (tidy["estimate"], tidy["ci_low"], tidy["ci_high"]) == (
        imp.measure("cost_per_daly")["central"], imp.measure("cost_per_daly")["ui_low"],
        imp.measure("cost_per_daly")["ui_high"])
    assert "uncertainty interval" in tidy["method"]
    # the exports keep theirs: measures (impact_summary.csv) and each measure in to_dict()
    assert list(imp.measures.columns) == ["measure", "central", "mean", "se", "ui_low",
                                          "ui_high", "n", "method"]
    assert set(imp.to_dict()["cost_per_daly"]) == {"central", "mean", "ui_low", "ui_high"}


def test_protocol_is_importable_from_the_top() -> None:
    assert mmsis.Result is Result
