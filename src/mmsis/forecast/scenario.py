"""The scenario file: geography, pregnancies, roll-out, product, prices, inventory, impact inputs.

A scenario is YAML validated with pydantic; defaults come from
``framework/data/scenario_defaults.yaml`` (each with its source or marked an assumption) and any
key the user gives overrides them. Every problem is reported as an ``InputError`` naming the
field, e.g. ``rollout.districts[2].start``.
"""

from __future__ import annotations

import datetime as _dt
import math
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from mmsis.data import csvread, textio, yamlread
from mmsis.errors import InputError


def month_index(value: Any) -> int:
    """Months since year 0 for 'YYYY-MM', 'YYYYMM', a date or a pandas Period."""
    if isinstance(value, _dt.date):
        return value.year * 12 + value.month - 1
    if isinstance(value, pd.Period):
        return int(value.year) * 12 + int(value.month) - 1
    s = str(value).strip()
    if len(s) == 6 and s.isdigit():
        y, m = int(s[:4]), int(s[4:])
    elif len(s) >= 7 and s[4] == "-" and s[:4].isdigit() and s[5:7].isdigit():
        y, m = int(s[:4]), int(s[5:7])
    else:
        raise ValueError(f"'{value}' is not a month (use YYYY-MM)")
    if not 1 <= m <= 12:
        raise ValueError(f"'{value}' has month {m}, outside 1-12")
    return y * 12 + m - 1


def month_label(index: int) -> str:
    """'YYYY-MM' for a month index."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month(v: Any) -> str:
    return month_label(month_index(v))


MAX_MONTHS = 240
"""Month counts (ramp, shelf life, stock levels) at most the longest horizon (240 months)."""
MAX_TABLETS_PER_PREGNANCY = 600
"""Assumption: two tablets a day through a 42-week pregnancy is 588; more is not a regimen (and
the need model looks back that many dispensing months)."""
MAX_DISPENSING_MONTHS = 12
"""Assumption: tablets are dispensed within a pregnancy and its first months after (<= 12)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class District(_Model):
    """One district: population or expected pregnancies per year, and optional local inputs."""

    id: str = Field(min_length=1)
    name: str | None = None
    population: float | None = Field(default=None, ge=0, le=textio.MAX_DATA_VALUE)
    pregnancies: float | None = Field(default=None, ge=0, le=textio.MAX_DATA_VALUE)
    anc1_coverage: float | None = Field(default=None, ge=0, le=1)
    opening_mms: float | None = Field(default=None, ge=0, le=textio.MAX_DATA_VALUE)
    opening_ifa: float | None = Field(default=None, ge=0, le=textio.MAX_DATA_VALUE)
    baseline_lbw: float | None = Field(default=None, ge=0, le=1)
    baseline_preterm: float | None = Field(default=None, ge=0, le=1)
    baseline_sga: float | None = Field(default=None, ge=0, le=1)
    baseline_stillbirth: float | None = Field(default=None, ge=0, le=1)
    baseline_neonatal_mortality: float | None = Field(default=None, ge=0, le=1)

    @field_validator("id", mode="before")
    @classmethod
    def _str_id(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) else v


class Geography(_Model):
    """National (one unit) or by district (inline list or a CSV file)."""

    level: Literal["national", "district"] = "national"
    population: float | None = Field(default=None, ge=0, le=textio.MAX_DATA_VALUE)
    pregnancies: float | None = Field(default=None, ge=0, le=textio.MAX_DATA_VALUE)
    districts: list[District] | None = None
    file: str | None = None
    store: str | None = None
    store_level: int = Field(default=3, ge=1, le=10)


class Pregnancies(_Model):
    """How expected pregnancies per year are obtained."""

    method: Literal["given", "population"]
    crude_birth_rate: float | None = Field(default=None, ge=0, le=0.1)
    pregnancy_loss_adjustment: float = Field(ge=1, le=2)
    annual_growth: float = Field(ge=-0.5, le=0.5)


class RolloutEntry(_Model):
    """A district's switch from IFA to MMS."""

    district: str
    start: str
    ramp_months: int | None = Field(default=None, ge=1, le=MAX_MONTHS)
    uptake: float | None = Field(default=None, ge=0, le=1)

    @field_validator("start", mode="before")
    @classmethod
    def _m(cls, v: Any) -> Any:
        return _month(v)

    @field_validator("district", mode="before")
    @classmethod
    def _str_id(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) else v


class Rollout(_Model):
    """Roll-out plan: national start or one entry per switching district, and the uptake ramp."""

    start: str | None = None
    ramp_months: int = Field(ge=1, le=MAX_MONTHS)
    uptake: float = Field(ge=0, le=1)
    districts: list[RolloutEntry] = Field(default_factory=list)

    @field_validator("start", mode="before")
    @classmethod
    def _m(cls, v: Any) -> Any:
        return None if v is None else _month(v)


class AdherenceShares(_Model):
    """The survey's distribution of covered women by share of the regimen taken, in Smith
    2025's categories (>= 90%, 60-89%, < 60%); the shares add up to 1."""

    ge_90: float = Field(ge=0, le=1)
    from_60_to_90: float = Field(ge=0, le=1)
    below_60: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _sum_one(self) -> AdherenceShares:
        total = self.ge_90 + self.from_60_to_90 + self.below_60
        if abs(total - 1) > 1e-6:
            raise ValueError(f"the three shares must add up to 1, got {total:g}")
        return self


class Regimen(_Model):
    """Tablets per pregnancy, the share a covered woman takes (adherence: drives the effects,
    or its survey distribution `adherence_shares`), the share dispensed to her (drives supply
    and cost) and wastage."""

    tablets_per_pregnancy: int = Field(gt=0, le=MAX_TABLETS_PER_PREGNANCY)
    adherence: float = Field(gt=0, le=1)
    adherence_shares: AdherenceShares | None = None
    dispensed_share: float = Field(gt=0, le=1)
    wastage: float = Field(ge=0, lt=1)


class ProductInputs(_Model):
    """Pack, price per tablet, shelf life and dispensing pattern of one product."""

    pack_size: int = Field(gt=0, le=textio.MAX_DATA_VALUE)
    price_per_tablet: float = Field(ge=0, le=textio.MAX_DATA_VALUE)
    shelf_life_months: int = Field(gt=0, le=MAX_MONTHS)
    dispensing_months: int | None = Field(default=None, ge=1, le=MAX_DISPENSING_MONTHS)


class Batch(_Model):
    """Opening stock: a quantity of tablets and the month from which it can no longer be used."""

    tablets: float = Field(ge=0, le=textio.MAX_DATA_VALUE)
    expires: str | None = None

    @field_validator("expires", mode="before")
    @classmethod
    def _m(cls, v: Any) -> Any:
        return None if v is None else _month(v)


class OpeningStock(_Model):
    """Opening stock of MMS and IFA at the start month (tablets, optionally in dated batches)."""

    mms: list[Batch] = Field(default_factory=list)
    ifa: list[Batch] = Field(default_factory=list)

    @field_validator("mms", "ifa", mode="before")
    @classmethod
    def _number(cls, v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return [{"tablets": v}]
        return v


class Inventory(_Model):
    """Max-min inventory policy and lead time."""

    level: Literal["national", "district"]
    min_months: float = Field(ge=0, le=MAX_MONTHS)
    max_months: float = Field(gt=0, le=MAX_MONTHS)
    lead_time_months: int = Field(ge=0, le=36)
    review_period_months: Literal[1, 3]
    opening_stock: OpeningStock = Field(default_factory=OpeningStock)


class ProgrammeCost(_Model):
    """A programme cost (training, SBC, monitoring...) in a year or spread over months."""

    phase: str = ""
    category: str
    amount: float = Field(ge=0, le=textio.MAX_DATA_VALUE)
    year: int | None = None
    start: str | None = None
    end: str | None = None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _m(cls, v: Any) -> Any:
        return None if v is None else _month(v)


class Baseline(_Model):
    """Baseline rates without MMS (per birth; stillbirth per total birth, NMR per live birth)."""

    lbw: float = Field(ge=0, le=1)
    preterm: float = Field(ge=0, le=1)
    sga: float = Field(ge=0, le=1)
    stillbirth: float = Field(ge=0, le=1)
    neonatal_mortality: float = Field(ge=0, le=1)


class Subgroups(_Model):
    """User-supplied subgroup shares that switch on subgroup effect sizes: the anaemic share
    (LBW and SGA, anaemic vs the rest) and the female share (neonatal deaths of both sexes,
    direct pathway)."""

    anaemic_share: float | None = Field(default=None, ge=0, le=1)
    female_share: float | None = Field(default=None, ge=0, le=1)


class Daly(_Model):
    """DALY parameters: discounted YLL of neonatal deaths (+ optional YLD per LBW birth)."""

    life_expectancy_at_birth: float = Field(gt=0, le=120)
    discount_rate: float = Field(ge=0, lt=0.5)
    include_stillbirths: bool
    yld_per_lbw_birth: float = Field(ge=0, le=120)


class Thresholds(_Model):
    """Cost-effectiveness thresholds marked on the acceptability curve (scenario currency)."""

    gdp_per_capita: float | None = Field(default=None, gt=0, le=textio.MAX_DATA_VALUE)
    opportunity_cost: float | None = Field(default=None, gt=0, le=textio.MAX_DATA_VALUE)
    opportunity_cost_source: str | None = None
    wtp_max: float | None = Field(default=None, gt=0, le=textio.MAX_DATA_VALUE)


class CurrencyConversion(_Model):
    """Exchange rates (scenario currency per US$) and the GDP deflator (an index) by year, to
    set a result beside a paper's currency year."""

    exchange_rates: dict[int, float] = Field(default_factory=dict)
    gdp_deflator: dict[int, float] = Field(default_factory=dict)
    source: str | None = None

    @field_validator("exchange_rates", "gdp_deflator")
    @classmethod
    def _positive(cls, v: dict[int, float]) -> dict[int, float]:
        for year, x in v.items():
            if x <= 0:
                raise ValueError(f"year {year}: must be greater than 0, got {x}")
        return v


class ImpactInputs(_Model):
    """Inputs of the health-impact model."""

    baseline: Baseline
    neonatal_pathway: Literal["birth_outcomes", "direct"]
    subgroups: Subgroups
    daly: Daly
    value_per_daly: float | None = Field(default=None, ge=0, le=textio.MAX_DATA_VALUE)
    effects: dict[str, str] = Field(default_factory=dict)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    currency_conversion: CurrencyConversion = Field(default_factory=CurrencyConversion)


class Uncertain(_Model):
    """A user-marked uncertain input: its plausible range (95% interval for normal/lognormal)."""

    low: float
    high: float
    dist: Literal["uniform", "triangular", "normal", "lognormal"] = "uniform"


UNCERTAIN_KEYS = (
    "anc1_coverage",
    "regimen.adherence",
    "regimen.dispensed_share",
    "regimen.wastage",
    "mms.price_per_tablet",
    "ifa.price_per_tablet",
    "freight_pct",
    "distribution_pct",
    "programme_costs",
    "impact.baseline.lbw",
    "impact.baseline.preterm",
    "impact.baseline.sga",
    "impact.baseline.stillbirth",
    "impact.baseline.neonatal_mortality",
    "impact.daly.life_expectancy_at_birth",
    "impact.daly.discount_rate",
    "impact.subgroups.anaemic_share",
    "impact.subgroups.female_share",
)


# Uncertain inputs that are shares (their range must lie within 0-1).
SHARE_KEYS = frozenset({"anc1_coverage", "regimen.adherence", "regimen.dispensed_share",
                        "regimen.wastage"}
                        | {k for k in UNCERTAIN_KEYS
                           if k.startswith(("impact.baseline.", "impact.subgroups."))})


class Consumption(_Model):
    """Routine consumption data for the consumption method: a CSV of tablets dispensed by
    month, or the mmsis data store (DuckDB) holding DHIS2 data values."""

    file: str | None = None
    store: str | None = None
    months: int = Field(default=6, ge=1, le=36)


class Scenario(_Model):
    """A complete, validated forecast and impact scenario."""

    name: str = "scenario"
    currency: str
    currency_year: int
    start: str
    horizon_months: int = Field(gt=0, le=240)
    geography: Geography
    pregnancies: Pregnancies
    anc1_coverage: float = Field(ge=0, le=1)
    rollout: Rollout
    regimen: Regimen
    mms: ProductInputs
    ifa: ProductInputs
    freight_pct: float = Field(ge=0, le=5)
    distribution_pct: float = Field(ge=0, le=5)
    inventory: Inventory
    programme_costs: list[ProgrammeCost]
    impact: ImpactInputs
    uncertain: dict[str, Uncertain] = Field(default_factory=dict)
    consumption: Consumption | None = None

    @field_validator("start", mode="before")
    @classmethod
    def _m(cls, v: Any) -> Any:
        return _month(v)

    @property
    def start_index(self) -> int:
        """Month index of the first forecast month."""
        return month_index(self.start)

    @property
    def months(self) -> list[str]:
        """The forecast months as 'YYYY-MM'."""
        return [month_label(self.start_index + i) for i in range(self.horizon_months)]

    def district_table(self) -> pd.DataFrame:
        """One row per unit (the nation, or each district) with its resolved inputs."""
        if self.geography.level == "national":
            rows = [District(id="national", name="national",
                             population=self.geography.population,
                             pregnancies=self.geography.pregnancies)]
        else:
            rows = list(self.geography.districts or [])
        return pd.DataFrame([r.model_dump() for r in rows])

    def landed(self, product: Literal["mms", "ifa"]) -> float:
        """Price per tablet delivered to the facility: price x (1 + freight + distribution)."""
        p = self.mms if product == "mms" else self.ifa
        return p.price_per_tablet * (1 + self.freight_pct + self.distribution_pct)


# --- defaults and loading -------------------------------------------------------------------


def _strip(node: Any) -> Any:
    """Turn the annotated defaults (value/source/status) into plain values."""
    if isinstance(node, dict):
        if "value" in node and ("source" in node or "status" in node):
            return node["value"]
        return {k: _strip(v) for k, v in node.items()}
    return node


def defaults() -> dict[str, Any]:
    """Scenario defaults as plain values (see scenario_defaults.yaml for sources)."""
    text = resources.files("mmsis.framework").joinpath("data/scenario_defaults.yaml").read_text()
    out = _strip(yaml.safe_load(text))
    assert isinstance(out, dict)
    return out


def defaults_annotated() -> dict[str, Any]:
    """Scenario defaults with their sources and statuses, for documentation and reports."""
    text = resources.files("mmsis.framework").joinpath("data/scenario_defaults.yaml").read_text()
    out = yaml.safe_load(text)
    assert isinstance(out, dict)
    return out


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base.get(k), v) if k in base else v
        return out
    return over


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _read_districts(path: Path, file_label: str) -> list[dict[str, Any]]:
    if not path.exists():
        raise InputError("district file not found", file=file_label, field="geography.file")
    with textio.utf8_file(path) as utf8:  # encodings named; an open quote named by its row
        df = csvread.read_frame(utf8, file_label, dtype={"id": str}, keep_default_na=True)
    if "id" not in df.columns:
        raise InputError("district table needs an 'id' column", file=file_label, column="id")
    known = set(District.model_fields)
    extra = [c for c in df.columns if c not in known]
    if extra:
        raise InputError(f"unknown columns {extra}; allowed: {sorted(known)}", file=file_label,
                         column=extra[0])
    rows: list[dict[str, Any]] = []
    for i, rec in enumerate(df.to_dict(orient="records")):
        clean = {k: v for k, v in rec.items() if not (isinstance(v, float) and math.isnan(v))}
        try:
            District.model_validate(clean)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputError(err["msg"], file=file_label, row=i + 1,
                             column=str(err["loc"][0]) if err["loc"] else None) from None
        rows.append(clean)
    return rows


def scenario_from_dict(
    data: object,
    *,
    base_dir: Path | None = None,
    file: str | None = None,
    districts: pd.DataFrame | None = None,
) -> Scenario:
    """Validate a scenario mapping (defaults filled in); `districts` may supply the geography."""
    if not isinstance(data, dict):
        raise InputError("a scenario must be a mapping of fields", file=file)
    merged = _merge(defaults(), data)
    raw_geo = merged.get("geography") or {}
    if not isinstance(raw_geo, dict):
        raise InputError("geography must be a mapping (level, population or districts)",
                         file=file, field="geography")
    geo = dict(raw_geo)
    if districts is not None:
        geo["level"] = "district"
        geo["districts"] = [
            {k: v for k, v in r.items() if not (isinstance(v, float) and math.isnan(v))}
            for r in districts.to_dict(orient="records")
        ]
    elif geo.get("store"):
        from mmsis.forecast.store_io import districts_from_store

        path = Path(geo["store"])
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        geo["level"] = "district"
        lvl = geo.get("store_level")  # default: the store's district level (its mapping)
        if lvl is not None and (isinstance(lvl, bool) or not isinstance(lvl, int)):
            raise InputError("store_level must be a whole number (an org-unit level)",
                             file=file, field="geography.store_level")
        table = districts_from_store(path, lvl)
        geo["districts"] = table.to_dict(orient="records")
    elif geo.get("file"):
        path = Path(geo["file"])
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        geo["level"] = geo.get("level", "district")
        geo["districts"] = _read_districts(path, str(geo["file"]))
    merged["geography"] = geo
    user_method = ((data.get("pregnancies") or {}).get("method")
                   if isinstance(data.get("pregnancies"), dict) else None)
    if user_method is None:
        # infer: pregnancies given for every unit and no population -> method 'given'
        units = geo.get("districts") or [geo]
        if units and all(isinstance(u, dict) and u.get("pregnancies") is not None
                         and u.get("population") is None for u in units):
            merged["pregnancies"] = {**merged.get("pregnancies", {}), "method": "given"}
    cons = merged.get("consumption")
    if isinstance(cons, dict) and base_dir is not None:
        for key in ("file", "store"):
            if cons.get(key) and not Path(cons[key]).is_absolute():
                cons[key] = str(base_dir / cons[key])
    try:
        sc = Scenario.model_validate(merged)
    except ValidationError as exc:
        errs = exc.errors()
        msgs = [f"{_loc(tuple(e['loc']))}: {e['msg']}" for e in errs]
        raise InputError("; ".join(msgs), file=file, field=_loc(tuple(errs[0]["loc"]))) from None
    _check(sc, file)
    return sc


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file (relative paths resolve from its folder)."""
    p = Path(path)
    if not p.exists():
        raise InputError("scenario file not found", file=str(path))
    data = yamlread.load_yaml(p)  # decoded by textio; size, depth and aliases bounded
    return scenario_from_dict(data or {}, base_dir=p.parent, file=str(path))


def _check(sc: Scenario, file: str | None) -> None:
    """Cross-field checks pydantic cannot express per field."""

    def fail(msg: str, field: str) -> None:
        raise InputError(msg, file=file, field=field)

    geo = sc.geography
    if geo.level == "district":
        if not geo.districts:
            fail("a district geography needs districts (inline or a file)", "geography.districts")
        ids = [d.id for d in geo.districts or []]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            fail(f"duplicate district ids {dup}", "geography.districts")
        units = geo.districts or []
    else:
        units = [District(id="national", population=geo.population, pregnancies=geo.pregnancies)]
    for i, d in enumerate(units):
        where = "geography" if geo.level == "national" else f"geography.districts[{i}]"
        if sc.pregnancies.method == "given" and d.pregnancies is None:
            fail("pregnancies per year are required with pregnancies.method 'given'",
                 f"{where}.pregnancies")
        if sc.pregnancies.method == "population" and d.population is None:
            fail("population is required with pregnancies.method 'population'",
                 f"{where}.population")
    if sc.pregnancies.method == "population" and sc.pregnancies.crude_birth_rate is None:
        fail("crude_birth_rate is required with method 'population'",
             "pregnancies.crude_birth_rate")
    start = sc.start_index
    if sc.rollout.start is not None and month_index(sc.rollout.start) < start:
        fail(f"roll-out start {sc.rollout.start} is before the scenario start {sc.start}",
             "rollout.start")
    known = {d.id: d.id for d in units}
    known.update({d.name: d.id for d in units if d.name})
    seen: set[str] = set()
    for i, r in enumerate(sc.rollout.districts):
        if r.district not in known:
            fail(f"unknown district '{r.district}' (not in the geography)",
                 f"rollout.districts[{i}].district")
        if known[r.district] in seen:
            fail(f"district '{r.district}' appears twice in the roll-out",
                 f"rollout.districts[{i}].district")
        seen.add(known[r.district])
        if month_index(r.start) < start:
            fail(f"roll-out date {r.start} is before the scenario start {sc.start}",
                 f"rollout.districts[{i}].start")
    if geo.level == "district" and sc.rollout.start is not None and sc.rollout.districts:
        fail("give either rollout.start (everyone) or rollout.districts, not both",
             "rollout.start")
    if sc.regimen.adherence > sc.regimen.dispensed_share:
        fail(f"adherence {sc.regimen.adherence} (share of the regimen taken) exceeds "
             f"dispensed_share {sc.regimen.dispensed_share} (share dispensed)",
             "regimen.adherence")
    if sc.consumption is not None and (sc.consumption.file is None) == (
            sc.consumption.store is None):
        fail("give exactly one of consumption.file and consumption.store", "consumption")
    inv = sc.inventory
    if inv.min_months > inv.max_months:
        fail(f"min_months {inv.min_months} exceeds max_months {inv.max_months}",
             "inventory.min_months")
    end = start + sc.horizon_months - 1
    for prod in ("mms", "ifa"):
        for j, b in enumerate(getattr(inv.opening_stock, prod)):
            if b.expires is not None and month_index(b.expires) <= start:
                fail(f"opening batch expires {b.expires}, not after the start {sc.start}",
                     f"inventory.opening_stock.{prod}[{j}].expires")
    for j, c in enumerate(sc.programme_costs):
        if c.year is None and c.start is None:
            fail("give a year or a start (and end) month", f"programme_costs[{j}].year")
        if c.year is not None and not start // 12 <= c.year <= end // 12:
            fail(f"year {c.year} is outside the forecast years {start // 12}-{end // 12}",
                 f"programme_costs[{j}].year")
        if c.start is not None:
            last = month_index(c.end) if c.end else month_index(c.start)
            if month_index(c.start) < start or last > end:
                fail(f"months {c.start}..{month_label(last)} are outside the forecast "
                     f"{sc.start}..{month_label(end)}", f"programme_costs[{j}].start")
            if last < month_index(c.start):
                fail("end is before start", f"programme_costs[{j}].end")
    from mmsis.forecast.evidence import evidence

    outcomes = {"lbw", "preterm", "sga", "stillbirth", "neonatal_mortality", "lbw_anaemic",
                "sga_anaemic", "neonatal_mortality_female", "neonatal_mortality_male"}
    for outcome, eid in sc.impact.effects.items():
        if outcome not in outcomes:
            fail(f"unknown outcome '{outcome}'; allowed: {sorted(outcomes)}",
                 f"impact.effects.{outcome}")
        if eid not in evidence().effects:
            fail(f"unknown effect size '{eid}'; known: {sorted(evidence().effects)}",
                 f"impact.effects.{outcome}")
    for key, u in sc.uncertain.items():
        if key not in UNCERTAIN_KEYS:
            fail(f"unknown uncertain input '{key}'; allowed: {list(UNCERTAIN_KEYS)}",
                 f"uncertain.{key}")
        if u.low > u.high:
            fail("low exceeds high", f"uncertain.{key}.low")
        if key.startswith("impact.subgroups.") and getattr(
                sc.impact.subgroups, key.rsplit(".", 1)[1]) is None:
            fail(f"'{key}' is uncertain but the subgroup is not used (give its share)",
                 f"uncertain.{key}")
        if key in SHARE_KEYS and not 0 <= u.low <= u.high <= 1:
            fail(f"a share's range must lie within 0-1, got {u.low}-{u.high}",
                 f"uncertain.{key}.{'low' if u.low < 0 else 'high'}")
        if u.low < 0:
            fail(f"low {u.low} is negative; '{key}' cannot be below 0", f"uncertain.{key}.low")
        if u.dist == "lognormal" and u.low <= 0:
            fail("a lognormal range needs low > 0", f"uncertain.{key}.low")
