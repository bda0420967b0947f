"""`mmsis routine`: import DHIS2 data, pull from a live DHIS2, indicators, data-quality review."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from mmsis._cli import console, err_console, print_json, print_table, step
from mmsis.i18n import gettext as _

if TYPE_CHECKING:
    import pandas as pd

    from mmsis.data.store import Store
    from mmsis.present.labels import Labels

app = typer.Typer(no_args_is_help=True, help="DHIS2 routine data, indicators, quality.")

STORE_HELP = "DuckDB store file (default: $MMSIS_STORE or ./mmsis.duckdb)."
ENCODING_HELP = ("The file's text encoding when it is not UTF-8 or UTF-16 with a byte-order "
                 "mark (e.g. latin-1, cp1252, utf-16-le).")


def _store(path: Path | None):  # type: ignore[no-untyped-def]
    from mmsis.data.store import Store

    return Store(path)


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="DHIS2 JSON/CSV data values, metadata or reports."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    encoding: str | None = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """Import a file all-or-nothing; print imported, updated, ignored and refused rows."""
    with _store(store) as st, step(f"Importing {file}"):
        rep = st.import_file(file, encoding=encoding)
    if json_out:
        print_json(rep)
    else:
        from mmsis.present import format as fmt

        kind = rep.kind.replace("+", ", ").replace("_", " ")  # "org units, data elements"
        n = {"kind": kind, "rows": fmt.count(rep.rows), "imported": fmt.count(rep.imported),
             "updated": fmt.count(rep.updated), "ignored": fmt.count(rep.ignored),
             "refused": fmt.count(rep.refused)}  # counts in the language's format
        if rep.unchanged:
            console.print(f"[bold]{rep.file}[/bold] " + _(
                "(%(kind)s): unchanged: 0 imported, %(rows)s unchanged (the same content as "
                "the last import into this store, nothing written since: only hashed, nothing "
                "compared)") % n)
            return
        console.print(f"[bold]{rep.file}[/bold] " + _(
            "(%(kind)s): %(rows)s rows; imported %(imported)s, updated %(updated)s, ignored "
            "%(ignored)s, refused %(refused)s") % n)
        if rep.refusals:
            import pandas as pd

            df = pd.DataFrame([r.model_dump() for r in rep.refusals[:50]])
            print_table(df, title=_("Refused rows (nothing was written)"))
            more = max(rep.refusals_total, len(rep.refusals)) - 50
            if more > 0:
                console.print(_("... and %(more)s more problems (--json lists the first "
                                "%(listed)s)") % {"more": fmt.count(more),
                                                  "listed": fmt.count(len(rep.refusals))})
    if not rep.ok:
        raise typer.Exit(2)


@app.command("pull")
def pull_cmd(
    url: str = typer.Option(..., "--url", help="Base URL of the DHIS2 instance."),
    data_elements: list[str] = typer.Option(None, "--data-elements", "-d",
                                            help="Data element uids (repeat or comma-separate)."),
    periods: list[str] = typer.Option(None, "--periods", "-p",
                                      help="ISO periods, or a range like 202301:202312."),
    org_unit: str | None = typer.Option(None, "--org-unit", help="Root org unit uid."),
    level: int | None = typer.Option(None, "--level", help="Org unit level of the values "
                                     "(default: the deepest level)."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    checkpoint: Path | None = typer.Option(None, "--checkpoint",
                                           help="Checkpoint file for a resumable pull."),
) -> None:
    """Pull metadata and data values from DHIS2 (auth from DHIS2_TOKEN or
    DHIS2_USERNAME/DHIS2_PASSWORD), chunked, retried and resumable."""
    from mmsis.data.dhis2.client import Dhis2, pull

    des = [d for item in (data_elements or []) for d in item.split(",") if d]
    pes = [p for item in (periods or []) for p in item.split(",") if p]
    with _store(store) as st, step(f"Pulling from {url}"):
        result = pull(Dhis2.from_env(url), st, data_elements=des, periods=pes, org_unit=org_unit,
                      level=level, checkpoint=checkpoint)
    console.print(f"pulled {result.chunks_done} chunks ({result.chunks_skipped} already done), "
                  f"{result.values} values; imported {result.imported}, updated {result.updated},"
                  f" ignored {result.ignored}")


@app.command("indicators")
def indicators_cmd(
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    definitions: Path | None = typer.Option(None, "--definitions",
                                            help="Indicator definitions YAML."),
    indicator: list[str] = typer.Option(None, "--indicator", "-i", help="Indicator id(s)."),
    level: int | None = typer.Option(
        None, "--level", help="Org unit level (1 = the top); default: the district level of "
        "the store's concept mapping (`mmsis routine concepts`)."),
    period_type: str = typer.Option("quarterly", "--period-type",
                                    help="monthly|bimonthly|quarterly|sixmonthly[_april|_nov]|"
                                    "yearly|financial_april|_july|_oct|_nov"),
    ytd: bool = typer.Option(False, "--ytd", help="Cumulative year-to-date values."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON records."),
    csv_out: bool = typer.Option(False, "--csv", help="Print CSV."),
) -> None:
    """Compute routine indicators by org unit and period."""
    from mmsis.measure.routine.indicators import compute_indicators

    ids = [i for item in (indicator or []) for i in item.split(",") if i]
    with _store(store) as st, step("Computing indicators"):
        df = compute_indicators(st, ids or None, level, period_type, definitions=definitions,
                                ytd=ytd)
    if json_out:
        print_json(df)
    elif csv_out:
        typer.echo(df.to_csv(index=False), nl=False)
    else:
        from mmsis.present.labels import Labels
        from mmsis.present.tables import Column, readable

        with _store(store) as st:
            labels = Labels.from_store(st)
        print_table(readable(df, [
            Column("org_unit_name", _("org unit")), Column("period", _("period"), "period"),
            Column("indicator", _("indicator"), "label_id", "routine_indicator"),
            Column("numerator", _("numerator"), "count"),
            Column("denominator", _("denominator"), "count"),
            Column("value", _("value"), "number")], labels),
            title=(_("Routine indicators, level %(level)s, %(period)s") if level else
                   _("Routine indicators, level of the districts, %(period)s"))
            % {"level": level, "period": period_type})


@app.command("quality")
def quality_cmd(
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    level: int | None = typer.Option(
        None, "--level", help="Org unit level of the review; default: the district level of "
        "the store's concept mapping."),
    definitions: Path | None = typer.Option(None, "--definitions",
                                            help="Definitions YAML with a quality section."),
    survey: Path | None = typer.Option(None, "--survey", help="CSV of survey estimates "
                                       "(indicator, estimate[, org_unit, year])."),
    rollout: Path | None = typer.Option(
        None, "--rollout", help="CSV of MMS start per unit (district_id or org_unit, "
        "mms_start YYYYMM); default: the first month with MMS clients in each unit."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON (summary, score, table)."),
) -> None:
    """Data-quality review after the WHO DQR toolkit; planned MMS scale-up is not flagged."""

    from mmsis.data.csvread import read_user_frame  # encodings named, rows of errors named
    from mmsis.measure.routine.quality import quality_review

    est = (read_user_frame(survey, dtype={"org_unit": str, "year": str}, keep_default_na=True)
           if survey else None)
    with _store(store) as st, step("Reviewing data quality"):
        roll = (read_user_frame(rollout, keep_default_na=True) if rollout is not None
                else None)
        qr = quality_review(st, level, survey=est, definitions=definitions, rollout=roll)
    if json_out:
        print_json({"score": qr.score, "level": qr.level, "summary": qr.summary,
                    "table": qr.table})
        return
    from mmsis._cli import print_sentence
    from mmsis.present.labels import Labels
    from mmsis.present.sentences import quality
    from mmsis.present.tables import Column, readable

    with _store(store) as st:
        labels = Labels.from_store(st)
    from mmsis.present import numbers as fmt

    summary = qr.summary.copy()  # one percentage format down the column (78.0%, 91.9%)
    summary["value"] = [fmt.percent(float(v) / 100, decimals=1) for v in summary["value"]]
    print_table(readable(summary, [
        Column("dimension", _("dimension"), "label", "check"), Column("metric", _("measure")),
        Column("value", _("value")), Column("n", _("checked"), "count"),
        Column("flagged", _("flagged"), "count")], labels),
        title=_("Data-quality review (score %(score)s / 100)") % {
            "score": fmt.number(round(qr.score, 1), 4)})
    flagged = qr.table[qr.table["flag"]]
    print_table(readable(_flags_for_people(flagged.head(30), labels), [
        Column("org_unit_name", _("org unit")), Column("period", _("period"), "period"),
        Column("check", _("check"), "label", "check"),
        Column("data_element", _("data element")),
        Column("value", _("value")), Column("reference", _("expected"))],
        labels), title=_("Flags (%(n)s in all; first 30)") % {"n": fmt.count(len(flagged))})
    print_sentence(quality(qr.score, qr.summary, len(flagged)))
    if len(flagged) > 30:
        err_console.print("use --json for the full table")



def _flags_for_people(flags: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """The review's flags with element names and values in their unit: an internal-consistency
    row ('ANC4<=ANC1', value = % of facility-months breaking it) reads 'ANC fourth visits <= ANC
    first visits', '0.41% of facility-months', expected '0%'; others keep the element's value."""
    from mmsis.present import numbers as fmt

    out = flags.copy()
    internal = out["check"].astype(str).str.startswith("internal:")
    names, values, expected = [], [], []
    for is_internal, de, v, ref in zip(internal, out["data_element"], out["value"],
                                       out["reference"], strict=True):
        if is_internal and "<=" in str(de):
            lhs, rhs = str(de).split("<=", 1)
            names.append(f"{labels.label(lhs, 'data_element')} <= "
                         f"{labels.label(rhs, 'data_element')}")
            values.append(f"{fmt.percent(float(v) / 100)} of facility-months")
            expected.append(fmt.percent(float(ref) / 100))
        else:
            names.append(labels.label(de, "data_element"))
            values.append(fmt.number(v))
            expected.append(fmt.number(ref))
    out["data_element"], out["value"], out["reference"] = names, values, expected
    return out

@app.command("series")
def series_cmd(
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    element: list[str] | None = typer.Option(None, "--element", "-e",
                                             help="Data element uid (repeat for several)."),
    concept: list[str] | None = typer.Option(
        None, "--concept", "-c", help="Instead of --element: a concept (e.g. anc1, "
        "mms_clients; `mmsis routine concepts --list`), read as the data element the store's "
        "concept mapping gives it (repeat for several)."),
    org_unit: str | None = typer.Option(None, "--org-unit",
                                        help="Org unit uid (default: the hierarchy's root)."),
    level: int | None = typer.Option(None, "--level", min=1,
                                     help="One row per org unit at this level inside the "
                                     "org unit."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON rows."),
) -> None:
    """Monthly values of data elements over an org unit's subtree (all option combos,
    aggregated by each element's aggregation type): the rows of the web's indicators API."""
    import pandas as pd

    from mmsis.measure.routine.series import monthly_series, series_records

    elements = [e for item in element or [] for e in item.split(",") if e]
    concepts = [c.strip() for item in concept or [] for c in item.split(",") if c.strip()]
    if bool(elements) == bool(concepts):
        err_console.print("give data elements (--element) or concepts (--concept), one of "
                          "the two")
        raise typer.Exit(2)
    if store is not None and not store.exists():
        err_console.print(f"no store at {store}")
        raise typer.Exit(2)
    with _store(store) as st:
        if concepts:
            elements = _concept_elements(st, concepts)
        frame = monthly_series(st, elements, org_unit, level)
        if json_out:
            print_json(series_records(frame))
            return
        from mmsis.present.labels import Labels
        from mmsis.present.tables import Column, readable

        labels = Labels.from_store(st)
    # for people: the store's names for elements and org units, periods and numbers in the
    # locale (the JSON rows keep the ids and raw values)
    print_table(readable(pd.DataFrame(frame), [
        Column("data_element", _("data element"), "label", "data_element"),
        Column("org_unit", _("org unit"), "label", "org_unit"),
        Column("period", _("period"), "period"),
        Column("value", _("value"), "number")], labels), title=_("Monthly values"))


def _concept_elements(st: Store, names: list[str]) -> list[str]:
    """The data elements the store's concept mapping gives ``names`` (mmsis.data.concepts);
    an unknown or unmapped concept exits with status 2 naming the known ones."""
    from mmsis.data.concepts import CONCEPTS

    mapping = st.concepts()
    known = ", ".join(sorted(CONCEPTS))
    unknown = [n for n in names if n not in CONCEPTS]
    if unknown:
        err_console.print(f"unknown concept(s) {', '.join(unknown)}; known concepts: {known}")
        raise typer.Exit(2)
    unmapped = [n for n in names if mapping.element(n) is None]
    if unmapped:
        mapped = ", ".join(sorted(mapping.elements)) or "none"
        err_console.print(
            f"no data element of this store is mapped to {', '.join(unmapped)} "
            f"({'; '.join(CONCEPTS[n].label for n in unmapped)}): map it with `mmsis routine "
            f"concepts --set FILE`. Mapped concepts: {mapped}; known concepts: {known}")
        raise typer.Exit(2)
    return [str(mapping.element(n)) for n in names]


@app.command("concepts")
def concepts_cmd(
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    set_file: Path | None = typer.Option(
        None, "--set", help="Save this mapping (YAML or JSON: elements, levels, "
        "reporting_data_set) in the store; validated against its data elements and levels."),
    list_concepts: bool = typer.Option(False, "--list", help="List the concepts mmsis "
                                       "computes with and exit."),
    json_out: bool = typer.Option(False, "--json", help="Print the mapping as JSON."),
) -> None:
    """Show or set which data elements and org-unit levels mmsis computes with.

    The concepts are ANC1 visits, MMS clients, stock and reporting; the levels are the
    district and the region."""
    from mmsis.data import concepts

    if list_concepts:
        rows = concepts.catalogue()
        if json_out:
            print_json(rows)
        else:
            import pandas as pd

            print_table(pd.DataFrame(rows), title=_("Concepts (map each to a data element)"))
        return
    mapping = concepts.load_file(set_file) if set_file is not None else None
    with _store(store) as st:
        if mapping is not None:
            st.set_concepts(mapping)
        doc = concepts.to_document(st)
    if json_out:
        print_json(doc)
        return
    if mapping is not None:
        console.print(f"Concept mapping saved from {set_file}.")
    import pandas as pd

    table = pd.DataFrame([{_("concept"): _(v["label"]), _("data element"): v["data_element"],
                           _("name"): v["name"] or "",
                           _("aggregation"): v["aggregation_type"] or ""}
                          for v in doc["elements"].values()])
    print_table(table, title=_("Data elements by concept (saved)") if doc["saved"] else
                _("Data elements by concept (not saved: the conventional mapping)"))
    missing = [c["label"] for c in concepts.catalogue() if c["concept"] not in doc["elements"]]
    lv = doc["levels"]
    console.print(f"Districts: level {lv['district'] or 'unknown'}; regions: level "
                  f"{lv['region'] or 'unknown'}; reporting data set: "
                  f"{doc['reporting_data_set'] or 'not set'}.")
    if missing:
        console.print(f"Not mapped: {', '.join(missing)}.")
