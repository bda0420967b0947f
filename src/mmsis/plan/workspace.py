"""The programme workspace file: a country team's state read from and written to YAML.

The models (phases, context, key-result statuses, data links, ...) are the data layer's
(`mmsis.data.workspace`), re-exported here; this module reads and writes them as the plan
file (`mmsis-plan.yaml`). The web workspace stores the same model
(``Programme.model_dump(mode="json")``) in its database.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from mmsis.data.workspace import (
    DEFAULT_WEIGHTS,
    KR_STATUSES,
    PHASES,
    PILLARS,
    AgendaSettings,
    Barrier,
    Context,
    DataLinks,
    Decision,
    KeyResultStatus,
    KRStatusValue,
    Measurement,
    Phase,
    Programme,
    QuestionRating,
    Region,
    StatusEvidence,
    StrategyChoice,
)
from mmsis.errors import InputError

__all__ = [
    "DEFAULT_WEIGHTS", "KR_STATUSES", "PHASES", "PILLARS", "AgendaSettings", "Barrier",
    "Context", "DataLinks", "Decision", "KRStatusValue", "KeyResultStatus", "Measurement",
    "Phase", "Programme", "QuestionRating", "Region", "StatusEvidence", "StrategyChoice",
    "load_programme", "save_programme",
]

def save_programme(programme: Programme, path: Path) -> None:
    """Write the programme as readable YAML (block style, keys in model order)."""
    data = programme.model_dump(mode="json", exclude_none=True)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(
        "# mmsis programme workspace: edit statuses, evidence, barriers and weights here.\n" + text,
        encoding="utf-8",
    )


def load_programme(path: Path) -> Programme:
    """Read a programme YAML file; errors name the file and the field at fault."""
    if not path.exists():
        raise InputError("plan file not found; create it with `mmsis plan init`", file=str(path))
    from mmsis.data import yamlread

    raw = yamlread.load_yaml(path)  # decoded by textio; size, depth and aliases bounded
    if not isinstance(raw, dict):
        raise InputError("expected a mapping at the top level", file=str(path))
    try:
        return Programme.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise InputError(f"{err['msg']}{more}", file=str(path), field=loc) from exc
