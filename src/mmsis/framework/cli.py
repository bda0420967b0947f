"""`mmsis framework`: browse and check the implementation-science knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mmsis.i18n import gettext as _

app = typer.Typer(no_args_is_help=True, help="Browse the IS knowledge base.")

_KINDS_HELP = (
    "phases | pillars | results | outcomes | questions | indicators | designs | "
    "data-sources | cfir | reaim | epis | eric | effect-sizes | mortality-multipliers | anchors"
)


@app.command("show")
def show(
    kind: str = typer.Argument(..., help=_KINDS_HELP),
    phase: str | None = typer.Option(None, "--phase", help="Filter by phase id."),
    pillar: str | None = typer.Option(None, "--pillar", help="Filter by pillar id."),
    outcome: str | None = typer.Option(None, "--outcome", help="Filter by outcome id."),
    framework: Path | None = typer.Option(
        None, "--framework", help="Folder of YAML files replacing or extending the defaults."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of records."),
) -> None:
    """Show one kind of entry, optionally filtered by phase, pillar or outcome."""
    from mmsis._cli import print_json, print_table
    from mmsis.framework.loader import load_framework
    from mmsis.framework.views import table

    fw = load_framework(framework)
    if as_json:
        print_json(fw.records(kind, phase=phase, pillar=pillar, outcome=outcome))
        return
    df = table(fw, kind, phase=phase, pillar=pillar, outcome=outcome)
    filters = ", ".join(
        f"{k}={v}" for k, v in (("phase", phase), ("pillar", pillar), ("outcome", outcome)) if v
    )
    title = f"{kind} ({len(df)})" + (f" - {filters}" if filters else "")
    print_table(_in_language(df), title=title)


def _in_language(df: Any) -> Any:
    """The table for people in the language in use: headers and the knowledge base's words that
    are catalog messages (names, titles, definitions); ids stay ids."""
    out = df.copy()
    for col in out.columns:
        out[col] = out[col].map(lambda v: _(v) if isinstance(v, str) and v.strip() else v)
    out.columns = [_(str(c).replace("_", " ").capitalize()) for c in out.columns]
    return out


@app.command("map")
def map_(
    phase: str | None = typer.Option(None, "--phase", help="Only this phase."),
    framework: Path | None = typer.Option(None, "--framework", help="Country framework folder."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON records."),
) -> None:
    """The phase x pillar map of key results ('*' = required to move on)."""
    from mmsis._cli import print_frame
    from mmsis.framework.loader import load_framework
    from mmsis.framework.views import phase_pillar_map

    fw = load_framework(framework)
    grid = phase_pillar_map(fw, phase=phase)
    if not as_json:  # for people: the knowledge base's words in the language in use
        grid = grid.map(lambda v: "\n".join(line[:2] + _(line[2:]) if line[1:2] == " "
                                             else _(line) for line in str(v).split("\n")))
        grid.columns = [_("Pillar") if c == "pillar" else _(str(c)) for c in grid.columns]
    print_frame(grid, as_json, _("Key results by pillar and phase (* required)"))


@app.command("validate")
def validate(
    directory: Path = typer.Argument(..., help="Country folder of framework YAML files."),
    as_json: bool = typer.Option(False, "--json", help="Print problems as JSON."),
) -> None:
    """Check a country's framework files against the defaults; list every problem."""
    from mmsis._cli import console, print_json
    from mmsis.errors import FrameworkError
    from mmsis.framework.loader import check_framework

    errors = check_framework(directory)
    if as_json:
        print_json(
            [
                {
                    "file": e.file,
                    "entry": getattr(e, "entry", None),
                    "field": e.field,
                    "row": e.row,
                    "message": e.message,
                }
                for e in errors
            ]
        )
    elif errors:
        console.print(f"[red]{len(errors)} problem(s) in {directory}:[/red]")
        for e in errors:
            console.print(f"  - {e}", markup=False, highlight=False)
    else:
        console.print(f"[green]{directory}: framework is valid[/green]")
    if errors:
        # an MmsisError (not typer.Exit) so that `mmsis` exits with status 2
        raise FrameworkError(f"{len(errors)} problem(s) found", file=str(directory))
