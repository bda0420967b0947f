"""Demo step: the MMS coverage cascade, adherence and equity on the example country's survey."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from mmsis._cli import console

if TYPE_CHECKING:
    from mmsis.datasets import ExampleCountry


def run_demo(out_dir: Path, country: ExampleCountry) -> dict[str, Any]:
    """The programme's cascade (the dashboard's and the report's: `plan.measured.survey_results`,
    all women and % of previous step), adherence and wealth/residence/region equity; writes CSVs
    under ``out_dir/survey`` and returns the headline numbers."""
    from mmsis.data.survey import load_profile, recode
    from mmsis.demos.steps import fixed
    from mmsis.i18n import gettext as _
    from mmsis.measure.survey.cascade import cascade, design_of
    from mmsis.measure.survey.programme import CASCADE_PERIOD_MONTHS, CASCADE_SUPPLEMENT
    from mmsis.plan.measured import survey_results
    from mmsis.present import format as fmt
    from mmsis.present.labels import default_labels
    from mmsis.report.readable import text_cell

    out = Path(out_dir) / "survey"
    out.mkdir(parents=True, exist_ok=True)
    results = survey_results(country.survey)
    rec = recode(country.survey, load_profile("dhs"), supplement=CASCADE_SUPPLEMENT,
                 period_months=CASCADE_PERIOD_MONTHS)
    design = design_of(rec)
    casc = results.cascade
    by_wealth = cascade(rec, by="wealth", design=design)
    adh = results.adherence
    groups, measures = results.equity_groups, results.equity_measures
    casc.to_csv(out / "cascade.csv", index=False)
    by_wealth.to_csv(out / "cascade_by_wealth.csv", index=False)
    adh.to_csv(out / "adherence.csv", index=False)
    groups.to_csv(out / "equity_groups.csv", index=False)
    measures.to_csv(out / "equity_measures.csv", index=False)

    women = int(casc.loc[casc["of"] == "all women", "n"].max())
    lab = default_labels()
    table = Table(title=_("%(supplement)s coverage cascade (%(women)s %(denominator)s, "
                          "%(surveyed)s women surveyed)") % {
        "supplement": CASCADE_SUPPLEMENT, "women": fmt.count(women),
        "denominator": _(results.denominator), "surveyed": fmt.count(design.n)})
    for col in (_("step"), _("% of all women (95% CI)"), _("% of previous step (95% CI)")):
        table.add_column(col)
    for step in rec.profile.cascade:
        rows = casc[casc["step"] == step.id]
        labels = casc.loc[casc["step"] == step.id, "label"]
        cells = [_(str(labels.iloc[0])) if len(labels) else _(step.label)]
        for kind in ("all women", "previous"):
            r = rows[rows["of"].str.startswith(kind)]
            cells.append(
                ""
                if r.empty
                else f"{fixed(100 * r['estimate'].iloc[0], 1)} "
                f"({fixed(100 * r['ci_low'].iloc[0], 1)}-{fixed(100 * r['ci_high'].iloc[0], 1)})"
            )
        table.add_row(*cells)
    console.print(table)
    eq = Table(title=_("Equity in receiving any %(supplement)s (%(denominator)s)") % {
        "supplement": CASCADE_SUPPLEMENT, "denominator": _(results.denominator)})
    for col in (_("dimension"), _("measure"), _("comparison"), _("estimate (95% CI)")):
        eq.add_column(col)
    for _i, m in measures.iterrows():
        eq.add_row(
            text_cell(str(m["dimension"]), lab),
            text_cell(str(m["measure"]), lab),
            text_cell(str(m["comparison"]), lab),
            _("%(estimate)s (%(low)s to %(high)s)") % {
                "estimate": fixed(m["estimate"], 3), "low": fixed(m["ci_low"], 3),
                "high": fixed(m["ci_high"], 3)},
        )
    console.print(eq)
    ratio = adh.iloc[0]
    share = adh.iloc[1]
    console.print(_(
        "Adherence: consumed/received %(ratio)s (95%% CI %(low)s-%(high)s); %(share)s took >= "
        "90%% of their tablets. Tables in %(folder)s") % {
        "ratio": fmt.percent(ratio["estimate"], 1), "low": fixed(100 * ratio["ci_low"], 1),
        "high": fixed(100 * ratio["ci_high"], 1), "share": fmt.percent(share["estimate"], 1),
        "folder": out}, highlight=False)
    all_women = casc[casc["of"] == "all women"].set_index("step")
    sii = measures[measures["measure"] == "slope index of inequality"].iloc[0]
    return {
        "women": int(design.n),
        "cascade_women": women,
        "cascade_pct_all_women": {
            k: round(100 * float(v), 2) for k, v in all_women["estimate"].items()
        },
        "adherence_ratio": round(float(ratio["estimate"]), 4),
        "adherent_share": round(float(share["estimate"]), 4),
        "wealth_sii_received_any": round(float(sii["estimate"]), 4),
        "wealth_sii_se": round(float(sii["se"]), 4),
        "outputs": sorted(p.name for p in out.glob("*.csv")),
    }
