"""What the group decided and will do: strategies specified, adaptations logged, actions tracked.

- A chosen ERIC strategy is *specified* as Proctor, Powell & McMillen (Implement Sci 2013;8:139)
  ask: actor, action, action target, temporality, dose, implementation outcome affected and
  justification.
- A decision that changes the programme or a strategy is logged with the fields of FRAME-IS
  (Miller, Wiltsey-Stirman & Baumann, Implement Sci 2021;16:36): what was modified, the nature
  of the change, its goal, whether it was planned or a reaction, who took part in deciding,
  the reasons and the evidence that led to it.
- Key results get actions with an owner, a due date and a status; the roadmap lays them out
  per phase and flags the overdue ones.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from mmsis.data.workspace import (
    ACTION_STATUSES,
    MODIFIED,
    NATURE,
    OPEN_STATUSES,
    REASON_LEVELS,
    Action,
    Adaptation,
    StrategySpec,
)

__all__ = [
    "ACTION_STATUSES", "MODIFIED", "NATURE", "OPEN_STATUSES", "REASON_LEVELS", "Action",
    "Adaptation", "StrategySpec", "decision_log", "overdue_actions", "roadmap",
]

def decision_log(adaptations: list[Adaptation]) -> pd.DataFrame:
    """The log as a table, oldest first: date, what, nature, planned, goal, by, reasons."""
    rows = [{
        "date": a.date.isoformat(), "what": a.what, "modified": a.modified.replace("_", " "),
        "nature": a.nature.replace("_", " "), "planned": "planned" if a.planned else "reactive",
        "goal": a.goal, "decided by": ", ".join(a.decided_by),
        "reasons": ", ".join(a.reasons), "evidence": a.evidence,
        "key result": a.key_result or "",
    } for a in sorted(adaptations, key=lambda a: a.date)]
    cols = ["date", "what", "modified", "nature", "planned", "goal", "decided by", "reasons",
            "evidence", "key result"]
    return pd.DataFrame(rows, columns=cols)


def roadmap(actions: list[Action], phase_of_key_result: dict[str, str],
            today: dt.date | None = None) -> pd.DataFrame:
    """Actions per phase with their dates, status and whether they are overdue, by due date."""
    day = today or dt.date.today()
    order = {p: i for i, p in enumerate(("explore", "introduce", "scale_up", "sustain"))}
    rows = [{
        "phase": phase_of_key_result.get(a.key_result, ""), "key_result": a.key_result,
        "action": a.action, "owner": a.owner,
        "start": a.start.isoformat() if a.start else "",
        "due": a.due.isoformat() if a.due else "", "status": a.status,
        "overdue": a.overdue(day),
    } for a in actions]
    frame = pd.DataFrame(rows, columns=["phase", "key_result", "action", "owner", "start", "due",
                                        "status", "overdue"])
    if frame.empty:
        return frame
    frame["_p"] = frame["phase"].map(order).fillna(len(order))
    return frame.sort_values(["_p", "due", "key_result"]).drop(columns="_p").reset_index(
        drop=True)


def overdue_actions(actions: list[Action], today: dt.date | None = None) -> list[Action]:
    """Open actions past their due date, the most overdue first."""
    day = today or dt.date.today()
    late = [a for a in actions if a.overdue(day)]
    return sorted(late, key=lambda a: a.due or day)
