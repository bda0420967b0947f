"""Evaluate step of `mmsis demo`: ITS and controlled ITS for a pilot district, DiD over all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mmsis.datasets import ExampleCountry


def run_demo(out_dir: Path, country: ExampleCountry) -> dict[str, Any]:
    """Recover the ANC1 change after MMS introduction on the example country; write plots."""
    import pandas as pd
    from rich.table import Table

    from mmsis._cli import console
    from mmsis.data.concepts import concept_map
    from mmsis.data.store import Store, load_example
    from mmsis.evaluate.controlled_its import fit_controlled_its
    from mmsis.evaluate.did import fit_did
    from mmsis.evaluate.panels import aggregate_districts, country_panel
    from mmsis.evaluate.routine_its import store_its
    from mmsis.results import save_plot

    out = out_dir / "evaluate"
    out.mkdir(parents=True, exist_ok=True)
    panel = country_panel(country, "ANC1")
    panel.to_csv(out / "anc1_district_month.csv", index=False)
    pilot = country.rollout.loc[country.rollout["pilot"]].iloc[0]
    series = panel[panel["district_id"] == pilot["district_id"]]
    # the ITS every view fits (the Evaluation page, the report, `mmsis evaluate routine-its`):
    # the pilot district's monthly ANC1 from the programme store, from its MMS start
    with Store(":memory:") as store:
        load_example(store, country)
        its = store_its(store, concept_map(store).require("anc1"),
                        str(pilot["mms_start"]), str(pilot["district_id"]))
    save_plot(its, out / "its_anc1_pilot.png")
    # controlled ITS: the same pilot against the last wave's districts pooled, up to their start
    starts = country.rollout["mms_start"].astype(str)
    last = starts.max()
    control = aggregate_districts(
        panel, country.rollout.loc[starts == last, "district_id"].tolist()
    )
    pair = pd.concat([series.assign(treated=1), control.assign(treated=0)], ignore_index=True)
    pair = pair[pair["period"].astype(str) < last]
    pair["post"] = (pair["period"].astype(str) >= str(pilot["mms_start"])).astype(int)
    pair["reported_pregnancies"] = pair["expected_pregnancies"] * pair["population_completeness"]
    cits = fit_controlled_its(
        pair, "value", "period", "treated", "post", offset="reported_pregnancies",
        family="quasipoisson", harmonics=1,
    )
    save_plot(cits, out / "cits_anc1_pilot.png")
    rate = panel.assign(
        rate=panel["value"] / (panel["expected_pregnancies"] * panel["population_completeness"])
    )
    did = fit_did(rate, "rate", "district_id", "period", "mms_start", log_outcome=True)
    save_plot(did, out / "event_study_anc1.png")
    did.event_study.to_csv(out / "event_study_anc1.csv", index=False)

    true_rr = float(country.truth["anc1_rr_mms"])
    lc, rob, twfe = its.level_change, did.robust, did.twfe
    from mmsis.demos.steps import fixed
    from mmsis.i18n import gettext as _
    from mmsis.present import format as fmt

    def ci(low: float, high: float) -> str:
        return f"{fixed(low, 3)}-{fixed(high, 3)}"

    table = Table(title=_("ANC1 after MMS introduction (true rate ratio %(rr)s)")
                  % {"rr": fixed(true_rr, 2)})
    for col in (_("method"), _("rate ratio"), _("95% CI")):
        table.add_column(col)
    district = pilot["district_name"]
    table.add_row(
        _("ITS, %(district)s (pilot, quasi-Poisson, as on the Evaluation page)")
        % {"district": district}, fixed(lc["rr"], 3), ci(lc["ci_low"], lc["ci_high"]))
    cl = cits.level_change
    table.add_row(
        _("controlled ITS, %(district)s vs districts starting %(month)s")
        % {"district": district, "month": fmt.period(last)},
        fixed(cl["rr"], 3), ci(cl["ci_low"], cl["ci_high"]))
    table.add_row(_("DiD over 24 districts, did2s"), fixed(rob["rr"], 3),
                  ci(rob["rr_ci_low"], rob["rr_ci_high"]))
    table.add_row(_("DiD, TWFE (cluster-robust)"), fixed(twfe["rr"], 3),
                  ci(twfe["rr_ci_low"], twfe["rr_ci_high"]))
    console.print(table)
    for w in did.warnings[:1]:
        console.print(_("[yellow]note:[/yellow] %(warning)s") % {"warning": w})
    console.print(_("Plots and tables in %(folder)s") % {"folder": out})
    return {
        "true_anc1_rr": true_rr,
        "its_district": str(pilot["district_id"]),
        "its_rr": lc["rr"],
        "its_ci": [lc["ci_low"], lc["ci_high"]],
        "cits_rr": cl["rr"],
        "cits_ci": [cl["ci_low"], cl["ci_high"]],
        "did2s_rr": rob["rr"],
        "did2s_ci": [rob["rr_ci_low"], rob["rr_ci_high"]],
        "twfe_rr": twfe["rr"],
        "recovered": bool(
            lc["ci_low"] < true_rr < lc["ci_high"]
            and rob["rr_ci_low"] < true_rr < rob["rr_ci_high"]
        ),
        "files": sorted(str(p.relative_to(out_dir)) for p in out.iterdir()),
    }
