"""The scenario as a form: roll-out (districts and start months), prices, regimen and adherence,
the health-impact pathways and the cost-effectiveness thresholds (the YAML stays as the
advanced view).

Each field is a dotted path of the scenario mapping (``regimen.adherence``,
``impact.daly.include_stillbirths``...; docs/forecast-impact.md). Shares are typed as
percentages. The form shows the validated scenario's values (defaults included); a submitted
form is checked field by field, then as a whole by ``mmsis.forecast``, and every error is
returned under the field it belongs to, with what the user typed kept.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mmsis.errors import InputError
from mmsis.i18n import N_


@dataclass(frozen=True)
class Field:
    """One input of the form: where it goes in the scenario and how it is typed."""

    path: str
    label: str
    kind: str  # percent | number | int | money | bool | choice | month
    help: str = ""
    optional: bool = False
    choices: tuple[tuple[str, str], ...] = ()


SHARES = "regimen.adherence_shares"

GROUPS: tuple[tuple[str, tuple[Field, ...]], ...] = (
    (N_("Roll-out"), (
        Field("rollout.start", N_("National start month (empty when each district has its own)"),
              "month", optional=True),
        Field("rollout.ramp_months", N_("Months to reach full uptake in a district"), "int"),
        Field("rollout.uptake", N_("Uptake at full roll-out (% of ANC clients switched to MMS)"),
              "percent"),
    )),
    (N_("Prices"), (
        Field("mms.price_per_tablet", N_("MMS price per tablet"), "money"),
        Field("ifa.price_per_tablet", N_("IFA price per tablet"), "money"),
    )),
    (N_("Regimen and adherence"), (
        Field("regimen.tablets_per_pregnancy", N_("Tablets per pregnancy (full regimen)"), "int"),
        Field("regimen.adherence", N_("Adherence (% of the regimen a covered woman takes)"),
              "percent", N_("Drives the health effects (Smith et al. 2025 dose-response).")),
        Field("regimen.dispensed_share", N_("Tablets dispensed (% of the full regimen)"), "percent",
              N_("Drives supply and cost; programmes usually dispense the full regimen.")),
        Field("regimen.wastage", N_("Wastage (% of tablets lost)"), "percent"),
    )),
    (N_("Adherence measured by the survey (optional: all three or none)"), (
        Field(f"{SHARES}.ge_90", N_("Women taking at least 90% of the regimen (%)"), "percent",
              optional=True, help=N_("Smith et al. 2025's categories; when given, these shares "
              "replace the single adherence above in the effects.")),
        Field(f"{SHARES}.from_60_to_90", N_("Women taking 60-89% of the regimen (%)"), "percent",
              optional=True),
        Field(f"{SHARES}.below_60", N_("Women taking less than 60% of the regimen (%)"), "percent",
              optional=True),
    )),
    (N_("Health-impact pathways"), (
        Field("impact.neonatal_pathway", N_("Neonatal deaths counted through"), "choice",
              choices=(("birth_outcomes", N_("Preterm and small-for-gestational-age births "
                        "(Katz 2013 overlapping categories)")),
                       ("direct", N_("A direct effect on neonatal mortality")))),
        Field("impact.daly.include_stillbirths", N_("Count stillbirths averted"), "bool",
              N_("Off by default, as in the Global Burden of Disease; on, a stillbirth counts as "
              "a death at birth (as Nutrition International's tool does).")),
        Field("impact.daly.yld_per_lbw_birth",
              N_("Years lived with disability per low-birthweight birth averted (0 = pathway off)"),
              "number"),
        Field("impact.subgroups.anaemic_share",
              N_("Pregnant women with anaemia (%; empty = pooled effects)"), "percent",
              optional=True),
        Field("impact.subgroups.female_share",
              N_("Girls among births (%; empty = pooled effect, direct pathway only)"), "percent",
              optional=True),
    )),
    (N_("Cost-effectiveness thresholds"), (
        Field("impact.thresholds.gdp_per_capita", N_("GDP per capita (empty = not marked)"),
              "money", optional=True),
        Field("impact.thresholds.opportunity_cost",
              N_("Opportunity-cost threshold per DALY (empty = not marked)"), "money",
              optional=True, help=N_("E.g. Woods et al. 2016 or Ochalek et al. 2018 for the "
              "country; give its source in the YAML (impact.thresholds."
              "opportunity_cost_source).")),
    )),
)

FIELDS = {f.path: f for _, group in GROUPS for f in group}
DISTRICT_PREFIX = "start:"


def _get(sc: Any, path: str) -> Any:
    obj = sc
    for key in path.split("."):
        if obj is None:  # an optional block that is not set (regimen.adherence_shares)
            return None
        obj = getattr(obj, key)
    return obj


def _shown(f: Field, v: Any) -> str:
    if v is None:
        return ""
    if f.kind == "bool":
        return "on" if v else ""
    if f.kind == "percent":
        return f"{100 * float(v):.4g}"
    if f.kind == "choice":
        return str(v)
    if f.kind == "month":
        return f"{str(v)[:4]}-{str(v)[-2:]}"
    return f"{float(v):.6g}" if f.kind != "int" else str(int(v))


def values(sc: Any) -> dict[str, str]:
    """The form's values from a validated scenario (defaults included), as typed text."""
    out = {path: _shown(f, _get(sc, path)) for path, f in FIELDS.items()}
    for d in sc.rollout.districts:
        out[DISTRICT_PREFIX + d.district] = f"{d.start[:4]}-{d.start[-2:]}"
    return out


def districts(sc: Any, names: Mapping[str, str]) -> list[dict[str, str]]:
    """The roll-out's districts (name and start-month field), in the scenario's order."""
    return [{"id": d.district, "name": names.get(d.district, d.district),
             "field": DISTRICT_PREFIX + d.district} for d in sc.rollout.districts]


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    node = data
    for k in keys[:-1]:
        nxt = node.get(k)
        if not isinstance(nxt, dict):
            nxt = {}
            node[k] = nxt
        node = nxt
    node[keys[-1]] = value


def _parse(f: Field, text: str) -> Any:
    text = text.strip()
    if f.kind == "bool":
        return text in ("on", "true", "1", "yes")
    if f.kind == "choice":
        allowed = [c for c, _ in f.choices]
        if text not in allowed:
            raise ValueError("choose one of the options")
        return text
    if not text:
        if f.optional:
            return None
        raise ValueError("required")
    if f.kind == "month":
        return _month(text)
    try:
        x = float(text.replace(",", ""))
    except ValueError:
        raise ValueError(f"'{text[:30]}' is not a number") from None
    if not math.isfinite(x):
        raise ValueError("must be a finite number")
    if f.kind == "percent":
        if not 0 <= x <= 100:
            raise ValueError("must be a percentage from 0 to 100")
        return x / 100
    if f.kind == "int":
        if x != int(x):
            raise ValueError("must be a whole number")
        return int(x)
    return x


def _month(text: str) -> str:
    t = text.strip()
    if len(t) == 7 and t[4] == "-" and t[:4].isdigit() and t[5:].isdigit() and 1 <= int(
            t[5:]) <= 12:
        return t
    raise ValueError("choose a month (year and month)")


def apply(data: Mapping[str, Any], form: Mapping[str, str]) -> tuple[dict[str, Any],
                                                                     dict[str, str]]:
    """The scenario with the form's values written in, and the errors by form field.

    Each field is parsed on its own first; the whole scenario is then checked by
    mmsis.forecast, and its error is put under the form field it names (or "_").
    """
    from mmsis.forecast import scenario_from_dict

    new = copy.deepcopy(dict(data))
    errors: dict[str, str] = {}
    for path, f in FIELDS.items():
        if f.kind != "bool" and path not in form:
            continue
        try:
            _set(new, path, _parse(f, form.get(path, "")))
        except ValueError as exc:
            errors[path] = str(exc)
    _all_or_none(new, errors)
    entries = (new.get("rollout") or {}).get("districts") or []
    for i, entry in enumerate(entries):
        key = DISTRICT_PREFIX + str(entry.get("district"))
        if key in form:
            try:
                entries[i] = {**entry, "start": _month(form[key])}
            except ValueError as exc:
                errors[key] = str(exc)
    if errors:
        return new, errors
    try:
        scenario_from_dict(new, file="scenario")
    except InputError as exc:
        key = _form_field(exc.field, entries)
        text = exc.message if key == "_" else exc.message.split(": ", 1)[-1]
        if key.startswith(SHARES) and "add up to 1" in text:
            text = "the three shares must add up to 100%"
        errors[key] = text.replace("Value error, ", "")
    return new, errors


def _all_or_none(data: dict[str, Any], errors: dict[str, str]) -> None:
    """The survey's three adherence shares: all given (checked to add up to 100%) or the block
    left out (the single adherence applies)."""
    shares = (data.get("regimen") or {}).get("adherence_shares")
    if not isinstance(shares, dict):
        return
    given = {k: v for k, v in shares.items() if v is not None}
    if not given:
        data["regimen"]["adherence_shares"] = None
        return
    for key in ("ge_90", "from_60_to_90", "below_60"):
        if shares.get(key) is None and f"{SHARES}.{key}" not in errors:
            errors[f"{SHARES}.{key}"] = "give all three shares, or none"


def _form_field(field: str | None, entries: list[dict[str, Any]]) -> str:
    """The form field a scenario error names ("rollout.districts[3].start" -> start:DIS04)."""
    if not field:
        return "_"
    if field in FIELDS:
        return field
    if field.startswith(SHARES):  # the three shares' sum: shown under the first of them
        return f"{SHARES}.ge_90"
    if field.startswith("rollout.districts[") and field.endswith("].start"):
        i = int(field[len("rollout.districts["):-len("].start")])
        if 0 <= i < len(entries):
            return DISTRICT_PREFIX + str(entries[i].get("district"))
    return "_"
