"""`mmsis impact`: health impact and cost-effectiveness of MMS vs IFA, with uncertainty."""

from __future__ import annotations

from pathlib import Path

import typer


def impact(
    scenario: Path = typer.Option(..., "--scenario", "-s", help="Scenario YAML file."),
    draws: int = typer.Option(10_000, "--draws", min=2, help="Monte Carlo draws."),
    seed: int = typer.Option(2024, "--seed", help="Random seed (same seed, same result)."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    out: Path | None = typer.Option(None, "--out", help="Write CSV tables and charts here."),
) -> None:
    """Events and DALYs averted by pathway, incremental cost, cost per DALY, 95% UIs, tornado,
    acceptability curve and published anchors."""
    from mmsis._cli import console, print_json, print_table
    from mmsis.forecast.scenario import load_scenario
    from mmsis.impact.engine import run_impact

    sc = load_scenario(scenario)
    result = run_impact(sc, draws=draws, seed=seed)
    if out is not None:
        write_impact(result, out)
    if json_out:
        print_json(result.to_dict())
        return
    cols = ["measure", "central", "mean", "ui_low", "ui_high"]
    print_table(result.summary[cols], title=f"Impact of MMS vs IFA: {sc.name} "
                f"({draws} draws, {sc.currency} {sc.currency_year})", float_digits=6)
    print_table(result.pathways[["pathway", "on", "events_averted", "dalys_central",
                                 "dalys_ui_low", "dalys_ui_high", "convention"]],
                title="DALYs averted by pathway")
    a = result.anchors[["study", "currency_year", "cost_per_daly", "cost_per_daly_converted",
                        "dalys_averted_per_100k_pregnancies", "cost_per_death_averted"]]
    print_table(a, title=f"Cost-effectiveness beside published anchors (converted to "
                f"{sc.currency} {sc.currency_year} where impact.currency_conversion allows)")
    if len(result.thresholds):
        print_table(result.thresholds[["threshold", "value", "probability_cost_effective"]],
                    title="Probability MMS is cost-effective at the thresholds")
    print_table(result.tornado[["parameter", "low", "high", "output_low", "output_high"]],
                title="One-way sensitivity of cost per DALY")
    if out is not None:
        console.print(f"Tables and charts written to {out}")


def write_impact(result: object, out: Path) -> list[Path]:
    """Write summary/tornado/anchors/by-district CSVs and the charts to a folder."""
    from mmsis.impact.engine import ImpactResult

    assert isinstance(result, ImpactResult)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("summary", "tornado", "anchors", "by_district", "parameters", "pathways",
                 "acceptability", "thresholds"):
        paths.append(out / f"impact_{name}.csv")
        getattr(result, name).to_csv(paths[-1], index=False)
    paths += result.plot(out)
    return paths
