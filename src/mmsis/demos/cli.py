"""Commands that use the example country: `mmsis demo` and `mmsis plan init`.

They sit here, above the library, because filling a plan from the example measures the example
country's data with the report's gatherers (a plan command must not import the report).
"""

from __future__ import annotations

from pathlib import Path

import typer

from mmsis._cli import console
from mmsis.errors import InputError
from mmsis.i18n import gettext as _


def demo(
    out: Path = typer.Option(Path("mmsis-demo"), "--out", help="Folder for the demo outputs."),
    seed: int = typer.Option(2024, "--seed", help="Seed of the example country."),
    serve: bool = typer.Option(True, "--serve/--no-serve",
                               help="Start the web workspace afterwards."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address the workspace listens on."),
    port: int = typer.Option(8000, "--port", help="Port the workspace listens on."),
) -> None:
    """Run the loop on the example country, write every output, then open the workspace."""
    from mmsis.demos.loop import run_loop

    run_loop(out, seed)
    if serve:
        from mmsis.demos.web import serve_demo

        serve_demo(out, host=host, port=port)


def plan_init(
    country: str = typer.Option(..., "--country", help="Country (or subnational area) name."),
    from_example: bool = typer.Option(
        False, "--from-example", help="Fill from the bundled example country (Examplia)."
    ),
    file: Path = typer.Option(Path("mmsis-plan.yaml"), "--file", "-f",
                              help="Programme workspace YAML."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Create a programme workspace file to edit (statuses, evidence, barriers, weights)."""
    from mmsis.plan.workspace import Programme, save_programme

    if file.exists() and not force:
        raise InputError("file exists; use --force to overwrite", file=str(file))
    if from_example:
        from mmsis.datasets import example_country
        from mmsis.demos.steps.plan import measured_example_programme

        prog = measured_example_programme(example_country())
        prog.country = country
    else:
        prog = Programme(country=country, name=f"{country} MMS programme")
    save_programme(prog, file)
    console.print(_("Wrote %(file)s (%(statuses)s key-result statuses, %(measured)s measured "
                    "indicators).") % {"file": file, "statuses": len(prog.key_results),
                                       "measured": len(prog.measurements)}, highlight=False)
