"""The simulation's mixed-model analysis against R lme4 (REML) on the same replicates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import run_r  # type: ignore[import-not-found]
from mmsis.design import sw_matrix
from mmsis.design.simulate import _cells, analyse_loop, lmm_fast, simulate_counts


@pytest.mark.peer
def test_mixedlm_and_fast_path_match_lme4(r_lme4, tmp_path) -> None:
    x = sw_matrix([2, 2, 2, 2])
    cells = _cells(x, np.full(x.shape, 50.0))
    counts = simulate_counts(cells, p0=0.3, theta=0.08, tau=0.06, gamma=0.0,
                             period_effects=np.zeros(x.shape[1]), n_reps=3,
                             rng=np.random.default_rng(3))
    props = counts / cells.n
    long = pd.DataFrame({
        "rep": np.repeat(np.arange(3), cells.cluster.size),
        "cluster": np.tile(cells.cluster, 3), "period": np.tile(cells.period, 3),
        "treat": np.tile(cells.treat, 3), "y": props.ravel(),
    })
    path = tmp_path / "reps.csv"
    long.to_csv(path, index=False)
    out = run_r(f"""
        suppressMessages(library(lme4))
        d <- read.csv("{path}")
        for (r in sort(unique(d$rep))) {{
          f <- lmer(y ~ 0 + factor(period) + treat + (1 | cluster), data = d[d$rep == r, ],
                    REML = TRUE)
          cat(sprintf("%.12f %.12f\\n", fixef(f)[["treat"]], sqrt(vcov(f)["treat", "treat"])))
        }}
    """)
    ref = np.array([[float(v) for v in line.split()] for line in out.strip().splitlines()])
    sm_est, sm_se = analyse_loop("mixedlm", cells, counts, n_jobs=1)
    assert np.allclose(sm_est, ref[:, 0], rtol=1e-4, atol=1e-6)
    assert np.allclose(sm_se, ref[:, 1], rtol=1e-4)
    fast_est, fast_se = lmm_fast(cells, props)
    # moment estimates of the variance components: close to REML, not equal
    assert np.max(np.abs(fast_est - ref[:, 0])) < 0.1 * np.mean(ref[:, 1])
    assert np.allclose(fast_se, ref[:, 1], rtol=0.15)
