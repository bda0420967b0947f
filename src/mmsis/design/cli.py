"""`mmsis design`: sample size and power from the command line (see docs/design.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mmsis._cli import print_json, print_table
from mmsis.errors import InputError
from mmsis.i18n import N_
from mmsis.i18n import gettext as _

app = typer.Typer(no_args_is_help=True, help="Sample size and power.")


def _ints(text: str, field: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise InputError(f"expected whole numbers separated by commas, got {text!r}",
                         field=field) from exc


def _floats(text: str, field: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise InputError(f"expected numbers separated by commas, got {text!r}",
                         field=field) from exc


def _read_design(path: Path) -> Any:
    """A design matrix CSV: one row per cluster, one column per period, 0/1, blank or NA."""
    import numpy as np
    import pandas as pd

    from mmsis.data.csvread import read_user_frame  # encodings named, rows of errors named

    df = read_user_frame(path, header=None, na_values=["", "NA", "."], keep_default_na=True,
                         dtype=None)
    if df.shape[0] > 0 and not pd.to_numeric(df.iloc[0], errors="coerce").notna().any():
        df = df.iloc[1:]
    values = df.apply(pd.to_numeric, errors="coerce")
    bad = values.isna() & df.notna() & ~df.isin(["NA", ""])
    if bad.any().any():
        row, col = np.argwhere(bad.to_numpy())[0]
        raise InputError("not 0, 1 or blank", file=str(path), row=int(row) + 1,
                         column=str(col + 1))
    return values.to_numpy(dtype=float)


def _show(result: Any, as_json: bool, title: str, extra: dict[str, Any] | None = None,
          sentence: str = "") -> None:
    """JSON: every field of the result (the contract). People: the key numbers and what they
    mean in a sentence; parameter dumps (variances, flags) stay in --json."""
    import pandas as pd

    from mmsis._cli import console, print_sentence

    data = result.model_dump()
    if extra:
        data.update(extra)
    if as_json:
        print_json(data)
        return
    rows = _key_numbers(result)
    if rows:
        print_table(pd.DataFrame([(_(k), v) for k, v in rows], columns=["", _("value")]),
                    title=_(title))
    print_sentence(sentence or _sentence(result))
    if extra and extra.get("plot"):
        console.print(f"Chart: {extra['plot']}", highlight=False)


def _sentence(result: Any) -> str:
    from mmsis.design import results as r
    from mmsis.present import sentences

    if isinstance(result, r.SurveySampleSize):
        return sentences.survey_sample_size(result)
    if isinstance(result, r.CrtResult):
        return sentences.crt(result)
    if isinstance(result, r.IndividualResult):
        return sentences.individual(result)
    if isinstance(result, r.SteppedWedgePower):
        return sentences.stepped_wedge_power(result)
    if isinstance(result, r.SimulationPower):
        return sentences.simulated_power(result)
    if isinstance(result, (r.WoertmanResult, r.HooperResult)):
        return sentences.design_effect(result)
    return ""


def _key_numbers(result: Any) -> list[tuple[str, str]]:
    """The few numbers a planner acts on, formatted for people."""
    import math

    from mmsis.design import results as r
    from mmsis.present import format as fmt

    def pct(x: float | None) -> str:
        return fmt.percent(x) if x is not None else ""

    if isinstance(result, r.SurveySampleSize):
        rows = []
        if result.clusters and result.take:
            rows += [(N_("Clusters"), fmt.count(result.clusters)),
                     (N_("Respondents per cluster"), fmt.count(result.take)),
                     (N_("Respondents in all"), fmt.count(result.clusters * result.take))]
        else:
            rows.append((N_("Respondents needed"), fmt.count(result.n_total)))
        rows += [(N_("Design effect"), fmt.number(result.design_effect)),
                 (N_("Without clustering"), fmt.count(math.ceil(result.n_srs - 1e-9)))]
        return rows
    if isinstance(result, r.CrtResult):
        rows = []
        if result.clusters_per_arm:
            rows += [(N_("Clusters per arm"), fmt.count(result.clusters_per_arm)),
                     (N_("Clusters in all"), fmt.count(2 * result.clusters_per_arm))]
        return rows + [(N_("People per cluster"), fmt.number(result.m)),
                       (N_("Power"), pct(result.power)),
                       (N_("Design effect"), fmt.number(result.design_effect))]
    if isinstance(result, r.IndividualResult):
        rows = []
        if result.n_per_arm:
            rows += [(N_("People per arm"), fmt.count(result.n_per_arm)),
                     (N_("People in all"), fmt.count(2 * result.n_per_arm))]
        return rows + [(N_("Power"), pct(result.power))]
    if isinstance(result, r.SteppedWedgePower):
        return [(N_("Power"), pct(result.power)), (N_("Clusters"), fmt.count(result.n_clusters)),
                (N_("Periods"), fmt.count(result.n_periods)),
                (N_("Effect to detect"), fmt.number(result.theta)),
                (N_("Standard error of the effect"), fmt.number(result.se))]
    if isinstance(result, r.SimulationPower):
        return [(N_("Simulated power (95% CI)"),
                 fmt.ci(result.estimate, result.ci_low, result.ci_high, kind="percent")),
                (N_("Power by formula"), pct(result.analytic_power)),
                (N_("Simulated trials"), fmt.count(result.n)),
                (N_("Failed fits"), fmt.count(result.n_failed))]
    if isinstance(result, r.WoertmanResult):
        rows = [(N_("Design effect"), fmt.number(result.design_effect))]
        if result.n_total is not None:
            rows.append((N_("People in all"), fmt.count(result.n_total)))
        if result.clusters is not None:
            rows.append((N_("Clusters"), fmt.count(math.ceil(result.clusters - 1e-9))))
        return rows
    if isinstance(result, r.HooperResult):
        return [(N_("Design effect"), fmt.number(result.design_effect)),
                (N_("Design effect per period"), fmt.number(result.design_effect_per_period)),
                (N_("People in all"), fmt.count(result.n_total))]
    return []


@app.command("stepped-wedge")
def stepped_wedge(
    sequences: str = typer.Option(None, help="Clusters per sequence, e.g. 6,6,6,6."),
    design: Path = typer.Option(None, help="CSV design matrix instead (blank/NA = not observed)."),
    n: int = typer.Option(..., help="Individuals per cluster per period."),
    p0: float = typer.Option(None, help="Control proportion (binary outcome)."),
    p1: float = typer.Option(None, help="Intervention proportion (binary outcome)."),
    mu0: float = typer.Option(None, help="Control mean (continuous outcome)."),
    mu1: float = typer.Option(None, help="Intervention mean (continuous outcome)."),
    sigma: float = typer.Option(None, help="Individual-level SD (continuous outcome)."),
    tau: float = typer.Option(None, help="Between-cluster SD (random intercept)."),
    icc: float = typer.Option(None, help="Intra-cluster correlation (instead of tau)."),
    cac: float = typer.Option(None, help="Cluster autocorrelation (with --icc)."),
    eta: float = typer.Option(0.0, help="SD of the random treatment effect."),
    rho: float = typer.Option(0.0, help="Correlation of treatment effect and intercept."),
    gamma: float = typer.Option(0.0, help="SD of the cluster-period effect."),
    extra_treated_periods: int = typer.Option(0, help="Extra periods with all treated."),
    alpha: float = typer.Option(0.05, help="Two-sided significance level."),
    plot: Path = typer.Option(None, help="Write power vs clusters per sequence (.png/.svg)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Power of a stepped-wedge trial (swCRTdesign swPwr; Hussey & Hughes closed form)."""
    from mmsis.design.stepped_wedge import stepped_wedge_power

    seq = _ints(sequences, "sequences") if sequences else None
    matrix = _read_design(design) if design is not None else None
    kwargs: dict[str, Any] = dict(n=n, p0=p0, p1=p1, mu0=mu0, mu1=mu1, sigma=sigma, tau=tau,
                                  icc=icc, cac=cac, eta=eta, rho=rho, gamma=gamma, alpha=alpha)
    res = stepped_wedge_power(matrix, sequences=seq,
                              extra_treated_periods=extra_treated_periods, **kwargs)
    extra: dict[str, Any] = {}
    if plot is not None:
        from mmsis.design.plots import power_curve

        if seq is None:
            raise InputError("the plot varies --sequences; give them", field="plot")
        top = max(2 * max(seq), 4)
        xs = list(range(1, top + 1))
        ys = [stepped_wedge_power(sequences=[c] * len(seq),
                                  extra_treated_periods=extra_treated_periods, **kwargs).power
              for c in xs]
        extra["plot"] = str(power_curve(plot, xs, ys, xlabel="clusters per sequence",
                                        title=f"Stepped wedge, {len(seq)} sequences",
                                        mark=sum(seq) / len(seq)))
    from mmsis.present.sentences import stepped_wedge_power as sw_sentence

    _show(res, as_json, N_("Stepped-wedge power"), extra,
          sw_sentence(res, sequences=seq, p0=p0, p1=p1))


@app.command("crt")
def crt(
    outcome: str = typer.Option(..., help="proportion, mean or rate."),
    pe: float = typer.Option(None, help="Proportion in the intervention arm."),
    pc: float = typer.Option(None, help="Proportion in the control arm."),
    difference: float = typer.Option(None, "--difference", "--delta", help="Difference in means."),
    total_variance: float = typer.Option(None, help="Total variance of the outcome."),
    sigma: float = typer.Option(None, help="Total SD (instead of --total-variance)."),
    rate1: float = typer.Option(None, help="Event rate in the intervention arm."),
    rate0: float = typer.Option(None, help="Event rate in the control arm."),
    person_time: float = typer.Option(None, help="Person-time per cluster (rates)."),
    k: float = typer.Option(None, help="Between-cluster coefficient of variation (Hayes-Bennett)."),
    clusters: int = typer.Option(None, help="Clusters per arm: report power instead."),
    m: float = typer.Option(None, help="(Mean) individuals per cluster."),
    sizes: str = typer.Option(None, help="Cluster sizes, e.g. 100,50,80 (exact design effect)."),
    cv: float = typer.Option(None, help="Coefficient of variation of cluster sizes."),
    cv_method: str = typer.Option(
        "taylor", "--cv-method",
        help="Design effect with --cv: taylor (van Breukelen 2007, clusterPower's default; "
        "approximates the mixed-model analysis) or eldridge (Eldridge 2006, cluster summaries "
        "weighted by size; conservative).",
    ),
    icc: float = typer.Option(None, help="Intra-cluster correlation."),
    power: float = typer.Option(0.8, help="Target power."),
    alpha: float = typer.Option(0.05, help="Two-sided significance level."),
    small_sample: str = typer.Option("t", help="t (CRTSize), hayes-bennett (+1) or none."),
    plot: Path = typer.Option(None, help="Write power vs clusters per arm (.png/.svg)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Clusters per arm (or power) for a parallel cluster randomised trial."""
    from mmsis.design.crt import crt_clusters, crt_power

    if outcome not in ("proportion", "mean", "rate"):
        raise InputError(f"unknown outcome {outcome!r}: use proportion, mean or rate",
                         field="outcome")
    if small_sample not in ("t", "hayes-bennett", "none"):
        raise InputError(f"unknown choice {small_sample!r}", field="small_sample")
    kw: dict[str, Any] = dict(pe=pe, pc=pc, difference=difference, total_variance=total_variance,
                              sigma=sigma, rate1=rate1, rate0=rate0, person_time=person_time,
                              k=k, m=m, sizes=_floats(sizes, "sizes") if sizes else None, cv=cv,
                              icc=icc, alpha=alpha, cv_method=cv_method)
    if clusters is not None:
        res = crt_power(outcome, clusters, **kw)  # type: ignore[arg-type]
        mark = float(clusters)
    else:
        res = crt_clusters(outcome, power=power, small_sample=small_sample,  # type: ignore[arg-type]
                           **kw)
        mark = float(res.clusters_per_arm or 2)
    extra: dict[str, Any] = {}
    if plot is not None:
        from mmsis.design.plots import power_curve

        xs = list(range(2, max(int(2 * mark), 6) + 1))
        ys = [crt_power(outcome, c, **kw).power for c in xs]  # type: ignore[arg-type]
        extra["plot"] = str(power_curve(plot, xs, ys, xlabel="clusters per arm",
                                        title=f"Cluster RCT ({outcome})", mark=mark,
                                        target=power))
    _show(res, as_json, N_("Cluster randomised trial"), extra)
    if res.cv_method is not None and not as_json:
        from mmsis._cli import console

        how = ("van Breukelen et al. 2007 Taylor approximation, as clusterPower's default"
               if res.cv_method == "taylor" else "Eldridge et al. 2006, 1 + ((cv^2 + 1) m - 1) ICC")
        console.print(f"Unequal cluster sizes (CV {cv:g}): --cv-method {res.cv_method} ({how}).",
                      highlight=False)


@app.command("woertman")
def woertman_cmd(
    n: int = typer.Option(..., help="Individuals per cluster per measurement."),
    k: int = typer.Option(..., help="Number of steps."),
    t: int = typer.Option(..., help="Measurements after each step."),
    b: int = typer.Option(..., help="Baseline measurements."),
    rho: float = typer.Option(..., help="Intra-cluster correlation."),
    n_individual: float = typer.Option(None, help="Total n of an individual RCT, to scale up."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Woertman design effect for a stepped-wedge trial (with the -1 correction)."""
    from mmsis.design.stepped_wedge import woertman

    _show(woertman(n, k, t, b, rho, n_individual=n_individual), as_json, "Woertman design effect")


@app.command("hooper")
def hooper_cmd(
    sequences: str = typer.Option(..., help="Clusters per sequence, e.g. 6,6,6,6."),
    m: int = typer.Option(..., help="Individuals per cluster per period."),
    icc: float = typer.Option(..., help="Intra-cluster correlation."),
    cac: float = typer.Option(1.0, help="Cluster autocorrelation."),
    extra_treated_periods: int = typer.Option(0, help="Extra periods with all treated."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Hooper et al. 2016 design effect of a stepped-wedge design with cluster autocorrelation."""
    from mmsis.design.stepped_wedge import hooper_design_effect

    res = hooper_design_effect(sequences=_ints(sequences, "sequences"), m=m, icc=icc, cac=cac,
                               extra_treated_periods=extra_treated_periods)
    _show(res, as_json, N_("Hooper design effect"))


@app.command("survey")
def survey_cmd(
    p: float = typer.Option(..., help="Expected coverage (proportion)."),
    margin: float = typer.Option(..., help="Margin of error (absolute, or relative)."),
    relative: bool = typer.Option(False, help="The margin is relative to p."),
    confidence: float = typer.Option(0.95, help="Confidence level."),
    deff: float = typer.Option(None, help="Design effect."),
    icc: float = typer.Option(None, help="Intra-cluster correlation (with --take)."),
    take: int = typer.Option(None, help="Respondents per cluster."),
    population: int = typer.Option(None, help="Population size (finite population correction)."),
    nonresponse: float = typer.Option(0.0, help="Expected non-response fraction."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Sample size of a coverage survey for a proportion."""
    from mmsis.design.survey import survey_sample_size

    res = survey_sample_size(p, margin, relative=relative, confidence=confidence, deff=deff,
                             icc=icc, take=take, population=population, nonresponse=nonresponse)
    _show(res, as_json, N_("Coverage survey sample size"))


@app.command("individual")
def individual_cmd(
    outcome: str = typer.Option(..., help="proportion or mean."),
    p1: float = typer.Option(None, help="Intervention proportion."),
    p0: float = typer.Option(None, help="Control proportion."),
    difference: float = typer.Option(None, help="Difference in means."),
    sigma: float = typer.Option(None, help="SD of the outcome."),
    n_per_arm: int = typer.Option(None, help="n per arm: report power instead."),
    power: float = typer.Option(0.8, help="Target power."),
    alpha: float = typer.Option(0.05, help="Two-sided significance level."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Individually randomised two-arm trial: n per arm or power."""
    from mmsis.design.individual import individual_means, individual_proportions

    if outcome == "proportion":
        if p1 is None or p0 is None:
            raise InputError("proportions need --p1 and --p0", field="p1" if p1 is None else "p0")
        res = individual_proportions(p1, p0, n_per_arm=n_per_arm, power=power, alpha=alpha)
    elif outcome == "mean":
        if difference is None or sigma is None:
            raise InputError("means need --difference and --sigma",
                             field="difference" if difference is None else "sigma")
        res = individual_means(difference, sigma, n_per_arm=n_per_arm, power=power, alpha=alpha)
    else:
        raise InputError(f"unknown outcome {outcome!r}: use proportion or mean", field="outcome")
    _show(res, as_json, N_("Individually randomised trial"))


@app.command("layout")
def layout_cmd(
    districts: str = typer.Option(..., help="Number of districts, or names separated by commas."),
    sequences: int = typer.Option(..., help="Number of sequences (steps)."),
    extra_treated_periods: int = typer.Option(0, help="Extra implementation periods at the end."),
    seed: int = typer.Option(None, help="Randomise districts to sequences with this seed."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Lay out a stepped-wedge roll-out of districts over sequences."""
    import pandas as pd

    from mmsis.design.stepped_wedge import sw_layout

    units: int | list[str] = int(districts) if districts.strip().isdigit() else [
        d.strip() for d in districts.split(",") if d.strip()]
    res = sw_layout(units, sequences, extra_treated_periods=extra_treated_periods, seed=seed)
    if as_json:
        print_json(res)
        return
    print_table(pd.DataFrame(res.assignment).rename(
        columns={"first_treated_period": _("first period on MMS")}),
        title=_("Roll-out over %(n)s periods") % {"n": res.n_periods})


@app.command("simulate")
def simulate_cmd(
    sequences: str = typer.Option(..., help="Clusters per sequence, e.g. 3,3,3,3."),
    n: int = typer.Option(..., help="Individuals per cluster per period."),
    p0: float = typer.Option(..., help="Control proportion."),
    p1: float = typer.Option(..., help="Intervention proportion."),
    tau: float = typer.Option(..., help="Between-cluster SD on the probability scale."),
    gamma: float = typer.Option(0.0, help="Cluster-period SD."),
    extra_treated_periods: int = typer.Option(0, help="Extra periods with all treated."),
    reps: int = typer.Option(1000, help="Replicates."),
    method: str = typer.Option("lmm-fast", help="lmm-fast, mixedlm, gee or gee-individual."),
    test: str = typer.Option("z", help="z, or t with clusters - 2 df."),
    alpha: float = typer.Option(0.05, help="Two-sided significance level."),
    seed: int = typer.Option(2024, help="Random seed."),
    jobs: int = typer.Option(None, help="Worker processes (default: all cores)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Simulated power for a binary outcome (few clusters), with its Monte Carlo SE."""
    from mmsis.design.simulate import simulate_power

    if test not in ("z", "t"):
        raise InputError(f"unknown test {test!r}: use z or t", field="test")
    from mmsis._cli import step

    with step(f"Simulating {reps:,} trials"):
        res = simulate_power(sequences=_ints(sequences, "sequences"), n=n, p0=p0, p1=p1,
                             tau=tau, gamma=gamma, extra_treated_periods=extra_treated_periods,
                             n_reps=reps, method=method, test=test,  # type: ignore[arg-type]
                             alpha=alpha, seed=seed, n_jobs=jobs)
    _show(res, as_json, N_("Simulated power"))
