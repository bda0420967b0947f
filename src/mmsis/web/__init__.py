"""mmsis.web: the shared web workspace (FastAPI + Jinja2 + HTMX) for a TAG working as a group."""

from mmsis.web.app import create_app

__all__ = ["create_app"]
