"""mmsis.evaluate: what changed after MMS introduction (ITS, DiD / event study, stepped wedge)."""

from mmsis.evaluate.did import DiDResult, fit_did
from mmsis.evaluate.its import ITSResult, fit_its
from mmsis.evaluate.panels import aggregate_districts, country_panel, district_month_panel
from mmsis.evaluate.stepped_wedge import SteppedWedgeResult, fit_stepped_wedge

__all__ = [
    "DiDResult",
    "ITSResult",
    "SteppedWedgeResult",
    "aggregate_districts",
    "country_panel",
    "district_month_panel",
    "fit_did",
    "fit_its",
    "fit_stepped_wedge",
]
