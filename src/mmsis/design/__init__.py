"""Sample size and power: coverage surveys, individual and cluster RCTs, stepped-wedge trials."""

from mmsis.design.crt import crt_clusters, crt_power
from mmsis.design.individual import individual_means, individual_proportions
from mmsis.design.results import (
    CrtResult,
    HooperResult,
    IndividualResult,
    SimulationPower,
    SteppedWedgeResult,
    SurveySampleSize,
    SwLayout,
    WoertmanResult,
)
from mmsis.design.simulate import simulate_power
from mmsis.design.stepped_wedge import (
    gls_variance,
    hooper_design_effect,
    stepped_wedge_power,
    sw_layout,
    sw_matrix,
    woertman,
)
from mmsis.design.survey import survey_sample_size

__all__ = [
    "CrtResult", "HooperResult", "IndividualResult", "SimulationPower", "SteppedWedgeResult",
    "SurveySampleSize", "SwLayout", "WoertmanResult", "crt_clusters", "crt_power",
    "gls_variance", "hooper_design_effect", "individual_means", "individual_proportions",
    "simulate_power", "stepped_wedge_power", "survey_sample_size", "sw_layout", "sw_matrix",
    "woertman",
]
