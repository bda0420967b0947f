"""Small hand-checkable scenarios for the forecast tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def base() -> dict[str, Any]:
    """A national scenario of 1,200 pregnancies a year, everyone at ANC, no waste."""
    return {
        "name": "hand",
        "start": "2025-01",
        "horizon_months": 12,
        "geography": {"level": "national", "pregnancies": 1200},
        "pregnancies": {"method": "given", "pregnancy_loss_adjustment": 1.0},
        "anc1_coverage": 1.0,
        "regimen": {"tablets_per_pregnancy": 180, "adherence": 1.0, "wastage": 0.0},
        "mms": {"pack_size": 180, "price_per_tablet": 0.02},
        "ifa": {"pack_size": 1000, "price_per_tablet": 0.005, "dispensing_months": 6},
        "freight_pct": 0.1,
        "distribution_pct": 0.05,
        "rollout": {"start": "2025-01", "ramp_months": 1, "uptake": 1.0},
        "inventory": {"min_months": 3, "max_months": 6, "lead_time_months": 0,
                      "review_period_months": 1},
    }
