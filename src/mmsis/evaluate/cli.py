"""CLI for mmsis.evaluate: `mmsis evaluate its | cits | did | stepped-wedge FILE ...`."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mmsis.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    no_args_is_help=True,
    help="What changed after MMS introduction: interrupted time series (plain and "
    "controlled), difference-in-"
    "differences / event study, stepped-wedge trial analysis.",
)


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV, Excel or Parquet file into a DataFrame; unreadable files are InputErrors."""
    import pandas as pd

    from mmsis.data.csvread import read_user_frame  # encodings named, open quotes by row

    if not path.exists():
        raise InputError("file not found", file=str(path))
    if not path.is_file():
        raise InputError("not a regular file", file=str(path))
    try:
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xls"):
            return _read_workbook(path)
        if suffix == ".parquet":
            return pd.read_parquet(path)
        return read_user_frame(path, dtype=None, keep_default_na=True)
    except InputError:
        raise
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file: {exc}", file=str(path)) from exc


MAX_WORKBOOK_BYTES = 200 * 2**20
MAX_WORKBOOK_UNPACKED = 512 * 2**20
"""Bounds on a workbook read as a data table: its file, and (an XLSX is a ZIP) its entries
unpacked (mmsis.data.ziparchive also refuses an entry packed more than 200:1)."""


def _read_workbook(path: Path) -> pd.DataFrame:
    """The first sheet of an Excel workbook, bounded, any damage an InputError naming it."""
    import pandas as pd

    from mmsis.data import ziparchive

    if path.stat().st_size > MAX_WORKBOOK_BYTES:
        raise InputError(f"larger than {MAX_WORKBOOK_BYTES // 2**20} MB", file=str(path))
    raw = path.read_bytes()
    if raw[:2] == b"PK":  # XLSX (the older binary .xls is no ZIP)
        ziparchive.open_zip(raw, str(path), max_entries=1000,
                            max_unpacked=MAX_WORKBOOK_UNPACKED)
    try:
        return pd.read_excel(io.BytesIO(raw))
    except Exception as exc:  # openpyxl/xlrd raise many types for a damaged workbook
        raise InputError(f"not a readable Excel workbook ({type(exc).__name__}: {exc})",
                         file=str(path)) from None


def _output(
    result: Any,
    plot: Path | None,
    json_out: bool,
    title: str,
    lines: Callable[[Any], list[str]],
) -> None:
    """Shared tail of the model commands: plot if asked, then JSON or the summary table."""
    from mmsis._cli import print_json

    out = result.to_dict()
    if plot is not None:
        from mmsis.results import save_plot

        out["plot"] = str(save_plot(result, plot))
    if json_out:
        print_json(out)
        return
    _print_summary(title, result, lines(result))


def _print_summary(title: str, result: Any, lines: list[str]) -> None:
    from mmsis._cli import console, print_sentence, print_table
    from mmsis.present.tables import Column, readable

    summary = result.summary
    if "rr" in summary:
        cols = [Column(("rr", "rr_ci_low", "rr_ci_high"), "rate ratio (95% CI)", "ci")]
    else:
        cols = [Column(("estimate", "ci_low", "ci_high"), "estimate (95% CI)", "ci")]
    shown = readable(summary, [Column("term", "term", "label", "term"), *cols,
                               Column("p", "p", "p")])
    print_table(shown, title=title)
    print_sentence(_sentence(result))
    for line in lines:
        console.print(line)
    for w in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")


def _sentence(result: Any) -> str:
    """What the fitted model says, in words (mmsis.present.sentences)."""
    from mmsis.present import sentences

    kind = type(result).__name__
    if kind == "ITSResult":
        return sentences.its(result)
    if kind == "ControlledITSResult":
        return sentences.cits(result)
    if kind == "DiDResult":
        return sentences.did(result)
    if kind == "SteppedWedgeResult":
        return sentences.stepped_wedge_analysis(result)
    return ""


# Options shared by `its` and `cits` (one declaration each).
OutcomeOpt = Annotated[str, typer.Option("--outcome", help="Outcome column (count, or value).")]
TimeOpt = Annotated[
    str,
    typer.Option("--time", help="Time column: numeric index or YYYYMM period (months counted)."),
]
OffsetOpt = Annotated[
    str | None,
    typer.Option(
        "--offset",
        help="Offset column on the NATURAL scale (population, expected pregnancies); it is "
        "logged for count families and divides the outcome (a rate) for gaussian.",
    ),
]
FamilyOpt = Annotated[
    str,
    typer.Option("--family", help="poisson | quasipoisson | negbin | gaussian (OLS on rates)."),
]
HarmonicsOpt = Annotated[
    int, typer.Option("--harmonics", help="Fourier pairs for seasonality (K).")
]
SeasonOpt = Annotated[
    str | None,
    typer.Option("--season", help="Season column (e.g. month 1-12); default: from time."),
]
PeriodOpt = Annotated[float, typer.Option("--period", help="Season length in time units.")]
MonthIndicatorsOpt = Annotated[
    bool, typer.Option("--month-indicators", help="Season indicators instead of harmonics.")
]
SlopeChangeOpt = Annotated[bool, typer.Option("--slope-change", help="Also fit a slope change.")]
SlopeOriginOpt = Annotated[
    str,
    typer.Option(
        "--slope-origin",
        help="Time since the interruption at the first post point: last-pre = 1 (Wagner 2002; "
        "Lopez Bernal 2017 I(time - 36)), first-post = 0 (Stata itsa). Moves where the level "
        "change is measured.",
    ),
]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Write the figure here (PNG/SVG).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@app.command("its")
def its(
    file: Annotated[Path, typer.Argument(help="CSV/XLSX/Parquet, one row per time point.")],
    outcome: OutcomeOpt,
    time: TimeOpt,
    intervention: Annotated[
        str,
        typer.Option("--intervention", help="0/1 column: 0 before, 1 from the intervention on."),
    ],
    offset: OffsetOpt = None,
    family: FamilyOpt = "poisson",
    harmonics: HarmonicsOpt = 0,
    season: SeasonOpt = None,
    period: PeriodOpt = 12,
    month_indicators: MonthIndicatorsOpt = False,
    slope_change: SlopeChangeOpt = False,
    slope_origin: SlopeOriginOpt = "last-pre",
    newey_west: int | None = typer.Option(
        None, "--newey-west", help="Newey-West (HAC) standard errors with this many lags."
    ),
    completeness: str | None = typer.Option(
        None, "--completeness", help="Reporting completeness column (share 0-1)."
    ),
    missing: str = typer.Option(
        "drop",
        "--missing",
        help="Missing / low-completeness months: drop | impute (seasonal interpolation) | "
        "offset (log completeness added to the offset).",
    ),
    min_completeness: float = typer.Option(
        0.9, "--min-completeness", help="Completeness below this flags a month."
    ),
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Interrupted time series (segmented regression) with rate ratios and a counterfactual."""
    from mmsis.evaluate.its import fit_its

    data = read_table(file)
    result = fit_its(
        data,
        outcome,
        time,
        intervention,
        offset=offset,
        family=family,  # type: ignore[arg-type]
        slope_change=slope_change,
        harmonics=harmonics,
        season=season,
        period=period,
        month_indicators=month_indicators,
        newey_west=newey_west,
        completeness=completeness,
        missing=missing,  # type: ignore[arg-type]
        min_completeness=min_completeness,
        slope_origin=slope_origin,  # type: ignore[arg-type]
        file=str(file),
    )
    _output(result, plot, json_out, "Interrupted time series", _its_lines)


def _its_lines(result: Any) -> list[str]:
    from mmsis.present.numbers import ci, number

    lc = result.level_change
    lines = [
        f"n = {result.n} ({result.n_pre} before, {result.n_post} after); "
        f"dispersion {number(result.dispersion)}; SE {result.se_type}",
        (
            f"level change: RR {ci(lc['rr'], lc['ci_low'], lc['ci_high'])} (95% CI)"
            if result.log_link
            else f"level change: {ci(lc['estimate'], lc['ci_low'], lc['ci_high'])} (95% CI)"
        ),
    ]
    sc = result.slope_change
    if sc is not None:
        at = 1 if result.slope_origin == "last-pre" else 0
        lines.append(
            (
                f"slope change: RR {ci(sc['rr'], sc['ci_low'], sc['ci_high'])} per time unit "
                "(95% CI)"
                if result.log_link
                else f"slope change: {ci(sc['estimate'], sc['ci_low'], sc['ci_high'])} per "
                "time unit (95% CI)"
            )
            + f"; slope origin {result.slope_origin} (time since the interruption = {at} at "
            "the first post point)"
        )
    return lines


@app.command("cits")
def cits(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV/XLSX/Parquet: two series stacked, one row per series and time point."
        ),
    ],
    outcome: OutcomeOpt,
    time: TimeOpt,
    group: Annotated[
        str, typer.Option("--group", help="0/1 column: 1 treated series, 0 control.")
    ],
    intervention: Annotated[
        str,
        typer.Option(
            "--intervention",
            help="0/1 column: 0 before, 1 from the intervention on (calendar time, both series).",
        ),
    ],
    offset: OffsetOpt = None,
    family: FamilyOpt = "poisson",
    harmonics: HarmonicsOpt = 0,
    season: SeasonOpt = None,
    period: PeriodOpt = 12,
    month_indicators: MonthIndicatorsOpt = False,
    slope_change: SlopeChangeOpt = False,
    slope_origin: SlopeOriginOpt = "last-pre",
    newey_west: int | None = typer.Option(
        None, "--newey-west", help="Panel Newey-West (HAC) standard errors with this many lags."
    ),
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Controlled ITS: the treated series' change beyond the control's (common shocks removed)."""
    from mmsis.evaluate.controlled_its import fit_controlled_its

    result = fit_controlled_its(
        read_table(file),
        outcome,
        time,
        group,
        intervention,
        offset=offset,
        family=family,  # type: ignore[arg-type]
        slope_change=slope_change,
        harmonics=harmonics,
        season=season,
        period=period,
        month_indicators=month_indicators,
        newey_west=newey_west,
        slope_origin=slope_origin,  # type: ignore[arg-type]
        file=str(file),
    )
    _output(result, plot, json_out, "Controlled interrupted time series", _cits_lines)


def _cits_lines(result: Any) -> list[str]:
    from mmsis.present.numbers import ci, number

    lines = _its_lines(result)
    lines = [
        line.replace("level change:", "level change beyond the control:").replace(
            "slope change:", "slope change beyond the control:"
        )
        for line in lines
    ]
    cc = result.common_level_change
    lines.append(
        f"common level change (control too): RR {ci(cc['rr'], cc['ci_low'], cc['ci_high'])} "
        "(95% CI)"
        if result.log_link
        else f"common level change (control too): {number(cc['estimate'])}"
    )
    return lines


@app.command("did")
def did(
    file: Path = typer.Argument(..., help="CSV/XLSX/Parquet panel, one row per unit and time."),
    outcome: str = typer.Option(..., "--outcome", help="Outcome column."),
    unit: str = typer.Option(..., "--unit", help="Unit column (e.g. district id)."),
    time: str = typer.Option(..., "--time", help="Time column: numeric or YYYYMM period."),
    treated_from: str = typer.Option(
        ...,
        "--treated-from",
        help="Column with each unit's first treated time (same scale as --time; empty for "
        "never-treated units).",
    ),
    offset: str | None = typer.Option(
        None, "--offset", help="Divide the outcome by this column (natural scale) first."
    ),
    log_outcome: bool = typer.Option(
        False, "--log", help="Model log(outcome): effects become rate ratios."
    ),
    leads: int = typer.Option(6, "--leads", help="Event-study leads (earlier ones binned)."),
    lags: int = typer.Option(12, "--lags", help="Event-study lags (later ones binned)."),
    plot: Path | None = typer.Option(None, "--plot", help="Write the event-study figure here."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Difference-in-differences: TWFE (cluster-robust) and did2s, with an event study."""
    from mmsis.evaluate.did import fit_did

    data = read_table(file)
    result = fit_did(
        data,
        outcome,
        unit,
        time,
        treated_from,
        offset=offset,
        log_outcome=log_outcome,
        leads=leads,
        lags=lags,
        file=str(file),
    )
    _output(result, plot, json_out, "Difference-in-differences", _did_lines)


def _cohorts(cohorts: dict[str, int]) -> str:
    """Start times and their unit counts for people: month counts (year x 12 + month - 1, as
    YYYYMM periods are coded) as "Jul 2022", others as given."""
    from mmsis.present import format as fmt

    parts = []
    for key, n in cohorts.items():
        if key == "never":
            if n:
                parts.append(f"never ({n})")
            continue
        try:
            k = int(float(key))
        except ValueError:
            parts.append(f"{key} ({n})")
            continue
        when = fmt.period(f"{k // 12}{k % 12 + 1:02d}") if 12 * 1900 <= k < 12 * 2200 else key
        parts.append(f"{when} ({n})")
    return ", ".join(parts)


def _did_lines(result: Any) -> list[str]:
    w = result.weights
    return [
        f"{result.n:,} unit-times, {result.n_units} units; started: {_cohorts(result.cohorts)}",
        f"TWFE weights: {w['n_negative']} of {w['n_treated_cells']} treated cells negative",
    ]


@app.command("stepped-wedge")
def stepped_wedge(
    file: Path = typer.Argument(..., help="CSV/XLSX/Parquet, one row per individual."),
    outcome: str = typer.Option(..., "--outcome", help="Outcome column (0/1 for binomial)."),
    cluster: str = typer.Option(..., "--cluster", help="Cluster column."),
    period: str = typer.Option(..., "--period", help="Period column (fixed effects)."),
    treatment: str = typer.Option(..., "--treatment", help="0/1: cluster in intervention."),
    family: str = typer.Option(
        "gaussian",
        "--family",
        help="gaussian (LMM, REML) | binomial (GEE exchangeable + GLMM, odds ratios).",
    ),
    plot: Path | None = typer.Option(None, "--plot", help="Write cluster-period means here."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Stepped-wedge trial analysis: mixed model with period fixed effects."""
    from mmsis.evaluate.stepped_wedge import fit_stepped_wedge

    data = read_table(file)
    result = fit_stepped_wedge(
        data,
        outcome,
        cluster,
        period,
        treatment,
        family=family,  # type: ignore[arg-type]
        file=str(file),
    )
    _output(result, plot, json_out, "Stepped-wedge analysis", _stepped_wedge_lines)


def _stepped_wedge_lines(result: Any) -> list[str]:
    return [
        f"n = {result.n}; {result.n_clusters} clusters x {result.n_periods} periods",
        "variance: " + ", ".join(f"{k} {v:.4g}" for k, v in result.variance.items()),
    ]


@app.command("panel")
def panel(
    directory: Path = typer.Argument(
        ...,
        help="Folder with data_values.csv, reports.csv, org_units.csv and rollout.csv "
        "(as written by `mmsis datasets example --out DIR`).",
    ),
    element: str | None = typer.Option(
        None, "--element", help="Data element (id) to roll up to districts; default: the one "
        "the concept mapping gives --concept."),
    concept: str = typer.Option(
        "anc1", "--concept", help="Concept to roll up (anc1, mms_clients, ...; see `mmsis "
        "routine concepts --list`), through the mapping."),
    concepts_file: Path | None = typer.Option(
        None, "--concepts", help="Concept mapping (YAML/JSON); default: concepts.yaml in the "
        "folder when there is one, else the conventional mapping."),
    level: int | None = typer.Option(
        None, "--level", help="Org-unit level of the districts; default: the mapping's."),
    crude_birth_rate: float | None = typer.Option(
        None,
        "--crude-birth-rate",
        help="Adds expected_pregnancies (monthly); default: from truth.json if present.",
    ),
    pregnancy_loss: float = typer.Option(
        1.0, "--pregnancy-loss-adjustment", help="Pregnancies per live birth."
    ),
    out: Path = typer.Option(..., "--out", help="Write the district-month panel CSV here."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Build a district-month panel (values rolled up to districts, completeness, roll-out)."""
    import json

    from mmsis._cli import console, print_json
    from mmsis.data.concepts import load_file
    from mmsis.data.frames import store_from_frames
    from mmsis.evaluate.panels import store_panel

    tables = {
        name: read_table(directory / f"{name}.csv")
        for name in ("data_values", "reports", "org_units", "rollout")
    }
    truth = directory / "truth.json"
    if crude_birth_rate is None and truth.exists():
        country = json.loads(truth.read_text()).get("country", {})
        if "crude_birth_rate" in country:
            crude_birth_rate = float(country["crude_birth_rate"])
            pregnancy_loss = float(country.get("pregnancy_loss_adjustment", pregnancy_loss))
    if concepts_file is None and (directory / "concepts.yaml").exists():
        concepts_file = directory / "concepts.yaml"
    mapping = load_file(concepts_file) if concepts_file is not None else None
    store = store_from_frames(tables["org_units"], tables["data_values"], tables["reports"],
                              mapping=mapping, file=str(directory))
    try:
        element = element or store.concepts().require(concept)
        result = store_panel(
            store,
            element,
            tables["rollout"],
            level=level,
            crude_birth_rate=crude_birth_rate,
            pregnancy_loss_adjustment=pregnancy_loss,
        )
    finally:
        store.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out, index=False)
    info = {
        "out": str(out),
        "element": element,
        "rows": len(result),
        "districts": int(result["district_id"].nunique()),
        "periods": int(result["period"].nunique()),
        "mean_completeness": float(result["completeness"].mean()),
    }
    if json_out:
        print_json(info)
    else:
        console.print(
            f"{info['rows']} district-months ({info['districts']} districts x "
            f"{info['periods']} months) of {element} written to {out}"
        )


@app.command("routine-its")
def routine_its_cmd(
    store: Path = typer.Option(..., "--store", help="Programme store (e.g. a web workspace's)."),
    element: str = typer.Option(..., "--element", help="Data element (its UID in the store)."),
    start: str = typer.Option(..., "--start", help="First month of the change, YYYYMM."),
    org_unit: str | None = typer.Option(
        None, "--org-unit", help="Org unit whose subtree is summed (default: the root)."),
    family: str = typer.Option("quasipoisson", "--family",
                               help="poisson | quasipoisson | negbin | gaussian."),
    control: str | None = typer.Option(
        None, "--control", help="Another org unit: a controlled ITS against its series."),
    json_out: JsonOpt = False,
) -> None:
    """ITS of a routine series from a programme store, fitted as on the web and in the report.

    The same roll-up, start and model as the web's Evaluation page and the report
    (mmsis.evaluate.routine_its)."""
    from mmsis.data.store import Store
    from mmsis.evaluate.routine_its import store_its

    if not store.is_file():
        raise InputError("file not found", file=str(store))
    with Store(store, read_only=True) as st:
        result = store_its(st, element, start, org_unit, family, control)
    title = (f"Interrupted time series of {element} in {org_unit or 'the whole country'} "
             f"from {start}" + (f", controlled by {control}" if control else ""))
    _output(result, None, json_out, title, _its_lines)
