"""The study-design calculator: form fields -> mmsis.design -> result and power curve."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mmsis.errors import InputError

CALCULATORS: dict[str, dict[str, Any]] = {
    "survey": {
        "title": "Coverage survey (estimate a proportion)",
        "fields": [
            ("p", "Expected coverage (0-1)", "0.5"),
            ("margin", "Margin of error, absolute (0-1)", "0.05"),
            ("icc", "Intra-cluster correlation", "0.05"),
            ("take", "Respondents per cluster", "20"),
            ("nonresponse", "Non-response (0-1)", "0.1"),
        ],
    },
    "crt": {
        "title": "Cluster randomised trial (two proportions)",
        "fields": [
            ("pe", "Proportion, intervention arm (0-1)", "0.6"),
            ("pc", "Proportion, control arm (0-1)", "0.45"),
            ("m", "Women per cluster", "30"),
            ("icc", "Intra-cluster correlation", "0.05"),
            ("power", "Target power (0-1)", "0.8"),
            ("alpha", "Significance level", "0.05"),
        ],
    },
    "individual": {
        "title": "Individually randomised trial (two proportions)",
        "fields": [
            ("p1", "Proportion, intervention arm (0-1)", "0.6"),
            ("p0", "Proportion, control arm (0-1)", "0.45"),
            ("power", "Target power (0-1)", "0.8"),
            ("alpha", "Significance level", "0.05"),
        ],
    },
}


@dataclass
class Calculation:
    """What the page shows: the values typed, errors per field, the result and the curve."""

    kind: str
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    curve: list[tuple[float, float]] = field(default_factory=list)
    curve_x: str = ""


def _numbers(
    kind: str, raw: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, float], dict[str, str]]:
    values, nums, errors = {}, {}, {}
    for name, _label, default in CALCULATORS[kind]["fields"]:
        text = str(raw.get(name, default)).strip()
        values[name] = text
        try:
            x = float(text)
            if not math.isfinite(x):
                raise ValueError
            nums[name] = x
        except ValueError:
            errors[name] = f"'{text}' is not a number"
    return values, nums, errors


def calculate(kind: str, raw: Mapping[str, str]) -> Calculation:
    """Run one calculator on the typed values; errors name the field and keep the input."""
    from mmsis import design

    if kind not in CALCULATORS:
        raise InputError(f"unknown calculator '{kind}'", field="kind")
    values, x, errors = _numbers(kind, raw)
    calc = Calculation(kind, values, errors)
    if errors:
        return calc
    try:
        if kind == "survey":
            if int(x["take"]) != x["take"]:
                raise InputError("must be a whole number", field="take")
            sres = design.survey_sample_size(
                x["p"],
                x["margin"],
                icc=x["icc"],
                take=int(x["take"]),
                nonresponse=x["nonresponse"],
            )
            calc.result = sres.model_dump()
            calc.curve_x = "margin of error (percentage points)"
            for k in range(1, 11):
                margin = x["margin"] * k / 5
                if 0 < margin < min(x["p"], 1 - x["p"]) + 0.5:
                    n = design.survey_sample_size(
                        x["p"],
                        margin,
                        icc=x["icc"],
                        take=int(x["take"]),
                        nonresponse=x["nonresponse"],
                    ).n_total
                    calc.curve.append((100 * margin, float(n)))
        elif kind == "crt":
            pe, pc, m, icc, alpha = x["pe"], x["pc"], x["m"], x["icc"], x["alpha"]
            cres = design.crt_clusters(
                "proportion", pe=pe, pc=pc, m=m, icc=icc, alpha=alpha, power=x["power"]
            )
            calc.result = cres.model_dump()
            top = max(10, 2 * int(cres.clusters_per_arm or 2))
            calc.curve_x = "clusters per arm"
            for c in range(2, top + 1):
                cp = design.crt_power("proportion", c, pe=pe, pc=pc, m=m, icc=icc, alpha=alpha)
                calc.curve.append((c, cp.power))
        else:
            ires = design.individual_proportions(
                x["p1"], x["p0"], power=x["power"], alpha=x["alpha"]
            )
            calc.result = ires.model_dump()
            n_top = max(20, 2 * int(ires.n_per_arm or 10))
            calc.curve_x = "women per arm"
            for i in range(1, 21):
                n = max(2, round(n_top * i / 20))
                pw = design.individual_proportions(
                    x["p1"], x["p0"], n_per_arm=n, alpha=x["alpha"]
                ).power
                calc.curve.append((n, pw))
    except InputError as exc:
        calc.errors[exc.field or "_"] = exc.message
        calc.result, calc.curve = None, []
    return calc
