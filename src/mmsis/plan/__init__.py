"""mmsis.plan: the programme workspace, readiness scorecard, IR agenda, strategies, decisions
and field forms.

Public names load lazily so that `mmsis --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmsis._lazy import lazy_exports

if TYPE_CHECKING:
    from mmsis.plan.agenda import Agenda, AgendaItem, build_agenda
    from mmsis.plan.chnri import Prioritisation, prioritise
    from mmsis.plan.decisions import Action, Adaptation, decision_log, roadmap
    from mmsis.plan.forms import build_forms
    from mmsis.plan.measured import programme_scorecard
    from mmsis.plan.scorecard import Scorecard, assess
    from mmsis.plan.strategies import suggest_strategies
    from mmsis.plan.workspace import (
        KeyResultStatus,
        Measurement,
        Programme,
        StatusEvidence,
        load_programme,
        save_programme,
    )

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "Programme": ".workspace",
    "KeyResultStatus": ".workspace",
    "StatusEvidence": ".workspace",
    "Measurement": ".workspace",
    "load_programme": ".workspace",
    "save_programme": ".workspace",
    "Scorecard": ".scorecard",
    "assess": ".scorecard",
    "Agenda": ".agenda",
    "AgendaItem": ".agenda",
    "build_agenda": ".agenda",
    "suggest_strategies": ".strategies",
    "build_forms": ".forms",
    "Prioritisation": ".chnri",
    "prioritise": ".chnri",
    "Action": ".decisions",
    "Adaptation": ".decisions",
    "roadmap": ".decisions",
    "decision_log": ".decisions",
    "programme_scorecard": ".measured",
})
