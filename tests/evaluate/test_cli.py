"""`mmsis evaluate ...` commands: JSON contract, plots and clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mmsis.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"
runner = CliRunner()
#: `mmsis evaluate its` on the Sicily smoking-ban series (Bernal et al.), up to the intervention.
SICILY_ITS = [
    "evaluate",
    "its",
    str(DATA / "sicily.csv"),
    "--outcome",
    "aces",
    "--time",
    "time",
    "--intervention",
    "smokban",
]
#: ... with the ITS-3 model: quasi-Poisson, standard-population offset, two harmonics by month.
SICILY_ITS3 = [
    *SICILY_ITS,
    "--offset",
    "stdpop",
    "--family",
    "quasipoisson",
    "--harmonics",
    "2",
    "--season",
    "month",
]


def test_its_json_contract(tmp_path: Path) -> None:
    plot = tmp_path / "its.png"
    res = runner.invoke(
        app,
        [*SICILY_ITS3, "--period", "12", "--slope-change", "--plot", str(plot), "--json"],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out["level_change"]) >= {"rr", "ci_low", "ci_high", "se"}
    assert out["slope_change"] is not None and "rr" in out["slope_change"]
    assert out["n"] == 59 and out["dispersion"] > 1
    assert plot.stat().st_size > 1000


def test_its_reproduces_its3_through_cli() -> None:
    res = runner.invoke(
        app,
        [*SICILY_ITS3, "--json"],
    )
    out = json.loads(res.stdout)
    assert out["level_change"]["rr"] == pytest.approx(0.885072, rel=1e-5)
    assert out["slope_change"] is None


def test_its_gaussian_reports_estimate_not_rr() -> None:
    res = runner.invoke(
        app,
        [*SICILY_ITS, "--offset", "stdpop", "--family", "gaussian", "--newey-west", "2", "--json"],
    )
    out = json.loads(res.stdout)
    assert "rr" not in out["level_change"] and out["level_change"]["estimate"] < 0


def test_its_bad_input_is_a_clean_error(tmp_path: Path) -> None:
    from mmsis.errors import InputError

    res = runner.invoke(
        app,
        [
            "evaluate",
            "its",
            str(DATA / "sicily.csv"),
            "--outcome",
            "aces",
            "--time",
            "time",
            "--intervention",
            "year",
            "--json",
        ],
    )
    assert isinstance(res.exception, InputError) and "0/1" in str(res.exception)
    res = runner.invoke(
        app,
        [
            "evaluate",
            "its",
            str(tmp_path / "none.csv"),
            "--outcome",
            "a",
            "--time",
            "t",
            "--intervention",
            "i",
        ],
    )
    assert isinstance(res.exception, InputError) and "not found" in str(res.exception)


def test_did_json(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_did import staggered

    path = tmp_path / "panel.csv"
    staggered(noise=0.2).to_csv(path, index=False)
    res = runner.invoke(
        app,
        [
            "evaluate",
            "did",
            str(path),
            "--outcome",
            "y",
            "--unit",
            "unit",
            "--time",
            "time",
            "--treated-from",
            "start",
            "--plot",
            str(tmp_path / "es.png"),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {"twfe", "robust", "event_study", "twfe_weights", "warnings"} <= set(out)
    assert out["robust"]["ci_low"] < out["robust"]["estimate"] < out["robust"]["ci_high"]
    assert (tmp_path / "es.png").exists()


def test_stepped_wedge_json(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_stepped_wedge import stepped_wedge_data

    path = tmp_path / "sw.csv"
    stepped_wedge_data(binary=False).to_csv(path, index=False)
    res = runner.invoke(
        app,
        [
            "evaluate",
            "stepped-wedge",
            str(path),
            "--outcome",
            "y",
            "--cluster",
            "cluster",
            "--period",
            "period",
            "--treatment",
            "trt",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["treatment"]["ci_low"] < out["treatment"]["estimate"] < out["treatment"]["ci_high"]
    assert out["n_clusters"] == 12 and "icc" in out["variance"]


def test_its_completeness_handling_is_reported(tmp_path: Path) -> None:
    import pandas as pd

    df = pd.read_csv(DATA / "sicily.csv")
    df["comp"] = 1.0
    df.loc[[4, 40], "comp"] = 0.5
    path = tmp_path / "s.csv"
    df.to_csv(path, index=False)
    base = [
        "evaluate",
        "its",
        str(path),
        "--outcome",
        "aces",
        "--time",
        "time",
        "--intervention",
        "smokban",
        "--offset",
        "stdpop",
        "--completeness",
        "comp",
    ]
    outs = {}
    for how in ("drop", "impute", "offset"):
        res = runner.invoke(app, [*base, "--missing", how, "--json"])
        assert res.exit_code == 0, res.output
        outs[how] = json.loads(res.stdout)
        assert outs[how]["data_quality"]["handling"] == how
        assert outs[how]["data_quality"]["low_completeness_times"] == [5.0, 41.0]
    assert outs["drop"]["n"] == 57 and outs["impute"]["n"] == 59 and outs["offset"]["n"] == 59
    assert outs["impute"]["data_quality"]["n_imputed"] == 2


def test_panel_from_written_country_then_did(example_country, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mmsis.evaluate.panels import country_panel

    example_country.write(tmp_path / "ex")
    out = tmp_path / "anc1.csv"
    res = runner.invoke(
        app,
        [
            "evaluate",
            "panel",
            str(tmp_path / "ex"),
            "--element",
            "ANC1",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["rows"] == 24 * 48 and info["districts"] == 24
    import pandas as pd

    from_files = pd.read_csv(out)
    in_memory = country_panel(example_country)
    pd.testing.assert_series_equal(from_files["value"], in_memory["value"], check_names=False)
    assert from_files["expected_pregnancies"].to_numpy() == pytest.approx(
        in_memory["expected_pregnancies"].to_numpy(), rel=1e-12
    )
    res = runner.invoke(
        app,
        [
            "evaluate",
            "did",
            str(out),
            "--outcome",
            "value",
            "--unit",
            "district_id",
            "--time",
            "period",
            "--treated-from",
            "mms_start",
            "--offset",
            "expected_pregnancies",
            "--log",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    robust = json.loads(res.stdout)["robust"]
    assert robust["rr_ci_low"] < example_country.truth["anc1_rr_mms"] < robust["rr_ci_high"]


def test_its_slope_origin_switch_and_report() -> None:
    """--slope-change defaults to last-pre (the tutorial's I(time - 36): RR 0.8765);
    --slope-origin first-post gives Stata itsa's coding (RR 0.8778); both are reported."""
    base = [*SICILY_ITS3, "--slope-change"]
    last = json.loads(runner.invoke(app, [*base, "--json"]).stdout)
    first = json.loads(runner.invoke(app, [*base, "--slope-origin", "first-post", "--json"]).stdout)
    assert last["slope_origin"] == "last-pre" and first["slope_origin"] == "first-post"
    assert last["level_change"]["rr"] == pytest.approx(0.8764644, rel=1e-6)
    assert first["level_change"]["rr"] == pytest.approx(0.8777645, rel=1e-6)
    assert last["slope_change"]["estimate"] == pytest.approx(first["slope_change"]["estimate"])
    text = runner.invoke(app, base)
    assert text.exit_code == 0, text.output
    assert "slope origin last-pre" in " ".join(text.stdout.split())
    bad = runner.invoke(app, [*base, "--slope-origin", "middle"])
    from mmsis.errors import InputError

    assert isinstance(bad.exception, InputError) and bad.exception.field == "slope_origin"


def test_cits_slope_origin_in_json(tmp_path: Path) -> None:
    import pandas as pd

    d = pd.read_csv(DATA / "sicily.csv")
    both = pd.concat([d.assign(g=1), d.assign(g=0, aces=(d["aces"] * 0.9).round())])
    both.to_csv(tmp_path / "two.csv", index=False)
    args = ["evaluate", "cits", str(tmp_path / "two.csv"), "--outcome", "aces", "--time", "time",
            "--group", "g", "--intervention", "smokban", "--offset", "stdpop", "--slope-change"]
    res = runner.invoke(app, [*args, "--slope-origin", "first-post", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["slope_origin"] == "first-post"
    assert "slope change beyond the control" in " ".join(runner.invoke(app, args).stdout.split())


def test_its_lines_write_a_tiny_dispersion_without_scientific_notation() -> None:
    from types import SimpleNamespace

    from mmsis.evaluate.cli import _its_lines

    result = SimpleNamespace(
        n=6, n_pre=3, n_post=3, dispersion=1.779e-06, se_type="model-based", log_link=True,
        level_change={"rr": 1.0, "ci_low": 0.9992, "ci_high": 1.0008}, slope_change=None)
    first = _its_lines(result)[0]
    assert "dispersion 0.00000178" in first and "e-06" not in first
