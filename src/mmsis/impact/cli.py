"""`mmsis impact`: health impact and cost-effectiveness of MMS vs IFA, with uncertainty."""

from __future__ import annotations

from pathlib import Path

import typer

from mmsis.i18n import gettext as _


def impact(
    scenario: Path = typer.Option(..., "--scenario", "-s", help="Scenario YAML file."),
    draws: int = typer.Option(10_000, "--draws", min=2, help="Monte Carlo draws (the default is "
                              "the one of the web and the report: mmsis.impact.engine.DRAWS)."),
    seed: int = typer.Option(2024, "--seed", help="Random seed (same seed, same result; the "
                             "default is mmsis.impact.engine.SEED, as on the web and in the "
                             "report)."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    out: Path | None = typer.Option(None, "--out", help="Write CSV tables and charts here."),
) -> None:
    """Events and DALYs averted by pathway, incremental cost, cost per DALY, 95% UIs, tornado,
    acceptability curve and published anchors."""
    from mmsis._cli import console, print_json, print_table, step
    from mmsis.forecast.scenario import load_scenario
    from mmsis.impact.engine import run_impact

    sc = load_scenario(scenario)
    with step(f"Simulating impact ({draws:,} draws)"):
        result = run_impact(sc, draws=draws, seed=seed)
    if out is not None:
        with step(f"Writing tables and charts to {out}"):
            write_impact(result, out)
    if json_out:
        print_json(result.to_dict())
        return
    from mmsis._cli import print_sentence
    from mmsis.present import format as fmt
    from mmsis.present import sentences
    from mmsis.present.labels import default_labels
    from mmsis.present.tables import Column, readable, value_by_unit

    labels, cur = default_labels(), sc.currency
    summary = result.measures
    rows = []
    for r in summary.itertuples(index=False):
        unit = labels.unit(r.measure)
        rows.append({_("measure"): labels.label(r.measure, "output"),
                     _("central"): value_by_unit(r.central, unit, cur),
                     _("95% uncertainty interval"): _("%(low)s to %(high)s") % {
                         "low": value_by_unit(r.ui_low, unit, cur),
                         "high": value_by_unit(r.ui_high, unit, cur)}})
    import pandas as pd

    print_table(pd.DataFrame(rows), title=_(
        "Impact of MMS vs IFA: %(name)s (%(draws)s draws, %(currency)s %(year)s)") % {
            "name": sc.name, "draws": fmt.count(draws), "currency": cur,
            "year": sc.currency_year})
    anchors = result.anchors.assign(
        currency_year=pd.to_numeric(result.anchors["currency_year"]).astype("Int64"))
    a = readable(anchors, [
        Column("study", _("study")), Column("currency_year", _("currency year")),
        Column("cost_per_daly", _("cost per DALY averted"), "money", currency=cur),
        Column("dalys_averted_per_100k_pregnancies",
               _("DALYs averted per 100,000 pregnancies"), "count"),
        Column("cost_per_death_averted", _("cost per death averted"), "money", currency=cur)])
    print_table(a, title=_("Cost-effectiveness beside published anchors"))
    t = result.tornado
    tor = pd.DataFrame({
        _("parameter"): [labels.with_id(p, "parameter") for p in t["parameter"]],
        _("range"): [_("%(low)s to %(high)s") % {"low": value_by_unit(lo, labels.unit(p), cur),
                                                 "high": value_by_unit(hi, labels.unit(p), cur)}
                     for p, lo, hi in zip(t["parameter"], t["low"], t["high"], strict=True)],
        _("cost per DALY"): [_("%(low)s to %(high)s") % {"low": fmt.money(lo, cur),
                                                          "high": fmt.money(hi, cur)}
                             for lo, hi in zip(t["output_low"], t["output_high"],
                                               strict=True)]})
    print_table(tor, title=_("One-way sensitivity of cost per DALY"))
    print_sentence(sentences.impact(result))
    if out is not None:
        console.print(_("Tables and charts written to %(folder)s") % {"folder": out})


def write_impact(result: object, out: Path) -> list[Path]:
    """Write summary/tornado/anchors/by-district CSVs and the charts to a folder.

    The tables are for people (opened in a spreadsheet): formula-like text is escaped.
    """
    from mmsis.impact.engine import ImpactResult
    from mmsis.present.cells import safe_frame

    assert isinstance(result, ImpactResult)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("summary", "tornado", "anchors", "by_district", "parameters", "pathways",
                 "acceptability", "thresholds"):
        paths.append(out / f"impact_{name}.csv")
        table = result.measures if name == "summary" else getattr(result, name)
        safe_frame(table).to_csv(paths[-1], index=False)
    from mmsis.impact.charts import write_impact_charts

    paths += write_impact_charts(result, out)
    return paths
