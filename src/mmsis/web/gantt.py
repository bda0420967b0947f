"""The roadmap as Gantt charts on the actions page: one server-side SVG per phase.

Each action is a bar from its start to its due date (a diamond at the due date when it has no
start), on a month axis shared by every phase so the phases line up; today is a vertical line.
Status is written in words in the caption and overdue bars are red with a dashed outline, so
nothing is told by colour alone. Actions without dates are listed under their phase's chart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mmsis.data.workspace import PHASES
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt

ROW = 24
TOP = 8
AXIS = 24
LABEL_W = 280
MAX_LABEL = 42


@dataclass
class GanttBar:
    """One action drawn: where its bar sits and what it says."""

    action: str
    short: str
    owner: str
    key_result: str
    status: str
    status_name: str
    overdue: bool
    dates: str
    x: float
    width: float
    y: float
    milestone: bool


@dataclass
class GanttPhase:
    """One phase's chart: its bars (dated actions) and its undated actions."""

    phase: str
    title: str
    height: int
    bars: list[GanttBar] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)


@dataclass
class Gantt:
    """Every phase on one month axis: tick positions, today's line and the phases."""

    width: int
    plot: tuple[float, float]
    ticks: list[tuple[float, str]]
    today_x: float | None
    today: str
    phases: list[GanttPhase]


def _month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _next_month(d: dt.date) -> dt.date:
    return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def roadmap_chart(actions: Sequence[Any], phase_of: Mapping[str, str],
                  phase_titles: Mapping[str, str], titles: Mapping[str, str],
                  status_names: Mapping[str, str], today: dt.date | None = None,
                  width: int = 760) -> Gantt | None:
    """The Gantt chart of tracked actions (``.record``: an Action, ``.overdue``) by phase;
    None when there are no actions. Phases follow the framework's order (explore first)."""
    if not actions:
        return None
    day = today or dt.date.today()
    dated = [d for a in actions for d in (a.record.start, a.record.due) if d is not None]
    lo = _month_start(min([*dated, day]))
    hi = _next_month(max([*dated, day]))
    months = []
    m = lo
    while m <= hi:
        months.append(m)
        m = _next_month(m)
    x0, x1 = float(LABEL_W), float(width - 32)  # room for the last month's label
    span = max((hi - lo).days, 1)

    def sx(d: dt.date) -> float:
        return round(x0 + (x1 - x0) * (d - lo).days / span, 1)

    step = max(1, len(months) // 8)  # at most ~8 month labels
    ticks = [(sx(m), fmt.span(m, m)) for m in months[::step]]
    phases: dict[str, GanttPhase] = {}
    order = {p: i for i, p in enumerate(PHASES)}
    for a in sorted(actions, key=lambda a: (order.get(phase_of.get(a.record.key_result, ""),
                                                      len(order)),
                                            a.record.due or dt.date.max)):
        r = a.record
        phase = phase_of.get(r.key_result, "")
        box = phases.setdefault(phase, GanttPhase(
            phase, phase_titles.get(phase, phase) if phase else _("No phase"), 0))
        name = f"{r.action} ({r.owner})" if r.owner else r.action
        if r.start is None and r.due is None:
            box.undated.append(name)
            continue
        start: dt.date = r.start or r.due
        due: dt.date = r.due or r.start
        dates = (fmt.day(due) if r.start is None else
                 f"{fmt.day(start)} – {fmt.day(due)}" if r.due else
                 _("from %(day)s") % {"day": fmt.day(start)})
        box.bars.append(GanttBar(
            action=name, short=name if len(name) <= MAX_LABEL else name[:MAX_LABEL - 1] + "…",
            owner=r.owner, key_result=titles.get(r.key_result, r.key_result), status=r.status,
            status_name=status_names.get(r.status, r.status), overdue=a.overdue, dates=dates,
            x=sx(start), width=max(sx(due) - sx(start), 4.0),
            y=TOP + ROW * len(box.bars), milestone=r.start is None))
    for box in phases.values():
        box.height = TOP + ROW * max(len(box.bars), 1) + AXIS
    shown = [phases[p] for p in sorted(phases, key=lambda p: order.get(p, len(order)))]
    return Gantt(width=width, plot=(x0, x1), ticks=ticks,
                 today_x=sx(day) if lo <= day <= hi else None, today=fmt.day(day),
                 phases=shown)
