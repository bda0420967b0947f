"""Sample size and power: coverage surveys, individual and cluster RCTs, stepped-wedge trials."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.design.crt import (
        crt_clusters,
        crt_power,
    )
    from mmsis.design.individual import (
        individual_means,
        individual_proportions,
    )
    from mmsis.design.results import (
        CrtResult,
        HooperResult,
        IndividualResult,
        SimulationPower,
        SteppedWedgePower,
        SurveySampleSize,
        SwLayout,
        WoertmanResult,
    )
    from mmsis.design.simulate import (
        simulate_power,
    )
    from mmsis.design.stepped_wedge import (
        gls_variance,
        hooper_design_effect,
        stepped_wedge_power,
        sw_layout,
        sw_matrix,
        woertman,
    )
    from mmsis.design.survey import (
        survey_sample_size,
    )

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "crt_clusters": ".crt",
    "crt_power": ".crt",
    "individual_means": ".individual",
    "individual_proportions": ".individual",
    "CrtResult": ".results",
    "HooperResult": ".results",
    "IndividualResult": ".results",
    "SimulationPower": ".results",
    "SteppedWedgePower": ".results",
    "SurveySampleSize": ".results",
    "SwLayout": ".results",
    "WoertmanResult": ".results",
    "simulate_power": ".simulate",
    "gls_variance": ".stepped_wedge",
    "hooper_design_effect": ".stepped_wedge",
    "stepped_wedge_power": ".stepped_wedge",
    "sw_layout": ".stepped_wedge",
    "sw_matrix": ".stepped_wedge",
    "woertman": ".stepped_wedge",
    "survey_sample_size": ".survey",
})
