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
    from mmsis.measure.survey.cascade import cascade, design_of
    from mmsis.measure.survey.programme import CASCADE_PERIOD_MONTHS, CASCADE_SUPPLEMENT
    from mmsis.plan.measured import survey_results

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
    table = Table(title=f"{CASCADE_SUPPLEMENT} coverage cascade ({women:,} "
                        f"{results.denominator}, {design.n:,} women surveyed)")
    for col in ("step", "% of all women (95% CI)", "% of previous step (95% CI)"):
        table.add_column(col)
    for step in rec.profile.cascade:
        rows = casc[casc["step"] == step.id]
        labels = casc.loc[casc["step"] == step.id, "label"]
        cells = [str(labels.iloc[0]) if len(labels) else step.label]
        for kind in ("all women", "previous"):
            r = rows[rows["of"].str.startswith(kind)]
            cells.append(
                ""
                if r.empty
                else f"{100 * r['estimate'].iloc[0]:.1f} "
                f"({100 * r['ci_low'].iloc[0]:.1f}-{100 * r['ci_high'].iloc[0]:.1f})"
            )
        table.add_row(*cells)
    console.print(table)
    eq = Table(title=f"Equity in receiving any {CASCADE_SUPPLEMENT} ({results.denominator})")
    for col in ("dimension", "measure", "comparison", "estimate (95% CI)"):
        eq.add_column(col)
    for _, m in measures.iterrows():
        eq.add_row(
            m["dimension"],
            m["measure"],
            m["comparison"],
            f"{m['estimate']:.3f} ({m['ci_low']:.3f} to {m['ci_high']:.3f})",
        )
    console.print(eq)
    ratio = adh.iloc[0]
    share = adh.iloc[1]
    console.print(
        f"Adherence: consumed/received {100 * ratio['estimate']:.1f}% "
        f"(95% CI {100 * ratio['ci_low']:.1f}-{100 * ratio['ci_high']:.1f}); "
        f"{100 * share['estimate']:.1f}% took >= 90% of their tablets. "
        f"Tables in {out}"
    )
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
