"""Dashboard panels and agenda suggestions, computed by the analysis packages' public APIs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from mmsis.web.deps import Access

PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def agenda_suggestions(db: Session, access: Access) -> list[dict[str, Any]]:
    """Questions of the framework's question bank for the workspace's phase, most urgent first."""
    from mmsis.framework import load_framework

    fw = load_framework()
    phase = access.workspace.phase or None
    qs = [q for q in fw.questions if phase is None or phase in q.phases]
    qs.sort(key=lambda q: (PRIORITY_ORDER.get(q.priority, 9), q.id))
    return [{"id": q.id, "text": q.text, "priority": q.priority, "pillars": q.pillars} for q in qs]


def panels(db: Session, access: Access, district: str | None) -> dict[str, Any]:
    """The dashboard panels that the analysis packages can fill today."""
    return {"scorecard": None, "cascade": None, "quality": None}
