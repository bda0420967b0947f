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
from typing import Annotated, Literal

import pandas as pd
from pydantic import BaseModel, Field, field_validator

MODIFIED = ("content", "context", "evaluation", "training", "implementation_strategy", "other")
NATURE = ("adding", "removing", "tailoring", "lengthening", "shortening", "substituting",
          "reordering", "integrating", "repeating", "loosening_structure", "other")
"""FRAME-IS's nature of modification (content), as its coding manual lists them."""
REASON_LEVELS = ("sociopolitical", "organisation", "implementer", "recipient")
ACTION_STATUSES = ("not_started", "in_progress", "done", "blocked", "dropped")
OPEN_STATUSES = ("not_started", "in_progress", "blocked")


class StrategySpec(BaseModel):
    """An implementation strategy specified as Proctor et al. 2013 recommend."""

    actor: str = Field("", description="Who delivers the strategy.")
    action: str = Field("", description="What they do, in steps.")
    target: str = Field("", description="Who or what the action aims to change.")
    temporality: str = Field("", description="When, or at which phase, it is used.")
    dose: str = Field("", description="How often and how intensely.")
    outcome: str = Field("", description="The implementation outcome it should move.")
    justification: str = Field("", description="Why this should work: evidence or theory.")

    def missing(self) -> list[str]:
        """Dimensions not yet specified (a strategy is fully specified when this is empty)."""
        return [name for name, value in self.model_dump().items() if not str(value).strip()]


class Adaptation(BaseModel):
    """One decision or adaptation, with the FRAME-IS fields a TAG records."""

    date: dt.date
    what: str = Field(..., min_length=1, max_length=2000,
                      description="What was modified (the strategy or component, in words).")
    modified: Literal["content", "context", "evaluation", "training",
                      "implementation_strategy", "other"] = "implementation_strategy"
    nature: Literal["adding", "removing", "tailoring", "lengthening", "shortening",
                    "substituting", "reordering", "integrating", "repeating",
                    "loosening_structure", "other"] = "tailoring"
    goal: str = Field("", max_length=2000, description="What the change should achieve.")
    planned: bool = Field(True, description="Planned (proactive) or a reaction (unplanned).")
    decided_by: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=50,
        description="Who took part in deciding (roles or bodies).")
    reasons: list[Literal["sociopolitical", "organisation", "implementer", "recipient"]] = (
        Field(default_factory=list, max_length=4))
    evidence: str = Field("", max_length=4000, description="The evidence that led to it.")
    key_result: str | None = Field(None, max_length=100)
    strategy: str | None = Field(None, max_length=200)


class Action(BaseModel):
    """An action towards a key result: owner, due date, status."""

    key_result: str = Field(..., max_length=100)
    action: str = Field(..., min_length=1, max_length=1000)
    owner: str = Field("", max_length=200)
    start: dt.date | None = None
    due: dt.date | None = None
    status: Literal["not_started", "in_progress", "done", "blocked", "dropped"] = "not_started"

    @field_validator("due")
    @classmethod
    def _after_start(cls, v: dt.date | None, info: object) -> dt.date | None:
        start = getattr(info, "data", {}).get("start")
        if v is not None and start is not None and v < start:
            raise ValueError("the due date is before the start")
        return v

    def overdue(self, today: dt.date) -> bool:
        """Open and past its due date."""
        return self.status in OPEN_STATUSES and self.due is not None and self.due < today


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
