"""Unequal cluster sizes given as a CV: clusterPower's taylor default and Eldridge, switchable."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from mmsis.cli import app
from mmsis.design import crt_clusters, crt_power
from mmsis.design.crt import design_effect_cv, design_effect_cv_taylor, design_effect_sizes
from mmsis.errors import InputError

#: clusterPower's cpa.normal example: 20 clusters per arm of mean size 100, CV 0.5, d 0.2,
#: ICC 0.1, sigma_b_sq 0.1 (so the total variance is 1). Its documentation prints 0.4559881
#: (method = "taylor", the default); method = "weighted" (Eldridge) gives 0.3913.
EXAMPLE = {"m": 100, "cv": 0.5, "difference": 0.2, "total_variance": 1.0, "icc": 0.1}

#: cpa.normal's power expression (clusterPower 0.7, R/cpa.normal.R) for a scalar mean size.
CPA_NORMAL = """
cpa <- function(nclusters, nsubjects, CV, d, ICC, vart, method, alpha = 0.05) {
  if (method == "taylor") {
    DEFF <- 1 + (nsubjects - 1) * ICC
    L <- nsubjects * ICC / DEFF
    VIF <- DEFF / (1 - CV^2 * L * (1 - L))
  } else VIF <- 1 + ((CV^2 + 1) * nsubjects - 1) * ICC
  tcrit <- qt(alpha / 2, 2 * (nclusters - 1), lower.tail = FALSE)
  ncp <- sqrt(nclusters * nsubjects / (2 * VIF)) * abs(d) / sqrt(vart)
  pt(tcrit, 2 * (nclusters - 1), ncp, lower.tail = FALSE)
}
"""


def test_cluster_power_example_both_methods() -> None:
    taylor = crt_power("mean", 20, **EXAMPLE)  # type: ignore[arg-type]
    assert taylor.cv_method == "taylor"  # the default, as clusterPower's
    assert taylor.power == pytest.approx(0.4559881, abs=1e-7)
    eldridge = crt_power("mean", 20, cv_method="eldridge", **EXAMPLE)  # type: ignore[arg-type]
    assert eldridge.cv_method == "eldridge"
    assert eldridge.power == pytest.approx(0.3913, abs=1e-4)
    assert eldridge.design_effect == pytest.approx(1 + (1.25 * 100 - 1) * 0.1)
    # without a CV the method is not used, and says so
    assert crt_power("mean", 20, m=100, difference=0.2, total_variance=1.0,
                     icc=0.1).cv_method is None


def test_taylor_approximates_the_exact_minimum_variance_design_effect() -> None:
    """van Breukelen's approximation targets the mixed-model (minimum-variance weights)
    analysis, the exact form mmsis uses for --sizes; Eldridge's formula is the size-weighted
    analysis and overstates the mixed-model design effect."""
    rng = np.random.default_rng(11)
    for cv, icc in ((0.3, 0.05), (0.5, 0.1), (0.5, 0.01)):
        sizes = np.maximum(rng.gamma(1 / cv**2, 100 * cv**2, 100_000), 1)
        pop_cv = sizes.std() / sizes.mean()
        exact = design_effect_sizes(sizes, icc)
        taylor = design_effect_cv_taylor(sizes.mean(), pop_cv, icc)
        eldridge = design_effect_cv(sizes.mean(), pop_cv, icc)
        assert taylor == pytest.approx(exact, rel=5e-3)
        assert eldridge > exact * 1.03
        assert eldridge == pytest.approx(design_effect_sizes(sizes, icc, "size"), rel=1e-9)


def test_clusters_needed_use_the_method_and_bad_method_is_refused() -> None:
    kw = {"difference": 0.3, "total_variance": 1.0, "m": 30, "cv": 0.6, "icc": 0.05}
    t = crt_clusters("mean", **kw)  # type: ignore[arg-type]
    e = crt_clusters("mean", cv_method="eldridge", **kw)  # type: ignore[arg-type]
    assert t.cv_method == "taylor" and e.cv_method == "eldridge"
    assert t.clusters_per_arm_raw < e.clusters_per_arm_raw  # type: ignore[operator]
    assert "Taylor" in t.method and "Eldridge" in e.method
    with pytest.raises(InputError) as info:
        crt_power("mean", 20, cv_method="exact", **EXAMPLE)  # type: ignore[arg-type]
    assert info.value.field == "cv_method"


def test_cli_cv_method_in_json_and_printed() -> None:
    runner = CliRunner()
    args = ["design", "crt", "--outcome", "mean", "--clusters", "20", "--m", "100", "--cv",
            "0.5", "--difference", "0.2", "--total-variance", "1", "--icc", "0.1"]
    out = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert out["cv_method"] == "taylor" and out["power"] == pytest.approx(0.4559881, abs=1e-7)
    out = json.loads(runner.invoke(app, [*args, "--cv-method", "eldridge", "--json"]).stdout)
    assert out["cv_method"] == "eldridge" and out["power"] == pytest.approx(0.3913, abs=1e-4)
    text = runner.invoke(app, [*args, "--cv-method", "eldridge"])
    assert text.exit_code == 0, text.output
    assert "--cv-method eldridge" in " ".join(text.stdout.split())


@pytest.mark.peer
def test_matches_cpa_normal_written_out_in_r() -> None:
    """cpa.normal's power expression run in R on seeded random inputs, both methods."""
    from conftest import peer_missing, r_available, run_r  # type: ignore[import-not-found]

    if not r_available():
        peer_missing("R is not installed")
    rng = np.random.default_rng(5)
    cases = [
        (int(rng.integers(3, 40)), float(rng.uniform(5, 200)), float(rng.uniform(0, 0.9)),
         float(rng.uniform(0.05, 1)), float(rng.uniform(0.005, 0.3)), float(rng.uniform(0.5, 4)),
         method)
        for _ in range(12) for method in ("taylor", "weighted")
    ]
    calls = ", ".join(f'cpa({c}, {m!r}, {cv!r}, {d!r}, {icc!r}, {v!r}, "{meth}")'
                      for c, m, cv, d, icc, v, meth in cases)
    out = run_r(CPA_NORMAL + f'cat(sprintf("%.15g", c({calls})))')
    for (c, m, cv, d, icc, v, meth), ref in zip(cases, map(float, out.split()), strict=True):
        res = crt_power("mean", c, m=m, cv=cv, difference=d, total_variance=v, icc=icc,
                        cv_method="taylor" if meth == "taylor" else "eldridge")
        assert res.power == pytest.approx(ref, rel=1e-9, abs=1e-12)
