"""DHS profile, recode rules, the cascade, adherence, equity and the survey CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mmsis.cli import app
from mmsis.data.survey import available_profiles, load_profile, read_survey, recode
from mmsis.errors import InputError
from mmsis.measure import survey
from mmsis.measure.survey.cascade import adherence, cascade, design_of
from mmsis.measure.survey.equity import equity


def _tiny() -> pd.DataFrame:
    """Eight women in four clusters, written with DHS codes and a chosen answer per rule."""
    return pd.DataFrame(
        {
            "v005": [
                1_000_000,
                2_000_000,
                1_500_000,
                1_000_000,
                2_000_000,
                500_000,
                1_000_000,
                3_000_000,
            ],
            "v021": [1, 1, 2, 2, 3, 3, 4, 4],
            "v022": [1, 1, 1, 1, 2, 2, 2, 2],
            "v024": [1, 1, 1, 1, 2, 2, 2, 2],
            "v025": [1, 1, 2, 2, 1, 1, 2, 2],
            "v190": [1, 2, 3, 4, 5, 1, 2, 5],
            "v008": [1400] * 8,
            "b3": [1390, 1380, 1370, 1399, 1360, 1395, 1330, 1385],  # row 7: 70 months ago
            "m14": [0, 3, 98, 5, 8, 99, 6, 4],
            "m13": [np.nan, 3, 4, 2, 3, 5, 2, 3],
            "m45": [0, 1, 8, 1, 1, 1, 1, 1],
            "s_supp_type": [np.nan, 1, np.nan, 2, 2, 1, 2, 2],
            "s_tabs_received": [np.nan, 90, np.nan, 180, 998, 180, 180, 240],
            "s_tabs_consumed": [np.nan, 60, np.nan, 180, 100, 999, 180, 200],
            "m46": [np.nan, 60, np.nan, 100, 120, 150, 170, 200],
        }
    )


def test_profiles_load() -> None:
    assert {"dhs", "mics"} <= set(available_profiles())
    p = load_profile("dhs")
    assert p.design.weight == "v005" and p.design.weight_divisor == 1e6
    assert [s.id for s in p.cascade][:3] == ["anc1", "anc4", "received_any"]
    with pytest.raises(InputError):
        load_profile("nosuch")


def test_recode_rules() -> None:
    rec = recode(_tiny(), load_profile("dhs"))
    d = rec.data
    assert d["_weight"].tolist()[:2] == [1.0, 2.0]
    # DHS (RH_ANC.do): m14 98 (don't know how many) is ANC1+ but not ANC4+; 99 (missing) is
    # "no" to both, kept in the denominator; row 7 is outside 60 months
    assert d["anc1"].tolist()[:6] == [0.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    assert np.isnan(d["anc1"][6])
    assert d["anc4"].tolist()[:6] == [0.0, 0.0, 0.0, 1.0, 1.0, 0.0]
    # no supplement -> later steps are 0 (skip pattern), not missing
    assert d["received_180"][0] == 0.0 and d["received_180"][2] == 0.0
    # 998 don't know on tablets received -> "no"; 999 missing consumed -> "no" (DHS
    # "don't know/missing" category, in the denominator)
    assert d["received_180"][4] == 0.0
    assert d["consumed_180"][5] == 0.0
    assert d["consumed_180"].tolist()[3] == 1.0 and d["consumed_180"][7] == 1.0
    mms = recode(_tiny(), load_profile("dhs"), supplement="MMS").data
    assert mms["received_any"][1] == 0.0 and mms["received_any"][3] == 1.0
    longer = recode(_tiny(), load_profile("dhs"), period_months=80).data
    assert longer["anc1"][6] == 1.0


def test_recode_names_absent_columns() -> None:
    with pytest.raises(InputError) as e:
        recode(_tiny().drop(columns=["v022", "m14"]), load_profile("dhs"))
    assert "m14" in e.value.message and "v022" in e.value.message


def test_cascade_matches_weighted_shares() -> None:
    df = _tiny()
    rec = recode(df, load_profile("dhs"))
    res = cascade(rec)
    data = rec.data
    w = data["_weight"]
    for step in ("anc1", "anc4", "received_any", "consumed_180"):
        ok = data[step].notna()
        expected = (w[ok] * data.loc[ok, step]).sum() / w[ok].sum()
        row = res[(res["step"] == step) & (res["of"] == "all women")].iloc[0]
        assert row["estimate"] == pytest.approx(expected, rel=1e-12)
    prev = data["anc1"] == 1
    ok = prev & data["anc4"].notna()
    cond = (w[ok] * data.loc[ok, "anc4"]).sum() / w[ok].sum()
    row = res[(res["step"] == "anc4") & res["of"].str.startswith("previous")].iloc[0]
    assert row["estimate"] == pytest.approx(cond, rel=1e-12)
    assert row["n"] == int(ok.sum())
    assert (res["ci_low"] <= res["estimate"]).all() and (res["estimate"] <= res["ci_high"]).all()


def test_cascade_domain_se_equals_engine(example_country) -> None:  # type: ignore[no-untyped-def]
    rec = recode(example_country.survey, load_profile("dhs"))
    d = design_of(rec)
    res = cascade(rec, by="residence", design=d)
    direct = survey.proportion(d, "anc4", by="residence")
    got = res[(res["step"] == "anc4") & (res["of"] == "all women")]
    np.testing.assert_allclose(got["se"].to_numpy(), direct["se"].to_numpy(), rtol=1e-12)
    all_women = res[res["of"] == "all women"].groupby("step", sort=False)["estimate"].mean()
    assert all_women["anc4"] < all_women["anc1"]
    assert all_women["consumed_180"] <= all_women["received_180"]
    adh = adherence(rec, design=d)
    assert 0 < adh["estimate"].iloc[0] < 1.2 and 0 < adh["estimate"].iloc[1] < 1
    groups, measures = equity(d, "received_any")
    assert set(groups["dimension"]) == {"wealth", "residence", "region"}
    sii = measures[measures["measure"] == "slope index of inequality"].iloc[0]
    gap = measures[(measures["dimension"] == "wealth") & (measures["measure"] == "absolute gap")]
    g = groups[groups["dimension"] == "wealth"].set_index("group")["estimate"]
    assert gap["estimate"].iloc[0] == pytest.approx(g["richest"] - g["poorest"], rel=1e-12)
    assert sii["se"] > 0 and sii["ci_low"] < sii["estimate"] < sii["ci_high"]


def test_read_dta_and_csv(tmp_path: Path) -> None:
    df = _tiny()
    df.to_stata(tmp_path / "ir.dta", write_index=False)
    df.to_csv(tmp_path / "ir.csv", index=False)
    a = read_survey(tmp_path / "ir.dta")
    b = read_survey(tmp_path / "ir.csv")
    pd.testing.assert_frame_equal(a.astype(float), b.astype(float))
    with pytest.raises(InputError):
        read_survey(tmp_path / "ir.xlsx")


def test_cli_estimate_cascade_equity(tmp_path: Path) -> None:
    runner = CliRunner()
    api = Path(__file__).resolve().parents[2] / "data" / "apiclus1.csv"
    out = runner.invoke(
        app,
        [
            "survey",
            "estimate",
            str(api),
            "--stat",
            "mean",
            "--var",
            "api00",
            "--weight",
            "pw",
            "--cluster",
            "dnum",
            "--fpc",
            "fpc",
            "--by",
            "stype",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    recs = json.loads(out.output)
    assert list(recs[0])[:8] == ["stype", "estimate", "se", "ci_low", "ci_high", "deff", "n", "df"]
    assert recs[0]["estimate"] == pytest.approx(648.8680556, rel=1e-6)
    assert recs[0]["se"] == pytest.approx(22.36240889, rel=1e-6)
    f = tmp_path / "ir.csv"
    pd.concat([_tiny()] * 3, ignore_index=True).assign(
        v021=lambda x: x["v021"] + 10 * (x.index // 8)
    ).to_csv(f, index=False)
    out = runner.invoke(app, ["survey", "cascade", str(f), "--profile", "dhs", "--json"])
    assert out.exit_code == 0, out.output
    steps = [r["step"] for r in json.loads(out.output)]
    assert steps[0] == "anc1" and "took_90_days" in steps
    out = runner.invoke(app, ["survey", "equity", str(f), "--json"])
    assert out.exit_code == 0, out.output
    assert {"groups", "measures", "rii", "ci", "paf", "par"} == set(json.loads(out.output))
    out = runner.invoke(app, ["survey", "estimate", str(f), "--var", "m14", "--cluster", "zz"])
    assert out.exit_code != 0


def test_run_demo(example_country, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mmsis.demos.steps.survey import run_demo

    res = run_demo(tmp_path, example_country)
    casc = res["cascade_pct_all_women"]
    assert casc["anc4"] < casc["anc1"] and casc["consumed_180"] <= casc["received_180"]
    assert (tmp_path / "survey" / "cascade.csv").exists()
    assert res["wealth_sii_se"] > 0
    from mmsis.plan.measured import survey_results  # one answer: the report's cascade

    report = survey_results(example_country.survey).cascade
    received = report[(report["step"] == "received_any") & (report["of"] == "all women")]
    assert casc["received_any"] == pytest.approx(100 * received["estimate"].iloc[0], abs=0.01)
    assert res["cascade_women"] == int(received["n"].iloc[0]) < res["women"]
    table = pd.read_csv(tmp_path / "survey" / "equity_measures.csv")
    assert set(table["dimension"]) == {"wealth", "residence", "region"}


def test_another_survey_is_a_profile_not_code(example_country, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The example survey renamed to MICS columns gives the same cascade with the MICS
    profile, and a user's own YAML profile file works the same way."""
    ir = example_country.survey
    dhs = cascade(recode(ir, load_profile("dhs")))
    names = {
        "v005": "wmweight",
        "v021": "HH1",
        "v022": "stratum",
        "v024": "HH7",
        "v025": "HH6",
        "v190": "windex5",
        "m14": "MN5",
        "m45": "MN13",
        "m46": "MN14",
    }
    mics = cascade(recode(ir.rename(columns=names), load_profile("mics")))
    cols = ["estimate", "se", "ci_low", "ci_high", "n", "df"]
    np.testing.assert_allclose(mics[cols].to_numpy(float), dhs[cols].to_numpy(float), rtol=1e-9)
    import mmsis.data.survey.profile as prof

    own = (prof.PROFILES_DIR / "dhs.yaml").read_text().replace("m14", "anc_n")
    path = tmp_path / "my_survey.yaml"
    path.write_text(own)
    mine = cascade(recode(ir.rename(columns={"m14": "anc_n"}), load_profile(path)))
    np.testing.assert_allclose(mine[cols].to_numpy(float), dhs[cols].to_numpy(float), rtol=1e-12)


def test_cli_adherence_and_weight_divisor(tmp_path: Path) -> None:
    runner = CliRunner()
    f = tmp_path / "ir.csv"
    pd.concat([_tiny()] * 3, ignore_index=True).assign(
        v021=lambda x: x["v021"] + 10 * (x.index // 8)
    ).to_csv(f, index=False)
    out = runner.invoke(app, ["survey", "adherence", str(f), "--json"])
    assert out.exit_code == 0, out.output
    recs = json.loads(out.output)
    assert len(recs) == 2 and 0 < recs[0]["estimate"] <= 1.5
    args = [
        "survey",
        "estimate",
        str(f),
        "--stat",
        "total",
        "--var",
        "m13",
        "--weight",
        "v005",
        "--cluster",
        "v021",
        "--strata",
        "v022",
        "--json",
    ]
    raw = json.loads(runner.invoke(app, args).output)[0]
    scaled = json.loads(runner.invoke(app, [*args, "--weight-divisor", "1000000"]).output)[0]
    assert scaled["estimate"] == pytest.approx(raw["estimate"] / 1e6, rel=1e-12)
    bad = runner.invoke(app, ["survey", "estimate", str(f), "--stat", "median", "--var", "m13"])
    assert bad.exit_code != 0


def test_cli_cascade_by_accepts_the_survey_column(example_country, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`--by v190` means the profile's wealth domain, exactly as `--by wealth`."""
    f = tmp_path / "survey.csv"
    example_country.survey.to_csv(f, index=False)
    runner = CliRunner()
    by_column = runner.invoke(app, ["survey", "cascade", str(f), "--by", "v190", "--json"])
    by_name = runner.invoke(app, ["survey", "cascade", str(f), "--by", "wealth", "--json"])
    assert by_column.exit_code == 0, by_column.output
    assert json.loads(by_column.output) == json.loads(by_name.output)
    assert {r["wealth"] for r in json.loads(by_name.output)} >= {"poorest", "richest"}


def test_cli_cascade_defaults_to_the_programme_cascade(example_country, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`mmsis survey cascade FILE` gives the programme cascade (MMS, births in the past 24
    months: the dashboard's and the report's) unless told otherwise, and says which."""
    from mmsis.measure.survey.programme import denominator_words, programme_cascade

    f = tmp_path / "survey.csv"
    example_country.survey.to_csv(f, index=False)
    runner = CliRunner()
    out = runner.invoke(app, ["survey", "cascade", str(f), "--json"])
    assert out.exit_code == 0, out.output
    got = pd.DataFrame(json.loads(out.output))
    want = programme_cascade(pd.read_csv(f), file=str(f))
    cols = ["estimate", "ci_low", "ci_high", "n"]
    assert list(got["label"]) == list(want["label"]) and "Received any MMS" in set(got["label"])
    np.testing.assert_allclose(got[cols].to_numpy(float), want[cols].to_numpy(float),
                               rtol=1e-12)
    assert denominator_words() in set(got["denominator"])
    # the options still change it: any supplement, five years of births
    other = pd.DataFrame(json.loads(runner.invoke(app, [
        "survey", "cascade", str(f), "--supplement", "any", "--period-months", "60",
        "--json"]).output))
    assert "Received any MMS/IFA" in set(other["label"])
    assert other["n"].iloc[0] > got["n"].iloc[0]
    assert denominator_words(60) in set(other["denominator"])
    # the table says which definition and denominator it used
    text = " ".join(runner.invoke(app, ["survey", "cascade", str(f)]).output.split())
    assert "the programme cascade" in text and "supplement counted: MMS" in text
    assert "every share is of women with a birth in the past 24 months" in text
    text = " ".join(runner.invoke(app, ["survey", "cascade", str(f), "--supplement", "any"]
                                  ).output.split())
    assert "programme cascade" not in text and "supplement counted: MMS/IFA" in text


def test_a_step_nobody_reached_gives_no_share_of_it(example_country) -> None:  # type: ignore[no-untyped-def]
    """A part of the country where nobody reached a step (no MMS received): the cascade of
    its respondents still answers, with no "% of previous step" row for the next step (a
    share of nobody), instead of failing inside the variance code."""
    from mmsis.data.survey import load_profile, recode
    from mmsis.measure.survey.cascade import cascade
    from mmsis.measure.survey.design import Design
    from mmsis.measure.survey.estimators import mean, proportion, total

    survey = example_country.survey
    rec = recode(survey, load_profile("dhs"), supplement="MMS", period_months=24)
    got = rec.data["received_any"].to_numpy() == 1
    rec.data.loc[got, [c for c in ("received_any", "received_180", "consumed_180",
                                   "took_90_days") if c in rec.data.columns]] = 0.0
    table = cascade(rec)
    assert table.loc[(table["step"] == "received_any") & (table["of"] == "all women"),
                     "estimate"].iloc[0] == 0
    assert not ((table["step"] == "received_180") & (table["of"].str.startswith("previous"))).any()
    df = pd.DataFrame({"psu": np.repeat(np.arange(20), 5), "st": np.repeat(np.arange(2), 50),
                       "w": 1.0, "y": np.tile([0.0, 1.0], 50), "g": np.nan})
    d = Design(df, cluster="psu", strata="st", weight="w")
    for estimator in (proportion, mean, total):
        assert estimator(d, "y", by="g").empty


def test_a_scope_without_respondents_is_refused_by_its_name(example_country) -> None:  # type: ignore[no-untyped-def]
    """A part of the country with no respondents: an InputError naming the part, not its path."""
    from mmsis.measure.survey.programme import programme_cascade

    survey = example_country.survey.head(200).assign(district_id="D1")
    with pytest.raises(InputError, match="districts in Beta region"):
        programme_cascade(survey, file="s.csv", unit_paths={"D1": "/C/R1/D1"}, scope="/C/R2",
                          place="Beta region")
