"""DiD: TWFE vs did2s under staggered roll-out, TWFE weights, and TWFE against R (sandwich)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmsis.errors import InputError
from mmsis.evaluate.did import fit_did, twfe_weights
from mmsis.results import save_plot


def staggered(noise: float = 0.0, seed: int = 0, dynamic: float = 0.1) -> pd.DataFrame:
    """20 units x 30 periods; 5 never treated, cohorts start at 10, 15, 20; effect grows."""
    rng = np.random.default_rng(seed)
    units = np.repeat(np.arange(20), 30)
    t = np.tile(np.arange(30), 20)
    g_unit = np.where(np.arange(20) < 5, np.nan, 10 + (np.arange(20) % 3) * 5)
    g = g_unit[units]
    d = t >= g
    effect = np.where(d, 1 + dynamic * (t - np.nan_to_num(g)), 0.0)
    y = 0.1 * units + 0.05 * t + effect + noise * rng.normal(size=len(t))
    return pd.DataFrame({"unit": units, "time": t, "y": y, "start": g, "effect": effect})


def test_did2s_recovers_heterogeneous_effect_and_twfe_is_flagged(tmp_path: Path) -> None:
    df = staggered()
    r = fit_did(df, "y", "unit", "time", "start")
    true_att = df.loc[df["effect"] > 0, "effect"].mean()
    assert r.robust["estimate"] == pytest.approx(true_att, rel=1e-8)
    assert abs(r.twfe["estimate"] - true_att) > 0.3
    assert r.weights["n_negative"] > 0
    assert any("negative TWFE weights" in w for w in r.warnings)
    assert r.cohorts == {"10": 5, "15": 5, "20": 5, "never": 5}
    assert save_plot(r, tmp_path / "es.png").stat().st_size > 1000


def test_twfe_equals_weighted_sum_of_cell_effects() -> None:
    # de Chaisemartin & D'Haultfoeuille (2020), Theorem 1: without noise beta = sum w_it delta_it
    df = staggered()
    r = fit_did(df, "y", "unit", "time", "start")
    panel = df.assign(
        unit=df["unit"].astype(str),
        time=df["time"].astype(float),
        D=(df["effect"] > 0).astype(int),
        cohort=df["start"],
    )
    w = twfe_weights(panel)
    assert w["weight"].sum() == pytest.approx(1.0, rel=1e-12)
    eff = panel.loc[panel["D"] == 1, "effect"].to_numpy()
    assert (w["weight"] * eff).sum() == pytest.approx(r.twfe["estimate"], rel=1e-8)


def test_event_study_without_noise_is_exact() -> None:
    df = staggered(dynamic=0.0)
    r = fit_did(df, "y", "unit", "time", "start", leads=4, lags=6)
    for est in ("twfe", "did2s"):
        es = r.event_study[r.event_study["estimator"] == est].set_index("rel_time")["estimate"]
        assert es.loc[es.index >= 0].to_numpy() == pytest.approx(1.0, abs=1e-8)
        assert es.loc[es.index < -1].to_numpy() == pytest.approx(0.0, abs=1e-8)
    # homogeneous effect: TWFE is unbiased too
    assert r.twfe["estimate"] == pytest.approx(1.0, abs=1e-8)


def test_yyyymm_periods_and_log_outcome() -> None:
    df = staggered(noise=0.05, seed=3, dynamic=0.0)
    month = 202001 + (df["time"] // 12) * 100 + df["time"] % 12
    start = (202001 + (df["start"] // 12) * 100 + df["start"] % 12).where(df["start"].notna())
    counts = np.exp(3 + df["y"] * 0.1)
    a = fit_did(df.assign(p=month, s=start, c=counts), "c", "unit", "p", "s", log_outcome=True)
    b = fit_did(df.assign(c=counts), "c", "unit", "time", "start", log_outcome=True)
    assert a.robust["estimate"] == pytest.approx(b.robust["estimate"], rel=1e-10)
    assert a.robust["rr"] == pytest.approx(np.exp(0.1), rel=0.02)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: pd.concat([d, d.iloc[[3]]]), "duplicate unit-time"),
        (lambda d: d.assign(start=np.nan), "no variation"),
        (lambda d: d.assign(start=d["start"].where(d.index != 100, 12.0)), "constant within"),
        (
            lambda d: d.assign(start=d["start"].astype(object).where(d.index != 200, "x")),
            "not a time",
        ),
    ],
)
def test_bad_input(change, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=message):
        fit_did(change(staggered()), "y", "unit", "time", "start")


@pytest.mark.peer
def test_twfe_matches_r_lm_with_cluster_robust_se(tmp_path: Path) -> None:
    from conftest import peer_missing, r_available, run_r  # type: ignore[import-not-found]

    if not r_available("sandwich", "lmtest"):
        peer_missing("R with 'sandwich' is not installed")
    df = staggered(noise=0.5, seed=7)
    path = tmp_path / "panel.csv"
    df.assign(D=(df["effect"] > 0).astype(int)).to_csv(path, index=False)
    out = run_r(
        f"""
        suppressMessages(library(sandwich))
        d <- read.csv("{path}")
        m <- lm(y ~ D + factor(unit) + factor(time), data = d)
        v <- vcovCL(m, cluster = ~unit, type = "HC0", cadjust = TRUE)
        # fixest/pyfixest small-sample factor: unit FE nested in the cluster are not counted
        k <- 1 + length(unique(d$time))
        n <- nrow(d)
        cat(sprintf("%.12g", c(coef(m)["D"], sqrt(v["D", "D"] * (n - 1) / (n - k)))))
        """
    )
    b, se = map(float, out.split())
    r = fit_did(df, "y", "unit", "time", "start")
    assert r.twfe["estimate"] == pytest.approx(b, rel=1e-8)
    # CRV1 = HC0 x G/(G-1) x (n-1)/(n-k), k = 1 + number of time periods (fixest convention)
    assert r.twfe["se"] == pytest.approx(se, rel=1e-6)


def _tiny_panel(start_a: int, start_b: int, times: int) -> pd.DataFrame:
    rows = []
    for u, g in (("A", start_a), ("B", start_b)):
        for t in range(1, times + 1):
            y = 1.0 + 0.1 * t + (0.3 if t >= g else 0) + (0.05 if u == "A" else 0)
            rows.append({"u": u, "t": t, "y": y + 0.01 * ((7 * t + len(u)) % 3), "g": g})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("times,start_a,start_b", [(4, 2, 5), (3, 2, 3), (4, 3, 4), (5, 3, 6)])
def test_panels_too_small_for_did2s_are_refused_not_crashed(
        times: int, start_a: int, start_b: int) -> None:
    """pyfixest aborted the whole process (a Rust panic) on some of these; now a clear error."""
    import subprocess
    import sys

    code = (
        "import io, pandas as pd, sys\n"
        "from mmsis.errors import InputError\n"
        "from mmsis.evaluate.did import fit_did\n"
        f"df = pd.read_json(io.StringIO({_tiny_panel(start_a, start_b, times).to_json()!r}))\n"
        "try:\n"
        "    fit_did(df, 'y', 'u', 't', 'g', log_outcome=True)\n"
        "except InputError as e:\n"
        "    print('refused:', e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.startswith("refused:") and "too" in proc.stdout


def test_a_unit_with_one_month_before_its_start_is_left_out_with_a_warning() -> None:
    rng = np.random.default_rng(1)
    starts = {"A": 2, "B": 8, "C": 10, "D": None, "E": None}
    rows = [{"u": u, "t": t, "g": g,
             "y": float(np.exp(rng.normal(1 + 0.01 * t, 0.05)) * (1.1 if g and t >= g else 1))}
            for u, g in starts.items() for t in range(1, 13)]
    r = fit_did(pd.DataFrame(rows), "y", "u", "t", "g", log_outcome=True)
    assert r.n_units == 4
    assert any("left out: A" in w for w in r.warnings)
    assert 0.95 < r.robust["rr"] < 1.25
