"""Routine part of `mmsis demo`: load the example country, indicators by district x quarter,
and the data-quality review."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from mmsis.data.store import Store, load_example
from mmsis.measure.routine.indicators import compute_indicators
from mmsis.measure.routine.quality import quality_review

if TYPE_CHECKING:
    from mmsis.datasets import ExampleCountry


def run_demo(out_dir: Path, country: ExampleCountry) -> dict[str, Any]:
    """Run the routine pipeline on ``country``; write CSVs under ``out_dir``; return key results."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    console = Console()
    with Store(":memory:") as st:
        reports = load_example(st, country)
        ind = compute_indicators(st, level=3, period_type="quarterly")
        national = compute_indicators(st, level=1, period_type="yearly")
        qr = quality_review(st, level=3)
    ind.to_csv(out / "routine_indicators_district_quarter.csv", index=False)
    national.to_csv(out / "routine_indicators_national_year.csv", index=False)
    qr.table.to_csv(out / "routine_quality_table.csv", index=False)
    qr.summary.to_csv(out / "routine_quality_summary.csv", index=False)
    last_year = national["period"].max()
    nat = national[national["period"] == last_year].set_index("indicator")["value"]
    planted = {(o["orgUnit"], o["period"], o["dataElement"]) for o in country.truth["outliers"]}
    ext = qr.table[qr.table["check"] == "outlier_extreme"]
    found = planted & set(zip(ext["org_unit"], ext["period"], ext["data_element"], strict=True))
    from mmsis.demos.steps import fixed
    from mmsis.i18n import gettext as _
    from mmsis.present import format as fmt
    from mmsis.present.labels import default_labels

    lab = default_labels()
    console.print(_("[bold]Routine data[/bold]: %(values)s values, %(reports)s reports loaded")
                  % {"values": fmt.count(reports["data_values"].imported),
                     "reports": fmt.count(reports["reports"].imported)})
    console.print(_("National %(year)s: %(values)s") % {"year": last_year, "values": ", ".join(
        f"{lab.label(k)} {fixed(nat[k], 1)}"
        for k in ("anc1_coverage", "mms_share_of_anc1", "ifa_to_mms_transition_share",
                  "stockout_rate", "reporting_completeness") if k in nat)}, highlight=False)
    console.print(_("Data quality score %(score)s/100; extreme outliers flagged %(flagged)s, "
                    "planted outliers found %(found)s/%(planted)s") % {
        "score": fixed(qr.score, 1), "flagged": len(ext), "found": len(found),
        "planted": len(planted)})
    return {
        "values_loaded": reports["data_values"].imported,
        "indicator_rows": len(ind),
        "national": {k: float(v) for k, v in nat.items()},
        "quality_score": qr.score,
        "planted_outliers_found": len(found),
        "planted_outliers": len(planted),
        "files": sorted(p.name for p in out.glob("routine_*.csv")),
    }
