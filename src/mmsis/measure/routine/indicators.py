"""Routine indicators by org-unit level and period type, from the store and YAML definitions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mmsis.data import queries, spill
from mmsis.data.store import Store
from mmsis.errors import InputError
from mmsis.measure.routine.aggregate import aggregate, base_frame
from mmsis.measure.routine.definitions import Definitions, load_definitions
from mmsis.measure.routine.expressions import Expression, Item

DAYS_IN_YEAR = 365.0  # DHIS2's annualization constant (a leap year's 366 days give 365/366)
RECORD_COLUMNS = ["org_unit", "org_unit_name", "period", "indicator", "numerator",
                  "denominator", "value"]


def require_data(store: Store) -> None:
    """Refuse to compute on a store without org units (nothing was imported yet)."""
    if store.count("org_units") == 0:
        raise InputError("the store is empty: import DHIS2 metadata and data first "
                         "(mmsis routine import FILE)", file=store.path)


def _constants(defs: Definitions, store: Store) -> dict[str, float]:
    values = {k: c.value for k, c in defs.constants.items()}
    values.update(store.constants())
    return values


def _derived_order(defs: Definitions, needed: set[str]) -> list[str]:
    """Derived items needed (directly or through other derived items), dependencies first."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(key: str) -> None:
        if key in order:
            return
        if key in visiting:
            raise InputError(f"derived item {key} refers to itself", file=defs.file)
        visiting.add(key)
        d = defs.derived_items[key]
        deps = [d.rolling_mean] if d.rolling_mean else [
            i.data_element for i in Expression(d.expression or "0").items if i.kind == "de"]
        for dep in deps:
            if dep in defs.derived_items:
                visit(dep)
        visiting.discard(key)
        order.append(key)

    for key in needed:
        if key in defs.derived_items:
            visit(key)
    return order


def facility_frame(store: Store, defs: Definitions, exprs: list[Expression]
                   ) -> tuple[pd.DataFrame, dict[str, str], list[Item]]:
    """The org-unit x period frame with every item the expressions need, derived ones included.

    Returns the frame, the aggregation rule per item column and the population/constant items.
    """
    items = [i for e in exprs for i in e.items]
    needed = {i.data_element for i in items if i.kind == "de"}
    derived = _derived_order(defs, needed)
    raw: list[Item] = [i for i in items if i.kind in ("de", "report")
                       and i.data_element not in defs.derived_items]
    for key in derived:
        d = defs.derived_items[key]
        if d.rolling_mean:
            if d.rolling_mean not in defs.derived_items:
                raw.append(Item("de", d.rolling_mean))
        else:
            raw += [i for i in Expression(d.expression or "0").items if i.kind == "de"
                    and i.data_element not in defs.derived_items]
    frame = base_frame(store, raw)
    if not frame.empty:  # the text keys hashed once here, not at every later grouping
        frame = frame.astype({"org_unit": "category", "period": "category"})
    consts = _constants(defs, store)
    if derived and not frame.empty:
        frame = _by_unit_and_start(frame)
    for key in derived:
        d = defs.derived_items[key]
        name = Item("de", key).name
        if frame.empty:
            frame[name] = pd.Series(dtype="float64")
            continue
        if d.rolling_mean:
            src = Item("de", d.rolling_mean).name
            window = f"{int(d.months) * 31 - 15}D"
            frame[name] = (frame.set_index("_start").groupby("org_unit")[src]
                           .rolling(window, min_periods=1).mean().to_numpy())
        else:
            e = Expression(d.expression or "0", where=f"derived_items.{key}")
            frame[name] = e.evaluate(_env(e, frame, consts, None))
    rules = {it.name: "SUM" for it in raw}
    des = store.data_elements().set_index("id")["aggregation_type"].to_dict()
    for it in raw:
        if it.kind == "de":
            rules[it.name] = str(des.get(it.data_element) or "SUM")
    for key in derived:
        rules[Item("de", key).name] = defs.derived_items[key].aggregation_type
    other = [i for i in items if i.kind in ("constant", "population")]
    return frame.drop(columns=["_start"], errors="ignore"), rules, other


def _by_unit_and_start(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each period's start date (``_start``), ordered by org unit then start
    (what the rolling means need): dates parsed once per distinct period and the rows ordered
    by integer codes (a stable sort, the order of sorting the text and dates themselves)."""
    pe_codes, pe_uniq = pd.factorize(frame["period"])
    starts = pd.to_datetime(pd.Series([_month_start(str(pe)) for pe in pe_uniq], dtype=object),
                            format="%Y-%m-%d").to_numpy()[pe_codes]
    ou_codes, _ = pd.factorize(frame["org_unit"], sort=True)
    order = np.lexsort((starts.view("int64"), ou_codes))
    return frame.take(order).reset_index(drop=True).assign(_start=starts[order])


def _month_start(pe: str) -> str:
    from mmsis.data.dhis2.periods import parse_period

    return parse_period(pe).start.isoformat()


def _env(e: Expression, frame: pd.DataFrame, consts: dict[str, float],
         population: pd.Series | None) -> dict[str, object]:
    env: dict[str, object] = {}
    for it in e.items:
        if it.kind == "constant":
            if it.ref not in consts:
                raise InputError(f"unknown constant C{{{it.ref}}}; known: {sorted(consts)}",
                                 field=e.where)
            env[it.name] = consts[it.ref]
        elif it.kind == "days":
            if "days" not in frame:
                raise InputError("[days] can only be used in indicators", field=e.where)
            env[it.name] = frame["days"].to_numpy(dtype="float64")
        elif it.kind == "population":
            if population is None:
                raise InputError("P{population} can only be used in indicators", field=e.where)
            env[it.name] = population.to_numpy(dtype="float64")
        else:
            env[it.name] = frame[it.name].to_numpy(dtype="float64") if it.name in frame else \
                np.full(len(frame), np.nan)
    return env


def _yearly_population(store: Store, agg: pd.DataFrame) -> pd.Series:
    """Population of each row's unit in the year its period starts, from the ``populations``
    table (the unit's own figure, else the sum of its facilities' figures for that year);
    NaN where the table has neither, so the unit's single population applies."""
    if "populations" not in queries.table_names(store) or store.count("populations") == 0:
        return pd.Series(np.nan, index=agg.index)
    from mmsis.data.dhis2.periods import parse_period

    year = {t: parse_period(t).start.year for t in agg["target"].unique()}
    # own figures first; for units without one, facilities' (leaves') figures summed upwards
    pops = queries.yearly_populations(store)
    lookup = pops.drop_duplicates(["ou", "year"]).set_index(["ou", "year"])["pop"]
    keys = pd.MultiIndex.from_arrays([agg["ou"], agg["target"].map(year)])
    return pd.Series(lookup.reindex(keys).to_numpy(dtype="float64"), index=agg.index)


@spill.out_of_core()
def compute_indicators(store: Store, ids: list[str] | None = None, level: int | None = None,
                       period_type: str = "quarterly", *, definitions: str | Path |
                       Definitions | None = None, ytd: bool = False) -> pd.DataFrame:
    """Indicator values per org unit at ``level`` (default: the concept mapping's district
    level) and period of ``period_type`` (tidy records).

    Items are aggregated first (each by its own rule), then numerator / denominator x factor;
    annualized indicators are multiplied by 365 / days in the period (or year-to-date window),
    DHIS2's annualization factor.
    Missing items count as zero when the org unit and period have other data; an item with
    no value anywhere is unknown (the indicator is missing); a zero denominator gives a
    missing value.
    """
    require_data(store)
    defs = definitions if isinstance(definitions, Definitions) else load_definitions(definitions)
    mapping = store.concepts()
    defs = defs.resolved(mapping)  # concepts -> the country's own UIDs
    if level is None:  # the country's districts
        level = mapping.require_district_level()
    inds = defs.get(ids)
    exprs = {ind.id: (Expression(ind.numerator, f"{ind.id}.numerator"),
                      Expression(ind.denominator, f"{ind.id}.denominator")) for ind in inds}
    all_exprs = [e for pair in exprs.values() for e in pair]
    frame, rules, _ = facility_frame(store, defs, all_exprs)
    agg = aggregate(frame, rules, store, level, period_type, ytd)
    if agg.empty:
        return pd.DataFrame(columns=RECORD_COLUMNS)
    ous = queries.org_unit_populations(store).set_index("id")
    pop = _yearly_population(store, agg)
    pop = pop.fillna(agg["ou"].map(ous["population"]))
    if pop.isna().any():
        # fall back to the sum of the children's populations where a unit has none
        sums = queries.leaf_population_sums(store)
        pop = pop.fillna(agg["ou"].map(sums.set_index("id")["pop"]))
    consts = _constants(defs, store)
    filled = agg.copy()
    # a missing item is zero where the store holds the element elsewhere; an element with no
    # value at all (a concept the country has not mapped or not pulled) stays unknown, so
    # "MMS / (MMS + IFA)" is not 100% for want of IFA data
    item_cols = [c for c in rules if c in filled.columns and filled[c].notna().any()]
    filled[item_cols] = filled[item_cols].fillna(0.0)
    out = []
    for ind in inds:
        num_e, den_e = exprs[ind.id]
        num = num_e.evaluate(_env(num_e, filled, consts, pop))
        den = den_e.evaluate(_env(den_e, filled, consts, pop))
        num = np.broadcast_to(num, (len(filled),)).astype("float64")
        den = np.broadcast_to(den, (len(filled),)).astype("float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(den == 0, np.nan, num / np.where(den == 0, 1, den)) * ind.factor
        if ind.annualized:
            # DHIS2 (DateUtils.getAnnualizationFactor): 365 / days in the period, inclusive
            value = value * DAYS_IN_YEAR / filled["days"].to_numpy(dtype="float64")
        out.append(pd.DataFrame({
            "org_unit": filled["ou"].to_numpy(), "period": filled["target"].to_numpy(),
            "indicator": ind.id, "numerator": num, "denominator": den, "value": value}))
    res = pd.concat(out, ignore_index=True)
    res.insert(1, "org_unit_name", res["org_unit"].map(ous["name"]))
    return res[RECORD_COLUMNS].reset_index(drop=True)
