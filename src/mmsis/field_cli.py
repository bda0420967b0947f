"""`mmsis field`: bring field submissions back in (ODK Central, KoboToolbox) and score them."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import typer

from mmsis._cli import console, print_json, print_table
from mmsis.errors import InputError
from mmsis.i18n import gettext as _

app = typer.Typer(no_args_is_help=True,
                  help="Field submissions back in: import, pull from ODK Central or Kobo, score.")

STORE = typer.Option(None, "--store", help="Programme store (default: $MMSIS_STORE or "
                     "./mmsis.duckdb).")
FORM = typer.Option(..., "--form", help="Form id (the XLSForm's form_id, e.g. "
                    "mms_household_exit; for Kobo pulls the asset uid).")
PLAN = typer.Option(None, "--plan", help="Also record the scores that are indicators (AIM, "
                    "IAM, FIM, counselling fidelity, stock-record accuracy, staff trained, "
                    "stock-out rate, pill-count adherence) as measurements in this plan "
                    "file, so `mmsis plan assess` judges their key results from the data.")
AS_JSON = typer.Option(False, "--json", help="Machine-readable output.")


def _finish(subs: Any, store_path: str | None, plan: Path | None, as_json: bool,
            source: str) -> None:
    """Save submissions, score every stored submission of the form, print and record."""
    from mmsis.data.field import load_repeats, load_submissions, save_submissions
    from mmsis.data.store import Store
    from mmsis.measure.field import score_submissions

    with Store(store_path) as store:
        counts = save_submissions(store, subs)
        frame = load_submissions(store, subs.form_id)
        repeats = load_repeats(store, subs.form_id)
    scores = score_submissions(frame, subs.form_id, repeats=repeats)
    if plan is not None:
        _record_in_plan(plan, scores, source)
    if as_json:
        print_json({**scores.to_dict(), "imported": counts})
        return
    from mmsis.present import format as fmt

    console.print(_("%(read)s submissions of %(form)s read from %(source)s: %(added)s new, "
                    "%(replaced)s already there (replaced); %(total)s in the store.") % {
        "read": fmt.count(counts["read"]), "form": subs.form_id, "source": source,
        "added": fmt.count(counts["added"]), "replaced": fmt.count(counts["replaced"]),
        "total": fmt.count(counts["total"])}, highlight=False)
    _print_scores(scores)


def _two(value: float) -> str:
    """A score with two decimals (as before), in the language's number format."""
    from babel.numbers import format_decimal

    from mmsis.i18n import current_locale

    return str(format_decimal(value, "#,##0.00", locale=current_locale()))


def _print_scores(scores: Any) -> None:
    from mmsis.measure.field import measure_label
    from mmsis.present import format as fmt

    table = scores.summary.copy()
    if table.empty:
        console.print(_("No scale, readiness or pill-count fields to score in these "
                        "submissions."))
        return
    table["district"] = table["district"].fillna(_("all"))
    table["measure"] = table["measure"].map(measure_label)
    for col in ("mean", "ci_low", "ci_high"):  # two decimals, in the language's format
        table[col] = table[col].map(lambda v: "" if v != v else _two(v))
    table["n"] = table["n"].map(fmt.count)
    print_table(table[["measure", "district", "mean", "ci_low", "ci_high", "n"]]
                .rename(columns={"measure": _("measure"), "district": _("district"),
                                 "mean": _("mean"), "ci_low": _("95% CI low"),
                                 "ci_high": _("95% CI high"), "n": _("n")}),
                title=_("Scores from %(n)s submissions of %(form)s") % {
                    "n": fmt.count(scores.submissions), "form": scores.form_id})
    for m in ("aim", "iam", "fim"):
        row = scores.overall(m)
        if row and row["mean"] is not None:
            values = {"measure": measure_label(m), "mean": _two(row["mean"])}
            if row["mean"] >= 4:
                line = _("%(measure)s: respondents agree on average (4 or more), mean "
                         "%(mean)s on the 1-5 scale.")
            elif row["mean"] >= 3:
                line = _("%(measure)s: respondents are neutral to positive, mean %(mean)s on "
                         "the 1-5 scale.")
            else:
                line = _("%(measure)s: respondents disagree on average, mean %(mean)s on the "
                         "1-5 scale.")
            console.print(line % values, highlight=False)


def _record_in_plan(plan: Path, scores: Any, source: str) -> None:
    """Write the field measures that are knowledge-base indicators (AIM, IAM, FIM, counselling
    fidelity, stock-record accuracy, staff trained, stock-out rate, pill-count adherence) as
    the plan's measurements."""
    from mmsis.measure.field import indicator_values
    from mmsis.plan.workspace import Measurement, load_programme, save_programme

    prog = load_programme(plan)
    for indicator, row in indicator_values(scores).items():
        prog.measurements[indicator] = Measurement(
            value=round(row["mean"], 4), date=date.today().isoformat(),
            source=f"field submissions of {scores.form_id} ({source}; n={row['n']})"
            + ("; tablets expected = the 180 of the regimen (assumption: exit interview)"
               if indicator == "adherence_ratio" else ""),
            ci_low=row["ci_low"], ci_high=row["ci_high"])
    save_programme(prog, plan)


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="ODK Central CSV export (groups joined by '-'; its "
                                "ZIP with repeat files), Kobo CSV/XLSX export (groups joined "
                                "by '/'; XLSX with repeat sheets), or their JSON."),
    form: str = FORM,
    store: str | None = STORE,
    plan: Path | None = PLAN,
    as_json: bool = AS_JSON,
    encoding: str | None = typer.Option(
        None, "--encoding", help="The file's text encoding when it is not UTF-8 or UTF-16 with "
        "a byte-order mark (e.g. latin-1, cp1252)."),
) -> None:
    """Import a form's submissions (all or nothing, idempotent by submission id) and score them."""
    from mmsis.data.field import read_export

    subs = read_export(file, form, encoding)
    _finish(subs, store, plan, as_json, file.name)


@app.command("pull")
def pull_cmd(
    server: str = typer.Option(..., "--server", help="Server URL, e.g. https://central.example."
                               "org (ODK Central) or https://kf.kobotoolbox.org (Kobo)."),
    project: int = typer.Option(0, "--project", help="ODK Central project id (not for Kobo)."),
    form: str = FORM,
    kind: str = typer.Option("odk", "--kind", help="odk (ODK Central, with pyodk) or kobo "
                             "(KoboToolbox v2 API)."),
    store: str | None = STORE,
    plan: Path | None = PLAN,
    as_json: bool = AS_JSON,
) -> None:
    """Pull a form's submissions from ODK Central or KoboToolbox, store and score them.

    Credentials come from the environment: ODK_CENTRAL_USERNAME and ODK_CENTRAL_PASSWORD for
    ODK Central, KOBO_TOKEN for KoboToolbox; they are never written to disk by mmsis.
    """
    from mmsis.data.field_pull import pull_kobo, pull_odk

    if kind not in ("odk", "kobo"):
        raise InputError("--kind is odk or kobo", field="kind")
    if not server.startswith(("http://", "https://")):
        raise InputError("--server must be an http(s) URL", field="server")
    if kind == "odk":
        if project < 1:
            raise InputError("--project (the ODK Central project id) is needed", field="project")
        user = os.environ.get("ODK_CENTRAL_USERNAME", "")
        password = os.environ.get("ODK_CENTRAL_PASSWORD", "")
        if not user or not password:
            raise InputError("set ODK_CENTRAL_USERNAME and ODK_CENTRAL_PASSWORD",
                             field="credentials")
        with tempfile.TemporaryDirectory() as tmp:
            subs = pull_odk(server, project, form, user, password, cache=Path(tmp))
    else:
        token = os.environ.get("KOBO_TOKEN", "")
        if not token:
            raise InputError("set KOBO_TOKEN (Kobo account settings > API key)",
                             field="credentials")
        subs = pull_kobo(server, form, token)
    _finish(subs, store, plan, as_json, server)
