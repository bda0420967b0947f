"""mmsis.data: getting data in: the programme store (DuckDB), DHIS2, survey microdata, field
submissions, concept mappings and safe text/CSV/JSON reading.

Public names load lazily (DuckDB and pandas are imported on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.data.concepts import ConceptMap
    from mmsis.data.programme import CountryFacts, CountryProgramme, SurveyWave
    from mmsis.data.store import ImportReport, Refusal, Store, load_example

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "Store": ".store",
    "ImportReport": ".store",
    "Refusal": ".store",
    "load_example": ".store",
    "ConceptMap": ".concepts",
    "CountryProgramme": ".programme",
    "CountryFacts": ".programme",
    "SurveyWave": ".programme",
})
