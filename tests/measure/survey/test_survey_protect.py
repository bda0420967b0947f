"""`survey estimate` protects the user: special codes, design effect choice, reasons."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mmsis.cli import app
from mmsis.data.survey import load_profile
from mmsis.errors import InputError
from mmsis.measure import survey
from mmsis.measure.survey.protect import apply_codes, choose_deff, deff_reasons

runner = CliRunner()


@pytest.fixture(scope="module")
def survey_file(tmp_path_factory: pytest.TempPathFactory, example_country) -> Path:  # type: ignore[no-untyped-def]
    f = tmp_path_factory.mktemp("svy") / "survey.csv"
    example_country.survey.to_csv(f, index=False)
    return f


def _run(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, ["survey", "estimate", *args])
    return res.exit_code, res.stdout, res.stderr


def test_profile_codes_become_missing() -> None:
    df = pd.DataFrame({"m14": [0, 3, 4, 98, 99, 98]})
    rep = apply_codes(df, "m14", load_profile("dhs"))
    assert rep.dropped == {98.0: 2, 99.0: 1}
    assert df["m14"].isna().sum() == 3 and df["m14"].max() == 4
    assert "left out as missing" in rep.messages("dhs")[0]


def test_undeclared_codes_above_every_answer_are_warned_not_changed() -> None:
    df = pd.DataFrame({"m14": [0, 3, 8, 9, 12, 98]})
    rep = apply_codes(df, "m14")
    assert rep.suspicious == {98.0: 1}  # 8 and 9 visits are plausible answers
    assert df["m14"].max() == 98  # untouched: only a warning
    binary = pd.DataFrame({"m45": [0, 1, 1, 8, 9]})
    assert set(apply_codes(binary, "m45").suspicious) == {8.0, 9.0}
    assert apply_codes(pd.DataFrame({"x": [1.5, 98.0]}), "x").suspicious == {}


def test_deff_default_is_wr_without_fpc_and_wor_needs_fpc() -> None:
    assert choose_deff(None, None) == "wr"
    assert choose_deff(None, ["fpc"]) == "wor"
    with pytest.raises(InputError, match="needs the population size"):
        choose_deff("wor", None)
    with pytest.raises(InputError):
        choose_deff("srs", None)


def test_dhs_weights_divided_give_sane_design_effects(survey_file: Path) -> None:
    """The README's example: v005 / 1e6 with the old default 'wor' gave 6.5e7 or blank."""
    code, out, err = _run(str(survey_file), "--stat", "mean", "--var", "m14", "--weight", "v005",
                          "--weight-divisor", "1000000", "--cluster", "v021", "--strata", "v022",
                          "--by", "v024", "--json")
    assert code == 0, err
    deffs = [r["deff"] for r in json.loads(out)]
    assert all(d is not None and 0.2 < d < 20 for d in deffs)
    assert "98" in err and "don't know" in err  # the undeclared code is warned about


def test_profile_applies_design_and_codes(survey_file: Path, example_country) -> None:  # type: ignore[no-untyped-def]
    code, out, err = _run(str(survey_file), "--profile", "dhs", "--var", "m14", "--json")
    assert code == 0, err
    got = json.loads(out)[0]
    df = example_country.survey
    keep = ~df["m14"].isin([98, 99])
    w = df["v005"] / 1e6
    want = float(np.average(df.loc[keep, "m14"], weights=w[keep]))
    assert got["estimate"] == pytest.approx(want, rel=1e-12)
    assert got["n"] == int(keep.sum())
    assert "left out as missing" in err
    # the design came from the profile: the same as giving it by hand
    code, by_hand, _ = _run(str(survey_file), "--var", "m14", "--weight", "v005",
                            "--weight-divisor", "1000000", "--cluster", "v021", "--strata",
                            "v022", "--lonely-psu", "adjust", "--profile", "dhs", "--json")
    assert json.loads(by_hand)[0]["se"] == pytest.approx(got["se"], rel=1e-12)


def test_wor_without_fpc_is_refused_on_the_command_line(survey_file: Path) -> None:
    res = runner.invoke(app, ["survey", "estimate", str(survey_file), "--var", "m14",
                              "--deff", "wor"])
    assert res.exit_code != 0
    assert isinstance(res.exception, InputError) and res.exception.field == "deff"


def test_a_blank_design_effect_says_why() -> None:
    df = pd.DataFrame({"y": [1.0, 1.0, 1.0, 1.0, 2.0, 3.0], "g": [1, 1, 1, 2, 2, 2],
                       "psu": [1, 2, 3, 4, 5, 6]})
    res = survey.mean(survey.Design(df, cluster="psu"), "y", by="g", deff="wr")
    reasons = deff_reasons(res, df, "y", ["g"], "wr")
    assert len(reasons) == 1 and "g = 1" in reasons[0] and "the same" in reasons[0]


def test_human_table_labels_profile_domains(survey_file: Path) -> None:
    code, out, err = _run(str(survey_file), "--profile", "dhs", "--var", "m14", "--by", "v025")
    assert code == 0, err
    assert "urban" in out and "rural" in out and "Residence" in out
    assert "e+" not in out and "e-0" not in out
