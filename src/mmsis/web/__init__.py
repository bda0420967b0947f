"""mmsis.web: the shared web workspace (FastAPI + Jinja2 + HTMX) for a TAG working as a group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.web.app import create_app

__getattr__, __dir__, __all__ = lazy_exports(__name__, {"create_app": ".app"})
