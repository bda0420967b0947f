"""One typed model of a country programme's inputs, built by every caller that has data.

`CountryProgramme` holds what the report, the web workspace and the demos compute from: the
org-unit hierarchy (with populations), the DHIS2 routine data (as tables, or an open
`mmsis.data.store.Store` used as is), the survey waves (oldest first, one of them chosen: the
latest unless named), the MMS roll-out per district, the forecast scenario, the concept
mapping, the team's statuses (`mmsis.data.workspace.Programme`: phases, key-result statuses
with evidence, barriers, strategies, decisions), and one line per part saying where its data
came from or why it is absent. Any data part may be None; `has(part)` says which are
there. The bundled example country (`mmsis.datasets.ExampleCountry`) is one instance;
`mmsis.report.local_inputs` (files) and `mmsis.web.report_inputs` (a workspace) build others.

Results computed from a programme (the report's survey, routine and evaluation results, the
in-memory store loaded from its tables) are cached on the programme itself (`cached`), so
they live and die with it: no global cache keyed by object identity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Self, TypedDict, TypeVar

import pandas as pd

from mmsis.errors import InputError

if TYPE_CHECKING:
    from mmsis.data.concepts import ConceptMap
    from mmsis.data.store import Store
    from mmsis.data.workspace import Programme

__all__ = ["CONSTANTS", "PARTS", "CountryFacts", "CountryProgramme", "Part", "SurveyWave"]

Part = Literal["routine", "survey", "rollout", "scenario"]
"""A programme's data parts that may be absent."""

# What each part holds, in words (a missing part reads "no <words> in <origin>").
PARTS: dict[str, str] = {
    "routine": "DHIS2 routine data values",
    "survey": "survey microdata",
    "rollout": "MMS start month per district",
    "scenario": "forecast scenario",
}

Constant = Literal["crude_birth_rate", "pregnancy_loss_adjustment", "stock_min_months",
                   "stock_max_months"]
CONSTANTS: tuple[Constant, ...] = ("crude_birth_rate", "pregnancy_loss_adjustment",
                                   "stock_min_months", "stock_max_months")
"""The country facts that are also the routine store's constants (indicator denominators,
stock bounds)."""

_T = TypeVar("_T")


class CountryFacts(TypedDict, total=False):
    """The country's name, the months its routine data span and its demographic constants."""

    name: str | None
    start_period: str  # YYYYMM
    end_period: str  # YYYYMM
    months: int
    crude_birth_rate: float  # births per 1,000 population per year
    pregnancy_loss_adjustment: float
    stock_min_months: float
    stock_max_months: float
    status: str  # where the facts come from (e.g. "synthetic (assumption): ...")


@dataclass(eq=False)
class SurveyWave:
    """One survey wave of a programme: its name (the id a user picks it by), the file it came
    from, and its respondents (DHS-style columns), given or read by `load` when first used."""

    name: str
    frame: pd.DataFrame | None = None
    file: str | None = None
    load: Callable[[], pd.DataFrame] | None = field(default=None, repr=False)

    def respondents(self) -> pd.DataFrame:
        """The wave's respondents (read once, when a wave was given with `load` only)."""
        if self.frame is None:
            if self.load is None:
                raise ValueError(f"survey wave {self.name!r} has neither rows nor a reader")
            self.frame = self.load()
        return self.frame


@dataclass(eq=False, kw_only=True)
class CountryProgramme:
    """A country programme's inputs; parts that are None make what needs them unavailable.

    ``org_units`` has the columns id, name, level, parent_id, path and population (the
    hierarchy and its populations). Routine data come as ``data_values`` (with
    ``data_elements`` and ``reports``; loaded into an in-memory store when needed) or as an
    open ``store`` used as is (close it with `close()`). ``waves`` are the survey waves,
    oldest first; ``wave`` names the one analysed (None: the latest), whose respondents
    ``survey`` gives (DHS-style columns). ``statuses`` are the team's own records (phases,
    key-result statuses with evidence, context, barriers, strategies, agenda settings,
    decisions; None: the report uses the example's for the example country, else an empty
    workspace). ``rollout`` has district_id and mms_start (YYYYMM), ``scenario`` is
    a forecast scenario document (`mmsis.forecast.scenario.scenario_from_dict`), ``concepts``
    says which data elements stand for which concepts. ``sources`` and ``missing`` give, per
    part, where its data came from and why it is absent; ``origin`` names the inputs in
    those reasons ("this workspace"). ``synthetic`` marks generated data (the example
    country), whose scenario is built from the country itself; ``truth`` holds a
    generator's true parameters.
    """

    country: CountryFacts
    org_units: pd.DataFrame
    data_values: pd.DataFrame | None = None
    data_elements: pd.DataFrame | None = None
    reports: pd.DataFrame | None = None
    data_sets: pd.DataFrame | None = None
    rollout: pd.DataFrame | None = None
    waves: list[SurveyWave] = field(default_factory=list)
    wave: str | None = None
    statuses: Programme | None = None
    truth: dict[str, Any] | None = None
    scenario: dict[str, Any] | None = None
    concepts: ConceptMap | None = None
    store: Store | None = None
    sources: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    origin: str = "the report inputs"
    synthetic: bool = False
    _cache: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def name(self) -> str:
        """The country's name ("the country" when none is known)."""
        return str(self.country.get("name") or "the country")

    @property
    def chosen_wave(self) -> SurveyWave | None:
        """The survey wave analysed: the one `wave` names, else the latest (None: no wave);
        InputError naming the waves when `wave` names none of them."""
        if not self.waves:
            return None
        if self.wave is None:
            return self.waves[-1]
        for w in self.waves:
            if w.name == self.wave:
                return w
        raise InputError(f"no survey wave '{self.wave}' (waves: "
                         f"{', '.join(w.name for w in self.waves)})", field="wave")

    @property
    def survey(self) -> pd.DataFrame | None:
        """The chosen survey wave's respondents (None when the programme has no wave)."""
        chosen = self.chosen_wave
        return None if chosen is None else chosen.respondents()

    def has(self, part: Part) -> bool:
        """Whether the programme holds data for a part (routine, survey, rollout, scenario)."""
        if part == "scenario":
            return self.synthetic or self.scenario is not None
        if part == "routine" and self.store is not None:
            return bool(self.store.count("data_values") > 0)
        frame = (self.data_values if part == "routine" else self.survey if part == "survey"
                 else self.rollout)
        return frame is not None and len(frame) > 0

    def missing_reason(self, part: Part) -> str:
        """Why a part is absent: the builder's own words, else "no <part> in <origin>"."""
        if part in self.missing:
            return str(self.missing[part])
        return f"no {PARTS[part]} in {self.origin}"

    def source_of(self, part: Part, synthetic_text: str) -> str:
        """Where a part's data came from: `synthetic_text` for generated data, else the
        builder's own description (default "<part words> of <country>")."""
        if self.synthetic:
            return synthetic_text
        return str(self.sources.get(part)
                   or f"{PARTS[part]} of {self.country.get('name', 'the country')}")

    def constants(self) -> dict[str, float]:
        """The country's constants (`CONSTANTS`) it states, as the store keeps them."""
        return {k: float(self.country[k]) for k in CONSTANTS if k in self.country}

    def set_constants(self, values: Mapping[str, float]) -> None:
        """Take the constants (`CONSTANTS`) that `values` holds (e.g. a store's) as facts."""
        for k in CONSTANTS:
            if k in values:
                self.country[k] = values[k]

    def with_statuses(self, statuses: Programme | None) -> Self:
        """This programme judged by another team's `statuses`: a copy sharing its data, its
        open store and the results computed from them (which do not depend on statuses);
        close one of the two, not both."""
        copy = dataclasses.replace(self, statuses=statuses)
        copy._cache = self._cache
        return copy

    def cached(self, key: Hashable, make: Callable[[], _T]) -> _T:
        """`make()` computed once per programme and key (results live as long as it does)."""
        if key not in self._cache:
            self._cache[key] = make()
        result: _T = self._cache[key]
        return result

    def close(self) -> None:
        """Close the routine store the programme holds, if any, and forget its results."""
        if self.store is not None:
            self.store.close()
            self.store = None
        self._cache.clear()
