"""The example country's scenario: file and builder agree, forecast and consumption run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from mmsis.datasets import ExampleCountry
from mmsis.demos.examples import example_scenario
from mmsis.forecast.consumption import history_from_data_values
from mmsis.forecast.engine import run_forecast
from mmsis.forecast.scenario import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "examples" / "scenarios" / "example_country.yaml"


def test_example_file_matches_builder(example_country: ExampleCountry) -> None:
    assert yaml.safe_load(FILE.read_text()) == example_scenario(example_country)
    sc = load_scenario(FILE)
    assert len(sc.geography.districts or []) == len(example_country.rollout)


def test_example_forecast_scales_pilots_to_national(example_country: ExampleCountry) -> None:
    sc = scenario_from_dict(example_scenario(example_country))
    hist = history_from_data_values(example_country.data_values, example_country.org_units)
    r = run_forecast(sc, history=hist)
    need = r.need
    ro = example_country.rollout.set_index("district_id")
    for uid, g in need.groupby("district"):
        start = f"{str(ro.loc[uid, 'mms_start'])[:4]}-{str(ro.loc[uid, 'mms_start'])[4:]}"
        assert (g.loc[g["month"] < start, "pregnancies_covered"] == 0).all()
        assert (g.loc[g["month"] >= start, "pregnancies_covered"] > 0).all()
    last = need[need["month"] == need["month"].max()]
    assert np.allclose(last["mms_share"], 0.85)  # everyone switched by the end
    assert r.months["mms_shortage_tablets"].sum() == 0
    assert r.months["ifa_shortage_tablets"].sum() == 0
    c = r.consumption
    assert c is not None and set(c["district"]) == set(ro.index)
    mms = c[c["product"] == "mms"]
    # the synthetic country's MMS dispensing is of the same order as the demographic need
    ratio = mms["consumption_monthly"].sum() / mms["demographic_monthly"].sum()
    assert 0.3 < ratio < 3
