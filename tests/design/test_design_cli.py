"""The `mmsis design` commands: JSON contract keys, plots and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mmsis.cli import app
from mmsis.errors import InputError

runner = CliRunner()


def _json(args: list[str]) -> dict:
    res = runner.invoke(app, ["design", *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_stepped_wedge_contract(tmp_path: Path) -> None:
    out = _json(["stepped-wedge", "--sequences", "6,6,6,6", "--n", "120", "--p0", "0.05",
                 "--p1", "0.035", "--tau", "0.01", "--plot", str(tmp_path / "sw.svg")])
    assert out["power"] == pytest.approx(0.7861895925, rel=1e-9)
    assert out["var_theta"] == pytest.approx(2.96823136e-05, rel=1e-8)
    assert (tmp_path / "sw.svg").read_text().lstrip().startswith("<?xml")
    out = _json(["stepped-wedge", "--sequences", "3,3,3,3", "--n", "20", "--mu0", "0", "--mu1",
                 "0.3", "--sigma", "1", "--icc", "0.05", "--cac", "0.8", "--eta", "0"])
    assert 0 < out["power"] < 0.849368428  # lower CAC than the SW-7 case -> less power


def test_stepped_wedge_design_file_with_missing_cells(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("0,1,1\n0,0,1\n0,0,\n")
    out = _json(["stepped-wedge", "--design", str(f), "--n", "50", "--p0", "0.3", "--p1",
                 "0.4", "--tau", "0.05"])
    assert out["closed_form"] is False and out["n_periods"] == 3


def test_crt_contract(tmp_path: Path) -> None:
    out = _json(["crt", "--outcome", "proportion", "--pe", "0.03", "--pc", "0.1", "--m", "25",
                 "--icc", "0.2", "--plot", str(tmp_path / "crt.png")])
    assert out["clusters_per_arm"] == 45
    assert out["clusters_per_arm_raw"] == pytest.approx(44.259993, abs=1e-4)
    assert (tmp_path / "crt.png").read_bytes()[:4] == b"\x89PNG"
    out = _json(["crt", "--outcome", "mean", "--clusters", "16", "--m", "10", "--difference",
                 "1", "--total-variance", "5", "--icc", "0.1"])
    assert out["power"] == pytest.approx(0.801766, abs=5e-7)
    out = _json(["crt", "--outcome", "rate", "--rate1", "0.01", "--rate0", "0.02",
                 "--person-time", "1000", "--k", "0.25"])
    assert out["clusters_per_arm"] >= 2
    out = _json(["crt", "--outcome", "proportion", "--pe", "0.3", "--pc", "0.4", "--sizes",
                 "10,40,25,80", "--icc", "0.05"])
    assert out["m"] == pytest.approx(38.75)


def test_woertman_survey_hooper_layout_simulate() -> None:
    out = _json(["woertman", "--n", "10", "--k", "4", "--t", "1", "--b", "1", "--rho", "0.05"])
    assert out["cf"] == pytest.approx(0.5351020408, rel=1e-9) and "design_effect" in out
    out = _json(["survey", "--p", "0.5", "--margin", "0.05"])
    assert out["n_total"] == 385
    out = _json(["hooper", "--sequences", "3,3,3", "--m", "20", "--icc", "0.05", "--cac", "0.5"])
    assert out["design_effect"] > 0
    out = _json(["layout", "--districts", "A,B,C,D,E", "--sequences", "2"])
    assert out["clusters_per_sequence"] == [3, 2]
    out = _json(["simulate", "--sequences", "2,2,2", "--n", "50", "--p0", "0.3", "--p1", "0.4",
                 "--tau", "0.03", "--reps", "200"])
    assert 0 <= out["estimate"] <= 1 and out["n"] == 200
    out = _json(["individual", "--outcome", "proportion", "--p1", "0.6", "--p0", "0.4"])
    assert out["n_per_arm"] == 97


def test_errors_name_the_argument() -> None:
    res = runner.invoke(app, ["design", "crt", "--outcome", "proportion", "--pe", "0.2", "--pc",
                              "0.2", "--m", "10", "--icc", "0.1"])
    assert isinstance(res.exception, InputError) and res.exception.field == "pe"
    res = runner.invoke(app, ["design", "stepped-wedge", "--sequences", "2,2", "--n", "10",
                              "--p0", "0.3", "--p1", "0.4", "--icc", "1.5"])
    assert isinstance(res.exception, InputError) and res.exception.field == "icc"


def _human(args: list[str]) -> str:
    res = runner.invoke(app, ["design", *args])
    assert res.exit_code == 0, res.output
    return " ".join(res.stdout.split())  # sentences wrap at the terminal's width


def test_human_output_is_a_plain_result_not_a_parameter_dump() -> None:
    out = _human(["survey", "--p", "0.5", "--margin", "0.05", "--icc", "0.05", "--take", "20"])
    assert "38 clusters of 20 women (760 in all)" in out
    assert "n_total" not in out and "n_fpc" not in out and "method" not in out
    out = _human(["stepped-wedge", "--sequences", "6,6,6,6", "--n", "120", "--p0", "0.05",
                  "--p1", "0.035", "--tau", "0.01"])
    assert "79% power to detect a change from 5.0% to 3.5%" in out
    assert "below the usual 80%" in out
    for dump in ("var_theta", "closed_form", "sigma2", "e-05", "True"):
        assert dump not in out
    out = _human(["crt", "--outcome", "proportion", "--pe", "0.15", "--pc", "0.20", "--m", "50",
                  "--icc", "0.02"])
    assert "36 clusters per arm (72 in all) of 50 people give 80% power" in out
    assert "clusters_per_arm_raw" not in out


def test_json_keeps_every_field_of_the_result() -> None:
    out = _json(["stepped-wedge", "--sequences", "6,6,6,6", "--n", "120", "--p0", "0.05",
                 "--p1", "0.035", "--tau", "0.01"])
    assert {"var_theta", "closed_form", "sigma2", "method", "power"} <= set(out)
    out = _json(["survey", "--p", "0.5", "--margin", "0.05", "--icc", "0.05", "--take", "20"])
    assert out["n_total"] == 750 and out["clusters"] == 38
