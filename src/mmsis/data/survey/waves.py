"""Survey waves kept in a programme store: every uploaded wave stays, the user picks one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from mmsis.errors import InputError
from mmsis.i18n import gettext as _

if TYPE_CHECKING:
    from mmsis.data.store import Store


def pick_wave(store: Store, wave: str | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """One wave of a programme store (`mmsis.data.store.Store`) and its respondents; without
    `wave`, the latest uploaded. The info has id, name, file, rows, imported_at, n_waves and
    `latest` (whether it is the latest wave). InputError when there is none or no such wave."""
    waves = store.survey_waves().to_dict(orient="records")
    if not waves:
        raise InputError("no survey wave in the programme store (upload a survey first)",
                         field="wave")
    chosen = waves[-1] if not wave else next((w for w in waves if str(w["id"]) == wave), None)
    if chosen is None:
        raise InputError(f"no survey wave '{wave}' (waves: "
                         f"{', '.join(str(w['id']) for w in waves)})", field="wave")
    info = {**chosen, "n_waves": len(waves), "latest": chosen is waves[-1]}
    return info, store.survey_wave(str(chosen["id"]))


def wave_words(info: dict[str, Any]) -> str:
    """Which wave a view shows, in words ("the survey dhs_2024.csv (the latest of 2 waves)")."""
    n = int(info.get("n_waves", 1))
    names = {"file": info["file"], "n": n}
    if n == 1:
        return _("the survey %(file)s (the only wave)") % names
    if info.get("latest"):
        return _("the survey %(file)s (the latest of %(n)s waves)") % names
    return _("the survey %(file)s (chosen from %(n)s waves)") % names
