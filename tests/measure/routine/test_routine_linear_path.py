"""The indicators' linear path (issue #20) gives the results of the path it replaced: item sums
joined in DuckDB instead of a pandas merge, and LAST / AVERAGE_SUM_ORG_UNIT found by one integer
key per (org unit, target period) instead of sorting three text keys, and the rows ordered
for the rolling means by integer codes instead of text. The old path is kept here
as the oracle and compared on a generated store with derived items (expressions and a rolling
mean), every aggregation rule, reports, holes in the data, several levels, monthly, quarterly
and year-to-date periods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmsis.data import queries
from mmsis.data.store import Store
from mmsis.measure.routine import aggregate as agg_mod
from mmsis.measure.routine import compute_indicators
from mmsis.measure.routine import indicators as ind_mod
from mmsis.measure.routine.definitions import Definitions, DerivedItem, RoutineIndicator

RULES = {"A": "SUM", "B": "SUM", "S": "LAST", "V": "AVERAGE", "W": "AVERAGE_SUM_ORG_UNIT",
         "L": "LAST_AVERAGE_ORG_UNIT", "C": "COUNT", "MN": "MIN", "MX": "MAX"}


def _store() -> Store:
    """Four levels (country, 2 regions, 5 districts, 40 facilities; two districts also report
    values of their own), 18 months, ~15% of values missing, reports with holes and for a
    month without values."""
    rng = np.random.default_rng(7)
    rows: list[tuple[object, ...]] = [("ROOT", "Country", 1, None, "/ROOT", None)]
    rows += [(f"R{r}", f"Region {r}", 2, "ROOT", f"/ROOT/R{r}", None) for r in range(2)]
    rows += [(f"D{d}", f"District {d}", 3, f"R{d % 2}", f"/ROOT/R{d % 2}/D{d}", None)
             for d in range(5)]
    rows += [(f"F{i:02d}", f"Facility {i}", 4, f"D{i % 5}",
              f"/ROOT/R{i % 5 % 2}/D{i % 5}/F{i:02d}", float(800 + 10 * i)) for i in range(40)]
    ous = pd.DataFrame(rows, columns=["id", "name", "level", "parent_id", "path", "population"])
    st = Store(":memory:")
    des = pd.DataFrame({"id": list(RULES), "aggregation_type": list(RULES.values())})
    assert st.import_metadata({"org_units": ous, "data_elements": des}).ok
    months = [f"{2023 + m // 12}{m % 12 + 1:02d}" for m in range(18)]
    units = [f"F{i:02d}" for i in range(40)] + ["D1", "D3"]
    idx = pd.MultiIndex.from_product([list(RULES), months, units, ["c1", "c2"]],
                                     names=["dataElement", "period", "orgUnit",
                                            "categoryOptionCombo"]).to_frame(index=False)
    idx["value"] = rng.integers(0, 40, len(idx)).astype(float)
    idx = idx[rng.random(len(idx)) > 0.15]  # holes: missing values, whole facility-months too
    assert st.import_data_values(idx).ok
    rep = pd.DataFrame([("DS", m, u, 1, int(rng.random() < 0.85), int(rng.random() < 0.6))
                        for m in [*months, "202407"] for u in units[:38]],
                       columns=["dataSet", "period", "orgUnit", "expected", "received",
                                "on_time"])
    assert st.import_reports(rep).ok
    st.set_constants({"k": 2.0})
    return st


def _definitions() -> Definitions:
    derived = {
        "AMC": DerivedItem(rolling_mean="A", months=3, aggregation_type="LAST"),
        "HAS_S": DerivedItem(expression="isNotNull(#{S})", aggregation_type="SUM"),
        "OUT": DerivedItem(expression="if(#{S} <= 5, 1, 0)", aggregation_type="SUM"),
        "COVER": DerivedItem(expression="if(#{AMC} > 0, #{S} / #{AMC}, 0)",
                             aggregation_type="LAST")}
    inds = [RoutineIndicator(id=f"i_{de}", name=de, numerator=f"#{{{de}}}") for de in RULES]
    inds += [
        RoutineIndicator(id="ratio", name="ratio", numerator="#{A} * C{k}",
                         denominator="#{B.c1} + #{A}", factor=100),
        RoutineIndicator(id="stockout", name="stockout", numerator="#{OUT}",
                         denominator="#{HAS_S}", factor=100),
        RoutineIndicator(id="cover", name="cover", numerator="#{COVER}"),
        RoutineIndicator(id="amc", name="amc", numerator="#{AMC}"),
        RoutineIndicator(id="rate", name="rate", numerator="R{DS.REPORTING_RATE}"),
        RoutineIndicator(id="pop", name="pop", numerator="#{A}", denominator="P{population}",
                         annualized=True)]
    return Definitions(file="t", derived_items=derived, indicators=inds)


def _old_item_sums(store: Store, values: list[queries.ValueColumn],
                   reports: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """The replaced path: two frames, merged on the text keys in pandas."""
    frames = []
    if values:
        frames.append(queries.value_sums(store, values))
    if reports:
        frames.append(queries.report_sums(store, reports))
    out = frames[0]
    for f in frames[1:]:
        out = out.merge(f, on=["org_unit", "period"], how="outer")
    return out


def _old_last(f: pd.DataFrame, col: str, unit: np.ndarray) -> pd.DataFrame:
    """The replaced LAST: sort by start, then the tail of each (ou, target, org_unit)."""
    sub = f.loc[f[col].notna(), ["ou", "target", "org_unit", "_start", col]]
    return sub.sort_values("_start", kind="stable").groupby(
        ["ou", "target", "org_unit"]).tail(1)


def _old_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The replaced ordering for the rolling means: dates mapped per row, text sorted."""
    starts = {pe: ind_mod._month_start(pe) for pe in frame["period"].unique()}
    frame = frame.assign(_start=pd.to_datetime(frame["period"].map(starts), format="%Y-%m-%d"))
    return frame.sort_values(["org_unit", "_start"]).reset_index(drop=True)


def _run(store: Store, level: int, period_type: str, ytd: bool) -> pd.DataFrame:
    res = compute_indicators(store, level=level, period_type=period_type,
                             definitions=_definitions(), ytd=ytd)
    return res.sort_values(["indicator", "org_unit", "period"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def store() -> Store:
    return _store()


@pytest.mark.parametrize(("level", "period_type", "ytd"), [
    (4, "monthly", False), (3, "monthly", False), (3, "quarterly", False),
    (2, "quarterly", True), (1, "yearly", False), (3, "sixmonthly", False)])
def test_linear_path_equals_the_old(store: Store, level: int, period_type: str, ytd: bool,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    new = _run(store, level, period_type, ytd)
    assert len(new) > 0 and new["value"].notna().sum() > len(new) / 2
    with monkeypatch.context() as m:
        m.setattr(queries, "item_sums", _old_item_sums)
        m.setattr(agg_mod, "_latest", _old_last)
        m.setattr(ind_mod, "_by_unit_and_start", _old_order)
        old = _run(store, level, period_type, ytd)
    pd.testing.assert_frame_equal(new, old, check_exact=False, rtol=1e-12, atol=0)


def test_average_sum_org_unit_by_hand(store: Store) -> None:
    """The reworked AVERAGE_SUM_ORG_UNIT: each facility's mean over the quarter, summed."""
    res = compute_indicators(store, ["i_W"], level=3, period_type="quarterly",
                             definitions=_definitions())
    raw = queries.value_sums(store, [queries.ValueColumn("w", "W")])
    d0 = raw[raw["org_unit"].isin([f"F{i:02d}" for i in range(0, 40, 5)])
             & raw["period"].isin(["202301", "202302", "202303"])]
    want = d0.groupby("org_unit")["w"].mean().sum()
    got = res[(res["org_unit"] == "D0") & (res["period"] == "2023Q1")]["value"].iloc[0]
    assert got == pytest.approx(want, rel=1e-12)
    assert list(res.columns) == ind_mod.RECORD_COLUMNS
