"""Demo: the example country's readiness scorecard, IR agenda and field forms."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmsis.demos.examples import example_programme
from mmsis.plan.workspace import Measurement, Programme

if TYPE_CHECKING:
    from mmsis.datasets import ExampleCountry


def measured_example_programme(country: ExampleCountry) -> Programme:
    """`example_programme(country)` with the indicator values measured from the country's data.

    The values come from `mmsis.report.gather.measurements` (survey and routine results); the
    example sits above the report so that the plan library does not depend on it.
    """
    from mmsis.report.gather import measurements

    prog = example_programme(country)
    prog.measurements = {
        k: Measurement.model_validate(v) for k, v in measurements(country).items()
    }
    return prog


def run_demo(out_dir: Path, country: ExampleCountry) -> dict[str, Any]:
    """Assess Examplia, rank its IR agenda, write the plan file, heat map and XLSForms."""
    from rich.console import Console

    from mmsis.framework.loader import load_framework
    from mmsis.plan.agenda import build_agenda
    from mmsis.plan.forms import build_forms
    from mmsis.plan.scorecard import assess
    from mmsis.plan.strategies import suggest_strategies
    from mmsis.plan.workspace import save_programme

    out = Path(out_dir) / "plan"
    out.mkdir(parents=True, exist_ok=True)
    fw = load_framework()
    prog = measured_example_programme(country)
    save_programme(prog, out / "mmsis-plan.yaml")
    card = assess(prog, fw)
    card.plot(out / "scorecard.png")
    agenda = build_agenda(prog, fw, card, top=10)
    strategies = suggest_strategies(prog, fw)
    forms = build_forms(out / "forms", agenda.to_records())
    from mmsis.demos.steps import fixed
    from mmsis.i18n import gettext as _
    from mmsis.present import format as fmt
    from mmsis.present.labels import default_labels

    lab = default_labels()
    console = Console()
    for v in card.verdicts:  # as `mmsis plan assess` writes the verdict
        share = fmt.percent(v.share_met, 0) if v.share_met is not None else _("n/a")
        console.print(f"  {lab.label(v.pillar, 'pillar'):<30} {lab.label(v.phase, 'phase'):<14} "
                      f"{share:>5}  {_('ready to move on') if v.ready else _('stay')}",
                      highlight=False)
    top_item = agenda.items[0]
    console.print(_("[bold]Agenda[/bold]: top question %(question)s (score %(score)s; "
                    "%(design)s, %(sample_size)s); %(n)s ERIC strategies accepted; forms in "
                    "%(folder)s") % {
        "question": lab.label(top_item.question, "question"), "score": fixed(top_item.score, 2),
        "design": _(top_item.design_name) if top_item.design_name else top_item.design,
        "sample_size": top_item.sample_size.summary,
        "n": int((strategies["decision"] == "accepted").sum()), "folder": out / "forms"})
    return {
        "pillars_ready": [v.pillar for v in card.verdicts if v.ready],
        "share_met": {v.pillar: v.share_met for v in card.verdicts},
        "top_questions": [it.question for it in agenda.items[:3]],
        "forms": [f.form_id for f in forms.values()],
        "out_dir": str(out),
    }
