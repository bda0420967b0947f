"""DiD standard errors against published outputs: fixest's "On standard-errors" vignette
(Grunfeld, clustered by firm) and the did2s README (df_het, the package's static example)."""

from __future__ import annotations

from importlib import resources

import pandas as pd
import pytest

from mmsis.evaluate.did import FIXEST_SSC, twfe, two_stage


def test_twfe_cluster_se_is_fixest_published_grunfeld_value() -> None:
    """fixest's vignette: feols(inv ~ capital | firm + year, Grunfeld) clustered by firm gives
    the same SE as Stata's xtreg, vce(cluster firm), printed as 0.06328129 (fixest's default
    ssc, fixef.K = "nested": K = 1 + 20 years, firm effects nested in the clusters not counted).
    Grunfeld = statsmodels' copy without American Steel (plm's 10 firms x 20 years)."""
    import pyfixest as pf
    import statsmodels.datasets.grunfeld as grunfeld

    d = grunfeld.load_pandas().data
    d = d[d["firm"] != "American Steel"].rename(
        columns={"invest": "y", "firm": "unit", "year": "time"})
    assert len(d) == 200
    fit = twfe(pf, d, "capital")
    assert float(fit.se()["capital"]) == pytest.approx(0.06328129, abs=5e-9)
    assert float(fit.coef()["capital"]) == pytest.approx(0.4138018, abs=1e-7)
    # the other conventions are visibly different: the check can fail
    none = pf.feols("y ~ capital | unit + time", data=d, vcov={"CRV1": "unit"},
                    ssc=pf.ssc(**{**FIXEST_SSC, "k_fixef": "none"}))
    assert float(none.se()["capital"]) == pytest.approx(0.0600171, abs=1e-7)


def test_did2s_matches_the_published_df_het_example() -> None:
    """did2s README: did2s(df_het, yname = "dep_var", first_stage = ~ 0 | state + year,
    second_stage = ~ i(treat, ref = FALSE), treatment = "treat", cluster_var = "state") prints
    2.152 (0.0476). df_het ships with pyfixest (46,500 rows)."""
    import pyfixest as pf

    path = resources.files("pyfixest.did").joinpath("data/df_het.csv")
    df = pd.read_csv(str(path))
    assert len(df) == 46_500
    panel = df.rename(columns={"dep_var": "y", "year": "time"}).drop(columns="unit")
    panel = panel.rename(columns={"state": "unit"}).assign(D=lambda x: x["treat"].astype(int))
    tab = two_stage(pf, panel, "~ i(D)").tidy()
    assert float(tab["Estimate"].iloc[0]) == pytest.approx(2.152, abs=5e-4)
    assert float(tab["Std. Error"].iloc[0]) == pytest.approx(0.0476, abs=5e-5)
