"""Independent cross-checks on seeded random stores: indicators (every aggregation type, org-unit
level, period type, year-to-date, annualized population coverage) and the data-quality review,
each recomputed with plain pandas and compared to 1e-9."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from mmsis.data.store import Store
from mmsis.measure.routine import compute_indicators, quality_review
from mmsis.measure.routine.definitions import Definitions, RoutineIndicator

RULES = ["SUM", "AVERAGE", "AVERAGE_SUM_ORG_UNIT", "LAST", "LAST_AVERAGE_ORG_UNIT", "COUNT",
         "MIN", "MAX"]
MONTHS = [f"{y}{m:02d}" for y in (2023, 2024) for m in range(1, 13)]
DQ_MONTHS = [f"{y}{m:02d}" for y in range(2020, 2025) for m in range(1, 13)]


def _org_units(rng: np.random.Generator) -> pd.DataFrame:
    rows = [("R", 1, None, "/R")]
    for d in range(1, 4):
        rows.append((f"D{d}", 2, "R", f"/R/D{d}"))
        rows += [(f"F{d}{f}", 3, f"D{d}", f"/R/D{d}/F{d}{f}") for f in range(rng.integers(1, 4))]
    ous = pd.DataFrame(rows, columns=["id", "level", "parent_id", "path"])
    return ous.assign(name=ous["id"])


def _ancestor(ous: pd.DataFrame, level: int) -> dict[str, str]:
    return {r.id: r.path.strip("/").split("/")[level - 1] for r in ous.itertuples()
            if r.level >= level}


# independent period arithmetic for monthly data: (target id, its first and last day)
def _target(pe: str, ptype: str) -> tuple[str, date, date]:
    y, m = int(pe[:4]), int(pe[4:])
    if ptype == "quarterly":
        q = (m - 1) // 3 + 1
        return f"{y}Q{q}", date(y, 3 * q - 2, 1), date(y + (q == 4), (3 * q) % 12 + 1, 1)
    if ptype == "financial_july":
        fy = y if m >= 7 else y - 1
        return f"{fy}July", date(fy, 7, 1), date(fy + 1, 7, 1)
    # six-monthly November: NovS1 = Nov (y-1) - Apr y, NovS2 = May - Oct y
    if 5 <= m <= 10:
        return f"{y}NovS2", date(y, 5, 1), date(y, 11, 1)
    ny = y + 1 if m >= 11 else y
    return f"{ny}NovS1", date(ny - 1, 11, 1), date(ny, 5, 1)


@pytest.fixture(scope="module")
def random_store() -> tuple[Store, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(20261130)
    ous = _org_units(rng)
    ous["population"] = np.where(rng.random(len(ous)) < 0.5, np.nan,
                                 rng.integers(500, 5000, len(ous)).astype(float))
    st = Store(":memory:")
    des = pd.DataFrame({"id": [f"X_{r}" for r in RULES], "aggregation_type": RULES})
    assert st.import_metadata({"org_units": ous, "data_elements": des}).ok
    rows = [(de, pe, o, coc, aoc, float(rng.integers(-5, 100)))
            for o in ous["id"] if o != "R" for de in des["id"] for pe in MONTHS
            for coc in ("c1", "c2") for aoc in ("a1", "a2") if rng.random() < 0.3]
    dv = pd.DataFrame(rows, columns=["dataElement", "period", "orgUnit", "categoryOptionCombo",
                                     "attributeOptionCombo", "value"])
    assert st.import_data_values(dv).ok
    pops = pd.DataFrame([(o, str(y), float(rng.integers(500, 9000))) for o in ous["id"]
                         for y in (2023, 2024) if rng.random() < 0.5],
                        columns=["orgUnit", "year", "population"])
    assert st.import_populations(pops).ok
    return st, ous, dv, pops


def _pandas_item(dv: pd.DataFrame, ous: pd.DataFrame, level: int, ptype: str, rule: str,
                 ytd: bool) -> pd.DataFrame:
    """Facility-month totals (summed over option combos) aggregated by ``rule`` per unit at
    ``level`` and target period; with ``ytd`` every month up to the period's end in its year."""
    fm = dv[dv["dataElement"] == f"X_{rule}"].groupby(["orgUnit", "period"])["value"].sum()
    fm = fm.reset_index()
    fm["ou"] = fm["orgUnit"].map(_ancestor(ous, level))
    fm = fm.dropna(subset=["ou"])
    groups = []
    for o, g in fm.groupby("ou"):
        for t, start, end in {_target(pe, ptype) for pe in MONTHS}:
            first = date(end.year - (end.month == 1), 1, 1) if ytd and ptype == "quarterly" \
                else start
            sel = g[[first <= date(int(p[:4]), int(p[4:]), 1) < end for p in g["period"]]]
            if len(sel):
                groups.append((o, t, (end - first).days, sel))
    out = []
    for o, t, days, g in groups:
        last = g.sort_values("period").groupby("orgUnit").tail(1)["value"]
        v = {"SUM": g["value"].sum(), "AVERAGE": g["value"].mean(), "COUNT": len(g),
             "MIN": g["value"].min(), "MAX": g["value"].max(),
             "AVERAGE_SUM_ORG_UNIT": g.groupby("orgUnit")["value"].mean().sum(),
             "LAST": last.sum(), "LAST_AVERAGE_ORG_UNIT": last.mean()}[rule]
        out.append((o, t, days, v))
    return pd.DataFrame(out, columns=["org_unit", "period", "days", "ref"])


@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize(("ptype", "ytd"), [("quarterly", False), ("quarterly", True),
                                            ("financial_july", False), ("sixmonthly_nov", False)])
def test_every_aggregation_type_agrees_with_pandas(random_store, level: int, ptype: str,
                                                   ytd: bool) -> None:  # type: ignore[no-untyped-def]
    st, ous, dv, _ = random_store
    defs = Definitions(file="crosscheck", indicators=[
        RoutineIndicator(id=r, name=r, numerator=f"#{{X_{r}}}") for r in RULES])
    res = compute_indicators(st, level=level, period_type=ptype, definitions=defs, ytd=ytd)
    for rule in RULES:
        ref = _pandas_item(dv, ous, level, ptype, rule, ytd)
        got = res[res["indicator"] == rule].merge(ref, on=["org_unit", "period"], how="left")
        keys = set(zip(got.org_unit, got.period, strict=True))
        assert len(ref) and set(zip(ref.org_unit, ref.period, strict=True)) <= keys, rule
        # units and periods with other items but none of this one count it as zero
        np.testing.assert_allclose(got["value"], got["ref"].fillna(0.0), rtol=1e-9, err_msg=rule)


def test_annualized_coverage_with_yearly_populations_agrees_with_pandas(random_store) -> None:  # type: ignore[no-untyped-def]
    st, ous, dv, pops = random_store
    defs = Definitions(file="crosscheck", indicators=[RoutineIndicator(
        id="cov", name="cov", numerator="#{X_SUM}", denominator="P{population}", factor=1000,
        annualized=True)])
    yearly = {(r.orgUnit, int(r.year)): r.population for r in pops.itertuples()}
    single = ous.set_index("id")["population"]
    leaves = set(ous["id"]) - set(ous["parent_id"].dropna())
    for level in (2, 3):
        res = compute_indicators(st, level=level, period_type="quarterly", definitions=defs)
        ref = _pandas_item(dv, ous, level, "quarterly", "SUM", False)
        got = res.merge(ref, on=["org_unit", "period"])
        assert len(got) == len(ref)
        for r in got.itertuples():
            year = int(r.period[:4])
            below = [x.id for x in ous.itertuples() if x.id in leaves and f"/{r.org_unit}/"
                     in x.path + "/"]
            pop = yearly.get((r.org_unit, year))
            if pop is None and any((b, year) in yearly for b in below):
                pop = sum(yearly.get((b, year), 0.0) for b in below)
            if pop is None:
                pop = single[r.org_unit] if not np.isnan(single[r.org_unit]) else \
                    single[[b for b in below if b != r.org_unit]].sum(min_count=1)
            if np.isnan(pop):  # no population anywhere: no value
                assert np.isnan(r.value)
                continue
            # DHIS2's annualization: 365 / days in the quarter
            assert r.value == pytest.approx(r.ref / pop * 1000 * 365 / r.days, rel=1e-9)


def test_quality_review_agrees_with_pandas() -> None:
    """Completeness/timeliness, outliers (sample SD; 0.6745 |x - median| / MAD), internal
    consistency and consistency over time, recounted with pandas on a seeded store."""
    rng = np.random.default_rng(7)
    ous = _org_units(rng)
    des = ["ANC1", "ANC4", "MMS_CLIENTS", "IFA_CLIENTS", "MMS_TABLETS_DISPENSED",
           "IFA_TABLETS_DISPENSED"]
    st = Store(":memory:")
    assert st.import_metadata({"org_units": ous, "data_elements": pd.DataFrame(
        {"id": des, "aggregation_type": "SUM"})}).ok
    facs = ous.loc[ous["level"] == 3, "id"]
    rows = []
    for o in facs:
        for de in des:
            base = rng.integers(5, 60)
            for coc in ("c1", "c2"):
                for pe in DQ_MONTHS:
                    if rng.random() < 0.8:
                        v = float(rng.poisson(base)) * (rng.integers(3, 10)
                                                        if rng.random() < 0.03 else 1)
                        rows.append((de, pe, o, coc, v))
    dv = pd.DataFrame(rows, columns=["dataElement", "period", "orgUnit", "categoryOptionCombo",
                                     "value"])
    assert st.import_data_values(dv).ok
    rep = pd.DataFrame([("MNH_MONTHLY", pe, o, 1, int(x < 0.85), int(x < 0.7))
                        for o in facs for pe in DQ_MONTHS for x in [rng.random()]],
                       columns=["dataSet", "period", "orgUnit", "expected", "received",
                                "on_time"])
    assert st.import_reports(rep).ok
    # the pandas recount is of the plain DQR rules: switch the planned scale-up rule off (it
    # has its own tests in test_routine_quality_rollout.py)
    from mmsis.measure.routine import quality

    defs = quality.load_definitions().model_copy(deep=True)
    defs.quality.rollout_data_elements = []
    qr = quality_review(st, level=2, definitions=defs)
    t = qr.table
    anc = _ancestor(ous, 2)
    # completeness and timeliness per district and year
    r = rep.assign(ou=rep["orgUnit"].map(anc), year=rep["period"].str[:4]).groupby(
        ["ou", "year"])[["expected", "received", "on_time"]].sum()
    for check, col, threshold in (("completeness", "received", 80), ("timeliness", "on_time", 75)):
        got = t[t["check"] == check].set_index(["org_unit", "period"]).sort_index()
        ref = (100 * r[col] / r["expected"]).sort_index()
        np.testing.assert_allclose(got["value"], ref, rtol=1e-12)
        assert (got["flag"] == (ref < threshold)).all()
    # outliers per facility x element x combo series
    g = dv.groupby(["dataElement", "orgUnit", "categoryOptionCombo"])["value"]
    mean, sd, med = g.transform("mean"), g.transform(lambda x: x.std(ddof=1)), g.transform("median")
    mad = g.transform(lambda x: (x - x.median()).abs().median())
    z = (dv["value"] - mean).abs() / sd.where(sd > 0)
    mz = 0.6745 * (dv["value"] - med).abs() / mad.where(mad > 0)
    for check, sel in (("outlier_extreme", z > 3), ("outlier_moderate", (z > 2) & (z <= 3)),
                       ("outlier_modified_z", mz > 3.5)):
        ref = dv[sel]
        got = t[t["check"] == check]
        assert sorted(zip(got.org_unit, got.period, got.data_element, got.value, strict=True)) \
            == sorted(zip(ref.orgUnit, ref.period, ref.dataElement, ref.value, strict=True)), check
        metric = {"outlier_extreme": "% of values not extreme outliers (> 3 SD)",
                  "outlier_moderate": "% of values without moderate outliers (2-3 SD)",
                  "outlier_modified_z": "% of values with modified z <= 3.5"}[check]
        summ = qr.summary.set_index("metric").loc[metric]
        assert summ["value"] == pytest.approx(100 * (1 - len(ref) / len(dv)), rel=1e-12)
    # internal consistency and consistency over time on facility-month totals
    fm = dv.groupby(["orgUnit", "period", "dataElement"])["value"].sum().unstack().reset_index()
    fm = fm.assign(ou=fm["orgUnit"].map(anc), year=fm["period"].str[:4])
    for pid, lhs, rhs in (("mms_clients_le_anc1", "MMS_CLIENTS", "ANC1"),
                          ("anc4_le_anc1", "ANC4", "ANC1")):
        x = fm.dropna(subset=[lhs, rhs])
        ref = (100 * (x[lhs] > x[rhs])).groupby([x["ou"], x["year"]]).mean().sort_index()
        got = t[t["check"] == f"internal:{pid}"].set_index(["org_unit", "period"]).sort_index()
        np.testing.assert_allclose(got["value"], ref, rtol=1e-12)
    for de in ("ANC1", "ANC4", "MMS_CLIENTS"):
        y = fm.dropna(subset=[de]).groupby(["ou", "year"])[de].sum().unstack()
        ratio = (y["2024"] / y[["2021", "2022", "2023"]].mean(axis=1)).sort_index()
        got = t[(t["check"] == "consistency_over_time") & (t["data_element"] == de)]
        got = got.set_index("org_unit").sort_index()
        np.testing.assert_allclose(got["value"], ratio, rtol=1e-12)
        assert (got["flag"] == ((ratio - 1).abs() > 0.33)).all()
