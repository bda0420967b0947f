"""A hand-checkable impact scenario: 1,200 births covered by MMS in one year."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def scen() -> dict[str, Any]:
    """National, 1,200 pregnancies/year, all on MMS from month 0, no pregnancy loss."""
    return {
        "name": "hand",
        "start": "2025-01",
        "horizon_months": 12,
        "geography": {"level": "national", "pregnancies": 1200},
        "pregnancies": {"method": "given", "pregnancy_loss_adjustment": 1.0},
        "anc1_coverage": 1.0,
        "regimen": {"tablets_per_pregnancy": 180, "adherence": 1.0, "wastage": 0.0},
        "mms": {"price_per_tablet": 0.02},
        "ifa": {"price_per_tablet": 0.005},
        "freight_pct": 0.1,
        "distribution_pct": 0.1,
        "rollout": {"start": "2025-01", "ramp_months": 1, "uptake": 1.0},
        "impact": {"baseline": {"lbw": 0.15, "preterm": 0.12, "sga": 0.25,
                                "stillbirth": 0.02, "neonatal_mortality": 0.025}},
    }
