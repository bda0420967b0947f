"""Budget by calendar year: MMS and IFA procurement (product, freight, distribution) and
programme costs (training, SBC, monitoring...) by category."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mmsis.forecast.scenario import Scenario, month_index


def programme_costs_by_month(sc: Scenario) -> pd.DataFrame:
    """Programme costs spread to months: a `year` entry falls in that year's first month,
    a start/end entry is spread evenly over its months."""
    rows = []
    for c in sc.programme_costs:
        if c.start is not None:
            m0 = month_index(c.start)
            m1 = month_index(c.end) if c.end else m0
            n = m1 - m0 + 1
            for m in range(m0, m1 + 1):
                rows.append({"month_index": m, "phase": c.phase, "category": c.category,
                             "amount": c.amount / n})
        else:
            assert c.year is not None
            rows.append({"month_index": c.year * 12, "phase": c.phase, "category": c.category,
                         "amount": c.amount})
    return pd.DataFrame(rows, columns=["month_index", "phase", "category", "amount"])


def programme_by_phase(sc: Scenario) -> pd.DataFrame:
    """Programme costs by year, phase and category (tidy)."""
    prog = programme_costs_by_month(sc)
    prog["year"] = prog["month_index"] // 12
    out = prog.groupby(["year", "phase", "category"], as_index=False)["amount"].sum()
    out.insert(3, "currency", sc.currency)
    return out


def budget_by_year(
    sc: Scenario, mms_order_tablets: np.ndarray, ifa_order_tablets: np.ndarray
) -> pd.DataFrame:
    """Yearly budget from orders placed (tablets by horizon month) and programme costs."""
    years = sorted({(sc.start_index + t) // 12 for t in range(sc.horizon_months)})
    month_year = np.array([(sc.start_index + t) // 12 for t in range(sc.horizon_months)])
    out = pd.DataFrame({"year": years})
    for name, tabs, prod in (("mms", mms_order_tablets, sc.mms), ("ifa", ifa_order_tablets,
                                                                  sc.ifa)):
        per_year = np.array([tabs[month_year == y].sum() for y in years])
        product = per_year * prod.price_per_tablet
        out[f"{name}_tablets_ordered"] = per_year
        out[f"{name}_product"] = product
        out[f"{name}_freight"] = product * sc.freight_pct
        out[f"{name}_distribution"] = product * sc.distribution_pct
        out[f"{name}_total"] = product * (1 + sc.freight_pct + sc.distribution_pct)
    prog = programme_costs_by_month(sc)
    prog["year"] = prog["month_index"] // 12
    cats = sorted(prog["category"].unique()) if len(prog) else []
    for cat in cats:
        sub = prog[prog["category"] == cat].groupby("year")["amount"].sum()
        out[f"programme_{cat}"] = out["year"].map(sub).fillna(0.0)
    out["programme_total"] = out[[f"programme_{c}" for c in cats]].sum(axis=1) if cats else 0.0
    out["total"] = out["mms_total"] + out["ifa_total"] + out["programme_total"]
    out.insert(1, "currency", sc.currency)
    return out
