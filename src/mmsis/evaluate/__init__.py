"""mmsis.evaluate: what changed after MMS introduction (ITS, controlled ITS, DiD, stepped wedge)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.evaluate.controlled_its import (
        ControlledITSResult,
        fit_controlled_its,
    )
    from mmsis.evaluate.did import (
        DiDResult,
        fit_did,
    )
    from mmsis.evaluate.its import (
        ITSResult,
        fit_its,
    )
    from mmsis.evaluate.panels import (
        aggregate_districts,
        country_panel,
        district_month_panel,
    )
    from mmsis.evaluate.stepped_wedge import (
        SteppedWedgeResult,
        fit_stepped_wedge,
    )

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "ControlledITSResult": ".controlled_its",
    "fit_controlled_its": ".controlled_its",
    "DiDResult": ".did",
    "fit_did": ".did",
    "ITSResult": ".its",
    "fit_its": ".its",
    "aggregate_districts": ".panels",
    "country_panel": ".panels",
    "district_month_panel": ".panels",
    "SteppedWedgeResult": ".stepped_wedge",
    "fit_stepped_wedge": ".stepped_wedge",
})
