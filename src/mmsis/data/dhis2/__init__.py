"""mmsis.data.dhis2: the DHIS2 Web API client, its JSON/CSV formats, periods and calendars.

Public names load lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.data.dhis2.client import Dhis2, PullResult, pull
    from mmsis.data.dhis2.periods import is_valid_period, parse_period

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "Dhis2": ".client",
    "pull": ".client",
    "PullResult": ".client",
    "parse_period": ".periods",
    "is_valid_period": ".periods",
})
