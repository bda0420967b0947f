"""The example country is deterministic, complete and shaped like DHIS2 and DHS data."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from mmsis.cli import app
from mmsis.datasets import example_country
from mmsis.datasets._routine import periods
from mmsis.datasets._survey import cmc_to_period


def test_same_seed_gives_identical_country(example_country) -> None:  # type: ignore[no-untyped-def]
    fresh = example_country_fresh(2024)
    pd.testing.assert_frame_equal(fresh.data_values, example_country.data_values)
    pd.testing.assert_frame_equal(fresh.survey, example_country.survey)
    assert fresh.truth == example_country.truth


def example_country_fresh(seed: int):  # type: ignore[no-untyped-def]
    """Generate without the in-process cache, to prove determinism across runs."""
    return example_country.__wrapped__(seed)


def test_other_seed_gives_other_country(example_country) -> None:  # type: ignore[no-untyped-def]
    other = example_country_fresh(7)
    assert not other.survey["v005"].equals(example_country.survey["v005"])


def test_hierarchy_counts_and_populations(example_country) -> None:  # type: ignore[no-untyped-def]
    ou = example_country.org_units
    counts = ou["level"].value_counts().to_dict()
    assert counts[1] == 1 and counts[2] == 4 and counts[3] == 24
    assert 550 <= counts[4] <= 650
    assert ou["id"].is_unique
    root_pop = int(ou.loc[ou["level"] == 1, "population"].iloc[0])
    assert root_pop == int(ou.loc[ou["level"] == 4, "population"].sum())
    # every path ends with the unit's own id and starts at the root
    for path, uid in zip(ou["path"], ou["id"], strict=True):
        assert path.startswith("/EXAMPLIA") and path.endswith("/" + uid)


def test_routine_data_in_dhis2_shape(example_country) -> None:  # type: ignore[no-untyped-def]
    dv = example_country.data_values
    assert list(dv.columns) == ["dataElement", "period", "orgUnit", "categoryOptionCombo",
                                "attributeOptionCombo", "value"]
    assert sorted(dv["period"].unique()) == periods("202101", 48)
    assert set(dv["dataElement"]) == set(example_country.data_elements["id"])
    assert not dv.duplicated(["dataElement", "period", "orgUnit"]).any()
    assert dv["value"].str.fullmatch(r"\d+").all()


def test_missing_reports_have_no_values(example_country) -> None:  # type: ignore[no-untyped-def]
    rep = example_country.reports
    missing = rep[rep["received"] == 0]
    assert 0.02 < len(missing) / len(rep) < 0.2
    dv = example_country.data_values
    keys = set(zip(dv["period"], dv["orgUnit"], strict=True))
    pairs = zip(missing["period"], missing["orgUnit"], strict=True)
    assert not any(pair in keys for pair in pairs)


def test_mms_values_start_with_the_district_rollout(example_country) -> None:  # type: ignore[no-untyped-def]
    c = example_country
    fac = c.org_units[c.org_units["level"] == 4].set_index("id")["parent_id"]
    mms = c.data_values[c.data_values["dataElement"] == "MMS_CLIENTS"]
    first = mms.assign(d=mms["orgUnit"].map(fac)).groupby("d")["period"].min()
    start = c.rollout.set_index("district_id")["mms_start"]
    assert (first.astype(int) >= start.loc[first.index].astype(int)).all()
    assert c.rollout["pilot"].sum() == 4


def test_planted_outliers_are_in_the_data(example_country) -> None:  # type: ignore[no-untyped-def]
    dv = example_country.data_values.set_index(["dataElement", "period", "orgUnit"])["value"]
    for o in example_country.truth["outliers"]:
        assert int(dv.loc[(o["dataElement"], o["period"], o["orgUnit"])]) == o["value"]
        assert o["value"] == 10 * o["original"]


def test_survey_design_columns(example_country) -> None:  # type: ignore[no-untyped-def]
    s = example_country.survey
    assert len(s) == 12000
    assert s["v005"].gt(0).all() and s["v021"].nunique() == 400
    # PSUs nest in strata
    assert s.groupby("v021")["v022"].nunique().max() == 1
    assert set(s["v025"]) == {1, 2} and set(s["v190"]) == {1, 2, 3, 4, 5}
    got = s["m45"] == 1
    assert s.loc[~got, "s_tabs_received"].isna().all()
    assert (s.loc[got, "s_tabs_received"] > 0).all()
    assert (s["m46"] == 998).any()  # don't-know codes are present


def test_cmc_to_period() -> None:
    assert list(cmc_to_period([1, 12, 13, 1500])) == ["190001", "190012", "190101", "202412"]


def test_write_and_cli(tmp_path, example_country) -> None:  # type: ignore[no-untyped-def]
    res = CliRunner().invoke(app, ["datasets", "example", "--out", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["facilities"] == int((example_country.org_units["level"] == 4).sum())
    dta = pd.read_stata(tmp_path / "survey.dta")
    assert len(dta) == 12000 and "v005" in dta.columns
    dvs = json.loads((tmp_path / "data_values.json").read_text())
    assert len(dvs["dataValues"]) == len(example_country.data_values)
    meta = json.loads((tmp_path / "metadata.json").read_text())
    assert {"organisationUnits", "dataElements"} <= meta.keys()
    assert any("parent" in ou for ou in meta["organisationUnits"])
