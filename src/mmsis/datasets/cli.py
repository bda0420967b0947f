"""`mmsis datasets`: write the bundled example country to files."""

from __future__ import annotations

from pathlib import Path

import typer

from mmsis._cli import console, print_json

app = typer.Typer(no_args_is_help=True)


@app.command("example")
def example(
    out: Path = typer.Option(Path("example-country"), "--out", help="Folder to write into."),
    seed: int = typer.Option(2024, "--seed", help="Generator seed (same seed, same country)."),
    json_out: bool = typer.Option(False, "--json", help="Print the written files as JSON."),
) -> None:
    """Generate the synthetic example country and write its tables (CSV, DHIS2 JSON, .dta)."""
    from mmsis.datasets import example_country

    country = example_country(seed)
    paths = country.write(out)
    summary = {
        "country": country.country["name"],
        "org_units": int(len(country.org_units)),
        "facilities": int((country.org_units["level"] == 4).sum()),
        "data_values": int(len(country.data_values)),
        "survey_women": int(len(country.survey)),
        "files": {k: str(v) for k, v in paths.items()},
    }
    if json_out:
        print_json(summary)
        return
    console.print(f"[bold]{summary['country']}[/bold] (seed {seed}) written to {out}")
    console.print(f"  {summary['facilities']} facilities, {summary['data_values']:,} data values, "
                  f"{summary['survey_women']:,} surveyed women")
    for name, path in paths.items():
        console.print(f"  {name:18s} {path}")
