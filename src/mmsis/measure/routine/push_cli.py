"""`mmsis routine push`: computed indicators back into DHIS2, a dry run first (issue #17)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import typer

from mmsis._cli import console, print_json, print_table, step
from mmsis.errors import InputError
from mmsis.i18n import gettext as _

MAX_VALUE_ROWS = 1_000_000


def read_values(path: Path) -> pd.DataFrame:
    """Values to push from a CSV (indicator, org_unit, period, value; numerator and denominator
    optional), as `mmsis routine indicators --csv` writes it."""
    from mmsis.data.csvread import read_user_frame  # encodings named, open quotes by row
    from mmsis.data.textio import MAX_DATA_VALUE

    raw = read_user_frame(path, nrows=MAX_VALUE_ROWS + 1)
    if len(raw) > MAX_VALUE_ROWS:
        raise InputError(f"more than {MAX_VALUE_ROWS:,} rows", file=str(path))
    missing = {"indicator", "org_unit", "period", "value"} - set(raw.columns)
    if missing:
        raise InputError(f"missing column(s) {', '.join(sorted(missing))}", file=str(path),
                         column=sorted(missing)[0])
    out = raw.copy()
    for col in ("value", "numerator", "denominator"):
        if col not in out.columns:
            continue
        numbers = pd.to_numeric(out[col].str.strip().replace("", None), errors="coerce")
        bad = (numbers.isna() & (out[col].str.strip() != "")) | ~(
            numbers.abs() <= MAX_DATA_VALUE) & numbers.notna()
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            what = ("is not a number" if pd.isna(numbers.iloc[i])
                    else f"is not finite or beyond {MAX_DATA_VALUE:,.0f}")
            raise InputError(f"{out[col].iloc[i]!r} {what}", file=str(path), row=i + 2,
                             column=col)
        out[col] = numbers
    return out


def _show(summary: Any, title: str) -> None:
    from mmsis.present import format as fmt

    print_table(pd.DataFrame({
        _("count"): [_("imported"), _("updated"), _("ignored"), _("deleted")],
        _("values"): [fmt.count(summary.imported), fmt.count(summary.updated),
                      fmt.count(summary.ignored), fmt.count(summary.deleted)]}),
        title=_("%(title)s (DHIS2 status: %(status)s)") % {"title": title,
                                                           "status": summary.status})
    if summary.conflicts:
        print_table(pd.DataFrame({_("object"): [c.object for c in summary.conflicts],
                                  _("conflict"): [c.value for c in summary.conflicts]}),
                    title=_("Conflicts DHIS2 reported (%(n)d)") % {"n": len(summary.conflicts)})


def push_cmd(
    url: str = typer.Option(..., "--url", help="Base URL of the DHIS2 instance "
                            "(credentials: DHIS2_TOKEN, or DHIS2_USERNAME and DHIS2_PASSWORD)."),
    mapping: Path = typer.Option(..., "--mapping", help="YAML mapping of mmsis indicators to "
                                 "the instance's data elements (docs/routine.md)."),
    store: Path | None = typer.Option(None, "--store", help="Compute the indicators from this "
                                      "store (default: $MMSIS_STORE or ./mmsis.duckdb)."),
    values: Path | None = typer.Option(None, "--values", help="Or push these values: CSV "
                                       "indicator, org_unit, period, value."),
    level: int | None = typer.Option(None, "--level", help="Org-unit level of the indicators "
                                     "(default: the store's district level)."),
    period_type: str = typer.Option("monthly", "--period-type", help="Period type of the "
                                    "indicators (monthly by default)."),
    apply: bool = typer.Option(False, "--apply", help="After the dry run, push for real "
                               "(without it nothing is written)."),
    allow_conflicts: bool = typer.Option(False, "--allow-conflicts", help="Push even if the "
                                         "dry run reported conflicts (those values are "
                                         "ignored by DHIS2)."),
    as_json: bool = typer.Option(False, "--json", help="Print the import summaries as JSON."),
) -> None:
    """Push computed indicators into DHIS2 as a dataValueSet, a dry run first.

    The dry run shows DHIS2's import summary (imported, updated, ignored, conflicts); --apply
    then pushes for real."""
    from mmsis.data.dhis2.calendars import calendar_of
    from mmsis.data.dhis2.client import Dhis2
    from mmsis.data.dhis2.push import data_value_set, parse_summary, read_mapping

    plan = read_mapping(mapping)
    if values is not None:
        frame = read_values(values)
    else:
        from mmsis.data.store import Store
        from mmsis.measure.routine.indicators import compute_indicators

        wanted = sorted({m.indicator for m in plan.values})
        with Store(store) as st, step(_("Computing indicators")):
            frame = compute_indicators(st, wanted, level, period_type)
    client = Dhis2.from_env(url)
    try:
        calendar = calendar_of(client.system_info())
        body = data_value_set(frame, plan, calendar)
        dry = parse_summary(client.post_data_values(body, dry_run=True), dry_run=True)
        real = None
        if apply and (not dry.conflicts or allow_conflicts):
            real = parse_summary(client.post_data_values(body, dry_run=False))
    finally:
        client.close()
    n = len(body["dataValues"])
    if as_json:
        print_json({"values": n, "calendar": calendar, "dry_run": dry.to_dict(),
                    "push": real.to_dict() if real else None})
    else:
        from mmsis.present import format as fmt

        console.print(_("%(n)s values for %(url)s (calendar: %(calendar)s)") % {
            "n": fmt.count(n), "url": url, "calendar": calendar}, highlight=False)
        _show(dry, _("Dry run: what DHIS2 would do"))
        if real is not None:
            _show(real, _("Pushed"))
    if apply and real is None:
        raise InputError(_("the dry run reported %(n)d conflict(s); nothing was pushed: fix the "
                           "mapping or the values, or pass --allow-conflicts to push the rest")
                         % {"n": len(dry.conflicts)}, field="conflicts")
    if not apply and not as_json:
        console.print(_("Dry run only: nothing was written. Run again with --apply to push."))
