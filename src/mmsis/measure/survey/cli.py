"""`mmsis survey`: design-based estimates, the MMS coverage cascade, adherence and equity."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from mmsis._cli import print_frame, print_json, print_table
from mmsis.errors import InputError
from mmsis.i18n import N_
from mmsis.i18n import gettext as _
from mmsis.measure.survey.programme import CASCADE_PERIOD_MONTHS, CASCADE_SUPPLEMENT

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(no_args_is_help=True, help="Design-based survey estimates and cascade.")

_STATS = (N_("mean"), N_("proportion"), N_("total"), N_("ratio"))
ENCODING_HELP = ("A CSV's text encoding when it is not UTF-8 or UTF-16 with a byte-order mark "
                 "(e.g. latin-1, cp1252).")


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    cols = [c.strip() for c in value.split(",") if c.strip()]
    return cols or None


@app.command()
def estimate(
    file: Path = typer.Argument(..., help="Survey microdata: .csv, .dta or .parquet."),
    stat: str = typer.Option("mean", "--stat", help="mean | proportion | total | ratio."),
    var: str = typer.Option(..., "--var", help="Variable to estimate (numerator for ratio)."),
    den: str | None = typer.Option(None, "--den", help="Denominator variable (ratio)."),
    by: str | None = typer.Option(None, "--by", help="Domain column(s), comma-separated."),
    profile: str | None = typer.Option(
        None, "--profile", help="dhs, mics or a profile YAML: its design columns (weight, "
        "cluster, strata) unless given here, and its \"don't know\"/missing codes made "
        "missing."),
    weight: str | None = typer.Option(None, "--weight", help="Sampling weight column."),
    weight_divisor: float | None = typer.Option(
        None, "--weight-divisor", help="e.g. 1000000 for v005 (default 1, or the profile's)."),
    cluster: str | None = typer.Option(None, "--cluster", help="Cluster column per stage: A,B."),
    strata: str | None = typer.Option(None, "--strata", help="Stratum column."),
    fpc: str | None = typer.Option(None, "--fpc", help="FPC column per stage (counts/fractions)."),
    nest: bool = typer.Option(False, "--nest", help="Cluster ids restart within strata."),
    lonely_psu: str | None = typer.Option(
        None, "--lonely-psu", help="fail | remove | certainty | adjust | average (default "
        "fail, or the profile's)."
    ),
    adjust_domain_lonely: bool = typer.Option(
        False,
        "--adjust-domain-lonely",
        help="A stratum with one PSU in a domain is lonely too (R survey.adjust.domain.lonely).",
    ),
    level: float = typer.Option(0.95, "--level", help="Confidence level."),
    deff: str | None = typer.Option(
        None, "--deff", help="Design effect vs simple random sampling: wr (with replacement; "
        "the default without --fpc) or wor (without replacement: needs --fpc)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON records."),
    encoding: str | None = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """Estimate a mean, proportion, total or ratio with design-based SE and CI, by domain."""
    from mmsis._cli import err_console, print_sentence
    from mmsis.data.survey import load_profile, read_survey
    from mmsis.measure import survey
    from mmsis.measure.survey.protect import apply_codes, choose_deff, deff_reasons
    from mmsis.present.sentences import survey_estimate

    if stat not in _STATS:
        raise InputError(
            f"unknown statistic '{stat}'; use one of {', '.join(_STATS)}", field="stat"
        )
    if stat == "ratio" and den is None:
        raise InputError("a ratio needs --den", field="den")
    prof = load_profile(profile) if profile else None
    spec = prof.design if prof is not None else None
    weight = weight or (spec.weight if spec else None)
    if weight_divisor is None:
        weight_divisor = spec.weight_divisor if spec is not None and weight == spec.weight \
            else 1.0
    if weight_divisor <= 0:
        raise InputError(f"must be positive, got {weight_divisor:g}", field="weight-divisor")
    cluster_cols = _split(cluster) or (list(spec.cluster) if spec and spec.cluster else None)
    strata = strata or (spec.strata if spec else None)
    fpc_cols = _split(fpc) or (list(spec.fpc) if spec and spec.fpc else None)
    lonely_psu = lonely_psu or (spec.lonely_psu if spec else "fail")
    deff_ref = choose_deff(deff, fpc_cols)
    df = read_survey(file, encoding=encoding)
    warnings = []
    for column in [var, *([den] if den else [])]:
        warnings += apply_codes(df, column, prof).messages(profile)
    w = weight
    if weight is not None and weight_divisor != 1.0:
        if weight not in df.columns:
            raise InputError(f"unknown column '{weight}'", column=weight, file=str(file))
        df[weight] = _divided(df[weight], weight_divisor, weight, str(file))
    design = survey.Design(
        df,
        weight=w,
        cluster=cluster_cols,
        strata=strata,
        fpc=fpc_cols,
        nest=nest,
        lonely_psu=lonely_psu,
        adjust_domain_lonely=adjust_domain_lonely,
    )
    by_cols = _split(by)
    if stat == "ratio":
        assert den is not None
        res = survey.ratio(design, var, den, by=by_cols, level=level, deff=deff_ref)
    else:
        fn = {"mean": survey.mean, "proportion": survey.proportion, "total": survey.total}[stat]
        res = fn(design, var, by=by_cols, level=level, deff=deff_ref)
    warnings += deff_reasons(res, df, var, by_cols, deff_ref)
    for message in warnings:
        err_console.print(f"[yellow]warning:[/yellow] {message}", highlight=False)
    if as_json:
        print_json(res)
        return
    from mmsis.i18n import gettext as _

    title = (_("%(stat)s of %(variable)s (%(design)s; design effect with replacement)")
             if deff_ref == "wr" else
             _("%(stat)s of %(variable)s (%(design)s; design effect without replacement)"))
    print_table(_readable_estimates(res, by_cols or [], prof, stat),
                title=title % {"stat": _(stat), "variable": var,
                               "design": _design_words(design)})
    print_sentence(survey_estimate(res, stat, var))


def _design_words(design) -> str:  # type: ignore[no-untyped-def]
    """The design in words for a table title: "12,000 respondents, 400 clusters in 8 strata"
    (not the Design repr)."""
    from mmsis.i18n import gettext as _
    from mmsis.present.numbers import count

    st = design.stages[0]
    words = {"n": count(design.n), "clusters": count(st.n_units),
             "strata": count(st.n_strata), "stages": count(design.n_stages)}
    text = (_("%(n)s respondents, %(clusters)s clusters in %(strata)s strata") if st.n_strata > 1
            else _("%(n)s respondents, %(clusters)s clusters")) % words
    return text + (_(", %(stages)s stages") % words if design.n_stages > 1 else "")


def _divided(values, divisor: float, column: str, file: str):  # type: ignore[no-untyped-def]
    """A weight column divided by ``divisor`` (v005 / 1,000,000); text cells refused naming the
    user's column and rows (the design then names that column too, never an internal one)."""
    import numpy as np
    import pandas as pd

    num = pd.to_numeric(values, errors="coerce")
    bad = np.flatnonzero((num.isna() & values.notna()).to_numpy())
    if bad.size:
        rows = ", ".join(str(int(i) + 1) for i in bad[:10])
        raise InputError(f"weights must be numbers; not numeric in row(s) {rows}"
                         f"{' ...' if bad.size > 10 else ''} (first: {values.iloc[bad[0]]!r})",
                         file=file, row=int(bad[0]) + 1, column=column)
    return num / divisor


def _readable_estimates(res, by: list[str], prof, stat: str):  # type: ignore[no-untyped-def]
    """Estimates for people: domain labels from the profile, intervals, counts."""
    from mmsis.present.tables import Column, readable

    shown = res.copy()
    names = {}
    if prof is not None:
        for spec in prof.domains.values():
            if spec.column in by and spec.labels:
                shown[spec.column] = shown[spec.column].map(
                    lambda v, m=spec.labels: m.get(int(v), v) if v == v else v)
            if spec.column in by:
                names[spec.column] = spec.label or spec.column
    kind = "ci_percent" if stat == "proportion" else "ci"
    from mmsis.i18n import gettext as _

    cols = [Column(c, names.get(c, c)) for c in by]
    cols += [Column(("estimate", "ci_low", "ci_high"), _("estimate (95% CI)"), kind),
             Column("se", _("SE"), "number"), Column("deff", _("design effect"), "number"),
             Column("n", _("respondents"), "count")]
    return readable(shown, cols)


def _profile_domains(by: str | None, profile: str) -> list[str] | None:
    """Domain names for --by: a profile's domain name, or the survey column it maps (v190)."""
    cols = _split(by)
    if cols is None:
        return None
    from mmsis.data.survey import load_profile

    by_column = {spec.column: name for name, spec in load_profile(profile).domains.items()}
    return [by_column.get(c, c) for c in cols]


def _recoded(file: Path, profile: str, supplement: str, period_months: int | None,  # type: ignore[no-untyped-def]
             encoding: str | None = None):
    from mmsis.data.survey import load_profile, read_survey, recode

    prof = load_profile(profile)
    return recode(
        read_survey(file, encoding=encoding),
        prof,
        supplement=supplement,
        period_months=period_months,
        file=str(file),
    )


@app.command()
def cascade(
    file: Path | None = typer.Argument(
        None, help="Survey microdata: .csv, .dta or .parquet (or --store)."),
    profile: str = typer.Option("dhs", "--profile", help="Profile name (dhs, mics) or YAML path."),
    by: str | None = typer.Option(
        None, "--by", help="Domain(s): region, residence, wealth (or their columns, e.g. v190)."
    ),
    supplement: str = typer.Option(
        CASCADE_SUPPLEMENT, "--supplement", help="any | MMS | IFA (default: MMS, the "
        "programme cascade's, as on the dashboard and in the report)."),
    period_months: int = typer.Option(
        CASCADE_PERIOD_MONTHS, "--period-months", min=1,
        help="Women with a birth within this many months (default 24, the programme "
        "cascade's; 60 for the DHS profile's five years). A profile without a reference "
        "period (mics) keeps its own."),
    level: float = typer.Option(0.95, "--level", help="Confidence level."),
    store: Path | None = typer.Option(
        None, "--store", help="Programme store (e.g. a web workspace's) instead of a file: the "
        "programme cascade of a survey wave (MMS, women with a birth in the past 24 months), "
        "the one the dashboard and the report show."),
    wave: str | None = typer.Option(
        None, "--wave", help="With --store: the survey wave (default: the latest uploaded)."),
    org_unit: str | None = typer.Option(
        None, "--org-unit", help="With --store: only the respondents of the districts in this "
        "org unit's subtree (district_id), as for a workspace member limited to it."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON records."),
    encoding: str | None = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """The coverage cascade: each step as % of all women and % of the previous step.

    By default the programme cascade (MMS, women with a birth in the past 24 months), the
    one the dashboard and the report show; --supplement and --period-months change it."""
    from mmsis.measure.survey.cascade import cascade as run

    if store is not None:
        if file is not None:
            raise InputError("give a survey file or --store, not both", field="store")
        _store_cascade(store, wave, as_json, supplement, period_months, org_unit)
        return
    if file is None:
        raise InputError("give a survey file, or --store for a programme store's wave",
                         field="file")
    if wave is not None or org_unit is not None:
        raise InputError(f"{'--wave' if wave is not None else '--org-unit'} goes with --store "
                         "(the store keeps the waves and the hierarchy)",
                         field="wave" if wave is not None else "org_unit")
    rec = _recoded(file, profile, supplement, period_months, encoding)
    res = run(rec, by=_profile_domains(by, profile), level=level)
    months = period_months if rec.profile.reference_period is not None else None
    if months:  # labels name the supplement counted; the denominator said in words
        from mmsis.measure.survey.programme import with_words

        res = with_words(res, supplement, months)
    if as_json:
        print_json(res)
        return
    domains = [c for c in res.columns if c not in (
        "step", "label", "of", "estimate", "se", "ci_low", "ci_high", "deff", "n", "df",
        "method", "denominator")]
    shown = res.assign(of=res["denominator"] if "denominator" in res.columns
                       else res["of"].map(lambda v: _step_of(v, res)))
    _print_cascade(shown, supplement, domains)
    _print_definition(supplement, months, rec.profile.name)


def _print_cascade(shown: pd.DataFrame, supplement: str, domains: list[str] | None = None
                   ) -> None:
    """The cascade as a table for people: each step, what it is a share of, the coverage
    with its 95% CI and the women (after the `domains` columns, when by domain)."""
    from mmsis.present.tables import Column, readable

    print_table(readable(shown, [
        *[Column(c, c) for c in domains or []], Column("label", _("step")),
        Column("of", _("share of")),
        Column(("estimate", "ci_low", "ci_high"), _("coverage (95% CI)"), "ci_percent"),
        Column("n", _("women"), "count")]),
        title=_("%(supplement)s coverage cascade") % {
            "supplement": _supplement_words(supplement)})


def _level(level: float) -> str:
    """A confidence level as a percentage in the locale in use (95%, 95 %)."""
    from mmsis.present.numbers import percent

    return percent(level, 0)


def _supplement_words(supplement: str) -> str:
    """The supplement counted, as a title says it ("any" is MMS or IFA)."""
    return "MMS/IFA" if supplement.lower() == "any" else supplement


def _print_definition(supplement: str, months: int | None, profile: str) -> None:
    """Say which cascade definition and denominator the table used (and how to change them)."""
    from mmsis._cli import console
    from mmsis.measure.survey.programme import denominator_words

    own = (supplement.lower() == CASCADE_SUPPLEMENT.lower()
           and months in (CASCADE_PERIOD_MONTHS, None))
    who = (denominator_words(months) if months
           else f"the women the {profile} profile covers (it has no reference period)")
    which = "the programme cascade (as on the dashboard and in the report), " if own else ""
    console.print(
        f"Definition: {which}supplement counted: {_supplement_words(supplement)}; every share "
        f"is of {who} (conditional steps: of the women at the previous step). Change it with "
        "--supplement any|MMS|IFA and --period-months N.", highlight=False)


def _store_cascade(store: Path, wave: str | None, as_json: bool,
                   supplement: str = CASCADE_SUPPLEMENT,
                   period_months: int = CASCADE_PERIOD_MONTHS,
                   org_unit: str | None = None) -> None:
    """The programme cascade of a store's survey wave (mmsis.measure.survey.programme), of
    the respondents in an org unit's districts with ``org_unit``."""
    from mmsis._cli import console
    from mmsis.data import queries
    from mmsis.data.store import Store
    from mmsis.data.survey.waves import pick_wave, wave_words
    from mmsis.measure.survey.programme import (
        denominator_words,
        programme_cascade,
        respondents_within,
        scope_words,
    )

    if not store.is_file():
        raise InputError("file not found", file=str(store))
    scope = name = None
    with Store(store, read_only=True) as st:
        info, frame = pick_wave(st, wave)
        paths = queries.org_unit_paths(st)
        if org_unit is not None:
            place = queries.org_unit_place(st, org_unit)
            if place is None:
                raise InputError(f"no org unit '{org_unit}' in the store", file=str(store),
                                 field="org_unit")
            scope = place[0]
            name = queries.org_unit_name(st, org_unit) or org_unit
    unit_paths = dict(zip(paths["id"], paths["path"], strict=True))
    res = programme_cascade(frame, supplement=supplement, period_months=period_months,
                            file=str(info["file"]), unit_paths=unit_paths,
                            scope=scope, place=name).drop(columns=["method"])
    respondents = len(respondents_within(frame, unit_paths, scope))
    if as_json:
        print_json({"wave": info["id"], "survey": info["file"], "wave_words": wave_words(info),
                    "denominator": denominator_words(period_months), "scope": scope,
                    "respondents": respondents, "table": res})
        return
    _print_cascade(res.assign(of=res["denominator"]), supplement)
    from mmsis.present import format as fmt

    console.print(_("From %(wave)s, wave id %(id)s (--wave); it covers %(who)s: %(n)s "
                    "respondents.") % {"wave": wave_words(info), "id": info["id"],
                                       "who": scope_words(name), "n": fmt.count(respondents)},
                  highlight=False)
    _print_definition(supplement, period_months, "dhs")


_HEAT_WORDS = {"rii": "relative index of inequality", "ci": "concentration index",
               "par": "population attributable risk", "paf": "population attributable fraction"}
"""HEAT's summary measures in words (the JSON keeps the ids)."""


def _step_of(of: str, res) -> str:  # type: ignore[no-untyped-def]
    """"previous step: anc1" as the previous step's label."""
    prefix = "previous step: "
    if not str(of).startswith(prefix):
        return str(of)
    step = str(of)[len(prefix):]
    names = dict(zip(res["step"], res["label"], strict=False))
    return f"women with {names.get(step, step)}"


@app.command()
def adherence(
    file: Path = typer.Argument(..., help="Survey microdata: .csv, .dta or .parquet."),
    profile: str = typer.Option("dhs", "--profile", help="Profile name (dhs, mics) or YAML path."),
    by: str | None = typer.Option(None, "--by", help="Domain(s)."),
    supplement: str = typer.Option("any", "--supplement", help="any | MMS | IFA."),
    period_months: int | None = typer.Option(None, "--period-months"),
    level: float = typer.Option(0.95, "--level", help="Confidence level."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON records."),
    encoding: str | None = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """Adherence: tablets consumed / expected and the share at or above the threshold."""
    from mmsis.measure.survey.cascade import adherence as run

    rec = _recoded(file, profile, supplement, period_months, encoding)
    res = run(rec, by=_profile_domains(by, profile), level=level)
    print_frame(res, as_json, "Adherence", drop=["method"])


@app.command()
def equity(
    file: Path = typer.Argument(..., help="Survey microdata: .csv, .dta or .parquet."),
    profile: str = typer.Option("dhs", "--profile", help="Profile name (dhs, mics) or YAML path."),
    indicator: str = typer.Option(
        "received_any", "--indicator",
        help="A cascade step id of the profile, or 'all': HEAT's measures for every step.",
    ),
    dimensions: str = typer.Option(
        "wealth,residence,region", "--dimensions", help="Domain columns to compare."
    ),
    supplement: str = typer.Option("any", "--supplement", help="any | MMS | IFA."),
    period_months: int | None = typer.Option(None, "--period-months"),
    ordered: str = typer.Option(
        "wealth", "--ordered", help="The ordered dimension for the SII, RII and concentration "
        "index (its first category is the most disadvantaged)."
    ),
    ci_correction: str = typer.Option(
        "none", "--ci-correction",
        help="Concentration index in the JSON 'ci': none (HEAT's RCI) | erreygers | wagstaff.",
    ),
    reference: str | None = typer.Option(
        None, "--reference", help="PAR/PAF reference group of the ordered dimension "
        "(default: its most advantaged group, as HEAT)."
    ),
    level: float = typer.Option(0.95, "--level", help="Confidence level."),
    as_json: bool = typer.Option(
        False, "--json", help="Print JSON {groups, measures, rii, ci, paf, par}."
    ),
    encoding: str | None = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """Equity of an indicator: groups, gaps, the slope index and HEAT's summary measures."""
    from mmsis.measure.survey.cascade import design_of
    from mmsis.measure.survey.equity import CORRECTIONS, summary_measures
    from mmsis.measure.survey.equity import equity as run
    from mmsis.present.tables import Column, readable

    if ci_correction not in CORRECTIONS:
        raise InputError(f"must be one of {', '.join(CORRECTIONS)} (got {ci_correction!r})",
                         field="ci_correction")
    rec = _recoded(file, profile, supplement, period_months, encoding)
    if indicator != "all" and indicator not in rec.steps:
        raise InputError(
            f"unknown indicator '{indicator}'; steps: all, {', '.join(rec.steps)}",
            field="indicator",
        )
    design = design_of(rec)
    dims = _profile_domains(dimensions, profile) or []
    ordered_dim = (_profile_domains(ordered, profile) or [ordered])[0]
    if indicator == "all":
        from mmsis.measure.survey.equity import cascade_measures

        table = cascade_measures(design, rec.steps, ordered_dim, ci_correction,  # type: ignore[arg-type]
                                 reference, level=level)
        if as_json:
            print_json(table)
            return
        steps = {st.id: st.label for st in rec.profile.cascade}
        shown = table.assign(step=table["step"].map(lambda v: steps.get(v, v)),
                             measure=table["measure"].map(lambda v: _HEAT_WORDS.get(v, v)))
        print_table(readable(shown, [
            Column("step", _("step")), Column("measure", _("measure")),
            Column(("estimate", "ci_low", "ci_high"),
                   _("estimate (%(level)s CI)") % {"level": _level(level)}, "ci"),
            Column("reference", _("reference")), Column("correction", _("correction"))]),
            title=_("HEAT summary measures by cascade step (%(dimension)s)") % {
                "dimension": ordered_dim})
        return
    groups, measures = run(design, indicator, dims, ordered_dimension=ordered_dim, level=level)
    heat = summary_measures(design, indicator, ordered_dim, ci_correction,  # type: ignore[arg-type]
                            reference=reference, level=level)
    if as_json:
        print_json({"groups": groups, "measures": measures, **heat})
    else:
        name = {st.id: st.label for st in rec.profile.cascade}.get(indicator, indicator)
        print_table(readable(groups, [
            Column("dimension", _("dimension")), Column("group", _("group")),
            Column(("estimate", "ci_low", "ci_high"),
                   _("share (%(level)s CI)") % {"level": _level(level)}, "ci_percent"),
            Column("deff", _("design effect"), "number"), Column("n", _("women"), "count")]),
            title=_("%(indicator)s by group") % {"indicator": _(name)})
        print_table(readable(measures, [
            Column("dimension", _("dimension")), Column("measure", _("measure")),
            Column("comparison", _("comparison")),
            Column(("estimate", "ci_low", "ci_high"),
                   _("estimate (%(level)s CI)") % {"level": _level(level)}, "ci"),
            Column("n", _("women"), "count")]),
            title=_("Inequality in %(indicator)s") % {"indicator": _(name)})
