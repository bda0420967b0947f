"""The study-design calculator: form fields -> mmsis.design -> result and power curve.

Bounded for a web server: every field has a range (refused with 422 naming the field), a
result beyond what a study could be (over `MAX_CLUSTERS` clusters or `MAX_PEOPLE` women) is
refused naming the field that drives it, the curve has at most `MAX_CURVE_POINTS` points
spread over its range, and the whole calculation stops once it has used its time budget
(`MMSIS_COMPUTE_SECONDS`, default 5 s), answering 503.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mmsis.errors import InputError
from mmsis.i18n import N_

MAX_CURVE_POINTS = 200
MAX_CLUSTERS = 1_000_000
MAX_PEOPLE = 1_000_000_000
DEFAULT_COMPUTE_SECONDS = 5.0

# field -> (lowest, highest, lowest allowed?, highest allowed?, whole number?)
RANGES: dict[str, tuple[float, float, bool, bool, bool]] = {
    "p": (0.0, 1.0, False, False, False),
    "margin": (0.0001, 0.5, True, True, False),
    "icc": (0.0, 1.0, True, False, False),
    "take": (1, 100_000, True, True, True),
    "nonresponse": (0.0, 0.99, True, True, False),
    "pe": (0.0, 1.0, False, False, False),
    "pc": (0.0, 1.0, False, False, False),
    "p1": (0.0, 1.0, False, False, False),
    "p0": (0.0, 1.0, False, False, False),
    "m": (1, 1_000_000, True, True, False),
    "power": (0.01, 0.9999, True, True, False),
    "alpha": (0.000001, 0.5, True, True, False),
}

CALCULATORS: dict[str, dict[str, Any]] = {
    "survey": {
        "title": N_("Coverage survey (estimate a proportion)"),
        "fields": [
            ("p", N_("Expected coverage (0-1)"), "0.5"),
            ("margin", N_("Margin of error, absolute (0-1)"), "0.05"),
            ("icc", N_("Intra-cluster correlation"), "0.05"),
            ("take", N_("Respondents per cluster"), "20"),
            ("nonresponse", N_("Non-response (0-1)"), "0.1"),
        ],
    },
    "crt": {
        "title": N_("Cluster randomised trial (two proportions)"),
        "fields": [
            ("pe", N_("Proportion, intervention arm (0-1)"), "0.6"),
            ("pc", N_("Proportion, control arm (0-1)"), "0.45"),
            ("m", N_("Women per cluster"), "30"),
            ("icc", N_("Intra-cluster correlation"), "0.05"),
            ("power", N_("Target power (0-1)"), "0.8"),
            ("alpha", N_("Significance level"), "0.05"),
        ],
    },
    "individual": {
        "title": N_("Individually randomised trial (two proportions)"),
        "fields": [
            ("p1", N_("Proportion, intervention arm (0-1)"), "0.6"),
            ("p0", N_("Proportion, control arm (0-1)"), "0.45"),
            ("power", N_("Target power (0-1)"), "0.8"),
            ("alpha", N_("Significance level"), "0.05"),
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
    status: int = 200

    def sentence(self) -> str:
        """The result in words in the page's language: the CLI's sentence (mmsis.present)."""
        from types import SimpleNamespace

        from mmsis.present import sentences

        if self.result is None:
            return ""
        r = SimpleNamespace(**self.result)
        if self.kind == "survey":
            return sentences.survey_sample_size(r)
        if self.kind == "crt":
            return sentences.crt(r)
        return sentences.individual(r)


class OverBudget(Exception):
    """The calculation used its time budget and was stopped."""


def compute_seconds() -> float:
    """The time budget of one calculation: MMSIS_COMPUTE_SECONDS (default 5 s)."""
    raw = os.environ.get("MMSIS_COMPUTE_SECONDS", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_COMPUTE_SECONDS
    except ValueError:
        value = DEFAULT_COMPUTE_SECONDS
    return value if math.isfinite(value) and value > 0 else DEFAULT_COMPUTE_SECONDS


class _Clock:
    """A deadline (and a stop signal) checked between steps, so a calculation never runs past
    its budget nor after its client has gone."""

    def __init__(self, seconds: float, stop: threading.Event | None = None) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.stop = stop

    def check(self) -> None:
        """Stop (OverBudget) once the deadline has passed or the stop signal is set."""
        if time.monotonic() > self.deadline or (self.stop is not None and self.stop.is_set()):
            raise OverBudget


def curve_points(low: int, high: int, most: int = MAX_CURVE_POINTS) -> list[int]:
    """At most `most` whole numbers spread evenly from low to high (both ends included)."""
    if high <= low:
        return [low]
    if high - low + 1 <= most:
        return list(range(low, high + 1))
    step = (high - low) / (most - 1)
    return sorted({round(low + i * step) for i in range(most)})


def _fmt(x: float) -> str:
    return f"{x:g}"


def _in_range(name: str, x: float) -> str | None:
    """Why x is outside the field's range (None when it is inside)."""
    if name not in RANGES:
        return None
    lo, hi, lo_in, hi_in, whole = RANGES[name]
    if whole and x != int(x):
        return "must be a whole number"
    low_ok = x >= lo if lo_in else x > lo
    high_ok = x <= hi if hi_in else x < hi
    if low_ok and high_ok:
        return None
    left, right = ("[" if lo_in else "("), ("]" if hi_in else ")")
    return f"must be in {left}{_fmt(lo)}, {_fmt(hi)}{right}, got {_fmt(x)}"


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
        except ValueError:
            errors[name] = f"'{text[:40]}' is not a number"
            continue
        why = _in_range(name, x)
        if why:
            errors[name] = why
        else:
            nums[name] = x
    return values, nums, errors


def _too_big(value: float | None, most: int, what: str, name: str) -> None:
    if value is None or not math.isfinite(value) or value > most:
        raise InputError(
            f"these values need more than {most:,} {what}: the difference to detect is too small",
            field=name,
        )


def calculate(
    kind: str,
    raw: Mapping[str, str],
    seconds: float | None = None,
    stop: threading.Event | None = None,
) -> Calculation:
    """Run one calculator on the typed values; errors name the field and keep the input.

    `calc.status` is 200, 422 (a field out of range, named in `calc.errors`) or 503 (the
    calculation used its time budget, `seconds` or MMSIS_COMPUTE_SECONDS, or `stop` was set,
    and it was stopped).
    """
    if kind not in CALCULATORS:
        raise InputError(f"unknown calculator '{kind}'", field="kind")
    values, x, errors = _numbers(kind, raw)
    calc = Calculation(kind, values, errors)
    if errors:
        calc.status = 422
        return calc
    clock = _Clock(compute_seconds() if seconds is None else seconds, stop)
    try:
        _run(kind, x, calc, clock)
    except InputError as exc:
        calc.errors[exc.field or "_"] = exc.message
        calc.result, calc.curve, calc.status = None, [], 422
    except (ArithmeticError, ValueError, TypeError):
        calc.errors["_"] = "these values give no finite answer; try values closer to a real study"
        calc.result, calc.curve, calc.status = None, [], 422
    except OverBudget:
        calc.errors["_"] = (
            f"the calculation took longer than {clock.seconds:g} s and was stopped; "
            "try values closer to a real study"
        )
        calc.result, calc.curve, calc.status = None, [], 503
    return calc


async def calculate_while_connected(
    kind: str, raw: Mapping[str, str], receive: Callable[[], Awaitable[Mapping[str, Any]]]
) -> Calculation:
    """`calculate` in a worker thread, stopped as soon as the client disconnects.

    `receive` is the request's ASGI receive: once the (empty) body is read, the next message
    is `http.disconnect` when the client goes, which sets the calculation's stop signal.
    """
    import anyio
    import anyio.to_thread

    stop = threading.Event()

    async def watch() -> None:
        while True:
            message = await receive()
            if message.get("type") == "http.disconnect":
                stop.set()
                return

    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        calc = await anyio.to_thread.run_sync(lambda: calculate(kind, raw, stop=stop))
        group.cancel_scope.cancel()
    return calc


def _run(kind: str, x: dict[str, float], calc: Calculation, clock: _Clock) -> None:
    """The calculation itself, checking the clock between steps."""
    from mmsis import design

    if kind == "survey":
        sres = design.survey_sample_size(
            x["p"], x["margin"], icc=x["icc"], take=int(x["take"]), nonresponse=x["nonresponse"]
        )
        _too_big(sres.n_total, MAX_PEOPLE, "women", "margin")
        calc.result = sres.model_dump()
        calc.curve_x = "margin of error (percentage points)"
        for k in range(1, 11):
            clock.check()
            margin = x["margin"] * k / 5
            if 0 < margin < min(x["p"], 1 - x["p"]) + 0.5:
                n = design.survey_sample_size(
                    x["p"], margin, icc=x["icc"], take=int(x["take"]),
                    nonresponse=x["nonresponse"],
                ).n_total
                calc.curve.append((100 * margin, float(n)))
    elif kind == "crt":
        pe, pc, m, icc, alpha = x["pe"], x["pc"], x["m"], x["icc"], x["alpha"]
        cres = design.crt_clusters(
            "proportion", pe=pe, pc=pc, m=m, icc=icc, alpha=alpha, power=x["power"]
        )
        _too_big(cres.clusters_per_arm_raw or cres.clusters_per_arm, MAX_CLUSTERS,
                 "clusters per arm", "pc")
        calc.result = cres.model_dump()
        top = max(10, 2 * int(cres.clusters_per_arm or 2))
        calc.curve_x = "clusters per arm"
        for c in curve_points(2, top):
            clock.check()
            cp = design.crt_power("proportion", c, pe=pe, pc=pc, m=m, icc=icc, alpha=alpha)
            calc.curve.append((c, cp.power))
    else:
        ires = design.individual_proportions(x["p1"], x["p0"], power=x["power"], alpha=x["alpha"])
        _too_big(ires.n_per_arm_raw or ires.n_per_arm, MAX_PEOPLE, "women per arm", "p0")
        calc.result = ires.model_dump()
        n_top = max(20, 2 * int(ires.n_per_arm or 10))
        calc.curve_x = "women per arm"
        for i in range(1, 21):
            clock.check()
            n = max(2, round(n_top * i / 20))
            pw = design.individual_proportions(
                x["p1"], x["p0"], n_per_arm=n, alpha=x["alpha"]
            ).power
            calc.curve.append((n, pw))
